"""pafix against detect-secrets, interleaved: the ratio of issue 16 measured round by round.

    python bench/ratio_ab.py DIR [--rounds 5] [--jobs N] [--out bench/results/ratio_ab.json]

``bench_scan.py`` runs detect-secrets once (it takes minutes) and pafix at other minutes, so a
slow or fast minute of this shared machine moves the ratio by itself: on the same code its
all-CPUs ratio measured 16.8× in one run and 19.7× in another. Here each round runs, back to
back on the same files, detect-secrets in one process, ``pafix scan --no-cache --jobs 1``,
detect-secrets on every CPU and ``pafix scan --no-cache --jobs N`` (the order alternating
from round to round), each in a child process measured as ``bench_scan.measure`` does (wall,
CPU of the whole process tree), and gives each round's ratios. Prints and writes their
medians and ranges. The folder must lie outside a git work tree (detect-secrets skips files
of a work tree it was not started in): ``bench/gen_corpus.py --out /tmp/f300 --flows 300
--seed 1`` makes one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_scan as b  # noqa: E402

RATIOS = {  # name -> (detect-secrets run, pafix run)
    "one_process": ("ds_1proc", "pafix_jobs1"),
    "all_cpus": ("ds_all", "pafix_jobsN"),
}


def _round(fleet: Path, detect: str, jobs: int, tmp: Path, reverse: bool) -> dict[str, dict[str, float]]:
    pafix = [sys.executable, "-m", "pafix", "scan", "--format", "json", "--no-cache"]
    steps: list[tuple[str, list[str], Path | None]] = [
        ("ds_1proc", [sys.executable, "-c", b.DETECT_SECRETS_ONE_PROCESS], fleet),
        ("pafix_jobs1", pafix + ["--jobs", "1", "-o", str(tmp / "j1.json"), str(fleet)], None),
        ("ds_all", [detect, "scan", "--all-files", "."], fleet),
        ("pafix_jobsN", pafix + ["--jobs", str(jobs), "-o", str(tmp / "jN.json"), str(fleet)], None),
    ]
    if reverse:  # pafix first, then detect-secrets, so neither always meets the same minute
        steps = [steps[1], steps[0], steps[3], steps[2]]
    got: dict[str, dict[str, float]] = {}
    for name, cmd, cwd in steps:
        got[name] = b.measure(cmd, stdout=tmp / f"{name}.out" if cwd is not None else None, cwd=cwd)
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fleet", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    detect = shutil.which("detect-secrets", path=str(Path(sys.executable).parent)) or shutil.which("detect-secrets")
    if detect is None:
        raise SystemExit("detect-secrets is not installed (pip install '.[bench]')")
    fleet = args.fleet.resolve()
    report: dict[str, Any] = {"benchmark": "pafix vs detect-secrets, interleaved rounds", "fleet": str(fleet),
                              "src": str(b.SRC), "jobs": args.jobs, "rounds": [],
                              "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                              "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            runs = _round(fleet, detect, args.jobs, Path(tmp), reverse=r % 2 == 1)
            ratios = {f"{name}_{unit}": round(runs[ds][f"{unit}_s"] / runs[pf][f"{unit}_s"], 2)
                      for name, (ds, pf) in RATIOS.items() for unit in ("cpu", "wall")}
            report["rounds"].append({"runs": runs, "ratios": ratios})
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {v}×" for k, v in ratios.items()), flush=True)
    keys = report["rounds"][0]["ratios"].keys()
    report["ratios"] = {k: {"median": statistics.median(x["ratios"][k] for x in report["rounds"]),
                            "min": min(x["ratios"][k] for x in report["rounds"]),
                            "max": max(x["ratios"][k] for x in report["rounds"])} for k in keys}
    report["load_after"] = os.getloadavg()
    print(json.dumps(report["ratios"], indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
