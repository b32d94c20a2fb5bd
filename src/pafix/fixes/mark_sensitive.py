"""Edits that mark variables sensitive: the safe fix of several rules."""

from __future__ import annotations

from pafix.syntax import nodes as n
from pafix.analysis.model import FlowModel
from pafix.findings import Edit

#: ``@@`` keys PAD writes in the header of a stored definition
HEADER_KEYS = frozenset({"ConnectionString", "Type", "DesktopType", "DisplayName"})


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _newline(flow: n.Flow) -> str:
    return flow.newline


def mark_sensitive_edit(model: FlowModel, keys: list[str]) -> list[Edit]:
    """Edits that add ``keys`` to the right ``@SENSITIVE`` lists (creating them when missing).

    Globals go to the top-level ``@SENSITIVE`` line, locals (``Subflow::name``) to the local
    subflow's own. Existing names keep their order and spacing; new names are appended.
    """
    flow = model.flow
    by_scope: dict[str | None, list[str]] = {}
    for key in keys:
        prefix, _, name = key.rpartition("::")
        wanted = by_scope.setdefault(prefix or None, [])
        if name not in wanted:
            wanted.append(name)
    edits: list[Edit] = []
    for scope, names in by_scope.items():
        stmt = model.sensitive_stmts.get(scope)
        if stmt is not None:
            present = {x.name for x in stmt.names}
            new = [x for x in names if x not in present]
            if not new:
                continue
            sep = ", " if stmt.names else ""
            edits.append(Edit(stmt.close, stmt.close, sep + ", ".join(new)))
            continue
        line = f"@SENSITIVE: [{', '.join(names)}]"
        if scope is None:
            pos, _ = _header_insertion(flow)
            if pos == len(flow.source) and not flow.final_newline and flow.source:
                edits.append(Edit(pos, pos, _newline(flow) + line))
            else:
                edits.append(Edit(pos, pos, line + _newline(flow)))
        else:
            fn = next((f for f in flow.functions if f.name == scope), None)
            if fn is None:
                continue
            edits.append(_function_insertion(flow, fn, line))
    return edits


def _header_insertion(flow: n.Flow) -> tuple[int, int]:
    """Where PAD puts ``@SENSITIVE``: after the ``@@`` and ``IMPORT`` header lines, before
    ``@INPUT``/``@OUTPUT``; at the top of a clipboard snippet (after a BOM)."""
    start = 1 if flow.source.startswith("\ufeff") else 0
    run: list[n.Stmt] = []
    for stmt in flow.body:
        if isinstance(stmt, (n.Annotation, n.Import)):
            run.append(stmt)
            continue
        break
    is_header = any(isinstance(s, n.Import) for s in run) or any(
        isinstance(s, n.Annotation) and s.key in HEADER_KEYS for s in run
    )
    if not run or not is_header:
        return start, start
    last = run[-1]
    text = flow.source
    end = text.find("\n", last.span.end)
    if end < 0:  # header is the last line and has no newline: add one before ours
        return len(text), len(text)
    return end + 1, end + 1


def _function_insertion(flow: n.Flow, fn: n.Function, line: str) -> Edit:
    text = flow.source
    header_end = text.find("\n", fn.span.start)
    nl = _newline(flow)
    indent = "    "
    if fn.body:
        first = fn.body[0]
        ls = _line_start(text, first.span.start)
        indent = text[ls : first.span.start] if text[ls : first.span.start].strip() == "" else indent
    return Edit(header_end + 1, header_end + 1, indent + line + nl)
