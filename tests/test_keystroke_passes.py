"""The passes after the analysis take the last check's results over, and give a fresh check's.

Each keystroke in the editor checks the whole flow again (``lint_text(..., reuse=last)``). The
findings above an edit are the last check's objects (the statement and event memos take them
over); the core numbers repeated fingerprints and makes the unused-suppression findings, the
diagnostics convert them, the model and the credential index gather the statements: each takes
over what it made for the same objects last time. Whatever is taken over, the results must be
a fresh check's (random edits below), and the fast paths must be taken (the identity tests).

The flow is ``examples/smtp-report.robin``'s body repeated (repeated statements give repeated
fingerprints, numbered ``:n``), with the suppression comments of
``fixtures/rules/PAF902/pos_unused_suppression.robin`` and
``fixtures/rules/PAF102/pos_suppression_covers_one_statement.robin`` between the copies.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pafix.analysis.model import Subflow, build_model
from pafix.findings import Finding, TraceStep, with_fingerprint
from pafix.fixes.get_credential import _GlobalRefs
from pafix.lsp.convert import DiagnosticMemo, diagnostics
from pafix.lsp.lint import LintResult, lint_text
from pafix.lsp.positions import LineIndex
from pafix.rules import base
from pafix.syntax import nodes as n
from pafix.syntax.incremental import reparse
from pafix.syntax.parser import parse
from pafix.syntax.suppress import find_suppressions
from test_lsp_reuse import URI, _edit, check_edits

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
HEADER_END = EXAMPLE.index("# Build")


def repeated_flow(copies: int = 6) -> str:
    """The example's header, then its body ``copies`` times, a used and an unused suppression
    before each copy."""
    body = EXAMPLE[HEADER_END:]
    parts = [EXAMPLE[:HEADER_END]]
    for i in range(copies):
        parts.append("# pafix: ignore[PAF102] debug output, removed before release\n")
        parts.append(f"SET Counter{i} TO Counter{i} + 1\n")
        parts.append("# pafix: ignore[PAF102] shown only on the developer's machine\n")
        parts.append(body)
    return "".join(parts)


def _keystroke(text: str, at: int, typed: str = "x") -> tuple[LintResult, LintResult, str]:
    first = lint_text(text, "buffer.robin")
    assert first.checked is not None
    edited = text[:at] + typed + text[at:]
    again = lint_text(edited, "buffer.robin", previous=first.checked.flow, reuse=first.checked)
    assert again.moved is not None  # re-parsed in part: the statements above are the last parse's
    fresh = lint_text(edited, "buffer.robin")
    assert again.findings == fresh.findings
    return first, again, edited


def test_the_flow_has_numbered_fingerprints_and_unused_suppressions() -> None:
    result = lint_text(repeated_flow(), "buffer.robin")
    assert sum(":" in f.fingerprint for f in result.findings) >= 10
    assert sum(f.rule == "PAF902" for f in result.findings) >= 5


def test_findings_above_an_edit_are_the_last_checks_objects() -> None:
    text = repeated_flow()
    at = text.rindex("Daily report") + len("Daily ")  # in a string of the last copy
    first, again, _ = _keystroke(text, at)
    above = [f for f in first.findings if max(f.start, f.end) < at and f.rule in ("PAF102", "PAF902")]
    assert any(":" in f.fingerprint for f in above) and any(f.rule == "PAF902" for f in above)
    kept = {id(f) for f in again.findings}
    assert all(id(f) in kept for f in above)  # numbered copies and unused suppressions alike


def test_a_suppression_edited_is_not_taken_over() -> None:
    text = repeated_flow()
    at = text.index("debug output") + len("debug")
    _first, again, edited = _keystroke(text, at, "ignore")
    assert again.findings == lint_text(edited, "buffer.robin").findings


def test_diagnostics_above_an_edit_are_taken_over() -> None:
    text = repeated_flow()
    at = text.rindex("Daily report") + len("Daily ")
    first, again, edited = _keystroke(text, at)
    memo = DiagnosticMemo()
    before = diagnostics(URI, 1, first, LineIndex(text), "utf-16", suppress=False, memo=memo)
    after = diagnostics(URI, 2, again, LineIndex(edited), "utf-16", suppress=False, memo=memo)
    assert after == diagnostics(URI, 2, again, LineIndex(edited), "utf-16", suppress=False)
    shared = sum(a["range"] is b["range"] for a, b in zip(after, before))
    above = sum(max(f.start, f.end) < at for f in first.findings)
    assert shared >= above - 2  # all but the findings a rule of the whole flow remakes


@pytest.mark.parametrize("seed", range(4))
def test_random_edits_on_the_repeated_flow_match_a_fresh_check(seed: int) -> None:
    check_edits(repeated_flow(4), seed=seed, edits=25)


def test_with_fingerprint_is_replace() -> None:
    f = Finding("PAF102", "secret-reaches-sink", "error", "m", 3, 4, 3, 9, 40, 45, "Sub", "X",
                (TraceStep(1, 1, "source", 0, 3),), None, "abc", "Flow", "credential", "medium")
    assert with_fingerprint(f, "abc:2") == replace(f, fingerprint="abc:2")


def _same_walk(got: Subflow, want: Subflow) -> None:
    for field in ("statements", "actions", "decls"):
        a, b = getattr(got, field), getattr(want, field)
        assert len(a) == len(b) and all(x is y for x, y in zip(a, b)), field
    assert got.calls == want.calls


def test_the_model_takes_the_walk_above_an_edit_over(monkeypatch: pytest.MonkeyPatch) -> None:
    text = repeated_flow() + "FUNCTION Sub GLOBAL\n    CALL Other\n    SET X TO 1\nEND FUNCTION\n"
    first = parse(text, "buffer.robin", recover=True)
    at = text.rindex("Daily report") + len("Daily ")
    edited = text[:at] + "x" + text[at:]
    flow = reparse(first, edited)
    last = build_model(first)
    walked: list[n.Stmt] = []
    real = n.walk_statements

    def counted(body: n.Body) -> Iterator[n.Stmt]:
        for stmt in real(body):
            walked.append(stmt)
            yield stmt

    monkeypatch.setattr(n, "walk_statements", counted)
    model = build_model(flow, last=last)
    monkeypatch.setattr(n, "walk_statements", real)
    total = sum(len(sf.statements) for sf in model.subflows)
    assert len(walked) < total // 4  # the last copy of the body, not the flow
    fresh = build_model(flow)
    for got, want in zip(model.subflows, fresh.subflows, strict=True):
        _same_walk(got, want)


@pytest.mark.parametrize("seed", range(3))
def test_random_edits_give_the_models_walk(seed: int) -> None:
    rng = random.Random(seed)
    text = repeated_flow(3) + "FUNCTION Sub GLOBAL\n    IF X = 1 THEN\n        CALL Other\n    END\nEND FUNCTION\n"
    flow = parse(text, "buffer.robin", recover=True)
    model = build_model(flow)
    for _ in range(30):
        text = _edit(text, rng)
        flow = reparse(flow, text)
        model = build_model(flow, last=model)
        fresh = build_model(flow)
        assert [sf.name for sf in model.subflows] == [sf.name for sf in fresh.subflows]
        for got, want in zip(model.subflows, fresh.subflows, strict=True):
            _same_walk(got, want)
        assert model == fresh


def test_suppressions_before_simple_statements_walk_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    flow = parse(repeated_flow(), "buffer.robin", recover=True)
    want = [(s.comment.span, s.codes, s.first_line, s.last_line) for s in find_suppressions(flow)]
    walks: list[n.Body] = []
    real = n.walk_statements

    def counted(body: n.Body) -> Iterator[n.Stmt]:
        walks.append(body)
        return real(body)

    monkeypatch.setattr(n, "walk_statements", counted)
    got = [(s.comment.span, s.codes, s.first_line, s.last_line) for s in find_suppressions(flow)]
    assert got == want and len(want) == 12
    assert not walks  # a comment and the action after it nest nothing: no walk, no sort


def test_a_second_check_of_the_same_text_hashes_no_fingerprint_again(monkeypatch: pytest.MonkeyPatch) -> None:
    text = repeated_flow(2) + "# a comment no other flow of the tests has: 7f3a\n"
    first = lint_text(text, "buffer.robin")
    hashed: list[bytes] = []
    real = hashlib.sha256

    def counted(data: bytes) -> Any:
        hashed.append(data)
        return real(data)

    monkeypatch.setattr(base.hashlib, "sha256", counted)
    again = lint_text(text + "\n", "buffer.robin")
    assert again.findings and [f.fingerprint for f in again.findings] == [f.fingerprint for f in first.findings]
    assert not hashed


def _paf103_fixes(result: LintResult) -> list[bool]:
    return [f.fix is not None for f in result.findings if f.rule == "PAF103"]


def test_a_credential_name_typed_in_two_keystrokes_drops_the_fix() -> None:
    """The fix's new variable must be a name the flow does not hold; the editor searches only
    what changed for a name the last text did not hold, so a name completed across the edit's
    edge must still be seen."""
    text = repeated_flow(2) + "# note: \n"
    at = len(text) - 1
    first = lint_text(text, "buffer.robin")
    assert first.checked is not None and any(_paf103_fixes(first))
    last = first
    for piece in ("SmtpPassword_Cred", "ential"):
        text = text[:at] + piece + text[at:]
        at += len(piece)
        assert last.checked is not None
        last = lint_text(text, "buffer.robin", previous=last.checked.flow, reuse=last.checked)
        assert last.findings == lint_text(text, "buffer.robin").findings
    assert _paf103_fixes(last) == [False] and last.checked is not None and last.checked.memos is not None
    # the first keystroke noted the name absent; the second found it where the text changed
    assert "SmtpPassword_Credential" not in last.checked.memos.notes.get("credential_fix.absent", {})
    assert first.checked.memos is not None
    assert "SmtpPassword_Credential" in first.checked.memos.notes["credential_fix.absent"]


def test_the_reads_of_an_input_are_those_of_every_part() -> None:
    flow = parse(repeated_flow(3), "buffer.robin", recover=True)
    refs = _GlobalRefs.build(build_model(flow))
    for var in ("SmtpPassword", "SmtpUser", "ConnString", "Nothing"):
        want = [read for part, _delta in refs.reads for read in part.get(var, ())]
        assert refs.reads_of(var) == want
    assert refs.reads_of("SmtpPassword") and refs.by_input


def test_diagnostics_below_an_edit_within_a_line_are_taken_over() -> None:
    """A character typed moves the findings below it by one offset and no line: their
    diagnostics (lines and characters) are the last ones but for the version."""
    text = repeated_flow()
    at = text.index("Daily report") + len("Daily ")  # in the first copy
    first, again, edited = _keystroke(text, at)
    memo = DiagnosticMemo()
    before = diagnostics(URI, 1, first, LineIndex(text), "utf-16", suppress=False, memo=memo)
    after = diagnostics(URI, 2, again, LineIndex(edited), "utf-16", suppress=False, memo=memo)
    assert after == diagnostics(URI, 2, again, LineIndex(edited), "utf-16", suppress=False)
    line = edited.count("\n", 0, at)
    below = [(a, b) for a, b in zip(after, before) if a["range"]["start"]["line"] > line]
    assert len(below) >= 10 and all(a["range"] is b["range"] for a, b in below)


@pytest.mark.parametrize("seed", range(4, 8))
def test_random_keystrokes_within_lines_match_a_fresh_check(seed: int) -> None:
    """Characters typed and deleted inside lines (the path that takes diagnostics below the
    edit over), checked against a fresh conversion after each."""
    rng = random.Random(seed)
    text = repeated_flow(4)
    memo = DiagnosticMemo()
    last = lint_text(text, "buffer.robin")
    diagnostics(URI, 1, last, LineIndex(text), "utf-16", suppress=False, memo=memo)
    for version in range(2, 30):
        at = rng.randrange(len(text))
        if text[at] == "\n":
            continue
        text = text[:at] + rng.choice("xy'% ") + text[at:] if rng.random() < 0.6 else text[:at] + text[at + 1:]
        assert last.checked is not None
        got = lint_text(text, "buffer.robin", previous=last.checked.flow, reuse=last.checked)
        index = LineIndex(text)
        assert diagnostics(URI, version, got, index, "utf-16", suppress=False, memo=memo) == \
            diagnostics(URI, version, lint_text(text, "buffer.robin"), index, "utf-16", suppress=False)
        last = got
