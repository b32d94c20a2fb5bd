"""The pure core of ``pafix rewrite``: apply fixes to a flow's text until none is left.

:func:`rewrite_text` reads and writes nothing. Each pass parses the text, checks it with
:func:`pafix.core.check_flow` and applies the fixes the findings offer:

* every "mark sensitive" fix of the pass is merged into one
  :func:`~pafix.fixes.mark_sensitive.mark_sensitive_edit` call, so that two variables of one scope end
  up in one ``@SENSITIVE`` line instead of two new ones;
* the other fixes go through :func:`~pafix.fixes.edits.select_non_overlapping`; the ones left out
  are found again, on the new text, by the next pass. While such fixes are applied, the mark
  fixes wait for the next pass too: those fixes may remove or rename the very variables
  (the Get credential fix removes an input and its ``@SENSITIVE`` entry).

Every pass is verified (``changed_outside`` must be false); the loop stops when a pass finds
nothing to apply -- that pass re-parsed and re-checked the result with the same settings, so
the result parses and ``rewrite_text(result) == result`` -- or gives up after
:data:`MAX_PASSES`. Whatever goes wrong, the result is the original text with ``error`` set:
a caller never writes a half-verified rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass

from pafix.analysis.model import FlowModel
from pafix.config import Config
from pafix.analysis.model import SolutionContext
from pafix.core import Checked, check_flow
from pafix.fixes.edits import EditConflict, EditRangeError, apply_edits, changed_outside, merged_edits, select_non_overlapping
from pafix.errors import ParseError
from pafix.findings import Edit, Finding, Fix
from pafix.syntax.parser import parse
from pafix.fixes.mark_sensitive import mark_sensitive_edit

#: passes that may apply fixes; a flow that still offers fixes after them "did not converge"
MAX_PASSES = 10


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """What :func:`rewrite_text` did. When ``error`` is set, ``text`` is the original."""

    text: str
    changed: bool
    #: ``(rule, variable)`` of every applied fix, in the order they were applied
    applied: tuple[tuple[str, str | None], ...]
    #: why nothing may be written (parse error, failed verification, no convergence)
    error: str | None = None
    #: passes that applied fixes
    passes: int = 0
    #: descriptions of the applied unsafe fixes (what the user must still do); names only
    notes: tuple[str, ...] = ()
    #: variables marked sensitive because they certainly hold a credential (a high-confidence
    #: credential finding; not sensitive data, not a guess):
    #: the solution rewrite sets ``"format": "password"`` only on those (and on what the
    #: author already marked)
    credentials: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Pass:
    edits: list[Edit]
    applied: list[tuple[str, str | None]]
    notes: list[str]
    credentials: frozenset[str] = frozenset()


def rewrite_text(
    text: str,
    path: str,
    config: Config,
    *,
    unsafe: bool = False,
    password_io: frozenset[str] = frozenset(),
    io_schema: frozenset[str] | None = None,
    solution: SolutionContext | None = None,
    keep: frozenset[str] = frozenset(),
) -> RewriteResult:
    """Apply the safe fixes (and the unsafe ones when ``unsafe``) to ``text`` until none is
    left. ``path`` is only used in messages. ``io_schema`` and ``solution`` describe the flow's
    place in a solution export, as for :func:`pafix.core.check_flow`. Findings whose
    fingerprint is in ``keep`` (a baseline's) are left alone."""

    def fail(message: str) -> RewriteResult:
        return RewriteResult(text, False, (), message)

    current = text
    applied: list[tuple[str, str | None]] = []
    notes: list[str] = []
    credentials: set[str] = set()
    for number in range(MAX_PASSES + 1):
        try:
            flow = parse(current, path)
        except ParseError as exc:
            where = f"line {exc.line}, column {exc.column}"
            if number == 0:
                return fail(f"cannot parse ({where}: {exc.message}); not rewritten")
            return fail(f"a fix produced text that does not parse ({where}: {exc.message}); not rewritten")
        checked = check_flow(flow, config, password_io=password_io, io_schema=io_schema, solution=solution)
        step = _plan(checked, unsafe, keep)
        if step is None:
            return RewriteResult(current, current != text, tuple(applied), None, number, tuple(notes),
                                 frozenset(credentials))
        if number == MAX_PASSES:
            break
        try:
            new = apply_edits(current, step.edits)
        except (EditConflict, EditRangeError) as exc:
            return fail(f"fixes conflict ({exc}); not rewritten")
        if changed_outside(current, new, step.edits):
            return fail("verification failed: text changed outside the fixes' edits; not rewritten")
        if new == current:
            return fail("did not converge: a fix changed nothing; not rewritten")
        applied.extend(step.applied)
        credentials |= step.credentials
        notes.extend(x for x in step.notes if x not in notes)
        current = new
    return fail(f"did not converge after {MAX_PASSES} passes; not rewritten")


def _plan(checked: Checked, unsafe: bool, keep: frozenset[str] = frozenset()) -> _Pass | None:
    """The edits of one pass, or ``None`` when no finding (outside ``keep``) offers an
    applicable fix."""
    marks: list[tuple[Finding, str]] = []
    others: list[tuple[Finding, Fix]] = []
    for finding in checked.findings:
        fix = finding.fix
        if fix is None or not fix.edits or finding.fingerprint in keep:
            continue
        if fix.safety != "safe" and not (unsafe and fix.safety == "unsafe"):
            continue
        key = mark_key(checked.model, finding, fix)
        if key is not None and _leaves_io_alone(checked.model, finding, key):
            continue
        if key is not None:
            marks.append((finding, key))
        else:
            others.append((finding, fix))
    if others:
        accepted, _deferred = select_non_overlapping([fix for _, fix in others])
        chosen = {id(fix) for fix in accepted}
        used = [(f, fix) for f, fix in others if id(fix) in chosen]
        return _Pass(
            merged_edits(accepted),
            [(f.rule, f.variable) for f, _ in used],
            [fix.description for _, fix in used if fix.safety == "unsafe"],
        )
    if marks:
        keys = list(dict.fromkeys(key for _, key in marks))
        edits = mark_sensitive_edit(checked.model, keys)
        if edits:
            # a certain credential only: medium/low ones are marked in the script, not in a
            # solution's Inputs/Outputs (see pafix.solutions.io_edits)
            creds = frozenset(key for f, key in marks if f.kind == "credential" and f.confidence == "high")
            return _Pass(edits, list(dict.fromkeys((f.rule, f.variable) for f, _ in marks)), [], creds)
    return None


def _leaves_io_alone(model: FlowModel, finding: Finding, key: str) -> bool:
    """In a solution, an input/output is marked sensitive only for a certain credential (a
    high-confidence credential finding) or when the solution's JSON already says
    ``"format": "password"``: marking it would also set that format, and drop its default
    value, in the solution (:mod:`pafix.solutions.io_edits`). Sensitive data and guesses stay
    reported, for the author to decide."""
    if model.io_schema is None or key not in model.io_schema:
        return False
    var = model.inputs.get(key) or model.outputs.get(key)
    if var is None or var.password_format:
        return False
    return not (finding.kind == "credential" and finding.confidence == "high")


def mark_key(model: FlowModel, finding: Finding, fix: Fix) -> str | None:
    """The variable key when ``fix`` is exactly the "mark sensitive" fix of one variable.

    Recognised by what the fix does, not by its rule or wording: its edits must equal
    ``mark_sensitive_edit(model, [key])`` for the finding's variable as a global or as a
    local of the finding's subflow.
    """
    var = finding.variable
    if var is None or fix.safety != "safe":
        return None
    candidates = [var]
    if finding.subflow != "Main":
        candidates.append(f"{finding.subflow}::{var}")
    for key in candidates:
        if tuple(mark_sensitive_edit(model, [key])) == fix.edits:
            return key
    return None


__all__ = ["MAX_PASSES", "RewriteResult", "mark_key", "rewrite_text"]
