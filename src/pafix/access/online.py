"""Reading a Dataverse environment for ``pafix env`` and ``pafix scan dataverse://HOST``.

Every question is a GET through :class:`~pafix.access.dataverse.DataverseClient` (read-only
tables, metadata and functions); the answers are read by :mod:`pafix.access.environment`.

**What is asked** (Web API v9.2; documented shapes, fixtures/dataverse/SOURCES.md):

1. ``organizations?$select=organizationid,isauditenabled,isuseraccessauditenabled,auditretentionperiodv2``
2. ``EntityDefinitions(LogicalName='T')?$select=LogicalName,IsAuditEnabled`` for each
   automation table (:data:`~pafix.access.privileges.AUTOMATION_TABLES`); a table the
   environment does not have (404) is noted, not an error.
3. ``privileges?$select=privilegeid,name&$filter=name eq 'prvReadWorkflow' or …`` (the
   automation tables' privileges), ``roles?$select=roleid,name&$filter=_parentroleid_value eq null``
   (one row per role: the copies a role gets in child business units have a parent role) and
   ``RetrieveRolePrivilegesRole(RoleId=ID)`` for each role: its privileges with their depth.
4. ``workflows?$filter=category eq 6`` (desktop flows) with owner, ``definition``,
   ``clientdata``, ``inputs``, ``outputs``, ``connectionreferences``.
5. For each flow, ``RetrieveSharedPrincipalsAndAccess(Target=@t)?@t={'@odata.id':'workflows(ID)'}``.
6. For each *shared* flow, the components its script references (the inventory), each looked
   up as a record where that can be done exactly — a child desktop flow by its id, a work queue
   by its id, a connection reference by its logical name — and, for each user or team it is
   shared with, ``systemusers(ID)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)``
   (or ``teams(ID)/…``): a sharee without ``ReadAccess`` on the record is an access gap.
   Credentials, custom actions and UI element collections are named in the script by a name
   pafix cannot map to one record for certain: they are listed as ``unknown``, with why.
   At most ``max_checks`` access questions are asked in all; the rest are ``unknown``.
"""

from __future__ import annotations

from typing import Any

from pafix.access.dataverse import DataverseClient, DataverseError
from pafix.access.environment import (
    ComponentAccess,
    DesktopFlow,
    EnvironmentState,
    Principal,
    Share,
    guid,
    is_guid,
    read_access_rights,
    read_organization,
    read_owner,
    read_privilege_names,
    read_role,
    read_shares,
    read_table_audit,
)
from pafix.access.flows import _json_column, desktop_flow_rows, flow_address, flow_script
from pafix.access.inventory import Component, _inventory, _parse
from pafix.access.privileges import AUTOMATION_TABLES, BROAD_RIGHTS, RUNNER_NEEDS, privilege_name
from pafix.access.roles import Role, TableAudit, Where

DEFAULT_MAX_CHECKS = 500
#: the component kinds whose record can be found exactly, and the entity set it is in
_ENTITY_SETS = {"desktop-flow": "workflows", "work-queue": "workqueues", "connection-reference": "connectionreferences"}


# ---- the environment ------------------------------------------------------------------------


def read_environment(client: DataverseClient, *, max_checks: int = DEFAULT_MAX_CHECKS) -> EnvironmentState:
    """Everything ``pafix env`` reports on; :class:`DataverseError` when a question that must
    be answered (the organisation, the flows) fails."""
    host = client.environment.host
    notes: list[str] = []
    org = read_organization(host, client.get("organizations", {
        "$select": "organizationid,isauditenabled,isuseraccessauditenabled,auditretentionperiodv2"}))
    if org is None:
        notes.append("the organization row could not be read: environment audit settings unknown")
    tables = _table_audits(client, notes)
    roles = _roles(client)
    flows = _flows(client, notes, max_checks)
    return EnvironmentState(host, org, tables, roles, flows, tuple(notes))


def _table_audits(client: DataverseClient, notes: list[str]) -> tuple[TableAudit, ...]:
    out = []
    for t in AUTOMATION_TABLES:
        try:
            body = client.get(f"EntityDefinitions(LogicalName='{t.logical}')", {"$select": "LogicalName,IsAuditEnabled"})
        except DataverseError as exc:
            if exc.status != 404:
                raise
            notes.append(f"table {t.display} ({t.logical}) does not exist in this environment")
            continue
        out.append(read_table_audit(client.environment.host, t.logical, body))
    return tuple(out)


def _roles(client: DataverseClient) -> tuple[Role, ...]:
    wanted = [privilege_name(t.logical, right) for t in AUTOMATION_TABLES for right in BROAD_RIGHTS]
    names = read_privilege_names(list(client.get_all("privileges", {
        "$select": "privilegeid,name", "$filter": " or ".join(f"name eq '{w}'" for w in wanted)})))
    out = []
    for row in client.get_all("roles", {"$select": "roleid,name", "$filter": "_parentroleid_value eq null"}):
        ident = row.get("roleid")
        if not isinstance(ident, str) or not is_guid(ident):
            continue
        body = client.get(f"RetrieveRolePrivilegesRole(RoleId={guid(ident)})")
        role = read_role(client.environment.host, row, body, names)
        if role is not None:
            out.append(role)
    return tuple(out)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit


