"""The taint analysis' speed-ups of issue 16 change no result.

Each shortcut is checked against the plain computation it skips, on every example, fixture and
real flow (the corpus report test, ``tests/test_corpus_report.py``, checks the findings).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pafix.analysis.kinds import connection_texts
from pafix.analysis.model import FlowModel, build_model
from pafix.analysis.taint import Analysis
from pafix.config import DEFAULT
from pafix.core import catalogue_for, names_for
from pafix.errors import ParseError
from pafix.syntax import nodes as n
from pafix.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"


def _models() -> list[FlowModel]:
    files = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".robin", ".txt"))
    files += sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and p.suffix in (".robin", ".txt"))
    if REAL.is_dir():
        files += sorted(REAL.glob("*.robin"))
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


def test_connection_texts_are_those_of_the_full_walk(models: list[FlowModel]) -> None:
    """The analysis skips the walk of ``connection_texts`` when no literal can matter."""
    cat, names = catalogue_for(DEFAULT), names_for(DEFAULT)
    some = 0
    for model in models:
        full = connection_texts(model)
        assert Analysis(model, cat, names).connection_texts == full
        some += bool(full.plain or full.with_credential)
    assert some >= 3  # the fixtures have connection strings with and without a password


def test_statements_are_those_of_walk_statements(models: list[FlowModel]) -> None:
    cat, names = catalogue_for(DEFAULT), names_for(DEFAULT)
    for model in models[:50]:
        got = Analysis(model, cat, names).statements
        assert got == [list(n.walk_statements(sf.body)) for sf in model.subflows]


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
