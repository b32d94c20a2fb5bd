"""Unpacked solution folders (``Workflows/*.json.data.xml``, ``Other/Customizations.xml`` or
``customizations.xml``) and bare ``customizations.xml`` / ``*.json.data.xml`` files: finding the
members, reading them (never outside the folder), and writing changed members back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from pafix.solutions.customizations import Reader, _assemble
from pafix.solutions.guards import _read_file_limited
from pafix.solutions.model import FlowChange, Solution, SolutionError, _Limits
from pafix.solutions.write import _atomic_replace, _self_check, _writer


def _child_ci(folder: Path, name: str) -> Path | None:
    exact = folder / name
    if exact.exists():
        return exact
    try:
        for entry in os.scandir(folder):
            if entry.name.casefold() == name.casefold():
                return folder / entry.name
    except OSError:
        return None
    return None


def _folder_parts(root: Path) -> tuple[list[Path], Path | None]:
    data_files: list[Path] = []
    wdir = _child_ci(root, "Workflows")
    if wdir is not None and wdir.is_dir():
        data_files = sorted(
            (wdir / e.name for e in os.scandir(wdir) if e.name.lower().endswith(".json.data.xml") and e.is_file()),
            key=lambda p: p.name,
        )
    cust = _child_ci(root, "customizations.xml")
    if cust is None or not cust.is_file():
        other = _child_ci(root, "Other")
        cust = _child_ci(other, "customizations.xml") if other is not None and other.is_dir() else None
        if cust is not None and not cust.is_file():
            cust = None
    return data_files, cust


def _inside(real_root: str, path: Path, where: str) -> str:
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise SolutionError(f"{where}: resolves outside the solution folder; refusing to read it")
    return real


def _load_folder(path: str, limits: _Limits) -> Solution:
    root = Path(path)
    real_root = os.path.realpath(root)
    data_files, cust = _folder_parts(root)
    if not data_files and cust is None:
        raise SolutionError(
            f"{path}: not a solution folder (no Workflows/*.json.data.xml or customizations.xml)"
        )
    files = ([cust] if cust is not None else []) + data_files
    if len(files) > limits.max_members:
        raise SolutionError(f"{path}: too many files ({len(files)}, the limit is {limits.max_members})")
    raws: list[tuple[str, bytes, str | None]] = []
    for f in files:
        rel = f.relative_to(root).as_posix()
        where = f"{path}: {rel}"
        real = _inside(real_root, f, where)
        raws.append((rel, _read_file_limited(real, where, limits), real))
    return _assemble(path, "folder", raws, _folder_reader(path, limits), limits)


def _folder_reader(path: str, limits: _Limits) -> Reader:
    """Reads ``<JsonFileName>`` files (v1 packages) inside a solution folder."""
    root = Path(path)
    real_root = os.path.realpath(root)

    def reader(rel: str) -> bytes | None:
        candidate = root / rel
        if not candidate.is_file():
            return None
        where = f"{path}: {rel}"
        return _read_file_limited(_inside(real_root, candidate, where), where, limits)

    return reader


def _xml_reader(path: str, limits: _Limits) -> Reader:
    """Reads ``<JsonFileName>`` files next to a bare XML file (its folder or the one above)."""
    here = Path(os.path.realpath(path)).parent

    def reader(rel: str) -> bytes | None:
        for candidate in (here / rel, here.parent / rel, here / Path(rel).name):
            if candidate.is_file():
                return _read_file_limited(str(candidate), str(candidate), limits)
        return None

    return reader


def _load_xml(path: str, limits: _Limits) -> Solution:
    real = os.path.realpath(path)
    raw = _read_file_limited(real, path, limits)
    return _assemble(path, "xml", [(os.path.basename(path), raw, real)], _xml_reader(path, limits), limits)


def _write_files(
    solution: Solution,
    rendered: dict[str, bytes],
    changes: Mapping[str, FlowChange],
    verify: Callable[[Solution], None] | None,
) -> None:
    members = {m.name: m for m in solution._members}
    raws = [(m.name, rendered.get(m.name, m.raw), m.file) for m in solution._members]

    if solution.kind == "folder":
        reader = _folder_reader(solution.path, solution._limits)
    else:
        reader = _xml_reader(solution.path, solution._limits)
    new = _assemble(solution.path, solution.kind, raws, reader, solution._limits)
    _self_check(solution, new, changes, solution.path)
    if verify is not None:
        verify(new)
    for name in rendered:
        member = members[name]
        assert member.file is not None
        current = _read_file_limited(member.file, f"{solution.path}: {name}", solution._limits)
        if current != member.raw:
            raise SolutionError(f"{solution.path}: {name}: the file changed on disk since it was loaded; reload it")
    for name, data in rendered.items():
        target = members[name].file
        assert target is not None
        _atomic_replace(target, _writer(data))

