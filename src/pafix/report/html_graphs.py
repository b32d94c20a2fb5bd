"""Layout of the HTML report's two drawings, as plain values the templates turn into SVG.

* :func:`trace_graph`: a finding's source -> sink path drawn over the statements it passes
  through: the masked lines of the flow, one row each, with a numbered node on every step's line
  and an arrow from each step to the next (straight down the lane, or curving round when the path
  goes back up: a loop, a subflow defined above its call).
* :func:`solution_graph`: the flows of one solution and the ``External.RunFlow`` links between
  them, left to right: a flow that no other flow runs in the first column, each child one column
  right of its deepest caller.

Only positions and texts are computed here; escaping is the templates' job (autoescape).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pafix.findings import Finding, TraceStep
from pafix.report.listing import FlowListing

# ---- trace graph ------------------------------------------------------------------------------

ROW = 20  #: height of a code row (px)
NOTE = 16  #: height of a step's note under its row
LANE_X = 22  #: x of the nodes' lane
NUMBER_X = 76  #: right edge of the line numbers
CODE_X = 86  #: where the code starts
CODE_CHAR = 7.3  #: width of one character of 12px monospace (DejaVu Sans Mono / Menlo: ~7.2)
NOTE_CHAR = 6.4  #: average width of one character of 11.5px sans-serif
MAX_CODE = 110  #: characters of a line shown before it is cut with "…"
MAX_NOTE = 130
MAX_GAP = 3  #: at most this many lines between two steps are shown; more fold into "⋯ N lines"

Role = Literal["source", "step", "sink"]


@dataclass(frozen=True, slots=True)
class Row:
    y: int  #: baseline of the row's text
    kind: Literal["code", "gap", "flow"]
    text: str
    line: int = 0
    role: Role | None = None  #: set on rows that hold a step
    notes: tuple[str, ...] = ()  #: "1  message" for each step on this row


@dataclass(frozen=True, slots=True)
class Node:
    cx: int
    cy: int
    label: str  #: the step numbers, "1" or "1,2"
    role: Role
    title: str


@dataclass(frozen=True, slots=True)
class TraceGraph:
    width: int
    height: int
    rows: tuple[Row, ...]
    nodes: tuple[Node, ...]
    edges: tuple[str, ...]  #: SVG path data, one per arrow


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _role(index: int, count: int) -> Role:
    if index == count - 1:
        return "sink"
    return "source" if index == 0 else "step"


def _steps(finding: Finding, flow: str | None) -> list[TraceStep]:
    """The trace, or for a finding without one, the finding's own statement as its only step."""
    if finding.trace:
        return list(finding.trace)
    return [TraceStep(finding.line, finding.column, "", flow=flow)]


def _shown(listing: FlowListing, lines: Sequence[int]) -> list[int | tuple[int, int]]:
    """The lines to draw for steps on ``lines``: each step's line, the lines between two steps
    when there are few, else a fold ``(first, count)`` of the hidden ones."""
    wanted = sorted(set(lines))
    out: list[int | tuple[int, int]] = []
    for i, line in enumerate(wanted):
        if i:
            between = [k for k in range(wanted[i - 1] + 1, line) if (listing.line(k) or "").strip()]
            if len(between) <= MAX_GAP:
                out.extend(between)
            else:
                out.append((between[0], len(between)))
        out.append(line)
    return out


