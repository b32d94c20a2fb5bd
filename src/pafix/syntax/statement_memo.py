"""Results worked out per top-level statement, carried from one check of a buffer to the next.

The editor checks the whole flow again after every keystroke, yet all but one or two of its
statements are unchanged: those above the edit are the very nodes of the last parse, those
below it are the same text on other lines (:mod:`pafix.syntax.incremental` moves them). A
result computed from one statement -- its node, the subflow it sits in and facts of the whole
flow that the caller names -- is therefore the last check's result, moved:

* a statement with the same text starting at the same column parses to an equal node (what
  :mod:`pafix.syntax.incremental` rests on: a statement parses the same wherever it starts),
  whose every offset is moved by the difference of the two start offsets and every line by the
  difference of the start lines; columns do not change (on its first line the text before it
  has the same length, on later lines columns count from the line's start);
* so a result whose positions all lie inside its statement is the same with its positions
  moved the same way.

Which statements have the same text is read off the two texts' common prefix and suffix
(found once per check by C-speed slice compares, as the incremental parser does): a statement
ending inside the common prefix has the same text as the statement at the same offsets in the
last check, one starting inside the common suffix as the statement as many characters from the
end.

The results are kept per *block* of consecutive top-level statements, not per statement: a
look-up per statement and user (one dict look-up, a few compares, the copy into the next
memo) cost ~1 µs, and gathering the statements' results into a flow's (the findings of a rule,
the credential fix's index of reads) as much again, on each of the ~1,700 top-level statements
of a 2,000-line flow. A block's results come gathered (``combine``) and are looked up once.
Blocks are cut where a statement's length is a multiple of :data:`CUT` (and after at most
:data:`MAX_BLOCK` statements), a rule that reads the statements alone, not their positions or
count: a line typed or deleted above moves the blocks below it, it does not re-cut them. A
block is taken over when its text lies in the common prefix or suffix, the last check had a
block at the same (or moved) offsets in the same scope, starting at the same column, and its
statements start and end at the same offsets relative to the block's start (its
:attr:`Layout` shape): statement by statement, what the per-statement look-up required. In a
block that changed, each statement is looked up on its own in the last check's blocks as
before (so an edit works out only the statements it touched).

:class:`StatementMemo` holds one check's blocks; :class:`Recall` looks blocks up in the last
check's memo and builds the memo of this check; :class:`Memos` hands each user (a rule, an
index a fix builds) its own, by name, and cuts each subflow's body into blocks once for all;
:class:`Remembered` is what one check keeps of all this for the next check of its buffer
(kept by the caller with the check: nothing here outlives it, nor is seen by another buffer).
Moving a result's positions is the caller's (it knows where they are), and so is refusing to
keep a result that reaches outside its statement. Facts that differ (``facts``: a sensitive
name added, a catalogue changed) void the whole memo.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter, sub
from typing import Any, Generic, TypeVar

from pafix.syntax import nodes as n
from pafix.syntax.displaced import raw_at, span_at
from pafix.syntax.incremental import Moved, common_ends

T = TypeVar("T")
A = TypeVar("A")

#: a block ends after a statement whose length is a multiple of this (16 statements on average)
CUT = 16
#: ... or after this many statements
MAX_BLOCK = 32

#: one block of a body: its first statement's index, the index after its last, its start and
#: end offsets, its shape (its statements' lengths, then the gaps between them: each one's
#: start and end from the block's start), and its first statement's column and line
Block = tuple[int, int, int, int, tuple[int, ...], int, int]
#: a statement kept in a block: its start, end and line from the block's, its column, its result
Kept = tuple[int, int, int, int, Any]
#: what is kept of a block at (start, end): its scope, its column, the start offset and line it
#: was made at, its shape, its statements' results gathered, and each statement's
Entry = tuple[Hashable, int, int, int, tuple[int, ...], Any, tuple[Kept, ...]]


def layout(body: Sequence[n.Stmt], lo: int = 0, hi: int | None = None) -> list[Block]:
    """``body`` (or its statements ``lo`` to ``hi``, cut as if they were all of it) cut into
    blocks (see the module's docstring). Run once per subflow and check over every top-level
    statement, so the per-statement work is done by ``map`` over lists: a block's shape is
    its statements' lengths and the gaps between them (what fixes each one's start and end
    from the block's start), sliced out of two lists."""
    spans = list(map(_SPAN, body[lo:hi]))
    starts = list(map(_START, spans))
    ends = list(map(_END, spans))
    lengths = list(map(sub, ends, starts))
    gaps = list(map(sub, starts[1:], ends[:-1]))
    blocks: list[Block] = []
    first = 0
    for cut in [k + 1 for k, length in enumerate(lengths) if not length % CUT] + [len(spans)]:
        while first < cut:
            after = min(cut, first + MAX_BLOCK)
            head = spans[first]
            shape = tuple(lengths[first:after] + gaps[first : after - 1])
            blocks.append((lo + first, lo + after, head[0], ends[after - 1], shape, head[3], head[2]))
            first = after
    return blocks


def relayout(body: Sequence[n.Stmt], old_body: Sequence[n.Stmt], old_blocks: list[Block], moved: Moved) -> list[Block] | None:
    """``layout(body)``, made from the blocks of ``old_body`` (the same scope's body in the
    flow ``moved`` was made from): a block above the re-parsed region is the same, one below
    it is moved, and only the statements from the first block the region reaches to the next
    cut below it are cut again. A line typed moves the ~1,000 blocks of a 20,000-line flow
    below it; cutting them again was ~12 ms a keystroke. None when ``body`` is not what the
    record says (then the caller cuts it all: a function renamed into another's place).

    Why the blocks carry over: the cut reads only the statements' lengths, counting from the
    last cut (see :func:`layout`). Above the region the statements are the same objects at the
    same indices; below it they are the old ones moved (the same lengths and gaps, ``k`` more
    of them before), so from a cut that follows a moved statement on, the new cut is the old
    one moved. A block's first and last statements are checked to be where the record puts
    them; a body's statements follow each other, so those between are too."""
    count = len(old_blocks)
    above = 0  # old_blocks[:above] end before the region
    while above < count and old_blocks[above][3] < moved.start:
        above += 1
    lo = old_blocks[above - 1][1] if above else 0
    # (the same node at the same place: a displaced one is read, not moved, and its old node
    # alone would not do -- the same nodes are not the same place, see pafix.syntax.displaced)
    if lo and (lo > len(body) or raw_at(body, lo - 1) is not raw_at(old_body, lo - 1)
               or span_at(body, lo - 1) != span_at(old_body, lo - 1)):
        return None
    k = len(body) - len(old_body)
    delta, dline = moved.delta, moved.dline
    # the first block below the region that follows a cut after a moved statement
    below = above
    while below < count:
        if below > above and old_blocks[below][2] > moved.end:  # (its start)
            p_first, p_after, _p_start, p_end, p_shape = old_blocks[below - 1][:5]
            last_length = p_shape[p_after - p_first - 1]
            if p_end - last_length > moved.end and not last_length % CUT:
                break
        below += 1
    hi = old_blocks[below][0] + k if below < count else len(body)
    if not lo <= hi <= len(body):
        return None
    blocks = old_blocks[:above] + layout(body, lo, hi)
    for first, after, start, end, shape, column, line in old_blocks[below:]:
        first += k
        after += k
        if (after > len(body) or span_at(body, first).start != start + delta
                or span_at(body, after - 1).end != end + delta):  # (a displaced body: not moved)
            return None
        blocks.append((first, after, start + delta, end + delta, shape, column, line + dline))
    return blocks


_SPAN = attrgetter("span")
_START = itemgetter(0)
_END = itemgetter(1)


@dataclass(slots=True)
class StatementMemo(Generic[A]):
    """One check's results per block of statements, by the block's (start, end) offsets."""

    facts: Hashable
    results: dict[tuple[int, int], Entry] = field(default_factory=dict)
    #: the (start, end) of each scope's blocks, in order (for looking up one statement)
    order: dict[Hashable, list[tuple[int, int]]] = field(default_factory=dict)


class Recall(Generic[T, A]):
    """Look-ups in the last check's memo (``old``, ignored when its facts differ from
    ``facts``) while filling this check's (:attr:`memo`). ``same`` tells where the two texts
    agree: the length of their common prefix, of their common suffix, and the change in
    length (see :class:`Memos`). ``move`` moves one statement's result by an offset and a line
    delta; ``combine`` gathers the results of a block's statements, in order."""

    __slots__ = ("memo", "_old", "_old_order", "_prefix", "_suffix_from", "_delta", "_layouts", "_move",
                 "_combine", "_starts")

    def __init__(self, old: StatementMemo[A] | None, facts: Hashable, same: tuple[int, int, int], length: int,
                 layouts: Memos, move: Callable[[T, int, int], T], combine: Callable[[Sequence[T]], A]) -> None:
        self.memo: StatementMemo[A] = StatementMemo(facts)
        kept = old is not None and old.facts == facts
        self._old = old.results if old is not None and kept else {}
        self._old_order = old.order if old is not None and kept else {}
        prefix, suffix, delta = same
        self._prefix = prefix
        self._suffix_from = length - suffix  # a statement starting here or later is in the suffix
        self._delta = delta
        self._layouts = layouts
        self._move = move
        self._combine = combine
        self._starts: dict[Hashable, list[int]] = {}

    def blocks(self, scope: Hashable, body: Sequence[n.Stmt],
               compute: Callable[[n.Stmt], tuple[T, bool]]) -> list[tuple[A, int, int]]:
        """The results of ``body``'s statements (the body of ``scope``), gathered per block,
        each with how far to move it (offsets, lines). A block of the last check is taken over
        whole; in another, each statement's result is the last check's, moved, or
        ``compute(stmt)``: the result and whether it may be kept (all its positions inside the
        statement). Everything is kept for the next check."""
        old, prefix, suffix_from, delta = self._old, self._prefix, self._suffix_from, self._delta
        results = self.memo.results
        order = self.memo.order.setdefault(scope, [])
        out: list[tuple[A, int, int]] = []
        # (names bound once, each key made once: the loop runs over ~1,000 blocks of a 20,001-line
        # flow for each of five rules on every keystroke, the largest self time of a keystroke)
        get, append, keep = old.get, out.append, order.append
        for block in self._layouts.layout(scope, body):
            first, after, start, end, shape, column, line = block
            key = (start, end)
            if end <= prefix:
                found = get(key)
            elif start >= suffix_from:
                found = get((start - delta, end - delta))
            else:
                found = None
            # (a block moved by :func:`relayout` has the very shape of the last check's)
            if (found is not None and found[0] == scope and found[1] == column
                    and (found[4] is shape or found[4] == shape)):
                results[key] = found
                keep(key)
                append((found[5], start - found[2], line - found[3]))
                continue
            append(self._redo(scope, body, block, compute))
        return out

    def _redo(self, scope: Hashable, body: Sequence[n.Stmt], block: Block,
              compute: Callable[[n.Stmt], tuple[T, bool]]) -> tuple[A, int, int]:
        """A block the last check did not have: statement by statement."""
        first, after, start, end, shape, column, line = block
        values: list[T] = []
        kept: list[Kept] = []
        keep_all = True
        for stmt in body[first:after]:
            span = stmt.span
            value = self._statement(scope, span)
            if value is None:
                value, keep = compute(stmt)
                keep_all = keep_all and keep
            values.append(value)
            kept.append((span.start - start, span.end - start, span.line - line, span.column, value))
        combined = self._combine(values)
        if keep_all:
            self.memo.results[(start, end)] = (scope, column, start, line, shape, combined, tuple(kept))
            self.memo.order[scope].append((start, end))
        return combined, 0, 0

    def _statement(self, scope: Hashable, span: n.Span) -> T | None:
        """The last check's result for a statement with the text, column and scope of the one
        at ``span``, moved to it; None when there is none."""
        if span.end <= self._prefix:
            at, to = span.start, span.end
        elif span.start >= self._suffix_from:
            at, to = span.start - self._delta, span.end - self._delta
        else:
            return None
        order = self._old_order.get(scope)
        if not order:
            return None
        starts = self._starts.get(scope)
        if starts is None:
            starts = self._starts[scope] = [key[0] for key in order]
        i = bisect_right(starts, at) - 1
        if i < 0 or order[i][1] < to:
            return None
        entry = self._old[order[i]]
        if entry[0] != scope:
            return None
        rel_start, rel_end = at - order[i][0], to - order[i][0]
        for k_start, k_end, k_line, k_column, value in entry[6]:
            if k_start == rel_start and k_end == rel_end:
                if k_column != span.column:
                    return None
                made_start, made_line = entry[2] + k_start, entry[3] + k_line
                return self._move(value, span.start - made_start, span.line - made_line)
        return None


#: each subflow body's blocks, by its scope, with the body they were cut from
Layouts = dict[Hashable, tuple[Sequence[n.Stmt], list[Block]]]


@dataclass(frozen=True, slots=True)
class Remembered:
    """What one check keeps for the next check of its buffer: the text it was made for, each
    user's memo, by name, and each body's blocks (:func:`layout`: they hold the bodies, the
    top-level statements of the flow, so they are kept with the check that holds its flow
    anyway, and die with it)."""

    source: str
    memos: Mapping[str, StatementMemo[Any]]
    layouts: Layouts
    #: answers about the whole text, per user (see :meth:`Memos.notes`)
    notes: Mapping[str, dict[str, Any]] = field(default_factory=dict)


class Memos:
    """The memos of one check, by user name, made from what the last check of the buffer
    remembered (``last``), and each subflow body's blocks (:func:`layout`), cut once.
    ``moved``: how the parser made this check's flow from the last check's (its re-parsed
    region: the blocks outside it are moved, not cut again; see :func:`relayout`)."""

    __slots__ = ("old", "new", "_same", "_length", "_layouts", "_old_layouts", "_moved", "_source", "_notes",
                 "_old_notes")

    def __init__(self, last: Remembered | None, source: str, moved: Moved | None = None) -> None:
        old_source = last.source if last is not None else ""
        self.old: Mapping[str, StatementMemo[Any]] = last.memos if last is not None else {}
        self.new: dict[str, StatementMemo[Any]] = {}
        self._source = source
        self._length = len(source)
        self._layouts: Layouts = {}
        self._old_layouts: Layouts = last.layouts if last is not None else {}
        self._moved = moved if moved is not None and moved.of(old_source, source) else None
        self._old_notes: Mapping[str, dict[str, Any]] = last.notes if last is not None else {}
        self._notes: dict[str, dict[str, Any]] = {}
        if self.old:
            # each on its own, not one edit's prefix and suffix: a line typed above a line it
            # repeats the start of ("SET ..." above "SET ...") leaves them overlapping, and
            # every character of each still equals its counterpart in the old text
            if self._moved is not None:
                prefix, suffix = self._moved.prefix, self._moved.suffix
            else:
                prefix, suffix = common_ends(old_source, source)
            self._same = (prefix, suffix, len(source) - len(old_source))
        else:
            self._same = (0, 0, 0)

    def remembered(self) -> Remembered:
        """What this check keeps for the next check of its buffer."""
        return Remembered(self._source, self.new, self._layouts, self._notes)

    def recall(self, name: str, facts: Hashable, move: Callable[[T, int, int], T],
               combine: Callable[[Sequence[T]], A]) -> Recall[T, A]:
        """Look-ups for ``name`` in the last check; its memo for this check is kept in :attr:`new`."""
        recall: Recall[T, A] = Recall(self.old.get(name), facts, self._same, self._length, self, move, combine)
        self.new[name] = recall.memo
        return recall

    def notes(self, name: str) -> tuple[Mapping[str, Any], dict[str, Any]]:
        """What the user ``name`` noted about the last check's text (empty when there is none)
        and where to note about this one's, for the next check. Read with :meth:`changed`: an
        answer about the text holds for the part of this text the two share."""
        new = self._notes.setdefault(name, {})
        return (self._old_notes.get(name, {}) if self._same != (0, 0, 0) else {}), new

    def changed(self) -> tuple[int, int]:
        """Where this check's text may differ from the last one's: ``[start, end)`` (every
        character before ``start`` and from ``end`` on is the last text's, at the same offset
        from its start or end; the two may overlap, see ``__init__``)."""
        return self._same[0], self._length - self._same[1]

    @property
    def moved(self) -> Moved | None:
        """How the parser made this check's flow from the last check's (None when it did not
        re-parse a region of it)."""
        return self._moved

    @property
    def prefix(self) -> int:
        """The length of the text this check and the last share at their start (0 when
        there is no last check)."""
        return self._same[0]

    def forget(self) -> None:
        """Take nothing over from the last check for the users still to come (those whose
        results read what changed since: another catalogue or name policy)."""
        self.old = {}

    def layout(self, scope: Hashable, body: Sequence[n.Stmt]) -> list[Block]:
        """``body``'s blocks (the body of ``scope``), cut on first use."""
        known = self._layouts.get(scope)
        if known is not None and known[0] is body:
            return known[1]
        blocks = None
        last = self._old_layouts.get(scope)
        if last is not None and last[0] is body:
            blocks = last[1]
        elif last is not None and self._moved is not None:
            blocks = relayout(body, last[0], last[1], self._moved)
        if blocks is None:
            blocks = layout(body)
        self._layouts[scope] = (body, blocks)
        return blocks


__all__ = ["Block", "Entry", "Layouts", "Memos", "Recall", "Remembered", "StatementMemo", "layout", "relayout"]
