"""The language server's view of the core: lint an editor buffer, compute "fix all" text.

Nothing here knows about LSP types; :mod:`pafix.lsp.convert` turns the results into them.

* A buffer is parsed with ``recover=True``: the lines that do not parse become
  :class:`~pafix.syntax.nodes.ErrorStmt` nodes (reported as parse errors) and the rest of the flow is
  still checked with :func:`pafix.core.check_flow`, so a typo on one line does not hide the
  findings on the others.
* "Fix all" (``source.fixAll.pafix``, formatting, fix on save) uses ``pafix.fixes.rewrite`` when it
  is installed and the buffer parses; otherwise -- and always for a broken buffer, which the
  rewriter must not touch -- it applies the findings' safe fixes, non-overlapping ones
  together, re-checking between rounds (a few rounds at most).
"""

from __future__ import annotations

import bisect
import gc
import time
from collections.abc import Callable
from types import TracebackType
from dataclasses import dataclass, field
from typing import Any

from pafix.syntax import nodes as n
from pafix.config import DEFAULT, Config
from pafix.core import Checked, check_flow
from pafix.fixes.edits import EditConflict, EditRangeError, apply_edits, merged_edits, select_non_overlapping
from pafix.errors import ParseError
from pafix.findings import Finding, Fix
from pafix.syntax.incremental import Moved, errors_of, reparse_moved
from pafix.syntax.parser import parse

RewriteFn = Callable[..., Any]


def _find_rewriter() -> RewriteFn | None:
    try:  # pafix.fixes.rewrite is optional at import time
        from pafix.fixes.rewrite import rewrite_text as found
    except ImportError:  # pragma: no cover - depends on the checkout
        return None
    return found


#: the rewriter, when ``pafix.fixes.rewrite`` exists (tests may swap it)
rewrite_text: RewriteFn | None = _find_rewriter()