def trace_graph(
    finding: Finding,
    flow: str | None,
    listings: Mapping[str | None, FlowListing],
    flow_label: str | None = None,
) -> TraceGraph | None:
    """The drawing of ``finding``'s path; ``listings`` by flow name (None: the loose file).
    None when a step's flow has no listing (the text could not be shown)."""
    steps = _steps(finding, flow)
    groups: dict[str | None, list[int]] = {}
    for step in steps:
        where = step.flow if step.flow is not None else flow
        if where not in listings:
            return None
        groups.setdefault(where, []).append(step.line)
    rows: list[Row] = []
    centers: dict[tuple[str | None, int], int] = {}
    roles: dict[tuple[str | None, int], Role] = {}
    y = 0
    many = len(groups) > 1
    for where, lines in groups.items():
        listing = listings[where]
        if many:
            y += ROW
            rows.append(Row(y - 5, "flow", where if where is not None else (flow_label or "")))
        for item in _shown(listing, lines):
            y += ROW
            if isinstance(item, tuple):
                first, count = item
                rows.append(Row(y - 5, "gap", f"⋯ {count} more line{'s' if count > 1 else ''}", first))
                continue
            text = listing.line(item) or ""
            if item + 1 in listing.continuations:
                text += " …"
            here = [i for i, s in enumerate(steps) if (s.flow if s.flow is not None else flow) == where
                    and s.line == item]
            if not here:
                rows.append(Row(y - 5, "code", text, item))
                continue
            notes = tuple(f"{i + 1}  {_cut(steps[i].message, MAX_NOTE)}" for i in here if steps[i].message)
            role = _role(here[-1], len(steps)) if here[-1] == len(steps) - 1 else _role(here[0], len(steps))
            rows.append(Row(y - 5, "code", text, item, role, notes))
            centers[(where, item)] = y - ROW // 2
            roles[(where, item)] = role
            y += NOTE * len(notes)
    indent = min((len(r.text) - len(r.text.lstrip()) for r in rows if r.kind == "code" and r.text.strip()),
                 default=0)
    rows = [Row(r.y, r.kind, _cut(r.text[indent:], MAX_CODE), r.line, r.role, r.notes) if r.kind == "code" else r
            for r in rows]
    nodes: list[Node] = []
    for (where, line), cy in centers.items():
        here = [i for i, s in enumerate(steps) if (s.flow if s.flow is not None else flow) == where
                and s.line == line]
        nodes.append(Node(LANE_X, cy, ",".join(str(i + 1) for i in here), roles[(where, line)],
                          "\n".join(f"{i + 1}. {steps[i].message}" for i in here if steps[i].message)))
    edges: list[str] = []
    order = [centers[((s.flow if s.flow is not None else flow), s.line)] for s in steps]
    for a, b in zip(order, order[1:]):
        if a == b:
            continue
        if b > a:  # down the lane, from the bottom of one node to the top of the next
            edges.append(f"M{LANE_X},{a + 9} L{LANE_X},{b - 11}")
        else:  # back up: round the left of the lane
            edges.append(f"M{LANE_X - 8},{a} C{LANE_X - 22},{a} {LANE_X - 22},{b} {LANE_X - 10},{b + 4}")
    chars = max((len(r.text) for r in rows if r.kind == "code"), default=0)
    note_chars = max((len(t) for r in rows for t in r.notes), default=0)
    width = int(max(CODE_X + chars * CODE_CHAR, CODE_X + 20 + note_chars * NOTE_CHAR)) + 16
    return TraceGraph(width, y + 8, tuple(rows), tuple(nodes), tuple(edges))


# ---- solution graph ---------------------------------------------------------------------------

BOX_W = 250
BOX_H = 46
COL_GAP = 100
ROW_GAP = 14
MARGIN = 12
TOP = 30  #: room above the first row for links that skip a column
MAX_NAME = 30


@dataclass(frozen=True, slots=True)
class FlowBox:
    x: int
    y: int
    name: str  #: the flow's name, cut to fit
    title: str  #: the full name (hover)
    flow: str | None  #: the flow name for the report's filter; None for a flow not in the solution
    findings: int
    worst: str  #: "error", "warning", "note", "clean" or "missing"


@dataclass(frozen=True, slots=True)
class SolutionGraph:
    width: int
    height: int
    boxes: tuple[FlowBox, ...]
    edges: tuple[str, ...]
    links: int
    prefix: str  #: the start all the flow names share, left out of the boxes ("" if none)


