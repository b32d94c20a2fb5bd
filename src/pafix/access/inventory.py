"""``pafix inventory``: per flow, the Dataverse components it references and its DLP groups.

An administrator who shares or moves a desktop flow must share what the flow reaches too.
For each component the inventory names the Dataverse table whose security governs access:

=========================  ===============================================================
kind                       found in the script
=========================  ===============================================================
``desktop-flow``           ``External.RunFlow FlowId: '<guid>'``; the name is the workflow
                           with that id in the same solution, else the ``@@flowname: '…'``
                           annotation before it. Table **Process** (``workflow``).
``work-queue``             a ``WorkQueues.*`` action's literal ``WorkQueue:``; the name is the
                           ``@@'InputSummaryValue:WORKQUEUE': '…'`` annotation before it.
                           Tables **Work Queue** / **Work Queue Item** (``workqueue``,
                           ``workqueueitem``).
``credential``             a ``PowerAutomateSecretVariables.*`` (Get credential) action's literal
                           ``Credential:`` (Robin text UNVERIFIED). Table **Credential**.
``ui-element-repository``  ``IMPORT 'controlRepo.appmask' AS appmask``: the flow's own UI
                           elements, stored as a ``ControlRepository`` row of **Desktop Flow
                           Binary** (``desktopflowbinary``), as in the real exports.
``ui-element-collection``  any other ``IMPORT '….appmask'``: a shared UI element collection,
                           table **Desktop Flow Module** (``desktopflowmodule``). How such an
                           import is written is UNVERIFIED (no public script has one).
``custom-action``          an action whose module is neither a standard Microsoft module
                           (``standardModules`` of ``data/dlp_modules.json``: the 2022 RPA CLI
                           catalogue, the DLP module list, Work queues) nor a module pafix's
                           action catalogue knows. A heuristic: a new Microsoft module that
                           neither list has yet shows up here too. Table **Desktop Flow Module**.
``connection-reference``   ``External.InvokeCloudConnector Connection: '<padInternalId>'``,
                           mapped through the solution's ``<ConnectionReferences>`` JSON
                           (``padInternalId`` → ``connectionReferenceLogicalName``, ``api.name``),
                           or in a clipboard copy through the ``ConnectionReferences`` of every
                           trailer (``InternalId`` → ``LogicalName``, ``ConnectorId``); else
                           the ``@@connectionDisplayName`` annotation names it. Table **Connection Reference** (``connectionreference``).
=========================  ===============================================================

``DISABLE``d statements are not counted. A UI element import gets ``used``: whether an enabled
statement refers to its alias. A connection reference gets ``connector``. Each component is
listed once per flow, at its first line; components are sorted by line, then kind and name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pafix.syntax import nodes as n
from pafix.analysis.action_sites import ActionSite, action_sites, literal_param, names_used
from pafix.analysis.model import normalize_flow_id
from pafix.analysis.catalogue import default_catalogue
from pafix.dlp.groups import module_map
from pafix.dlp.evaluate import groups_used
from pafix.errors import ParseError
from pafix.guard import NestingTooDeep, call_deep, public_message
from pafix.syntax.parser import parse
from pafix.syntax.trailers import connection_references as trailer_connection_references
from pafix.units import Unit

TABLES: dict[str, str] = {
    "desktop-flow": "Process",
    "work-queue": "Work Queue / Work Queue Item",
    "credential": "Credential",
    "ui-element-repository": "Desktop Flow Binary",
    "ui-element-collection": "Desktop Flow Module",
    "custom-action": "Desktop Flow Module",
    "connection-reference": "Connection Reference",
}
OWN_REPOSITORY = "controlrepo.appmask"
CSV_FIELDS = ("path", "flow", "kind", "name", "id", "table", "line", "used", "connector")


@dataclass(frozen=True, slots=True)
class Component:
    kind: str
    name: str | None
    id: str | None
    line: int
    used: bool | None = None  #: UI element imports only
    connector: str | None = None  #: connection references only

    @property
    def table(self) -> str:
        return TABLES[self.kind]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "id": self.id, "table": self.table,
                               "line": self.line}
        if self.used is not None:
            out["used"] = self.used
        if self.connector is not None:
            out["connector"] = self.connector
        return out


@dataclass(frozen=True, slots=True)
class FlowInventory:
    path: str
    flow: str | None  #: workflow name in a solution; None for a loose file
    components: tuple[Component, ...]
    dlp_groups: tuple[str, ...]
    workflow_id: str | None = None  #: normalized workflow id in a solution; None for a loose file


@dataclass(frozen=True, slots=True)
class InventoryError:
    path: str
    flow: str | None
    message: str


# ---- one flow -------------------------------------------------------------------------------


@cache
def _known_modules() -> frozenset[str]:
    """Modules pafix's action catalogue has entries for (lower case)."""
    return frozenset(p.split(".", 1)[0].lower() for p in default_catalogue().patterns)


