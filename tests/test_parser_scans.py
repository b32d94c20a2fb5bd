"""The parser's shortcuts of issue 16, round 6, give what the code they replaced gave.

* where a ``%...%`` hole of interpolated text ends (``builder._hole_end``: one regex match,
  once a loop over the characters);
* where each hole is, line and column, when the text spans lines (``_Builder._hole``, which
  counts newlines only when there is one before the hole);
* a lone expression (what a hole holds), parsed by the fast driver, whose end reductions
  now go through the memoised single-child chains: the same tree as Lark's own driver,
  spans included, placed anywhere in a file.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedInput

import strategies as S
from pafix.syntax import builder as B
from pafix.syntax.parser import parse
from trees import deep


def _hole_end_loop(raw: str, i: int, end: int) -> int:
    """The character loop ``_hole_end`` was until round 6."""
    quote = False
    while i < end:
        ch = raw[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            quote = not quote
        elif ch == "%" and not quote:
            return i
        elif ch in "\r\n" and not quote:
            return -1
        i += 1
    return -1


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="a%\\'\r\n ", max_size=16), st.integers(0, 3), st.integers(0, 3))
def test_hole_end_is_the_character_loop(text: str, start: int, cut: int) -> None:
    end = max(start, len(text) - cut)
    assert B._hole_end(text, start, end) == _hole_end_loop(text, start, end)


def test_hole_end_is_linear_on_long_quoted_text() -> None:
    raw = "a'" + "b\\'" * 20000  # a quote never closed: no end, found without backtracking
    assert B._hole_end(raw, 0, len(raw)) == -1


def _positions(text: str) -> list[tuple[int, int, int, int, int, int]]:
    stmt = parse(text).body[0]
    return [tuple(h.span) for h in stmt.value.holes]  # type: ignore[attr-defined]


def test_holes_of_a_text_over_several_lines_are_placed_line_by_line() -> None:
    text = "SET x TO $'''a %b% c\n  d %e.f%\n%g['x']% %h%'''\n"
    spans = _positions(text)
    for start, end, line, column, end_line, end_column in spans:
        assert text.count("\n", 0, start) + 1 == line
        assert start - (text.rfind("\n", 0, start) + 1) + 1 == column
        assert text.count("\n", 0, end) + 1 == end_line
        assert end - (text.rfind("\n", 0, end) + 1) + 1 == end_column
    assert [text[s:e] for s, e, *_ in spans] == ["%b%", "%e.f%", "%g['x']%", "%h%"]


@st.composite
def _expressions(draw: st.DrawFn) -> str:
    """A random expression, or one of the shapes PAD writes between percent signs."""
    if draw(st.booleans()):
        return S.hole_expr(draw)
    return S.expr_text(draw, S.Ctx("lf", draw))


@settings(max_examples=200, deadline=None)
@given(_expressions(), st.integers(0, 40), st.integers(1, 3), st.integers(1, 9))
def test_a_lone_expression_parses_as_lark_parses_it(text: str, base: int, line: int, column: int) -> None:
    lark, builder = B._parser()
    fast = B._fast()
    assert fast is not None
    saved = builder.place(base, line, column)
    try:
        try:
            expected = deep(lark.parse(text, start="expr"))
        except UnexpectedInput:  # (a hole written with escaped quotes): the fast driver gives up too
            with pytest.raises(B.Fallback):
                fast.parse(text, "expr")
            return
        got = deep(fast.parse(text, "expr"))
    finally:
        builder.place(*saved)
    assert got == expected
