"""Rewriting the desktop flows of a solution export in place.

Each flow's script goes through the same verified :func:`pafix.fixes.rewrite.rewrite_text` as a
loose file. Then the solution's ``Inputs``/``Outputs`` JSON is brought in line with the script:
an input/output the rewrite newly marks sensitive gets ``"format": "password"`` and
``"value": null`` when it holds a credential or the author had already marked it in the
script; sensitive data the rewrite marked is left alone in the JSON, with a note (see
:mod:`pafix.solutions.io_edits`, which also says every JSON edit in the diff, the summary and
the audit log). Inputs the unsafe Get credential fix removed leave the JSON too.
:func:`pafix.solutions.write_solution` splices only those element texts back, and the written
archive is re-opened and re-checked before it replaces the original.

A flow that fails (it does not parse, is nested too deep, or meets a bug in pafix: ``internal
error (<type>) while rewriting this flow; please report it``, never the exception's text) is left
as it is; the other flows of the solution are still rewritten.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pafix.syntax import nodes as n
from pafix.fixes.audit import append_audit_record
from pafix.config import Config
from pafix.errors import ParseError
from pafix.guard import NestingTooDeep, debugging, internal_error, public_message
from pafix.syntax.parser import parse
from pafix.fixes.rewrite import rewrite_text
from pafix.solutions.check import analyse_solution
from pafix.solutions.io_edits import IOEdit, allowed_io, audit_entries, describe, render, summary
from pafix.solutions import FlowChange, Solution, SolutionError, load_solution, render_changes, write_solution
from pafix.analysis.model import SolutionContext
from pafix.solutions.units import solution_error_message
from pafix.units import Unit


@dataclass
class SolutionOutcome:
    changed_flows: int = 0
    fixes: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _io_names(flow: n.Flow, kind: str | None = None) -> set[str]:
    return {s.name.name for s in flow.main if isinstance(s, n.IODecl) and (kind is None or s.kind == kind)}


def _sensitive(flow: n.Flow) -> set[str]:
    return {x.name for s in flow.main if isinstance(s, n.Sensitive) for x in s.names}


def plan_change(unit: Unit, new_text: str, credentials: frozenset[str] = frozenset()) -> tuple[FlowChange | None, frozenset[str]]:
    """The change to write for one flow (None when neither script nor JSON must change), and
    the inputs/outputs marked sensitive in the script whose JSON is left alone (sensitive data,
    not credentials: :func:`~pafix.solutions.io_edits.allowed_io`)."""
    old_flow = parse(unit.text or "")
    new_flow = parse(new_text)
    schema = unit.io_names or frozenset()
    wanted = (_sensitive(new_flow) & _io_names(new_flow) & schema) - unit.password_io
    sensitive_io, held = allowed_io(wanted, credentials, frozenset(_sensitive(old_flow)))
    removed = (_io_names(old_flow, "INPUT") - _io_names(new_flow, "INPUT")) & schema
    if new_text == unit.text and not sensitive_io and not removed:
        return None, held
    return FlowChange(new_text, frozenset(sensitive_io), frozenset(removed)), held


def rewrite_solution(
    container: str,
    units: Sequence[Unit],
    config: Config,
    *,
    unsafe: bool,
    write: bool,
    backup: str | None = None,
    audit_log: str | None = None,
    show: Callable[[str, str, str], None] | None = None,
    keep: Mapping[str, frozenset[str]] | None = None,
) -> SolutionOutcome:
    """``keep``: per flow name, the fingerprints of findings to leave alone (a baseline's)."""
    outcome = SolutionOutcome()
    kept = keep or {}
    try:
        solution = load_solution(container)
    except (SolutionError, OSError) as exc:
        outcome.errors.append(solution_error_message(exc, container))
        return outcome
    changes: dict[str, FlowChange] = {}
    io_changes: dict[str, list[IOEdit]] = {}
    by_wid = {f.workflow_id: f for f in solution.flows}
    applied: dict[str, tuple[tuple[str, str | None], ...]] = {}
    names = {f.workflow_id: f.name for f in solution.flows}
    _results, contexts = analyse_solution(list(units), config)
    for index, unit in enumerate(units):
        label = f"{container}!{unit.flow}"
        if unit.text is None or unit.workflow_id is None:
            outcome.errors.append(f"{unit.flow}: {unit.error or 'cannot read'}")
            continue
        try:
            result = rewrite_text(unit.text, label, config, unsafe=unsafe, password_io=unit.password_io,
                                  io_schema=unit.io_names, solution=contexts.get(index),
                                  keep=kept.get(unit.flow or "", frozenset()))
            if result.error is not None:
                outcome.errors.append(f"{unit.flow}: {public_message(result.error)}; this flow is not changed")
                continue
            change, held = plan_change(unit, result.text, result.credentials)
        except ParseError as exc:  # pragma: no cover - rewrite_text verified that it parses
            outcome.errors.append(f"{unit.flow}: {public_message(exc.message)}")
            continue
        except NestingTooDeep as exc:
            outcome.errors.append(f"{unit.flow}: {exc.message}; this flow is not changed")
            continue
        except Exception as exc:  # noqa: BLE001 - a bug in pafix: this flow is not changed, the others go on
            if debugging():
                raise
            outcome.errors.append(f"{unit.flow}: {internal_error(exc, 'rewriting')}")
            continue
        if held:
            outcome.notes.append(
                f"{unit.flow}: {', '.join(sorted(held))} marked sensitive in the script only: not certainly a"
                " credential (sensitive data, or a guess), so its Inputs/Outputs entry and default value are left"
                " as they are"
            )
        if change is None:
            continue
        flow_obj = by_wid.get(unit.workflow_id)
        io = describe(flow_obj.inputs if flow_obj else None, flow_obj.outputs if flow_obj else None,
                      change.sensitive_io, change.removed_inputs)
        io_changes[unit.workflow_id] = io
        changes[unit.workflow_id] = change
        applied[unit.workflow_id] = result.applied
        outcome.changed_flows += 1
        outcome.fixes += len(result.applied) + (1 if change.sensitive_io else 0)
        outcome.notes.extend(f"{unit.flow}: {note}" for note in result.notes)
        outcome.notes.extend(f"{unit.flow}: {note}" for note in summary(io))
        if show is not None and result.changed:
            show(unit.text, result.text, label)
        if show is not None and io:
            before_io, after_io = render(io)
            show(before_io, after_io, f"{label} [Inputs/Outputs]")
    if not write or not changes:
        return outcome
    locked = _read_only(solution, changes)
    if locked:
        same = os.path.realpath(container)
        outcome.errors.extend(("file" if os.path.realpath(path) == same else path) + " is read-only; not changed"
                              for path in locked)
        outcome.changed_flows = outcome.fixes = 0
        return outcome
    if backup:
        _backup(solution, backup, outcome)
        if outcome.errors:
            return outcome
    before = {f.workflow_id: f.script for f in solution.flows}
    try:
        by_id = {u.workflow_id: (u, contexts.get(i)) for i, u in enumerate(units)}
        write_solution(solution, changes, verify=lambda new: _verify(new, changes, config, unsafe, by_id, kept))
    except (SolutionError, OSError) as exc:
        outcome.errors.append(f"not written: {exc}")
        outcome.changed_flows = outcome.fixes = 0
        return outcome
    except Exception as exc:  # noqa: BLE001 - a bug in pafix; write_solution left the original as it was
        if debugging():
            raise
        outcome.errors.append(f"not written: {internal_error(exc, 'writing', 'solution')}")
        outcome.changed_flows = outcome.fixes = 0
        return outcome
    if audit_log is not None:
        for wid, change in changes.items():
            try:
                append_audit_record(
                    audit_log, path=container, before=before[wid].encode("utf-8"),
                    after=change.script.encode("utf-8"), fixes=applied[wid], flow=names.get(wid),
                    io=audit_entries(io_changes.get(wid, [])),
                )
            except (OSError, ValueError) as exc:
                outcome.errors.append(f"written, but the audit log was not appended: {exc}")
    return outcome


def _verify(
    new: Solution, changes: dict[str, FlowChange], config: Config, unsafe: bool,
    units: dict[str | None, tuple[Unit, SolutionContext | None]],
    keep: Mapping[str, frozenset[str]],
) -> None:
    """The re-opened solution must hold exactly the new scripts, and they must be stable."""
    flows = {f.workflow_id: f for f in new.flows}
    for wid, change in changes.items():
        flow = flows.get(wid)
        if flow is None or flow.script != change.script:
            raise SolutionError(f"verification failed: workflow {wid} does not read back as written")
        unit, ctx = units[wid]
        again = rewrite_text(flow.script, wid, config, unsafe=unsafe, password_io=unit.password_io | change.sensitive_io,
                             io_schema=unit.io_names, solution=ctx, keep=keep.get(unit.flow or "", frozenset()))
        if again.error is not None or again.changed:
            raise SolutionError(f"verification failed: workflow {wid} would still change ({again.error or 'not stable'})")


def _read_only(solution: Solution, changes: dict[str, FlowChange]) -> list[str]:
    """The files ``write_solution`` would replace that are read-only, refused as
    :func:`pafix.fixes.safewrite.atomic_write` refuses a loose flow: no write bit for anyone (root
    too), or not writable for us. (A rename needs only the folder to be writable.)"""
    if solution.kind == "zip":
        targets = [solution._file or os.path.realpath(solution.path)]
    else:
        rendered = render_changes(solution, changes)
        targets = [m.file for m in solution._members if m.name in rendered and m.file]
    locked = []
    for target in targets:
        try:
            mode = os.stat(target).st_mode
        except OSError:
            continue  # write_solution says what is wrong with it
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
            locked.append(target)
    return locked


def _backup(solution: Solution, suffix: str, outcome: SolutionOutcome) -> None:
    src = Path(solution.path)
    if src.is_dir():
        outcome.notes.append("--backup is not supported for an unpacked folder; use version control")
        return
    dest = src.with_name(src.name + suffix)
    tmp = dest.with_name("." + dest.name + ".pafix-tmp")
    try:
        shutil.copy2(src, tmp)
        tmp.replace(dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        outcome.errors.append(f"backup failed, nothing written: {exc}")
