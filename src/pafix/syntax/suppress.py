"""Suppression comments: ``# pafix: ignore[CODE, ...] reason`` on the line before a statement
(Robin has only whole-line comments) and ``# pafix: ignore-file[CODE, ...]``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import attrgetter

from pafix.syntax import nodes as n
from pafix.syntax.displaced import first_starting, function_body, raw_at, span_at, top_level

SUPPRESS_RE = re.compile(r"^\s*pafix:\s*(ignore|ignore-file)\s*\[([^\]]*)\]\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Suppression:
    comment: n.Comment
    codes: tuple[str, ...]
    whole_file: bool
    first_line: int  #: lines covered (inclusive); 0 for a whole-file suppression
    last_line: int


def find_suppressions(flow: n.Flow) -> list[Suppression]:
    """The suppressions of ``flow``, in source order.

    A comment's text is a piece of the source, so only the top-level statements whose text
    holds the marker can hold one (most flows have none; a 2,000-line flow with 60 of them
    walked and sorted its ~1,800 statements, ~1 ms of an editor's keystroke). Statements are
    taken in source order, as a sort of every statement by its start would give them: the
    top-level statements follow each other, and the statements nested in one lie inside it,
    so that order is each top-level statement's own statements sorted, one after the other.
    A ``FUNCTION`` is looked into the same way, one level down: only its statements holding
    the marker are walked (sorting all of a subflow's statements, or moving them when it is
    displaced, see :mod:`pafix.syntax.displaced`, was most of an editor's keystroke in a
    20,001-line flow of subflows)."""
    source = flow.source
    body = top_level(flow)  # (displaced statements are moved only where a marker is)
    places: list[tuple[int, int]] = []  # the statements holding the marker, in order: (top, inner or -1)
    functions: dict[int, Sequence[n.Stmt]] = {}  # the statements of the FUNCTIONs among them
    at = source.find(_MARKER)
    while at >= 0:
        place = _holding(body, at, functions)
        if place is not None and (not places or places[-1] != place):
            places.append(place)
        at = source.find(_MARKER, at + len(_MARKER))
    out: list[Suppression] = []
    for i, j in places:
        seq, index, outer = (body, i, None) if j < 0 else (functions[i], j, (body, i))
        stmts = _in_order(seq[index])
        for k, stmt in enumerate(stmts):
            found = _suppression(stmt, partial(_next_target, seq, index, stmts, k, outer))
            if found is not None:
                out.append(found)
    return out


def _holding(body: Sequence[n.Stmt], at: int, functions: dict[int, Sequence[n.Stmt]]) -> tuple[int, int] | None:
    """Where the statement holding offset ``at`` is: its top-level index and -1, or for a
    ``FUNCTION`` its index and the index in the function's statements (kept in ``functions``);
    None when no statement holds it."""
    i = first_starting(body, at + 1) - 1  # the last statement starting at or before ``at``
    if i < 0 or at >= span_at(body, i).end:
        return None
    inner = functions.get(i)
    if inner is None:
        inner = function_body(body, i)
        if inner is None:
            return i, -1
        functions[i] = inner
    j = first_starting(inner, at + 1) - 1
    return (i, j) if j >= 0 and at < span_at(inner, j).end else None


def suppression_of(stmt: n.Stmt, target: Callable[[], n.Stmt | None]) -> Suppression | None:
    """The suppression the statement ``stmt`` makes, if it is a suppression comment;
    ``target()`` gives the statement a line suppression covers (the next one that is not a
    comment or an annotation), None at the end."""
    def lines() -> tuple[int, int] | None:
        covered = target()
        return None if covered is None else _lines(type(covered), covered.span)

    return _suppression(stmt, lines)


def _suppression(stmt: n.Stmt, covered: Callable[[], tuple[int, int] | None]) -> Suppression | None:
    """:func:`suppression_of`, given the lines the suppression would cover (``covered()``,
    see :func:`_lines`; read only for a line suppression)."""
    if type(stmt) is not n.Comment or stmt.block:
        return None
    parsed = _parsed(stmt.text)
    if parsed is None:
        return None
    whole_file, codes = parsed
    if whole_file:
        return Suppression(stmt, codes, True, 0, 0)
    lines = covered()
    if lines is None:
        return Suppression(stmt, codes, False, -1, -1)
    return Suppression(stmt, codes, False, *lines)


def _lines(kind: type, span: n.Span) -> tuple[int, int]:
    """The lines a suppression covers of a statement: a compound statement's first line
    (its header), a simple one's all."""
    return span.line, span.line if kind in n.COMPOUND else span.end_line


@lru_cache(maxsize=4096)
def _parsed(text: str) -> tuple[bool, tuple[str, ...]] | None:
    """What a comment's text says: whether it is a whole-file suppression and the codes it
    names; None when it is no suppression. By text, remembered: a flow repeats its comments,
    and the editor reads every one of them again on each keystroke."""
    m = SUPPRESS_RE.match(text)
    if not m:
        return None
    return m.group(1) == "ignore-file", tuple(c.strip().upper() for c in m.group(2).split(",") if c.strip())


_MARKER = "pafix:"
_start = attrgetter("span.start")


def _in_order(top: n.Stmt) -> list[n.Stmt] | tuple[n.Stmt]:
    """``top`` and the statements nested in it, by where they start (a statement that nests
    none, most of them, is itself: no walk, no sort)."""
    if type(top) not in n.COMPOUND:
        return (top,)
    return sorted(n.walk_statements((top,)), key=_start)


def _next_target(body: Sequence[n.Stmt], i: int, stmts: Sequence[n.Stmt], k: int,
                 outer: tuple[Sequence[n.Stmt], int] | None) -> tuple[int, int] | None:
    """The lines of the first statement after ``stmts[k]`` (in the statement ``body[i]``, a
    top-level one or, with ``outer`` (the top-level statements and the index of the FUNCTION
    ``body`` is of), one of a FUNCTION) that is not a comment or an annotation: what a
    suppression there covers. A later statement comes before the statements nested in it, so
    it is the one: read by its type and span, not moved (see :mod:`pafix.syntax.displaced`)."""
    for stmt in stmts[k + 1 :]:
        if type(stmt) not in _NOT_COVERED:
            return _lines(type(stmt), stmt.span)
    for seq, index in ((body, i), outer) if outer is not None else ((body, i),):
        for j in range(index + 1, len(seq)):
            kind = type(raw_at(seq, j))
            if kind not in _NOT_COVERED:
                return _lines(kind, span_at(seq, j))
    return None


#: what a line suppression passes over to the statement it covers
_NOT_COVERED = frozenset({n.Comment, n.Annotation})
