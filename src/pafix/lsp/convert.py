"""Core results -> LSP values (diagnostics, text edits), positions in the negotiated encoding."""

from __future__ import annotations

import difflib
import itertools
import operator
from dataclasses import dataclass
from typing import Any, cast

from lsprotocol import types as t

from pafix.findings import Edit, Finding, TraceStep
from pafix.lsp.lint import LintResult, StatementLocator, suppression_insert
from pafix.lsp.positions import LineIndex
from pafix.lsp.pull import same_diagnostic, same_diagnostics
from pafix.lsp.wire import Cut, cut
from pafix.syntax.incremental import common_prefix

SOURCE = "pafix"
RULES_URL = "https://github.com/pafix/pafix/blob/main/docs/rules.md"
PARSE_ERROR_CODE = "parse-error"
UNUSED_SUPPRESSION = "PAF902"

SEVERITY = {
    "error": t.DiagnosticSeverity.Error,
    "warning": t.DiagnosticSeverity.Warning,
    "note": t.DiagnosticSeverity.Information,
}


def rule_href(code: str) -> str:
    return f"{RULES_URL}#{code.lower()}"


def lsp_range(index: LineIndex, start: int, end: int, encoding: str) -> t.Range:
    sl, sc = index.position(start, encoding)
    el, ec = index.position(max(start, end), encoding)
    return t.Range(t.Position(sl, sc), t.Position(el, ec))


def _line_col_offset(index: LineIndex, line: int, column: int) -> int:
    """Offset of a 1-based line/column counted in code points (the core's fallback)."""
    start = index.line_start(line - 1)
    return min(start + max(column - 1, 0), index.line_end(line - 1))


def _span(index: LineIndex, start: int, end: int, line: int, column: int) -> tuple[int, int]:
    if start == 0 and end == 0 and (line > 1 or column > 1):
        off = _line_col_offset(index, line, column)
        return off, off
    return start, end


def range_json(index: LineIndex, start: int, end: int, encoding: str) -> dict[str, Any]:
    """An LSP ``Range`` as plain JSON (diagnostics are sent as JSON built here, in the worker
    thread: converting hundreds of them with cattrs on the event loop costs more than the
    check of a small flow)."""
    sl, sc = index.position(start, encoding)
    el, ec = index.position(max(start, end), encoding)
    return {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}}


def edit_json(index: LineIndex, edit: Edit, encoding: str) -> dict[str, Any]:
    return {"range": range_json(index, edit.start, edit.end, encoding), "newText": edit.text}


def text_edit(index: LineIndex, edit: Edit, encoding: str) -> t.TextEdit:
    """``edit`` as an LSP ``TextEdit`` (a code action's, made when it is asked for)."""
    return t.TextEdit(lsp_range(index, edit.start, edit.end, encoding), edit.text)


def _related(uri: str, index: LineIndex, step: TraceStep, encoding: str) -> dict[str, Any]:
    start, end = _span(index, step.start, step.end, step.line, step.column)
    return {"location": {"uri": uri, "range": range_json(index, start, end, encoding)}, "message": step.message}


def finding_diagnostic(uri: str, version: int | None, result: LintResult, index: LineIndex,
                       finding: Finding, encoding: str, locator: StatementLocator | None = None,
                       suppress: bool = True) -> dict[str, Any]:
    """One finding as an LSP ``Diagnostic`` (JSON). ``data`` names the finding (``id``, its
    fingerprint, unique in the file) and the version it was made for (``v``), plus its
    ``confidence`` and ``kind``: the fix's edits and the removal of an unused suppression are
    made when a code action asks for them, from the current check's finding of that id
    (:func:`fix_edits`, :func:`removal_edits`), not carried in every diagnostic on every
    keystroke (16 of the 138 KB of the 2,001-line bench flow's 172 diagnostics; and a fix's
    edits name lines anywhere in the file, so a line typed above any of them changed the
    diagnostic). With ``suppress=True`` it
    carries the suppression edit (for callers outside the server); the server makes that at
    code-action time too (:func:`suppress_edit`). Nothing in it is an offset, so a
    diagnostic below an edit that keeps its lines is equal to the last one but for ``data.v``
    (see :mod:`pafix.lsp.pull`)."""
    start, end = _span(index, finding.start, finding.end, finding.line, finding.column)
    data: dict[str, Any] = {"v": version, "id": finding.fingerprint, "confidence": finding.confidence,
                            "kind": finding.kind}
    if suppress and not _removable(finding):
        data["suppress"] = [suppress_edit_json(result, index, start, finding.rule, encoding, locator)]
    diag: dict[str, Any] = {
        "range": range_json(index, start, end, encoding),
        "severity": int(SEVERITY.get(finding.severity, t.DiagnosticSeverity.Warning)),
        "code": finding.rule,
        "codeDescription": {"href": rule_href(finding.rule)},
        "source": SOURCE,
        "message": finding.message,
        "data": data,
    }
    if finding.rule == UNUSED_SUPPRESSION:
        diag["tags"] = [int(t.DiagnosticTag.Unnecessary)]
    if finding.trace:
        diag["relatedInformation"] = [_related(uri, index, s, encoding) for s in finding.trace]
    return diag


