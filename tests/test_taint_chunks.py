"""Taint chunks cut by the statements' text (:mod:`pafix.analysis.taint.chunks`): a keystroke
that adds or removes top-level statements (a line typed, deleted, a block pasted) leaves the
chunks below it the chunks of the last analysis, moved, and they are replayed. Several such
keystrokes in a row, each analysis compared with one from scratch."""

from __future__ import annotations

import random

import pytest

from pafix.analysis.taint import chunks as ch
from pafix.analysis.taint import replay, runs
from pafix.lsp.lint import LintResult, lint_text
from pafix.syntax.displaced import chunk_of, span_at
from pafix.syntax.parser import parse
from test_taint_replay_moved import _check, _flow


def _statement_edit(text: str, rng: random.Random) -> str:
    """A whole top-level statement added or removed in the upper half: a line of the flow's
    message dialog (examples' and fixtures' blocks, see test_taint_replay_moved.BLOCK) copied
    above itself, one deleted, or a block of two lines pasted. Message dialogs and file writes
    are sinks: the state they hand on is the one they start from (but for the first dialog, which
    adds its output variable), so what lies below can be replayed. Never a multiple of three statements (chunks cut by count every three statements
    would then realign by chance)."""
    lines = text.splitlines(keepends=True)
    dialogs = [i for i in range(len(lines) // 2) if lines[i].startswith("Display.ShowMessageDialog")]
    i = rng.choice(dialogs[1:])  # (the first dialog is the first to set its output variable)
    kind = rng.choice(("type", "delete", "paste"))
    if kind == "type":
        lines.insert(i, lines[i])
    elif kind == "delete" and len(dialogs) > 3:
        del lines[i]
    else:  # the dialog and the file write below it, pasted above the dialog
        lines[i:i] = [lines[i], lines[i + 1]]
    return "".join(lines)


def _replayed_below(last: LintResult) -> tuple[int, int]:
    """How many chunks of Main start after the first cut that follows a statement the edit
    moved (from there on the chunks are the last analysis' ones: see chunks.py), and how many
    of them were replayed (a run kept with a map of positions; a chunk run again keeps none)."""
    assert last.checked is not None
    rec = last.checked.analysis.recorder
    assert rec is not None
    cuts = next(c for scope, c in rec.cuts.items() if scope[0] == "Main")
    body = cuts.body
    first = next((c for c in cuts.after if span_at(body, c - 1).start >= rec.moved_from), len(body))
    below = [(lo, hi) for lo, hi in ch.chunks(cuts) if lo >= first]
    # (runs are kept by their chunk's first node: a displaced chunk's old one, see replay.py)
    replayed = sum(1 for lo, hi in below if any(run.frame for run in rec.runs.get(id(chunk_of(body, lo, hi)[0][0]), ())))
    return len(below), replayed


@pytest.mark.parametrize("chunk", [3, replay.CHUNK])
@pytest.mark.parametrize("seed", range(3))
def test_statements_added_and_removed_in_a_row_replay_the_chunks_below(chunk: int, seed: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "CHUNK", chunk)
    # a run kept moved across many edits at other places runs again once its map of positions
    # grows past MAX_INTERVALS (and starts a new one): not what is tested here
    monkeypatch.setattr(runs, "MAX_INTERVALS", 1000)
    rng = random.Random(seed)
    text = _flow(blocks=max(12, 4 * chunk // 5 * 2))
    last = lint_text(text, "buffer.robin")
    for _ in range(8):
        text = _statement_edit(text, rng)
        last = _check(text, last)  # the same analysis and findings as a check from scratch
        below, replayed = _replayed_below(last)
        assert below >= 2
        # all of them but those whose start state the edit changed: a dialog's output read by
        # the chunks below keeps the dialog's offset, which a map made from the two texts'
        # common prefix and suffix cannot always place when the pasted text repeats its
        # neighbours (a known limit of frames.edit_frame: those chunks run again, correctly)
        assert replayed >= below * 3 // 4, (below, replayed)


def test_cuts_follow_the_statements_not_their_count() -> None:
    text = _flow(blocks=8)
    body = parse(text, "b.robin").body
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("Display.ShowMessageDialog"))
    text2 = "".join(lines[:at] + [lines[at]] + lines[at:])
    body2 = parse(text2, "b.robin").body
    old = ch.recut(body, 3, text, None, None, 0, 0)
    new = ch.recut(body2, 3, text2, None, None, 0, 0)
    assert list(ch.chunks(old))[-1][1] == len(body)
    assert all(hi - lo <= 6 for lo, hi in ch.chunks(old))
    shift = len(body2) - len(body)
    # below the inserted statement the chunks are the old ones, one statement further on
    tail_old = [(lo + shift, hi + shift) for lo, hi in ch.chunks(old) if lo > at + 6]
    tail_new = [(lo, hi) for lo, hi in ch.chunks(new) if lo > at + 6 + shift]
    assert tail_old and tail_old[-len(tail_new):] == tail_new


def test_cuts_taken_over_equal_cuts_made_from_scratch() -> None:
    """Across keystrokes the cuts are taken over above and below the re-parsed statements:
    the same as cutting the whole body again."""
    from pafix.analysis.taint.frames import kept_below
    from pafix.syntax.incremental import reparse_moved

    rng = random.Random(7)
    text = _flow(blocks=10)
    flow = parse(text, "b.robin", recover=True)
    cuts = ch.recut(flow.body, 3, text, None, None, 0, 0)
    for _ in range(10):
        new_text = _statement_edit(text, rng)
        new_flow, moved = reparse_moved(flow, new_text)
        assert moved is not None
        from pafix.analysis.taint.frames import edit_frame

        cuts = ch.recut(new_flow.body, 3, new_text, cuts, flow.body, kept_below(edit_frame(moved)), moved.end + moved.delta)
        assert cuts.after == ch.recut(new_flow.body, 3, new_text, None, None, 0, 0).after
        text, flow = new_text, new_flow
