"""Action plans are shared by call text (:class:`pafix.analysis.taint.plans.PlanMemo`).

In the editor, the incremental parser gives every statement below an edit new nodes; the
analysis takes the plans of their calls over from the last check by the call's text. These
tests count plan constructions after keystrokes that leave every call's text alone or change
one call, check the findings against a check from scratch, that the memo does not grow over
an editing session, and the fact the key rests on: calls with the same text parse to equal
nodes (a plan reads nothing else of the call).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pafix.analysis.taint import actions
from pafix.analysis.taint.plans import ActionPlan
from pafix.lsp.lint import LintResult, lint_text
from pafix.syntax import nodes as n
from pafix.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
#: a comment line above two calls that the secrets of the flow reach (a credential sent by
#: SMTP, a connection string): the examples ship with the repository
SMTP = ROOT / "examples" / "smtp-report.robin"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[n.Action]:
    """The calls whose plan the analysis builds from now on (not taken from a memo)."""
    made: list[n.Action] = []

    class Counted(ActionPlan):
        def __init__(self, action: n.Action, *args: object, **kwargs: object) -> None:
            made.append(action)
            super().__init__(action, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(actions, "ActionPlan", Counted)
    return made


def _again(first: LintResult, text: str) -> LintResult:
    assert first.checked is not None
    return lint_text(text, "buffer.robin", previous=first.checked.flow, reuse=first.checked)


def _same_as_fresh(got: LintResult, text: str) -> None:
    want = lint_text(text, "buffer.robin")
    assert got.findings == want.findings
    assert got.parse_errors == want.parse_errors


def _keystroke(built: list[n.Action], after: str) -> tuple[LintResult, LintResult, str]:
    """Check the SMTP example, then type an ``x`` after ``after`` in it and check again from
    the first check: (first check, second check, the typed text); ``built`` holds the plans
    the second check built."""
    text = SMTP.read_text(encoding="utf-8")
    first = lint_text(text, "buffer.robin")
    at = text.index(after) + len(after)
    typed = text[:at] + "x" + text[at:]
    del built[:]
    return first, _again(first, typed), typed


def _calls(result: LintResult) -> list[n.Action]:
    assert result.checked is not None
    return [a for sf in result.checked.model.subflows for a in sf.actions]


def test_a_keystroke_above_moved_calls_builds_no_plan(built: list[n.Action]) -> None:
    first, again, typed = _keystroke(built, "# Build")
    # the calls below the edit are new nodes (moved by the parser), yet no plan was built
    old_ids = {id(a) for a in _calls(first)}
    assert _calls(again) and not any(id(a) in old_ids for a in _calls(again))
    assert built == []
    assert again.findings  # the plans taken over still find the SMTP password
    _same_as_fresh(again, typed)
    # and typed away again: back to the first text, still no plan built
    del built[:]  # (the check from scratch built its own)
    back = _again(again, first.text)
    assert built == []
    assert back.findings == first.findings


def test_a_keystroke_in_a_call_builds_that_calls_plan_only(built: list[n.Action]) -> None:
    _first, again, typed = _keystroke(built, "Daily")
    assert [a.name for a in built] == ["Email.SendEmail.AuthenticateAndSend"]
    assert "Dailyx report" in typed[built[0].span.start:built[0].span.end]
    _same_as_fresh(again, typed)


def test_calls_of_the_same_text_in_one_flow_share_a_plan(built: list[n.Action]) -> None:
    line = "File.WriteText File: $'''C:\\\\out.txt''' TextToWrite: Token AppendMode: File.AppendMode.Append\n"
    text = "SET Token TO $'''abc'''\n" + line * 3
    result = lint_text(text, "buffer.robin")
    assert len(_calls(result)) == 3 and len(built) == 1
    _same_as_fresh(result, text)


def test_the_memo_holds_the_current_flows_plans_only() -> None:
    """Across many keystrokes the memo keeps one plan per call text of the flow as it is now,
    and lets go of the last check's."""
    text = SMTP.read_text(encoding="utf-8")
    last = lint_text(text, "buffer.robin")
    at = text.index("Daily report") + len("Daily")
    for i in range(12):
        text = text[:at] + str(i % 10) + text[at:]  # a new call text each time
        last = _again(last, text)
        _same_as_fresh(last, text)
    assert last.checked is not None
    flow = last.checked.flow
    memo = last.checked.analysis.plan_memo
    assert set(memo.plans) == {flow.source[a.span.start:a.span.end] for a in _calls(last)}
    assert memo.get("no such call") is None


def test_a_reuse_refused_shares_no_plan() -> None:
    text = SMTP.read_text(encoding="utf-8")
    first = lint_text(text, "buffer.robin")
    other = lint_text(text, "other.robin", reuse=first.checked)
    assert first.checked is not None and other.checked is not None
    mine = set(map(id, other.checked.analysis.plan_memo.plans.values()))
    assert mine and not mine & set(map(id, first.checked.analysis.plan_memo.plans.values()))


# ---- the fact the memo's key rests on ------------------------------------------------------
def _all_calls(body: n.Body) -> Iterator[n.Action]:
    for stmt in n.walk_statements(body):
        if isinstance(stmt, n.Action):
            yield stmt
        for cond in (getattr(stmt, "cond", None), *(getattr(b, "cond", None) for b in getattr(stmt, "branches", ()))):
            if isinstance(cond, n.Action):
                yield cond


def _same_text_same_node(paths: list[Path]) -> int:
    """Group every call of ``paths`` by its text; returns how many calls shared a text with
    an earlier one (so the test is not vacuous)."""
    seen: dict[str, n.Action] = {}
    shared = 0
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        flow = parse(text, str(path), recover=True)
        for call in _all_calls(flow.body):
            key = flow.source[call.span.start:call.span.end]
            first = seen.setdefault(key, call)
            if first is not call:
                shared += 1
                assert first == call, key
    return shared


def test_calls_with_the_same_text_are_equal_nodes() -> None:
    paths = sorted((ROOT / "examples").glob("*.robin")) + sorted((ROOT / "fixtures").rglob("*.robin"))
    assert _same_text_same_node(paths) > 0


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_calls_with_the_same_text_are_equal_nodes_in_the_corpus() -> None:
    assert _same_text_same_node(sorted(CORPUS.glob("*.robin"))) > 100
