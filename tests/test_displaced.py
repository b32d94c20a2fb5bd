"""The editor's re-parse leaves the statements below an edit displaced, not moved.

:mod:`pafix.syntax.displaced`: a keystroke's check must give a fresh check's results without
moving the old statements below the edit (the move was the largest phase of a keystroke on a
20,001-line flow), and a flow whose statements are moved later, or one by one, must be the
flow a fresh parse gives. The flow is ``tests/test_keystroke_passes.py``'s (the example
``examples/smtp-report.robin`` repeated, with suppression comments between the copies).
"""

from __future__ import annotations

import pickle
import random
from zlib import crc32

import pytest

from pafix.analysis.taint.replay import CHUNK
from pafix.fixes.edits import apply_edits
from pafix.lsp.convert import DiagnosticMemo, diagnostics
from pafix.lsp.lint import LintResult, lint_text
from pafix.lsp.positions import LineIndex
from pafix.syntax import displaced as d
from pafix.syntax import nodes as n
from pafix.syntax.incremental import reparse_moved
from pafix.syntax.parser import parse
from test_keystroke_passes import HEADER_END, repeated_flow
from test_lsp_reuse import URI


@pytest.fixture
def moves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the displaced tails moved whole while the test runs."""
    seen: list[int] = []
    monkeypatch.setattr(d, "ON_MATERIALISE", [seen.append])
    return seen


def _check(text: str, last: LintResult | None = None) -> LintResult:
    if last is None or last.checked is None:
        return lint_text(text, "buffer.robin")
    return lint_text(text, "buffer.robin", previous=last.checked.flow, reuse=last.checked)


@pytest.mark.parametrize("where", ["above", "middle", "last copy"])
def test_a_keystroke_does_not_move_the_statements_below_it(moves: list[int], where: str) -> None:
    text = repeated_flow(6)
    at = {"above": text.index("Daily report"), "middle": len(text) // 2,
          "last copy": text.rindex("# pafix: ignore[PAF102] debug")}[where]
    at = text.find("\n", at) + 1
    first = _check(text)
    typed = _check(text[:at] + "SET Typed TO 1\n" + text[at:], first)  # a pasted statement
    assert typed.checked is not None and isinstance(typed.checked.flow, d.DisplacedFlow)
    again = _check(typed.text[:at + 5] + "x" + typed.text[at + 5:], typed)  # a character in it
    assert again.checked is not None and isinstance(again.checked.flow, d.DisplacedFlow)
    assert moves == []  # nothing of either check moved the statements below the edit
    for got in (typed, again):
        assert got.findings == _check(got.text).findings
    assert again.checked.flow == parse(again.text, "buffer.robin", recover=True)
    assert moves  # (comparing the flows does move them)


def test_a_lazily_moved_body_is_the_eagerly_moved_one() -> None:
    text = repeated_flow(3)
    old = parse(text, "f.robin", recover=True)
    at = text.index("Daily report")
    new_text = text[:at] + "\n\n" + text[at:]
    one, _ = reparse_moved(old, new_text)
    two, _ = reparse_moved(old, new_text)
    assert isinstance(one, d.DisplacedFlow) and isinstance(two, d.DisplacedFlow)
    fresh = parse(new_text, "f.robin", recover=True).body
    view = two.view
    picked = [view[i] for i in range(len(view) - 1, -1, -3)]  # some moved one by one, first
    assert [view.span(i) for i in range(len(view))] == [s.span for s in fresh]
    assert one.body == fresh and two.body == fresh
    assert all(any(p is s for s in two.body) for p in picked)  # moved once: the same nodes


def test_a_chain_of_edits_with_displaced_tails_is_the_fresh_parse() -> None:
    rng = random.Random(9)
    text = repeated_flow(5)
    flow = parse(text, "f.robin", recover=True)
    lines = len(text.splitlines())
    for step in range(40):  # edits at many places in turn: more parts than MAX_PARTS
        line = rng.randrange(lines)
        at = sum(len(x) + 1 for x in text.split("\n")[:line])
        piece = rng.choice(["SET Added TO 2\n", "\n", "# note\n"]) if step % 3 else ""
        end = at if piece else text.find("\n", at) + 1 if text.find("\n", at) >= 0 else at
        text = text[:at] + piece + text[end:]
        flow, _ = reparse_moved(flow, text)
        top = d.top_level(flow)
        if isinstance(top, d.Displaced):
            assert sum(1 for _i, dd, dl in top.parts if dd or dl) <= d.MAX_PARTS
        fresh = parse(text, "f.robin", recover=True)
        assert [d.span_at(top, i) for i in range(len(top))] == [s.span for s in fresh.body]
        if step % 7 == 6:  # now and then moved whole, and the next edits go on from a plain flow
            assert flow == fresh
        lines = len(text.splitlines())
    assert flow == parse(text, "f.robin", recover=True)


def test_fixes_of_a_displaced_flow_edit_the_right_text(moves: list[int]) -> None:
    text = repeated_flow(4)
    first = _check(text)
    at = text.index("Daily report")
    edited = text[:at] + "Weekly " + text[at:]
    got = _check(edited, first)
    assert got.checked is not None and isinstance(got.checked.flow, d.DisplacedFlow) and moves == []
    fixed = [f for f in got.findings if f.fix is not None and f.start > at]
    assert fixed  # findings below the edit, with fixes
    fresh = {f.fingerprint: f for f in _check(edited).findings}
    for f in fixed:
        assert f.fix == fresh[f.fingerprint].fix
        assert apply_edits(edited, f.fix.edits) == apply_edits(edited, fresh[f.fingerprint].fix.edits)


def test_a_displaced_flow_equals_and_hashes_as_the_plain_one() -> None:
    text = repeated_flow(2)
    old = parse(text, "f.robin", recover=True)
    new_text = "# top\n" + text
    flow, _ = reparse_moved(old, new_text)
    fresh = parse(new_text, "f.robin", recover=True)
    assert isinstance(flow, d.DisplacedFlow)
    assert fresh == flow and flow == fresh and hash(flow) == hash(fresh)
    assert isinstance(flow.body, tuple) and flow.body is flow.body
    assert n.Flow(flow.source, flow.body, None, flow.path) == fresh



def _is_cut(text: str) -> bool:
    """Whether the taint analysis ends a chunk after a statement of this text
    (:mod:`pafix.analysis.taint.chunks`)."""
    return crc32(text.encode()) % CHUNK == 0


def test_statements_whose_shifts_add_up_to_none_replay_their_runs_moved() -> None:
    """A part of old statements displaced by one edit and back by another is in place again:
    the very nodes of the first parse, not displaced, yet the runs the taint analysis recorded
    of them in between hold the positions of a text where they were displaced. Replayed as
    they were, the sink findings below the last edit kept those positions (round 9). The flow:
    a sink (``fixtures/rules/PAF102/pos_clipboard.robin``) after each of 300 comments."""
    lines = ["@SENSITIVE: [DbPassword]"]
    for i in range(300):
        lines += [f"# note {i}", "Clipboard.SetText Text: DbPassword"]
    text = "\n".join(lines) + "\n"
    first = _check(text)
    # 1. a letter typed into a comment that ends a chunk: the chunks below it are cut anew, so
    # they run again, displaced, and their runs are recorded in this text's positions
    k = next(i for i in range(100, 300) if _is_cut(f"# note {i}") and not _is_cut(f"# note {i}x"))
    at = text.index(f"# note {k}\n") + len(f"# note {k}")
    second = _check(text[:at] + "x" + text[at:], first)
    # 2. a letter typed at the end: those runs are kept as they are (they lie above)
    end = second.text.rindex("# note") + len("# note")
    third = _check(second.text[:end] + "y" + second.text[end:], second)
    # 3. a letter deleted above them: they are back where the first parse put them
    j = next(i for i in range(10, 100) if not _is_cut(f"# note {i}") and not _is_cut(f"# note{i}"))
    at = third.text.index(f"# note {j}\n") + len("# note")
    fourth = _check(third.text[:at] + third.text[at + 1:], third)
    assert fourth.checked is not None and first.checked is not None
    top = d.top_level(fourth.checked.flow)
    assert isinstance(top, d.Displaced)
    originals = {id(s) for s in first.checked.flow.body}
    in_place = [items for items, delta, dline in top.parts if not (delta or dline) and len(items) > 100]
    assert in_place and all(id(s) in originals for s in in_place[0])  # the first parse's nodes
    assert sum(f.rule == "PAF102" for f in fourth.findings) == 300
    for got in (second, third, fourth):
        assert got.findings == _check(got.text).findings


def _chain_flow(functions: int = 0) -> str:
    """``repeated_flow`` (suppressions, fixes, numbered fingerprints) with a sink after each
    of 120 comments below it (``fixtures/rules/PAF102/pos_clipboard.robin``): comments that
    end taint chunks, sinks whose findings hold positions; then ``functions`` subflows of the
    same, which Main calls."""
    sinks = "".join(f"# note {i}\nClipboard.SetText Text: SmtpPassword\n" for i in range(120))
    parts = [repeated_flow(6), sinks, *(f"CALL Part{k}\n" for k in range(functions))]
    for k in range(functions):
        parts += [f"FUNCTION Part{k} GLOBAL\n", repeated_flow(2)[HEADER_END:], sinks, "END FUNCTION\n"]
    return "".join(parts)


def _chain_edit(text: str, rng: random.Random) -> str:
    """One edit an author makes at a random line of the body: a letter typed into or deleted
    from a comment, a statement pasted (a copy of another line) or deleted, a line break."""
    lines = text.splitlines(keepends=True)
    body = next(i for i, line in enumerate(lines) if line.startswith("# "))  # below the header
    at = rng.randrange(body, len(lines))
    while lines[at].startswith(("FUNCTION", "END FUNCTION")):  # (a subflow's ends stay)
        at = rng.randrange(body, len(lines))
    roll = rng.random()
    if roll < 0.5:
        comments = [i for i in range(body, len(lines)) if lines[i].startswith("# note")]
        i = min(comments, key=lambda k: (abs(k - at), k))
        cut = len("# note") + rng.randrange(len(lines[i]) - len("# note"))
        line = lines[i]
        lines[i] = (line[:cut] + rng.choice("ab ") + line[cut:]) if rng.random() < 0.6 or len(line) < 10 \
            else line[:cut] + line[cut + 1:] if line[cut] != "\n" else line
    elif roll < 0.7:
        pasted = lines[rng.randrange(body, len(lines))]
        lines.insert(at, pasted if not pasted.startswith(("FUNCTION", "END FUNCTION")) else "\n")
    elif roll < 0.85:
        del lines[at]
    else:
        lines.insert(at, "\n")
    return "".join(lines)


@pytest.mark.parametrize(("seed", "functions"), [(4, 0), (5, 0), (10, 0), (1, 3), (2, 3)])
def test_random_chains_of_edits_match_a_fresh_check(seed: int, functions: int) -> None:
    """Edits in turn at random places, above and below the earlier ones (displaced parts
    composed, merged, more than MAX_PARTS of them), in Main and in subflows: after each,
    findings (fixes included), parse errors and diagnostics are a fresh check's. (Seeds 5 and
    10 met the replay of a part whose shifts add up to none, before b27eaec.)"""
    rng = random.Random(seed)
    text = _chain_flow(functions)
    memo = DiagnosticMemo()
    last = _check(text)
    diagnostics(URI, 1, last, LineIndex(text), "utf-16", suppress=False, memo=memo)
    most = 0
    for version in range(2, 42):
        text = _chain_edit(text, rng)
        got = _check(text, last)
        want = _check(text)
        assert got.findings == want.findings, version
        assert got.parse_errors == want.parse_errors
        index = LineIndex(text)
        assert diagnostics(URI, version, got, index, "utf-16", suppress=False, memo=memo) == \
            diagnostics(URI, version, want, index, "utf-16", suppress=False)
        assert got.checked is not None
        top = d.top_level(got.checked.flow)
        if isinstance(top, d.Displaced):
            most = max(most, sum(1 for _items, dd, dl in top.parts if dd or dl))
        last = got
    assert most == d.MAX_PARTS  # (the cap was reached)


@pytest.mark.parametrize("where", ["main", "first function", "last function"])
def test_a_keystroke_in_a_flow_with_functions_does_not_move_the_statements_below_it(moves: list[int],
                                                                                   where: str) -> None:
    """Main's statements and the subflows below an edit stay displaced (``Flow.main`` and
    ``Flow.functions`` would move them all): a FUNCTION below it is a DisplacedFunction."""
    text = _chain_flow(4)
    at = {"main": text.index("# note 3\n"), "first function": text.index("# note 3\n", text.index("FUNCTION")),
          "last function": text.rindex("# note 3\n")}[where]
    first = _check(text)
    typed = _check(text[:at] + "SET Typed TO 1\n" + text[at:], first)
    again = _check(typed.text[:at + 5] + "x" + typed.text[at + 5:], typed)
    assert again.checked is not None
    assert isinstance(again.checked.flow, d.DisplacedFlow) == (where != "last function")  # (nothing below)
    assert moves == []
    below = [sf for sf in again.checked.model.subflows if sf.node is not None and sf.node.span.start > at]
    assert all(isinstance(sf.node, d.DisplacedFunction) and sf.body is sf.node.view for sf in below)
    assert len(below) == {"main": 4, "first function": 3, "last function": 0}[where]
    for got in (typed, again):
        assert got.findings == _check(got.text).findings
    fresh = parse(again.text, "buffer.robin", recover=True)
    assert again.checked.model.subflows[1:] and [sf.node for sf in again.checked.model.subflows[1:]] == \
        list(fresh.functions)
    assert again.checked.flow == fresh


def test_a_displaced_function_equals_hashes_and_copies_as_the_plain_one() -> None:
    text = _chain_flow(2)
    old = parse(text, "f.robin", recover=True)
    new_text = "# top\n" + text
    flow, _ = reparse_moved(old, new_text)
    assert isinstance(flow, d.DisplacedFlow)
    _main, functions = d.split_functions(flow.view)
    fresh = parse(new_text, "f.robin", recover=True).functions
    assert all(isinstance(f, d.DisplacedFunction) for f in functions)
    assert [f.span for f in functions] == [f.span for f in fresh]
    assert [f.params for f in functions] == [f.params for f in fresh]
    assert list(functions) == list(fresh) and [hash(f) for f in functions] == [hash(f) for f in fresh]
    assert all(type(pickle.loads(pickle.dumps(f))) is n.Function for f in functions)
    assert all(f.body is f.body and f.body == g.body for f, g in zip(functions, fresh))


def test_blocks_below_an_earlier_edit_are_moved_not_cut_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement memo takes its blocks over from the last check (``relayout``) when the
    statement above the re-parsed region is the same one at the same place: for a displaced
    one, its old node and its span, read without moving it (moved on each asking, it was
    never the same object, and every block of the body was cut again)."""
    from pafix.syntax import statement_memo

    whole: list[int] = []
    original = statement_memo.layout

    def counted(body: object, lo: int = 0, hi: int | None = None) -> list[statement_memo.Block]:
        if lo == 0 and hi is None:
            whole.append(1)
        return original(body, lo, hi)  # type: ignore[arg-type]

    monkeypatch.setattr(statement_memo, "layout", counted)
    text = _chain_flow(2)  # (with subflows: Main's view is made anew each keystroke)
    first = _check(text)
    at = text.index("# note 1\n")
    second = _check(text[:at] + "# typed above\n" + text[at:], first)  # the rest displaced
    end = second.text.index("# note 100\n") + len("# note")
    whole.clear()
    third = _check(second.text[:end] + "x" + second.text[end:], second)
    assert third.checked is not None and isinstance(third.checked.flow, d.DisplacedFlow)
    assert whole == []
    assert third.findings == _check(third.text).findings
