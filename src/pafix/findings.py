"""Result values shared by every front end: findings, their traces, fixes and per-file results.

Everything here is an immutable value. Offsets are indexes into the flow's source *text*
(a Python ``str``, so they count code points); lines and columns are 1-based, columns count
code points too. Front ends convert to other encodings (LSP UTF-16) themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Literal

from pafix.records import maker

Severity = Literal["error", "warning", "note"]
Safety = Literal["safe", "unsafe"]
#: what a finding's value is: a credential (password, key, token...) or other sensitive data
ValueKind = Literal["credential", "data"]
#: how sure pafix is of a finding (CodeQL's ``precision``): see :mod:`pafix.analysis.kinds`
Confidence = Literal["high", "medium", "low"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")
#: most certain first
CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")


def confidence_at_least(confidence: Confidence, minimum: Confidence) -> bool:
    """Whether a finding of ``confidence`` is shown when ``minimum`` is asked for."""
    return CONFIDENCES.index(confidence) <= CONFIDENCES.index(minimum)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``source[start:end]`` with ``text``. An insertion has ``start == end``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A fix is data: span edits plus how safe it is to apply without review."""

    edits: tuple[Edit, ...]
    safety: Safety
    description: str


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of the path a secret took, from its source to the sink."""

    line: int
    column: int
    message: str
    start: int = 0
    end: int = 0
    #: the flow (solution workflow name) this step is in, when it differs from the finding's
    flow: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  #: rule code, e.g. ``PAF101``
    name: str  #: rule name, e.g. ``sensitive-value-in-plain-variable``
    severity: Severity
    message: str  #: names variables, never secret values
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0
    subflow: str = "Main"
    variable: str | None = None
    trace: tuple[TraceStep, ...] = ()
    fix: Fix | None = None
    #: content-based, stable across line moves; filled by the core
    fingerprint: str = ""
    #: name of the solution workflow when the file is a solution export
    flow: str | None = None
    #: the kind of value the finding is about (None: a rule not about a value, e.g. DLP, syntax)
    kind: ValueKind | None = None
    #: how sure pafix is: high (a definite source by a direct path), medium (a name
    #: heuristic, sensitive data), low (weak evidence: a snippet, an error message...)
    confidence: Confidence = "high"


def finding_offsets(f: Finding) -> Iterator[int | None]:
    """Every offset a finding holds (its range, its trace's, its fix's edits'); ``None`` for a
    finding or trace step placed by line and column alone (offsets 0, 0) or a step in another
    flow, which no offset moves."""
    if f.start == 0 and f.end == 0:
        yield None
    yield f.start
    yield f.end
    for step in f.trace:
        if step.flow is not None or (step.start == 0 and step.end == 0):
            yield None
        yield step.start
        yield step.end
    if f.fix is not None:
        for e in f.fix.edits:
            yield e.start
            yield e.end


#: every field of a finding, in the order ``Finding(...)`` takes them (see :func:`with_fingerprint`)
_FIELDS = tuple(f.name for f in fields(Finding))
_ALL_FIELDS = attrgetter(*_FIELDS)
_FINGERPRINT = _FIELDS.index("fingerprint")
_LINE, _END_LINE, _START, _END, _TRACE, _FIX = (_FIELDS.index(name) for name in
                                                ("line", "end_line", "start", "end", "trace", "fix"))
#: a finding, a trace step made without the frozen ``__init__`` (:mod:`pafix.records`): a
#: keystroke below the top of a 20,001-line flow moves ~1,200 findings and numbers ~800
_new_finding = maker(Finding)
_new_step = maker(TraceStep)


def with_fingerprint(f: Finding, fingerprint: str) -> Finding:
    """``replace(f, fingerprint=fingerprint)`` in a third of the time (2.3 against 4.7 µs,
    1.4 made without the frozen ``__init__``: the core numbers ~1,600 repeated fingerprints
    of a 20,001-line flow, ~800 of them new on each keystroke): the fields read by one
    ``attrgetter`` and passed by position."""
    values = list(_ALL_FIELDS(f))
    values[_FINGERPRINT] = fingerprint
    return _new_finding(*values)


def moved_finding(f: Finding, delta: int, dline: int, at: int = 0) -> Finding:
    """``f`` with every offset moved by ``delta`` and every line by ``dline``, columns as
    they are: the finding of the same text, ``delta`` characters and ``dline`` lines further
    on, starting at the same column (see :mod:`pafix.syntax.statement_memo`). With ``at``,
    only the ranges (its own, its trace steps', its fix's edits) starting at or after ``at``
    move: the others lie above an edit (``core._by_event``). Made by position like
    :func:`with_fingerprint` (``dataclasses.replace`` took half of it: a keystroke below the
    top of a 20,001-line flow moves ~1,200 findings)."""
    if not delta and not dline:
        return f
    values = list(_ALL_FIELDS(f))
    if f.start >= at:
        values[_LINE] += dline
        values[_END_LINE] += dline
        values[_START] += delta
        values[_END] += delta
    values[_TRACE] = tuple([_new_step(s.line + dline, s.column, s.message, s.start + delta, s.end + delta, s.flow)
                            if s.start >= at else s for s in f.trace])
    fix = f.fix
    if fix is not None:
        values[_FIX] = Fix(tuple([Edit(e.start + delta, e.end + delta, e.text) if e.start >= at else e
                                  for e in fix.edits]), fix.safety, fix.description)
    return _new_finding(*values)


@dataclass(frozen=True, slots=True)
class SourceError:
    """A file or flow that could not be read or parsed (exit code 2)."""

    message: str
    line: int = 0
    column: int = 0
    flow: str | None = None


@dataclass(frozen=True, slots=True)
class FileResult:
    """What the core found in one flow (one file, or one workflow of a solution)."""

    path: str
    findings: tuple[Finding, ...] = ()
    errors: tuple[SourceError, ...] = ()
    lines: int = 0
    flow: str | None = None
    #: suppressed findings are kept for `--show-suppressed`-style reporting and tests
    suppressed: tuple[Finding, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Metadata of a rule, as reporters need it (SARIF ``rules``, ``pafix rule``)."""

    code: str
    name: str
    summary: str  #: one line: what it finds
    doc: str  #: the full docstring, Markdown
    severity: Severity
    fix_safety: Safety | None = None
