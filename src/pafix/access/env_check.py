"""The findings of ``pafix env`` (pure: an :class:`EnvironmentState` in, results out) and its
summary of the environment in text and JSON.

The offline rules' codes are reused where the meaning is the same:

* PAF401-PAF404: a role of the environment grants Global Read/Write/Share/Assign on an
  automation table (the rules themselves run, on the environment's roles);
* PAF405: auditing is off for an automation table — or for the whole environment, which means
  no table is audited;
* PAF406: a shared desktop flow references a component some of its sharees cannot read.

Each finding is at a ``dataverse://HOST/…`` address (line 0), one :class:`FileResult` per
address, so the text, JSON, SARIF and GitHub reports show them as they show a file's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pafix.access.environment import EnvironmentState, address
from pafix.access.privileges import BY_LOGICAL
from pafix.access.roles import SolutionMetadata
from pafix.config import Config
from pafix.findings import FileResult, Finding
from pafix.rules import METADATA_RULES
from pafix.rules.metadata_base import Placed
from pafix.rules.paf405_automation_table_not_audited import AutomationTableNotAudited
from pafix.rules.paf406_shared_flow_access_gap import SharedFlowAccessGap


def _placed(state: EnvironmentState) -> Iterable[Placed]:
    meta = SolutionMetadata(address(state.host), roles=state.roles)
    for rule_cls in METADATA_RULES:
        yield from rule_cls().check_metadata(meta)  # PAF401-PAF404 on the roles; the others find nothing here
    audit_rule = AutomationTableNotAudited()
    if state.org is not None and state.org.audit is False:
        yield audit_rule.at(state.org.where, "auditing is off for the environment (isauditenabled false): no change to "
                            "desktop flows, credentials, work queues or connection references is recorded", "environment")
    environment_off = state.org is not None and state.org.audit is False
    for t in state.tables:
        known = BY_LOGICAL.get(t.logical)
        if known is not None and t.audit is False:
            also = " (and auditing is off for the environment)" if environment_off else ""
            yield audit_rule.at(t.where, f"auditing is off for table {known.display} ({known.logical}){also}: changes "
                                f"to {known.holds} are not recorded", t.logical)
    gap_rule = SharedFlowAccessGap()
    for flow in state.flows:
        for comp in flow.components:
            if comp.status != "gap":
                continue
            who = ", ".join(p.shown() for p in comp.missing)
            yield gap_rule.at(flow.where, f"desktop flow {flow.name!r} is shared with {who}, who cannot read its "
                              f"{comp.shown()} ({comp.target}): the flow fails for them there", f"{comp.target}")


def environment_results(state: EnvironmentState, config: Config) -> list[FileResult]:
    """The enabled rules' findings, one result per address, in address order."""
    found: dict[str, list[Finding]] = {}
    for placed in _placed(state):
        finding = placed.finding
        if not config.enabled(finding.rule):
            continue
        level = config.severity.get(finding.rule)
        if level and level != finding.severity:
            finding = replace(finding, severity=level)
        found.setdefault(placed.where.file, []).append(finding)
    out = []
    for file in sorted(found):
        findings = sorted(found[file], key=lambda f: (f.rule, f.message))
        out.append(FileResult(file, tuple(findings), (), 0))
    return out


# ---- the summary ----------------------------------------------------------------------------


def _yes(value: bool | None) -> str:
    return "unknown" if value is None else "on" if value else "off"


def summary(state: EnvironmentState) -> dict[str, Any]:
    """What was read, as JSON-ready data (``environment`` in ``pafix env --format json``)."""
    org = state.org
    return {
        "host": state.host,
        "audit": None if org is None else {"environment": org.audit, "user_access": org.user_access_audit,
                                           "retention_days": org.retention_days},
        "tables": [{"table": t.logical, "audit": t.audit} for t in state.tables],
        "roles_with_global_access": [
            {"role": r.name, "id": r.id, "privileges": sorted(p.name for p in r.privileges if p.depth == "Global")}
            for r in state.roles if any(p.depth == "Global" for p in r.privileges)],
        "desktop_flows": [{
            "id": f.id, "name": f.name, "address": f.where.file,
            "owner": None if f.owner is None else {"kind": f.owner.kind, "id": f.owner.id, "name": f.owner.name},
            "shared_with": [{"kind": s.principal.kind, "id": s.principal.id, "name": s.principal.name,
                             "rights": list(s.rights)} for s in f.shares],
            "components": [{"kind": c.kind, "name": c.name, "id": c.id, "table": c.table, "record": c.target,
                            "status": c.status, "reason": c.reason,
                            "missing": [{"kind": p.kind, "id": p.id, "name": p.name} for p in c.missing]}
                           for c in f.components],
            "note": f.note,
        } for f in state.flows],
        "notes": list(state.notes),
    }


def summary_json(state: EnvironmentState) -> str:
    return json.dumps(summary(state), indent=2, ensure_ascii=False) + "\n"


def summary_text(state: EnvironmentState) -> str:
    from pafix.report.text import clean

    org = state.org
    lines = [f"environment {state.host}"]
    if org is not None:
        retention = "unknown" if org.retention_days is None else "forever" if org.retention_days == -1 else \
            f"{org.retention_days} days"
        lines.append(f"  auditing: {_yes(org.audit)}; user access auditing: {_yes(org.user_access_audit)}; "
                     f"retention: {retention}")
    lines.append("  table auditing: " + (", ".join(f"{t.logical} {_yes(t.audit)}" for t in state.tables) or "none read"))
    broad = [r for r in state.roles if any(p.depth == "Global" and BY_LOGICAL.get(_table_of(p.name)) for p in r.privileges)]
    lines.append(f"  roles read: {len(state.roles)}; with Global access to an automation table: {len(broad)}")
    lines.append(f"  desktop flows: {len(state.flows)}; shared: {sum(1 for f in state.flows if f.shares)}")
    for f in state.flows:
        if not f.shares and f.note is None:
            continue
        owner = f.owner.shown() if f.owner else "owner unknown"
        lines.append(f"    {f.name!r} ({owner}) shared with " + (", ".join(s.principal.shown() for s in f.shares) or "nobody"))
        for c in f.components:
            extra = f": {c.reason}" if c.status == "unknown" else ""
            lines.append(f"      {c.status:<9} {c.shown()} [{c.table}]{extra}")
        if f.note:
            lines.append(f"      {f.note}")
    lines.extend(f"  note: {n}" for n in state.notes)
    return "".join(clean(line) + "\n" for line in lines)


def _table_of(privilege: str) -> str:
    from pafix.access.privileges import parse_privilege

    parsed = parse_privilege(privilege)
    return parsed[1].logical if parsed else ""