def _removable(finding: Finding) -> bool:
    """Whether ``finding`` is an unused suppression whose quick fix deletes the comment line
    (suppressing "unused suppression" makes no sense)."""
    return finding.rule == UNUSED_SUPPRESSION and (finding.fix is None or not finding.fix.edits)


def finding_start(index: LineIndex, finding: Finding) -> int:
    """The offset where ``finding``'s diagnostic begins."""
    return _span(index, finding.start, finding.end, finding.line, finding.column)[0]


def fix_edits(index: LineIndex, finding: Finding, encoding: str) -> list[t.TextEdit]:
    """The quick fix of ``finding`` (of the check whose text ``index`` indexes) as LSP edits."""
    if finding.fix is None:
        return []
    return [text_edit(index, e, encoding) for e in finding.fix.edits]


def removal_edits(index: LineIndex, finding: Finding, encoding: str) -> list[t.TextEdit]:
    """For an unused suppression without a fix of its own: the edit deleting its comment line."""
    if not _removable(finding):
        return []
    line_no = index.line_of(finding_start(index, finding))
    begin = index.line_start(line_no)
    stop = index.starts[line_no + 1] if line_no + 1 < index.line_count else len(index.text)
    return [text_edit(index, Edit(begin, stop, ""), encoding)]


def suppress_edit(result: LintResult, start: int, code: str, locator: StatementLocator | None = None) -> Edit:
    """The edit that inserts ``# pafix: ignore[CODE] <reason>`` above the statement at ``start``."""
    flow = result.checked.flow if result.checked is not None else None
    at, line = suppression_insert(result.text, flow, start, code, locator=locator)
    return Edit(at, at, line)


def suppress_edit_json(result: LintResult, index: LineIndex, start: int, code: str, encoding: str,
                       locator: StatementLocator | None = None) -> dict[str, Any]:
    """:func:`suppress_edit` as the JSON of an LSP ``TextEdit`` (a diagnostic's ``data``)."""
    return edit_json(index, suppress_edit(result, start, code, locator), encoding)


#: a finding of the memo's check: the finding, its diagnostic, its reach (see :func:`_reach`)
#: and the diagnostic's JSON text (:mod:`pafix.lsp.wire`)
_Made = tuple[Finding, dict[str, Any], int, Cut | None]

#: what :class:`DiagnosticMemo` holds: the uri, the encoding and the text a check's
#: diagnostics were made for, its findings (:data:`_Made`) in order (None for one placed by
#: line and column, which is not kept), the text's number of lines, the diagnostics of the
#: parse errors and of the findings (in order), their lineage, and the JSON text of the whole
#: list (None if one has none)
_Memo = tuple[str, str, str, list[_Made | None], int, list[dict[str, Any]], list[dict[str, Any]], int,
              list[Cut] | None]

#: lineages, shared by every buffer's memo (one never meets another's: see DiagnosticMemo.lineage)
_lineages = itertools.count(1)


