"""Where a run of the last analyses stands in the current text: a map of positions.

The editor's re-parse moves the statements below an edit by the change in length and in lines
(:class:`pafix.syntax.incremental.Moved`), so their runs (:mod:`~pafix.analysis.taint.replay`)
hold the positions of an older text: in the spans of their events, in their states' labels
(an origin's span, an offset in some origin keys, the trace steps) and in the first-use origins
they read. Moving all of that eagerly on every keystroke costs what running the chunks costs
(round 5's ``moved`` branch); so a run keeps the positions it was recorded with and a
:data:`Frame`, the map from those to the positions of the text it was kept for, composed
across keystrokes. Only what a replay hands on leaves a run moved: its events (by the last
keystroke's map alone, see :class:`Run.events <pafix.analysis.taint.runs.Run>`), and the state
where a stretch of replayed chunks ends.

A map is a few intervals of offsets, each moved by offsets, lines and columns; an offset in
none of them lay in the text an edit replaced and has no counterpart: whatever holds one is
not the same as anything now (:class:`Unmapped`). The map of one edit keeps the common prefix
of the two texts and moves everything after the changed range (on the line where the change
ends, columns too). The taint analysis only copies positions (into spans, keys and trace
steps) and never compares or orders them, so the run of moved statements from a moved state is
the moved run: :mod:`~pafix.analysis.taint.replay` replays a run when its start state, moved,
equals the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import is_
from typing import Any

from pafix.records import maker
from pafix.syntax import nodes as n
from pafix.syntax.incremental import Moved
from pafix.findings import TraceStep
from pafix.analysis.taint.state import Event, Label, Origin, State, Taint

#: offsets ``[lo, hi)`` moved by ``delta`` offsets, ``dline`` lines and ``dcolumn`` columns
Interval = tuple[int, int, int, int, int]
#: sorted, disjoint intervals; ``()`` is the identity (nothing moved, everything kept)
Frame = tuple[Interval, ...]
#: past the end of any text
END = 1 << 62
#: a run whose map has more intervals than this is run again rather than replayed (each edit
#: at a new place adds one or two; running it again starts a new map)
MAX_INTERVALS = 8
#: origin keys that carry an offset (``Actions.exec_action``, ``Values._eval_text``): the
#: offset follows the prefix, up to the next ``:`` or the end
OFFSET_KEYS = ("output:", "enc:")


#: a span from its six fields (``Span(...)`` is a Python function: a named tuple's ``__new__``)
_new_span = tuple.__new__
#: the mapped objects, made without their frozen ``__init__`` (:mod:`pafix.records`: a keystroke
#: makes ~5,500 of them below the edit, each in ~half the time); every field by position
_new_event = maker(Event)
_new_label = maker(Label)
_new_origin = maker(Origin)
_new_step = maker(TraceStep)


class Unmapped(Exception):
    """A position in text an edit replaced: what holds it has no counterpart now."""


def edit_frame(moved: Moved) -> Frame:
    """The map of one re-parse: the common prefix of the two texts stays, the text after the
    changed range moves by the change in length and in lines, and the rest of the line the
    change ends on by the change of its columns too."""
    old, new = moved.old, moved.new
    suffix = min(moved.suffix, min(len(old), len(new)) - moved.prefix)  # (the two may overlap)
    changed = len(old) - suffix  # the old text's changed range ends here
    eol = old.find("\n", changed)
    line_end = len(old) if eol < 0 else eol + 1  # (its line break is on the line)
    at = changed + moved.delta
    dcolumn = (at - new.rfind("\n", 0, at)) - (changed - old.rfind("\n", 0, changed))
    out: list[Interval] = [(0, moved.prefix, 0, 0, 0)] if moved.prefix else []
    out.append((changed, line_end, moved.delta, moved.dline, dcolumn))
    if line_end < END:
        out.append((line_end, END, moved.delta, moved.dline, 0))
    return tuple(out)


def compose(first: Frame, then: Frame) -> Frame:
    """``first``, then ``then``: one map."""
    if not first:
        return then
    if not then:
        return first
    out: list[Interval] = []
    for lo, hi, d, dl, dc in first:
        for tlo, thi, td, tdl, tdc in then:  # the part of [lo + d, hi + d) each interval of ``then`` holds
            a, b = max(lo + d, tlo), min(hi + d, thi)
            if a < b:
                moves = (d + td, dl + tdl, dc + tdc)
                if out and out[-1][1] == a - d and out[-1][2:] == moves:
                    out[-1] = (out[-1][0], b - d, *moves)  # one interval, as before
                else:
                    out.append((a - d, b - d, *moves))
    return tuple(out)


def kept_below(frame: Frame) -> int:
    """The offset below which ``frame`` keeps every position as it is."""
    if not frame:
        return END
    lo, hi, d, dl, dc = frame[0]
    return hi if lo == 0 and not d and not dl and not dc else 0


@dataclass
class Mapper:
    """Maps what a run holds by one :data:`Frame`, each object once (by identity: a label
    is shared by many events and states) and to itself when none of its positions moves."""

    frame: Frame
    _done: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    #: what most positions take (a keystroke maps ~1,500 events of ~10 positions each): below
    #: ``_keep`` nothing moves; from ``_tail`` (the last interval, when it keeps columns) on,
    #: offsets and lines move by ``_tail_moves``
    _keep: int = field(init=False)
    _tail: int = field(init=False)
    _tail_moves: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self._keep = kept_below(self.frame)
        last = self.frame[-1] if self.frame else (0, END, 0, 0, 0)
        self._tail = last[0] if last[1] >= END // 2 and not last[4] else END
        self._tail_moves = (last[2], last[3])

    def _interval(self, offset: int) -> Interval:
        for iv in self.frame:
            if iv[0] <= offset < iv[1]:
                return iv
        raise Unmapped(offset)

    def span(self, span: n.Span) -> n.Span:
        start, end, line, column, end_line, end_column = span
        if end <= self._keep:
            return span
        if start >= self._tail:
            d, dl = self._tail_moves
            return _new_span(n.Span, (start + d, end + d, line + dl, column, end_line + dl, end_column))
        _, _, d, dl, dc = self._interval(start)
        # (the end is exclusive: its last character says where it is)
        _, _, d2, dl2, dc2 = self._interval(end - 1) if end > start else (0, 0, d, dl, dc)
        if not (d or dl or dc or d2 or dl2 or dc2):
            return span
        return n.Span(start + d, end + d2, line + dl, column + dc, end_line + dl2, end_column + dc2)

    def step(self, step: TraceStep) -> TraceStep:
        start, end = step.start, step.end
        if end <= self._keep:
            return step
        if start >= self._tail:
            d, dl = self._tail_moves
            return _new_step(step.line + dl, step.column, step.message, start + d, end + d, step.flow)
        _, _, d, dl, dc = self._interval(start)
        _, _, d2, _, _ = self._interval(end - 1) if end > start else (0, 0, d, dl, dc)
        if not (d or dl or dc or d2):
            return step
        return _new_step(step.line + dl, step.column + dc, step.message, start + d, end + d2, step.flow)

    def origin(self, origin: Origin) -> Origin:
        done = self._done.get(id(origin))
        if done is not None:
            return done[1]  # type: ignore[no-any-return]
        span = self.span(origin.span)
        key = origin.key
        if key.startswith(OFFSET_KEYS):  # (one test for most keys, which carry no offset)
            for prefix in OFFSET_KEYS:
                if key.startswith(prefix):
                    offset, sep, rest = key[len(prefix):].partition(":")
                    at = int(offset)
                    key = f"{prefix}{at + self._interval(at)[2]}{sep}{rest}"
        out = origin if span is origin.span and key == origin.key else _new_origin(
            key, origin.kind, origin.description, span, origin.subflow, origin.variable, origin.value_kind,
            origin.confidence)
        self._done[id(origin)] = (origin, out)
        return out

    def label(self, label: Label) -> Label:
        done = self._done.get(id(label))
        if done is not None:
            return done[1]  # type: ignore[no-any-return]
        origin = self.origin(label.origin)
        steps = label.steps
        if steps:  # (most labels have none: no tuple to build and compare)
            step = self.step
            moved = tuple([step(s) for s in steps])
            if any(a is not b for a, b in zip(moved, steps)):
                steps = moved
        out = label if origin is label.origin and steps is label.steps else _new_label(
            origin, steps, label.via_error, label.via_unknown)
        self._done[id(label)] = (label, out)
        return out

    def taint(self, taint: Taint) -> Taint:
        done = self._done.get(id(taint))
        if done is not None:
            return done[1]  # type: ignore[no-any-return]
        out: Taint = {}
        changed = False
        for lab in taint.values():
            moved = self.label(lab)
            changed = changed or moved is not lab
            out[moved.origin.key] = moved
        result = out if changed else taint
        self._done[id(taint)] = (taint, result)
        return result

    def state(self, state: State) -> State:
        """``state`` with every position mapped (itself when none moves)."""
        if not self.frame:
            return state
        taint = {var: self.taint(t) for var, t in state.taint.items()}
        if all(taint[var] is t for var, t in state.taint.items()):
            return state
        out = State(state.vars)
        out.mask = state.mask
        out.taint = taint
        return out

    def shifted(self, event: Event) -> bool:
        """Whether ``event`` lies in the tail of the map (below the edited line: offsets and
        lines move by the same amounts, columns stay) and each of its positions either there
        too or where the map keeps it (an origin above the edit, say): its mapped event is
        then the same event moved, and so is whatever was made from it alone (a rule's
        findings: their ranges from :attr:`tail` on move, see ``core._by_event``)."""
        tail, keep = self._tail, self._keep
        if event.span.start < tail or (event.stmt_span is not None and event.stmt_span.start < tail):
            return False
        for lab in event.labels:
            span = lab.origin.span
            if span.start < tail and span.end > keep:
                return False
            for step in lab.steps:
                if step.end > keep and (step.start < tail or step.flow is not None):
                    return False
        return True

    @property
    def tail(self) -> int:
        """Where the tail of the map (:meth:`shifted`) starts, in the positions it maps from."""
        return self._tail

    @property
    def tail_moves(self) -> tuple[int, int]:
        """The offsets and lines the tail of the map (:meth:`shifted`) moves by."""
        return self._tail_moves

    def event(self, event: Event) -> Event:
        span = self.span(event.span)
        labels = tuple([self.label(lab) for lab in event.labels])
        stmt_span = event.stmt_span if event.stmt_span is None else self.span(event.stmt_span)
        if span is event.span and stmt_span is event.stmt_span and all(map(is_, labels, event.labels)):
            return event
        return _new_event(event.kind, event.subflow, span, event.variable, labels, event.action, event.param,
                     event.sink_kind, stmt_span)


def reach(events: tuple[Event, ...]) -> int:
    """An offset no position in ``events`` reaches (every one lies below it): a map that keeps
    every position below it keeps the events as they are."""
    top = 0
    for event in events:
        top = max(top, event.span.end, event.stmt_span.end if event.stmt_span is not None else 0)
        for lab in event.labels:
            top = max(top, lab.origin.span.end, *(s.end for s in lab.steps))
    return top + 1


__all__ = ["END", "Frame", "MAX_INTERVALS", "Mapper", "OFFSET_KEYS", "Unmapped", "compose", "edit_frame",
           "kept_below", "reach"]
