"""The server frees the check a newer one replaced only after it has sent the newer
diagnostics: freeing a big flow's last check (its analysis, its moved nodes) took
milliseconds between the end of a check and its diagnostics (bench/lsp_latency.py)."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from pafix.lsp.documents import Document
from pafix.lsp.server import PafixServer, create_server

ROOT = Path(__file__).resolve().parents[1]


TEXT = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")


def _open(ls: PafixServer, tmp_path: Path) -> tuple[str, Document]:
    uri = (tmp_path / "flow.robin").as_uri()
    return uri, ls.open_document(t.TextDocumentItem(uri, "robin", 1, TEXT))


def _watch_first_check(doc: Document) -> Any:
    """A weak reference to the analysis of the document's first check (the document holds
    the only strong one)."""
    first = doc.checked
    assert first is not None and doc.retired is None
    previous = weakref.ref(first.analysis)
    del first
    return previous


def _type_a_line(ls: PafixServer, uri: str) -> None:
    ls.change_document(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [t.TextDocumentContentChangeWholeDocument(TEXT + "# typed\n")]))


@pytest.mark.asyncio
async def test_the_replaced_check_is_freed_after_the_new_diagnostics_are_sent(tmp_path: Path) -> None:
    ls = create_server()
    uri, doc = _open(ls, tmp_path)
    sent: list[tuple[int | None, bool]] = []

    def publish(uri: str, diagnostics: list[dict[str, Any]], version: int | None) -> None:
        # the previous check is still alive while the new diagnostics go out
        sent.append((version, previous is not None and previous() is not None))

    ls.publish = publish  # type: ignore[method-assign]
    previous = None
    await ls.lint_and_publish(uri, 0)
    previous = _watch_first_check(doc)
    _type_a_line(ls, uri)
    await ls.lint_and_publish(uri, 0)
    await asyncio.sleep(0)
    assert sent == [(1, False), (2, True)]
    assert doc.retired is None  # dropped once sent
    # the worker thread may still hold the arguments of its last check for a moment (until
    # its work item is dropped): once it is done, nothing holds the replaced check any more
    ls.executor.shutdown(wait=True)
    assert previous() is None


@pytest.mark.asyncio
async def test_a_pulling_client_gets_its_answer_before_the_replaced_check_is_freed(tmp_path: Path) -> None:
    ls = create_server()
    ls.pull_diagnostics = True  # as if the client had declared textDocument.diagnostic
    uri, doc = _open(ls, tmp_path)
    sent: list[tuple[str, bool]] = []
    previous: Any = None

    def send_data(message: dict[str, Any]) -> None:
        assert "method" not in message  # nothing is published to a client that pulls
        sent.append((message["result"]["kind"], previous is not None and previous() is not None))

    ls.protocol._send_data = send_data  # type: ignore[method-assign]
    ls.schedule(doc, 0)
    answer = await ls.pull_report(uri, None)
    ls.protocol._send_response(1, answer)
    previous = _watch_first_check(doc)
    _type_a_line(ls, uri)
    ls.schedule(doc, 0)
    again = await ls.pull_report(uri, answer["resultId"])
    kept = doc.retired is not None and previous() is not None  # (no temporaries in an assert)
    assert kept  # until the answer is sent
    ls.protocol._send_response(2, again)
    assert sent == [("full", False), ("unchanged", True)]
    assert doc.retired is None  # dropped once sent
    ls.executor.shutdown(wait=True)  # (see above)
    assert previous() is None
