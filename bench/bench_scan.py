"""Scan benchmark: pafix against a lex-only floor and detect-secrets, on the same files.

    python bench/bench_scan.py                     # generate the corpus if needed, run everything
    python bench/bench_scan.py --skip-detect-secrets --flows 300

One run measures, on the corpus made by ``gen_corpus.py`` (2,000 flows, ~400,000 lines):

* ``pafix scan`` with 1 process, with every CPU, then with a cold and a warm result cache;
* the parser alone and a lex-only floor (one Python regex pass over the same code: the
  practical limit of a Python scanner), both in one process;
* ``detect-secrets scan --all-files`` on the same folder (it uses every CPU), and detect-secrets'
  own scan of the same files in one process (its CLI has no option for that);
* ``pafix scan`` of one 50,000-line flow.

Each measurement runs in a child process: wall time, CPU time (user + system of the child and
its workers) and peak memory (the largest RSS of one process, from ``getrusage``, and the
largest sum over the process tree, sampled from ``/proc``). Throughput is lines per second of
wall time; ``cpu_lines_per_s`` (lines per CPU-second) is the figure that survives a busy
machine. The planted leaks of the manifest must all be found, and the JSON reports of
``--jobs 1`` and ``--jobs N`` must be identical (but for ``seconds``).

With ``--before SRC`` every pafix measurement also runs with the pafix sources under ``SRC``
(the baseline: a checkout of the code before a change), interleaved with the code measured,
the first side alternating from repeat to repeat; the JSON then has a ``before`` section and
``speedup_cpu_before_vs_after``, and the reports of both sides must be identical.

Results: ``bench/results/scan_bench.json``; ``docs/performance.md`` explains the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# outside the repository: detect-secrets skips files under a git work tree it was not started in
DEFAULT_WORK = Path(tempfile.gettempdir()) / "pafix-bench"
DEFAULT_OUT = BENCH / "results" / "scan_bench.json"


#: the pafix sources measured (--src: another checkout's, for before/after figures)
SRC = Path(os.environ.get("PAFIX_BENCH_SRC") or ROOT / "src")


def _env(src: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    path = str(src or SRC)
    env["PYTHONPATH"] = path + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both sides run from bytecode, compiled once
    return env


# ---- measuring one command -------------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over ``root`` and its descendants (Linux /proc; 0 elsewhere)."""
    try:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read().decode("ascii", "replace")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        total = 0
        stack = [root]
        while stack:
            pid = stack.pop()
            stack.extend(children.get(pid, []))
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                            break
            except OSError:
                pass
        return total
    except OSError:
        return 0


