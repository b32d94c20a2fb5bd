"""The desktop flows of one solution export as :class:`~pafix.units.Unit` values, and the
message a front end shows when the export cannot be read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from pafix.guard import debugging, internal_error
from pafix.solutions.model import SolutionError
from pafix.solutions.schema import password_vars, schema_names
from pafix.units import Unit


def solution_units(path: Path) -> Iterator[Unit]:
    """One unit per desktop flow of the export at ``path``, or one unit with ``error`` set."""
    from pafix.solutions import container  # the zip and XML code, only when a solution is read

    try:
        solution = container.load_solution(path)
    except SolutionError as exc:
        yield Unit(str(path), None, solution_error_message(exc, path))
        return
    except OSError as exc:
        yield Unit(str(path), None, f"cannot read: {exc.strerror or exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a bug in pafix: this solution fails, the run goes on
        if debugging():
            raise
        yield Unit(str(path), None, internal_error(exc, "reading", "solution"))
        return
    for flow in solution.flows:
        yield Unit(str(path), flow.script, None, flow.name, password_io=password_vars(flow.inputs, flow.outputs),
                   workflow_id=flow.workflow_id, io_names=schema_names(flow.inputs, flow.outputs))


def solution_error_message(exc: Exception, path: str | os.PathLike[str]) -> str:
    """A :class:`~pafix.solutions.SolutionError` message without the leading ``path: `` (front
    ends print the path first already)."""
    message, prefix = str(exc), f"{os.fspath(path)}: "
    return message[len(prefix):] if message.startswith(prefix) else message
