"""The lineage of a buffer's diagnostics (:class:`pafix.lsp.convert.DiagnosticMemo`): a
keystroke that moves no diagnostic keeps it, and a pull is then answered ``unchanged``
without comparing every diagnostic again (:func:`pafix.lsp.pull.answer`)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from pafix.lsp import convert, pull
from pafix.lsp.convert import DiagnosticMemo, diagnostics
from pafix.lsp.lint import lint_text
from pafix.lsp.positions import LineIndex
from pafix.lsp.pull import Reported, answer, same_diagnostics
from tests.test_lsp_reuse import _edit

ROOT = Path(__file__).resolve().parents[1]
URI = "file:///buffer.robin"
#: PAF106 on its line 8 has a trace step on line 13, PAF103 on line 7 a fix whose edits name
#: lines 10 to 13: both reach below a character typed on line 11
SMTP = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
FLOWS = sorted((ROOT / "examples").glob("*.robin")) + sorted((ROOT / "fixtures" / "rules").glob("PAF10*/pos_*.robin"))


def _typed(text: str, after: str, typed: str = "x") -> str:
    at = text.index(after) + len(after)
    return text[:at] + typed + text[at:]


def _convert(memo: DiagnosticMemo, text: str, version: int, last: Any = None) -> tuple[Any, list[dict[str, Any]]]:
    previous = last.checked if last is not None else None
    result = lint_text(text, "buffer.robin", previous=previous.flow if previous else None, reuse=previous)
    return result, diagnostics(URI, version, result, LineIndex(text), "utf-16", suppress=False, memo=memo)


def test_a_keystroke_that_moves_no_diagnostic_converts_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """The findings above the edit whose trace (PAF106) or fix (PAF103) reach below it keep
    their diagnostics too: a trace step below the edit moves with the text, and a fix is not
    in the diagnostic."""
    memo = DiagnosticMemo()
    first, _ = _convert(memo, SMTP, 1)
    made: list[str] = []
    real = convert.finding_diagnostic

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        made.append(args[4].rule)
        return real(*args, **kwargs)

    monkeypatch.setattr(convert, "finding_diagnostic", counting)
    typed = _typed(SMTP, "Statement: $'''SELECT")
    result, got = _convert(memo, typed, 2, first)
    assert {f.rule for f in result.findings} >= {"PAF103", "PAF106"}
    assert made == []
    monkeypatch.setattr(convert, "finding_diagnostic", real)
    assert got == diagnostics(URI, 2, lint_text(typed, "buffer.robin"), LineIndex(typed), "utf-16", suppress=False)


def test_the_lineage_is_kept_only_while_the_diagnostics_are_the_same() -> None:
    memo = DiagnosticMemo()
    last, before = _convert(memo, SMTP, 1)
    lineage = memo.lineage
    assert lineage is not None
    typed = _typed(SMTP, "Statement: $'''SELECT")
    last, now = _convert(memo, typed, 2, last)
    assert memo.lineage == lineage and now != before and same_diagnostics(before, now)
    # an empty line above the findings of lines 10-13: their ranges move
    moved = _typed(typed, "Timeout: 30 Result=> QueryResult\n", "\n")
    last, later = _convert(memo, moved, 3, last)
    assert memo.lineage != lineage and not same_diagnostics(now, later)
    # a line that does not parse: a parse error more, with the findings kept
    broken = moved + "IF\n"
    _, worse = _convert(memo, broken, 4, last)
    assert not same_diagnostics(later, worse)
    assert memo.lineage not in (None, lineage)


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.parent.name + "/" + p.name)
def test_one_lineage_means_the_same_diagnostics(path: Path) -> None:
    """Random edit sequences: whenever a check keeps the last one's lineage, its diagnostics
    are the last ones but for ``data.v``, and equal to those of a conversion from scratch."""
    text = path.read_text(encoding="utf-8")
    rng = random.Random(path.name)
    memo = DiagnosticMemo()
    last, held = _convert(memo, text, 1)
    kept = 0
    for version in range(2, 40):
        # half of the edits type a character and take it back: most of those move nothing
        edited = _edit(text, rng) if version % 4 < 2 else text
        lineage = memo.lineage
        last, now = _convert(memo, edited, version, last)
        if memo.lineage == lineage:
            kept += 1
            assert same_diagnostics(held, now)
        assert now == diagnostics(URI, version, lint_text(edited, "buffer.robin"), LineIndex(edited), "utf-16",
                                  suppress=False)
        text, held = edited, now
    assert kept > 0


def _diag(line: int, version: int) -> dict[str, Any]:
    return {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 4}},
            "severity": 1, "code": "PAF101", "source": "pafix", "message": "m", "data": {"v": version, "id": "i"}}


def test_a_pull_of_the_same_lineage_is_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    first, reported = answer(None, None, [_diag(1, 1)], lambda: "r1", 7)
    assert first["kind"] == "full" and reported == Reported("r1", [_diag(1, 1)], 7)

    def no_compare(*args: Any) -> bool:
        raise AssertionError("compared")

    monkeypatch.setattr(pull, "same_diagnostics", no_compare)
    same, kept = answer(reported, "r1", [_diag(1, 2)], lambda: "r2", 7)
    assert same == {"kind": "unchanged", "resultId": "r1"} and kept is reported
    # a client holding another result gets the whole list, lineage or not
    other, _ = answer(reported, "r0", [_diag(1, 2)], lambda: "r2", 7)
    assert other["kind"] == "full"


def test_another_lineage_is_compared() -> None:
    _, reported = answer(None, None, [_diag(1, 1)], lambda: "r1", 7)
    same, _ = answer(reported, "r1", [_diag(1, 2)], lambda: "r2", 8)  # typed, then taken back
    assert same["kind"] == "unchanged"
    changed, now = answer(reported, "r1", [_diag(2, 2)], lambda: "r2", 8)
    assert changed["kind"] == "full" and now.lineage == 8


def test_the_server_keeps_the_lineage_with_its_check(tmp_path: Path) -> None:
    from pafix.config import DEFAULT
    from pafix.lsp.server import create_server

    ls = create_server()
    uri = (tmp_path / "flow.robin").as_uri()
    doc = ls.open_document(t.TextDocumentItem(uri, "robin", 1, SMTP))
    first = ls._compute(uri, doc.text, doc.index, 1, doc.display_path, DEFAULT, "utf-16", memo=doc.memo)
    assert first.result.checked is not None
    typed = _typed(SMTP, "Statement: $'''SELECT")
    again = ls._compute(uri, typed, LineIndex(typed), 2, doc.display_path, DEFAULT, "utf-16",
                        first.result.checked.flow, first.result.checked, doc.memo)
    assert first.lineage is not None and again.lineage == first.lineage