def measure(cmd: list[str], *, stdout: Path | None = None, cwd: Path | None = None,
            src: Path | None = None) -> dict[str, float]:
    """Run ``cmd`` (inside a fresh wrapper process, so that rusage covers it alone) with the
    pafix sources under ``src`` (default: :data:`SRC`)."""
    src = src or SRC
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--_measure",
               json.dumps({"cmd": cmd, "stdout": str(stdout) if stdout else None,
                           "cwd": str(cwd) if cwd else None, "src": str(src)})]
    out = subprocess.run(wrapper, env=_env(src), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"measuring {' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest of repeated runs (a busy machine only ever slows a run down); peak memory
    is the highest seen in any of them."""
    out = dict(min(runs, key=lambda m: m["wall_s"]))
    out["peak_rss_mb"] = max(m["peak_rss_mb"] for m in runs)
    out["peak_tree_rss_mb"] = max(m["peak_tree_rss_mb"] for m in runs)
    out["runs"] = len(runs)
    out["wall_s_all"] = [m["wall_s"] for m in runs]  # type: ignore[assignment]
    return out


def _measure_child(spec: str) -> int:
    args = json.loads(spec)
    sink = open(args["stdout"], "wb") if args["stdout"] else subprocess.DEVNULL
    peak_tree = 0
    started = time.perf_counter()
    proc = subprocess.Popen(args["cmd"], stdout=sink, stderr=subprocess.PIPE, env=_env(Path(args["src"])),
                            cwd=args["cwd"])
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree_rss_kb(proc.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # pafix: 1 = findings
        sys.stderr.write(err.decode("utf-8", "replace"))
        return 1
    print(json.dumps({
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_rss_mb": round(peak_tree / 1024, 1),
        "exit": proc.returncode,
    }))
    return 0


# ---- in-process probes (bench/probes.py, run as children) -------------------------------------


def probe(mode: str, corpus: Path, src: Path | None = None) -> dict[str, float]:
    """Run an in-process probe; it reports (lines, seconds of its timed loop, extra)."""
    out = subprocess.run([sys.executable, str(BENCH / "probes.py"), mode, str(corpus)], env=_env(src),
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    lines, seconds, extra = out.stderr.strip().splitlines()[-1].split()
    return {"lines": int(lines), "seconds": round(float(seconds), 3), "extra": int(extra),
            "lines_per_s": round(int(lines) / float(seconds))}


# ---- the benchmark -------------------------------------------------------------------------


def ensure_corpus(work: Path, flows: int, seed: int, source: Path | None, single_lines: int) -> tuple[Path, Path]:
    fleet = work / f"fleet-{flows}-{seed}"
    single = work / f"single-{single_lines}-{seed}"
    gen = [sys.executable, str(BENCH / "gen_corpus.py"), "--seed", str(seed)]
    if source is not None:
        gen += ["--source", str(source)]
    if not (fleet / "manifest.json").is_file():
        shutil.rmtree(fleet, ignore_errors=True)
        subprocess.run(gen + ["--out", str(fleet), "--flows", str(flows)], check=True, env=_env())
    if single_lines and not (single / "manifest.json").is_file():
        shutil.rmtree(single, ignore_errors=True)
        subprocess.run(gen + ["--out", str(single), "--single-lines", str(single_lines)], check=True, env=_env())
    return fleet, single


def _strip_seconds(path: Path) -> dict[str, object]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["stats"].pop("seconds", None)
    return doc


def check_leaks(report: Path, corpus: Path) -> dict[str, int]:
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    doc = json.loads(report.read_text(encoding="utf-8"))
    found = {(Path(f["path"]).resolve(), f["line"], f["rule"]) for f in doc["findings"]}
    missed = [m for m in manifest["leaks"] if ((corpus / m["file"]).resolve(), m["line"], m["rule"]) not in found]
    return {"planted": len(manifest["leaks"]), "found": len(manifest["leaks"]) - len(missed),
            "parse_errors": len(doc["errors"])}


def rate(lines: int, seconds: float) -> int:
    return round(lines / seconds) if seconds > 0 else 0


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 2 and sys.argv[1] == "--_measure":
        return _measure_child(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the corpora are generated (kept)")
    ap.add_argument("--source", type=Path, default=None, help="real flows (default: gen_corpus's)")
    ap.add_argument("--flows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--single-lines", type=int, default=50000)
    ap.add_argument("--jobs", type=int, default=None, help="processes for the parallel runs (default: CPUs)")
    ap.add_argument("--skip-detect-secrets", action="store_true")
    ap.add_argument("--skip-single", action="store_true", help="skip the single-flow case")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each pafix measurement this many times and keep the fastest (detect-secrets: once)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--src", type=Path, default=None, help="measure the pafix package under this folder instead")
    ap.add_argument("--before", type=Path, default=None,
                    help="also measure the pafix package under this folder (the baseline), interleaved")
    args = ap.parse_args(argv)
    if args.src is not None:
        global SRC
        SRC = args.src.resolve()
        os.environ["PAFIX_BENCH_SRC"] = str(SRC)  # for the --_measure children

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = args.jobs or cpus
    fleet, single = ensure_corpus(args.work, args.flows, args.seed, args.source, args.single_lines)
    manifest = json.loads((fleet / "manifest.json").read_text(encoding="utf-8"))
    lines = int(manifest["lines"])
    # "after" is the code measured; "before" (--before) its baseline, measured in the same run:
    # each measurement runs on both sides in turn, the first side alternating from repeat to repeat
    sides: dict[str, Path] = {"after": SRC}
    if args.before is not None:
        sides = {"before": args.before.resolve(), "after": SRC}
    for src in sides.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
    pafix = [sys.executable, "-m", "pafix", "scan", "--format", "json"]
    tmp = Path(tempfile.mkdtemp(prefix="pafix-bench-"))
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    res: dict[str, Any] = {
        "corpus": {"flows": manifest["flows"], "lines": lines, "bytes": manifest["bytes"],
                   "trailer_flows": manifest.get("trailer_flows"), "seed": args.seed},
        "src": str(SRC),
        "repeat": args.repeat,
        "machine": {"cpus": cpus, "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_before": load_before},
    }
    runs: dict[str, dict[str, dict[str, Any]]] = {side: {} for side in sides}
    n = args.repeat

    def report(side: str, name: str, m: dict[str, Any], n_lines: int = lines) -> None:
        m = dict(m, lines_per_s=rate(n_lines, m["wall_s"]), cpu_lines_per_s=rate(n_lines, m["cpu_s"]))
        runs[side][name] = m
        print(f"{side:<6} {name:<24} {m['wall_s']:>8.2f} s wall {m['cpu_s']:>8.2f} s cpu "
              f"{m['lines_per_s']:>9,} lines/s {m['peak_rss_mb']:>7.1f} MB peak ({m['peak_tree_rss_mb']:.1f} MB tree)",
              flush=True)

    def orders() -> list[list[str]]:
        """The order of the sides in each repeat: alternating, so a slow minute hits both."""
        names = list(sides)
        return [names if r % 2 == 0 else names[::-1] for r in range(n)]

    def both(name: str, cmd_for: Any, n_lines: int = lines) -> None:
        got: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for order in orders():
            for side in order:
                got[side].append(measure(cmd_for(side), src=sides[side]))
        for side in sides:
            report(side, name, best(got[side]), n_lines)

    def out(side: str, name: str) -> Path:
        return tmp / f"{side}-{name}"

    parse_only: dict[str, dict[str, float]] = {}
    lex_only: dict[str, dict[str, float]] = {}
    try:
        both("pafix_jobs1", lambda side: pafix + ["--no-cache", "--jobs", "1", "-o", str(out(side, "jobs1.json")),
                                                  str(fleet)])
        both(f"pafix_jobs{jobs}", lambda side: pafix + ["--no-cache", "--jobs", str(jobs), "-o",
                                                        str(out(side, "jobsN.json")), str(fleet)])
        if jobs != 2 and cpus >= 2:
            both("pafix_jobs2", lambda side: pafix + ["--no-cache", "--jobs", "2", "-o", str(out(side, "j2.json")),
                                                      str(fleet)])
        # the cache, with the default (text) report: cold, warm, then warm again with --format json
        # (the JSON report alone costs ~0.2 s: Python's json encoder is pure Python with indent)
        text_scan = [sys.executable, "-m", "pafix", "scan"]
        cache_runs: dict[str, dict[str, list[dict[str, float]]]] = {
            side: {"cold": [], "warm": [], "warm_json": []} for side in sides}
        for r, order in enumerate(orders()):
            for side in order:
                cache = out(side, f"cache{r}")  # a fresh cache for each cold run
                got = cache_runs[side]
                got["cold"].append(measure(text_scan + ["--cache-dir", str(cache), "--jobs", str(jobs), "-o",
                                                        str(out(side, "cold.txt")), str(fleet)], src=sides[side]))
                got["warm"].append(measure(text_scan + ["--cache-dir", str(cache), "--jobs", str(jobs), "-o",
                                                        str(out(side, "warm.txt")), str(fleet)], src=sides[side]))
                got["warm_json"].append(measure(pafix + ["--cache-dir", str(cache), "--jobs", str(jobs), "-o",
                                                         str(out(side, "warm.json")), str(fleet)], src=sides[side]))
        for side in sides:
            for kind, got_runs in cache_runs[side].items():
                report(side, f"pafix_cache_{kind}", best(got_runs))
        # no speed bought with findings: every report of every side is the same
        reports = [_strip_seconds(out(side, name)) for side in sides for name in ("jobs1.json", "jobsN.json",
                                                                                   "warm.json")]
        same = all(r == reports[0] for r in reports)
        leaks = check_leaks(out("after", "jobs1.json"), fleet)
        for order in orders():
            for side in order:
                for mode, into in (("parse", parse_only), ("lex", lex_only)):
                    p = probe(mode, fleet, sides[side])
                    if side not in into or p["seconds"] < into[side]["seconds"]:
                        into[side] = p
        for side in sides:
            print(f"{side:<6} {'parser only (1 process)':<24} {parse_only[side]['seconds']:>8.2f} s "
                  f"{parse_only[side]['lines_per_s']:>9,} lines/s")
            print(f"{side:<6} {'lex-only floor (1 process)':<24} {lex_only[side]['seconds']:>8.2f} s "
                  f"{lex_only[side]['lines_per_s']:>9,} lines/s ({lex_only[side]['extra']:,} tokens)")
        if args.single_lines and not args.skip_single:
            single_lines = json.loads((single / "manifest.json").read_text(encoding="utf-8"))["lines"]
            both("pafix_single_flow", lambda side: pafix + ["--no-cache", "--jobs", "1", "-o",
                                                            str(out(side, "single.json")), str(single)], single_lines)
            res["single_flow"] = {"lines": single_lines, "leaks": check_leaks(out("after", "single.json"), single)}
        if not args.skip_detect_secrets:
            # the one beside this Python (a venv's bin/ need not be on PATH), else the PATH's
            detect = shutil.which("detect-secrets", path=str(Path(sys.executable).parent)) or shutil.which("detect-secrets")
            if detect is None:
                print("detect-secrets is not installed (pip install '.[bench]'): skipped", file=sys.stderr)
            else:
                # started in the corpus folder: detect-secrets ignores paths outside its folder
                ds = measure([detect, "scan", "--all-files", "."], stdout=tmp / "ds.json", cwd=fleet)
                ds1 = measure([sys.executable, "-c", DETECT_SECRETS_ONE_PROCESS], stdout=tmp / "ds1.json", cwd=fleet)
                for side in sides:
                    report(side, "detect_secrets", ds)
                    report(side, "detect_secrets_1proc", ds1)
                ds_doc = json.loads((tmp / "ds.json").read_text(encoding="utf-8"))
                res["detect_secrets"] = {"files_with_results": len(ds_doc.get("results", {})),
                                         "secrets": sum(len(v) for v in ds_doc.get("results", {}).values()),
                                         "one_process_secrets": json.loads((tmp / "ds1.json").read_text())["secrets"]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ratios = {side: _ratios(runs[side], parse_only[side], lex_only[side], lines, jobs, cpus) for side in sides}
    sides_result = {side: {"src": str(sides[side]), "runs": runs[side], "parse_only": parse_only[side],
                                   "lex_only": lex_only[side], "ratios": ratios[side]} for side in sides}
    res.update(sides_result["after"])
    if "before" in sides:
        res["before"] = sides_result["before"]
        res["speedup_cpu_before_vs_after"] = {
            name: round(runs["before"][name]["cpu_s"] / m["cpu_s"], 3)
            for name, m in runs["after"].items() if name in runs["before"] and not name.startswith("detect")}
    res.update(leaks=leaks, identical_reports=same,
               peak_memory_mb=max(r["peak_tree_rss_mb"] for k, r in runs["after"].items() if k.startswith("pafix")),
               loadavg_after=os.getloadavg() if hasattr(os, "getloadavg") else None,
               date=time.strftime("%Y-%m-%d %H:%M:%S"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"ratios": ratios, "speedup": res.get("speedup_cpu_before_vs_after"), "leaks": leaks,
                      "identical": same, "loadavg": [load_before, res["loadavg_after"]]}, indent=1))
    print(f"wrote {args.out}")
    return 0 if same and leaks["found"] == leaks["planted"] else 1


#: detect-secrets' own scan (the plugins and filters of ``detect-secrets scan --all-files``) in
#: one process: its CLI always starts one worker per CPU
DETECT_SECRETS_ONE_PROCESS = """
import json, os
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings
files = sorted(os.path.relpath(os.path.join(d, f)) for d, _, fs in os.walk('.') for f in fs)
with default_settings():
    found = SecretsCollection()
    for name in files:
        found.scan_file(name)
print(json.dumps({"files": len(files), "secrets": sum(len(v) for v in found.json().values())}))
"""


def _ratios(runs: dict[str, Any], parse_only: dict[str, float], lex_only: dict[str, float], lines: int,
            jobs: int, cpus: int) -> dict[str, Any]:
    """The figures of one side: parallel speed-up, cache, the floors, detect-secrets."""
    par = runs[f"pafix_jobs{jobs}"]
    one = runs["pafix_jobs1"]
    two = runs.get("pafix_jobs2", par if jobs == 2 else None)
    ratios: dict[str, Any] = {
        "parallel_speedup_2_vs_1": round(one["wall_s"] / two["wall_s"], 2) if two else None,
        f"parallel_speedup_{jobs}_vs_1": round(one["wall_s"] / par["wall_s"], 2),
        "warm_vs_cold_cache": round(runs["pafix_cache_cold"]["wall_s"] / runs["pafix_cache_warm"]["wall_s"], 1),
        "warm_json_vs_cold_json": round(par["wall_s"] / runs["pafix_cache_warm_json"]["wall_s"], 1),
        "pafix_vs_lex_floor": round(rate(lines, one["wall_s"]) / lex_only["lines_per_s"], 3),
        "parser_vs_lex_floor": round(parse_only["lines_per_s"] / lex_only["lines_per_s"], 3),
    }
    if "detect_secrets" in runs:
        ds, ds1 = runs["detect_secrets"], runs["detect_secrets_1proc"]
        ratios["pafix_vs_detect_secrets_all_cpus_wall"] = round(ds["wall_s"] / par["wall_s"], 2)
        ratios["pafix_vs_detect_secrets_all_cpus_cpu"] = round(ds["cpu_s"] / par["cpu_s"], 2)
        ratios["pafix_vs_detect_secrets_1proc_wall"] = round(ds1["wall_s"] / one["wall_s"], 2)
        ratios["pafix_vs_detect_secrets_1proc_cpu"] = round(ds1["cpu_s"] / one["cpu_s"], 2)
    return ratios


if __name__ == "__main__":
    raise SystemExit(main())
