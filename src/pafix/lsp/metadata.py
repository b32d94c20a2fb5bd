"""The solution-metadata rules (PAF4xx) on an open role, table or customizations file.

A document is one of these when its path has the layout of an unpacked solution whose folder
holds a ``customizations.xml`` (at its root or in ``Other/``):

* ``<solution>/Roles/<name>.xml`` (a security role),
* ``<solution>/Entities/<table>/Entity.xml`` (a table definition),
* ``<solution>/Other/Customizations.xml`` or ``<solution>/customizations.xml``.

The document is read from the editor's buffer (unsaved edits count), the other role and table
files of the solution from disk (each parsed once per change of its size or time stamp), and
the rules run on the whole :class:`~pafix.access.roles.SolutionMetadata`, as ``pafix scan``
runs them; the diagnostics are the findings in this document, at the line and column of the
``<RolePrivilege>`` / ``<IsAuditEnabled>`` element the CLI reports (the range covers its start
tag). A buffer that is not well-formed XML, holds a DTD or is too big gets one ``parse-error``
diagnostic. Nothing here knows pygls; the diagnostics are LSP JSON like
:func:`pafix.lsp.convert.diagnostics` makes.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as t

from pafix.access.roles import Role, SolutionMetadata, TableAudit
from pafix.config import Config
from pafix.findings import Finding
from pafix.lsp.convert import PARSE_ERROR_CODE, SEVERITY, SOURCE, _line_col_offset, range_json, rule_href
from pafix.lsp.positions import LineIndex
from pafix.solutions.folder import _folder_parts, _inside
from pafix.solutions.guards import _read_file_limited
from pafix.solutions.metadata import MetadataError, _folder_files, _limits, scan_xml
from pafix.solutions.metadata_check import check_metadata
from pafix.solutions.model import SolutionError

log = logging.getLogger("pafix.lsp")

#: how far past ``<`` a start tag may run before its range stops at the element name
MAX_TAG = 4096


@dataclass(frozen=True, slots=True)
class SolutionFile:
    """An open document that is part of an unpacked solution's metadata."""

    path: Path
    root: Path  #: the solution folder


def _named(path: Path, name: str) -> bool:
    return path.name.casefold() == name.casefold()


def _has_customizations(root: Path) -> bool:
    try:
        return _folder_parts(root)[1] is not None
    except OSError:
        return False


def solution_file(path: str | Path | None) -> SolutionFile | None:
    """The solution ``path`` is a role, table or customizations file of, if it is one."""
    if path is None:
        return None
    p = Path(path)
    if p.suffix.casefold() != ".xml":
        return None
    if _named(p.parent, "Roles"):
        root = p.parent.parent
    elif _named(p, "Entity.xml") and _named(p.parent.parent, "Entities"):
        root = p.parent.parent.parent
    elif _named(p, "customizations.xml"):
        root = p.parent.parent if _named(p.parent, "Other") else p.parent
    else:
        return None
    if not _named(p, "customizations.xml") and not _has_customizations(root):
        return None  # a folder named Roles elsewhere, not a solution
    return SolutionFile(p, root)


@dataclass(frozen=True, slots=True)
class MetadataLint:
    """The findings of the metadata rules in one document, or why its buffer cannot be read."""

    findings: tuple[Finding, ...] = ()
    error: MetadataError | None = None


@functools.lru_cache(maxsize=512)
def _scan_disk(real: str, shown: str, mtime_ns: int, size: int) -> tuple[tuple[Role, ...], tuple[TableAudit, ...]]:
    """One file of the solution, parsed (cached by its size and time stamp)."""
    roles, tables = scan_xml(_read_file_limited(real, shown, _limits()), shown)
    return tuple(roles), tuple(tables)


