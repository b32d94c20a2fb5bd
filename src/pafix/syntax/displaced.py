"""A flow's top-level statements with the ones below an edit not moved yet: the displaced tail.

The editor re-parses only the statements an edit touches (:mod:`pafix.syntax.incremental`); those
below it are the same text further on, so their nodes are the old ones with every offset moved by
the change in length and every line by the change in line count. Moving them is a copy of every
node below the edit (~75,000 on a 20,001-line flow, 72-85 ms of a ~170 ms keystroke), yet most of a
keystroke's check reads them only through the last check's results, looked up by offsets
(:mod:`pafix.syntax.statement_memo`, the taint replay), or not at all.

So a re-parsed flow keeps its top-level statements as :class:`Displaced`: a few *parts*, each old
statements with how far they are displaced (offsets, lines; ``(0, 0)``: in place). A part below
an edit keeps the very nodes of the flow it came from; the next edit below adds its own
displacement to it (composed, never moved twice), and parts with the same displacement merge.
Moving is a function of a node and its displacement only, so every way of reading gives what an
eager move gives:

* ``flow.body`` of a :class:`DisplacedFlow` is the moved tuple, made on first use and kept (any
  consumer not converted is correct, only slower): :data:`MATERIALISED` counts those moves;
* ``view[i]`` moves one statement (kept, so asking twice gives the same node);
* :meth:`Displaced.span`, :meth:`~Displaced.start`, :meth:`~Displaced.end` give a statement's
  span moved arithmetically, :meth:`Displaced.raw` its old node and displacement: what the
  passes that read only top-level positions, or position-free facts, use instead.

More than :data:`MAX_PARTS` displaced parts (edits in turn at many places) are capped by moving
all but the longest, so a view never costs more than a few look-ups.

``FUNCTION`` statements: :func:`split_functions` gives Main's statements and the subflows without
moving anything (``Flow.main``/``Flow.functions`` read ``flow.body``); a ``FUNCTION`` below an
edit is a :class:`DisplacedFunction`, its own span and parameters moved and its statements a
view of the old node's, which its subflow's analysis reads.

What keeps results from one keystroke to the next by node identity must mind that **the same
nodes are no longer the same place**: a part's old nodes are the very objects of an earlier
parse, at another place after each edit above them -- also when the shifts of several edits
add up to none and the part is not displaced at all. Only above the edit does the same node
mean the same text at the same offsets (the taint replay maps a run of the very nodes below
the edit, :mod:`pafix.analysis.taint.replay`); what is not keyed by identity (the statement
memo's blocks, by offsets and text) is not concerned.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from operator import attrgetter
from typing import Any, overload

from pafix.syntax import nodes as n
from pafix.syntax.movers import shift, shift_all, shift_span

#: one part of a view: old statements and how far they are displaced (offsets, lines)
Part = tuple[tuple[n.Stmt, ...], int, int]
#: at most this many displaced parts (see the module's docstring)
MAX_PARTS = 4
#: how many times a displaced tail was moved whole, and (when set) a hook told each time (the
#: tests and the keystroke profile count what forces the move)
MATERIALISED = [0]
ON_MATERIALISE: list[Callable[[int], None]] = []


class Displaced(Sequence[n.Stmt]):
    """Top-level statements as parts of old statements, each displaced by offsets and lines
    (see the module's docstring). Indexing moves one statement, iterating moves them all."""

    __slots__ = ("parts", "_firsts", "_length", "_moved", "_whole")

    def __init__(self, parts: Sequence[Part], moved: dict[int, n.Stmt] | None = None) -> None:
        merged: list[Part] = []
        for items, delta, dline in parts:
            if not items:
                continue
            if merged and merged[-1][1] == delta and merged[-1][2] == dline:
                merged[-1] = (merged[-1][0] + items, delta, dline)
            else:
                merged.append((items, delta, dline))
        self.parts: tuple[Part, ...] = tuple(merged)
        firsts = []
        count = 0
        for items, _d, _dl in merged:
            firsts.append(count)
            count += len(items)
        self._firsts = firsts
        self._length = count
        self._moved: dict[int, n.Stmt] = moved or {}
        self._whole: tuple[n.Stmt, ...] | None = None

    @property
    def displaced(self) -> bool:
        """Whether some statement still waits to be moved."""
        return self._whole is None and any(d or dl for _i, d, dl in self.parts)

    def __len__(self) -> int:
        return self._length

    def _locate(self, i: int) -> tuple[n.Stmt, int, int]:
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(i)
        k = bisect_right(self._firsts, i) - 1
        items, delta, dline = self.parts[k]
        return items[i - self._firsts[k]], delta, dline

    def raw(self, i: int) -> tuple[n.Stmt, int, int]:
        """The ``i``-th statement's old node and how far it is displaced (offsets, lines)."""
        if self._whole is not None:
            return self._whole[i], 0, 0
        return self._locate(i)

    def span(self, i: int) -> n.Span:
        """The ``i``-th statement's span, moved (its node is not)."""
        node, delta, dline = self.raw(i)
        return shift_span(node.span, delta, dline) if delta or dline else node.span

    def start(self, i: int) -> int:
        node, delta, _dl = self.raw(i)
        return node.span.start + delta

    def end(self, i: int) -> int:
        node, delta, _dl = self.raw(i)
        return node.span.end + delta

    @overload
    def __getitem__(self, i: int) -> n.Stmt: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[n.Stmt, ...]: ...

    def __getitem__(self, i: int | slice) -> n.Stmt | tuple[n.Stmt, ...]:
        if self._whole is not None:
            return self._whole[i]
        if isinstance(i, slice):
            return tuple([self._item(k) for k in range(*i.indices(self._length))])
        return self._item(i + self._length if i < 0 else i)

    def _item(self, i: int) -> n.Stmt:
        node, delta, dline = self._locate(i)
        if not (delta or dline):
            return node
        known = self._moved.get(i)
        if known is None:
            known = self._moved[i] = shift(node, delta, dline)
        return known

    def materialise(self) -> tuple[n.Stmt, ...]:
        """Every statement, moved (the statements already moved one by one are kept)."""
        if self._whole is not None:
            return self._whole
        forced = any(d or dl for _i, d, dl in self.parts)
        out: list[n.Stmt] = []
        moved = self._moved
        for (items, delta, dline), first in zip(self.parts, self._firsts):
            if not (delta or dline):
                out.extend(items)
            elif not any(first <= k < first + len(items) for k in moved):
                out.extend(shift_all(items, delta, dline))
            else:
                out.extend(moved.get(first + k) or shift(x, delta, dline) for k, x in enumerate(items))
        whole = self._whole = tuple(out)
        if forced:
            MATERIALISED[0] += 1
            for hook in ON_MATERIALISE:
                hook(len(whole))
        self.parts = ((whole, 0, 0),)
        self._firsts = [0]
        self._moved = {}
        return whole

    def __iter__(self) -> Iterator[n.Stmt]:
        return iter(self.materialise())

    def raw_items(self) -> Iterator[n.Stmt]:
        """The old nodes in order, not moved: for what does not read positions (types, names).
        (Chained in C: the model reads all ~17,000 of a 20,001-line flow's on each keystroke.)"""
        return chain.from_iterable([items for items, _d, _dl in self.parts])

    def first(self, offset: int, key: Callable[[n.Stmt], int]) -> int:
        """The index of the first statement whose ``key`` (its start or end offset), moved, is
        at or after ``offset``: a C bisection in the one part that holds it (top-level
        statements follow each other, so the keys are in order across parts)."""
        for (items, delta, _dl), first in zip(self.parts, self._firsts):
            if items and key(items[-1]) + delta >= offset:
                return first + bisect_left(items, offset - delta, key=key)
        return self._length

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Displaced):
            other = other.materialise()
        return isinstance(other, tuple) and self.materialise() == other

    def __hash__(self) -> int:
        return hash(self.materialise())

    def __repr__(self) -> str:
        return f"Displaced({len(self)} statements in {len(self.parts)} parts)"

    def chunk(self, lo: int, hi: int) -> tuple[tuple[n.Stmt, ...], bool]:
        """Statements ``lo`` to ``hi``: their old nodes and True when they all lie in one
        displaced part (what stays the same objects from keystroke to keystroke, to find what
        was recorded of them), else the statements moved and False."""
        if self._whole is None:
            k = bisect_right(self._firsts, lo) - 1
            items, delta, dline = self.parts[k]
            first = self._firsts[k]
            if (delta or dline) and hi - first <= len(items):
                return items[lo - first:hi - first], True
        return self[lo:hi], False

    def slice_parts(self, lo: int, hi: int, delta: int = 0, dline: int = 0) -> list[Part]:
        """The parts of statements ``lo`` to ``hi`` (old nodes), each displaced ``delta``
        offsets and ``dline`` lines further."""
        out: list[Part] = []
        for (items, d, dl), first in zip(self.parts, self._firsts):
            a, b = max(lo - first, 0), min(hi - first, len(items))
            if a < b:
                out.append((items[a:b] if (a, b) != (0, len(items)) else items, d + delta, dl + dline))
        return out

    def moved_below(self, hi: int) -> dict[int, n.Stmt]:
        """The statements before ``hi`` moved one by one (to hand on to a view that keeps them
        at the same index and displacement)."""
        return {k: v for k, v in self._moved.items() if k < hi}


