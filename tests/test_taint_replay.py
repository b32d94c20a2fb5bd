"""The editor's analysis replays what the statements above an edit did last time
(:mod:`pafix.analysis.taint.replay`) and ends where an analysis from scratch ends: the same
events in the same order, the same credential variables, entry and exit states. Random edit
sequences on every example, rule fixture and real flow, compared after every edit, with
chunks of one statement (every statement replayed on its own), of three and of the default
size."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from pafix.analysis.taint import Analysis, replay
from pafix.lsp.lint import lint_text
from pafix.syntax.textio import read_flow_file
from test_lsp_reuse import _edit

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
OWN = sorted((ROOT / "examples").glob("*.robin")) + sorted((ROOT / "fixtures" / "realworld").rglob("*.robin")) \
    + sorted((ROOT / "fixtures" / "rules").rglob("*.robin"))


def _outcome(analysis: Analysis) -> tuple[Any, ...]:
    return (
        list(analysis.events.values()),
        sorted(analysis.credential_vars),
        {k: v.flat() for k, v in analysis.entry.items()},
        {k: v.flat() for k, v in analysis.exit.items()},
    )


def replay_edits(text: str, seed: int, edits: int) -> int:
    """Edit ``text`` ``edits`` times, comparing each check's analysis with one from scratch;
    returns how many statement runs were replayed."""
    rng = random.Random(seed)
    last = lint_text(text, "buffer.robin")
    replayed = 0
    for _ in range(edits):
        text = _edit(text, rng)
        previous = last.checked
        got = lint_text(text, "buffer.robin", previous=previous.flow if previous else None, reuse=previous)
        want = lint_text(text, "buffer.robin")
        assert (got.checked is None) == (want.checked is None)
        if got.checked is not None and want.checked is not None:
            assert _outcome(got.checked.analysis) == _outcome(want.checked.analysis)
            assert got.findings == want.findings
            rec = got.checked.analysis.recorder
            assert rec is not None
            replayed += rec.replayed
        last = got
    return replayed


@pytest.fixture(params=[1, 3, replay.CHUNK], ids=lambda c: f"chunk{c}")
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    size: int = request.param
    monkeypatch.setattr(replay, "CHUNK", size)
    return size


@pytest.fixture
def single(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "CHUNK", 1)


def test_random_edits_on_own_flows_replay_to_the_same_analysis(chunk: int) -> None:
    replayed = sum(replay_edits(read_flow_file(p)[1].text, seed=i, edits=6) for i, p in enumerate(OWN))
    assert replayed > 100 // chunk  # the replay is taken, not only refused


def test_a_keystroke_at_the_end_replays_every_statement_above_it(single: None) -> None:
    text = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    first = lint_text(text, "buffer.robin")
    again = lint_text(text + "# typed at the end\n", "buffer.robin", previous=first.checked.flow if first.checked else None,
                      reuse=first.checked)
    assert first.checked is not None and again.checked is not None
    old, new = first.checked.analysis.recorder, again.checked.analysis.recorder
    assert old is not None and new is not None
    runs = sum(len(r) for r in old.runs.values())
    assert runs and new.replayed == runs  # every run of the last analysis, none made again
    fresh = lint_text(text + "# typed at the end\n", "buffer.robin").checked
    assert fresh is not None and _outcome(again.checked.analysis) == _outcome(fresh.analysis)


def test_a_scan_records_nothing() -> None:
    from pafix.core import check_flow
    from pafix.syntax.parser import parse

    flow = parse((ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8"), "x.robin")
    first = check_flow(flow)
    assert first.analysis.recorder is None
    assert check_flow(flow, reuse=first).analysis.recorder is None


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_random_edits_on_corpus_flows_replay_to_the_same_analysis(chunk: int) -> None:
    flows = sorted(CORPUS.glob("*.robin"))
    replayed = sum(replay_edits(read_flow_file(p)[1].text, seed=i, edits=4)
                   for i, p in enumerate(flows))
    assert replayed > 1000 // chunk


#: a secret used as a password below the line that is edited, and copied above it: the copy's
#: label names the use, whose offsets the edit moves
FIRST_USE_BELOW = """SET Copy TO Pw
Display.ShowMessageDialog.ShowMessage Title: $'''x''' Message: Copy Icon: Display.Icon.None Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False ButtonPressed=> Pressed
SET A TO $'''abc'''
Email.SendEmail.AuthenticateAndSend SMTPServer: $'''smtp.contoso.com''' Port: 587 EnableSSL: True Username: U Password: Pw From: U SendTo: $'''ops@contoso.com''' Subject: $'''r''' Body: $'''b''' IsBodyHtml: False IgnoreInvalidCertificate: False
"""


def test_a_statement_that_read_a_use_the_edit_moved_runs_again(single: None) -> None:
    first = lint_text(FIRST_USE_BELOW, "buffer.robin")
    at = FIRST_USE_BELOW.index("abc")
    edited = FIRST_USE_BELOW[:at] + "x" + FIRST_USE_BELOW[at:]
    assert first.checked is not None
    again = lint_text(edited, "buffer.robin", previous=first.checked.flow, reuse=first.checked)
    fresh = lint_text(edited, "buffer.robin")
    assert again.checked is not None and fresh.checked is not None
    rec = again.checked.analysis.recorder
    assert rec is not None and rec.replayed == 0  # the copy (and so the message box) ran again
    events = list(again.checked.analysis.events.values())
    assert events and events == list(fresh.checked.analysis.events.values())
    # while an edit below the use leaves every statement above the edit to replay
    below = FIRST_USE_BELOW + "SET B TO $'''typed'''\n"
    later = lint_text(below, "buffer.robin", previous=first.checked.flow, reuse=first.checked)
    assert later.checked is not None and later.checked.analysis.recorder is not None
    assert later.checked.analysis.recorder.replayed == 4


def test_a_table_of_variables_grown_past_its_limit_is_dropped_with_the_runs(single: None) -> None:
    text = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    first = lint_text(text, "buffer.robin")
    assert first.checked is not None and first.checked.analysis.recorder is not None
    again = lint_text(text + "# typed\n", "buffer.robin", previous=first.checked.flow, reuse=first.checked)
    assert again.checked is not None and again.checked.analysis.variables is first.checked.analysis.variables
    # a long session typed many names: the shared table is over its limit
    limited = again.checked.analysis.recorder
    assert limited is not None
    limited.table_limit = len(again.checked.analysis.variables.names) - 1
    third = lint_text(text + "# typed again\n", "buffer.robin", previous=again.checked.flow, reuse=again.checked)
    assert third.checked is not None and third.checked.analysis.recorder is not None
    assert third.checked.analysis.variables is not again.checked.analysis.variables
    assert third.checked.analysis.recorder.replayed == 0
    fresh = lint_text(text + "# typed again\n", "buffer.robin").checked
    assert fresh is not None and _outcome(third.checked.analysis) == _outcome(fresh.analysis)
