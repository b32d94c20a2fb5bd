"""What the HTML report may show of a flow's text: its lines with every value masked.

The renderers are pure functions of results; the HTML report also draws each finding's path over
the statements it passes through, so it needs some of the flow's text. It never gets the text
itself: a front end parses the flow and hands over a :class:`FlowListing`, which holds only the
lines of :func:`pafix.report.masking.mask_values` (every string literal, number, comment and
annotation value masked as ``***``), and the ``External.RunFlow`` links the solution graph draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from pafix.analysis.model import normalize_flow_id
from pafix.report.masking import mask_values
from pafix.syntax import nodes as n

RUN_FLOW = "External.RunFlow"


@dataclass(frozen=True, slots=True)
class FlowListing:
    """One flow's masked lines (line ``i`` is ``lines[i - 1]``) and what it links to."""

    lines: tuple[str, ...]
    #: lines that continue the statement of a line above (a multi-line text or comment)
    continuations: frozenset[int] = frozenset()
    #: normalised workflow id of this flow inside its solution (None for a loose file)
    workflow_id: str | None = None
    #: normalised ``FlowId`` of each ``External.RunFlow`` whose id is literal text, in order
    run_flow_ids: tuple[str, ...] = ()

    def line(self, number: int) -> str | None:
        """The masked text of line ``number`` (1-based), None when there is none to show."""
        if 1 <= number <= len(self.lines) and number not in self.continuations:
            return self.lines[number - 1]
        return None


def listing_of(flow: n.Flow, workflow_id: str | None = None) -> FlowListing:
    """The listing of a parsed flow. A clipboard flow's trailer (control repository JSON) is
    cut off: it is not code, and may hold anything."""
    masked = mask_values(flow).splitlines()
    if flow.trailer is not None:
        masked = masked[: max(flow.trailer.span.line - 1, 0)]
    continuations: set[int] = set()
    links: list[str] = []
    for stmt in n.walk_statements(flow.body):
        if not any(True for _ in n.child_bodies(stmt)):  # a simple statement: its lines are its own
            continuations.update(range(stmt.span.line + 1, stmt.span.end_line + 1))
        if isinstance(stmt, n.Action) and stmt.name == RUN_FLOW:
            target = stmt.param("FlowId")
            if isinstance(target, n.StringLit) and target.literal:
                links.append(normalize_flow_id(target.literal))
    return FlowListing(
        tuple(masked),
        frozenset(continuations),
        normalize_flow_id(workflow_id) if workflow_id else None,
        tuple(links),
    )


__all__ = ["FlowListing", "RUN_FLOW", "listing_of"]
