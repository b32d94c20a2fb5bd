"""The one core every front end calls: source text in, findings (with their fixes) out.

``check_source`` is pure: it reads no file and writes nothing. ``scan`` and ``rewrite`` read
files and render results; the language server calls it on the editor's buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from pafix.syntax import nodes as n
from pafix.analysis.model import FlowModel, SolutionContext, Subflow, build_model
from pafix.analysis.names import NamePolicy, make_policy
from pafix.analysis.taint import Analysis, Event, analyse, carries_over
from pafix.analysis.taint.runs import Recorder
from pafix.analysis.catalogue import Catalogue, load_catalogue
from pafix.config import DEFAULT, Config
from pafix.errors import ParseError
from pafix.findings import (Finding, FileResult, SourceError, confidence_at_least, finding_offsets, moved_finding,
                             with_fingerprint)
from pafix.guard import NestingTooDeep, call_deep, public_message
from pafix.syntax.parser import parse
from pafix.rules import FLOW_RULES, BY_CODE, Context
from pafix.rules.base import EventRule, StatementRule, fingerprint
from pafix.syntax.incremental import Moved
from pafix.syntax.statement_memo import Memos, Recall, Remembered
from pafix.syntax.suppress import Suppression, find_suppressions

if TYPE_CHECKING:
    from pafix.dlp import DlpSettings


@dataclass(frozen=True, slots=True)
class Checked:
    """The full result of checking one flow: the tree and model too, for the rewriter."""

    flow: n.Flow
    model: FlowModel
    analysis: Analysis
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    #: per user (a :class:`StatementRule`'s code, an index a fix builds), its results for each
    #: block of statements, and each body's blocks, for the next check of the same buffer (kept
    #: only when asked: ``check_flow(remember=True)``; they live and die with this check)
    memos: Remembered | None = field(default=None, compare=False, repr=False)
    #: per :class:`EventRule`, the findings of each event it reported on (by the event's id,
    #: with the event, which keeps the id its own), for the next check (as ``memos``)
    event_memos: dict[str, EventMemo] = field(default_factory=dict, compare=False, repr=False)
    #: the findings this check made that the next may take over as they are (as ``memos``):
    #: the numbered copies of repeated fingerprints, the unused-suppression findings
    carried: Carried | None = field(default=None, compare=False, repr=False)


#: an event rule's findings per event, by the event's id (see :func:`_by_event`)
EventMemo = dict[int, tuple[Event, tuple[Finding, ...]]]


@dataclass(frozen=True, slots=True)
class Carried:
    """Findings one check of an editor's buffer made that the next check may take over whole
    when it meets the very objects they were made from (identity, not equality: a finding's
    hash reads its fix's every edit). Each is a function of that object (and the text at its
    span, for the unused suppressions), so the same object gives the same finding.

    Why: the findings above an edit are the last check's objects (the statement and event
    memos take them over), but numbering made a new copy of each whose fingerprint repeats
    (1,585 of the 1,629 findings of the bench's 20,001-line flow; ``dataclasses.replace``,
    11 ms a keystroke) and the unused suppressions were made again (468 of them, with their
    fingerprints); the diagnostics, then, met new objects and had to compare them by value."""

    #: by the id of an unnumbered finding: it and its copy numbered ``fingerprint:count``
    numbered: dict[int, tuple[Finding, Finding]] = field(default_factory=dict)
    #: by the id of a suppression comment: it, the message and the finding (severity as the
    #: rule's: the config's is applied after)
    unused: dict[int, tuple[n.Comment, str, Finding]] = field(default_factory=dict)


_CATALOGUES: dict[str, Catalogue] = {}


def catalogue_for(config: Config) -> Catalogue:
    """The catalogue with the config's extra entries, built once per distinct config."""
    key = config.cache_key()
    cat = _CATALOGUES.get(key)
    if cat is None:
        cat = load_catalogue(list(config.catalogue), credential_template=config.credential_template)
        _CATALOGUES[key] = cat
    return cat


_POLICIES: dict[tuple[tuple[str, ...], tuple[str, ...]], NamePolicy] = {}


def names_for(config: Config) -> NamePolicy:
    """The name policy of the config's extra names, made once per distinct pair of lists (its
    memo of answers then serves every flow of a run)."""
    key = (tuple(config.secret_names), tuple(config.non_secret_names))  # a caller may pass lists
    policy = _POLICIES.get(key)
    if policy is None:
        if len(_POLICIES) >= 16:  # configs gone by (the editor reloads them)
            _POLICIES.clear()
        policy = _POLICIES[key] = make_policy(*key)
    return policy


