"""The 1,000,000-line fleet's targets of issue 16: a cold scan on every CPU, a warm one, memory.

    python bench/fleet_cache.py [--fleet DIR] [--out FILE]

On the fleet of ``bench/gen_corpus.py --flows 5000 --seed 1`` (1,022,405 lines; made with
``bench_scan.py --flows 5000`` or by hand), each command in a child process as
``bench_scan.measure`` runs it (wall, CPU, peak memory of the process tree): ``pafix scan
--jobs 2`` with a fresh cache (cold, text report), again (warm), again with ``--format json``
(warm), and once more with ``--no-cache --format json`` (the leaks of the manifest are checked
on it, and the warm JSON must equal it). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_scan as b  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fleet", type=Path, default=b.DEFAULT_WORK / "fleet-5000-1")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=b.BENCH / "results" / "scan_bench_1m_round4.json")
    args = ap.parse_args()
    fleet = str(args.fleet)
    tmp = Path(tempfile.mkdtemp())
    scan = [sys.executable, "-m", "pafix", "scan", "--jobs", str(args.jobs)]
    cache = ["--cache-dir", str(tmp / "cache")]
    out: dict[str, Any] = {"fleet": fleet, "lines": json.loads((args.fleet / "manifest.json").read_text())["lines"]}
    try:
        out["cold_text"] = b.measure(scan + cache + ["-o", str(tmp / "cold.txt"), fleet])
        out["warm_text"] = b.measure(scan + cache + ["-o", str(tmp / "warm.txt"), fleet])
        out["warm_json"] = b.measure(scan + cache + ["--format", "json", "-o", str(tmp / "warm.json"), fleet])
        out["nocache_json"] = b.measure(scan + ["--no-cache", "--format", "json", "-o", str(tmp / "cold.json"), fleet])
        out["leaks"] = b.check_leaks(tmp / "cold.json", args.fleet)
        out["warm_json_identical"] = b._strip_seconds(tmp / "cold.json") == b._strip_seconds(tmp / "warm.json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["warm_vs_cold_text_wall"] = round(out["cold_text"]["wall_s"] / out["warm_text"]["wall_s"], 1)
    out["peak_tree_rss_mb"] = max(v["peak_tree_rss_mb"] for v in out.values() if isinstance(v, dict) and "wall_s" in v)
    out["loadavg_after"] = os.getloadavg()
    print(json.dumps(out, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0 if out["warm_json_identical"] and out["leaks"]["found"] == out["leaks"]["planted"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
