"""What a flow does with its input variables: is an input only ever used as a file path?

A parent flow may pass one variable into a child flow's input on one branch as a connection
string and on another as a workbook path (``Input_ConfigAddress``: ``IF Input_ConfigType =
'Excel'`` ... into ExcelCloser's ``Input_FilePath``). A child input whose every use is a file or
folder path (a path parameter in the catalogue: ``path_params``, or a file sink that is the
action's purpose) is a path, not a credential, whatever the parent passes in.

Uses are counted where the value is consumed: an action argument (the whole value, or a text
it starts a path of, ``%Folder%\\book.xlsx``), a copy (``SET x TO In``), a subflow argument.
A test (``IsNotEmpty(In)``, ``In = ''``) consumes nothing, and neither does a mention of the
value in a status text (``SET Output_Message TO 'Closed %In%'``): neither says what it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pafix.analysis.catalogue import Catalogue
from pafix.analysis.names import NamePolicy
from pafix.syntax import nodes as n


def path_only_inputs(flow: n.Flow, catalogue: Catalogue, names: NamePolicy, inputs: Iterable[str]) -> frozenset[str]:
    """The names in ``inputs`` that ``flow`` uses at least once, and only, as a file path."""
    wanted = frozenset(inputs)
    if not wanted:
        return frozenset()
    path: set[str] = set()
    other: set[str] = set()
    for body in (flow.main, *(fn.body for fn in flow.functions)):
        for stmt in n.walk_statements(body):
            if stmt.disabled:
                continue
            for name, as_path in _uses(stmt, catalogue, names, wanted):
                (path if as_path else other).add(name)
    return frozenset(path - other)


def _uses(stmt: n.Stmt, catalogue: Catalogue, names: NamePolicy, wanted: frozenset[str]) -> Iterator[tuple[str, bool]]:
    """``(input name, used as a path)`` for each use of an input in ``stmt``."""
    if isinstance(stmt, n.Action):
        yield from _action_uses(stmt, catalogue, wanted)
    elif isinstance(stmt, n.If):
        for branch in stmt.branches:
            if isinstance(branch.cond, n.Action):
                yield from _action_uses(branch.cond, catalogue, wanted)
    elif isinstance(stmt, n.Set):
        target = stmt.target
        if isinstance(target, n.Name) and names.is_status_text(target.name) and isinstance(stmt.value, n.StringLit):
            return  # a mention in a status text
        for name in _reads(stmt.value, wanted):
            yield name, False
    elif isinstance(stmt, (n.CallSubflow, n.Exit)):
        for arg in stmt.args:
            if not arg.output:
                for name in _reads(arg.value, wanted):
                    yield name, False


def _action_uses(action: n.Action, catalogue: Catalogue, wanted: frozenset[str]) -> Iterator[tuple[str, bool]]:
    spec = catalogue.lookup(action.name)
    for arg in action.args:
        if arg.output:
            continue
        head = _path_head(arg.value)
        is_path = head is not None and head in wanted and spec.is_path_param(arg.name, arg.dynamic)
        for name in _reads(arg.value, wanted):
            yield name, is_path and name == head


def _path_head(expr: n.Expr) -> str | None:
    """The variable a path argument starts from: ``In`` or ``$'''%In%\\book.xlsx'''``."""
    if isinstance(expr, n.Name):
        return expr.name
    if isinstance(expr, n.StringLit) and expr.parts and isinstance(expr.parts[0], n.Hole):
        inner = expr.parts[0].expr
        return inner.name if isinstance(inner, n.Name) else None
    return None


def _reads(expr: n.Expr, wanted: frozenset[str]) -> Iterator[str]:
    for e in n.walk_expr(expr):
        if isinstance(e, n.Name) and e.name in wanted:
            yield e.name
