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

from pafix.lsp.server import create_server

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.asyncio
async def test_the_replaced_check_is_freed_after_the_new_diagnostics_are_sent(tmp_path: Path) -> None:
    ls = create_server()
    text = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    uri = (tmp_path / "flow.robin").as_uri()
    doc = ls.open_document(t.TextDocumentItem(uri, "robin", 1, text))
    sent: list[tuple[int | None, bool]] = []

    def publish(uri: str, diagnostics: list[dict[str, Any]], version: int | None) -> None:
        # the previous check is still alive while the new diagnostics go out
        sent.append((version, previous is not None and previous() is not None))

    ls.publish = publish  # type: ignore[method-assign]
    previous = None
    await ls.lint_and_publish(uri, 0)
    first = doc.checked
    assert first is not None and doc.retired is None
    previous = weakref.ref(first.analysis)
    del first
    ls.change_document(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [t.TextDocumentContentChangeWholeDocument(text + "# typed\n")]))
    await ls.lint_and_publish(uri, 0)
    await asyncio.sleep(0)
    assert sent == [(1, False), (2, True)]
    assert doc.retired is None and previous() is None  # freed once sent
    ls.executor.shutdown(wait=True)