def _flows(client: DataverseClient, notes: list[str], max_checks: int) -> tuple[DesktopFlow, ...]:
    host = client.environment.host
    rows = desktop_flow_rows(client)
    siblings = {guid(r["workflowid"]): r.get("name") or "" for r in rows if isinstance(r.get("workflowid"), str)}
    names: dict[tuple[str, str], str | None] = {}
    budget = _Budget(max_checks)
    out = []
    for row in rows:
        ident = row.get("workflowid")
        if not isinstance(ident, str) or not is_guid(ident):
            continue
        fid = guid(ident)
        where = Where(flow_address(host, fid))
        raw_name = row.get("name")
        name = raw_name if isinstance(raw_name, str) else fid
        owner = read_owner(row)
        body = client.get("RetrieveSharedPrincipalsAndAccess(Target=@t)", {"@t": f"{{'@odata.id':'workflows({fid})'}}"})
        shares = tuple(Share(_named(client, s.principal, names), s.rights) for s in read_shares(body)
                       if owner is None or s.principal.id != owner.id)
        flow = DesktopFlow(fid, name, owner, where, shares)
        if shares:
            flow = _with_components(client, flow, row, siblings, budget)
        out.append(flow)
    if budget.left < 0:
        notes.append(f"more than {max_checks} access checks were needed; the rest are listed as unknown")
    return tuple(out)


def _named(client: DataverseClient, p: Principal, cache: dict[tuple[str, str], str | None]) -> Principal:
    """``p`` with its display name (``fullname`` of a user, ``name`` of a team), when it can be read."""
    entity_set = p.entity_set
    if entity_set is None:
        return p
    key = (p.kind, p.id)
    if key not in cache:
        column = "fullname" if p.kind == "systemuser" else "name"
        try:
            value = client.get(f"{entity_set}({p.id})", {"$select": column}).get(column)
        except DataverseError as exc:
            if exc.status is None or exc.status < 400 or exc.status in (401, 429):
                raise
            value = None
        cache[key] = value if isinstance(value, str) else None
    return Principal(p.kind, p.id, cache[key])


def _with_components(client: DataverseClient, flow: DesktopFlow, row: dict[str, Any], siblings: dict[str, Any],
                     budget: _Budget) -> DesktopFlow:
    from dataclasses import replace

    script, _i, _o, error = flow_script(row, flow.where.file)
    if script is None:
        return replace(flow, note=f"components unknown: {error}")
    parsed = _parse(script, flow.where.file)
    done = _inventory(parsed, siblings, _json_column(row, "connectionreferences")) if not isinstance(parsed, str) else parsed
    if isinstance(done, str):
        return replace(flow, note=f"components unknown: the script does not parse ({done})")
    checks = [_check(client, comp, flow.shares, budget) for comp in done[0]]
    return replace(flow, components=tuple(checks))


def _target(client: DataverseClient, comp: Component) -> tuple[str | None, str]:
    """The record ``comp`` is (``workqueues(ID)``), or None and why it cannot be named."""
    entity_set = _ENTITY_SETS.get(comp.kind)
    if entity_set is None:
        return None, "the script names it, but not by an id pafix can look up"
    if comp.kind == "connection-reference":
        if not comp.name:
            return None, "no logical name in the flow's connection references"
        rows = list(client.get_all("connectionreferences", {
            "$select": "connectionreferenceid",
            "$filter": f"connectionreferencelogicalname eq '{comp.name.replace(chr(39), chr(39) * 2)}'"}))
        found = rows[0].get("connectionreferenceid") if len(rows) == 1 else None
        if not isinstance(found, str):
            return None, f"{len(rows)} connection references have this logical name"
        return f"{entity_set}({guid(found)})", "looked up by logical name"
    if not comp.id or not is_guid(comp.id):
        return None, "its id in the script is not a literal GUID"
    return f"{entity_set}({guid(comp.id)})", "by its id in the script"


def _check(client: DataverseClient, comp: Component, shares: tuple[Share, ...], budget: _Budget) -> ComponentAccess:
    table = RUNNER_NEEDS[comp.kind][0].table
    target, reason = _target(client, comp)
    if target is None:
        return ComponentAccess(comp.kind, comp.name, comp.id, table, None, "unknown", reason)
    missing = []
    unknown = []
    for share in shares:
        p = share.principal
        if p.entity_set is None:
            unknown.append(p)
            continue
        budget.left -= 1
        if budget.left < 0:
            unknown.append(p)
            continue
        try:
            body = client.get(f"{p.entity_set}({p.id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)",
                              {"@t": f"{{'@odata.id':'{target}'}}"})
        except DataverseError as exc:
            if exc.status != 404:
                raise
            return ComponentAccess(comp.kind, comp.name, comp.id, table, target, "unknown",
                                   "the record does not exist in this environment")
        if "ReadAccess" not in read_access_rights(body):
            missing.append(p)
    if missing:
        return ComponentAccess(comp.kind, comp.name, comp.id, table, target, "gap", reason, tuple(missing))
    if unknown:
        return ComponentAccess(comp.kind, comp.name, comp.id, table, target, "unknown",
                               "not every sharee could be checked (check limit, or not a user or team)")
    return ComponentAccess(comp.kind, comp.name, comp.id, table, target, "reachable", reason)