@dataclass(slots=True)
class DiagnosticMemo:
    """The diagnostics of the last check of one buffer, for the next check of it.

    A diagnostic is the finding plus LSP positions of the offsets it names (its range and its
    trace; not its fix's edits, made when a code action asks), and a position depends only on
    the text before it. So a finding of the next check equal to one of the last, whose range
    and trace lie before the first changed character, gets the same diagnostic but for its
    version: the findings above an edit are not converted again. Looked up at the finding's
    place in the last list first (the findings are in the order of their places): at its index
    above the edit, where the core takes most findings over as they are
    (:class:`pafix.core.Carried`), and at its distance from the end below it, where the core
    hands the last check's findings over moved by the edit (``findings.moved_finding``); then
    by identity, then, for a finding a rule of the whole flow made again, by rule and offsets,
    and compared: a dict keyed by the findings themselves hashed each one, fix edits and trace
    included, twice a keystroke (354 ms over 10 keystrokes on 20,001 lines, under the
    profiler, with the conversion). One tuple, replaced whole, so a check running late in another thread cannot
    pair one text with the diagnostics of another.

    Each list it makes has a *lineage*: the last list's when the new one is that list but for
    each diagnostic's ``data.v`` (every diagnostic taken from the last check's, in the same
    order, and the same parse errors), a new one otherwise. Two lists of one lineage are equal
    but for ``data.v`` (each step kept them so), which is what a pull answered ``unchanged``
    needs (:func:`pafix.lsp.pull.answer`): comparing the 1,629 diagnostics of the 20,001-line
    bench flow field by field took ~4 ms of a keystroke."""

    state: _Memo | None = None

    @property
    def lineage(self) -> int | None:
        """The lineage of the last list made (None before the first)."""
        return self.state[7] if self.state is not None else None

    @property
    def wire(self) -> list[Cut] | None:
        """The JSON text of the last list made, cut around each diagnostic's version (see
        :func:`pafix.lsp.wire.render`): the text of a diagnostic taken from the last list is
        that one's, so a keystroke serialises only the diagnostics it changed."""
        return self.state[8] if self.state is not None else None


def _reach(f: Finding) -> int | None:
    """The largest offset ``f``'s diagnostic is made from (its range and trace: the fix's
    edits are not in it), or None when a part of it is placed by line and column instead (see
    :func:`_span`)."""
    if f.start == 0 and f.end == 0 and (f.line > 1 or f.column > 1):
        return None
    reach = max(f.start, f.end)
    for step in f.trace:
        if step.start == 0 and step.end == 0 and (step.line > 1 or step.column > 1):
            return None
        reach = max(reach, step.start, step.end)
    return reach


