"""Before/after latency of ``pafix lsp``, interleaved on a shared machine.

    python bench/lsp_compare.py --before /tmp/main-checkout --rounds 3 --lines 2000 20000

Runs ``bench/lsp_latency.py`` of the checkout given as ``--before`` (its own ``src/``) and of
this one, alternately (before, after, before, after...) for each size, so that a change in the
machine's load hits both alike; then writes every run and, per size and side, the median and
the spread (min-max) of the runs' median and p95 latencies to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": len(runs)}
    for key in ("median_ms", "p95_ms", "core_in_process_median_ms", "core_parse_median_ms", "core_check_median_ms"):
        values = [r[key] for r in runs]
        out[key] = {"median": round(statistics.median(values), 1), "min": min(values), "max": max(values)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="a checkout of the code before (bench/, src/, examples/)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lines", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--edits", type=int, nargs="+", default=[50, 20], help="edits per run, one per --lines")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "lsp_compare.json")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pafix-lsp-"))
    runs: dict[str, list[dict[str, Any]]] = {}
    for r in range(args.rounds):
        for lines, edits in zip(args.lines, args.edits):
            for side, root in (("before", args.before), ("after", ROOT)):
                out = tmp / f"{side}-{lines}-{r}.json"
                subprocess.run([sys.executable, str(root / "bench" / "lsp_latency.py"), "--lines", str(lines),
                                "--edits", str(edits), "--out", str(out)], check=True)
                runs.setdefault(f"{side}_{lines}", []).append(json.loads(out.read_text(encoding="utf-8")))
    report = {"method": "interleaved before/after runs of bench/lsp_latency.py", "date": time.strftime("%Y-%m-%d %H:%M"),
              "summary": {k: summary(v) for k, v in runs.items()}, "runs": runs}
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
