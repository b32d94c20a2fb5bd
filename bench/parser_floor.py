"""The parser against the lex-only floor, interleaved in one process (issue 16).

    python bench/parser_floor.py DIR [DIR...] [--rounds 5] [--label NAME] [--out FILE]
                                 [--also lark,lark-cython]

Every flow under the folders (``bench/probes.py`` reads them the same way) is parsed by
:func:`pafix.syntax.parser.parse`, and tokenized by the one-regex lex floor of
``bench/probes.py`` (``TOKEN.finditer`` over the code part, every token consumed). The two
alternate file by file (lex a file, parse it, lex the next...), ``--rounds`` times over all the
files, so a slow second of the shared machine hits both: each round gives a ratio parse speed /
lex speed measured over the same milliseconds.
Reported: the median and the spread (min-max) of each time and of the per-round ratios.
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # probes finds pafix (installed or src/)

from probes import TOKEN  # noqa: E402
from pafix.cli.sources import read_units  # noqa: E402
from pafix.errors import ParseError  # noqa: E402
from pafix.syntax.parser import parse, split_trailer  # noqa: E402


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def lex(codes: list[str]) -> int:
    tokens = 0
    for code in codes:
        for _m in TOKEN.finditer(code):
            tokens += 1
    return tokens


def parse_all(texts: list[str]) -> int:
    errors = 0
    for text in texts:
        try:
            parse(text)
        except ParseError:
            errors += 1
    return errors


def write_report(out: Path | None, report: dict[str, Any]) -> None:
    """The results as JSON at ``out`` (its folder made), when one is given."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def lark_tree_parsers(names: list[str]) -> dict[str, Callable[[str], object]]:
    """Other drivers of the same grammar and parse table, for comparison (``--also``): Lark's
    own LALR driver and contextual lexer, and lark-cython's (``pip install lark-cython``, Lark's
    author's Cython port of both), each building Lark's default trees with no callbacks: less
    work than pafix's parser, which builds typed nodes with spans."""
    from lark import Lark

    from pafix.syntax.grammar import grammar_text

    options: dict[str, Any] = dict(parser="lalr", lexer="contextual", start=["start", "expr"],
                                   keep_all_tokens=True, maybe_placeholders=False, propagate_positions=False)
    out: dict[str, Callable[[str], object]] = {}
    for name in names:
        if name == "lark":
            out[name] = functools.partial(Lark(grammar_text(), **options).parse, start="start")
        elif name == "lark-cython":
            try:
                import lark_cython  # type: ignore[import-not-found]
            except ImportError:
                print("lark-cython is not installed: skipped", file=sys.stderr)
                continue
            out[name] = functools.partial(Lark(grammar_text(), _plugins=lark_cython.plugins, **options).parse,
                                          start="start")
        else:
            raise SystemExit(f"--also: unknown driver {name!r} (lark, lark-cython)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--label", default="")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--also", default="", help="comma-separated: lark, lark-cython (see lark_tree_parsers)")
    args = ap.parse_args(argv)
    others = lark_tree_parsers([a for a in args.also.split(",") if a])
    texts = [u.text for u in read_units(args.folders) if u.text is not None]
    codes = [t[: split_trailer(t)] for t in texts]
    lines = sum(_lines(t) for t in texts)
    code_lines = sum(_lines(c) for c in codes)
    errors = parse_all(texts)  # warm-up: grammar, tables, caches
    tokens = lex(codes)
    gc.collect()
    lex_s: list[float] = []
    parse_s: list[float] = []
    other_s: dict[str, list[float]] = {name: [] for name in others}
    clock = time.process_time
    for _ in range(args.rounds):
        lexing = parsing = 0.0
        other = dict.fromkeys(others, 0.0)
        for text, code in zip(texts, codes):  # file by file: a busy second slows both
            t0 = clock()
            lex([code])
            t1 = clock()
            parse_all([text])
            t2 = clock()
            lexing += t1 - t0
            parsing += t2 - t1
            for name, run in others.items():
                t3 = clock()
                try:
                    run(code)
                except Exception:  # noqa: BLE001 - a flow pafix's recovery handles; timed all the same
                    pass
                other[name] += clock() - t3
        lex_s.append(lexing)
        parse_s.append(parsing)
        for name in others:
            other_s[name].append(other[name])
    ratios = [lx / ps for lx, ps in zip(lex_s, parse_s)]
    report: dict[str, Any] = {
        "label": args.label,
        "folders": args.folders,
        "python": platform.python_version(),
        "flows": len(texts),
        "lines": lines,
        "code_lines": code_lines,
        "tokens": tokens,
        "parse_errors": errors,
        "rounds": args.rounds,
        "lex_s": [round(x, 4) for x in lex_s],
        "parse_s": [round(x, 4) for x in parse_s],
        "lex_lines_per_s_median": round(lines / statistics.median(lex_s)),
        "parse_lines_per_s_median": round(lines / statistics.median(parse_s)),
        "parse_us_per_token_median": round(statistics.median(parse_s) / tokens * 1e6, 3),
        "ratio_median": round(statistics.median(ratios), 4),
        "ratio_min": round(min(ratios), 4),
        "ratio_max": round(max(ratios), 4),
    }
    for name, times in other_s.items():
        report[f"{name}_trees_s"] = [round(x, 4) for x in times]
        report[f"{name}_trees_ratio_median"] = round(statistics.median(lx / t for lx, t in zip(lex_s, times)), 4)
    print(json.dumps(report, indent=2))
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
