"""The human-readable format: one line per finding, its trace, its fix, then a summary."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from pafix.findings import FileResult, Finding, Severity
from pafix.report.results import (
    ScanStats,
    error_flow,
    finding_flow,
    flow_display,
    position as _position,
    sorted_errors,
    sorted_findings,
)

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"
BLUE = "\x1b[34m"

SEVERITY_COLOR: dict[Severity, str] = {"error": RED, "warning": YELLOW, "note": BLUE}

INDENT = "    "

# Bidirectional overrides/isolates/marks ("Trojan Source"): they reorder what a terminal
# shows, so a crafted flow name could make one location look like another.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean(text: str) -> str:
    """Make ``text`` safe to write on one terminal line.

    Paths and flow names come from the scanned files (a solution export names its own
    workflows), so they may hold newlines, ANSI escape sequences or bidi controls that
    would forge output lines or recolour the terminal. Those characters are shown as
    ``\\xNN``/``\\uNNNN`` escapes; everything else is unchanged.
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if ch in _BIDI or unicodedata.category(ch) == "Cc":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(results: Sequence[FileResult], stats: ScanStats) -> str:
    findings = [f for r in results for f in r.findings]
    n_errors = sum(len(r.errors) for r in results)
    if not findings and not n_errors:
        return f"All checks passed ({_plural(stats.files, 'file')})"
    counts = {sev: sum(1 for f in findings if f.severity == sev) for sev in SEVERITY_COLOR}
    line = (
        f"Found {_plural(len(findings), 'finding')} "
        f"({_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
        f"{_plural(counts['note'], 'note')}) in {_plural(stats.files, 'file')}"
    )
    safe = sum(1 for f in findings if f.fix is not None and f.fix.safety == "safe")
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.safety == "unsafe")
    if safe or unsafe:
        line += f"; {safe} fixable with 'pafix rewrite'"
        if unsafe:
            line += f" ({unsafe} more with --unsafe-fixes)"
    if n_errors:
        line += f"; {_plural(n_errors, 'source error')}"
    return line


def _finding_lines(
    result: FileResult, finding: Finding, *, color: bool, show_fixes: bool
) -> list[str]:
    flow = finding_flow(result, finding)
    where = clean(flow_display(result.path, flow)) + _position(finding.line, finding.column) + ":"
    code = finding.rule
    if color:
        where = f"{BOLD}{where}{RESET}"
        code = f"{SEVERITY_COLOR.get(finding.severity, '')}{code}{RESET}"
    # high confidence is the norm and unmarked; medium and low say so after the message
    sure = "" if finding.confidence == "high" else f" [{finding.confidence} confidence]"
    lines = [f"{where} {code} {clean(finding.message)}{sure}"]
    for step in finding.trace:
        pos = f"{step.line}:{step.column}"
        if step.flow is not None and step.flow != flow:
            # the step is in another workflow of the same solution
            pos = clean(flow_display(result.path, step.flow)) + ":" + pos
        text = f"{INDENT}{pos}  {clean(step.message)}"
        lines.append(f"{DIM}{text}{RESET}" if color else text)
    if show_fixes and finding.fix is not None:
        lines.append(f"{INDENT}fix ({finding.fix.safety}): {clean(finding.fix.description)}")
    return lines


def render_text(
    results: Sequence[FileResult],
    stats: ScanStats,
    *,
    color: bool,
    show_fixes: bool = True,
    show_summary: bool = True,
) -> str:
    """Findings (sorted by path, flow, line, column, rule), then source errors, then a summary.

    ANSI colours (bold path, red/yellow/blue rule code by severity, dim trace) are written
    only when ``color`` is true.
    """
    lines: list[str] = []
    for result, finding in sorted_findings(results):
        lines.extend(_finding_lines(result, finding, color=color, show_fixes=show_fixes))
    for result, error in sorted_errors(results):
        where = clean(flow_display(result.path, error_flow(result, error)))
        where += _position(error.line, error.column) + ":"
        label = "error:"
        if color:
            where = f"{BOLD}{where}{RESET}"
            label = f"{BOLD}{RED}{label}{RESET}"
        lines.append(f"{where} {label} {clean(error.message)}")
    if not show_summary:
        return "".join(line + "\n" for line in lines)
    if lines:
        lines.append("")
    total = summary(results, stats)
    lines.append(f"{BOLD}{total}{RESET}" if color else total)
    return "\n".join(lines) + "\n"
