"""Round trips on the corpus fixtures (real flows copied into ``fixtures/corpus``) and the
canonical printer's output format.

Every fixture is read as bytes and decoded as UTF-8 with a BOM kept as U+FEFF; the parse must
give back the text byte for byte, its statements must account for every character but blanks,
and ``parse(unparse(flow)) == flow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pafix.syntax import nodes as n
from pafix.syntax.parser import parse, parse_expression
from pafix.syntax.unparse import unparse
from strategies import assert_lossless

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
FILES = sorted(CORPUS.glob("*.robin"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # not utf-8-sig: a BOM stays in the text


def test_fixture_corpus_is_there() -> None:
    assert len(FILES) >= 30
    texts = [read(p) for p in FILES]
    assert any("\r\n" in t for t in texts)
    assert any(parse(t).trailer is not None for t in texts)
    assert all(p.stat().st_size <= 200 * 1024 for p in FILES)
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{p.name}`" in sources for p in FILES), "every fixture has its attribution row"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fixture_roundtrip(path: Path) -> None:
    text = read(path)
    flow = parse(text, str(path))
    assert flow.code == text
    assert text.encode("utf-8") == path.read_bytes()
    assert_lossless(flow, text)
    canonical = unparse(flow)
    assert parse(canonical) == flow
    assert unparse(parse(canonical)) == canonical


# ---- the canonical form -----------------------------------------------------------------------

MESSY = (
    "\ufeff@@ConnectionString: ''\r\n"
    "IMPORT 'controlRepo.appmask' AS appmask\r\n"
    "@SENSITIVE: [a,b]\r\n"
    "@INPUT a : {'Type':'String','DefaultValue':{{}}} \r\n"
    "\r\n"
    "\t SET   x[0]   TO  NOT a AND (1+2)*-3 mod 4 <> b.c\r\n"
    "IF (File.IfFile.Exists File: $'''C:\\\\%b%%%''') THEN\r\n"
    "\t\tDISABLE Display.ShowMessageDialog.ShowMessage Title: 'it\\'s' @'a b': GLOBAL.c Pressed=> p\r\n"
    "DISABLE ELSE IF a <> 1 THEN\r\n"
    "ELSE\r\n"
    "@@flowname: 'Child'\r\n"
    "    External.RunFlow FlowId: 'f' @In: { 'k': [1, 2] } @Out=> o\r\n"
    "END\r\n"
    "SWITCH x\r\n"
    "CASE = 1\r\n"
    "DEFAULT\r\n"
    "LOOP FROM 1 TO 2 STEP 1\r\n"
    "NEXT  LOOP\r\n"
    "END\r\n"
    "END\r\n"
    "BLOCK \r\n"
    "ON BLOCK ERROR 'Business Exception' IsUserDefinedErrorCode: True\r\n"
    "    REPEAT BLOCK\r\n"
    "END\r\n"
    "  WAIT (A.B X: { ^['h'], [1] }) FOR 5 \r\n"
    "END\r\n"
    "FUNCTION 'Get Error' In_a, In_b\r\n"
    "LABEL 'End of it'\r\n"
    "GOTO END\r\n"
    "/# multi\r\nline #/\r\n"
    "END FUNCTION"
)

CANONICAL = """\
@@ConnectionString: ''
IMPORT 'controlRepo.appmask' AS appmask
@SENSITIVE: [a, b]
@INPUT a : { 'Type': 'String', 'DefaultValue': {{ }} }
SET x[0] TO NOT a AND (1 + 2) * -3 mod 4 <> b.c
IF (File.IfFile.Exists File: $'''C:\\\\%b%%%''') THEN
    DISABLE Display.ShowMessageDialog.ShowMessage Title: 'it\\'s' @'a b': GLOBAL.c Pressed=> p
ELSE IF a <> 1 THEN
ELSE
    @@flowname: 'Child'
    External.RunFlow FlowId: 'f' @In: { 'k': [1, 2] } @Out=> o
