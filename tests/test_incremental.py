"""Incremental re-parsing (the editor's path) gives exactly the full parse, spans included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pafix.syntax import nodes as n
from pafix.syntax.incremental import reparse
from pafix.syntax.movers import shift
from pafix.syntax.parser import parse
from trees import deep

ROOT = Path(__file__).resolve().parents[1]


def _texts() -> list[str]:
    out = []
    for path in sorted((ROOT / "examples").glob("*.robin")) + sorted((ROOT / "fixtures" / "rules").rglob("*.robin"))[:40]:
        text = path.read_text(encoding="utf-8")
        try:
            parse(text)
        except Exception:
            continue
        out.append(text)
    return out


TEXTS = _texts()
FRAGMENTS = ["", " ", "x", "\n", "\r\n", "'", "'''", "%", "#", "/#", "#/", "END", "END\n", "IF a THEN\n", "ELSE\n",
             "SET a TO 1\n", "FUNCTION f GLOBAL\n", "END FUNCTION\n", "$'''%x%'''", "LOOP FOREACH i IN l\n",
             "Display.ShowMessageDialog.ShowMessage Message: p\n", "@SENSITIVE: [p]\n", "DISABLE ", "\ufeff"]


def _full(text: str) -> Any:
    try:
        return deep(parse(text, "f.robin", recover=True))
    except Exception as exc:  # the same exception either way
        return repr(exc)


def _incremental(old: n.Flow, text: str) -> Any:
    try:
        return deep(reparse(old, text))
    except Exception as exc:
        return repr(exc)


def test_the_bundled_flows_are_there() -> None:
    assert len(TEXTS) >= 20


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_reparse_after_an_edit_is_the_full_parse(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(TEXTS))
    old = parse(text, "f.robin", recover=True)
    new = text
    for _ in range(data.draw(st.integers(1, 3))):  # one keystroke or a few edits in a row
        start = data.draw(st.integers(0, len(new)))
        end = data.draw(st.integers(start, min(len(new), start + 40)))
        insert = data.draw(st.sampled_from(FRAGMENTS) | st.text(alphabet="aZ_ .:'%=>\n\t#[]{}(),1", max_size=6))
        new = new[:start] + insert + new[end:]
        assert _incremental(old, new) == _full(new)
        old = parse(new, "f.robin", recover=True)


def test_statements_away_from_the_edit_are_reused_or_moved() -> None:
    lines = [f"SET v{i} TO {i}" for i in range(200)]
    text = "\n".join(lines) + "\n"
    old = parse(text, "f.robin")
    at = text.index("SET v100")
    new = text[:at] + "# typed\n" + text[at:]
    flow = reparse(old, new)
    assert deep(flow) == deep(parse(new, "f.robin"))
    assert all(a is b for a, b in zip(flow.body[:100], old.body[:100]))  # untouched: the same objects
    moved = flow.body[102]
    assert moved == old.body[101] and moved.span.line == old.body[101].span.line + 1
    assert moved.span.start == old.body[101].span.start + len("# typed\n")


def test_an_unclosed_block_typed_in_the_middle_falls_back_to_the_full_parse() -> None:
    text = "SET a TO 1\nSET b TO 2\nSET c TO 3\n"
    old = parse(text, "f.robin")
    new = text.replace("SET b TO 2\n", "IF a THEN\nSET b TO 2\n")
    flow = reparse(old, new)
    assert flow.errors and deep(flow) == _full(new)


@pytest.mark.parametrize("old_text", [
    "SET a TO 1\nIF x THEN\nSET b TO 2\n",  # the old flow had errors: recovery is global
    "SET a TO 1\n# [ControlRepository][PowerAutomateDesktop]\n{}\n",  # a trailer
])
def test_flows_with_errors_or_trailers_are_parsed_whole(old_text: str) -> None:
    old = parse(old_text, "f.robin", recover=True)
    new = "SET z TO 0\n" + old_text
    assert deep(reparse(old, new)) == _full(new)


def test_shift_moves_offsets_and_lines_but_not_columns() -> None:
    flow = parse("SET a TO 1\n@SENSITIVE: [a]\n")
    moved = shift(flow.body[1], 10, 2)
    assert isinstance(moved, n.Sensitive)
    assert moved.span == n.Span(21, 36, 4, 1, 4, 16)
    assert moved.names[0].span == n.Span(34, 35, 4, 14, 4, 15)
    assert moved.close == flow.body[1].close + 10  # an offset that is not a span


def test_a_shift_within_a_line_keeps_lines_as_the_shift_by_zero_lines_does() -> None:
    """An edit within one line moves the nodes below it with the movers that keep lines (no
    new ints for them): the same nodes as the movers that add the line delta, 0."""
    from pafix.syntax import movers

    for text in TEXTS:
        body = parse(text, "f.robin").body
        kept = shift(body, 7, 0)
        added = tuple(movers._MOVERS[type(s)](s, 7, 0) for s in body)
        assert deep(kept) == deep(added)
        assert all(a.span.start == b.span.start + 7 and a.span.line == b.span.line for a, b in zip(kept, body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_errors_of_a_reparsed_flow_are_its_walked_errors(data: st.DataObject) -> None:
    from pafix.syntax.incremental import errors_of

    text = data.draw(st.sampled_from(TEXTS))
    old = parse(text, "f.robin", recover=True)
    assert errors_of(old) == old.errors
    for _ in range(data.draw(st.integers(1, 4))):  # keystrokes in a row, as the editor asks
        start = data.draw(st.integers(0, len(old.source)))
        insert = data.draw(st.sampled_from(FRAGMENTS))
        new = reparse(old, old.source[:start] + insert + old.source[start + data.draw(st.integers(0, 3)):])
        assert deep(errors_of(new)) == deep(new.errors)
        assert errors_of(old) == old.errors  # asked about an older flow: walked, not mixed up
        old = new


def test_common_ends_are_the_longest_prefix_and_suffix_each_on_its_own() -> None:
    from pafix.syntax.incremental import common_ends

    old, new = "SET a TO 1\n", "SET a TO 1\nSET a TO 1\n"  # a line typed above the line it repeats
    assert common_ends(old, new) == (len(old), len(old))  # they overlap in the longer text
    assert common_ends(new, old) == (len(old), len(old))  # another pair: not the last answer
    assert common_ends("abc", "abd") == (2, 0)
    assert common_ends("", "x") == (0, 0)


def test_two_buffers_edited_in_turn_each_keep_their_flows_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The errors :func:`errors_of` knows of a flow are that flow's for as long as it lives:
    a check of another buffer in between does not make the next keystroke walk the tree again
    (with one pair kept for all, each re-parse walked the other buffer's old flow)."""
    from pafix.syntax import incremental
    from pafix.syntax.incremental import errors_of

    flows = [parse(text, "f.robin", recover=True) for text in TEXTS[:2]]
    assert all(not errors_of(flow) for flow in flows)
    walks: list[n.Flow] = []
    walked: Any = n.Flow.__dict__["errors"].fget

    def counted(flow: n.Flow) -> tuple[n.ErrorStmt, ...]:
        walks.append(flow)
        errors: tuple[n.ErrorStmt, ...] = walked(flow)
        return errors

    monkeypatch.setattr(n.Flow, "errors", property(counted))
    for round_ in range(5):
        for i, flow in enumerate(flows):
            at = flow.source.find("\n", len(flow.source) // 2) + 1
            flows[i] = reparse(flow, flow.source[:at] + f"SET Typed{round_} TO {i}\n" + flow.source[at:])
            assert not errors_of(flows[i])
    assert walks == []
    old = flows[0]
    key = id(old)
    assert key in incremental._ERRORS
    del old, flows
    assert key not in incremental._ERRORS  # gone with its flow
