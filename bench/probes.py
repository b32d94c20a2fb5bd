"""In-process probes for ``bench_scan.py``: ``python bench/probes.py parse|lex DIR``.

Each prints ``lines seconds extra`` on stderr, timing only its loop (the files are read first).

* ``parse``: :func:`pafix.syntax.parser.parse` on every flow (extra: parse errors);
* ``lex``: the lex-only floor, one pass of one Python regex over the code part of every flow
  (what the parser reads; the ControlRepository trailer is never tokenized), every token
  consumed (extra: tokens). It is the practical limit of a scanner written in Python.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import pafix  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT / "src"))

from pafix.errors import ParseError  # noqa: E402
from pafix.syntax.parser import parse, split_trailer  # noqa: E402
from pafix.cli.sources import read_units  # noqa: E402

Q3 = "'''"
TOKEN = re.compile(
    r"\$" + Q3 + r"[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*" + Q3        # $'''interpolated'''
    + r"|" + Q3 + r"[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*" + Q3       # '''text'''
    + r"|P?'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"                           # 'text', P'encrypted'
    + r"|/#[\s\S]*?#/|#[^\r\n]*|@@[^\r\n]*"                            # comments, annotations
    + r"|@?[^\W\d]\w*(?:\.[^\W\d]\w*)*(?::|=>)?"                       # names, actions, Param:, Out=>
    + r"|\d+(?:\.\d+)?|<>|<=|>=|=>|[-+*/=<>()\[\]{},:.^%@]"            # numbers, operators
    + r"|\r\n|\n|\r|[ \t\f\ufeff]+|."                                  # newlines, blanks, the rest
)


def main() -> int:
    mode, folder = sys.argv[1], sys.argv[2]
    units = [u for u in read_units([folder]) if u.text is not None]
    lines = sum(u.text.count("\n") + (0 if u.text.endswith("\n") or not u.text else 1) for u in units if u.text)
    texts = [u.text or "" for u in units]
    extra = 0
    if mode == "lex":
        codes = [t[: split_trailer(t)] for t in texts]
        started = time.perf_counter()
        for code in codes:
            for _m in TOKEN.finditer(code):
                extra += 1
    else:
        started = time.perf_counter()
        for text in texts:
            try:
                parse(text)
            except ParseError:
                extra += 1
    print(lines, time.perf_counter() - started, extra, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