def compose(old: Sequence[n.Stmt], first: int, region: tuple[n.Stmt, ...], last: int, delta: int,
            dline: int) -> Displaced | tuple[n.Stmt, ...]:
    """``old[:first] + region + old[last:]`` moved by ``delta`` offsets and ``dline`` lines, with
    nothing moved: ``old``'s parts before ``first`` as they are, those from ``last`` displaced
    further. A plain tuple when nothing is displaced."""
    if isinstance(old, Displaced) and old._whole is None:
        parts = old.slice_parts(0, first)
        keep = old.moved_below(first)
        parts.append((region, 0, 0))
        parts.extend(old.slice_parts(last, len(old), delta, dline))
    else:
        body = old.materialise() if isinstance(old, Displaced) else tuple(old)
        parts = [(body[:first], 0, 0), (region, 0, 0), (body[last:], delta, dline)]
        keep = {}
    displaced = [p for p in parts if p[0] and (p[1] or p[2])]
    if len(displaced) > MAX_PARTS:  # move all but the longest (see the module's docstring)
        longest = max(displaced, key=lambda p: len(p[0]))
        parts = [p if p is longest or not (p[1] or p[2]) else (shift_all(p[0], p[1], p[2]), 0, 0) for p in parts]
        keep = {}
    view = Displaced(parts, keep)
    if not view.displaced:
        return tuple(x for items, _d, _dl in view.parts for x in items)
    return view


