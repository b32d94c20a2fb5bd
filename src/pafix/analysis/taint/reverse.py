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

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial

from pafix.analysis.model import FlowModel, Subflow
from pafix.analysis.names import NamePolicy
from pafix.syntax.nodes import root_name
from pafix.analysis.taint.plans import ActionPlan, Root
from pafix.analysis.taint.state import Event, Label, Origin
from pafix.analysis.taint.values import NON_SECRET_PROPERTIES
from pafix.syntax import nodes as n
from pafix.syntax.movers import shift
from pafix.syntax.statement_memo import Memos, Recall


#: ``src``'s content becomes (part of) ``dst``: where (the statement's walk order, counted
#: from the first statement of the part it is in, and its span)
_StepAt = tuple[str, str, int, n.Span]
#: ``var`` is written with fresh data by an action output, where
_ReadAt = tuple[str, int, n.Span]
#: what some consecutive statements hold for this pass: how many they are (nested ones
#: included), their steps and their reads
_Part = tuple[int, tuple[_StepAt, ...], tuple[_ReadAt, ...]]
_MEMO = "analysis.reverse_stores"


def reverse_stores(model: FlowModel, plan_of: Callable[[n.Action], ActionPlan], names: NamePolicy,
                   skip: frozenset[str] | set[str] = frozenset(), memos: Memos | None = None) -> list[Event]:
    """Store events for plain variables whose raw data becomes a sensitive variable's value
    (``skip``: variables that are no plain variables, such as credential variables).
    ``plan_of`` gives the catalogue's answers for a call: the forward analysis' plans (what
    each output derives from), worked out already for every enabled call. With ``memos`` (the
    editor), the steps and reads of each block of top-level statements are taken over from
    the last check when its text is unchanged (:mod:`pafix.syntax.statement_memo`; they read
    the statements, their subflow and the plans, which read the catalogue: the caller
    forgets the memos across catalogues), moved with it; the events are the same."""
    targets = {key for key in model.sensitive if not names.is_status_text(key.split("::")[-1])}
    if not targets:
        return []
    recall: Recall[_Part, _Part] | None = (
        memos.recall(_MEMO, None, _moved_part, _joined_parts) if memos is not None else None)
    # (src, dst, subflow, walk order in the flow, span, and how far to move the span)
    steps: list[tuple[str, str, str, int, n.Span, int, int]] = []
    # each part with its subflow and the statements walked before it: its reads are gathered
    # once the variables they may matter for are known (a 20,001-line flow has ~7,000 reads,
    # of a few variables that reach a target)
    walked: list[tuple[str, int, tuple[_ReadAt, ...], int, int]] = []
    base = 0  # statements walked before the part
    for sf in model.subflows:
        parts: list[tuple[_Part, int, int]]
        if recall is None:  # a scan: the subflow's statements, walked once by the model
            parts = [(_part(sf, sf.statements, plan_of), 0, 0)]
        else:
            parts = recall.blocks((sf.name, sf.is_global), sf.body, partial(_top_part, sf, plan_of))
        name = sf.name
        for (count, part_steps, part_reads), d, dl in parts:
            if part_steps:
                steps.extend([(src, dst, name, base + at, span, d, dl) for src, dst, at, span in part_steps])
            if part_reads:
                walked.append((name, base, part_reads, d, dl))
            base += count
    # what reaches a target: the first step by which each variable does
    into: dict[str, tuple[str, str, str, int, n.Span, int, int]] = {}
    reach = set(targets)
    changed = True
    while changed:
        changed = False
        for step in steps:
            if step[1] in reach and step[0] not in reach:
                reach.add(step[0])
                into[step[0]] = step
                changed = True
    wanted = {var for var in into if var not in model.sensitive and var not in skip}
    # var -> (subflow, walk order in the flow, span, how far to move it)
    reads: dict[str, list[tuple[str, int, n.Span, int, int]]] = {}
    if wanted:
        for name, at_part, part_reads, d, dl in walked:
            for var, at, span in part_reads:
                if var in wanted:
                    reads.setdefault(var, []).append((name, at_part + at, span, d, dl))
    events: list[Event] = []
    for var, step in into.items():
        if var in model.sensitive or var in skip or var not in reads:
            continue
        target = _target_of(step[1], into, targets)
        same = [r for r in reads[var] if r[0] == step[2] and r[1] < step[3]]
        for read_sf, _at, span, d, dl in same or reads[var]:
            display = target.split("::")[-1]
            origin = Origin(f"reverse:{target}", "sensitive-later", f"{display} (sensitive variable, which its data becomes)",
                            _moved(step[4], step[5], step[6]), step[2], target, "data", "medium")
            where = _moved(span, d, dl)
            events.append(Event("store", read_sf, where, var, (Label(origin),), None, None, None, where))
    return events


def _part(sf: Subflow, stmts: Iterable[n.Stmt], plan_of: Callable[[n.Action], ActionPlan]) -> _Part:
    """The steps and reads of ``stmts`` (statements of ``sf``, in walk order)."""
    steps: list[_StepAt] = []
    reads: list[_ReadAt] = []
    order = 0
    for stmt in stmts:
        order += 1
        kind = type(stmt)
        if stmt.disabled or kind not in _STEP_TYPES:  # most statements copy no content
            continue
        plan = plan_of(stmt) if isinstance(stmt, n.Action) else None
        for src, dst in _content_steps(sf, stmt, plan):
            steps.append((src, dst, order, stmt.span))
        if plan is not None:
            for var in _fresh_outputs(sf, plan):
                reads.append((var, order, stmt.span))
    return order, tuple(steps), tuple(reads)


def _top_part(sf: Subflow, plan_of: Callable[[n.Action], ActionPlan], top: n.Stmt) -> tuple[_Part, bool]:
    """The part of the top-level statement ``top``, and that it may be kept (its spans are
    its statements')."""
    return _part(sf, n.walk_statements((top,)), plan_of), True


def _joined_parts(parts: Sequence[_Part]) -> _Part:
    """The part of consecutive statements, from each one's."""
    if len(parts) == 1:
        return parts[0]
    count = 0
    steps: list[_StepAt] = []
    reads: list[_ReadAt] = []
    for c, part_steps, part_reads in parts:
        steps.extend([(src, dst, count + at, span) for src, dst, at, span in part_steps])
        reads.extend([(var, count + at, span) for var, at, span in part_reads])
        count += c
    return count, tuple(steps), tuple(reads)


def _moved_part(part: _Part, delta: int, dline: int) -> _Part:
    if not delta and not dline:
        return part
    count, steps, reads = part
    return (count, tuple((src, dst, at, shift(span, delta, dline)) for src, dst, at, span in steps),
            tuple((var, at, shift(span, delta, dline)) for var, at, span in reads))


def _moved(span: n.Span, delta: int, dline: int) -> n.Span:
    return shift(span, delta, dline) if delta or dline else span


def _target_of(dst: str, into: dict[str, tuple[str, str, str, int, n.Span, int, int]], targets: set[str]) -> str:
    seen: set[str] = set()
    while dst not in targets and dst in into and dst not in seen:
        seen.add(dst)
        dst = into[dst][1]
    return dst


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
