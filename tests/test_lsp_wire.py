"""Diagnostics sent as the JSON text their check kept (:mod:`pafix.lsp.wire`): the same bytes
as ``json.dumps`` of the message, and a keystroke serialises only the diagnostics it changed."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from pafix.config import DEFAULT
from pafix.lsp import convert
from pafix.lsp.convert import DiagnosticMemo
from pafix.lsp.positions import LineIndex
from pafix.lsp.pull import RawResult
from pafix.lsp.server import PafixServer, create_server
from pafix.lsp.wire import Diagnostics, cut, render, response_message, text_of
from tests.test_lsp_lineage import FLOWS, SMTP, _convert, _typed
from tests.test_lsp_reuse import _edit


class Pipe:
    """A writer that keeps what the server writes."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.parent.name + "/" + p.name)
def test_the_kept_text_is_what_json_dumps_writes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rng = random.Random(path.name)
    memo = DiagnosticMemo()
    last, _ = _convert(memo, text, 1)
    for version in range(2, 30):
        edited = _edit(text, rng) if version % 4 < 2 else text
        last, now = _convert(memo, edited, version, last)
        assert memo.wire is not None
        assert render(memo.wire, version) == json.dumps(now)
        text = edited


def test_a_keystroke_that_moves_no_diagnostic_serialises_none(monkeypatch: pytest.MonkeyPatch) -> None:
    memo = DiagnosticMemo()
    first, _ = _convert(memo, SMTP, 1)
    made: list[Any] = []
    monkeypatch.setattr(convert, "cut", lambda diag: made.append(diag) or cut(diag))
    typed = _typed(SMTP, "Statement: $'''SELECT")
    _, now = _convert(memo, typed, 2, first)
    assert now and made == []
    moved = _typed(typed, "Timeout: 30 Result=> QueryResult\n", "\n")  # moves the ranges below it
    _convert(memo, moved, 3, first)
    assert made


def _checked(ls: PafixServer, tmp_path: Path) -> tuple[str, Any]:
    uri = (tmp_path / "flow.robin").as_uri()
    doc = ls.open_document(t.TextDocumentItem(uri, "robin", 7, SMTP))
    return uri, ls._compute(uri, doc.text, LineIndex(SMTP), 7, doc.display_path, DEFAULT, "utf-16", memo=doc.memo)


def _sent(ls: PafixServer, send: Any) -> bytes:
    pipe = Pipe()
    ls.protocol.set_writer(pipe)
    send()
    return pipe.data


def test_a_publish_writes_the_kept_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ls = create_server()
    uri, linted = _checked(ls, tmp_path)
    assert isinstance(linted.diagnostics, Diagnostics) and text_of(linted.diagnostics, 7) is not None
    typed_way = _sent(ls, lambda: ls.publish(uri, list(linted.diagnostics), 7))  # json.dumps
    monkeypatch.setattr(ls.protocol, "_send_data", lambda data: pytest.fail("serialised again"))
    assert _sent(ls, lambda: ls.publish(uri, linted.diagnostics, 7)) == typed_way
    assert b'"diagnostics": [{"range"' in typed_way


def test_a_full_pull_answer_writes_the_kept_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ls = create_server()
    uri, linted = _checked(ls, tmp_path)
    ls.docs[uri].linted = linted
    ls.docs[uri].version = 7

    async def pull() -> RawResult:
        return await ls.pull_report(uri, None)

    report = asyncio.run(pull())
    assert report["kind"] == "full" and report.items_json is not None
    plain = RawResult(report)
    typed_way = _sent(ls, lambda: ls.protocol._send_response(3, plain))
    monkeypatch.setattr(ls.protocol, "_send_data", lambda data: pytest.fail("serialised again"))
    assert _sent(ls, lambda: ls.protocol._send_response(3, report)) == typed_way


def test_a_response_needs_the_list_last() -> None:
    assert response_message(1, {"kind": "full", "items": []}, "items", "[]") == json.dumps(
        {"jsonrpc": "2.0", "id": 1, "result": {"kind": "full", "items": []}})
    assert response_message("a", {"items": []}, "items", "[1]") == '{"jsonrpc": "2.0", "id": "a", "result": {"items": [1]}}'
    with pytest.raises(ValueError):
        response_message(1, {"items": [], "kind": "full"}, "items", "[]")


def test_a_list_without_its_text_or_of_another_version_is_serialised_as_before() -> None:
    diag = {"range": {}, "message": "m", "data": {"v": 1, "id": "x"}}
    kept = Diagnostics.of([diag], [cut(diag)], 1)  # type: ignore[list-item]
    assert text_of(kept, 1) == json.dumps([diag])
    assert text_of(kept, 2) is None and text_of([diag], 1) is None
    assert cut({"message": "no data"}) is None and cut({"data": {"id": "x", "v": 1}}) is None
    assert text_of(Diagnostics.of([diag], None, 1), 1) is None