def _columns(count: int, edges: set[tuple[int, int]]) -> list[int]:
    """Column of each node: 0 for a node no edge reaches, else one right of its deepest caller;
    edges that close a cycle are left out (found by a depth-first walk in node order)."""
    out: dict[int, list[int]] = {}
    for a, b in sorted(edges):
        out.setdefault(a, []).append(b)
    state = [0] * count  # 0 new, 1 on the stack, 2 done
    forward: set[tuple[int, int]] = set()
    for root in range(count):
        if state[root]:
            continue
        stack = [(root, iter(out.get(root, [])))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state[child] != 1:
                forward.add((node, child))
                if state[child] == 0:
                    state[child] = 1
                    stack.append((child, iter(out.get(child, []))))
    column = [0] * count
    for _ in range(count):  # longest path on a DAG: at most `count` rounds
        changed = False
        for a, b in forward:
            if column[b] < column[a] + 1:
                column[b] = column[a] + 1
                changed = True
        if not changed:
            break
    return column


def common_prefix(names: Sequence[str]) -> str:
    """The start that all ``names`` (two or more) share, up to a separator (``": "``, ``" - "``,
    ``"_"``, ``" "``), when every name goes on after it; else ``""``."""
    if len(names) < 2:
        return ""
    shared = os.path.commonprefix(list(names))
    cut = max(shared.rfind(sep) + len(sep) if shared.rfind(sep) >= 0 else 0 for sep in (": ", " - ", "_", " "))
    prefix = shared[:cut]
    return prefix if prefix and all(len(name) > len(prefix) for name in names) else ""


def solution_graph(
    listings: Sequence[tuple[str, FlowListing]],
    counts: Mapping[str, tuple[int, str]],
) -> SolutionGraph:
    """``listings``: (flow name, listing) of each flow of one solution, in order; ``counts``:
    flow name -> (findings, worst severity or "clean")."""
    names = [name for name, _ in listings]
    by_id = {lst.workflow_id: i for i, (_, lst) in enumerate(listings) if lst.workflow_id}
    missing: dict[str, int] = {}
    edges: set[tuple[int, int]] = set()
    for i, (_, listing) in enumerate(listings):
        for target in listing.run_flow_ids:
            j = by_id.get(target)
            if j is None:
                j = missing.setdefault(target, len(names) + len(missing))
            edges.add((i, j))
    total = len(names) + len(missing)
    prefix = common_prefix(names)
    column = _columns(total, edges)
    slots: dict[int, int] = {}
    place: list[tuple[int, int]] = []
    for i in range(total):
        row = slots.get(column[i], 0)
        slots[column[i]] = row + 1
        place.append((MARGIN + column[i] * (BOX_W + COL_GAP), TOP + row * (BOX_H + ROW_GAP)))
    boxes: list[FlowBox] = []
    for i in range(total):
        x, y = place[i]
        if i < len(names):
            found, worst = counts.get(names[i], (0, "clean"))
            short = names[i][len(prefix):]
            boxes.append(FlowBox(x, y, _cut(short, MAX_NAME), names[i], names[i], found, worst))
        else:
            target = next(t for t, k in missing.items() if k == i)
            boxes.append(FlowBox(x, y, _cut(f"not in solution: {target}", MAX_NAME),
                                 f"External.RunFlow target not in this solution: {target}", None, 0, "missing"))
    paths: list[str] = []
    for a, b in sorted(edges):
        (ax, ay), (bx, by) = place[a], place[b]
        if bx > ax + BOX_W + COL_GAP:  # skips a column: over the top, not through its boxes
            x1, y1, x2, y2 = ax + BOX_W, ay + BOX_H // 2, bx - 6, by + BOX_H // 2
            a, b, top = x1 + COL_GAP // 2, bx - COL_GAP // 2, TOP // 2
            paths.append(f"M{x1},{y1} C{a},{y1} {a},{top} {a + 20},{top} L{b - 20},{top} "
                         f"C{b},{top} {b},{y2} {x2},{y2}")
        elif bx > ax:  # the next column: from the right edge of the caller to the left edge of the child
            x1, y1, x2, y2 = ax + BOX_W, ay + BOX_H // 2, bx - 6, by + BOX_H // 2
            mid = (x1 + x2) // 2
            paths.append(f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
        else:  # a call back to the left or within a column (a cycle): round the right side
            x1, y1, y2 = ax + BOX_W, ay + BOX_H // 2, by + BOX_H // 2
            reach = bx + BOX_W + COL_GAP // 2
            paths.append(f"M{x1},{y1} C{reach},{y1} {reach},{y2} {bx + BOX_W + 6},{y2}")
    columns = max(column, default=0) + 1
    height = TOP + MARGIN + max(slots.values(), default=1) * (BOX_H + ROW_GAP) - ROW_GAP
    width = MARGIN * 2 + columns * BOX_W + (columns - 1) * COL_GAP + (COL_GAP // 2 if columns == 1 else 0)
    return SolutionGraph(width, height, tuple(boxes), tuple(paths), len(edges), prefix)


__all__ = ["FlowBox", "Node", "Row", "SolutionGraph", "TraceGraph", "solution_graph", "trace_graph"]
