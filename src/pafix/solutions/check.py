"""Checking the flows of one solution together: ``External.RunFlow`` links parents to children.

A secret passed into a child flow's input makes that input a secret source inside the child,
so the child is checked again with it, until no new input receives a secret (a few rounds at
most: each round can only add inputs).

A bug in pafix met while checking one flow does not stop the run: that flow gets the error
``internal error (<type>) while checking this flow; please report it`` (exit code 2; the
exception's text is never shown, it may quote the flow) and the other flows are still checked.
``PAFIX_DEBUG=1`` lets the exception through instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from pafix.syntax import nodes as n
from pafix.analysis.kinds import labels_confidence, stronger
from pafix.findings import Confidence, ValueKind
from pafix.analysis.model import ChildFlow, SolutionContext, normalize_flow_id
from pafix.config import Config
from pafix.analysis.uses import path_only_inputs
from pafix.core import catalogue_for, check_flow, names_for
from pafix.errors import ParseError
from pafix.findings import FileResult, SourceError
from pafix.guard import NestingTooDeep, debugging, internal_error
from pafix.syntax.parser import parse
from pafix.units import Unit

MAX_ROUNDS = 5


def check_units(units: Iterable[Unit], config: Config) -> Iterator[FileResult]:
    """Results for each unit, in order; the flows of one solution are checked together."""
    group: list[Unit] = []
    for unit in units:
        if unit.flow is not None and group and group[0].path == unit.path:
            group.append(unit)
            continue
        yield from _flush(group, config)
        group = [unit] if unit.flow is not None else []
        if unit.flow is None:
            yield check_unit(unit, config)
    yield from _flush(group, config)


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _failed(unit: Unit, message: str, line: int = 0, column: int = 0) -> FileResult:
    return FileResult(unit.path, (), (SourceError(message, line, column, unit.flow),), _lines(unit.text or ""),
                      unit.flow)


def check_unit(unit: Unit, config: Config) -> FileResult:
    if unit.text is None:
        return FileResult(unit.path, (), (SourceError(unit.error or "cannot read", flow=unit.flow),), 0, unit.flow)
    from pafix.core import check_source

    try:
        return check_source(unit.text, unit.path, config, flow_name=unit.flow, password_io=unit.password_io,
                            io_schema=unit.io_names)
    except Exception as exc:  # noqa: BLE001 - a bug in pafix: this flow fails, the run goes on
        if debugging():
            raise
        return _failed(unit, internal_error(exc))


def _flush(group: list[Unit], config: Config) -> Iterator[FileResult]:
    if not group:
        return
    yield from check_solution(group, config)


def check_solution(units: list[Unit], config: Config) -> list[FileResult]:
    try:
        return analyse_solution(units, config)[0]
    except Exception as exc:  # noqa: BLE001 - a bug outside any one flow: all of them fail
        if debugging():
            raise
        return [check_unit(u, config) if u.text is None else _failed(u, internal_error(exc)) for u in units]


def analyse_solution(units: list[Unit], config: Config) -> tuple[list[FileResult], dict[int, SolutionContext]]:
    """Results for each unit, and each parsed flow's place in the solution (its children and
    the inputs its parents pass secrets into), for the rewriter. A flow that cannot be parsed or
    checked (too deep, or a bug in pafix) gets an error result and no context; the others are
    still checked."""
    flows: dict[int, n.Flow] = {}
    results: dict[int, FileResult] = {}

    def fail(i: int, exc: Exception) -> None:
        if debugging():
            raise exc
        flows.pop(i, None)
        contexts.pop(i, None)
        results[i] = _failed(units[i], internal_error(exc))

    contexts: dict[int, SolutionContext] = {}
    for i, unit in enumerate(units):
        if unit.text is None:
            results[i] = check_unit(unit, config)
            continue
        try:
            flows[i] = parse(unit.text, f"{unit.path}!{unit.flow}")
        except ParseError:
            # the parse error, and the findings of the lines that did parse (the core recovers);
            # the flow takes no part in the solution-wide analysis
            results[i] = check_unit(unit, config)
        except Exception as exc:  # noqa: BLE001 - a bug in pafix: this flow fails, the others go on
            fail(i, exc)
    children: dict[str, ChildFlow] = {}
    catalogue, names = catalogue_for(config), names_for(config)
    for i, flow in list(flows.items()):
        unit = units[i]
        if not unit.workflow_id:
            continue
        try:
            inputs = frozenset(s.name.name for s in flow.main if isinstance(s, n.IODecl) and s.kind == "INPUT")
            outputs = frozenset(s.name.name for s in flow.main if isinstance(s, n.IODecl) and s.kind == "OUTPUT")
            sensitive = frozenset(x.name for s in flow.main if isinstance(s, n.Sensitive) for x in s.names)
            marked = sensitive | unit.password_io
            wid = normalize_flow_id(unit.workflow_id)
            paths = path_only_inputs(flow, catalogue, names, inputs)
            children[wid] = ChildFlow(wid, unit.flow or wid, inputs, inputs & marked, outputs & marked, paths)
        except Exception as exc:  # noqa: BLE001
            fail(i, exc)
    tainted: dict[str, dict[str, str]] = {}
    #: per child, the inputs a parent passes a credential into (the others get sensitive data)
    credentials: dict[str, set[str]] = {}
    #: per child input, the confidence of the surest secret a parent passes there
    sureness: dict[str, dict[str, Confidence]] = {}
    for _round in range(MAX_ROUNDS):
        changed = False
        for i, flow in list(flows.items()):
            unit = units[i]
            try:
                changed |= _check_one(i, flow, unit, config, children, tainted, credentials, sureness, contexts, results)
            except NestingTooDeep as exc:
                flows.pop(i)
                contexts.pop(i, None)
                results[i] = _failed(unit, exc.message, exc.line, exc.column)
            except Exception as exc:  # noqa: BLE001 - a bug in pafix: this flow fails, the others go on
                fail(i, exc)
        if not changed:
            break
    return [results[i] for i in range(len(units))], contexts


def _check_one(
    i: int, flow: n.Flow, unit: Unit, config: Config, children: dict[str, ChildFlow],
    tainted: dict[str, dict[str, str]], credentials: dict[str, set[str]],
    sureness: dict[str, dict[str, Confidence]], contexts: dict[int, SolutionContext],
    results: dict[int, FileResult],
) -> bool:
    """Check one flow of the solution in this round; whether a child input newly got a secret."""
    changed = False
    wid = normalize_flow_id(unit.workflow_id or "")
    inputs = dict(tainted.get(wid, {}))
    data = frozenset(inputs.keys() - credentials.get(wid, set()))
    sure = sureness.get(wid, {})
    kinds: dict[str, tuple[ValueKind, Confidence]] = {
        k: ("data" if k in data else "credential", sure.get(k, "high")) for k in inputs
    }
    ctx = SolutionContext(children, inputs, data, kinds)
    contexts[i] = ctx
    checked = check_flow(flow, config, password_io=unit.password_io, io_schema=unit.io_names, solution=ctx)
    findings = tuple(replace(f, flow=unit.flow) for f in checked.findings)
    results[i] = FileResult(unit.path, findings, (), _lines(unit.text or ""), unit.flow, checked.suppressed)
    for (child_id, input_name), labels in checked.analysis.child_taints.items():
        child_inputs = tainted.setdefault(child_id, {})
        child = children.get(child_id)
        if input_name not in child_inputs and child is not None and input_name in child.inputs:
            source = labels[0].origin.label if labels else "a secret"
            child_inputs[input_name] = f"receives {source} from parent flow {unit.flow!r}"
            changed = True
        if child is not None and input_name in child.inputs:
            surest = sureness.setdefault(child_id, {})
            old = surest.get(input_name)
            new = labels_confidence(labels) if old is None else stronger(old, labels_confidence(labels))
            if new != old:
                surest[input_name] = new
                changed = True
        if child is not None and input_name in child.inputs and any(
            lab.origin.value_kind == "credential" for lab in labels
        ) and input_name not in credentials.setdefault(child_id, set()):
            credentials[child_id].add(input_name)
            changed = True
    return changed
