"""Security roles and table audit settings, as values: what a solution export (offline) or an
environment (online) says, with where it says it.

Pure, no I/O: :mod:`pafix.solutions.metadata` fills these from role and table XML; the online
client can fill them from the Web API (``file`` is then a URL and ``line`` 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from pafix.access.privileges import Depth, depth_rank, parse_privilege


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a file: ``member`` is the zip member (``customizations.xml``) when ``file``
    is a packed solution, else None. Lines and columns are 1-based; 0 when unknown."""

    file: str
    member: str | None = None
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True)
class RolePrivilege:
    name: str  #: as written, e.g. ``prvReadWorkflow``
    level: str  #: as written, e.g. ``Global``
    depth: Depth | None  #: None when ``level`` is not a known depth
    where: Where


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    id: str | None
    where: Where  #: the ``<Role>`` element
    privileges: tuple[RolePrivilege, ...]

    def grants(self, privilege: str) -> RolePrivilege | None:
        """The element granting ``privilege`` (name compared without case), at its deepest."""
        wanted = privilege.lower()
        found = [p for p in self.privileges if p.name.lower() == wanted]
        return max(found, key=lambda p: -1 if p.depth is None else depth_rank(p.depth), default=None)


@dataclass(frozen=True, slots=True)
class TableAudit:
    """A table definition shipped by a solution and its entity-level ``IsAuditEnabled``."""

    name: str  #: ``<entity Name=…>`` as written (``Workflow``, ``def_Config``)
    audit: bool | None  #: None: the definition does not state it (not "off")
    where: Where  #: the ``<IsAuditEnabled>`` element, else the ``<entity>`` element

    @property
    def logical(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class SolutionMetadata:
    """The roles and table definitions of one solution export."""

    path: str
    roles: tuple[Role, ...] = ()
    tables: tuple[TableAudit, ...] = ()


def automation_grants(role: Role) -> list[tuple[RolePrivilege, str, str]]:
    """(element, right, table logical name) for each privilege of ``role`` on an automation table."""
    out: list[tuple[RolePrivilege, str, str]] = []
    for p in role.privileges:
        parsed = parse_privilege(p.name)
        if parsed is not None:
            out.append((p, parsed[0], parsed[1].logical))
    return out
