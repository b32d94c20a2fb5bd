"""CPU time of one editor keystroke, two checkouts side by side, rounds interleaved.

    python bench/lsp_keystroke_ab.py --before /work/wt/base16/src --after src \\
        --lines 2000 20000 --edits 20 --rounds 5 [--edit statement] [--out bench/results/lsp_keystroke_ab.json]

A keystroke is what the server does with one ``didChange`` (bench/lsp_latency.py's edits: a
character typed into a quoted text in the middle of the flow, then removed): ``lint_text``
with the incremental re-parse from the last version and the reuse of the last check, then the
diagnostics' JSON with the server's memo (``DiagnosticMemo``), the line index of the new text
included (moved from the last one, ``LineIndex.edited``, where the checkout has it, as its server
does), under the server's collector settings (thresholds, what was loaded frozen, and its
``CheckCollector`` around each check where the checkout has one). Each round runs every flow size
once in a fresh process per checkout (``PYTHONPATH`` = that ``src``), the two checkouts in
alternating order, and times each keystroke in CPU seconds of the process
(``time.process_time``: waiting for a CPU another process holds is not counted). The flows are
built once, by this checkout's ``build_flow``. Both sides must give the same diagnostics
(compared by digest, keystroke by keystroke). Prints and writes median and p95 per side and
size, over all keystrokes of all rounds, and each round's median.

``--edit statement``: the keystroke is a whole top-level statement instead, a copy of the first
``Display.ShowMessageDialog.ShowMessage`` line at or after the middle line, pasted above it and
then removed (the statements below shift by one: chunks cut by count would all move).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
URI = "file:///bench.robin"


def worker(text_file: Path, edits: int) -> dict[str, Any]:
    """Runs in the child process: ``pafix`` is the checkout on ``PYTHONPATH``."""
    import gc

    import contextlib

    from pafix.guard import SCAN_GC_THRESHOLDS
    from pafix.lsp import lint as lint_module
    from pafix.lsp.convert import DiagnosticMemo, diagnostics
    from pafix.lsp.lint import lint_text
    from pafix.lsp.positions import LineIndex

    gc.set_threshold(*SCAN_GC_THRESHOLDS)  # the server's collector settings (lsp/server.py)
    gc.collect()
    gc.freeze()  # what the server has loaded at start is frozen too (server._tune_gc)
    # the server's collector policy around each check, where the checkout has one
    policy = getattr(lint_module, "CheckCollector", None)
    collector = policy() if policy is not None else contextlib.nullcontext()
    text = text_file.read_text(encoding="utf-8")
    at = int(os.environ["PAFIX_BENCH_AT"])
    added = os.environ.get("PAFIX_BENCH_INSERT", "x")  # a character, or a whole line (--edit statement)
    typed = text[:at] + added + text[at:]
    last = lint_text(text, "bench.robin")
    memo = DiagnosticMemo()
    index = LineIndex(text)
    diagnostics(URI, 1, last, index, "utf-16", suppress=False, memo=memo)
    # the server moves the last index by each change where the checkout can (LineIndex.edited)
    incremental = hasattr(LineIndex, "edited")
    cpu: list[float] = []
    parse: list[float] = []
    check: list[float] = []
    digests: list[str] = []
    for i in range(edits + 2):  # the first two warm the caches up and are not counted
        current = typed if i % 2 == 0 else text
        prev = last.checked
        t0 = time.process_time()
        # the server builds it when the change arrives: ``added`` typed at ``at``, then deleted
        if incremental:
            index = index.edited(at, at + (i % 2) * len(added), current)
        else:
            index = LineIndex(current)
        with collector:
            result = lint_text(current, "bench.robin", previous=prev.flow if prev else None, reuse=prev)
            diags = diagnostics(URI, i + 2, result, index, "utf-16", suppress=False, memo=memo)
        t1 = time.process_time()
        last = result
        if i < 2:
            continue
        cpu.append(t1 - t0)
        parse.append(result.timings["parse"])
        check.append(result.timings["check"])
        digests.append(hashlib.sha256(json.dumps([_seen(d) for d in diags], sort_keys=True).encode()).hexdigest()[:16])
    return {"cpu": cpu, "parse": parse, "check": check, "digests": digests, "findings": len(last.findings)}


def _seen(diag: dict[str, Any]) -> dict[str, Any]:
    """A diagnostic without the edits older servers carried in ``data`` (``fix``, ``remove``:
    since round 7 a code action makes them from the finding), so checkouts of either side of
    that change compare on what the diagnostics say and where."""
    data = diag.get("data")
    if not isinstance(data, dict):
        return diag
    return {**diag, "data": {k: v for k, v in data.items() if k not in ("fix", "remove")}}


def statement_spot(text: str) -> tuple[int, int, str]:
    """Where ``--edit statement`` pastes, and what: the start of the first message dialog line
    at or after the middle line, and a copy of that line."""
    lines = text.split("\n")
    for number in range(len(lines) // 2, len(lines)):
        if lines[number].startswith("Display.ShowMessageDialog.ShowMessage "):
            return number, 0, lines[number] + "\n"
    raise ValueError("no message dialog line after the middle of the flow")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_side(src: Path, text_file: Path, at: int, edits: int, added: str = "x") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src), "PAFIX_BENCH_AT": str(at), "PAFIX_BENCH_INSERT": added}
    out = subprocess.run([sys.executable, __file__, "--worker", str(text_file), str(edits)],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{src}: the worker failed\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ms(values: list[float]) -> dict[str, float]:
    v = [x * 1000 for x in values]
    return {"median_ms": round(statistics.median(v), 1), "p95_ms": round(percentile(v, 0.95), 1),
            "min_ms": round(min(v), 1), "max_ms": round(max(v), 1)}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(Path(sys.argv[2]), int(sys.argv[3]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="src/ of the checkout before")
    ap.add_argument("--after", type=Path, default=ROOT / "src", help="src/ of the checkout after")
    ap.add_argument("--lines", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--edit", choices=("char", "statement"), default="char",
                    help="a character typed into a quoted text (default) or a whole statement line pasted")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    from lsp_latency import build_flow, edit_spot

    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    report: dict[str, Any] = {"benchmark": "editor keystroke CPU (lint_text + diagnostics), interleaved",
                              "before": str(sides["before"]), "after": str(sides["after"]),
                              "edits": args.edits, "rounds": args.rounds, "edit": args.edit, "load_before": os.getloadavg(),
                              "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "flows": []}
    with tempfile.TemporaryDirectory() as tmp:
        flows = []
        for lines in args.lines:
            text = build_flow(lines)
            line, col, added = statement_spot(text) if args.edit == "statement" else (*edit_spot(text), "x")
            at = sum(len(x) + 1 for x in text.split("\n")[:line]) + col
            path = Path(tmp) / f"flow{lines}.robin"
            path.write_text(text, encoding="utf-8")
            flows.append((lines, text.count("\n"), path, at, added))
        results: dict[int, dict[str, list[dict[str, Any]]]] = {f[0]: {"before": [], "after": []} for f in flows}
        for r in range(args.rounds):
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for lines, _count, path, at, added in flows:
                for side in order:
                    results[lines][side].append(run_side(sides[side], path, at, args.edits, added))
                got = [results[lines][s][-1]["digests"] for s in ("before", "after")]
                assert got[0] == got[1], f"round {r}, {lines} lines: the diagnostics differ"
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    for lines, count, _path, _at, _added in flows:
        entry: dict[str, Any] = {"lines": count}
        for side in ("before", "after"):
            runs = results[lines][side]
            cpu = [x for run in runs for x in run["cpu"]]
            entry[side] = {**ms(cpu), "round_medians_ms": [round(statistics.median(run["cpu"]) * 1000, 1) for run in runs],
                           "parse_wall_median_ms": round(statistics.median(x for run in runs for x in run["parse"]) * 1000, 1),
                           "check_wall_median_ms": round(statistics.median(x for run in runs for x in run["check"]) * 1000, 1),
                           "findings": runs[-1]["findings"]}
        entry["speedup_median"] = round(entry["before"]["median_ms"] / entry["after"]["median_ms"], 2)
        entry["speedup_p95"] = round(entry["before"]["p95_ms"] / entry["after"]["p95_ms"], 2)
        report["flows"].append(entry)
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
