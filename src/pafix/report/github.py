"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` per item.

Escaping follows ``@actions/core`` (``escapeData``/``escapeProperty`` in actions/toolkit),
which is also what the runner un-escapes: this keeps a message or a crafted path from
ending the command early or starting a new one on a line of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from pafix.findings import FileResult, Finding, Severity
from pafix.report.results import error_flow, finding_flow, sorted_errors, sorted_findings

COMMAND: dict[Severity, str] = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, properties: list[tuple[str, str]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{name} {props}::{escape_data(message)}"


def _position(line: int, column: int, end_line: int = 0, end_column: int = 0) -> list[tuple[str, str]]:
    """The position properties GitHub accepts; unknown (0) positions are left out."""
    props: list[tuple[str, str]] = []
    if line >= 1:
        props.append(("line", str(line)))
        if column >= 1:
            props.append(("col", str(column)))
        if end_line >= line:
            props.append(("endLine", str(end_line)))
            if end_column >= 1:
                props.append(("endColumn", str(end_column)))
    return props


def _finding_message(finding: Finding, flow: str | None) -> str:
    message = finding.message if finding.confidence == "high" else f"{finding.message} [{finding.confidence} confidence]"
    lines = [message if flow is None else f"[{flow}] {message}"]
    for step in finding.trace:
        where = f"{step.line}:{step.column}"
        if step.flow is not None and step.flow != flow:
            where = f"[{step.flow}] {where}"
        lines.append(f"  {where}  {step.message}")
    if finding.fix is not None:
        lines.append(f"fix ({finding.fix.safety}): {finding.fix.description}")
    return "\n".join(lines)


def render_github(results: Sequence[FileResult]) -> str:
    """Findings (sorted like the text format), then source errors; ``""`` when there are none.

    A multi-line message (the trace, the fix) is kept as one command: newlines are escaped
    and the runner shows them in the annotation. Findings inside a solution workflow are
    annotated on the solution file, with the workflow name in brackets before the message.
    """
    commands: list[str] = []
    for result, finding in sorted_findings(results):
        props = [("file", result.path)]
        props += _position(finding.line, finding.column, finding.end_line, finding.end_column)
        props.append(("title", f"{finding.rule} {finding.name}"))
        message = _finding_message(finding, finding_flow(result, finding))
        commands.append(_command(COMMAND.get(finding.severity, "warning"), props, message))
    for result, error in sorted_errors(results):
        props = [("file", result.path), *_position(error.line, error.column)]
        props.append(("title", "pafix could not read this flow"))
        flow = error_flow(result, error)
        message = error.message if flow is None else f"[{flow}] {error.message}"
        commands.append(_command("error", props, message))
    return "".join(command + "\n" for command in commands)
