"""Pull diagnostics (LSP 3.17 ``textDocument/diagnostic``): what the answer to a pull is.

A client that can pull (VS Code's language client 8 and later, Neovim 0.10 and later, ...)
asks for a document's diagnostics after each change and names the result it holds
(``previousResultId``). Most keystrokes move no diagnostic: a character typed into a text, a
comment, a name on a line nothing is reported on. Then the new check's diagnostics are the
ones the client holds, and the answer is ``unchanged`` with that result's id: a few dozen
bytes where a publish sends every diagnostic again (122 KB for the 172 diagnostics of the
2,001-line flow of ``bench/lsp_latency.py``), which the server serialises and writes and the
client decodes and draws again.

"The same" ignores each diagnostic's ``data.v``, the version it was made for: a code action
on a diagnostic of an older version finds the same finding of the current check by its id
(``data.id``, see the server's ``code_action``), so an older version's diagnostics that are
otherwise equal serve the current text as well. The server pulls from a client that
declares ``textDocument.diagnostic`` and ``workspace.diagnostics.refreshSupport`` (without
the latter, a change of configuration could not make it pull again: some clients announce
the one without the other); every other client keeps getting ``publishDiagnostics``, and
the server never does both for one client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class RawResult(dict[str, Any]):
    """A request's result that is JSON already. The server's protocol sends it as it is (pygls
    would take it through its typed converter, which costs more than the check of a small
    flow for hundreds of diagnostics) and then calls ``after``, if set. ``items_json``, if set,
    is the JSON text of ``items`` (see lsp/wire.py), sent instead of serialising them again."""

    after: Callable[[], None] | None = None
    items_json: str | None = None


@dataclass(frozen=True, slots=True)
class Reported:
    """The last full result a pull got for one document: its id and its diagnostics."""

    result_id: str
    diagnostics: list[dict[str, Any]]
    #: their lineage (:class:`pafix.lsp.convert.DiagnosticMemo`), if they have one
    lineage: int | None = None


def _same_data(a: Any, b: Any) -> bool:
    if not isinstance(a, dict) or not isinstance(b, dict):
        return bool(a == b)
    return a.keys() == b.keys() and all(a[k] == b[k] for k in a if k != "v")


def same_diagnostic(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether the diagnostic ``b`` is ``a`` but for ``data.v``."""
    if a is b:
        return True
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        if not (_same_data(value, b[key]) if key == "data" else value == b[key]):
            return False
    return True


def same_diagnostics(held: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """Whether ``new`` are the diagnostics ``held``, in the same order, but for ``data.v``."""
    return len(held) == len(new) and all(same_diagnostic(a, b) for a, b in zip(held, new))


def answer(reported: Reported | None, previous_id: str | None, diagnostics: list[dict[str, Any]],
           new_id: Callable[[], str], lineage: int | None = None) -> tuple[RawResult, Reported]:
    """The report for a pull naming ``previous_id``, and what to remember as reported.

    ``unchanged`` only when the client holds the last result this server gave for the
    document and the new diagnostics are those; anything else (a first pull, an id the server
    no longer knows, other diagnostics) gets the full list under a new id. ``lineage``, the
    new diagnostics' (see :class:`pafix.lsp.convert.DiagnosticMemo`): when it is the reported
    ones', they are those but for ``data.v`` and are not compared again."""
    if reported is not None and previous_id == reported.result_id and (
            lineage is not None and lineage == reported.lineage or same_diagnostics(reported.diagnostics, diagnostics)):
        return RawResult(kind="unchanged", resultId=reported.result_id), reported
    result_id = new_id()
    return (RawResult(kind="full", resultId=result_id, items=diagnostics),
            Reported(result_id, diagnostics, lineage))


__all__ = ["RawResult", "Reported", "answer", "same_diagnostic", "same_diagnostics"]