def check_flow(
    flow: n.Flow,
    config: Config = DEFAULT,
    *,
    password_io: frozenset[str] = frozenset(),
    io_schema: frozenset[str] | None = None,
    solution: SolutionContext | None = None,
    dlp: DlpSettings | None = None,
    reuse: Checked | None = None,
    remember: bool = False,
    moved: Moved | None = None,
) -> Checked:
    """Check a parsed flow. The analysis and the rules recurse per level of nesting: a deeply
    nested flow is checked in a thread with room for that (:func:`pafix.guard.call_deep`); one
    nested deeper than :data:`pafix.guard.MAX_NESTING` raises :class:`NestingTooDeep`.
    ``reuse``, the check of an earlier version of the same buffer (the editor), lets the
    analysis take over what it worked out for the nodes both versions share, and the rules
    the findings of the statements both versions share, moved with them, when that check was
    made with ``remember=True``; the findings are the same without it. ``moved``: how the
    parser made ``flow`` from ``reuse.flow`` (:func:`pafix.syntax.incremental.reparse_moved`),
    which saves cutting its bodies into blocks again."""
    return call_deep(flow, _check_flow, flow, config, password_io, io_schema, solution, dlp, reuse, remember, moved)


def _check_flow(
    flow: n.Flow,
    config: Config,
    password_io: frozenset[str],
    io_schema: frozenset[str] | None,
    solution: SolutionContext | None,
    dlp: DlpSettings | None,
    reuse: Checked | None = None,
    remember: bool = False,
    moved: Moved | None = None,
) -> Checked:
    catalogue = catalogue_for(config)
    names = names_for(config)
    model = build_model(flow, password_io, io_schema, solution, reuse.model if reuse is not None else None)
    memos = None
    if remember:
        memos = Memos(reuse.memos if reuse is not None else None, flow.source, moved)
    analysis, events = analyse(model, catalogue, names, reuse.analysis if reuse is not None else None, remember,
                               memos)
    carried = reuse is not None and carries_over(reuse.analysis, analysis)
    if memos is not None and not carried:
        memos.forget()  # the rules' results read the catalogue, the name policy or the solution
    old_events = reuse.event_memos if reuse is not None and carried else {}
    new_events: dict[str, EventMemo] = {}
    options: dict[str, object] = {"config": config, "password_io": password_io}
    if dlp is not None:  # DLP policies for the PAF3xx rules (they report nothing without)
        options["dlp"] = dlp
    ctx = Context(flow, model, analysis, events, catalogue, names, options, memos)
    found: list[Finding] = []
    for rule_cls in FLOW_RULES:
        if not config.enabled(rule_cls.code) or rule_cls.code == "PAF902":
            continue
        rule = rule_cls()
        if memos is not None and isinstance(rule, StatementRule):
            found.extend(_by_statement(rule, ctx, memos))
        elif memos is not None and isinstance(rule, EventRule):
            kept_events: EventMemo = {}
            new_events[rule.code] = kept_events
            found.extend(_by_event(rule, ctx, old_events.get(rule.code, {}), kept_events, memos.prefix,
                                   analysis.recorder))
        else:
            found.extend(rule.check(ctx))
    found = [_severity(f, config) for f in found]
    kept, suppressed, unused = _apply_suppressions(flow, found)
    # what the last check made that this one meets again, and what this one makes for the
    # next (None: a scan keeps nothing)
    last = reuse.carried if reuse is not None and reuse.carried is not None and memos is not None else Carried()
    made = Carried() if memos is not None else None
    if config.enabled("PAF902"):
        rule = BY_CODE["PAF902"]()
        prefix = memos.prefix if memos is not None else 0
        for supp, message in unused:
            hit = last.unused.get(id(supp))
            if hit is not None and hit[0] is supp and hit[1] == message and supp.span.end <= prefix:
                finding = hit[2]  # the same comment, where the text is the last check's
            else:
                finding = rule.finding(ctx, supp.span, message)
            if made is not None:
                made.unused[id(supp)] = (supp, message, finding)
            kept.append(_severity(finding, config))
    # below the asked confidence: not reported (a suppression that hid one still counts as used)
    kept = [f for f in kept if confidence_at_least(f.confidence, config.min_confidence)]
    kept.sort(key=lambda f: (f.line, f.column, f.rule, f.variable or ""))
    numbered = _number(kept, last.numbered, made.numbered if made is not None else None)
    return Checked(flow, model, analysis, tuple(numbered), tuple(suppressed),
                   memos.remembered() if memos is not None else None, new_events, made)


