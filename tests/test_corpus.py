"""The whole shared corpus: every real flow parses and round-trips byte for byte.

``shared/`` sits next to the repository (``../shared``); these tests skip when it is absent.
The one file that is not Robin (kimseunghwa102's, with ``//`` note lines) must be rejected at
its first ``//`` line, and ``recover=True`` must turn exactly its ``//`` lines into errors.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from pafix.syntax import nodes as n
from pafix.errors import ParseError
from pafix.syntax.parser import parse
from pafix.syntax.unparse import unparse
from strategies import assert_lossless

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "corpus" / "real"
SOLUTIONS = SHARED / "corpus" / "solutions"
NOT_ROBIN = "kimseunghwa102__"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus is absent"),
]


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # a BOM stays in the text as U+FEFF


def real_files() -> list[Path]:
    return sorted(REAL.glob("*.robin")) if REAL.is_dir() else []


def robin_files() -> list[Path]:
    return [p for p in real_files() if not p.name.startswith(NOT_ROBIN)]


def check_roundtrip(text: str, path: str) -> n.Flow:
    flow = parse(text, path)
    assert_lossless(flow, text)
    assert parse(unparse(flow)) == flow
    return flow


def test_corpus_is_there() -> None:
    assert len(robin_files()) >= 140
    assert len([p for p in real_files() if p.name.startswith(NOT_ROBIN)]) == 1


@pytest.mark.parametrize("path", robin_files(), ids=lambda p: p.name)
def test_real_flow_roundtrip(path: Path) -> None:
    text = read(path)
    check_roundtrip(text, path.name)
    assert text.encode("utf-8") == path.read_bytes()


def _not_robin() -> Path:
    return next(p for p in real_files() if p.name.startswith(NOT_ROBIN))


def test_slash_comment_file_is_rejected_at_its_first_slash_line() -> None:
    text = read(_not_robin())
    with pytest.raises(ParseError) as info:
        parse(text, "chatgpt.robin")
    err = info.value
    assert (err.line, err.column) == (1, 1)
    assert "//" in err.message
    assert str(err).startswith("chatgpt.robin:1:1: ")


def test_slash_comment_file_recovers_exactly_its_slash_lines() -> None:
    text = read(_not_robin())
    flow = parse(text, recover=True)
    assert flow.code == text
    slash_lines = [i for i, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith("//")]
    assert slash_lines == [1, 4, 5, 13, 16]
    errors = flow.errors
    assert [(e.span.line, e.span.end_line) for e in errors] == [(ln, ln) for ln in slash_lines]
    assert all(flow.text(e).startswith("//") and "//" in e.message for e in errors)
    # everything else is parsed as if the // lines were blank
    blanked = re.sub(r"(?m)^[ \t]*//[^\r\n]*", lambda m: " " * len(m.group(0)), text)
    assert tuple(s for s in flow.body if not isinstance(s, n.ErrorStmt)) == parse(blanked).body


# ---- desktop flows inside the solution exports -------------------------------------------------


def solution_definitions() -> list[tuple[str, str]]:
    """(id, script) of every desktop flow (Category 6) in ``shared/corpus/solutions/*.zip``."""
    found: list[tuple[str, str]] = []
    for archive in sorted(SOLUTIONS.glob("*.zip")) if SOLUTIONS.is_dir() else []:
        with zipfile.ZipFile(archive) as zf:
            root = ET.fromstring(zf.read("customizations.xml"))
        for workflow in root.iter("Workflow"):
            if workflow.findtext("Category") != "6":
                continue
            definition = workflow.findtext("Definition")
            assert definition is not None
            script = json.loads(definition)  # the element holds a JSON string
            found.append((f"{archive.stem}:{workflow.get('Name')}", script))
    return found


def test_solution_definitions() -> None:
    found = solution_definitions()
    assert len(found) == 23
    # most stored definitions hold subflows, as FUNCTION ... END FUNCTION after the Main body
    assert sum(bool(parse(script).functions) for _, script in found) >= 15


@pytest.mark.parametrize("name,script", [pytest.param(*d, id=d[0]) for d in solution_definitions()])
def test_solution_definition_roundtrip(name: str, script: str) -> None:
    flow = check_roundtrip(script, name)
    assert "\r\n" in script
    assert flow.body and isinstance(flow.body[0], n.Annotation)  # @@ConnectionString: ''