def _others(sf: SolutionFile) -> tuple[list[Role], list[TableAudit]]:
    """The roles and tables of the solution's files on disk, except the open document's.
    A file that cannot be read is left out: it is that file's problem, not this document's."""
    roles: list[Role] = []
    tables: list[TableAudit] = []
    real_root = os.path.realpath(sf.root)
    mine = os.path.realpath(sf.path)
    try:
        files = _folder_files(sf.root)
    except OSError:
        files = []
    for f in files[: _limits().max_members]:
        shown = str(f)
        try:
            real = _inside(real_root, f, shown)
            if real == mine:
                continue
            st = os.stat(real)
            found_roles, found_tables = _scan_disk(real, shown, st.st_mtime_ns, st.st_size)
        except (SolutionError, OSError) as exc:
            log.info("pafix: %s is left out of the solution's metadata (%s)", shown, type(exc).__name__)
            continue
        roles.extend(found_roles)
        tables.extend(found_tables)
    return roles, tables


def lint_metadata(sf: SolutionFile, text: str, config: Config) -> MetadataLint:
    """The metadata rules' findings in the document ``sf`` whose current text is ``text``."""
    shown = str(sf.path)
    limits = _limits()
    if len(text) > limits.max_member_size:
        return MetadataLint(error=MetadataError(f"file is larger than the limit of {limits.max_member_size}"))
    try:
        roles, tables = scan_xml(text, shown)
    except MetadataError as exc:
        return MetadataLint(error=exc)
    except (UnicodeError, ValueError):  # a lone surrogate in the buffer: not XML text
        return MetadataLint(error=MetadataError("malformed XML (not Unicode text)"))
    other_roles, other_tables = _others(sf)
    meta = SolutionMetadata(str(sf.root), tuple(roles + other_roles), tuple(tables + other_tables))
    found = [r for r in check_metadata(meta, config) if r.path == shown and r.flow is None]
    return MetadataLint(tuple(f for r in found for f in r.findings))


def _tag_end(text: str, start: int) -> int:
    """The offset just past the start tag that begins at ``start`` (quotes respected), or the
    element name's end when the tag does not close nearby."""
    if not text.startswith("<", start):
        return start
    quote = ""
    name_end = start + 1
    while name_end < len(text) and not text[name_end].isspace() and text[name_end] not in "/>":
        name_end += 1
    for i in range(start + 1, min(len(text), start + MAX_TAG)):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == ">":
            return i + 1
    return name_end


def _at(index: LineIndex, line: int, column: int) -> int:
    return _line_col_offset(index, line, column) if line > 0 else 0


def diagnostics(result: MetadataLint, index: LineIndex, version: int | None, encoding: str) -> list[dict[str, Any]]:
    """The document's findings (or its one parse error) as LSP ``Diagnostic`` JSON."""
    if result.error is not None:
        at = _at(index, result.error.line, result.error.column)
        return [{
            "range": range_json(index, at, at, encoding),
            "severity": int(t.DiagnosticSeverity.Error),
            "code": PARSE_ERROR_CODE,
            "source": SOURCE,
            "message": f"cannot read the solution metadata: {result.error}",
            "data": {"v": version},
        }]
    out: list[dict[str, Any]] = []
    for f in result.findings:
        start = _at(index, f.line, f.column)
        out.append({
            "range": range_json(index, start, _tag_end(index.text, start), encoding),
            "severity": int(SEVERITY.get(f.severity, t.DiagnosticSeverity.Warning)),
            "code": f.rule,
            "codeDescription": {"href": rule_href(f.rule)},
            "source": SOURCE,
            "message": f.message,
            "data": {"v": version, "id": f.fingerprint, "confidence": f.confidence, "kind": f.kind},
        })
    return out


def metadata_diagnostics(path: str | None, text: str, index: LineIndex, version: int | None, config: Config,
                         encoding: str) -> list[dict[str, Any]] | None:
    """The PAF4xx diagnostics of a solution metadata document; None when ``path`` is not XML
    (a Robin flow). Other XML (a ``Roles`` folder outside a solution) gets none: it is not Robin."""
    if path is None or not path.casefold().endswith(".xml"):
        return None
    sf = solution_file(path)
    if sf is None:
        return []
    return diagnostics(lint_metadata(sf, text, config), index, version, encoding)


__all__ = ["MetadataLint", "SolutionFile", "diagnostics", "lint_metadata", "metadata_diagnostics", "solution_file"]
