"""Which container a path is (zip, unpacked folder, bare XML), and loading or writing one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from pafix.solutions.archive import _load_zip, _write_zip
from pafix.solutions.folder import _folder_parts, _load_folder, _load_xml, _write_files
from pafix.solutions.model import (
    MAX_COMPRESSION_RATIO,
    MAX_MEMBER_SIZE,
    MAX_MEMBERS,
    RATIO_MIN_SIZE,
    FlowChange,
    Solution,
    SolutionError,
    _Limits,
)
from pafix.solutions.render import render_changes


def is_solution_path(path: str | os.PathLike[str]) -> bool:
    """A .zip, a solution folder, or a ``customizations.xml`` / ``*.json.data.xml`` file."""
    p = Path(path)
    try:
        if p.is_dir():
            data_files, cust = _folder_parts(p)
            return bool(data_files) or cust is not None
        if p.is_file():
            name = p.name.lower()
            return name.endswith(".zip") or name == "customizations.xml" or name.endswith(".json.data.xml")
    except OSError:
        return False
    return False


def load_solution(
    path: str | os.PathLike[str],
    *,
    max_members: int = MAX_MEMBERS,
    max_member_size: int = MAX_MEMBER_SIZE,
    max_compression_ratio: float = MAX_COMPRESSION_RATIO,
    ratio_min_size: int = RATIO_MIN_SIZE,
) -> Solution:
    """Load the desktop flows of a solution export (zip, unpacked folder or bare XML)."""
    p = os.fspath(path)
    limits = _Limits(max_members, max_member_size, max_compression_ratio, ratio_min_size)
    if os.path.isdir(p):
        return _load_folder(p, limits)
    if not os.path.isfile(p):
        raise SolutionError(f"{p}: no such file or folder")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise SolutionError(f"{p}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if p.lower().endswith(".zip") or magic in (b"PK\x03\x04", b"PK\x05\x06"):
        return _load_zip(os.path.realpath(p), p, limits)
    return _load_xml(p, limits)


def write_solution(
    solution: Solution,
    changes: Mapping[str, FlowChange],
    *,
    verify: Callable[[Solution], None] | None = None,
) -> list[str]:
    """Apply ``changes`` (keyed by WorkflowId) in place; return the names of the changed members.

    Every write is atomic (temp file in the same folder, fsync, same mode, ``os.replace``). A zip
    is rebuilt in a temp file with every other member copied raw (same name, order, compression
    and bytes); the temp archive is re-loaded and passed to ``verify`` (which may raise) before
    it replaces the original. For a folder or bare XML file, the new member texts are parsed
    and passed to ``verify`` before any file is written. When nothing changes, nothing is
    written and ``verify`` is not called.
    """
    rendered = render_changes(solution, changes)
    if not rendered:
        return []
    if solution.kind == "zip":
        _write_zip(solution, rendered, changes, verify)
    else:
        _write_files(solution, rendered, changes, verify)
    return list(rendered)