END
SWITCH x
    CASE = 1
    DEFAULT
        LOOP FROM 1 TO 2 STEP 1
            NEXT LOOP
        END
END
BLOCK
ON BLOCK ERROR 'Business Exception' IsUserDefinedErrorCode: True
    REPEAT BLOCK
END
    WAIT (A.B X: { ^['h'], [1] }) FOR 5
END
FUNCTION 'Get Error' In_a, In_b
    LABEL 'End of it'
    GOTO 'END'
    /# multi\r
line #/
END FUNCTION
"""


def test_canonical_layout() -> None:
    flow = parse(MESSY)
    assert unparse(flow) == CANONICAL
    assert parse(CANONICAL) == flow


def test_unparse_bodies_statements_and_parts() -> None:
    flow = parse("IF a THEN\n  SET b TO c.d[0]\nEND\n")
    stmt = flow.body[0]
    assert unparse(flow.body) == unparse(flow) == "IF a THEN\n    SET b TO c.d[0]\nEND\n"
    assert unparse(stmt) == "IF a THEN\n    SET b TO c.d[0]\nEND"
    assert isinstance(stmt, n.If)
    inner = stmt.branches[0].body[0]
    assert isinstance(inner, n.Set)
    assert unparse(inner.value) == "c.d[0]"
    assert unparse(stmt.branches[0]) == "IF a THEN\n    SET b TO c.d[0]"
    assert unparse(parse("A.B X: 1 Y=> z").body[0].args[1]) == "Y=> z"  # type: ignore[union-attr]
    lit = parse_expression("$'''a %x + 1% b'''")
    assert isinstance(lit, n.StringLit)
    assert unparse(lit.holes[0]) == "%x + 1%"
    assert unparse(()) == ""


def test_unparse_names_are_quoted_when_needed() -> None:
    src = "CALL 'Load Config'\nCALL Init\nLABEL 'it\\'s'\nGOTO END\nBLOCK 'x y'\nEND\nEND\nX.Y @'a/b': 1 @ok=> v\n"
    assert unparse(parse(src)) == (
        "CALL 'Load Config'\nCALL Init\nLABEL 'it\\'s'\nGOTO 'END'\nBLOCK 'x y'\nEND\nEND\nX.Y @'a/b': 1 @ok=> v\n"
    )


def test_unparse_edge_cases_round_trip() -> None:
    for src in (
        "SET x TO GLOBAL .y\n",  # a variable named GLOBAL, not the GLOBAL. prefix
        "SET x TO - -1\n",
        "SET x TO NOT NOT a\n",
        "SET x TO {}\n",
        "SET x TO { x, y }\n",
        "IMPORT '''a\nb''' AS x\n",
        "@@a b: 'v'\n",
        "@@'k:\\'x': 'v\\'w'\n",
        "**REGION\n**ENDREGION trailing text\n",
        "SWITCH x\nCASE NotContains\nEND\n",
        "DISABLE END\n",
    ):
        flow = parse(src)
        assert parse(unparse(flow)) == flow, src


def test_unparse_keeps_the_trailer_verbatim() -> None:
    src = "SET a TO 1\r\n\r\n# [ControlRepository][PowerAutomateDesktop]\r\n\r\n{ \"x\": \"IF ( THEN\" }\r\n"
    flow = parse(src)
    out = unparse(flow)
    assert out == "SET a TO 1\n\n# [ControlRepository][PowerAutomateDesktop]\r\n\r\n{ \"x\": \"IF ( THEN\" }\r\n"
    assert parse(out) == flow and parse(out).trailer is not None


def test_unparse_error_statements() -> None:
    flow = parse("SET a TO 1\n// note\n", recover=True)
    assert unparse(flow) == "SET a TO 1\n// note\n"  # copied from the source
    with pytest.raises(ValueError):
        unparse(flow.body)
