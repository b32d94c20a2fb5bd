"""Turning the paths a user gives into flows to check: loose files, folders, solution exports.

Front ends read input through here, so that ``scan``, ``rewrite`` and ``inventory`` accept the
same things and report unreadable input the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .textio import DecodedText, DecodeError, read_flow_file

FLOW_SUFFIXES = (".robin", ".txt", ".pad")


@dataclass(frozen=True, slots=True)
class Unit:
    """One flow to check: a file, or one desktop flow of a solution export."""

    path: str  #: as displayed: the file, or the solution container
    text: str | None  #: None when it could not be read
    error: str | None = None
    flow: str | None = None  #: workflow name inside a solution
    decoded: DecodedText | None = field(default=None, compare=False)
    raw: bytes | None = field(default=None, compare=False, repr=False)
    password_io: frozenset[str] = frozenset()
    workflow_id: str | None = None
    #: input/output names in the solution's Inputs/Outputs JSON (None for a loose file)
    io_names: frozenset[str] | None = None


def _is_solution(path: Path) -> bool:
    try:
        from .solutions import is_solution_path
    except ImportError:  # pragma: no cover - the module ships with pafix
        return False
    return is_solution_path(path)


def expand(paths: Sequence[str]) -> Iterator[Path | tuple[Path, str]]:
    """Files and solution containers under ``paths``, sorted, each once; missing paths are
    yielded as ``(path, error)``."""
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists() and not p.is_symlink():
            yield (p, "no such file or directory")
            continue
        if p.is_dir() and not _is_solution(p):
            found: list[Path] = []
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                rp = Path(root)
                for d in list(dirs):
                    if _is_solution(rp / d):
                        found.append(rp / d)
                        dirs.remove(d)
                for name in sorted(files):
                    fp = rp / name
                    if fp.suffix.lower() in FLOW_SUFFIXES or fp.suffix.lower() == ".zip" or name.lower() == "customizations.xml":
                        found.append(fp)
            for fp in sorted(found):
                key = str(fp.resolve()) if not fp.is_symlink() else str(fp)
                if key not in seen:
                    seen.add(key)
                    yield fp
            continue
        key = str(p.resolve()) if p.exists() else str(p)
        if key not in seen:
            seen.add(key)
            yield p


def read_units(paths: Sequence[str]) -> Iterator[Unit]:
    for item in expand(paths):
        if isinstance(item, tuple):
            yield Unit(str(item[0]), None, item[1])
            continue
        if _is_solution(item):
            yield from _solution_units(item)
            continue
        yield read_file_unit(item)


def read_file_unit(path: Path) -> Unit:
    if path.is_dir():
        return Unit(str(path), None, "is a directory, not a flow file")
    try:
        raw, decoded = read_flow_file(path)
    except DecodeError as exc:
        return Unit(str(path), None, exc.reason if hasattr(exc, "reason") else str(exc))
    except OSError as exc:
        return Unit(str(path), None, f"cannot read: {exc.strerror or exc}")
    return Unit(str(path), decoded.text, None, None, decoded, raw)


def _solution_units(path: Path) -> Iterator[Unit]:
    from .solutions import SolutionError, load_solution

    try:
        solution = load_solution(path)
    except SolutionError as exc:
        yield Unit(str(path), None, str(exc))
        return
    except OSError as exc:
        yield Unit(str(path), None, f"cannot read: {exc.strerror or exc}")
        return
    for flow in solution.flows:
        yield Unit(str(path), flow.script, None, flow.name, password_io=password_vars(flow.inputs, flow.outputs),
                   workflow_id=flow.workflow_id, io_names=schema_names(flow.inputs, flow.outputs))


def _properties(schema: object) -> dict[str, object]:
    if not isinstance(schema, dict):
        return {}
    inner = schema.get("schema", schema)
    props = inner.get("properties", {}) if isinstance(inner, dict) else {}
    return props if isinstance(props, dict) else {}


def password_vars(*schemas: object) -> frozenset[str]:
    """Names declared ``"format": "password"`` in solution Inputs/Outputs JSON."""
    return frozenset(
        str(name) for schema in schemas for name, prop in _properties(schema).items()
        if isinstance(prop, dict) and prop.get("format") == "password"
    )


def schema_names(*schemas: object) -> frozenset[str]:
    """Every input/output variable named in solution Inputs/Outputs JSON."""
    return frozenset(str(name) for schema in schemas for name in _properties(schema))
