"""``--baseline`` / ``--write-baseline``: where each finding is, for the pure matching in
:mod:`pafix.report.baseline`.

A loose flow's scope is its path relative to the baseline file's folder; a solution flow's is
the solution's unique name (its ``solution.xml``) and the flow's name, so the baseline still
matches after ``pac solution unpack`` or ``pack``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pafix.findings import FileResult, Finding
from pafix.report.results import finding_flow
from pafix.report.baseline import (
    Baseline,
    BaselineError,
    BaselineState,
    Comparison,
    Entry,
    Marks,
    Scope,
    StateKey,
    compare,
    dump_baseline,
    load_baseline,
    make_baseline,
)
from pafix.solutions.manifest import solution_unique_name
from pafix.cli.options import fail


def relative_to(path: str, folder: Path) -> str:
    """``path`` relative to ``folder``, ``/``-separated (absolute when it cannot be)."""
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(folder))
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(path)).as_posix()
    return Path(rel).as_posix()


class Scoper:
    """Scopes relative to one baseline file's folder (solution names read once each)."""

    def __init__(self, baseline_file: str) -> None:
        self.folder = Path(os.path.abspath(baseline_file)).parent
        self._names: dict[str, str | None] = {}

    def scope(self, path: str, flow: str | None) -> Scope:
        if flow is None:
            return Scope(path=relative_to(path, self.folder))
        if path not in self._names:
            self._names[path] = solution_unique_name(path)
        name = self._names[path]
        if name is None:
            return Scope(path=relative_to(path, self.folder), flow=flow)
        return Scope(solution=name, flow=flow)

    def items(self, results: Sequence[FileResult]) -> list[tuple[FileResult, Finding, Scope]]:
        return [(r, f, self.scope(r.path, finding_flow(r, f))) for r in results for f in r.findings]


def read_baseline(path: str) -> Baseline:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not UTF-8 text") from None
    return load_baseline(text, path)


def write_baseline(path: str, results: Sequence[FileResult]) -> int:
    """Record every finding of ``results``; the number of entries written."""
    scoper = Scoper(path)
    baseline = make_baseline((scope, f) for _r, f, scope in scoper.items(results))
    Path(path).write_text(dump_baseline(baseline), encoding="utf-8")
    return len(baseline.entries)


@dataclass(frozen=True, slots=True)
class Applied:
    """A scan's results seen through a baseline."""

    results: list[FileResult]  #: only the new findings (all of them with ``include``)
    comparison: Comparison
    marks: Marks


def apply_baseline(results: Sequence[FileResult], baseline: Baseline, baseline_file: str,
                   *, include: bool = False) -> Applied:
    scoper = Scoper(baseline_file)
    items = scoper.items(results)
    comparison = compare(baseline, [(scope, f) for _r, f, scope in items])
    states: dict[StateKey, BaselineState] = {}
    old: set[tuple[str, str | None, str]] = set()
    for (result, finding, _scope), state in zip(items, comparison.states):
        key = (result.path, finding_flow(result, finding), finding.fingerprint)
        states[key] = state
        if state == "unchanged":
            old.add(key)
    kept = results if include else [
        replace(r, findings=tuple(f for f in r.findings if (r.path, finding_flow(r, f), f.fingerprint) not in old))
        for r in results
    ]
    # where an absent entry would be: the scanned solution with its unique name, or its file
    containers = {scoper.scope(r.path, r.flow or "").solution: r.path for r in results if r.flow is not None}
    absent: list[tuple[Entry, str | None]] = []
    for entry in comparison.absent:
        if entry.scope.solution is not None:
            absent.append((entry, containers.get(entry.scope.solution)))
        else:
            absent.append((entry, str(scoper.folder / (entry.scope.path or ""))))
    return Applied(list(kept), comparison, Marks(states, tuple(absent)))


def keep_for(baseline: Baseline, baseline_file: str, path: str, flow: str | None) -> frozenset[str]:
    """The fingerprints ``rewrite`` must leave alone in one flow."""
    return baseline.fingerprints(Scoper(baseline_file).scope(path, flow))


__all__ = ["Applied", "Scoper", "apply_baseline", "keep_for", "read_baseline", "relative_to", "write_baseline"]


def read_baseline_option(path: str) -> Baseline:
    """The baseline a ``--baseline`` option names; a usage error (exit 2) when it cannot be read."""
    try:
        return read_baseline(path)
    except BaselineError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits
