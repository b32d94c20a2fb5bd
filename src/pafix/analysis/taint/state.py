"""The taint lattice: what the analysis knows at one point of a flow.

A secret's *origin* (:class:`Origin`: a sensitive variable, a secret input, a secret action
output...) and how it got here (:class:`Label`: the origin plus the trace steps taken) make up
the values; a variable's :data:`Taint` is a set of labels, one per origin, and a :class:`State`
maps each variable to its taint. Joining is set union per variable (:func:`join`,
:meth:`State.join_from`); :func:`widened` folds a new state into an entry or exit state;
:func:`same` is the fixpoint test. :class:`Event` is what the analysis records for the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pafix.syntax import nodes as n
from pafix.analysis.catalogue.spec import ValueKind
from pafix.findings import Confidence, TraceStep

OriginKind = Literal[
    "sensitive", "input", "secret-output", "secret-name", "secret-property", "secret-param",
    "encrypted-literal", "error", "sensitive-later",
]
MAX_STEPS = 12  #: trace steps kept per label


@dataclass(frozen=True, slots=True)
class Origin:
    key: str  #: identity of the source (one label per origin)
    kind: OriginKind
    description: str  #: names the variable/action, never a value
    span: n.Span
    subflow: str
    variable: str | None = None  #: the variable the origin is about, if any
    #: a credential (password, token, key: a leak anywhere) or sensitive data (a message, a
    #: record, an address: not a leak where it goes to be used, see ``SinkRule.intended``)
    value_kind: ValueKind = "credential"
    #: how sure the source is: high (declared, a secret source), medium (a name heuristic...)
    confidence: Confidence = "high"

    @property
    def label(self) -> str:
        """A short noun phrase for messages: ``SmtpPassword``, ``UserInput of Display.InputDialog``."""
        return self.description.split(" (")[0]


@dataclass(frozen=True, slots=True)
class Label:
    origin: Origin
    steps: tuple[TraceStep, ...] = ()
    #: the secret reached here only through an error message (``ERROR => x``): a weaker claim
    via_error: bool = False
    #: the secret reached here only through an action the catalogue does not know
    via_unknown: bool = False

    def then(self, step: TraceStep, *, via_error: bool = False, via_unknown: bool = False) -> Label:
        steps = self.steps if len(self.steps) >= MAX_STEPS else self.steps + (step,)
        return Label(self.origin, steps, self.via_error or via_error, self.via_unknown or via_unknown)

    def trace(self) -> tuple[TraceStep, ...]:
        o = self.origin
        return (TraceStep(o.span.line, o.span.column, o.description, o.span.start, o.span.end),) + self.steps


Taint = dict[str, Label]  # origin key -> label

EventKind = Literal["store", "sink", "secret-param", "source-store", "call-param", "child-input"]


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    subflow: str
    span: n.Span  #: the statement (or argument) where it happens
    variable: str | None  #: the variable key concerned (target of a store, root of a secret param)
    labels: tuple[Label, ...] = ()
    action: str | None = None
    param: str | None = None
    sink_kind: str | None = None
    stmt_span: n.Span | None = field(default=None, compare=False)


def _join_taint(a: Taint, b: Taint) -> Taint:
    """``a`` with the origins of ``b`` it lacks; ``a`` itself (or ``b``) when one adds nothing
    to the other, so callers can see "no change" by identity."""
    if not b or a is b:
        return a
    if not a:
        return b
    if b.keys() <= a.keys():
        return a
    out = dict(a)
    for k, v in b.items():
        out.setdefault(k, v)
    return out


_EMPTY: Taint = {}
_MISSING: Any = object()  #: a variable absent from a layer
_GONE: Any = object()  #: a variable removed (a tombstone hiding the layers below)
_FLAT_LIMIT = 64  #: states this small are kept in one layer (a copy is then a dict copy)


class State:
    """The taint of each variable (variable key -> :data:`Taint`), as a stack of layers.

    Branches, loops and handlers copy the state they start from. A copy freezes the current
    top layer and shares every layer below it, so copying costs O(layers), not O(variables),
    and a join of two states that come from the same one only looks at the variables written
    since they parted (the layers they do not share). Layers are merged when the top one is at
    least half as big as the one below (O(log n) layers), so lookups stay cheap. Frozen layers
    are never written again: only ``top`` is, and only by the state's owner.
    """

    __slots__ = ("top", "lower")

    def __init__(self, top: dict[str, Any] | None = None, lower: tuple[dict[str, Any], ...] = ()) -> None:
        self.top: dict[str, Any] = {} if top is None else top
        self.lower = lower

    # ---- reading ---------------------------------------------------------------------
    def _find(self, key: str) -> Any:
        value = self.top.get(key, _MISSING)
        if value is _MISSING:
            for layer in self.lower:
                value = layer.get(key, _MISSING)
                if value is not _MISSING:
                    break
        return _MISSING if value is _GONE else value

    def get(self, key: str, default: Any = None) -> Any:
        value = self._find(key)
        return default if value is _MISSING else value

    def __getitem__(self, key: str) -> Taint:
        value = self._find(key)
        if value is _MISSING:
            raise KeyError(key)
        return cast(Taint, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not _MISSING

    def flat(self) -> dict[str, Taint]:
        out: dict[str, Any] = {}
        for layer in reversed(self.lower):
            out.update(layer)
        out.update(self.top)
        if _GONE in out.values():  # a tombstone (rare: only remove() writes one)
            return {k: v for k, v in out.items() if v is not _GONE}
        return out

    def items(self) -> Iterator[tuple[str, Taint]]:
        return iter(self.flat().items())

    def keys(self) -> Any:
        return self.flat().keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.flat())

    def __len__(self) -> int:
        return len(self.flat())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, State):
            return self.flat() == other.flat()
        if isinstance(other, dict):
            return self.flat() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"State({self.flat()!r})"

    # ---- writing (the owner only) ----------------------------------------------------
    def __setitem__(self, key: str, taint: Taint) -> None:
        self.top[key] = taint

    def remove(self, key: str) -> None:
        if self.lower:
            if self._find(key) is not _MISSING:
                self.top[key] = _GONE
        else:
            self.top.pop(key, None)

    def copy(self) -> State:
        """An independent state with the same contents; both go on sharing the frozen layers."""
        if self.top:
            lower = (self.top,) + self.lower
            if len(lower) > 1:
                if sum(len(layer) for layer in lower) <= _FLAT_LIMIT:
                    merged: dict[str, Any] = {}
                    for layer in reversed(lower):
                        merged.update(layer)
                    lower = ({k: v for k, v in merged.items() if v is not _GONE},)
                else:
                    while len(lower) > 1 and 2 * len(lower[0]) >= len(lower[1]):
                        merged = dict(lower[1])
                        merged.update(lower[0])
                        lower = (merged,) + lower[2:]
            self.lower = lower
            self.top = {}
        return State({}, self.lower)

    # ---- joining ---------------------------------------------------------------------
    def _unique_keys(self, other: State) -> set[str]:
        """Variables that may differ between ``self`` and ``other``: those in the layers they
        do not share."""
        mine, theirs = self.lower, other.lower
        common = 0
        while common < len(mine) and common < len(theirs) and mine[-1 - common] is theirs[-1 - common]:
            common += 1
        keys: set[str] = set(self.top)
        keys.update(other.top)
        for layer in mine[: len(mine) - common]:
            keys.update(layer)
        for layer in theirs[: len(theirs) - common]:
            keys.update(layer)
        return keys

    def join_from(self, other: State) -> bool:
        """Join ``other`` into this state (which the caller owns): each variable of ``other``
        gets the union of both taints. Returns whether a variable or an origin was added
        (what :func:`same` would see)."""
        if not other.lower and not other.top:
            return False
        mine_of: Callable[[str, Any], Any]
        if self.lower and other.lower and self.lower[-1] is other.lower[-1]:
            # related states: only the variables in the layers they do not share can differ
            theirs_all = {key: other._find(key) for key in self._unique_keys(other)}
            mine_of = self.get
        else:
            theirs_all = other.flat()
            mine_of = (self.flat() if self.lower else self.top).get
        changed = False
        for key, theirs in theirs_all.items():
            mine = mine_of(key, _MISSING)
            if theirs is mine or theirs is _MISSING:
                continue  # the usual case: a variable neither side changed since they parted
            if mine is _MISSING or mine is _GONE:
                self.top[key] = theirs  # taints are never changed in place: share it
                changed = True
            elif theirs and not theirs.keys() <= mine.keys():  # (what _join_taint checks)
                self.top[key] = _join_taint(mine, theirs)
                changed = True
        return changed


def join(a: State, b: State) -> State:
    """A new state: ``a`` with each variable of ``b`` joined in (neither is changed)."""
    out = a.copy()
    out.join_from(b)
    return out


def widened(old: State | None, new: State) -> State:
    """What an entry or exit state ``old`` (replaced, never changed in place) becomes once
    ``new`` is joined in: ``old`` itself when ``new`` adds nothing (the usual case after the
    first visit), a copy of ``new`` when there is no ``old``. A copy shares ``new``'s layers
    instead of flattening them into a fresh dict as a join into an empty state would."""
    if old is None:
        return new.copy()
    out = old.copy()
    return out if out.join_from(new) else old


def same(a: State, b: State) -> bool:
    fa, fb = a.flat(), b.flat()
    if fa.keys() != fb.keys():
        return False
    return all(fa[k].keys() == fb[k].keys() for k in fa)