def chunk_of(body: Sequence[n.Stmt], lo: int, hi: int) -> tuple[tuple[n.Stmt, ...], bool]:
    """``body[lo:hi]``, or its old nodes and True when they are displaced (see
    :meth:`Displaced.chunk`)."""
    if isinstance(body, Displaced):
        return body.chunk(lo, hi)
    return tuple(body[lo:hi]), False


def top_level(flow: n.Flow) -> Sequence[n.Stmt]:
    """``flow.body``, without moving a displaced tail (a :class:`Displaced` for a flow the
    re-parse made and nothing has moved yet)."""
    if isinstance(flow, DisplacedFlow):
        return flow.view
    return flow.body


def span_at(body: Sequence[n.Stmt], i: int) -> n.Span:
    """``body[i].span``, without moving a displaced statement."""
    return body.span(i) if isinstance(body, Displaced) else body[i].span


def raw_at(body: Sequence[n.Stmt], i: int) -> n.Stmt:
    """``body[i]``, or its old node when it is displaced (for what reads no position: its
    type, its name)."""
    return body.raw(i)[0] if isinstance(body, Displaced) else body[i]


def function_body(body: Sequence[n.Stmt], i: int) -> Sequence[n.Stmt] | None:
    """The statements of ``body[i]`` when it is a ``FUNCTION`` (a displaced one's as a view of
    its old node's, not moved), else None."""
    if isinstance(body, Displaced):
        node, delta, dline = body.raw(i)
        if type(node) is not n.Function:
            return None
        return Displaced([(node.body, delta, dline)]) if delta or dline else node.body
    node = body[i]
    return node.body if isinstance(node, n.Function) else None


_START = attrgetter("span.start")
_END = attrgetter("span.end")


def first_ending(body: Sequence[n.Stmt], offset: int) -> int:
    """The index of the first statement of ``body`` ending at or after ``offset`` (top-level
    statements follow each other: their ends are in order)."""
    if isinstance(body, Displaced):
        return body.first(offset, _END)
    return bisect_left(body, offset, key=_END)


def first_starting(body: Sequence[n.Stmt], offset: int) -> int:
    """The index of the first statement of ``body`` starting at or after ``offset``."""
    if isinstance(body, Displaced):
        return body.first(offset, _START)
    return bisect_left(body, offset, key=_START)


