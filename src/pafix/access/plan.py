"""``pafix access``: the access plan — what a person who runs each desktop flow needs.

For each desktop flow: the flow itself, then every component it references (from
:mod:`pafix.access.inventory`), and those of the child flows it runs, transitively (a child
in the same solution is followed once; ``via`` names the chain of child flows). For each
component: the Dataverse table that governs access to it, the privilege a runner needs on it
(:data:`pafix.access.privileges.RUNNER_NEEDS`), and which security roles *of the same
solution* grant that privilege, at which depth. A loose flow file has no roles.

It is the checklist an administrator works through before sharing a flow: share the flow
(User access) and every row's component with the people who run it, or give them a role that
grants the privilege — at ``Basic`` depth a role reaches only the rows they own or that are
shared with them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pafix.access.inventory import Component, FlowInventory, InventoryError, _cell, inventory_paths
from pafix.access.privileges import RUNNER_NEEDS, Need, table
from pafix.access.roles import Role, SolutionMetadata
from pafix.units import Unit

CSV_FIELDS = ("path", "flow", "kind", "name", "id", "via", "table", "privilege", "documented", "granted_by")


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    privilege: str  #: as the role spells it
    level: str  #: as the role spells it (``Basic`` … ``Global``)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One privilege a runner needs on one component."""

    kind: str  #: inventory kind; ``desktop-flow`` for the flow itself too
    name: str | None
    id: str | None
    via: tuple[str, ...]  #: child flows through which it is reached; () = the flow itself
    table: str  #: logical name
    privilege: str
    documented: bool
    granted_by: tuple[Grant, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "id": self.id, "via": list(self.via), "table": self.table,
                "table_display": table(self.table).display, "privilege": self.privilege,
                "documented": self.documented,
                "granted_by": [{"role": g.role, "privilege": g.privilege, "level": g.level} for g in self.granted_by]}


@dataclass(frozen=True, slots=True)
class FlowPlan:
    path: str
    flow: str | None
    requirements: tuple[Requirement, ...]


def _grants(roles: Sequence[Role], need: Need) -> tuple[Grant, ...]:
    out = []
    for role in roles:
        element = role.grants(need.privilege)
        if element is not None:
            out.append(Grant(role.name, element.name, element.level))
    return tuple(out)


def plan_flows(flows: Sequence[FlowInventory], roles: Sequence[Role] = ()) -> list[FlowPlan]:
    """The plan of each flow; child flows are looked up among ``flows`` of the same path."""
    by_id: dict[tuple[str, str | None], FlowInventory] = {(f.path, f.workflow_id): f for f in flows if f.workflow_id}
    plans = []
    for flow in flows:
        reqs: list[Requirement] = []

        def add(comp_kind: str, name: str | None, ident: str | None, via: tuple[str, ...]) -> None:
            for need in RUNNER_NEEDS[comp_kind]:
                reqs.append(Requirement(comp_kind, name, ident, via, need.table, need.privilege, need.documented,
                                        _grants(roles, need)))

        def walk(current: FlowInventory, via: tuple[str, ...], seen: set[str]) -> None:
            for comp in current.components:
                add(comp.kind, comp.name, comp.id, via)
                child = _child(comp, current.path, by_id)
                if child is not None and child.workflow_id not in seen:
                    seen.add(child.workflow_id or "")
                    walk(child, (*via, child.flow or child.workflow_id or "?"), seen)

        add("desktop-flow", flow.flow or flow.path, flow.workflow_id, ())
        walk(flow, (), {flow.workflow_id or ""})
        plans.append(FlowPlan(flow.path, flow.flow, tuple(reqs)))
    return plans


def _child(comp: Component, path: str, by_id: dict[tuple[str, str | None], FlowInventory]) -> FlowInventory | None:
    if comp.kind != "desktop-flow" or comp.id is None:
        return None
    return by_id.get((path, comp.id))


def plan_paths(found: Iterable[Path | tuple[Path, str]], read_file: Callable[[Path], Unit],
               ) -> tuple[list[FlowPlan], list[InventoryError]]:
    """Access plans of every flow the front end ``found`` (see :func:`inventory_paths`), with
    the roles of each solution export."""
    from pafix.solutions.model import SolutionError
    from pafix.solutions.metadata import load_metadata

    flows, errors = inventory_paths(found, read_file)
    plans: list[FlowPlan] = []
    by_path: dict[str, list[FlowInventory]] = {}
    for f in flows:
        by_path.setdefault(f.path, []).append(f)
    for path, group in by_path.items():
        meta = SolutionMetadata(path)
        if any(f.flow is not None for f in group):
            try:
                meta = load_metadata(path)
            except (SolutionError, OSError) as exc:
                errors.append(InventoryError(path, None, f"roles: {exc}"))
        plans.extend(plan_flows(group, meta.roles))
    return plans, errors


# ---- output ---------------------------------------------------------------------------------


def to_json(plans: Iterable[FlowPlan]) -> str:
    data = {"version": 1, "flows": [{"path": p.path, "flow": p.flow,
                                     "requirements": [r.as_dict() for r in p.requirements]} for p in plans]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _granted(r: Requirement) -> str:
    return "; ".join(f"{g.role} ({g.level})" for g in r.granted_by)


def to_csv(plans: Iterable[FlowPlan]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for p in plans:
        for r in p.requirements:
            writer.writerow([_cell(p.path), _cell(p.flow or ""), r.kind, _cell(r.name or ""), _cell(r.id or ""),
                             _cell(" > ".join(r.via)), r.table, r.privilege, str(r.documented).lower(),
                             _cell(_granted(r))])
    return buf.getvalue()


def to_text(plans: Iterable[FlowPlan]) -> str:
    from pafix.report.text import clean

    out: list[str] = []
    for p in plans:
        out.append(clean(f"{p.path}!{p.flow}" if p.flow else p.path))
        for r in p.requirements:
            itself = r is p.requirements[0]  # the plan starts with the flow itself
            what = "(this flow)" if itself else repr(r.name) if r.name is not None else (r.id or "-")
            bits = [f"{r.privilege:<30}", f"{table(r.table).display:<22}", r.kind, what]
            if r.via:
                bits.append("via " + " > ".join(repr(v) for v in r.via))
            if not r.documented:
                bits.append("(assumed)")
            bits.append("granted by: " + (_granted(r) or "no role of this solution"))
            out.append("    " + clean("  ".join(bits)))
        out.append("")
    return "\n".join(out)