#: rounds of "apply the non-overlapping safe fixes, check again" in the fallback
MAX_FIX_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A run of lines the parser could not read (an ``ErrorStmt``)."""

    start: int
    end: int
    message: str


@dataclass(slots=True)
class LintResult:
    text: str
    path: str
    findings: tuple[Finding, ...] = ()
    parse_errors: tuple[ParseProblem, ...] = ()
    checked: Checked | None = None
    #: how the parser made this buffer's flow from the last one (None: parsed whole)
    moved: Moved | None = None
    #: time spent in the parser and in the checks, seconds
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def broken(self) -> bool:
        return bool(self.parse_errors)


def lint_text(text: str, path: str, config: Config = DEFAULT, previous: n.Flow | None = None,
              reuse: Checked | None = None) -> LintResult:
    """Parse (recovering) and check one buffer. ``previous``, a parse of an earlier text of the
    same buffer, lets the parser redo only the statements the edits touched; ``reuse``, the
    check of an earlier text, lets the analysis keep what it knew of the statements the parser
    kept and the rules the findings of the statements whose text is unchanged
    (:func:`pafix.core.check_flow`: every check here remembers them for the next)."""
    t0 = time.perf_counter()
    moved = None
    try:
        if previous is not None and previous.path == path:
            flow, moved = reparse_moved(previous, text)
        else:
            flow = parse(text, path, recover=True)
    except ParseError as exc:  # pragma: no cover - recover=True is not supposed to raise
        return LintResult(text, path, (), (ParseProblem(exc.offset, exc.end_offset, exc.message),))
    t1 = time.perf_counter()
    problems = tuple(ParseProblem(e.span.start, e.span.end, e.message) for e in errors_of(flow))
    if reuse is not None and reuse.flow.path != path:
        reuse = None
    checked = check_flow(flow, config, reuse=reuse, remember=True, moved=moved)
    t2 = time.perf_counter()
    return LintResult(text, path, checked.findings, problems, checked, moved, {"parse": t1 - t0, "check": t2 - t1})


class CheckCollector:
    """How the server's checks treat the cyclic garbage collector: off while one runs, and
    what the check left alive frozen after it (``gc.freeze``: moved out of the collector's
    sight without being walked); every :attr:`full_every` checks, one full collection of
    everything frozen, in case something did make a cycle.

    Why: a keystroke's check of a 20,000-line flow allocates ~1,000,000 objects that stay
    alive (the moved nodes, the analysis, the findings) and makes no cycles; even with the
    server's thresholds (:data:`pafix.guard.SCAN_GC_THRESHOLDS`) the collector walked them
    two or three times per keystroke, 115-137 ms of ~1,300 (gen-0 passes of 30-95 ms that
    collected nothing), and on 2,000 lines a 84 ms gen-2 pass now and then (a p95 spike).
    Measured: 60 checks in a row leave the frozen set the same size, and a full collection
    after them finds nothing. Not re-entrant across threads: the server checks in one
    worker thread."""

    __slots__ = ("full_every", "checks", "_was_on")

    def __init__(self, full_every: int = 100) -> None:
        self.full_every = full_every
        self.checks = 0
        self._was_on = True

    def __enter__(self) -> None:
        self._was_on = gc.isenabled()
        gc.disable()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.checks += 1
        if self.checks % self.full_every == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
        if self._was_on:
            gc.enable()


def safe_fixes(findings: tuple[Finding, ...]) -> list[Fix]:
    return [f.fix for f in findings if f.fix is not None and f.fix.safety == "safe" and f.fix.edits]


_SENSITIVE_LINE = "@SENSITIVE: ["


def _one_round(text: str, fixes: list[Fix]) -> str:
    """Apply the fixes that can go together. Two fixes that each *create* an ``@SENSITIVE``
    line at one place would give two lines: only the first is taken, the next round adds the
    other names to it."""
    accepted, _deferred = select_non_overlapping(fixes)
    kept: list[Fix] = []
    creating: set[int] = set()
    for fix in accepted:
        creates = {e.start for e in fix.edits if e.start == e.end and e.text.lstrip("\r\n").startswith(_SENSITIVE_LINE)}
        if creates & creating:
            continue
        creating |= creates
        kept.append(fix)
    try:
        return apply_edits(text, merged_edits(kept))
    except (EditConflict, EditRangeError):
        return text


#: the confidence "fix all" acts on (``pafix rewrite``'s default)
FIX_CONFIDENCE = "high"


def first_is_high(first: LintResult) -> bool:
    """Whether a lint result holds only findings "fix all" may act on."""
    return all(f.confidence == "high" for f in first.findings)


def fix_all_fallback(text: str, path: str, config: Config = DEFAULT, first: LintResult | None = None,
                     *, deadline: float | None = None) -> str:
    """The text with the safe fixes of high-confidence findings applied, without the rewriter."""
    config = config.with_min_confidence(FIX_CONFIDENCE)
    result = first if first is not None and first.text == text and first_is_high(first) else lint_text(text, path, config)
    current = text
    for _round in range(MAX_FIX_ROUNDS):
        fixes = safe_fixes(result.findings)
        if not fixes:
            break
        new = _one_round(current, fixes)
        if new == current:
            break
        current = new
        if deadline is not None and time.monotonic() > deadline:
            break
        result = lint_text(current, path, config)
    return current


@dataclass(frozen=True, slots=True)
class FixAll:
    text: str
    #: why nothing was changed (the rewriter's error), if it refused
    error: str | None = None
    via: str = "fallback"


def fix_all(text: str, path: str, config: Config = DEFAULT, first: LintResult | None = None,
            *, deadline: float | None = None) -> FixAll:
    """The buffer with every safe fix of a high-confidence finding applied ("fix all",
    formatting, fix on save): like ``pafix rewrite``, it acts only on certainty."""
    config = config.with_min_confidence(FIX_CONFIDENCE)
    if first is None or first.text != text:
        first = lint_text(text, path, config)
    if rewrite_text is not None and not first.broken:
        try:
            result = rewrite_text(text, path, config, unsafe=False)
        except Exception:  # noqa: BLE001 - a rewriter bug must not cost the user the save
            return FixAll(fix_all_fallback(text, path, config, first, deadline=deadline))
        error = getattr(result, "error", None)
        if error:
            return FixAll(text, str(error), "rewrite")
        return FixAll(result.text if getattr(result, "changed", True) else text, None, "rewrite")
    return FixAll(fix_all_fallback(text, path, config, first, deadline=deadline))


# ---- suppression comments ---------------------------------------------------------------------

_NOT_TARGETS = (n.Comment, n.Annotation, n.ErrorStmt)


class StatementLocator:
    """Finds the innermost statement at an offset in O(log n + depth), for many offsets."""

    def __init__(self, flow: n.Flow) -> None:
        stmts = sorted(
            (s for s in n.walk_statements(flow.body) if not isinstance(s, _NOT_TARGETS)),
            key=lambda s: (s.span.start, -s.span.end),
        )
        self.stmts = stmts
        self.newline = flow.newline  # counts over the whole text: once, not per finding
        self.starts = [s.span.start for s in stmts]
        self.parent: list[int] = []
        stack: list[int] = []
        for i, stmt in enumerate(stmts):
            while stack and stmts[stack[-1]].span.end <= stmt.span.start:
                stack.pop()
            self.parent.append(stack[-1] if stack else -1)
            stack.append(i)

    def at(self, offset: int) -> n.Stmt | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        while i >= 0:
            span = self.stmts[i].span
            if span.start <= offset < max(span.end, span.start + 1):
                return self.stmts[i]
            i = self.parent[i]
        return None


def statement_at(flow: n.Flow, offset: int) -> n.Stmt | None:
    """The innermost statement whose span holds ``offset`` (what a suppression comment on the
    line before it would cover); ``None`` outside every statement."""
    return StatementLocator(flow).at(offset)


def suppression_insert(text: str, flow: n.Flow | None, offset: int, code: str,
                       reason: str = "<reason>", locator: StatementLocator | None = None) -> tuple[int, str]:
    """Where and what to insert to suppress ``code`` for the finding at ``offset``: a
    ``# pafix: ignore[CODE] reason`` line above its statement, with the statement's indentation."""
    if locator is None and flow is not None:
        locator = StatementLocator(flow)
    stmt = locator.at(offset) if locator is not None else None
    anchor = stmt.span.start if stmt is not None else offset
    line_start = text.rfind("\n", 0, anchor) + 1
    cr = text.rfind("\r", 0, anchor) + 1
    line_start = max(line_start, cr)
    indent = ""
    for ch in text[line_start:anchor]:
        if ch not in " \t":
            break
        indent += ch
    newline = locator.newline if locator is not None else ("\r\n" if "\r\n" in text else "\n")
    return line_start, f"{indent}# pafix: ignore[{code}] {reason}{newline}"


__all__ = [
    "CheckCollector", "FixAll", "LintResult", "ParseProblem", "fix_all", "fix_all_fallback", "lint_text", "safe_fixes",
    "StatementLocator", "statement_at", "suppression_insert",
]
