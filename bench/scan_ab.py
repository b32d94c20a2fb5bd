"""Two checkouts' ``pafix scan`` on the same files, interleaved: the before/after of one change.

    python bench/scan_ab.py --before /path/to/main/src --after src DIR [DIR...] \
        [--rounds 5] [--jobs 1] [--out FILE]

Each round runs ``python -m pafix scan --no-cache --format json --min-confidence low --jobs N
DIR...`` once with each ``src`` folder on ``PYTHONPATH`` (which goes first alternates from round
to round), after one uncounted run of each (bytecode compiled, files cached), and reads the CPU seconds of the child (user + system, workers included) from
``getrusage``. CPU time, not wall time: on this shared 2-CPU machine the time spent waiting for
a CPU another process holds is not counted, and a slow minute hits both sides of one round.
Every round also checks that the two JSON reports are identical but for ``stats.seconds`` (no speed
bought with findings). Prints, and writes with ``--out``, the medians, the spread and the
per-round ratios before / after. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(src: Path, dirs: list[str], jobs: int) -> tuple[float, float, dict[str, Any]]:
    """CPU seconds, wall seconds and the JSON report (minus ``stats.seconds``) of one scan."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src.resolve())
    env.setdefault("PYTHONHASHSEED", "0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both sides run from bytecode (see main)
    cmd = [sys.executable, "-m", "pafix", "scan", "--no-cache", "--format", "json",
           "--min-confidence", "low", "--jobs", str(jobs), *dirs]
    cpu0, t0 = _child_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    try:  # exit 2 with a report: files that do not parse are in it (the real corpus has some)
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"{src}: pafix scan exited {done.returncode}:\n{done.stderr[-2000:]}") from None
    report.get("stats", {}).pop("seconds", None)
    return cpu, wall, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--before", type=Path, required=True, help="src folder of the code before")
    ap.add_argument("--after", type=Path, required=True, help="src folder of the code after")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sides = {"before": args.before, "after": args.after}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    wall: dict[str, list[float]] = {"before": [], "after": []}
    ratios: list[float] = []
    for side in sides:  # not counted: each side's bytecode compiled, the files in the page cache
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(sides[side])], check=True)
        run_once(sides[side], args.dirs, args.jobs)
    for i in range(args.rounds):
        order = ["before", "after"] if i % 2 == 0 else ["after", "before"]
        reports = {}
        for side in order:
            c, w, reports[side] = run_once(sides[side], args.dirs, args.jobs)
            cpu[side].append(c)
            wall[side].append(w)
        if reports["before"] != reports["after"]:
            raise SystemExit(f"round {i + 1}: the two JSON reports differ")
        ratios.append(cpu["before"][-1] / cpu["after"][-1])
        print(f"round {i + 1}: before {cpu['before'][-1]:.2f} CPU-s, after {cpu['after'][-1]:.2f} CPU-s, "
              f"speed-up {ratios[-1]:.3f}", flush=True)
    result: dict[str, Any] = {
        "dirs": args.dirs, "jobs": args.jobs, "rounds": args.rounds,
        "before_src": str(args.before), "after_src": str(args.after),
        "load_average": os.getloadavg(),
        "reports_identical": True,
    }
    for side in sides:
        result[f"{side}_cpu_s"] = cpu[side]
        result[f"{side}_cpu_s_median"] = round(statistics.median(cpu[side]), 3)
        result[f"{side}_wall_s_median"] = round(statistics.median(wall[side]), 3)
    result["speedup_per_round"] = [round(r, 4) for r in ratios]
    result["speedup_median"] = round(statistics.median(ratios), 4)
    result["speedup_min"] = round(min(ratios), 4)
    result["speedup_max"] = round(max(ratios), 4)
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("_cpu_s")}, indent=2))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