def _by_statement(rule: StatementRule, ctx: Context, memos: Memos) -> list[Finding]:
    """``rule.check(ctx)``, with the findings of each block of statements whose text, column
    and subflow the last check saw taken from it, moved (see :mod:`pafix.syntax.statement_memo`)."""
    recall: Recall[tuple[Finding, ...], tuple[Finding, ...]] = memos.recall(
        rule.code, rule.facts(ctx), _moved_findings, _joined_findings)
    out: list[Finding] = []
    for sf in ctx.model.subflows:

        def compute(stmt: n.Stmt, sf: Subflow = sf) -> tuple[tuple[Finding, ...], bool]:
            found = tuple(rule.check_statement(ctx, sf, stmt))
            start, end = stmt.span.start, stmt.span.end
            return found, all(x is not None and start <= x <= end for f in found for x in finding_offsets(f))

        for found, delta, dline in recall.blocks((sf.name, sf.is_global), sf.body, compute):
            if delta or dline:
                out.extend(moved_finding(f, delta, dline) for f in found)
            else:
                out.extend(found)
    return out


def _by_event(rule: EventRule, ctx: Context, old: EventMemo, new: EventMemo, prefix: int,
              rec: Recorder | None = None) -> list[Finding]:
    """``rule.check(ctx)``, with the findings of each event the last check reported on taken
    from it: the same event object (the analysis replayed the chunk that records it, so it
    says what it said then) whose span lies in the text both checks share (the fingerprint
    reads it), or an event the replay moved as a whole below the edit (``rec.shifted``: every
    position of it either above the edit, kept, or below the edited line, moved by the same
    offsets and lines, columns kept; so its findings are the last ones with the ranges below
    moved alike, and its span holds the same text). Every event's findings are kept for the
    next check."""
    out: list[Finding] = []
    shifted = rec.shifted if rec is not None else {}
    at, delta, dline = rec.shift if rec is not None else (0, 0, 0)
    for event in rule.events(ctx):
        hit = old.get(id(event))
        if hit is not None and hit[0] is event and event.span.end <= prefix:
            found = hit[1]
        else:
            was = shifted.get(id(event))
            hit = old.get(id(was[1])) if was is not None and was[0] is event else None
            if hit is not None and was is not None and hit[0] is was[1]:
                found = tuple([moved_finding(f, delta, dline, at) for f in hit[1]])
            else:
                found = tuple(rule.check_event(ctx, event))
        new[id(event)] = (event, found)
        out.extend(found)
    return out


def _moved_findings(found: tuple[Finding, ...], delta: int, dline: int) -> tuple[Finding, ...]:
    return tuple(moved_finding(f, delta, dline) for f in found)


def _joined_findings(parts: Sequence[tuple[Finding, ...]]) -> tuple[Finding, ...]:
    return tuple(f for part in parts for f in part)


def _severity(f: Finding, config: Config) -> Finding:
    level = config.severity.get(f.rule)
    return replace(f, severity=level) if level and level != f.severity else f


