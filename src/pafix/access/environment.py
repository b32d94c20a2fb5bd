"""What ``pafix env`` learns from a Dataverse environment, as values, and the pure readers of
the Web API's JSON answers (documented shapes; fixtures/dataverse/SOURCES.md cites each page).

No I/O: :mod:`pafix.access.online` asks the questions, these functions read the answers, and
:mod:`pafix.access.env_check` turns the result into findings. Roles and table audit settings
reuse the offline model (:mod:`pafix.access.roles`), with ``Where.file`` a
``dataverse://HOST/…`` address and line 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pafix.access.privileges import parse_depth
from pafix.access.roles import Role, RolePrivilege, TableAudit, Where

Status = Literal["reachable", "gap", "unknown"]
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
FORMATTED = "@OData.Community.Display.V1.FormattedValue"


def is_guid(value: str | None) -> bool:
    return bool(value) and _GUID.match(value or "") is not None


def guid(value: str) -> str:
    """A GUID as the Web API writes it in keys: lower case, no braces."""
    return value.strip("{}").lower()


def address(host: str, record: str = "") -> str:
    """``dataverse://HOST/workflows(ID)``: where an online finding is (``record`` empty: the
    environment itself)."""
    return f"dataverse://{host}/{record}" if record else f"dataverse://{host}"


@dataclass(frozen=True, slots=True)
class OrgAudit:
    """The environment's audit settings (the single ``organization`` row)."""

    audit: bool | None  #: ``isauditenabled``
    user_access_audit: bool | None  #: ``isuseraccessauditenabled``
    retention_days: int | None  #: ``auditretentionperiodv2`` (-1: forever)
    where: Where


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  #: ``systemuser`` or ``team`` (anything else as the Web API names it)
    id: str
    name: str | None = None

    @property
    def entity_set(self) -> str | None:
        return {"systemuser": "systemusers", "team": "teams"}.get(self.kind)

    def shown(self) -> str:
        what = {"systemuser": "user", "team": "team"}.get(self.kind, self.kind)
        return f"{what} {self.name!r}" if self.name else f"{what} {self.id}"


@dataclass(frozen=True, slots=True)
class Share:
    principal: Principal
    rights: tuple[str, ...]  #: ``ReadAccess``, ``WriteAccess`` …


@dataclass(frozen=True, slots=True)
class ComponentAccess:
    """One component a shared flow references, and whether its sharees can read it."""

    kind: str  #: inventory kind
    name: str | None
    id: str | None
    table: str  #: logical name of the table its access is governed by
    target: str | None  #: the record checked (``workqueues(ID)``); None when it could not be found
    status: Status
    reason: str  #: why ``unknown``, or what was checked
    missing: tuple[Principal, ...] = ()  #: sharees without Read on ``target``

    def shown(self) -> str:
        label = repr(self.name) if self.name else (self.id or "?")
        return f"{self.kind} {label}"


@dataclass(frozen=True, slots=True)
class DesktopFlow:
    id: str
    name: str
    owner: Principal | None
    where: Where  #: ``dataverse://HOST/workflows(ID)``
    shares: tuple[Share, ...] = ()
    components: tuple[ComponentAccess, ...] = ()
    note: str | None = None  #: why components could not be listed (script unreadable …)


@dataclass(frozen=True, slots=True)
class EnvironmentState:
    host: str
    org: OrgAudit | None
    tables: tuple[TableAudit, ...]
    roles: tuple[Role, ...]
    flows: tuple[DesktopFlow, ...]
    notes: tuple[str, ...] = ()  #: what could not be read, one line each


# ---- readers of Web API answers -----------------------------------------------------------


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def read_organization(host: str, body: Mapping[str, Any]) -> OrgAudit | None:
    """``organizations?$select=organizationid,isauditenabled,…``: a collection of one row."""
    rows = body.get("value")
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        return None
    row = rows[0]
    ident = row.get("organizationid")
    retention = row.get("auditretentionperiodv2")
    record = f"organizations({ident})" if isinstance(ident, str) else "organizations"
    return OrgAudit(_bool(row.get("isauditenabled")), _bool(row.get("isuseraccessauditenabled")),
                    retention if isinstance(retention, int) and not isinstance(retention, bool) else None,
                    Where(address(host, record)))


