"""Suppression comments: ``# pafix: ignore[CODE, ...] reason`` on the line before a statement
(Robin has only whole-line comments) and ``# pafix: ignore-file[CODE, ...]``."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import attrgetter

from pafix.syntax import nodes as n
from pafix.syntax.displaced import first_starting, span_at, top_level

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
    so that order is each top-level statement's own statements sorted, one after the other."""
    source = flow.source
    body = top_level(flow)  # (displaced statements are moved only where a marker is)
    tops: list[int] = []  # the top-level statements holding the marker, in order
    at = source.find(_MARKER)
    while at >= 0:
        i = first_starting(body, at + 1) - 1  # the last statement starting at or before ``at``
        if i >= 0 and at < span_at(body, i).end and (not tops or tops[-1] != i):
            tops.append(i)
        at = source.find(_MARKER, at + len(_MARKER))
    out: list[Suppression] = []
    for i in tops:
        stmts = _in_order(body[i])
        for k, stmt in enumerate(stmts):
            found = suppression_of(stmt, partial(_next_target, body, i, stmts, k))
            if found is not None:
                out.append(found)
    return out


def suppression_of(stmt: n.Stmt, target: Callable[[], n.Stmt | None]) -> Suppression | None:
    """The suppression the statement ``stmt`` makes, if it is a suppression comment;
    ``target()`` gives the statement a line suppression covers (the next one that is not a
    comment or an annotation), None at the end."""
    if type(stmt) is not n.Comment or stmt.block:
        return None
    parsed = _parsed(stmt.text)
    if parsed is None:
        return None
    whole_file, codes = parsed
    if whole_file:
        return Suppression(stmt, codes, True, 0, 0)
    covered = target()
    if covered is None:
        return Suppression(stmt, codes, False, -1, -1)
    last = covered.span.line if type(covered) in n.COMPOUND else covered.span.end_line
    return Suppression(stmt, codes, False, covered.span.line, last)


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


def _next_target(body: Sequence[n.Stmt], i: int, stmts: Sequence[n.Stmt], k: int) -> n.Stmt | None:
    """The first statement after ``stmts[k]`` (in the top-level statement ``body[i]``) that is
    not a comment or an annotation: what a suppression there covers."""
    for stmt in stmts[k + 1 :]:
        if type(stmt) not in _NOT_COVERED:
            return stmt
    for j in range(i + 1, len(body)):
        for stmt in _in_order(body[j]):
            if type(stmt) not in _NOT_COVERED:
                return stmt
    return None


#: what a line suppression passes over to the statement it covers
_NOT_COVERED = frozenset({n.Comment, n.Annotation})
