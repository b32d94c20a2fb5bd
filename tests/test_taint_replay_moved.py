"""Below an edit the editor's analysis replays the runs of the chunks the re-parse moved, their
positions mapped (:mod:`pafix.analysis.taint.frames`), and ends where an analysis from scratch
ends. Keystrokes in a row at several places of one buffer, so that a run kept moved is moved
again (its map composed across keystrokes); after each, the analysis and the findings are
compared with those of a check from scratch."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pafix.analysis.taint import frames, replay
from pafix.syntax import nodes as n
from pafix.analysis.taint.state import State
from pafix.lsp.lint import LintResult, lint_text
from test_taint_replay import _outcome

ROOT = Path(__file__).resolve().parents[1]

#: statements whose states carry positions below any edit above them: a password typed into
#: a dialog (an origin keyed by the action's offset), an encrypted literal (keyed by its own
#: offset), a sensitive input copied and used as a password (a first use), and sinks of each
#: (fixtures/rules/PAF105/pos_password_input_dialog.robin, PAF104/pos_encrypted_literal_note.robin,
#: examples/smtp-report.robin)
BLOCK = """Display.InputDialog Title: $'''Login %N%''' Message: $'''Portal password''' InputType: Display.InputType.Password IsTopMost: True UserInput=> PortalPassword ButtonPressed=> ButtonPressed
SET Key%N% TO P'AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAAexampleonly'
SET Copy%N% TO SmtpPassword
Display.ShowMessageDialog.ShowMessage Title: $'''Step %N%''' Message: $'''Using %PortalPassword% and %Key%N%%''' Icon: Display.Icon.None Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False ButtonPressed=> Pressed
File.WriteText File: $'''C:\\\\temp\\\\log%N%.txt''' TextToWrite: Copy%N% AppendNewLine: True IfFileExists: File.IfFileExists.Append Encoding: File.FileEncoding.Unicode
"""


def _flow(blocks: int) -> str:
    head = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    return head + "".join(BLOCK.replace("%N%", str(i)) for i in range(blocks))


def _typed(text: str, rng: random.Random) -> str:
    """A keystroke inside a quoted text of the upper two thirds (the statements below move), or
    now and then a whole statement there copied or deleted (the chunks below start at other
    statements, and lines move too). The flow stays valid: a flow with errors is parsed whole."""
    if rng.random() < 0.2:
        lines = text.splitlines(keepends=True)
        i = rng.choice([i for i in range(len(lines) * 2 // 3) if lines[i].startswith("SET Copy")])
        lines[i] = lines[i] * rng.choice((0, 2))
        return "".join(lines)
    quotes = [i for i in range(len(text) * 2 // 3) if text.startswith("$'''", i)]
    at = rng.choice(quotes) + 4 + rng.randrange(2)
    if rng.random() < 0.3 and text[at] not in "'%\n":
        return text[:at] + text[at + 1:]
    return text[:at] + rng.choice("xyz ") + text[at:]


def _check(text: str, last: LintResult) -> LintResult:
    previous = last.checked
    got = lint_text(text, "buffer.robin", previous=previous.flow if previous else None, reuse=previous)
    want = lint_text(text, "buffer.robin")
    assert got.checked is not None and want.checked is not None
    assert _outcome(got.checked.analysis) == _outcome(want.checked.analysis)
    assert got.findings == want.findings
    return got


@pytest.mark.parametrize("chunk", [1, 3, replay.CHUNK])
@pytest.mark.parametrize("seed", range(3))
def test_keystrokes_in_a_row_replay_the_runs_below_them(chunk: int, seed: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "CHUNK", chunk)
    rng = random.Random(seed)
    text = _flow(blocks=2 * chunk + 4)
    last = lint_text(text, "buffer.robin")
    below = again = 0
    kept_moved: list[State] = []  # the start states of the runs the last check kept moved
    for _ in range(12):
        text = _typed(text, rng)
        last = _check(text, last)
        assert last.checked is not None and last.checked.analysis.recorder is not None
        rec = last.checked.analysis.recorder
        moved = [run for runs in rec.runs.values() for run in runs if run.frame]
        below += sum(1 for run in moved if run.stmts[0].span.start >= rec.moved_from)
        # a run kept moved at the last keystroke and moved again at this one
        again += sum(1 for run in moved if any(run.before is s for s in kept_moved))
        kept_moved = [run.before for run in moved]
    assert below > 12  # runs of the moved statements were replayed, not run again
    assert again > 0  # ... and moved again: maps composed


def test_a_keystroke_before_an_output_on_its_line_replays_the_chunks_below(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password the dialog outputs is held by every state below it; typed into the dialog's
    message, the output's position moves along its line (offset and column): the chunks below
    are replayed from their states, so moved."""
    monkeypatch.setattr(replay, "CHUNK", 1)
    text = _flow(blocks=3)
    last = lint_text(text, "buffer.robin")
    at = text.index("Message: $'''Portal password") + len("Message: $'''")
    last = _check(text[:at] + "x" + text[at:], last)
    assert last.checked is not None and last.checked.analysis.recorder is not None
    rec = last.checked.analysis.recorder
    moved = [run for runs in rec.runs.values() for run in runs if run.frame]
    assert len(moved) >= 3 * 5 - 2  # every statement of the blocks below the dialog's line


