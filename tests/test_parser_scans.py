"""The parser's shortcuts of issue 16, round 6, give what the code they replaced gave.

* where a ``%...%`` hole of interpolated text ends (``builder._hole_end``: one regex match,
  once a loop over the characters);
* where each hole is, line and column, when the text spans lines (``_Builder._hole``, which
  counts newlines only when there is one before the hole);
* a lone expression (what a hole holds), parsed by the fast driver, whose end reductions
  now go through the memoised single-child chains: the same tree as Lark's own driver,
  spans included, placed anywhere in a file;
* the opaque regions of a clipboard copy (trailers, separators), found through the line
  break before their first line instead of a ``^`` search tried at every character.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedInput

import strategies as S
from pafix.syntax import builder as B
from pafix.syntax import trailers as T
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


_LINES = ["SET a TO 1", "# [ControlRepository][PowerAutomateDesktop]", " # [ImageRepository][PowerAutomateDesktop] ",
          "=====>", "  ==>", "x =>", "{", '  "a": "}"', "}", "} ", " }", "", "\t", "\ufeff=>", "# [ControlRepository]"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_LINES), st.sampled_from(["\n", "\r\n", "\r", ""])), max_size=12),
       st.integers(0, 3))
def test_opaque_regions_are_found_as_a_search_of_every_line_finds_them(lines: list[tuple[str, str]], cut: int) -> None:
    """trailers._search_line (the line break before a boundary or closing-brace line, then the
    line matched) finds what a search of the ``^`` patterns from every character found."""
    text = "".join(line + end for line, end in lines)
    for pattern, nl_pattern in ((T._BOUNDARY_RE, T._BOUNDARY_NL_RE), (T._JSON_END_RE, T._JSON_END_NL_RE)):
        for pos in range(len(text) + 1):
            got = T._search_line(pattern, nl_pattern, text, pos)
            expected = pattern.search(text, pos)
            assert (got and got.span()) == (expected and expected.span())
    assert T.regions(text) == _regions_reference(text)


def _regions_reference(text: str) -> tuple[tuple[int, int], ...]:
    """trailers.regions as it was, with a search of the ``^`` patterns."""
    found: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text):
        m = T._BOUNDARY_RE.search(text, pos)
        if m is None:
            break
        start, end = m.start(), T._next_line(text, m.end())
        close = T._JSON_END_RE.search(text, end) if m.group("marker") is not None else None
        if m.group("marker") is not None and close is None:
            end = len(text)
        else:
            end = close.end() if close is not None else end
            while end < len(text):
                blank = T._CONTINUE_RE.match(text, end)
                if blank is None or blank.end() == end:
                    break
                end = blank.end()
        if found and found[-1][1] == start:
            start = found.pop()[0]
        found.append((start, end))
        pos = end
    return tuple(found)


def test_every_lexer_of_the_fast_driver_builds_on_first_use() -> None:
    """The driver's scanners are compiled when a parse first lexes in their states: each
    builds (Lark's internals as the driver reads them), then every state of its group holds
    the compiled scanner's match and the kind of each of its groups."""
    fast = B._fast()
    assert fast is not None
    for state, entry in enumerate(fast.lexers):
        if entry is None:
            continue
        match, kinds = entry
        match("", 0)  # builds it if not built yet
        built, same_kinds = fast.lexers[state]  # type: ignore[misc]
        assert isinstance(built.__self__, re.Pattern) and same_kinds is kinds
        terminals = {kind[0] for kind in kinds if kind is not None}
        assert terminals and terminals == set(built.__self__.groupindex)