def split_functions(view: Displaced) -> tuple[Displaced | tuple[n.Stmt, ...], tuple[n.Function, ...]]:
    """Main's statements (the top-level ones not ``FUNCTION``) and the ``FUNCTION``s of a flow's
    displaced top level, nothing moved: ``Flow.main`` and ``Flow.functions`` would move the
    whole tail (they read ``flow.body``). A displaced function is a :class:`DisplacedFunction`,
    its statements displaced as it is."""
    main: list[Part] = []
    functions: list[n.Function] = []
    for items, delta, dline in view.parts:
        if not any(type(s) is n.Function for s in items):
            main.append((items, delta, dline))
            continue
        main.append((tuple([s for s in items if type(s) is not n.Function]), delta, dline))
        for s in items:
            if type(s) is n.Function:
                functions.append(DisplacedFunction.of(s, delta, dline) if delta or dline else s)
    if not functions:
        # the view itself: the statements it moved one by one (a taint chunk across parts) are
        # handed on to the next keystroke's view (see :func:`compose`), and so their runs are
        # found again; a Main made of parts (below) starts with none moved each keystroke
        return view, ()
    body = Displaced(main)
    if not body.displaced:
        return tuple(body.raw_items()), tuple(functions)
    return body, tuple(functions)


_BODY = n.Flow.__dict__["body"]  # the slot of ``Flow.body``, under the property below


class DisplacedFlow(n.Flow):
    """A :class:`~pafix.syntax.nodes.Flow` whose top-level statements are a :class:`Displaced`
    view: ``body`` moves them on first use (and keeps the tuple). Equal to the flow of the
    same statements (a fresh parse of the same text)."""

    __slots__ = ("view",)
    view: Displaced

    def __init__(self, source: str, view: Displaced, path: str | None) -> None:
        n.Flow.__init__(self, source, (), None, path)
        object.__setattr__(self, "view", view)

    @property
    def body(self) -> tuple[n.Stmt, ...]:
        whole = self.view.materialise()
        return whole

    @body.setter
    def body(self, value: tuple[n.Stmt, ...]) -> None:  # (``Flow.__init__``: the view rules)
        _BODY.__set__(self, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, n.Flow):
            return NotImplemented
        return self.body == other.body

    def __hash__(self) -> int:
        return hash((self.body,))

    def __reduce__(self) -> tuple[Any, ...]:  # (a copy or a pickle is the plain flow)
        return (n.Flow, (self.source, self.body, self.trailer, self.path, self.trailers))


_FUNCTION_BODY = n.Function.__dict__["body"]  # the slot of ``Function.body``, under the property below


class DisplacedFunction(n.Function):
    """A ``FUNCTION`` below an edit, moved but for its statements: a :class:`Displaced` view
    (``view``) of the old node's, which its subflow's analysis reads as Main's; ``body`` moves
    them on first use (and keeps the tuple). Equal to the function a fresh parse gives."""

    __slots__ = ("view",)
    view: Displaced

    @classmethod
    def of(cls, fn: n.Function, delta: int, dline: int) -> DisplacedFunction:
        """``fn`` displaced by ``delta`` offsets and ``dline`` lines: its own span and parameters
        moved (a few nodes), its statements not."""
        span = shift_span(fn.span, delta, dline)
        params = tuple(shift(p, delta, dline) for p in fn.params)
        moved = cls(span, fn.name, fn.is_global, params, (), fn.disabled, fn.outputs)
        object.__setattr__(moved, "view", Displaced([(fn.body, delta, dline)]))
        return moved

    @property
    def body(self) -> tuple[n.Stmt, ...]:
        return self.view.materialise()

    @body.setter
    def body(self, value: tuple[n.Stmt, ...]) -> None:  # (the dataclass' ``__init__``: the view rules)
        _FUNCTION_BODY.__set__(self, value)

    def _fields(self) -> tuple[Any, ...]:
        return self.name, self.is_global, self.params, self.body, self.disabled, self.outputs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, n.Function):
            return NotImplemented
        return self._fields() == (other.name, other.is_global, other.params, other.body, other.disabled,
                                  other.outputs)

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple[Any, ...]:  # (a copy or a pickle is the plain function)
        return (n.Function, (self.span, *self._fields()))


__all__ = ["Displaced", "DisplacedFlow", "DisplacedFunction", "MATERIALISED", "MAX_PARTS", "chunk_of", "compose", "first_ending", "first_starting", "function_body", "raw_at",
           "span_at", "split_functions", "top_level"]
