"""Diagnostics as JSON text, kept from one check to the next.

``json.dumps`` of the 1,629 diagnostics of the 20,001-line flow of ``bench/lsp_latency.py``
(1.27 MB) took ~24 ms on every publish (and every pull answered in full), though a keystroke
changes a few of them at most and every other one differs from its last text only in
``data.v``, the version it was made for. So each diagnostic's text is kept cut around that
number (:data:`Cut`), made once when the diagnostic is made (:mod:`pafix.lsp.convert`'s memo
hands a reused diagnostic's cut on), and a list's text is its cuts joined around the
version: the same bytes as ``json.dumps`` of the list.
"""

from __future__ import annotations

import json
from typing import Any

#: a diagnostic's JSON text before its ``data.v`` number and after it
Cut = tuple[str, str]

#: where ``data.v`` is written: every key and string in a diagnostic's JSON has its quotes
#: escaped inside, so these characters occur there once, at the top level ``data`` key,
#: whose first key is ``v`` (see ``convert.finding_diagnostic``)
_AT = '"data": {"v": '


def cut(diag: dict[str, Any]) -> Cut | None:
    """``diag``'s JSON text cut around its ``data.v`` (None: it has no ``data.v`` first)."""
    data = diag.get("data")
    if not isinstance(data, dict) or next(iter(data), None) != "v":
        return None
    text = json.dumps(diag)
    marker = _AT + json.dumps(data["v"])
    at = text.find(marker)
    if at < 0:  # pragma: no cover - json.dumps writes the marker (see _AT)
        return None
    return text[: at + len(_AT)], text[at + len(marker) :]


class Diagnostics(list[dict[str, Any]]):
    """A check's diagnostics (JSON values) with their JSON text, cut around the version
    ``version`` each was made for, when the check kept it (``cuts``)."""

    cuts: list[Cut] | None = None
    version: int | None = None

    @classmethod
    def of(cls, diagnostics: list[dict[str, Any]], cuts: list[Cut] | None, version: int | None) -> Diagnostics:
        made = cls(diagnostics)
        if cuts is not None and len(cuts) == len(made):
            made.cuts, made.version = cuts, version
        return made


def text_of(diagnostics: list[dict[str, Any]], version: int | None) -> str | None:
    """The JSON text of ``diagnostics`` (made for ``version``) if they keep it, else None."""
    if isinstance(diagnostics, Diagnostics) and diagnostics.cuts is not None and diagnostics.version == version:
        return render(diagnostics.cuts, version)
    return None


def render(cuts: list[Cut], version: int | None) -> str:
    """The JSON text of the list of diagnostics ``cuts`` stands for, each with ``data.v``
    ``version``."""
    number = json.dumps(version)
    return "[" + ", ".join(head + number + tail for head, tail in cuts) + "]"


def publish_message(uri: str, diagnostics: str, version: int | None) -> str:
    """``textDocument/publishDiagnostics`` of the JSON text ``diagnostics``, as the text
    ``json.dumps`` makes of the message (the server's ``publish``)."""
    tail = "" if version is None else ', "version": ' + json.dumps(version)
    return ('{"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": {"uri": '
            + json.dumps(uri) + ', "diagnostics": ' + diagnostics + tail + "}}")


def response_message(msg_id: Any, result: dict[str, Any], key: str, items: str) -> str:
    """A JSON-RPC response whose ``result`` is ``result`` with its last key ``key`` holding the
    JSON text ``items``."""
    if list(result)[-1:] != [key]:
        raise ValueError(f"{key!r} is not the result's last key")
    head = json.dumps({k: v for k, v in result.items() if k != key})
    if head == "{}":  # a result of the list alone
        return '{"jsonrpc": "2.0", "id": ' + json.dumps(msg_id) + ', "result": {' + json.dumps(key) + ": " + items + "}}"
    return ('{"jsonrpc": "2.0", "id": ' + json.dumps(msg_id) + ', "result": ' + head[:-1] + ", "
            + json.dumps(key) + ": " + items + "}}")


__all__ = ["Cut", "Diagnostics", "cut", "publish_message", "render", "response_message", "text_of"]
