"""Where the editor's taint analysis cuts a subflow's body into chunks
(:mod:`~pafix.analysis.taint.replay`): by the statements' text, not their count.

Chunks cut every :data:`~pafix.analysis.taint.replay.CHUNK` statements from the top moved every
boundary below a statement typed, deleted or pasted, so no chunk below it was the chunk of the
last analysis and all of them ran again. A chunk here ends after a statement whose text
hashes (CRC-32) to a multiple of the chunk size (so a chunk holds that many statements on
average), or when it holds twice as many. A *cut* is read off one statement's text alone: below
an edit the statements are the old ones moved (the same text), and so are the cuts; the
boundaries forced by the length limit follow from the cut before them, so from the first cut
below the edit on the chunks are the old ones, moved, and their runs are found and replayed.
(:mod:`pafix.syntax.statement_memo` cuts its blocks by the statements' lengths, cheaper to read,
but a flow of a few statements repeated with another number in each -- generated steps, the
same dialog per record -- has a handful of lengths, often none of them a multiple of 32: its
chunks were all cut by count.)

Which statements are cuts is kept per scope for the next analysis (:class:`Cuts`): a keystroke
hashes the statements the re-parse made and takes over the rest (hashing every statement of a
17,000-statement body is ~14 ms, half the analysis of a keystroke; the first analysis of a
buffer, or one parsed whole, pays it). How the
body is cut never changes what the analysis finds (each chunk is run, or replayed, from the
state the one before it ends with), only how much of it is replayed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from zlib import crc32

from pafix.syntax import nodes as n
from pafix.syntax.displaced import first_ending, first_starting


@dataclass(frozen=True, slots=True)
class Cuts:
    """The cuts of ``body`` for chunks of ``size`` statements: ``after`` holds the index after
    each statement whose text's CRC-32 is a multiple of ``size``, in order."""

    body: Sequence[n.Stmt]
    size: int
    after: tuple[int, ...]


_start = attrgetter("span.start")
_end = attrgetter("span.end")


#: a statement's text as bytes (a lone surrogate, which a buffer may hold, encodes too)
_encode = partial(str.encode, encoding="utf-8", errors="surrogatepass")


def cut(body: Sequence[n.Stmt], size: int, source: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """The cuts among ``body[lo:hi]`` (indices of ``body``, whose text is ``source``): ``map``
    over the statements, for the first analysis of a long body."""
    stmts = body[lo:hi]
    texts = map(source.__getitem__, map(slice, map(_start, stmts), map(_end, stmts)))
    return [lo + k + 1 for k, code in enumerate(map(crc32, map(_encode, texts))) if not code % size]


def recut(body: Sequence[n.Stmt], size: int, source: str, last: Cuts | None, old_body: Sequence[n.Stmt] | None, kept: int,
          moved_from: int) -> Cuts:
    """The cuts of ``body``, taken over from ``last`` where the text is the last analysis':
    the statements ending at or before offset ``kept`` (the two texts' common prefix) are at the
    same indices, those starting at or after ``moved_from`` are those of ``old_body`` (the body
    ``last`` was cut from) moved, the same number of statements from the end. Only the
    statements between are read. Cut whole when there is nothing to take over."""
    if last is not None and last.size == size:
        if last.body is body:
            return last
        if old_body is last.body:
            above = first_ending(body, kept + 1)  # body[:above] end at or before ``kept``
            below = first_starting(body, moved_from)  # body[below:] start at or after it
            shift = len(body) - len(old_body)
            if above <= below and above <= len(old_body) and below - shift >= 0:
                old = last.after
                head = old[:bisect_left(old, above + 1)]  # cuts after statements above
                tail = old[bisect_left(old, below - shift + 1):]  # cuts after moved statements
                after = [*head, *cut(body, size, source, above, below), *[c + shift for c in tail]]
                return Cuts(body, size, tuple(after))
    return Cuts(body, size, tuple(cut(body, size, source)))


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