def _reused(memo: DiagnosticMemo, uri: str, version: int | None, result: LintResult, index: LineIndex,
            encoding: str, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings' diagnostics (``errors``: the parse errors' ones, made already), and the
    memo updated with them."""
    state = memo.state
    order: list[_Made | None] = []  # the last check's findings (None: one not kept), in its order
    known: dict[int, _Made] | None = None  # the same by the finding's id, made if a look-up needs it
    # whether the list is the last one but for data.v so far: the same parse errors, as many
    # findings, and each one's diagnostic taken from the one at its place in the last list
    kept = False
    last: list[dict[str, Any]] = []
    limit = -1  # offsets below it are in the text the memo's diagnostics were made for
    below: _Below | None = None
    if state is not None and state[0] == uri and state[1] == encoding:
        order = state[3]
        moved = result.moved  # the parser's answer, for the last text of this buffer
        same = moved is not None and moved.of(state[2], result.text)
        limit = (common_prefix(state[2], result.text) if moved is None or not same else moved.prefix) - 1
        if moved is not None and same and state[4] == index.line_count:
            below = _below(index, len(result.text) - moved.suffix, moved.delta)
        last = state[6]
        kept = len(last) == len(result.findings) and same_diagnostics(state[5], errors)
    nothing_below = (len(result.text) + 1, 0)  # no offset has a counterpart past the change
    safe, delta = below if below is not None else nothing_below
    floor = max(safe, limit)  # offsets from here are moved by delta (see _same_diagnostic)
    out: list[dict[str, Any]] = []
    entries: list[_Made | None] = []
    by_place: dict[tuple[str, int, int], _Made] | None = None
    cuts: list[Cut | None] = [cut(e) for e in errors]
    # the findings are in the order of their places (lint.py), so the one the core took over
    # as it was sits at its index of the last list, and the one it moved below the edit at its
    # distance from the end: both are tried first, before any dictionary
    tail = len(order) - len(result.findings)
    for i, f in enumerate(result.findings):
        hit: _Made | None = None
        reach: int | None
        j = i if f.start < safe else i + tail
        near = order[j] if 0 <= j < len(order) else None
        if near is not None and near[0] is f:
            hit, reach = near, near[2]  # the same finding: the same reach, not worked out again
            if reach >= limit:
                hit = None
        elif near is not None and f.start >= floor and (moved_reach := _moved_reach(f, near[0], floor, delta)) >= 0:
            hit, reach = near, moved_reach  # the last one at its place, moved below the edit
        elif near is not None and (reach := _reach(f)) is not None and _same_diagnostic(
                f, near[0], limit, below or nothing_below):
            hit = near  # the last one at its place, made again (a rule of the whole flow)
        else:
            if known is None:
                known = {id(e[0]): e for e in order if e is not None}
            entry = known.get(id(f))
            if entry is not None and entry[0] is f:
                hit, reach = entry, entry[2]
                if reach >= limit:
                    hit = None
            else:
                reach = _reach(f)
        if hit is None and reach is not None and order and (reach < limit or below is not None):
            # a finding made again (a rule of the whole flow, or one below the edit, or one
            # above it whose trace reaches below): the last one at the same place (moved back
            # if it is below), if its diagnostic is this one's
            if by_place is None:
                by_place = {(e[0].rule, e[0].start, e[0].end): e for e in order if e is not None}
            shift = delta if f.start >= safe else 0
            hit = by_place.get((f.rule, f.start - shift, f.end - shift))
            # (not ``hit[0] == f``: a fix's edits may differ, e.g. PAF103's that name lines
            # below the edit, and are not in the diagnostic)
            if hit is not None and not _same_diagnostic(f, hit[0], limit, below or nothing_below):
                hit = None
        if hit is not None:
            cached = hit[1]
            kept = kept and last[len(out)] is cached
            diag = dict(cached)
            diag["data"] = {**cached["data"], "v": version}
            text = hit[3]  # the diagnostic is the cached one but for data.v: so is its text
        else:
            diag = finding_diagnostic(uri, version, result, index, f, encoding, None, False)
            kept = kept and same_diagnostic(last[len(out)], diag)
            text = cut(diag)
        entries.append((f, diag, reach, text) if reach is not None else None)
        out.append(diag)
        cuts.append(text)
    lineage = state[7] if kept and state is not None else next(_lineages)
    wire = cast(list[Cut], cuts) if None not in cuts else None
    memo.state = (uri, encoding, result.text, entries, index.line_count, errors, out, lineage, wire)
    return out


#: the fields of a finding its diagnostic shows besides its offsets and trace
_shown = operator.attrgetter("rule", "message", "severity", "fingerprint", "confidence", "kind")


def _moved_reach(f: Finding, old: Finding, floor: int, delta: int) -> int:
    """The reach of ``f`` if it is ``old`` moved by ``delta`` below the edit: every field its
    diagnostic shows equal, and every offset of its range and trace at ``floor`` or after and
    ``delta`` past ``old``'s (one case of :func:`_same_diagnostic`, the one the core's moved
    findings below an edit meet, checked without a list of offsets); -1 otherwise."""
    if f.start != old.start + delta or f.end != old.end + delta or f.start < floor or _shown(f) != _shown(old):
        return -1
    reach = max(f.start, f.end)
    if f.trace or old.trace:
        if len(f.trace) != len(old.trace):
            return -1
        for step, was in zip(f.trace, old.trace):
            if (step.start != was.start + delta or step.end != was.end + delta or step.start < floor
                    or step.message != was.message):
                return -1
            reach = max(reach, step.start, step.end)
    return reach


#: below an edit that kept the number of lines: the first offset whose line starts after the
#: changed text, and how far the text from there moved
_Below = tuple[int, int]


def _below(index: LineIndex, changed_end: int, delta: int) -> _Below | None:
    """Where an offset of this text has the LSP position its counterpart ``delta`` back had
    in the last text, when the two have as many lines (the caller's test): from the start of
    the first line after the one holding ``changed_end`` (the end of what changed; every
    character from there is the last text's, moved), the text before an offset on its own
    line is the same, and so are the line breaks after it, hence the lines before it. None
    when no line starts there."""
    line = index.line_of(changed_end) + 1
    return (index.starts[line], delta) if line < index.line_count else None


def _same_diagnostic(f: Finding, old: Finding, limit: int, below: _Below) -> bool:
    """Whether ``f`` has the diagnostic of ``old``: every field a diagnostic shows equal, and
    each offset of its range and of its trace steps either above the edit and equal or below
    it and moved (the fix is not in a diagnostic)."""
    safe, delta = below
    if (f.rule != old.rule or f.message != old.message or f.severity != old.severity
            or f.fingerprint != old.fingerprint or f.confidence != old.confidence or f.kind != old.kind
            or len(f.trace) != len(old.trace)):
        return False
    offsets = [f.start, old.start, f.end, old.end]  # (now, then) pairs, flat
    for step, was in zip(f.trace, old.trace):
        if step.message != was.message:
            return False
        offsets += (step.start, was.start, step.end, was.end)
    for i in range(0, len(offsets), 2):
        at, then = offsets[i], offsets[i + 1]
        if not (at == then if at < limit else at >= safe and at == then + delta):
            return False
    return True


def diagnostics(uri: str, version: int | None, result: LintResult, index: LineIndex, encoding: str,
                suppress: bool = True, memo: DiagnosticMemo | None = None) -> list[dict[str, Any]]:
    """The parse errors and findings of one check, as LSP ``Diagnostic`` JSON (``suppress``:
    see :func:`finding_diagnostic`). With ``memo`` (and ``suppress=False``, the server's way)
    the diagnostics of findings above the edit since the memo's check are taken from it."""
    out: list[dict[str, Any]] = []  # the parse errors', then the findings'
    for problem in result.parse_errors:
        out.append({
            "range": range_json(index, problem.start, problem.end, encoding),
            "severity": int(t.DiagnosticSeverity.Error),
            "code": PARSE_ERROR_CODE,
            "source": SOURCE,
            "message": f"parse error: {problem.message}",
            "data": {"v": version},
        })
    if memo is not None and not suppress:
        return out + _reused(memo, uri, version, result, index, encoding, out)
    locator = (StatementLocator(result.checked.flow)
               if suppress and result.checked is not None and result.findings else None)
    out.extend(finding_diagnostic(uri, version, result, index, f, encoding, locator, suppress) for f in result.findings)
    return out


def _split_lines(text: str) -> list[str]:
    index = LineIndex(text)
    return [text[index.starts[i] : index.starts[i + 1]] for i in range(len(index.starts) - 1)] + [text[index.starts[-1]:]]


def diff_edits(old: str, new: str, encoding: str, index: LineIndex | None = None) -> list[t.TextEdit]:
    """Minimal line-level edits that turn ``old`` into ``new`` (positions in ``old``)."""
    if old == new:
        return []
    index = index if index is not None and index.text == old else LineIndex(old)
    a, b = _split_lines(old), _split_lines(new)
    # equal head and tail first: SequenceMatcher only sees the part that changed
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    am, bm = a[head : len(a) - tail], b[head : len(b) - tail]
    starts = [sum(len(x) for x in a[:head])]
    for line in am:
        starts.append(starts[-1] + len(line))
    edits: list[t.TextEdit] = []
    matcher = difflib.SequenceMatcher(None, am, bm, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(t.TextEdit(lsp_range(index, starts[i1], starts[i2], encoding), "".join(bm[j1:j2])))
    return edits


__all__ = [
    "PARSE_ERROR_CODE", "RULES_URL", "SEVERITY", "SOURCE", "diagnostics", "diff_edits", "edit_json", "range_json",
    "finding_diagnostic", "finding_start", "fix_edits", "lsp_range", "removal_edits", "rule_href", "suppress_edit",
    "suppress_edit_json", "text_edit",
]
