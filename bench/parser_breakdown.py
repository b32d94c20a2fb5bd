"""Where the parser's time goes, per token, against the lex floor (issue 16).

    python bench/parser_breakdown.py DIR [DIR...] [--rounds 3] [--out FILE]

Each flow's code (the part before a ControlRepository trailer) goes through six steps, one
after the other and file by file (so the shared machine's load hits every step alike), CPU time:

1. the lex floor: ``bench/probes.py``'s one regex over the code (``TOKEN.finditer``);
2. the driver's contextual scanners only: the very ``match`` calls a parse makes (recorded
   once: scanner and position of every token), nothing else;
3. the same plus the ``Token`` objects the driver builds;
4. the fast driver with callbacks that return 0 (lexing, tokens, shifts, reductions,
   ``x*`` splices; no node, and no ``%...%`` hole parsed);
5. the fast driver with the real builder (every node, span and hole);
6. :func:`pafix.syntax.parser.parse` (plus opaque regions and the ``Flow``).

Each step's cost per parser token is the difference with the step before.
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # probes finds pafix (installed or src/)

from probes import TOKEN  # noqa: E402
from parser_floor import write_report  # noqa: E402
from lark import Token, Transformer  # noqa: E402
from pafix.cli.sources import read_units  # noqa: E402
from pafix.syntax import builder as B  # noqa: E402
from pafix.syntax.fastparse import Fallback, FastParser  # noqa: E402
from pafix.syntax.parser import parse, split_trailer  # noqa: E402

STEPS = [
    "lex floor (one regex)",
    "contextual scanners' matches",
    "+ Token objects",
    "+ shifts, reductions, splices (callbacks return 0)",
    "+ builder: nodes, spans, holes",
    "+ parse(): regions, Flow",
]


def record(fast: FastParser, codes: list[str]) -> tuple[list[str], list[list[tuple[Any, str, int]]]]:
    """The (match, text, position) of every scanner call of each parse (holes included). The
    driver reads its scanners by first character from each scanner group's ``by_char``
    (``pafix.syntax.scanners``): those entries are spied on, and so are those a parse adds."""
    calls: list[tuple[Any, str, int]] = []
    groups = list({id(g): g for g in fast.groups if g is not None}.values())

    def recording(entry: Any) -> Any:
        match = entry[0]

        def spy(text: str, pos: int) -> Any:
            calls.append((match, text, pos))
            return match(text, pos)

        return (spy, *entry[1:])

    def spied_for_char(group: Any) -> Any:
        made = group.for_char

        def for_char(char: str) -> Any:
            entry = group.by_char[char] = recording(made(char))
            return entry

        return for_char

    for group in groups:  # the scanners are compiled on first use: every ASCII one now, so
        for code in range(128):  # that the recorded matches are the compiled ones
            group.for_char(chr(code))
    saved = [(group, dict(group.by_char)) for group in groups]
    for group, entries in saved:
        group.by_char.update((char, recording(entry)) for char, entry in entries.items())
        group.for_char = spied_for_char(group)  # type: ignore[method-assign]
    kept: list[str] = []
    plans: list[list[tuple[Any, str, int]]] = []
    try:
        for code in codes:
            calls.clear()
            try:
                fast.parse(code, "start")
            except Fallback:
                continue
            kept.append(code)
            plans.append(list(calls))
    finally:
        for group, entries in saved:
            del group.for_char
            group.by_char.clear()
            group.by_char.update(entries)
    return kept, plans


def matches(plan: list[tuple[Any, str, int]]) -> None:
    for match, text, pos in plan:
        match(text, pos)


def tokens(plan: list[tuple[Any, str, int]]) -> None:
    new = str.__new__
    for match, text, pos in plan:
        m = match(text, pos)
        if m is None:
            continue
        group = m.lastindex
        start, end = m.span(group)
        value = text[start:end]
        tok = new(Token, value)
        tok.type = "T"
        tok.start_pos = start
        tok.value = value
        tok.line = 1
        tok.column = start
        tok.end_line = 1
        tok.end_column = end
        tok.end_pos = end


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    texts = [u.text for u in read_units(args.folders) if u.text is not None]
    fast = B._fast()
    assert fast is not None
    rule_names = [k for k, v in vars(B._Builder).items() if callable(v) and not k.startswith("_")
                  and k not in ("span", "tspan", "place")]
    dummy_cls = type("Zero", (Transformer,), {k: (lambda self, children: 0) for k in rule_names})
    dummy = FastParser(B.build_lark(transformer=dummy_cls()), anonymous=frozenset({"_NL"}))
    codes, plans = record(fast, [t[: split_trailer(t)] for t in texts])
    by_code = {t[: split_trailer(t)]: t for t in texts}
    count = sum(len(p) for p in plans)
    totals = [0.0] * len(STEPS)
    clock = time.process_time
    for _ in range(args.rounds):
        for code, plan in zip(codes, plans):
            text = by_code[code]
            t = [clock()]
            for _m in TOKEN.finditer(code):
                pass
            t.append(clock())
            matches(plan)
            t.append(clock())
            tokens(plan)
            t.append(clock())
            dummy.parse(code, "start")
            t.append(clock())
            fast.parse(code, "start")
            t.append(clock())
            parse(text)
            t.append(clock())
            for i in range(len(STEPS)):
                totals[i] += t[i + 1] - t[i]
    per_pass = [x / args.rounds for x in totals]
    rows = []
    previous = 0.0
    for name, seconds in zip(STEPS, per_pass):
        rows.append({
            "step": name,
            "s_per_pass": round(seconds, 4),
            "ns_per_token": round(seconds / count * 1e9),
            "times_floor": round(seconds / per_pass[0], 2),
            "added_ns_per_token": round((seconds - previous) / count * 1e9) if previous else None,
        })
        if name != STEPS[0]:
            previous = seconds
    report = {
        "python": platform.python_version(),
        "folders": args.folders,
        "flows": len(codes),
        "scanner_calls": count,
        "rounds": args.rounds,
        "steps": rows,
    }
    for row in rows:
        added = "" if row["added_ns_per_token"] is None else f"  ({row['added_ns_per_token']:+} ns)"
        print(f"{row['step']:52s} {row['s_per_pass']:7.3f} s {row['ns_per_token']:6d} ns/token "
              f"x{row['times_floor']:5.2f}{added}")
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