def read_table_audit(host: str, logical: str, body: Mapping[str, Any]) -> TableAudit:
    """``EntityDefinitions(LogicalName='x')?$select=LogicalName,IsAuditEnabled``: the
    ``IsAuditEnabled`` BooleanManagedProperty (``{"Value": true, "CanBeChanged": …}``)."""
    prop = body.get("IsAuditEnabled")
    value = prop.get("Value") if isinstance(prop, dict) else prop
    name = body.get("LogicalName") if isinstance(body.get("LogicalName"), str) else logical
    return TableAudit(str(name), _bool(value), Where(address(host, f"EntityDefinitions(LogicalName='{logical}')")))


def read_privilege_names(rows: list[dict[str, Any]]) -> dict[str, str]:
    """``privileges?$select=privilegeid,name``: privilege id (lower case) -> name."""
    return {guid(r["privilegeid"]): r["name"] for r in rows
            if isinstance(r.get("privilegeid"), str) and isinstance(r.get("name"), str)}


def read_role(host: str, row: Mapping[str, Any], body: Mapping[str, Any], names: Mapping[str, str]) -> Role | None:
    """A ``roles`` row and its ``RetrieveRolePrivilegesRole`` answer (``RolePrivileges``:
    ``Depth``, ``PrivilegeId``, and ``PrivilegeName`` where the service gives it); only the
    privileges named in ``names`` (the automation tables') or carrying a name are kept."""
    ident, name = row.get("roleid"), row.get("name")
    if not isinstance(ident, str) or not isinstance(name, str):
        return None
    where = Where(address(host, f"roles({guid(ident)})"))
    privileges = []
    found = body.get("RolePrivileges")
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict):
            continue
        pid = item.get("PrivilegeId")
        pname = names.get(guid(pid)) if isinstance(pid, str) else None
        if pname is None and isinstance(item.get("PrivilegeName"), str):
            pname = item["PrivilegeName"]
        if pname is None:
            continue
        depth = item.get("Depth")
        level = str(depth) if isinstance(depth, (str, int)) else ""
        privileges.append(RolePrivilege(pname, level, parse_depth(level), where))
    return Role(name, guid(ident), where, tuple(privileges))


def _principal_kind(odata_type: object) -> str:
    text = odata_type if isinstance(odata_type, str) else ""
    return text.rsplit(".", 1)[-1].lstrip("#") or "principal"


def read_shares(body: Mapping[str, Any]) -> tuple[Share, ...]:
    """``RetrieveSharedPrincipalsAndAccess``: ``PrincipalAccesses`` of ``{AccessMask,
    Principal: {"@odata.type": "#Microsoft.Dynamics.CRM.systemuser", "ownerid": …}}``."""
    out = []
    found = body.get("PrincipalAccesses")
    for item in found if isinstance(found, list) else []:
        principal = item.get("Principal") if isinstance(item, dict) else None
        if not isinstance(principal, dict):
            continue
        kind = _principal_kind(principal.get("@odata.type"))
        ident = principal.get("ownerid") or principal.get(f"{kind}id")
        if not isinstance(ident, str):
            continue
        out.append(Share(Principal(kind, guid(ident)), rights_of(item.get("AccessMask"))))
    return tuple(out)


def rights_of(mask: object) -> tuple[str, ...]:
    """``"ReadAccess, WriteAccess"`` (the Web API writes a flags enum as names joined by
    commas) -> ``("ReadAccess", "WriteAccess")``."""
    if not isinstance(mask, str):
        return ()
    return tuple(part.strip() for part in mask.split(",") if part.strip())


def read_access_rights(body: Mapping[str, Any]) -> tuple[str, ...]:
    """``RetrievePrincipalAccess``: ``{"AccessRights": "ReadAccess, …"}``."""
    return rights_of(body.get("AccessRights"))


def read_owner(row: Mapping[str, Any]) -> Principal | None:
    """A row's ``_ownerid_value`` with its annotations (the owner's name, user or team)."""
    ident = row.get("_ownerid_value")
    if not isinstance(ident, str):
        return None
    kind = row.get("_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname")
    name = row.get("_ownerid_value" + FORMATTED)
    return Principal(kind if isinstance(kind, str) else "systemuser", guid(ident),
                     name if isinstance(name, str) else None)
