"""What every rule is: a code, a name, a docstring, a default severity and a check."""

from __future__ import annotations

import hashlib
from functools import lru_cache
import inspect
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from pafix.syntax import nodes as n
from pafix.analysis.model import FlowModel, Subflow
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint import Analysis, Event, Label
from pafix.analysis.catalogue import Catalogue
from pafix.analysis.kinds import labels_confidence, labels_kind, weaker
from pafix.findings import Confidence, Finding, Fix, RuleInfo, Safety, Severity, TraceStep, ValueKind
from pafix.fixes.mark_sensitive import mark_sensitive_edit
from pafix.syntax.statement_memo import Memos

SNIPPET_NOTE = (
    " This is a clipboard snippet: a paste into PAD does not carry sensitivity, so also tick"
    " 'Mark as sensitive' for it in the Variables pane."
)


@dataclass
class Context:
    """Everything a rule may look at, computed once per flow."""

    flow: n.Flow
    model: FlowModel
    analysis: Analysis
    events: list[Event]
    catalogue: Catalogue
    names: NamePolicy
    options: dict[str, object] = field(default_factory=dict)
    #: results per statement of the last check of an editor's buffer and of this one
    #: (:mod:`pafix.syntax.statement_memo`); None outside the editor
    memos: Memos | None = None

    def display(self, key: str) -> str:
        return key.rpartition("::")[2]

    def subflow_of(self, key: str) -> str:
        scope = key.rpartition("::")[0]
        return scope or "Main"

    def mark_fix(self, keys: Sequence[str]) -> Fix | None:
        edits = mark_sensitive_edit(self.model, list(keys))
        if not edits:
            return None
        shown = ", ".join(self.display(k) for k in keys)
        return Fix(tuple(edits), "safe", f"mark {shown} as sensitive")


class Rule:
    """Base class. Subclasses set the class variables and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    fix_safety: ClassVar[Safety | None] = None

    def check(self, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def info(cls) -> RuleInfo:
        doc = inspect.cleandoc(cls.__doc__ or "")
        summary = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
        return RuleInfo(cls.code, cls.name, summary, doc, cls.severity, cls.fix_safety)

    # ---- helpers for subclasses -------------------------------------------------------------
    def finding(
        self,
        ctx: Context,
        span: n.Span,
        message: str,
        *,
        subflow: str = "Main",
        variable: str | None = None,
        trace: tuple[TraceStep, ...] = (),
        fix: Fix | None = None,
        severity: Severity | None = None,
        kind: ValueKind | None = None,
        confidence: Confidence = "high",
    ) -> Finding:
        return Finding(
            rule=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
            start=span.start,
            end=span.end,
            subflow=subflow,
            variable=variable,
            trace=trace,
            fix=fix,
            kind=kind,
            confidence=confidence,
            fingerprint=fingerprint(self.code, subflow, variable, ctx.flow.source[span.start : span.end]),
        )


class StatementRule(Rule):
    """A rule whose findings are those of each top-level statement of each subflow, each
    worked out from that statement (nested ones included), its subflow and :meth:`facts` of
    the flow alone. The core may then reuse the findings of an unchanged statement from the
    last check of an editor's buffer, moved with the statement
    (:mod:`pafix.syntax.statement_memo`); ``tests/test_lsp_reuse.py`` checks that every edit
    gets the findings of a check from scratch."""

    def check(self, ctx: Context) -> Iterable[Finding]:
        for sf in ctx.model.subflows:
            for stmt in sf.body:
                yield from self.check_statement(ctx, sf, stmt)

    def check_statement(self, ctx: Context, sf: Subflow, stmt: n.Stmt) -> Iterable[Finding]:
        """The findings of one top-level statement of ``sf`` (and the statements in it)."""
        raise NotImplementedError

    def facts(self, ctx: Context) -> Hashable:
        """Everything of the flow besides the statement and its subflow that
        :meth:`check_statement` reads (the catalogue and the name policy aside: the core
        reuses nothing across those)."""
        raise NotImplementedError


class EventRule(Rule):
    """A rule whose findings are those of each event it picks (:meth:`events`), each worked
    out from that event alone (its labels, spans and names) and the flow's text at the event's
    span (the fingerprint). In the editor the analysis replays the chunks of statements above
    an edit, recording the very event objects of the last check again; the core then takes an
    event's findings over from the last check when it is the same object and its span lies
    in the text both checks share (``tests/test_statement_memo.py`` checks that every edit gets
    the findings of a check from scratch)."""

    def check(self, ctx: Context) -> Iterable[Finding]:
        for event in self.events(ctx):
            yield from self.check_event(ctx, event)

    def events(self, ctx: Context) -> Iterable[Event]:
        """The events the rule reports on, in the order of its findings."""
        raise NotImplementedError

    def check_event(self, ctx: Context, event: Event) -> Iterable[Finding]:
        """The findings of one event of :meth:`events`."""
        raise NotImplementedError


def best_label(labels: Sequence[Label]) -> Label:
    """The label to show: a declared source beats a name heuristic; then the shortest path."""
    rank = {"sensitive": 0, "input": 0, "secret-output": 0, "secret-param": 1, "secret-property": 1,
            "encrypted-literal": 1, "error": 2, "secret-name": 3}
    return min(labels, key=lambda lab: (rank.get(lab.origin.kind, 2), len(lab.steps), lab.origin.span.start))


def judged(labels: Sequence[Label], *, snippet: bool = False) -> tuple[ValueKind, Confidence]:
    """The kind and confidence of a finding about ``labels``: sensitive data that is not a
    credential is at most medium (the author's mark says "sensitive", not what it opens);
    a snippet's "not marked sensitive" claims are low."""
    kind = labels_kind(labels)
    confidence = labels_confidence(labels, snippet=snippet)
    return kind, (weaker(confidence, "medium") if kind == "data" else confidence)


def what_it_is(kind: ValueKind | None) -> str:
    """How a message names the value: never "a secret" for data that is not a credential."""
    return "sensitive data" if kind == "data" else "a secret"


def only_heuristic(labels: Sequence[Label]) -> bool:
    """Every path rests on a guess (a secret-looking name, or an error message that may quote
    the secret): reported as a warning, not an error."""
    return all(lab.origin.kind == "secret-name" or lab.via_error for lab in labels)


_STRING_RE = re.compile(r"'(?:[^'\\]|\\.)*'", re.S)


@lru_cache(maxsize=8192)
def fingerprint(code: str, subflow: str, variable: str | None, text: str) -> str:
    """Content-based and stable across line moves; string contents are masked first so that
    the hash of a short secret cannot be brute-forced back. Remembered (a function of its
    arguments alone): the editor asks it again for every finding it makes on each keystroke,
    ~1,300 on the bench's 20,001-line flow at 1-1.7 us each, against 0.2 us for a hit."""
    normal = " ".join(_STRING_RE.sub("''", text).split())
    data = "\x1f".join([code, subflow, variable or "", normal])
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]
