"""Security roles and table audit settings of a solution export (issue 17).

Where they are:

* packed ``.zip``: ``<Roles>`` and ``<Entities>`` of ``customizations.xml``;
* unpacked folder: ``Roles/*.xml`` (one ``<Role>`` each) and ``Entities/*/Entity.xml`` (one
  ``<Entity>`` each), plus whatever ``customizations.xml`` / ``Other/Customizations.xml`` holds
  inline;
* a bare ``customizations.xml``.

A role is ``<Role id=… name=…><RolePrivileges><RolePrivilege name="prvReadWorkflow"
level="Global"/>…``; a table's audit flag is the ``<IsAuditEnabled>`` child of
``<EntityInfo><entity Name=…>`` (``1`` on, ``0`` off; absent means the definition does not
say, which is not "off"). The ``<IsAuditEnabled>`` of each ``<attribute>`` is a column's
flag and is not read.

The XML is read with the standard library's expat parser (a conformant parser, which gives
the line of each element); a document with a DTD (``<!DOCTYPE``) or an entity declaration
is refused, as the flow reader refuses it. Zip members and files are read with the same size,
ratio and path guards as the flows.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from pafix.access.privileges import parse_depth
from pafix.access.roles import Role, RolePrivilege, SolutionMetadata, TableAudit, Where

# The guards of the flow reader: the same limits apply to roles and table metadata.
from pafix.solutions.archive import _find_info
from pafix.solutions.folder import _child_ci, _folder_parts, _inside
from pafix.solutions.guards import _check_zip_infos, _read_file_limited, _read_zip_member
from pafix.solutions.model import (
    MAX_COMPRESSION_RATIO,
    MAX_MEMBER_SIZE,
    MAX_MEMBERS,
    RATIO_MIN_SIZE,
    SolutionError,
    _Limits,
)

CUSTOMIZATIONS = "customizations.xml"


class MetadataError(SolutionError):
    """A role or table file that cannot be read (malformed XML, a DTD, too big); ``line`` and
    ``column`` (1-based, 0 when unknown) say where the XML went wrong."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class _Scan:
    """What one expat pass over a document collects."""

    file: str
    member: str | None
    roles: list[Role] = field(default_factory=list)
    tables: list[TableAudit] = field(default_factory=list)


def _refuse(*_args: object) -> None:
    raise MetadataError("XML contains a <!DOCTYPE>/<!ENTITY> declaration; refusing to read it (entity-expansion risk)")