def _number(findings: list[Finding], last: dict[int, tuple[Finding, Finding]] | None = None,
            kept: dict[int, tuple[Finding, Finding]] | None = None) -> list[Finding]:
    """Make fingerprints unique within a file: the n-th identical one gets ``:n``. ``last``:
    the copies the last check made (:attr:`Carried.numbered`), taken over for the same finding
    object with the same count; every copy made or taken over goes into ``kept``."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        fingerprint = f.fingerprint
        count = seen.get(fingerprint, 0)
        seen[fingerprint] = count + 1
        if count == 0:
            out.append(f)
            continue
        numbered = f"{fingerprint}:{count}"
        hit = last.get(id(f)) if last else None
        if hit is not None and hit[0] is f and hit[1].fingerprint == numbered:
            copy = hit[1]
        else:
            copy = with_fingerprint(f, numbered)
        if kept is not None:
            kept[id(f)] = (f, copy)
        out.append(copy)
    return out


def _apply_suppressions(
    flow: n.Flow, findings: list[Finding]
) -> tuple[list[Finding], list[Finding], list[tuple[n.Comment, str]]]:
    supps = find_suppressions(flow)
    if not supps:
        return findings, [], []
    used: set[tuple[int, str]] = set()  # (suppression, code) pairs that hid a finding
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    naming: dict[str, _Naming] = {}  # rule -> _naming(supps, rule)
    for f in findings:
        by_line = naming.get(f.rule)
        if by_line is None:
            by_line = naming[f.rule] = _naming(supps, f.rule)
        lines, whole = by_line
        hit = lines.get(f.line)
        if whole is not None and (hit is None or whole[0] < hit[0]):
            hit = whole
        if hit is None:
            kept.append(f)
        else:
            used.add(hit)
            suppressed.append(f)
    unused: list[tuple[n.Comment, str]] = []
    for i, s in enumerate(supps):
        unknown = [c for c in s.codes if not _known_code(c)]
        idle = [c for c in s.codes if c not in unknown and (i, c) not in used]
        if unknown:
            unused.append((s.comment, f"suppression names no known rule: {', '.join(unknown)}"))
        elif not s.codes:
            unused.append((s.comment, "suppression names no rule code"))
        elif idle:
            unused.append((s.comment, f"unused suppression: no {', '.join(idle)} finding here"))
    return kept, suppressed, unused


@lru_cache(maxsize=1024)
def _known_code(code: str) -> bool:
    """Whether a suppression's code names a rule (or a prefix of one's); asked of every
    suppression of a flow on every keystroke, and the rules do not change."""
    return any(rule.startswith(code) for rule in BY_CODE)


#: for each line a rule's suppressions cover, the first of them (index, code), and the first
#: whole-file one
_Naming = tuple[dict[int, tuple[int, str]], tuple[int, str] | None]


def _naming(supps: list[Suppression], rule: str) -> _Naming:
    """Which suppression (its index and first code naming ``rule``) hides a finding of
    ``rule`` on each line: the first in order that covers the line, a whole-file one covering
    every line. Worked out once per rule, not once per finding: a large flow with many
    findings and many suppressions took one pass over the suppressions per finding."""
    lines: dict[int, tuple[int, str]] = {}
    whole: tuple[int, str] | None = None
    for i, s in enumerate(supps):
        for code in s.codes:  # the first naming the rule (a loop: no generator per suppression)
            if rule.startswith(code):
                break
        else:
            continue
        if s.whole_file:
            if whole is None:
                whole = (i, code)
            continue
        for line in range(s.first_line, s.last_line + 1):
            lines.setdefault(line, (i, code))
    return lines, whole


def check_source(
    text: str,
    path: str = "<text>",
    config: Config = DEFAULT,
    *,
    flow_name: str | None = None,
    password_io: frozenset[str] = frozenset(),
    io_schema: frozenset[str] | None = None,
    solution: SolutionContext | None = None,
    dlp: DlpSettings | None = None,
) -> FileResult:
    """Parse and check one flow's text. Parse errors, and flows nested too deep to check, come
    back as ``errors`` (exit code 2); their messages quote no source text.

    One bad line does not hide the file: the lines that do not parse are errors and the rest is
    parsed again (the parser's recovery mode) and checked. Those findings carry no fix: a file
    that does not parse is never rewritten."""
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    errors: tuple[SourceError, ...] = ()
    try:
        flow = parse(text, path)
    except ParseError as exc:
        flow = parse(text, path, recover=True)
        errors = tuple(SourceError(public_message(e.message), e.span.line, e.span.column, flow_name) for e in flow.errors)
        errors = errors or (SourceError(public_message(exc.message), exc.line, exc.column, flow_name),)
    try:
        checked = check_flow(flow, config, password_io=password_io, io_schema=io_schema, solution=solution, dlp=dlp)
    except NestingTooDeep as exc:
        return FileResult(path, (), (*errors, SourceError(exc.message, exc.line, exc.column, flow_name)), lines, flow_name)
    findings = checked.findings
    if errors:
        findings = tuple(replace(f, fix=None) if f.fix is not None else f for f in findings)
    findings = tuple(replace(f, flow=flow_name) for f in findings) if flow_name else findings
    return FileResult(path, findings, errors, lines, flow_name, checked.suppressed)


__all__ = ["Checked", "NestingTooDeep", "check_flow", "check_source", "catalogue_for", "fingerprint"]

