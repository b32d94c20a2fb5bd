"""Suppression comments are found from the top-level statements that hold the marker alone.

``find_suppressions`` used to walk and sort every statement of a flow that holds the marker
anywhere; it now takes only the top-level statements whose text holds ``pafix:``. The
suppressions must be those of the whole walk (:func:`_whole_walk`, the former code), on the
bundled flows and on random edits of them.
"""

from __future__ import annotations

import random
from functools import partial
from pathlib import Path

import pytest

from pafix.syntax import nodes as n
from pafix.syntax.parser import parse
from pafix.syntax.suppress import Suppression, find_suppressions, suppression_of

ROOT = Path(__file__).resolve().parents[1]


def _utf8(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # the fixtures of other encodings hold no suppression
        return None


WITH_MARKER = sorted(p for p in (ROOT / "fixtures").rglob("*.robin") if "pafix:" in (_utf8(p) or ""))


def _whole_walk(flow: n.Flow) -> list[Suppression]:
    """Every statement of the flow, sorted by start, each one asked; a suppression covers
    the next statement in that order that is not a comment or an annotation."""
    stmts = sorted(n.walk_statements(flow.body), key=lambda s: s.span.start)

    def after(i: int) -> n.Stmt | None:
        return next((s for s in stmts[i + 1 :] if not isinstance(s, (n.Comment, n.Annotation))), None)

    found = (suppression_of(stmt, partial(after, i)) for i, stmt in enumerate(stmts))
    return [s for s in found if s is not None]


def test_there_are_flows_with_suppressions() -> None:
    assert len(WITH_MARKER) >= 5


@pytest.mark.parametrize("path", WITH_MARKER, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_suppressions_are_those_of_the_whole_walk(path: Path) -> None:
    flow = parse(path.read_text(encoding="utf-8"), path.name, recover=True)
    found = find_suppressions(flow)
    assert found and [(s.comment.span, s.codes, s.whole_file, s.first_line, s.last_line) for s in found] == \
        [(s.comment.span, s.codes, s.whole_file, s.first_line, s.last_line) for s in _whole_walk(flow)]


NESTED = """# pafix: ignore[PAF101] before a block
IF a = 1 THEN
    # pafix: ignore[PAF102] inside it, last
END
SET x TO $'''pafix: not a comment'''
LOOP FOREACH i IN l
    SET y TO 1
    # pafix: ignore[PAF104] last of the loop: covers the next statement outside it
END
# a comment
@@copilotGeneratedAction: 'False'
SET z TO 2
# pafix: ignore-file[PAF103]
# pafix: ignore[PAF101] nothing after it
"""


#: ``NESTED`` as Main and in subflows: a suppression last in one covers the next FUNCTION line
#: (``find_suppressions`` looks into a FUNCTION's statements only where the marker is)
FUNCTIONS = NESTED + "".join(f"""FUNCTION Sub{i} GLOBAL
# pafix: ignore[PAF102] first of a subflow
SET a TO 1
{NESTED}# pafix: ignore[PAF101] last of a subflow: covers the next one's FUNCTION line
END FUNCTION
""" for i in range(3))


def test_nested_and_trailing_suppressions_and_random_edits_are_those_of_the_whole_walk() -> None:
    rng = random.Random(3)
    texts = [NESTED, FUNCTIONS] + [p.read_text(encoding="utf-8") for p in WITH_MARKER]
    for text in texts:
        for _ in range(30):
            flow = parse(text, "f.robin", recover=True)
            assert find_suppressions(flow) == _whole_walk(flow)
            at = rng.randrange(len(text) + 1)
            piece = rng.choice(["\n", "# pafix: ignore[PAF101]\n", "    ", "END\n", "x", ""])
            text = text[:at] + piece + text[at + rng.randint(0, 2):]


def test_suppressions_in_displaced_subflows_are_those_of_the_whole_walk() -> None:
    """Below an edit, Main's statements and the subflows are displaced
    (:mod:`pafix.syntax.displaced`): looked into without moving them, they give the same."""
    from pafix.syntax.displaced import DisplacedFlow
    from pafix.syntax.incremental import reparse_moved

    rng = random.Random(5)
    text = FUNCTIONS
    flow = parse(text, "f.robin", recover=True)
    for _ in range(30):
        lines = text.splitlines(keepends=True)
        at = rng.randrange(len(lines))
        lines.insert(at, rng.choice(["\n", "# note\n", "# pafix: ignore[PAF104]\n"]))
        text = "".join(lines)
        flow, _ = reparse_moved(flow, text)
        fresh = parse(text, "f.robin", recover=True)
        assert [(s.comment.span, s.codes, s.first_line, s.last_line) for s in find_suppressions(flow)] == \
            [(s.comment.span, s.codes, s.first_line, s.last_line) for s in _whole_walk(fresh)]
    assert isinstance(flow, DisplacedFlow)
