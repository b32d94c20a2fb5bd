"""Scan benchmark: pafix against a lex-only floor and detect-secrets, on the same files.

    python bench/bench_scan.py                     # generate the corpus if needed, run everything
    python bench/bench_scan.py --skip-detect-secrets --flows 300

One run measures, on the corpus made by ``gen_corpus.py`` (2,000 flows, ~400,000 lines):

* ``pafix scan`` with 1 process, with every CPU, then with a cold and a warm result cache;
* the parser alone and a lex-only floor (one Python regex pass over the same code: the
  practical limit of a Python scanner), both in one process;
* ``detect-secrets scan --all-files`` on the same folder (it uses every CPU by default);
* ``pafix scan`` of one 50,000-line flow.

Each measurement runs in a child process: wall time, CPU time (user + system of the child and
its workers) and peak memory (the largest RSS of one process, from ``getrusage``, and the
largest sum over the process tree, sampled from ``/proc``). Throughput is lines per second of
wall time; ``cpu_lines_per_s`` (lines per CPU-second) is the figure that survives a busy
machine. The planted leaks of the manifest must all be found, and the JSON reports of
``--jobs 1`` and ``--jobs N`` must be identical (but for ``seconds``).

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


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(SRC)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
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


def measure(cmd: list[str], *, stdout: Path | None = None, cwd: Path | None = None) -> dict[str, float]:
    """Run ``cmd`` (inside a fresh wrapper process, so that rusage covers it alone)."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--_measure",
               json.dumps({"cmd": cmd, "stdout": str(stdout) if stdout else None,
                           "cwd": str(cwd) if cwd else None})]
    out = subprocess.run(wrapper, env=_env(), capture_output=True, text=True, check=False)
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
    proc = subprocess.Popen(args["cmd"], stdout=sink, stderr=subprocess.PIPE, env=_env(), cwd=args["cwd"])
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


