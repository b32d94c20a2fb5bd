"""Where the editor's taint analysis cuts a subflow's body into chunks
(:mod:`~pafix.analysis.taint.replay`): by the statements' text, not their count.

Chunks cut every :data:`~pafix.analysis.taint.replay.CHUNK` statements from the top moved every
boundary below a statement typed, deleted or pasted, so no chunk below it was the chunk of the
last analysis and all of them ran again. As :mod:`pafix.syntax.statement_memo` cuts its blocks,
a chunk here ends after a statement whose length is a multiple of the chunk size (so a chunk
holds that many statements on average), or when it holds twice as many. A *cut* is read off one
statement alone: below an edit the statements are the old ones moved (the same text, so the
same lengths), and so are the cuts; the boundaries forced by the length limit follow from the
cut before them, so from the first cut below the edit on the chunks are the old ones, moved,
and their runs are found and replayed.

Which statements are cuts is kept per scope for the next analysis (:class:`Cuts`): a keystroke
reads the lengths of the statements the re-parse made and takes over the rest (finding every
cut of a 17,000-statement body was ~3 ms, an eighth of the analysis of a keystroke). How the
body is cut never changes what the analysis finds (each chunk is run, or replayed, from the
state the one before it ends with), only how much of it is replayed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from operator import attrgetter, sub

from pafix.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class Cuts:
    """The cuts of ``body`` for chunks of ``size`` statements: ``after`` holds the index after
    each statement whose length is a multiple of ``size``, in order."""

    body: n.Body
    size: int
    after: tuple[int, ...]


_start = attrgetter("span.start")
_end = attrgetter("span.end")


def cut(body: n.Body, size: int, lo: int = 0, hi: int | None = None) -> list[int]:
    """The cuts among ``body[lo:hi]`` (indices of ``body``); ``map`` over the statements, as
    :func:`pafix.syntax.statement_memo.layout` does, for the first analysis of a long body."""
    stmts = body[lo:hi]
    lengths = map(sub, map(_end, stmts), map(_start, stmts))
    return [lo + k + 1 for k, length in enumerate(lengths) if not length % size]


def recut(body: n.Body, size: int, last: Cuts | None, old_body: n.Body | None, kept: int, moved_from: int) -> Cuts:
    """The cuts of ``body``, taken over from ``last`` where the text is the last analysis':
    the statements ending at or before offset ``kept`` (the two texts' common prefix) are at the
    same indices, those starting at or after ``moved_from`` are those of ``old_body`` (the body
    ``last`` was cut from) moved, the same number of statements from the end. Only the
    statements between are read. Cut whole when there is nothing to take over."""
    if last is not None and last.size == size:
        if last.body is body:
            return last
        if old_body is last.body:
            above = bisect_left(body, kept + 1, key=_end)  # body[:above] end at or before ``kept``
            below = bisect_left(body, moved_from, key=_start)  # body[below:] start at or after it
            shift = len(body) - len(old_body)
            if above <= below and above <= len(old_body) and below - shift >= 0:
                old = last.after
                head = old[:bisect_left(old, above + 1)]  # cuts after statements above
                tail = old[bisect_left(old, below - shift + 1):]  # cuts after moved statements
                after = [*head, *cut(body, size, above, below), *[c + shift for c in tail]]
                return Cuts(body, size, tuple(after))
    return Cuts(body, size, tuple(cut(body, size)))


def chunks(cuts: Cuts) -> Iterator[tuple[int, int]]:
    """The chunks ``[lo, hi)`` of ``cuts.body``, in order: from cut to cut, and at most twice
    the size long (those bounds follow from the cut before them)."""
    longest = 2 * cuts.size
    lo = 0
    for hi in (*cuts.after, len(cuts.body)):
        while lo < hi:
            end = min(hi, lo + longest)
            yield lo, end
            lo = end


__all__ = ["Cuts", "chunks", "cut", "recut"]