def test_the_map_of_an_edit_moves_its_line_and_refuses_the_replaced_text() -> None:
    from pafix.syntax.incremental import reparse_moved
    from pafix.syntax.parser import parse

    old = "SET A TO $'''abcdef''' \nSET B TO 1\n"
    new = old.replace("bcd", "X")  # three characters replaced by one on line 1
    flow, moved = reparse_moved(parse(old, "b.robin", recover=True), new)
    assert moved is not None
    mapper = frames.Mapper(frames.edit_frame(moved))
    e = old.index("e")
    assert mapper.span(n.Span(e, e + 1, 1, e + 1, 1, e + 2)) == n.Span(e - 2, e - 1, 1, e - 1, 1, e)
    b_at = old.index("SET B")
    assert mapper.span(n.Span(b_at, b_at + 3, 2, 1, 2, 4)) == n.Span(b_at - 2, b_at + 1, 2, 1, 2, 4)
    assert mapper.span(n.Span(0, 3, 1, 1, 1, 4)) == n.Span(0, 3, 1, 1, 1, 4)
    with pytest.raises(frames.Unmapped):
        mapper.span(n.Span(old.index("c"), e + 1, 1, 1, 1, 1))  # starts in the replaced text
    assert flow.body[1].span == mapper.span(parse(old, "b.robin").body[1].span)


def test_maps_compose_and_refuse_replaced_text() -> None:
    one = ((0, 10, 0, 0, 0), (20, frames.END, 1, 0, 0))  # 10 characters replaced by 11 at 10..20
    two = ((0, 30, 0, 0, 0), (40, frames.END, -2, 1, 0))
    both = frames.compose(one, two)
    mapper = frames.Mapper(both)
    assert mapper._interval(5)[2:] == (0, 0, 0)
    assert mapper._interval(25)[2:] == (1, 0, 0)  # at 26 after the first edit: before the second
    assert mapper._interval(45)[2:] == (-1, 1, 0)  # after both
    with pytest.raises(frames.Unmapped):
        mapper._interval(15)  # replaced by the first edit
    with pytest.raises(frames.Unmapped):
        mapper._interval(35)  # at 36: replaced by the second
    assert frames.compose((), one) == one and frames.compose(one, ()) == one
    assert frames.kept_below(both) == 10


def test_every_origin_key_holding_an_offset_is_mapped() -> None:
    """An origin key made from an offset (``output:<offset>:<param>``) moves with it; a new kind
    of such key missing from ``frames.OFFSET_KEYS`` would keep its old offset in a replay."""
    import re

    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "pafix" / "analysis").rglob("*.py"))
    keyed = set(re.findall(r'Origin\(\s*f"(\w+:)\{[^}]*\.start\}', source))
    assert keyed and keyed <= set(frames.OFFSET_KEYS)


#: two subflows of one name (a flow PAD would refuse, which the editor still checks as typed)
TWINS = """SET A TO $'''typed here'''
SET B TO 1
SET C TO 2
FUNCTION F GLOBAL
SET Key TO P'AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAAexampleonly'
END FUNCTION
FUNCTION F GLOBAL
SET Q TO 2
END FUNCTION
"""


def test_subflows_of_one_name_below_an_edit_are_not_taken_for_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "CHUNK", 1)
    last = lint_text(TWINS, "buffer.robin")
    at = TWINS.index("here")
    last = _check(TWINS[:at] + "x" + TWINS[at:], last)
    assert last.checked is not None
    assert any(e.kind == "store" for e in last.checked.analysis.events.values())
    assert last.checked.analysis.recorder is not None and last.checked.analysis.recorder.moved_from < TWINS.index("FUNCTION")


def test_a_replay_that_cannot_map_its_state_falls_back_to_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the state a stretch of replayed chunks hands on hold a position the edit replaced,
    the subflow is run again as a scan runs it, after what the replay recorded: the same
    analysis."""
    from pafix.analysis.taint import engine

    monkeypatch.setattr(replay, "CHUNK", 1)
    real = engine.exec_top

    def unmappable_at_the_end(*args: object) -> State:
        real(*args)  # type: ignore[arg-type]
        raise frames.Unmapped(0)

    text = _flow(blocks=3)
    last = lint_text(text, "buffer.robin")
    monkeypatch.setattr(engine, "exec_top", unmappable_at_the_end)
    at = text.index("Step 1") + 2
    _check(text[:at] + "x" + text[at:], last)


def test_a_run_holds_when_each_origin_it_read_is_today_s_equal_or_the_same() -> None:
    """What a run read of the first uses (``Run.reads``) is compared with today's: the very
    origin, an equal one (mapped anew), and "none" for a variable with no first use hold;
    an origin at another place, a missing first use, or one where none was read do not."""
    def origin(at: int) -> replay.Origin:
        return replay.Origin("param:Pwd", "secret-param", "Pwd", n.Span(at, at + 3, 1, at + 1, 1, at + 4), "Main")

    used = {"Pwd": origin(5)}
    assert replay._reads_hold(used, (("Pwd", used["Pwd"]), ("Other", None)))
    assert replay._reads_hold(used, (("Pwd", origin(5)),))  # equal, not the same object
    assert not replay._reads_hold(used, (("Pwd", origin(6)),))
    assert not replay._reads_hold(used, (("Pwd", None),))
    assert not replay._reads_hold(used, (("Other", origin(5)),))
