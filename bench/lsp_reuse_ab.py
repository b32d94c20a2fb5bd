"""The editor's check with and without reuse of the last check, in one process, edit by edit.

    PYTHONPATH=src python bench/lsp_reuse_ab.py --lines 2000 --edits 20 [--out FILE]

The flow and the edits are those of ``bench/lsp_latency.py`` (a character typed into a quoted
text in the middle of the flow, then removed). Each edit is checked twice, alternately first:
``lint_text`` with the incremental re-parse only (the code before), and with the reuse of the
last check as well (``reuse=``: plans of the call nodes kept, then the diagnostics of the
findings above the edit). Alternating within one process makes the comparison fair on a
shared machine whose speed drifts by the minute, and the times are CPU times of this process
(``time.process_time``: waiting for a CPU another process holds is not counted; wall-clock
parse and check times are reported too). The findings and diagnostics of both must be equal.
Prints and writes the medians and spreads.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from lsp_latency import build_flow, edit_spot  # noqa: E402
from pafix.guard import SCAN_GC_THRESHOLDS  # noqa: E402
from pafix.lsp.convert import DiagnosticMemo, diagnostics  # noqa: E402
from pafix.lsp.lint import lint_text  # noqa: E402
from pafix.lsp.positions import LineIndex  # noqa: E402

URI = "file:///bench.robin"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    gc.set_threshold(*SCAN_GC_THRESHOLDS)  # the server's collector settings (lsp/server.py)
    text = build_flow(args.lines)
    line, col = edit_spot(text)
    at = sum(len(x) + 1 for x in text.split("\n")[:line]) + col
    typed = text[:at] + "x" + text[at:]
    first = lint_text(text, "bench.robin")
    last = {"without": first, "with": first}
    memo = DiagnosticMemo()
    diagnostics(URI, 1, first, LineIndex(text), "utf-16", suppress=False, memo=memo)
    times: dict[str, list[tuple[float, float, float]]] = {"without": [], "with": []}
    for i in range(args.edits):
        current = typed if i % 2 == 0 else text
        index = LineIndex(current)
        out: dict[str, Any] = {}
        for side in (("with", "without") if i % 2 == 0 else ("without", "with")):
            prev = last[side].checked
            assert prev is not None
            t0 = time.process_time()
            result = lint_text(current, "bench.robin", previous=prev.flow, reuse=prev if side == "with" else None)
            diags = diagnostics(URI, i + 2, result, index, "utf-16", suppress=False,
                                memo=memo if side == "with" else None)
            t1 = time.process_time()
            times[side].append((t1 - t0, result.timings["parse"], result.timings["check"]))
            last[side] = result
            out[side] = (result.findings, diags)
        assert out["with"] == out["without"], "reuse changed the findings or the diagnostics"
    report: dict[str, Any] = {"lines": text.count("\n"), "edits": args.edits, "diagnostics": len(first.findings)}
    for side, values in times.items():
        total = [v[0] * 1000 for v in values]
        report[side] = {
            "cpu_median_ms": round(statistics.median(total), 1),
            "cpu_min_ms": round(min(total), 1), "cpu_max_ms": round(max(total), 1),
            "parse_wall_median_ms": round(statistics.median(v[1] * 1000 for v in values), 1),
            "check_wall_median_ms": round(statistics.median(v[2] * 1000 for v in values), 1),
        }
    report["speedup_median"] = round(report["without"]["cpu_median_ms"] / report["with"]["cpu_median_ms"], 2)
    print(json.dumps(report))
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
