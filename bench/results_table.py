"""Print the Markdown tables of ``docs/performance.md`` from the benchmark's JSON results.

    python bench/results_table.py [bench/results/scan_bench.json [bench/results/scan_bench_before.json]]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _row(name: str, m: dict[str, Any] | None, note: str = "") -> str:
    if m is None:
        return f"| {name} | – | – | – | – | {note} |"
    return (f"| {name} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | {m['lines_per_s']:,} | "
            f"{m['peak_tree_rss_mb']:.0f} | {note} |")


def main(argv: list[str]) -> int:
    after = _load(Path(argv[0]) if argv else RESULTS / "scan_bench.json")
    before = _load(Path(argv[1]) if len(argv) > 1 else RESULTS / "scan_bench_before.json")
    if after is not None and "before" in after:  # measured in the same run (bench_scan.py --before)
        before = after["before"]
    if after is None:
        print("no results: run bench/bench_scan.py first", file=sys.stderr)
        return 1
    c = after["corpus"]
    runs = after["runs"]
    r = after["ratios"]
    print(f"Corpus: {c['flows']:,} flows, {c['lines']:,} lines, {c['bytes'] / 1e6:.1f} MB "
          f"({c['trailer_flows']} with a ControlRepository trailer), seed {c['seed']}; "
          f"{after['machine']['cpus']} CPUs, Python {after['machine']['python']}, "
          f"best of {after.get('repeat', 1)} run(s), {after['date']}.\n")
    print("| run | wall s | CPU s | lines/s (wall) | peak MB (process tree) | |")
    print("|---|---:|---:|---:|---:|---|")
    jobs = max(int(k.removeprefix("pafix_jobs")) for k in runs if k.startswith("pafix_jobs"))
    print(_row("`pafix scan --jobs 1`", runs.get("pafix_jobs1")))
    print(_row(f"`pafix scan --jobs {jobs}` (all CPUs)", runs.get(f"pafix_jobs{jobs}")))
    print(_row("`pafix scan`, cold cache", runs.get("pafix_cache_cold"), "default text report"))
    print(_row("`pafix scan`, warm cache", runs.get("pafix_cache_warm"), "default text report"))
    print(_row("`pafix scan --format json`, warm cache", runs.get("pafix_cache_warm_json")))
    p, lx = after["parse_only"], after["lex_only"]
    print(f"| parser alone (1 process) | {p['seconds']:.2f} | | {p['lines_per_s']:,} | | |")
    print(f"| lex-only floor (1 process) | {lx['seconds']:.2f} | | {lx['lines_per_s']:,} | | "
          f"{lx['extra']:,} tokens |")
    if "detect_secrets" in runs:
        print(_row("`detect-secrets scan --all-files` (all CPUs)", runs["detect_secrets"]))
    if "detect_secrets_1proc" in runs:
        print(_row("detect-secrets, same scan in one process", runs["detect_secrets_1proc"]))
    if "pafix_single_flow" in runs:
        sf = after["single_flow"]
        print(_row(f"one {sf['lines']:,}-line flow, `--jobs 1`", runs["pafix_single_flow"]))
    print()
    print("| ratio | value | target |")
    print("|---|---:|---|")
    if "pafix_vs_detect_secrets_wall" in r:  # results of bench_scan.py before round 4
        print(f"| pafix (all CPUs) vs detect-secrets (all CPUs), wall | {r['pafix_vs_detect_secrets_wall']}× | ≥ 10× |")
        print(f"| the same in CPU time | {r['pafix_vs_detect_secrets_cpu']}× | |")
    if "pafix_vs_detect_secrets_all_cpus_wall" in r:
        for who, label in (("all_cpus", "all CPUs each"), ("1proc", "one process each")):
            print(f"| pafix vs detect-secrets, {label}: wall | {r[f'pafix_vs_detect_secrets_{who}_wall']}× | ≥ 20× |")
            print(f"| pafix vs detect-secrets, {label}: CPU time | {r[f'pafix_vs_detect_secrets_{who}_cpu']}× | ≥ 20× |")
    print(f"| 2 processes vs 1 | {r['parallel_speedup_2_vs_1']}× | ≥ 1.7× |")
    print(f"| warm vs cold cache (text report) | {r['warm_vs_cold_cache']}× | ≥ 20× |")
    print(f"| warm vs cold cache (JSON report) | {r.get('warm_json_vs_cold_json')}× | |")
    print(f"| pafix `--jobs 1` / lex-only floor | {r['pafix_vs_lex_floor']:.3f} | |")
    print(f"| parser alone / lex-only floor | {r['parser_vs_lex_floor']:.3f} | |")
    print(f"| peak memory (largest process tree of a pafix run) | {after['peak_memory_mb']:.0f} MB | < 300 MB |")
    if "pafix_single_flow" in runs:
        print(f"| 50,000-line flow | {runs['pafix_single_flow']['wall_s']:.2f} s | < 10 s |")
    leaks = after["leaks"]
    print(f"| planted leaks found | {leaks['found']} / {leaks['planted']} | all |")
    print(f"| `--jobs 1`, `--jobs N` and warm-cache JSON reports identical | "
          f"{after.get('identical_reports', after.get('identical_reports_jobs1_jobsN_warm'))} | yes |")
    if before is not None:
        print()
        print("| before → after (same corpus) | before | after | speed-up |")
        print("|---|---:|---:|---:|")
        for key, label in (("pafix_jobs1", "`--jobs 1`, wall s"), (f"pafix_jobs{jobs}", f"`--jobs {jobs}`, wall s")):
            if key in before["runs"] and key in runs:
                b, a = before["runs"][key]["wall_s"], runs[key]["wall_s"]
                print(f"| {label} | {b:.2f} | {a:.2f} | {b / a:.2f}× |")
            if key in before["runs"] and key in runs:
                b, a = before["runs"][key]["cpu_s"], runs[key]["cpu_s"]
                print(f"| {label.replace('wall', 'CPU')} | {b:.2f} | {a:.2f} | {b / a:.2f}× |")
        b, a = before["parse_only"]["seconds"], after["parse_only"]["seconds"]
        print(f"| parser alone, s | {b:.2f} | {a:.2f} | {b / a:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
