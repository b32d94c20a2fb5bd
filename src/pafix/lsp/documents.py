"""What the language server keeps per open buffer: its text and version, and its latest check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pafix.core import Checked
from pafix.lsp.convert import DiagnosticMemo
from pafix.lsp.lint import LintResult
from pafix.lsp.positions import LineIndex
from pafix.lsp.pull import Reported
from pafix.syntax import nodes as n


@dataclass(slots=True)
class Linted:
    version: int | None
    result: LintResult
    index: LineIndex
    #: LSP ``Diagnostic`` values as JSON, ready to send (with their JSON text when the check
    #: kept it: a :class:`pafix.lsp.wire.Diagnostics`)
    diagnostics: list[dict[str, Any]]
    #: lists of one lineage are equal but for each diagnostic's ``data.v`` (see DiagnosticMemo)
    lineage: int | None = None


@dataclass(slots=True)
class Document:
    uri: str
    text: str
    version: int | None
    path: Path | None
    index: LineIndex
    linted: Linted | None = None
    #: the check of ``future_version`` in flight, shared by everyone who needs it
    future: asyncio.Future[Linted] | None = None
    future_version: int | None = None
    pending: asyncio.Task[None] | None = field(default=None, repr=False)
    #: the latest parse of any version: what the next check re-parses incrementally from
    flow: n.Flow | None = field(default=None, repr=False)
    #: the latest check of any version: what the next check's analysis reuses
    checked: Checked | None = field(default=None, repr=False)
    #: the diagnostics of the latest check, for the next one
    memo: DiagnosticMemo = field(default_factory=DiagnosticMemo, repr=False)
    #: what a newer check replaced (parse, check, diagnostics), dropped once the newer
    #: diagnostics are sent: freeing a 2,000-line flow's last check takes milliseconds
    retired: tuple[Any, ...] | None = field(default=None, repr=False)
    #: the last full result a pull got (clients that pull diagnostics)
    reported: Reported | None = field(default=None, repr=False)

    def release(self) -> None:
        """Drop what a newer check replaced (once its diagnostics are sent)."""
        self.retired = None

    @property
    def display_path(self) -> str:
        return str(self.path) if self.path is not None else self.uri


__all__ = ["Document", "Linted"]
