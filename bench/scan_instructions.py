"""Instructions executed by two checkouts' ``pafix scan``, counted by valgrind: a measure of
work that does not move with the load of a shared machine.

    python bench/scan_instructions.py --before /path/to/main/src --after src DIR [DIR...] \
        [--jobs 2] [--out FILE]

CPU seconds on this 2-CPU machine shared by several sessions move by 10-15% from run to run
(``scan_ab.py`` interleaves rounds to cope); a change worth 2% does not show in them. This
runs each side's ``python -m pafix scan --no-cache --format json --min-confidence low --jobs N
DIR...`` once under ``valgrind --tool=cachegrind --cache-sim=no --trace-children=yes`` (about
40 times slower: use a few hundred flows, e.g. /tmp/f300) and adds up the instructions of every
process, with ``PYTHONHASHSEED=0``: the same code on the same files gives the same count to
within a few hundredths of a percent.

A forked child's count starts from its parent's at the fork. With ``--jobs`` > 1 the script
therefore runs each side a second time, stopped where the pool is created (``ProcessPoolExecutor``
replaced by an exit), and subtracts that count from each worker's: ``workers`` is what the
workers did after the fork, ``total`` the parent's count plus theirs. Both JSON reports are
compared (but for ``stats.seconds``). Instructions are not time (a cache miss costs more than
an add): a counting aid next to ``scan_ab.py``, not a replacement. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: run pafix's CLI, stopping at the creation of the process pool (the count up to the fork)
STOP_AT_POOL = (
    "import concurrent.futures, os, runpy, sys\n"
    "class _Stop:\n"
    "    def __init__(self, *args, **kwargs):\n"
    "        os._exit(0)\n"
    "concurrent.futures.ProcessPoolExecutor = _Stop\n"
    "sys.argv = ['pafix'] + sys.argv[1:]\n"
    "runpy.run_module('pafix', run_name='__main__')\n"
)


def _count(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit(f"{path}: no summary line")


def _valgrind(src: Path, python_args: list[str], out_dir: str, children: bool) -> tuple[int, dict[int, int], str]:
    """The top process's pid, each process's instruction count, and stdout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src.resolve())
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for old in glob.glob(os.path.join(out_dir, "cg.*")):
        os.remove(old)
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--trace-children={'yes' if children else 'no'}",
           f"--cachegrind-out-file={out_dir}/cg.%p", sys.executable, *python_args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout, _ = proc.communicate()
    counts = {int(p.rsplit(".", 1)[1]): _count(p) for p in glob.glob(os.path.join(out_dir, "cg.*"))}
    return proc.pid, counts, stdout


def measure(src: Path, dirs: list[str], jobs: int) -> dict[str, Any]:
    scan = ["scan", "--no-cache", "--format", "json", "--min-confidence", "low", "--jobs", str(jobs), *dirs]
    with tempfile.TemporaryDirectory() as tmp:
        top, counts, stdout = _valgrind(src, ["-m", "pafix", *scan], tmp, children=True)
        report = json.loads(stdout)
        report.get("stats", {}).pop("seconds", None)
        parent = counts.pop(top)
        at_fork = 0
        if counts:
            _, stopped, _ = _valgrind(src, ["-c", STOP_AT_POOL, *scan], tmp, children=False)
            at_fork = sum(stopped.values())
    workers = sum(c - at_fork for c in counts.values())
    return {"parent": parent, "at_fork": at_fork, "workers": workers, "processes": 1 + len(counts),
            "total": parent + workers, "report": report}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--before", type=Path, required=True, help="src folder of the code before")
    ap.add_argument("--after", type=Path, required=True, help="src folder of the code after")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sides: dict[str, dict[str, Any]] = {}
    for side, src in (("before", args.before), ("after", args.after)):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
        sides[side] = measure(src, args.dirs, args.jobs)
        s = sides[side]
        print(f"{side}: total {s['total'] / 1e9:.3f} G instructions (parent {s['parent'] / 1e9:.3f}, "
              f"workers {s['workers'] / 1e9:.3f} after a fork at {s['at_fork'] / 1e9:.3f}, {s['processes']} processes)")
    identical = sides["before"].pop("report") == sides["after"].pop("report")
    if not identical:
        raise SystemExit("the two JSON reports differ")
    ratio = sides["before"]["total"] / sides["after"]["total"]
    print(f"before / after: {ratio:.4f}")
    if args.out:
        doc = {"dirs": args.dirs, "jobs": args.jobs, "before_src": str(args.before), "after_src": str(args.after),
               "reports_identical": identical, "ratio": round(ratio, 4), **sides}
        args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