def scan_xml(data: bytes | str, file: str, member: str | None = None) -> tuple[list[Role], list[TableAudit]]:
    """The roles and table audit flags in one XML document (a role file, an ``Entity.xml`` or a
    ``customizations.xml``), each with its line. ``data`` may be text already decoded (an
    editor's buffer: its XML declaration's encoding is then ignored). Raises
    :class:`MetadataError`."""
    out = _Scan(file, member)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    stack: list[str] = []
    role: dict[str, object] | None = None
    privileges: list[RolePrivilege] = []
    entity: dict[str, object] | None = None
    text: list[str] = []

    def where() -> Where:
        return Where(file, member, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal role, entity
        parent = stack[-1] if stack else None
        stack.append(name)
        text.clear()
        if name == "Role":
            role = {"name": attrs.get("name", ""), "id": attrs.get("id"), "where": where()}
            privileges.clear()
        elif name == "RolePrivilege" and role is not None:
            level = attrs.get("level", "")
            privileges.append(RolePrivilege(attrs.get("name", ""), level, parse_depth(level), where()))
        elif name == "entity" and parent == "EntityInfo":
            entity = {"name": attrs.get("Name", ""), "where": where(), "audit": None}
        elif name == "IsAuditEnabled" and parent == "entity" and entity is not None:
            entity["audit_where"] = where()

    def end(name: str) -> None:
        nonlocal role, entity
        stack.pop()
        if name == "Role" and role is not None:
            out.roles.append(Role(str(role["name"]), role["id"] if isinstance(role["id"], str) else None,
                                  _as_where(role["where"]), tuple(privileges)))
            role = None
        elif name == "IsAuditEnabled" and entity is not None and stack and stack[-1] == "entity":
            value = "".join(text).strip()
            entity["audit"] = True if value in ("1", "true") else False if value in ("0", "false") else None
        elif name == "entity" and entity is not None:
            at = entity.get("audit_where", entity["where"])
            audit = entity["audit"]
            out.tables.append(TableAudit(str(entity["name"]), audit if isinstance(audit, bool) else None, _as_where(at)))
            entity = None
        text.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise MetadataError(f"malformed XML ({expat.ErrorString(exc.code)} at line {exc.lineno})",
                            exc.lineno, exc.offset + 1) from None
    return out.roles, out.tables


def _as_where(value: object) -> Where:
    assert isinstance(value, Where)
    return value


def _limits() -> _Limits:
    return _Limits(MAX_MEMBERS, MAX_MEMBER_SIZE, MAX_COMPRESSION_RATIO, RATIO_MIN_SIZE)


def _scan(data: bytes, file: str, member: str | None, display: str) -> tuple[list[Role], list[TableAudit]]:
    try:
        return scan_xml(data, file, member)
    except MetadataError as exc:
        raise MetadataError(f"{display}: {exc}") from None


def _load_zip(path: str) -> SolutionMetadata:
    limits = _limits()
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _check_zip_infos(zf, path, limits)
            info = _find_info(infos, CUSTOMIZATIONS)
            if info is None:
                raise MetadataError(f"{path}: no customizations.xml at the root of the zip")
            data = _read_zip_member(zf, info, path, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
        raise MetadataError(f"{path}: not a valid zip archive ({exc})") from None
    except OSError as exc:
        raise MetadataError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    roles, tables = _scan(data, path, info.filename, f"{path}!{info.filename}")
    return SolutionMetadata(path, tuple(roles), tuple(tables))


def _folder_files(root: Path) -> list[Path]:
    """The files of an unpacked solution that may hold roles or table definitions, in order."""
    files: list[Path] = []
    cust = _folder_parts(root)[1]
    if cust is not None:
        files.append(cust)
    roles = _child_ci(root, "Roles")
    if roles is not None and roles.is_dir():
        files.extend(sorted(p for p in roles.iterdir() if p.suffix.lower() == ".xml" and p.is_file()))
    entities = _child_ci(root, "Entities")
    if entities is not None and entities.is_dir():
        for folder in sorted(p for p in entities.iterdir() if p.is_dir()):
            found = _child_ci(folder, "Entity.xml")
            if found is not None and found.is_file():
                files.append(found)
    return files


def _load_folder(path: str) -> SolutionMetadata:
    limits = _limits()
    root = Path(path)
    real_root = os.path.realpath(root)
    files = _folder_files(root)
    if len(files) > limits.max_members:
        raise MetadataError(f"{path}: too many files ({len(files)}, the limit is {limits.max_members})")
    roles: list[Role] = []
    tables: list[TableAudit] = []
    for f in files:
        shown = str(f)
        data = _read_file_limited(_inside(real_root, f, shown), shown, limits)
        found_roles, found_tables = _scan(data, shown, None, shown)
        roles.extend(found_roles)
        tables.extend(found_tables)
    return SolutionMetadata(path, tuple(roles), tuple(tables))


def load_metadata(path: str | os.PathLike[str]) -> SolutionMetadata:
    """The roles and table audit flags of a solution export (zip, unpacked folder or bare
    ``customizations.xml``). Raises :class:`MetadataError` (a :class:`SolutionError`)."""
    p = os.fspath(path)
    if os.path.isdir(p):
        return _load_folder(p)
    name = os.path.basename(p).lower()
    if name.endswith(".json.data.xml"):
        return SolutionMetadata(p)  # one workflow: no roles, no tables
    if name.endswith(".zip") or zipfile.is_zipfile(p):
        return _load_zip(p)
    try:
        data = _read_file_limited(os.path.realpath(p), p, _limits())
    except OSError as exc:
        raise MetadataError(f"{p}: cannot read ({exc.strerror or type(exc).__name__})") from None
    roles, tables = _scan(data, p, None, p)
    return SolutionMetadata(p, tuple(roles), tuple(tables))
