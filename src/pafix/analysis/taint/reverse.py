"""The reverse direction: raw data kept in a plain variable before it becomes a sensitive one.

A flow that reads data (a file, a workbook, a query result) into a plain variable and then
copies it into a variable the author marked sensitive (``Output_ConfigObject``) has shown the
same data unmasked one step earlier: the plain variable is logged in clear. The forward
analysis cannot see this (taint flows from the mark onwards), so this pass walks the
content-preserving steps backwards from each marked variable:

* ``SET S TO X``, ``SET S TO X[0]['DataSource']``, ``SET S['a'] TO X.b`` (a copy or a field of it);
* an action that converts ``X`` into ``S`` where the catalogue says that output derives from
  that input (``Variables.ConvertJsonToCustomObject Json: X CustomObject=> S``);
* ``LOOP FOREACH row IN X`` (each row is part of ``X``).

Only whole values count: a counter or a flag interpolated into a text, a test
(``IsEmpty(X)``, ``X.Count``) or an index is not content that becomes the sensitive value.
Status texts the author marks by habit (``Output_Message``) are not followed back. A variable
is reported (PAF101, sensitive data, medium) at each write of it by an action that reads fresh
data (an output the catalogue derives from no input) before the step, in the same subflow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pafix.analysis.model import FlowModel, Subflow
from pafix.analysis.names import NamePolicy
from pafix.syntax.nodes import root_name
from pafix.analysis.taint.plans import ActionPlan, Root
from pafix.analysis.taint.state import Event, Label, Origin
from pafix.analysis.taint.values import NON_SECRET_PROPERTIES
from pafix.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class _Step:
    """``src``'s content becomes (part of) ``dst`` at ``span``."""

    src: str
    dst: str
    subflow: str
    order: int
    span: n.Span


@dataclass(frozen=True, slots=True)
class _Read:
    """``var`` is written with fresh data by an action output."""

    var: str
    subflow: str
    order: int
    span: n.Span


def reverse_stores(model: FlowModel, plan_of: Callable[[n.Action], ActionPlan], names: NamePolicy,
                   skip: frozenset[str] | set[str] = frozenset()) -> list[Event]:
    """Store events for plain variables whose raw data becomes a sensitive variable's value
    (``skip``: variables that are no plain variables, such as credential variables).
    ``plan_of`` gives the catalogue's answers for a call: the forward analysis' plans (what
    each output derives from), worked out already for every enabled call."""
    targets = {key for key in model.sensitive if not names.is_status_text(key.split("::")[-1])}
    if not targets:
        return []
    steps: list[_Step] = []
    reads: dict[str, list[_Read]] = {}
    order = 0
    for sf in model.subflows:
        for stmt in sf.statements:
            order += 1
            kind = type(stmt)
            if stmt.disabled or kind not in _STEP_TYPES:  # most statements copy no content
                continue
            plan = plan_of(stmt) if isinstance(stmt, n.Action) else None
            for src, dst in _content_steps(sf, stmt, plan):
                steps.append(_Step(src, dst, sf.name, order, stmt.span))
            if plan is not None:
                for var in _fresh_outputs(sf, plan):
                    reads.setdefault(var, []).append(_Read(var, sf.name, order, stmt.span))
    # what reaches a target: the first step by which each variable does
    into: dict[str, _Step] = {}
    reach = set(targets)
    changed = True
    while changed:
        changed = False
        for step in steps:
            if step.dst in reach and step.src not in reach:
                reach.add(step.src)
                into[step.src] = step
                changed = True
    events: list[Event] = []
    for var, step in into.items():
        if var in model.sensitive or var in skip or var not in reads:
            continue
        target = _target_of(step, into, targets)
        same = [r for r in reads[var] if r.subflow == step.subflow and r.order < step.order]
        for read in same or reads[var]:
            display = target.split("::")[-1]
            origin = Origin(f"reverse:{target}", "sensitive-later", f"{display} (sensitive variable, which its data becomes)",
                            step.span, step.subflow, target, "data", "medium")
            events.append(Event("store", read.subflow, read.span, var, (Label(origin),), None, None, None, read.span))
    return events


def _target_of(step: _Step, into: dict[str, _Step], targets: set[str]) -> str:
    seen: set[str] = set()
    while step.dst not in targets and step.dst in into and step.dst not in seen:
        seen.add(step.dst)
        step = into[step.dst]
    return step.dst


#: the statements that may copy content or read fresh data (see :func:`_content_steps`)
_STEP_TYPES: frozenset[type] = frozenset({n.Set, n.ForEach, n.Action})


def _content_steps(sf: Subflow, stmt: n.Stmt, plan: ActionPlan | None) -> Iterator[tuple[str, str]]:
    """(source, destination) of each step by which ``stmt`` copies content; ``plan`` is that
    of ``stmt`` when it is an action call."""
    if isinstance(stmt, n.Set):
        dst, src = root_name(stmt.target), _content_root(stmt.value)
        if dst is not None and src is not None:
            yield _key(sf, src), _key(sf, dst)
    elif isinstance(stmt, n.ForEach):
        src = _content_root(stmt.iterable)
        if src is not None:
            yield _key(sf, src), _key(sf, stmt.var)
    elif plan is not None and isinstance(stmt, n.Action):
        if not plan.spec.known or not plan.outputs:
            return
        # the plan's inputs hold every argument that reads a variable (what has a content root)
        args = stmt.args
        ins = [(args[i], _content_root(args[i].value)) for i, *_ in plan.inputs]
        for _out, sources, out_root, _kind in plan.outputs:
            if out_root is None:
                continue
            for arg, src in ins:
                key = "@" + arg.name if arg.dynamic else arg.name
                if src is not None and (sources == "*" or key in sources):
                    yield _key(sf, src), _key(sf, out_root)


def _fresh_outputs(sf: Subflow, plan: ActionPlan) -> Iterator[str]:
    if not plan.spec.known:
        return
    for _arg, sources, root, _kind in plan.outputs:
        if root is not None and sources == ():
            yield _key(sf, root)


def _content_root(expr: n.Expr) -> n.Name | None:
    """The variable whose content ``expr`` is: a name or an access path into it, not a
    property that is a count or a flag (``X.Count``, ``X.IsEmpty``)."""
    if isinstance(expr, n.Paren):
        return _content_root(expr.expr)
    if isinstance(expr, n.Attribute) and expr.attr in NON_SECRET_PROPERTIES:
        return None
    if isinstance(expr, (n.Name, n.Attribute, n.Index)):
        return root_name(expr)
    return None


def _key(sf: Subflow, name: n.Name | Root) -> str:
    return sf.key(name.name, force_global=name.is_global)
