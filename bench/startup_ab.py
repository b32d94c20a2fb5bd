"""Start-up cost of two checkouts: a one-flow ``pafix scan`` and the import of the CLI.

    python bench/startup_ab.py --before /path/to/main/src --after src FLOW [--runs 15] [--out FILE]

* wall milliseconds of ``python -m pafix scan --no-cache --format json FLOW``, the two sides
  interleaved run by run (median, min, max of ``--runs`` each), in two settings: ``warm``
  (this machine's temporary directory and pafix cache folder, as a developer's or a
  pre-commit hook's second run sees them) and ``cold`` (an empty ``TMPDIR`` and
  ``PAFIX_CACHE_DIR`` for every run: what a fresh CI runner sees);
* instructions (valgrind ``cachegrind``, ``PYTHONHASHSEED=0``, stable to ~0.05%) of
  ``import pafix.cli.main`` and of the one-flow scan, warm and cold.

Both sides' reports are compared (but for ``stats.seconds``). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _env(src: Path, cold_dir: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src.resolve())
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cold_dir is not None:
        os.makedirs(os.path.join(cold_dir, "tmp"), exist_ok=True)
        env["TMPDIR"] = os.path.join(cold_dir, "tmp")
        env["PAFIX_CACHE_DIR"] = os.path.join(cold_dir, "cache")
    return env


def _scan(flow: str) -> list[str]:
    return [sys.executable, "-m", "pafix", "scan", "--no-cache", "--format", "json", flow]


def _wall(src: Path, flow: str, cold: bool) -> tuple[float, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(src, tmp if cold else None)
        started = time.perf_counter()
        done = subprocess.run(_scan(flow), env=env, capture_output=True, text=True)
        ms = (time.perf_counter() - started) * 1000
    report = json.loads(done.stdout)
    report.get("stats", {}).pop("seconds", None)
    return ms, report


def _instructions(src: Path, args: list[str], cold: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(src, tmp if cold else None)
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}", *args],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        with open(out, encoding="utf-8") as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise SystemExit("no cachegrind summary")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("flow")
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sides = {"before": args.before, "after": args.after}
    for src in sides.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
        _wall(src, args.flow, cold=False)  # writes the warm caches (Lark's, pafix's) once
    doc: dict[str, Any] = {"flow": args.flow, "runs": args.runs, **{f"{k}_src": str(v) for k, v in sides.items()}}
    reports: dict[str, Any] = {}
    for setting in ("warm", "cold"):
        times: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(args.runs):
            for side, src in sides.items():
                ms, reports[side] = _wall(src, args.flow, cold=setting == "cold")
                times[side].append(ms)
        doc[f"wall_ms_{setting}"] = {side: {"median": round(statistics.median(t), 1), "min": round(min(t), 1),
                                            "max": round(max(t), 1)} for side, t in times.items()}
        b, a = (doc[f"wall_ms_{setting}"][s]["median"] for s in ("before", "after"))
        print(f"wall ms, one-flow scan, {setting}: before {b}, after {a} ({b / a:.2f}x)")
    doc["reports_identical"] = reports["before"] == reports["after"]
    counts: dict[str, dict[str, int]] = {}
    for side, src in sides.items():
        counts[side] = {
            "import_cli": _instructions(src, [sys.executable, "-c", "import pafix.cli.main"], cold=False),
            "scan_warm": _instructions(src, _scan(args.flow), cold=False),
            "scan_cold": _instructions(src, _scan(args.flow), cold=True),
        }
    doc["instructions"] = counts
    for what in counts["before"]:
        b, a = counts["before"][what], counts["after"][what]
        print(f"instructions, {what}: before {b / 1e9:.4f} G, after {a / 1e9:.4f} G ({b / a:.3f}x)")
    if not doc["reports_identical"]:
        raise SystemExit("the two JSON reports differ")
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
