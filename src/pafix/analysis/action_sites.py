"""Every action a flow runs, with what surrounds it: used by the DLP check and the inventory.

An *action site* is an :class:`~pafix.syntax.nodes.Action` statement or the parenthesised action of a
condition (``IF (File.IfFile.Exists …) THEN``, ``LOOP WHILE (…)``, ``WAIT (…)``), together with

* whether it is disabled: its own ``DISABLE`` or that of a statement around it (the action of a
  ``DISABLE IF (…)`` condition carries no flag of its own),
* the subflow it is in (``Main`` or the ``FUNCTION`` name),
* the ``@@key: 'value'`` annotations written directly before its statement
  (``@@flowname: '…'`` before ``External.RunFlow``, ``@@'InputSummaryValue:WORKQUEUE'`` before a
  work-queue action, ``@@connectionDisplayName`` before ``External.InvokeCloudConnector``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass

from pafix.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class ActionSite:
    action: n.Action
    disabled: bool
    subflow: str
    annotations: tuple[n.Annotation, ...] = ()

    def annotation(self, key: str) -> str | None:
        """The value of the last ``@@key`` annotation before the statement (key case-insensitive)."""
        wanted = key.lower()
        for ann in reversed(self.annotations):
            if ann.key.lower() == wanted and not ann.disabled:
                return ann.value
        return None


def action_sites(flow: n.Flow) -> Iterator[ActionSite]:
    """Every action site of ``flow`` in source order, disabled ones included."""
    yield from _body(flow.body, "Main", False)


def _body(body: n.Body, subflow: str, off: bool) -> Iterator[ActionSite]:
    pending: list[n.Annotation] = []
    for stmt in body:
        if isinstance(stmt, n.Annotation):
            pending.append(stmt)
            continue
        notes, pending = tuple(pending), []
        stmt_off = off or stmt.disabled
        if isinstance(stmt, n.Action):
            yield ActionSite(stmt, stmt_off, subflow, notes)
        elif isinstance(stmt, n.Function):
            yield from _body(stmt.body, stmt.name, stmt_off)
        elif isinstance(stmt, n.If):
            for i, branch in enumerate(stmt.branches):
                if isinstance(branch.cond, n.Action):
                    yield ActionSite(branch.cond, stmt_off or branch.cond.disabled, subflow, notes if i == 0 else ())
                yield from _body(branch.body, subflow, stmt_off)
            if stmt.orelse is not None:
                yield from _body(stmt.orelse, subflow, stmt_off)
        else:
            if isinstance(stmt, (n.While, n.Wait)) and isinstance(stmt.cond, n.Action):
                yield ActionSite(stmt.cond, stmt_off or stmt.cond.disabled, subflow, notes)
            for nested in n.child_bodies(stmt):
                yield from _body(nested, subflow, stmt_off)


def literal_param(action: n.Action, name: str) -> str | None:
    """The text of parameter ``name`` when it is a literal without ``%…%``, else None."""
    value = action.param(name)
    if isinstance(value, n.StringLit) and value.kind in ("plain", "triple", "interpolated"):
        return value.literal
    return None


def names_used(flow: n.Flow) -> set[str]:
    """Variable names read anywhere in statements that are not disabled (``appmask`` in
    ``appmask['Window']['Button']``, also inside ``%…%``)."""
    found: set[str] = set()
    stack: list[object] = [s for s in flow.body if not isinstance(s, n.Import)]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
            continue
        if not is_dataclass(node) or isinstance(node, type):
            continue
        if getattr(node, "disabled", False) or isinstance(node, n.Span):
            continue
        if isinstance(node, n.Name):
            found.add(node.name)
            continue
        stack.extend(getattr(node, f.name) for f in fields(node))
    return found
