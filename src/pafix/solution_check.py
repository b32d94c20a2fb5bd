"""Checking the flows of one solution together: ``External.RunFlow`` links parents to children.

A secret passed into a child flow's input makes that input a secret source inside the child,
so the child is checked again with it, until no new input receives a secret (a few rounds at
most: each round can only add inputs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from . import nodes as n
from .analysis.model import ChildFlow, SolutionContext, normalize_flow_id
from .config import Config
from .core import check_flow
from .errors import ParseError
from .findings import FileResult, SourceError
from .parser import parse
from .sources import Unit

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


def check_unit(unit: Unit, config: Config) -> FileResult:
    if unit.text is None:
        return FileResult(unit.path, (), (SourceError(unit.error or "cannot read", flow=unit.flow),), 0, unit.flow)
    from .core import check_source

    return check_source(unit.text, unit.path, config, flow_name=unit.flow, password_io=unit.password_io,
                        io_schema=unit.io_names)


def _flush(group: list[Unit], config: Config) -> Iterator[FileResult]:
    if not group:
        return
    yield from check_solution(group, config)


def check_solution(units: list[Unit], config: Config) -> list[FileResult]:
    return analyse_solution(units, config)[0]


def analyse_solution(units: list[Unit], config: Config) -> tuple[list[FileResult], dict[int, SolutionContext]]:
    """Results for each unit, and each parsed flow's place in the solution (its children and
    the inputs its parents pass secrets into), for the rewriter."""
    flows: dict[int, n.Flow] = {}
    results: dict[int, FileResult] = {}
    for i, unit in enumerate(units):
        if unit.text is None:
            results[i] = check_unit(unit, config)
            continue
        try:
            flows[i] = parse(unit.text, f"{unit.path}!{unit.flow}")
        except ParseError as exc:
            results[i] = FileResult(unit.path, (), (SourceError(exc.message, exc.line, exc.column, unit.flow),),
                                    _lines(unit.text), unit.flow)
    children: dict[str, ChildFlow] = {}
    for i, flow in flows.items():
        unit = units[i]
        if not unit.workflow_id:
            continue
        inputs = frozenset(s.name.name for s in flow.main if isinstance(s, n.IODecl) and s.kind == "INPUT")
        sensitive = frozenset(x.name for s in flow.main if isinstance(s, n.Sensitive) for x in s.names)
        wid = normalize_flow_id(unit.workflow_id)
        children[wid] = ChildFlow(wid, unit.flow or wid, inputs, (inputs & sensitive) | (inputs & unit.password_io))
    tainted: dict[str, dict[str, str]] = {}
    contexts: dict[int, SolutionContext] = {}
    for _round in range(MAX_ROUNDS):
        changed = False
        for i, flow in flows.items():
            unit = units[i]
            wid = normalize_flow_id(unit.workflow_id or "")
            ctx = SolutionContext(children, dict(tainted.get(wid, {})))
            contexts[i] = ctx
            checked = check_flow(flow, config, password_io=unit.password_io, io_schema=unit.io_names, solution=ctx)
            findings = tuple(replace(f, flow=unit.flow) for f in checked.findings)
            results[i] = FileResult(unit.path, findings, (), _lines(unit.text or ""), unit.flow, checked.suppressed)
            for (child_id, input_name), labels in checked.analysis.child_taints.items():
                child_inputs = tainted.setdefault(child_id, {})
                if input_name not in child_inputs and input_name in children[child_id].inputs:
                    source = labels[0].origin.label if labels else "a secret"
                    child_inputs[input_name] = f"receives {source} from parent flow {unit.flow!r}"
                    changed = True
        if not changed:
            break
    return [results[i] for i in range(len(units))], contexts
