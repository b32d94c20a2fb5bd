"""The HTML report: one self-contained page (inline CSS, JavaScript and SVG; nothing loaded).

``render_html(results, stats, listings=..., rules=...)`` is a pure function like the other
renderers. It shows a summary by severity, rule, flow (and confidence, when findings carry one),
filters (plain JavaScript; the filter state lives in the URL's ``#fragment``, so a link can open
the report filtered), each finding with its path drawn over the flow's masked statements
(:mod:`pafix.report.html_graphs`), and for each solution its flows and their
``External.RunFlow`` links.

Everything the page shows is rendered by Jinja2 templates (``templates/``) with autoescape on:
paths, flow names and messages come from the scanned files and are escaped like any text. The
flow text the drawings need comes only as :class:`~pafix.report.listing.FlowListing` values,
whose lines have every value masked. A Content-Security-Policy ``<meta>`` forbids every load
(``default-src 'none'``) and lets only the page's own script and style run, by their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import PurePath

import jinja2

from pafix.findings import SEVERITIES, FileResult, Finding, RuleInfo
from pafix.report import html_graphs as graphs
from pafix.report.html_graphs import SolutionGraph, TraceGraph, solution_graph, trace_graph
from pafix.report.listing import FlowListing
from pafix.report.results import (
    ScanStats,
    error_flow,
    finding_flow,
    flow_display,
    position as _position,
    sorted_errors,
    sorted_findings,
)

#: (path, flow name or None for a loose file) -> its masked listing
Listings = Mapping[tuple[str, str | None], FlowListing]

CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True, slots=True)
class StepView:
    number: int
    where: str
    message: str


@dataclass(frozen=True, slots=True)
class FindingView:
    anchor: str
    rule: str
    name: str
    severity: str
    message: str
    where: str  #: path[!flow]:line:column
    flow: str  #: path[!flow], the value the flow filter matches
    path: str
    flow_name: str | None
    confidence: str | None
    kind: str | None
    fix: str | None
    steps: tuple[StepView, ...]
    graph: TraceGraph | None


@dataclass(frozen=True, slots=True)
class CountRow:
    key: str
    label: str
    sub: str  #: a second, smaller line (the solution a flow is in)
    counts: tuple[int, ...]  #: per severity, in SEVERITIES order
    total: int


@dataclass(frozen=True, slots=True)
class SolutionView:
    path: str
    flows: int
    graph: SolutionGraph


def _optional(finding: Finding, field: str) -> str | None:
    """A field newer findings carry (``confidence``, ``kind``); None on findings without it."""
    value = getattr(finding, field, None)
    return value if isinstance(value, str) and value else None


def _finding_view(index: int, result: FileResult, finding: Finding, listings: Listings) -> FindingView:
    flow = finding_flow(result, finding)
    display = flow_display(result.path, flow)
    steps = tuple(
        StepView(
            i + 1,
            (flow_display(result.path, step.flow) + ":" if step.flow is not None and step.flow != flow else "")
            + f"{step.line}:{step.column}",
            step.message,
        )
        for i, step in enumerate(finding.trace)
    )
    own = {name: lst for (path, name), lst in listings.items() if path == result.path}
    fix = f"{finding.fix.safety} fix: {finding.fix.description}" if finding.fix is not None else None
    return FindingView(
        f"f{index}", finding.rule, finding.name, finding.severity, finding.message,
        display + _position(finding.line, finding.column), display, result.path, flow,
        _optional(finding, "confidence"), _optional(finding, "kind"), fix, steps,
        trace_graph(finding, flow, own, flow),
    )


def _count_rows(pairs: Sequence[tuple[str, str, str, str]]) -> list[CountRow]:
    """(key, label, sub, severity) per finding -> one row per key, in order of the key."""
    by_key: dict[str, Counter[str]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for key, label, sub, severity in pairs:
        by_key.setdefault(key, Counter())[severity] += 1
        labels[key] = (label, sub)
    return [
        CountRow(key, *labels[key], tuple(c[s] for s in SEVERITIES), sum(c.values()))
        for key, c in sorted(by_key.items())
    ]


def _worst(severities: Sequence[str]) -> str:
    return next((s for s in SEVERITIES if s in severities), "clean")


def _solutions(results: Sequence[FileResult], listings: Listings) -> list[SolutionView]:
    flows: dict[str, list[tuple[str, FlowListing]]] = {}
    for (path, name), listing in listings.items():
        if name is not None:
            flows.setdefault(path, []).append((name, listing))
    views: list[SolutionView] = []
    for path, members in sorted(flows.items()):
        found: dict[str, list[str]] = {}
        for result in results:
            if result.path == path:
                for f in result.findings:
                    found.setdefault(finding_flow(result, f) or "", []).append(f.severity)
        counts = {name: (len(sevs), _worst(sevs)) for name, sevs in found.items()}
        views.append(SolutionView(path, len(members), solution_graph(members, counts)))
    return views


def _basename(path: str) -> str:
    return PurePath(path).name or path


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pafix.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["basename"] = _basename
    env.globals.update(
        row_h=graphs.ROW, note_h=graphs.NOTE, number_x=graphs.NUMBER_X, code_x=graphs.CODE_X,
        box_w=graphs.BOX_W, box_h=graphs.BOX_H,
    )
    return env


@lru_cache(maxsize=2)
def _asset(name: str) -> str:
    return (resources.files("pafix.report") / "templates" / name).read_text(encoding="utf-8")


def render_html(
    results: Sequence[FileResult],
    stats: ScanStats,
    *,
    listings: Listings,
    rules: Mapping[str, RuleInfo],
    tool_version: str,
) -> str:
    """The whole page. ``listings`` holds the masked text of the flows whose findings are drawn
    (and of every flow of a solution, for its graph); a finding whose flow has none is listed
    without a drawing."""
    pairs = sorted_findings(results)
    findings = [_finding_view(i, r, f, listings) for i, (r, f) in enumerate(pairs)]
    by_rule = _count_rows([(v.rule, rules[v.rule].name if v.rule in rules else v.name, "", v.severity)
                           for v in findings])
    by_flow = _count_rows([(v.flow, v.flow_name or v.path, v.path if v.flow_name else "", v.severity)
                           for v in findings])
    confidences = [c for c in CONFIDENCES if any(v.confidence == c for v in findings)]
    confidences += sorted({v.confidence for v in findings if v.confidence and v.confidence not in CONFIDENCES})
    by_confidence = _count_rows([(v.confidence, v.confidence, "", v.severity) for v in findings if v.confidence])
    errors = [(flow_display(r.path, error_flow(r, e)) + _position(e.line, e.column), e.message)
              for r, e in sorted_errors(results)]
    script, style = _asset("report.js"), _asset("report.css")
    csp = (f"default-src 'none'; script-src {_digest(script)}; style-src {_digest(style)}; "
           "img-src 'none'; connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'")
    page = _environment().get_template("report.html.j2").render(
        csp=csp,
        script=script,
        style=style,
        tool_version=tool_version,
        stats=stats,
        severities=SEVERITIES,
        severity_counts={s: sum(1 for v in findings if v.severity == s) for s in SEVERITIES},
        findings=findings,
        by_rule=by_rule,
        by_flow=by_flow,
        by_confidence=by_confidence,
        confidences=confidences,
        solutions=_solutions(results, listings),
        errors=errors,
    )
    return page if page.endswith("\n") else page + "\n"


__all__ = ["Listings", "render_html"]