def probe(mode: str, corpus: Path) -> dict[str, float]:
    """Run an in-process probe; it reports (lines, seconds of its timed loop, extra)."""
    out = subprocess.run([sys.executable, str(BENCH / "probes.py"), mode, str(corpus)], env=_env(),
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
    pafix = [sys.executable, "-m", "pafix", "scan", "--format", "json"]
    tmp = Path(tempfile.mkdtemp(prefix="pafix-bench-"))
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    res: dict[str, object] = {
        "corpus": {"flows": manifest["flows"], "lines": lines, "bytes": manifest["bytes"],
                   "trailer_flows": manifest.get("trailer_flows"), "seed": args.seed},
        "src": str(SRC),
        "repeat": args.repeat,
        "machine": {"cpus": cpus, "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_before": load_before},
    }
    runs: dict[str, dict[str, Any]] = {}

    def report(name: str, m: dict[str, Any], n_lines: int = lines) -> None:
        m = dict(m, lines_per_s=rate(n_lines, m["wall_s"]), cpu_lines_per_s=rate(n_lines, m["cpu_s"]))
        runs[name] = m
        print(f"{name:<26} {m['wall_s']:>8.2f} s wall {m['cpu_s']:>8.2f} s cpu {m['lines_per_s']:>9,} lines/s"
              f" {m['peak_rss_mb']:>7.1f} MB peak ({m['peak_tree_rss_mb']:.1f} MB tree)", flush=True)

    try:
        out1, outn = tmp / "jobs1.json", tmp / f"jobs{jobs}.json"
        n = args.repeat
        report("pafix_jobs1", best([measure(pafix + ["--no-cache", "--jobs", "1", "-o", str(out1), str(fleet)])
                                    for _ in range(n)]))
        report(f"pafix_jobs{jobs}", best([measure(pafix + ["--no-cache", "--jobs", str(jobs), "-o", str(outn),
                                                           str(fleet)]) for _ in range(n)]))
        if jobs != 2 and cpus >= 2:
            report("pafix_jobs2", best([measure(pafix + ["--no-cache", "--jobs", "2", "-o", str(tmp / "j2.json"),
                                                         str(fleet)]) for _ in range(n)]))
        # the cache, with the default (text) report: cold, warm, then warm again with --format json
        # (the JSON report alone costs ~0.2 s: Python's json encoder is pure Python with indent)
        text_scan = [sys.executable, "-m", "pafix", "scan"]
        cold, warm, warm_json = [], [], []
        for r in range(n):
            cache = tmp / f"cache{r}"  # a fresh cache for each cold run
            cold.append(measure(text_scan + ["--cache-dir", str(cache), "--jobs", str(jobs), "-o",
                                             str(tmp / "cold.txt"), str(fleet)]))
            warm.append(measure(text_scan + ["--cache-dir", str(cache), "--jobs", str(jobs), "-o",
                                             str(tmp / "warm.txt"), str(fleet)]))
            warm_json.append(measure(pafix + ["--cache-dir", str(cache), "--jobs", str(jobs), "-o",
                                              str(tmp / "warm.json"), str(fleet)]))
        report("pafix_cache_cold", best(cold))
        report("pafix_cache_warm", best(warm))
        report("pafix_cache_warm_json", best(warm_json))
        same = _strip_seconds(out1) == _strip_seconds(outn) == _strip_seconds(tmp / "warm.json")
        leaks = check_leaks(out1, fleet)
        parse_only = min((probe("parse", fleet) for _ in range(n)), key=lambda p: p["seconds"])
        lex_only = min((probe("lex", fleet) for _ in range(n)), key=lambda p: p["seconds"])
        print(f"{'parser only (1 process)':<26} {parse_only['seconds']:>8.2f} s {parse_only['lines_per_s']:>9,} lines/s")
        print(f"{'lex-only floor (1 process)':<26} {lex_only['seconds']:>8.2f} s {lex_only['lines_per_s']:>9,} lines/s"
              f" ({lex_only['extra']:,} tokens)")
        if args.single_lines and not args.skip_single:
            single_lines = json.loads((single / "manifest.json").read_text(encoding="utf-8"))["lines"]
            report("pafix_single_flow", best([measure(pafix + ["--no-cache", "--jobs", "1", "-o",
                                                               str(tmp / "single.json"), str(single)])
                                              for _ in range(n)]), single_lines)
            res["single_flow"] = {"lines": single_lines, "leaks": check_leaks(tmp / "single.json", single)}
        if not args.skip_detect_secrets:
            if shutil.which("detect-secrets") is None:
                print("detect-secrets is not installed (pip install '.[bench]'): skipped", file=sys.stderr)
            else:
                # started in the corpus folder: detect-secrets ignores paths outside its folder
                report("detect_secrets", measure(["detect-secrets", "scan", "--all-files", "."],
                                                 stdout=tmp / "ds.json", cwd=fleet))
                ds_doc = json.loads((tmp / "ds.json").read_text(encoding="utf-8"))
                res["detect_secrets"] = {"files_with_results": len(ds_doc.get("results", {})),
                                         "secrets": sum(len(v) for v in ds_doc.get("results", {}).values())}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    par = runs[f"pafix_jobs{jobs}"]
    one = runs["pafix_jobs1"]
    two = runs.get("pafix_jobs2", par if jobs == 2 else None)
    ratios: dict[str, object] = {
        "parallel_speedup_2_vs_1": round(one["wall_s"] / two["wall_s"], 2) if two else None,
        f"parallel_speedup_{jobs}_vs_1": round(one["wall_s"] / par["wall_s"], 2),
        "warm_vs_cold_cache": round(runs["pafix_cache_cold"]["wall_s"] / runs["pafix_cache_warm"]["wall_s"], 1),
        "warm_json_vs_cold_json": round(par["wall_s"] / runs["pafix_cache_warm_json"]["wall_s"], 1),
        "pafix_vs_lex_floor": round(rate(lines, one["wall_s"]) / lex_only["lines_per_s"], 3),
        "parser_vs_lex_floor": round(parse_only["lines_per_s"] / lex_only["lines_per_s"], 3),
    }
    if "detect_secrets" in runs:
        ds = runs["detect_secrets"]
        ratios["pafix_vs_detect_secrets_wall"] = round(ds["wall_s"] / par["wall_s"], 2)
        ratios["pafix_vs_detect_secrets_cpu"] = round(ds["cpu_s"] / par["cpu_s"], 2)
    res.update(runs=runs, parse_only=parse_only, lex_only=lex_only, ratios=ratios,
               leaks=leaks, identical_reports_jobs1_jobsN_warm=same,
               peak_memory_mb=max(r["peak_tree_rss_mb"] for k, r in runs.items() if k.startswith("pafix")),
               loadavg_after=os.getloadavg() if hasattr(os, "getloadavg") else None,
               date=time.strftime("%Y-%m-%d %H:%M:%S"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"ratios": ratios, "leaks": leaks, "identical": same, "loadavg": [load_before, res["loadavg_after"]]}))
    print(f"wrote {args.out}")
    return 0 if same and leaks["found"] == leaks["planted"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
