"""The taint lattice: what the analysis knows at one point of a flow.

A secret's *origin* (:class:`Origin`: a sensitive variable, a secret input, a secret action
output...) and how it got here (:class:`Label`: the origin plus the trace steps taken) make up
the values; a variable's :data:`Taint` is a set of labels, one per origin, and a :class:`State`
maps each variable to its taint. Joining is set union per variable (:func:`join`,
:meth:`State.join_from`); :func:`widened` folds a new state into an entry or exit state;
:func:`same` is the fixpoint test. :class:`Event` is what the analysis records for the rules.
"""

from __future__ import annotations

from collections.abc import Iterator
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


_EMPTY: Taint = {}  #: never written: the taint of a variable that holds no secret
_MISSING: Any = object()  #: a default no caller passes


class Variables:
    """The variables of one analysis, each given a bit (interned): a :class:`State` keeps the
    set of its variables as an ``int`` of those bits, so a join unites two sets in one ``|``.
    States joined with each other share one table."""

    __slots__ = ("bits", "names", "globals", "fields")

    def __init__(self) -> None:
        self.bits: dict[str, int] = {}  #: variable key -> its bit
        self.names: list[str] = []  #: bit number -> variable key
        self.globals = 0  #: the bits of global variables (keys without ``::``)
        #: the bits of object field entries (``obj.`` and ``obj.a``: keys with a ``.``), whose
        #: presence, unlike a variable's, tells something (see ``_eval_field``)
        self.fields = 0

    def bit(self, key: str) -> int:
        b = self.bits.get(key)
        if b is None:
            b = self.bits[key] = 1 << len(self.names)
            self.names.append(key)
            if "::" not in key:
                self.globals |= b
            if "." in key:
                self.fields |= b
        return b


_DEFAULT_VARIABLES = Variables()  #: for states made without a table (tests, a lone state)


class State:
    """The taint of each variable (variable key -> :data:`Taint`).

    Most variables of a flow never hold a secret (95% of the variables that reach a join in the
    generated fleet hold none), yet each is in the state, as an empty taint, from its first
    write. So a state keeps two things: ``mask``, the set of its variables as bits of its
    :class:`Variables` table, and ``taint``, the variables whose taint is not empty. A join
    unites the masks with one ``|`` and looks only at the other state's tainted variables; a
    copy shares both (``mask`` is an int; ``taint`` is copied on the first write after a
    copy). An absent variable and a variable with an empty taint read the same (``{}``); only
    membership (``in``, ``get`` with a default, :func:`same`) tells them apart, as before.
    Taints are never changed in place: they are shared between states.
    """

    __slots__ = ("vars", "mask", "taint", "shared")

    def __init__(self, variables: Variables | None = None) -> None:
        self.vars = _DEFAULT_VARIABLES if variables is None else variables
        self.mask = 0
        #: the variables with a non-empty taint
        self.taint: dict[str, Taint] = {}
        #: ``taint`` is shared with a copy: copy it before writing
        self.shared = False

    # ---- reading ---------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        taint = self.taint.get(key)
        if taint is not None:
            return taint
        bit = self.vars.bits.get(key)
        return _EMPTY if bit is not None and self.mask & bit else default

    def taint_of(self, key: str) -> Taint:
        """``get(key, {})``: a variable's taint, empty when it holds no secret or is absent."""
        return self.taint.get(key, _EMPTY)

    def __getitem__(self, key: str) -> Taint:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return cast(Taint, value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        bit = self.vars.bits.get(key)
        return bit is not None and bool(self.mask & bit)

    def flat(self) -> dict[str, Taint]:
        """The state as a dictionary (variable key -> taint), in the order of the table."""
        names, taint = self.vars.names, self.taint
        # the bits from the lowest, as text: one pass in C instead of a shift per variable
        return {names[i]: taint.get(names[i], _EMPTY) for i, c in enumerate(bin(self.mask)[:1:-1]) if c == "1"}

    def items(self) -> Iterator[tuple[str, Taint]]:
        return iter(self.flat().items())

    def keys(self) -> Any:
        return self.flat().keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.flat())

    def __len__(self) -> int:
        return self.mask.bit_count()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, State):
            if self.vars is other.vars:
                return self.mask == other.mask and self.taint == other.taint
            return self.flat() == other.flat()
        if isinstance(other, dict):
            return self.flat() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"State({self.flat()!r})"

    # ---- writing (the owner only) ----------------------------------------------------
    def _own(self) -> dict[str, Taint]:
        if self.shared:
            self.taint = dict(self.taint)
            self.shared = False
        return self.taint

    def __setitem__(self, key: str, taint: Taint) -> None:
        bit = self.vars.bits.get(key)
        self.mask |= self.vars.bit(key) if bit is None else bit
        if taint:
            self._own()[key] = taint
        elif key in self.taint:
            del self._own()[key]

    def remove(self, key: str) -> None:
        bit = self.vars.bits.get(key)
        if bit is not None and self.mask & bit:
            self.mask ^= bit
            if key in self.taint:
                del self._own()[key]

    def copy(self) -> State:
        """An independent state with the same contents (sharing ``taint`` until either writes)."""
        out = State.__new__(State)
        out.vars, out.mask, out.taint, out.shared = self.vars, self.mask, self.taint, True
        self.shared = True
        return out

    def globals_only(self) -> State:
        """A new state with the global variables of this one (keys without ``::``)."""
        out = State(self.vars)
        out.mask = self.mask & self.vars.globals
        out.taint = {k: v for k, v in self.taint.items() if "::" not in k}
        return out

    # ---- joining ---------------------------------------------------------------------
    def join_from(self, other: State) -> bool:
        """Join ``other`` into this state (which the caller owns): each variable of ``other``
        gets the union of both taints. Returns whether a variable or an origin was added
        (what :func:`same` would see)."""
        if other.vars is not self.vars:
            raise ValueError("states of two variable tables joined")
        mask = self.mask | other.mask
        changed = mask != self.mask
        self.mask = mask
        theirs_all = other.taint
        if not theirs_all or theirs_all is self.taint:
            return changed
        mine_all = self.taint
        for key, theirs in theirs_all.items():
            mine = mine_all.get(key)
            if mine is None:
                self._own()[key] = theirs  # taints are never changed in place: share it
                mine_all = self.taint
                changed = True
            elif theirs is not mine and not theirs.keys() <= mine.keys():  # (what _join_taint checks)
                self._own()[key] = _join_taint(mine, theirs)
                mine_all = self.taint
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
    first visit), a copy of ``new`` when there is no ``old``."""
    if old is None:
        return new.copy()
    out = old.copy()
    return out if out.join_from(new) else old


def same(a: State, b: State) -> bool:
    """The same variables, each with the same origins (the fixpoint test)."""
    if a.vars is not b.vars:
        fa, fb = a.flat(), b.flat()
        return fa.keys() == fb.keys() and all(fa[k].keys() == fb[k].keys() for k in fa)
    if a.mask != b.mask:
        return False
    ta, tb = a.taint, b.taint
    if ta is tb:
        return True
    return ta.keys() == tb.keys() and all(ta[k].keys() == tb[k].keys() for k in ta)
