"""The incremental re-parse looks for trailer and separator lines on the edited lines alone.

A flow with a trailer (``# [ControlRepository][PowerAutomateDesktop]`` then JSON) or a subflow
separator (``=====>``) is parsed whole (:mod:`pafix.syntax.incremental`); the old text has
none, so a new one can only be on a line the edit touched. Whatever is typed or deleted, the
re-parse must equal the full parse (spans included).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pafix.syntax import nodes as n
from pafix.syntax.incremental import reparse
from pafix.syntax.parser import parse
from pafix.syntax.trailers import boundary_near, split_trailer
from trees import deep

MARKER = "# [ControlRepository][PowerAutomateDesktop]"
#: a comment one keystroke from a trailer line, and a text holding a line one from a separator
FLOW = ("".join(f"SET v{i} TO {i}\n# note {i}\n" for i in range(60)) + "# [ControlRepository]\n"
        + "SET s TO $'''head\n=\ntail'''\n" + "SET w TO 1\n")
PIECES = [MARKER, MARKER + "\n{\n}\n", "[PowerAutomateDesktop]", "]", "\n", "=====>", "=>\n", "=", ">", "# [",
          "# [ImageRepository][PowerAutomateDesktop]\n", " ", "x", ""]


def _full(text: str) -> Any:
    return deep(parse(text, "f.robin", recover=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_trailer_or_separator_typed_anywhere_gives_the_full_parse(data: st.DataObject) -> None:
    old = parse(FLOW, "f.robin", recover=True)
    assert not old.trailers and not old.errors
    text = FLOW
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 3)))
        text = text[:start] + data.draw(st.sampled_from(PIECES)) + text[end:]
        flow = reparse(old, text)
        assert deep(flow) == _full(text)
        old = flow


def test_a_marker_completed_by_one_keystroke_is_a_trailer() -> None:
    old = parse(FLOW, "f.robin", recover=True)
    at = FLOW.index("# [ControlRepository]\n") + len("# [ControlRepository]")
    text = FLOW[:at] + "[PowerAutomateDesktop]" + FLOW[at:]
    flow = reparse(old, text)
    assert flow.trailer is not None and deep(flow) == _full(text)
    at = FLOW.index("\n=\n", at) + 2  # the text's line "=" becomes a separator "=>"
    text = FLOW[:at] + ">" + FLOW[at:]
    assert reparse(old, text).trailers and deep(reparse(old, text)) == _full(text)


def test_boundary_near_searches_the_lines_it_is_given_whole() -> None:
    text = "SET a TO 1\n=====>\nSET b TO 2\n"
    line = text.index("=")
    assert split_trailer(text) == line
    assert boundary_near(text, line + 3, line + 3)  # inside the separator line
    assert not boundary_near(text, line - 4, line - 4)  # the line above alone
    assert boundary_near(text, line - 4, line)  # from the line above to the separator's line
    assert not boundary_near(text, 0, 4)
    assert not boundary_near(text, len(text) - 3, len(text))
    assert isinstance(parse(text, "f.robin", recover=True).body[0], n.Set)


def test_every_node_class_has_a_mover_that_moves_its_span() -> None:
    import dataclasses

    from pafix.syntax.movers import _MOVERS

    classes = [c for c in vars(n).values() if isinstance(c, type) and dataclasses.is_dataclass(c)]
    assert len(classes) > 40
    for cls in classes:
        assert callable(_MOVERS[cls])  # made without a cycle of movers making each other
    flow = parse(FLOW, "f.robin")
    moved = _MOVERS[tuple](flow.body, 7, 1)
    assert moved == flow.body
    assert [s.span.start for s in moved] == [s.span.start + 7 for s in flow.body]
    assert [s.span.line for s in moved] == [s.span.line + 1 for s in flow.body]