def _connection_entries(refs: object) -> list[Mapping[str, Any]]:
    if isinstance(refs, dict):
        refs = list(refs.values())
    return [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []


def _connection(site: ActionSite, refs: Sequence[Mapping[str, Any]]) -> Component:
    mm = module_map()
    action = site.action
    pad_id = literal_param(action, mm.connection_arg)
    connector = literal_param(action, mm.connector_arg)
    name = site.annotation("connectionDisplayName")
    for ref in refs:
        if pad_id and str(ref.get("padInternalId", "")).lower() == pad_id.lower():
            logical = ref.get("connectionReferenceLogicalName")
            api = ref.get("api")
            name = logical if isinstance(logical, str) and logical else name
            if connector is None and isinstance(api, dict) and isinstance(api.get("name"), str):
                connector = api["name"]
            break
    return Component("connection-reference", name, pad_id, action.span.line, connector=connector)


def _from_site(site: ActionSite, siblings: Mapping[str, str], refs: Sequence[Mapping[str, Any]],
               known: frozenset[str]) -> Component | None:
    action = site.action
    lowered = action.name.lower()
    module = action.module.lower()
    line = action.span.line
    if lowered == "external.runflow":
        flow_id = literal_param(action, "FlowId")
        wid = normalize_flow_id(flow_id) if flow_id else None
        name = siblings.get(wid or "") or site.annotation("flowname")
        return Component("desktop-flow", name, wid, line)
    if lowered == module_map().connector_action.lower():
        return _connection(site, refs)
    if module == "workqueues" and action.param("WorkQueue") is not None:
        queue = literal_param(action, "WorkQueue")
        return Component("work-queue", site.annotation("InputSummaryValue:WORKQUEUE"), queue, line)
    if module == "powerautomatesecretvariables" and action.param("Credential") is not None:
        return Component("credential", literal_param(action, "Credential"), None, line)
    if not module_map().is_standard(action.module) and module not in known:
        return Component("custom-action", action.module, None, line)
    return None


def inventory_flow(
    flow: n.Flow,
    siblings: Mapping[str, str] | None = None,
    connection_references: object = None,
) -> tuple[tuple[Component, ...], tuple[str, ...]]:
    """The components of one parsed flow and the ids of the DLP groups it uses.

    ``siblings`` maps the (normalized) workflow ids of the other flows of the same solution
    to their names; ``connection_references`` is the flow's ``<ConnectionReferences>`` JSON.
    """
    siblings = siblings or {}
    refs = _connection_entries(connection_references)
    if not refs and flow.trailers:  # a clipboard copy: each subflow's trailer lists its own
        refs = trailer_connection_references(flow.source, tuple((t.span.start, t.span.end) for t in flow.trailers))
    known = _known_modules()
    found: dict[tuple[str, str], Component] = {}

    def add(comp: Component) -> None:
        ident = comp.id or comp.name or f"line {comp.line}"
        key = (comp.kind, ident.lower())
        if key not in found:
            found[key] = comp

    used_names: set[str] | None = None
    for stmt in flow.main:
        if isinstance(stmt, n.Import) and not stmt.disabled and stmt.path.lower().endswith(".appmask"):
            if used_names is None:
                used_names = names_used(flow)
            kind = "ui-element-repository" if stmt.path.lower() == OWN_REPOSITORY else "ui-element-collection"
            add(Component(kind, stmt.path, None, stmt.span.line, used=stmt.alias in used_names))
    for site in action_sites(flow):
        if site.disabled:
            continue
        comp = _from_site(site, siblings, refs, known)
        if comp is not None:
            add(comp)
    components = tuple(sorted(found.values(), key=lambda c: (c.line, c.kind, c.name or "", c.id or "")))
    return components, tuple(g.id for g in groups_used(flow))


# ---- paths ----------------------------------------------------------------------------------


def _parse(text: str, where: str) -> n.Flow | str:
    try:
        return parse(text, where)
    except ParseError as exc:
        return f"{exc.line}:{exc.column}: {public_message(exc.message)}"


def _inventory(flow: n.Flow, *args: Any) -> tuple[tuple[Component, ...], tuple[str, ...]] | str:
    """:func:`inventory_flow`, which recurses per level of nesting, with room for deep flows."""
    try:
        return call_deep(flow, inventory_flow, flow, *args)
    except NestingTooDeep as exc:
        return exc.message


def inventory_paths(found: Iterable[Path | tuple[Path, str]], read_file: Callable[[Path], Unit],
                    ) -> tuple[list[FlowInventory], list[InventoryError]]:
    """Inventories of every flow the front end ``found`` (files, solutions; a pair is a path
    that could not be listed and why), in the order ``pafix scan`` reads them, and what could not
    be read. ``read_file`` reads one loose flow file (the front end's path discovery)."""
    from pafix.solutions import SolutionError, is_solution_path, load_solution

    flows: list[FlowInventory] = []
    errors: list[InventoryError] = []
    for item in found:
        if isinstance(item, tuple):
            errors.append(InventoryError(str(item[0]), None, item[1]))
            continue
        if is_solution_path(item):
            try:
                solution = load_solution(item)
            except (SolutionError, OSError) as exc:
                errors.append(InventoryError(str(item), None, str(exc)))
                continue
            siblings = {f.workflow_id: f.name for f in solution.flows}
            for ef in solution.flows:
                parsed = _parse(ef.script, f"{item}!{ef.name}")
                if isinstance(parsed, str):
                    errors.append(InventoryError(str(item), ef.name, parsed))
                    continue
                done = _inventory(parsed, siblings, ef.connection_references)
                if isinstance(done, str):
                    errors.append(InventoryError(str(item), ef.name, done))
                    continue
                flows.append(FlowInventory(str(item), ef.name, *done, workflow_id=normalize_flow_id(ef.workflow_id)))
            continue
        unit = read_file(Path(item))
        if unit.text is None:
            errors.append(InventoryError(unit.path, None, unit.error or "cannot read"))
            continue
        parsed = _parse(unit.text, unit.path)
        if isinstance(parsed, str):
            errors.append(InventoryError(unit.path, None, parsed))
            continue
        done = _inventory(parsed)
        if isinstance(done, str):
            errors.append(InventoryError(unit.path, None, done))
            continue
        flows.append(FlowInventory(unit.path, None, *done))
    return flows, errors


# ---- output ---------------------------------------------------------------------------------


def to_json(flows: Iterable[FlowInventory]) -> str:
    data = {
        "version": 1,
        "flows": [
            {"path": f.path, "flow": f.flow, "components": [c.as_dict() for c in f.components],
             "dlp_groups": list(f.dlp_groups)}
            for f in flows
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_csv(flows: Iterable[FlowInventory]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for f in flows:
        for c in f.components:
            used = "" if c.used is None else str(c.used).lower()
            writer.writerow([_cell(f.path), _cell(f.flow or ""), c.kind, _cell(c.name or ""), _cell(c.id or ""),
                             c.table, c.line, used, _cell(c.connector or "")])
    return buf.getvalue()


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas: names come from the scanned files (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_text(flows: Iterable[FlowInventory]) -> str:
    from pafix.report.text import clean

    out: list[str] = []
    for f in flows:
        out.append(clean(f"{f.path}!{f.flow}" if f.flow else f.path))
        if not f.components:
            out.append("    (no components)")
        for c in f.components:
            bits = [c.kind, repr(c.name) if c.name is not None else "-", c.id or "-", f"[{c.table}]",
                    f"line {c.line}"]
            if c.used is False:
                bits.append("(unused)")
            if c.connector:
                bits.append(f"connector {c.connector}")
            out.append("    " + clean("  ".join(bits)))
        groups = ", ".join(g.rsplit("/", 1)[-1] for g in f.dlp_groups) or "none"
        out.append("    " + clean(f"DLP action groups: {groups}"))
        out.append("")
    return "\n".join(out)
