"""The diagnostics memo (:class:`pafix.lsp.convert.DiagnosticMemo`) finds the last check's
finding at a new finding's place in the list: at its index above the edit, at its distance
from the end below it (the findings are in the order of their places), before any look-up
by rule and offsets. Built by hand here: findings that share a rule and a range, which a
look-up keyed by them cannot tell apart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pafix.findings import Finding, TraceStep, moved_finding
from pafix.lsp import convert
from pafix.lsp.convert import DiagnosticMemo, diagnostics
from pafix.lsp.lint import LintResult
from pafix.lsp.positions import LineIndex
from pafix.syntax.incremental import Moved, common_ends

URI = "file:///buffer.robin"
#: two assignments whose one range two findings share (as two variables of one action's
#: arguments would), under a comment a character is typed into
TEXT = "# top\nSET A TO $'''x'''\nSET B TO $'''y'''\n"
TYPED = "# tops\nSET A TO $'''x'''\nSET B TO $'''y'''\n"


def _findings(text: str) -> tuple[Finding, ...]:
    at = text.index("SET B")
    line = text.count("\n", 0, at) + 1
    step = TraceStep(line - 1, 1, "from here", text.index("SET A"), text.index("SET A") + 5)
    return tuple(Finding("PAF102", "name", "warning", message, line, 1, line, 6, at, at + 5, variable=var,
                         trace=(step,), fingerprint=f"fp-{var}")
                 for message, var in (("first B", "B"), ("second B", "C")))


def _result(text: str, findings: tuple[Finding, ...], moved: Moved | None) -> LintResult:
    return LintResult(text, "buffer.robin", findings, moved=moved)


@pytest.mark.parametrize("shared", [True, False])
def test_moved_findings_sharing_a_range_keep_their_diagnostics(monkeypatch: pytest.MonkeyPatch, shared: bool) -> None:
    memo = DiagnosticMemo()
    first = _findings(TEXT)
    if not shared:  # one range each: any look-up tells them apart
        first = (first[0], moved_finding(first[1], 1, 0))
    before = diagnostics(URI, 1, _result(TEXT, first, None), LineIndex(TEXT), "utf-16", suppress=False, memo=memo)
    wire = memo.wire
    made: list[str] = []
    real = convert.finding_diagnostic

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        made.append(args[4].message)
        return real(*args, **kwargs)

    monkeypatch.setattr(convert, "finding_diagnostic", counting)
    prefix, suffix = common_ends(TEXT, TYPED)
    moved = Moved(TEXT, TYPED, 0, TEXT.index("\n"), 1, 0, prefix, suffix)
    # what the core hands over below the edit: the last findings, moved (new objects)
    now = tuple(moved_finding(f, 1, 0, at=TEXT.index("\n")) for f in first)
    after = diagnostics(URI, 2, _result(TYPED, now, moved), LineIndex(TYPED), "utf-16", suppress=False, memo=memo)
    assert made == []
    assert wire is not None and memo.wire is not None and all(a is b for a, b in zip(wire, memo.wire))
    monkeypatch.setattr(convert, "finding_diagnostic", real)
    fresh = diagnostics(URI, 2, _result(TYPED, now, None), LineIndex(TYPED), "utf-16", suppress=False)
    assert after == fresh and len(after) == len(before) == 2


def test_a_moved_finding_that_changed_is_made_again() -> None:
    memo = DiagnosticMemo()
    first = _findings(TEXT)
    diagnostics(URI, 1, _result(TEXT, first, None), LineIndex(TEXT), "utf-16", suppress=False, memo=memo)
    prefix, suffix = common_ends(TEXT, TYPED)
    moved = Moved(TEXT, TYPED, 0, TEXT.index("\n"), 1, 0, prefix, suffix)
    shifted = [moved_finding(f, 1, 0, at=TEXT.index("\n")) for f in first]
    # the second one's trace step now starts a character later than the text moved
    step = shifted[1].trace[0]
    shifted[1] = replace(shifted[1], trace=(replace(step, start=step.start + 1),))
    after = diagnostics(URI, 2, _result(TYPED, tuple(shifted), moved), LineIndex(TYPED), "utf-16", suppress=False,
                        memo=memo)
    fresh = diagnostics(URI, 2, _result(TYPED, tuple(shifted), None), LineIndex(TYPED), "utf-16", suppress=False)
    assert after == fresh
    assert after[1]["relatedInformation"][0]["location"]["range"]["start"]["character"] == 1
