"""The taint analysis' speed-ups of issue 16 change no result.

Each shortcut is checked against the plain computation it skips, on every example, fixture and
real flow (the corpus report test, ``tests/test_corpus_report.py``, checks the findings).
"""

from __future__ import annotations

from typing import Any

import pytest

from pafix.analysis import kinds
from pafix.analysis.kinds import ConnectionTexts, connection_texts
from pafix.analysis.model import FlowModel, build_model
from pafix.analysis.taint import Analysis, analyse, engine, transfer
from pafix.config import DEFAULT
from pafix.core import catalogue_for, names_for
from pafix.errors import ParseError
from pafix.syntax.parser import parse
from test_fast_paths import _flows


def _models() -> list[FlowModel]:
    """Every example, fixture and real flow that parses (the files of the parser's tests)."""
    files = _flows()
    models = []
    for path in files:
        try:
            models.append(build_model(parse(path.read_text(encoding="utf-8-sig"), str(path))))
        except (ParseError, UnicodeDecodeError, RecursionError):
            continue
    return models


@pytest.fixture(scope="module")
def models() -> list[FlowModel]:
    return _models()


def _connection_texts_full_walk(model: FlowModel) -> ConnectionTexts:
    """``connection_texts`` without its shortcut: every statement asked what it writes."""
    literal_only: dict[str, bool] = {}
    credential: set[str] = set()
    for sf in model.subflows:
        for stmt in sf.statements:
            for key, literal in kinds._writes(sf, stmt):
                if literal is None:
                    literal_only[key] = False
                    continue
                if kinds.connection_string_kind(literal) is not None:
                    credential.add(key)
                literal_only[key] = literal_only.get(key, True) and kinds.is_connection_string(literal)
    plain = frozenset(k for k, ok in literal_only.items() if ok and k not in credential and k not in model.inputs)
    return ConnectionTexts(plain, frozenset(credential))


def test_connection_texts_are_those_of_the_full_walk(models: list[FlowModel]) -> None:
    """``connection_texts`` skips the walk when no literal can matter; the analysis uses it."""
    cat, names = catalogue_for(DEFAULT), names_for(DEFAULT)
    some = 0
    for model in models:
        full = _connection_texts_full_walk(model)
        assert connection_texts(model) == full
        assert Analysis(model, cat, names).connection_texts == full
        some += bool(full.plain or full.with_credential)
    assert some >= 3  # the fixtures have connection strings with and without a password


def test_globals_only_keeps_the_global_variables_and_shares_the_table() -> None:
    from pafix.analysis.taint.state import Label, Origin, State, Variables
    from pafix.syntax.nodes import Span

    table = Variables()
    st = State(table)
    label = Label(Origin("o", "sensitive", "o", Span(0, 1, 1, 1, 1, 2), "Main"))
    st["g"] = {"o": label}
    st["Sub::x"] = {"o": label}
    st["h"] = {}
    out = st.globals_only()
    assert out.flat() == {"g": {"o": label}, "h": {}} and "Sub::x" in st
    out["h"] = {"o": label}  # a new state: writing it leaves the first one alone
    assert st["h"] == {} and out.vars is table
    with pytest.raises(ValueError):
        st.join_from(State(Variables()))  # states of two flows never meet


def _strict_same_inputs(a: Any, b: Any, _asked: Any) -> bool:
    """The test before issue 16: the same states, empty variables included, and the same
    credential variables, whether the last run asked about them or not."""
    if a[2] != b[2] or len(a[0]) != len(b[0]) or len(a[1]) != len(b[1]):
        return False
    return all(x is y or (x is not None and y is not None and x == y) for x, y in zip(a[0] + a[1], b[0] + b[1]))


def _outcome(model: FlowModel) -> tuple[object, ...]:
    cat, names = catalogue_for(DEFAULT), names_for(DEFAULT)
    analysis, events = analyse(model, cat, names)
    return (repr(events), sorted(analysis.credential_vars),
            {k: sorted(v.taint.items()) for k, v in analysis.exit.items()},
            {k: sorted(v.taint.items()) for k, v in analysis.entry.items()})


_relaxed = engine._same_inputs


def test_runs_skipped_for_empty_variables_change_nothing(models: list[FlowModel],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A subflow is not run again, and a loop not given one more round, when its inputs
    gained only variables with no taint: the events, labels (in order) and taints are those
    of the strict tests, on every flow."""
    relaxed = [_outcome(m) for m in models]
    monkeypatch.setattr(engine, "_same_inputs", _strict_same_inputs)
    monkeypatch.setattr(transfer, "_settled", lambda *_: False)  # loops: a round until no change
    strict = [_outcome(m) for m in models]
    assert relaxed == strict
    # the relaxed test does skip runs the strict one makes
    calls = {"runs": 0}
    real_exec = engine.Analysis.exec_body

    def counting(self: engine.Analysis, sf: Any, body: Any, state: Any) -> Any:
        if body is sf.body:
            calls["runs"] += 1
        return real_exec(self, sf, body, state)

    monkeypatch.setattr(engine.Analysis, "exec_body", counting)
    for m in models:
        _outcome(m)
    strict_runs = calls["runs"]
    monkeypatch.setattr(engine, "_same_inputs", _relaxed)
    calls["runs"] = 0
    for m in models:
        _outcome(m)
    assert calls["runs"] < strict_runs


#: Main fetches a credential and uses it: no question about ``Cred`` comes before it is one
FETCHED_THEN_USED = """PowerAutomateSecretVariables.GetCredential Credential: 'sql-prod' Timeout: 0 Credential=> Cred
SET Copy TO Cred.Password
"""
#: a loop reads ``DbPassword`` (a secret by its name) before the fetch makes it a credential
ASKED_BEFORE = """LOOP LoopIndex FROM 1 TO 2 STEP 1
    SET Copy TO DbPassword
    PowerAutomateSecretVariables.GetCredential Credential: 'sql-prod' Timeout: 0 Credential=> DbPassword
END
"""


@pytest.mark.parametrize(("text", "fetched", "runs"), [(FETCHED_THEN_USED, "Cred", 1), (ASKED_BEFORE, "DbPassword", 2)])
def test_main_runs_again_only_for_a_credential_variable_it_asked_about(
        text: str, fetched: str, runs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    model = build_model(parse(text, "x.robin"))
    relaxed = _outcome(model)
    count = {"runs": 0}
    real_exec = engine.Analysis.exec_body

    def counting(self: engine.Analysis, sf: Any, body: Any, state: Any) -> Any:
        count["runs"] += body is sf.body
        return real_exec(self, sf, body, state)

    monkeypatch.setattr(engine.Analysis, "exec_body", counting)
    analysis, _ = analyse(model, catalogue_for(DEFAULT), names_for(DEFAULT))
    assert analysis.credential_vars == {fetched} and count["runs"] == runs
    monkeypatch.setattr(engine, "_same_inputs", _strict_same_inputs)
    assert _outcome(model) == relaxed
