"""``pafix scan --format html``: what the front end gives the HTML renderer besides the results.

The renderer draws each finding's path over the flow's statements and each solution's
``External.RunFlow`` links, so it needs the flows' text. It gets only
:class:`~pafix.report.listing.FlowListing` values, made here: each flow is read again and parsed,
and only its masked lines (every literal, number and comment masked) and its links go on. A flow
that cannot be read or parsed gets no listing; its findings (there are none: it has an error) and
its place in the report stay as the results say.
"""

from __future__ import annotations

from collections.abc import Sequence

from pafix import __version__
from pafix.errors import ParseError
from pafix.findings import FileResult
from pafix.report.html import Listings, render_html
from pafix.report.listing import FlowListing, listing_of
from pafix.report.results import ScanStats
from pafix.cli.sources import read_units


def listings_for(paths: Sequence[str], results: Sequence[FileResult]) -> Listings:
    """Listings of the loose flows with findings and of every flow of a solution (the solution
    graph shows them all)."""
    from pafix.syntax.parser import parse

    wanted = {(r.path, r.flow) for r in results if r.findings or r.flow is not None}
    out: dict[tuple[str, str | None], FlowListing] = {}
    for unit in read_units(paths):
        key = (unit.path, unit.flow)
        if key not in wanted or unit.text is None or key in out:
            continue
        try:
            flow = parse(unit.text, unit.path if unit.flow is None else f"{unit.path}!{unit.flow}")
        except (ParseError, RecursionError):
            continue
        out[key] = listing_of(flow, unit.workflow_id)
    return out


def render_html_report(paths: Sequence[str], results: Sequence[FileResult], stats: ScanStats) -> str:
    from pafix.rules import RULES

    rules = {r.code: r.info() for r in RULES}
    return render_html(results, stats, listings=listings_for(paths, results), rules=rules,
                       tool_version=__version__)


__all__ = ["listings_for", "render_html_report"]
