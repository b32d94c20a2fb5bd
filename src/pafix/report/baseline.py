"""Baselines: today's findings recorded by fingerprint, so that a scan reports only new ones.

Pure: no file is read here. The front end says where each finding is (its :class:`Scope`) and
hands over the text of a baseline file; this module builds, serialises, parses and compares.

The file (``pafix-baseline.json``) is versioned JSON, written sorted with a final newline so
that it diffs well and two runs on the same flows write the same bytes::

    {
      "version": 1,
      "tool": "pafix",
      "findings": [
        {"path": "flows/login.robin", "rule": "PAF101", "fingerprint": "3f0c…", "subflow": "Main", "variable": "Conn"},
        {"solution": "PADFramework", "flow": "EmailSender", "rule": "PAF102", "fingerprint": "9ab1…", ...}
      ]
    }

A finding is identified by its scope and its fingerprint. The scope of a loose flow is its path
relative to the baseline file's folder (``/``-separated); the scope of a flow inside a solution
is the solution's unique name plus the flow's name, so the entry survives the solution moving
between a zip and an unpacked folder (a solution without a readable manifest falls back to its
path plus the flow name). Fingerprints hash the rule, the subflow, the variable and the
finding's statement with string contents masked (see :func:`pafix.rules.base.fingerprint`): no
line number, no secret value; ``rule``, ``subflow`` and ``variable`` are there for people
reading the file and are not used for matching.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pafix.findings import Finding

BASELINE_VERSION = 1

BaselineState = Literal["new", "unchanged", "absent"]


class BaselineError(ValueError):
    """A baseline file that cannot be used (the message names the file, never a value)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a finding is: a loose file (``path``), or a flow of a solution (``solution`` +
    ``flow``; ``path`` + ``flow`` when the solution has no readable unique name)."""

    solution: str | None = None
    path: str | None = None
    flow: str | None = None

    def as_json(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.solution is not None:
            out["solution"] = self.solution
        if self.path is not None:
            out["path"] = self.path
        if self.flow is not None:
            out["flow"] = self.flow
        return out

    def sort_key(self) -> tuple[bool, str, str, str]:
        """Loose files first, then solutions; by name."""
        return (self.solution is not None, self.solution or "", self.path or "", self.flow or "")

    def display(self) -> str:
        where = self.solution if self.solution is not None else (self.path or "")
        return where if self.flow is None else f"{where}!{self.flow}"


@dataclass(frozen=True, slots=True)
class Entry:
    scope: Scope
    fingerprint: str
    rule: str
    subflow: str = "Main"
    variable: str | None = None

    def sort_key(self) -> tuple[tuple[bool, str, str, str], str]:
        return (self.scope.sort_key(), self.fingerprint)

    @property
    def key(self) -> tuple[Scope, str]:
        return (self.scope, self.fingerprint)

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = self.scope.as_json()
        item.update(rule=self.rule, fingerprint=self.fingerprint, subflow=self.subflow)
        if self.variable is not None:
            item["variable"] = self.variable
        return item


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[Entry, ...] = ()

    def keys(self) -> frozenset[tuple[Scope, str]]:
        return frozenset(e.key for e in self.entries)

    def fingerprints(self, scope: Scope) -> frozenset[str]:
        """The fingerprints recorded for one scope (what ``rewrite`` leaves alone there)."""
        return frozenset(e.fingerprint for e in self.entries if e.scope == scope)


def entry_of(scope: Scope, finding: Finding) -> Entry:
    return Entry(scope, finding.fingerprint, finding.rule, finding.subflow, finding.variable)


def make_baseline(items: Iterable[tuple[Scope, Finding]]) -> Baseline:
    """A baseline of these findings, each key once, sorted."""
    unique = {entry_of(scope, f).key: entry_of(scope, f) for scope, f in items if f.fingerprint}
    return Baseline(tuple(sorted(unique.values(), key=Entry.sort_key)))


def dump_baseline(baseline: Baseline) -> str:
    document = {
        "version": BASELINE_VERSION,
        "tool": "pafix",
        "findings": [e.as_json() for e in sorted(baseline.entries, key=Entry.sort_key)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _text(item: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise BaselineError(f"{where}: '{key}' must be a non-empty string")
    return value


def load_baseline(text: str, where: str) -> Baseline:
    """Parse a baseline file's text; ``where`` names it in errors."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{where}: not JSON ({type(exc).__name__} at line {getattr(exc, 'lineno', '?')})") from None
    if not isinstance(document, dict) or document.get("tool") != "pafix":
        raise BaselineError(f"{where}: not a pafix baseline")
    version = document.get("version")
    if version != BASELINE_VERSION:
        raise BaselineError(f"{where}: unsupported baseline version {version!r} (this pafix reads {BASELINE_VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{where}: 'findings' must be a list")
    entries: list[Entry] = []
    for number, item in enumerate(findings, 1):
        at = f"{where}: finding {number}"
        if not isinstance(item, dict):
            raise BaselineError(f"{at}: must be an object")
        scope = Scope(_text(item, "solution", at, optional=True), _text(item, "path", at, optional=True),
                      _text(item, "flow", at, optional=True))
        if scope.solution is None and scope.path is None:
            raise BaselineError(f"{at}: needs 'path' or 'solution'")
        if scope.solution is not None and scope.flow is None:
            raise BaselineError(f"{at}: a 'solution' entry needs 'flow'")
        entries.append(Entry(scope, _text(item, "fingerprint", at) or "", _text(item, "rule", at) or "",
                             _text(item, "subflow", at, optional=True) or "Main",
                             _text(item, "variable", at, optional=True)))
    return Baseline(tuple(sorted(entries, key=Entry.sort_key)))


@dataclass(frozen=True, slots=True)
class Comparison:
    """Each current finding's state (``new`` or ``unchanged``, in the order given) and the
    baseline entries no longer found."""

    states: tuple[BaselineState, ...]
    absent: tuple[Entry, ...]

    @property
    def new(self) -> int:
        return sum(1 for s in self.states if s == "new")

    @property
    def unchanged(self) -> int:
        return sum(1 for s in self.states if s == "unchanged")


def compare(baseline: Baseline, items: Sequence[tuple[Scope, Finding]]) -> Comparison:
    known = baseline.keys()
    seen = {(scope, f.fingerprint) for scope, f in items}
    states: tuple[BaselineState, ...] = tuple(
        "unchanged" if (scope, f.fingerprint) in known else "new" for scope, f in items
    )
    absent = tuple(e for e in baseline.entries if e.key not in seen)
    return Comparison(states, absent)


#: (path, flow, fingerprint) of a finding as reported -> its baseline state
StateKey = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class Marks:
    """What a renderer needs to mark results (SARIF ``baselineState``): the state of each
    reported finding, and each absent entry with the path it belongs to (None when it is not
    among the scanned paths)."""

    states: Mapping[StateKey, BaselineState] = field(default_factory=dict)
    absent: Sequence[tuple[Entry, str | None]] = ()


__all__ = [
    "BASELINE_VERSION",
    "Marks",
    "StateKey",
    "Baseline",
    "BaselineError",
    "BaselineState",
    "Comparison",
    "Entry",
    "Scope",
    "compare",
    "dump_baseline",
    "entry_of",
    "load_baseline",
    "make_baseline",
]
