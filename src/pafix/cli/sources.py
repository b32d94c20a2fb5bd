"""Turning the paths a user gives into flows to check: loose files, folders, solution exports.

Front ends read input through here, so that ``scan``, ``rewrite`` and ``inventory`` accept the
same things and report unreadable input the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from pafix.guard import debugging, internal_error
from pafix.syntax.textio import DecodeError, read_flow_file
from pafix.units import Unit

FLOW_SUFFIXES = (".robin", ".txt", ".pad")
#: a PATH naming a Dataverse environment: its desktop flows are read over the Web API
DATAVERSE_SCHEME = "dataverse://"


def is_dataverse(raw: str) -> bool:
    return raw[: len(DATAVERSE_SCHEME)].lower() == DATAVERSE_SCHEME


def dataverse_units(raw: str) -> Iterator[Unit]:
    """The desktop flows of the environment ``dataverse://HOST``, read-only, signed in as
    ``PAFIX_DATAVERSE_AUTH`` says (default: azure-identity's default chain); one unit with
    ``error`` set when the environment cannot be read."""
    from pafix.access.auth import AUTH_ENV, connect
    from pafix.access.dataverse import DataverseError
    from pafix.access.flows import flow_units

    try:
        with connect(raw, os.environ.get(AUTH_ENV, "default").strip() or "default") as client:
            units = list(flow_units(client))
    except DataverseError as exc:
        yield Unit(raw, None, str(exc))
        return
    yield from units


#: what an unpacked solution folder holds at its top (see ``pafix.solutions.folder._folder_parts``,
#: compared without case): a folder with none of them is not one
_SOLUTION_ENTRIES = frozenset({"workflows", "customizations.xml", "other"})


def _is_solution(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(FLOW_SUFFIXES) and path.is_file():
        return False  # the usual case, answered without importing the solutions module
    if path.is_dir() and not path.is_symlink():
        try:
            if not any(entry.lower() in _SOLUTION_ENTRIES for entry in os.listdir(path)):
                return False  # a plain folder of flows: no need for the solutions module either
        except OSError:
            pass  # is_solution_path decides (and the walk reports what cannot be read)
    try:
        from pafix.solutions.container import is_solution_path
    except ImportError:  # pragma: no cover - the module ships with pafix
        return False
    return is_solution_path(path)


def _reason(exc: BaseException) -> str:
    """Why a path cannot be used, without the exception's full text."""
    if isinstance(exc, RuntimeError):  # Path.resolve() on a symlink loop (Python 3.11)
        return "symbolic link loop"
    if isinstance(exc, ValueError):  # e.g. an embedded NUL character
        return "invalid path"
    if isinstance(exc, OSError):
        return str(exc.strerror or type(exc).__name__)
    return type(exc).__name__


def _key(path: Path, *, follow: bool, real_dirs: dict[str, str] | None = None) -> str:
    """The identity of a file for de-duplication: its resolved path (``follow``: even through a
    symlink), else the path as given (a symlink inside a folder, a loop, no permission).
    ``real_dirs`` caches resolved folders: a file found in a folder walk (not a symlink) is
    its folder's resolved path plus its name, without resolving every path component again."""
    try:
        if follow and not path.exists() or not follow and path.is_symlink():
            return str(path)
        if follow or real_dirs is None:
            return str(path.resolve())
        folder = str(path.parent)
        real = real_dirs.get(folder)
        if real is None:
            real = real_dirs[folder] = str(path.parent.resolve())
        return os.path.join(real, path.name)
    except (OSError, RuntimeError, ValueError):
        return str(path)


def expand(paths: Sequence[str]) -> Iterator[Path | tuple[Path, str]]:
    """Files and solution containers under ``paths``, sorted, each once; paths that are missing or
    cannot be listed (a folder without permission, a symlink loop) are yielded as
    ``(path, error)``. Symlinks to folders are not followed inside a folder (no loops); a folder
    whose name looks like a flow (``x.robin/``) is a folder."""
    seen: set[str] = set()
    real_dirs: dict[str, str] = {}
    for raw in paths:
        if is_dataverse(raw):
            continue  # not a file: read_units / tasks_of_paths read it over the Web API
        p = Path(raw)
        try:
            items = list(_expand_one(p))
        except (OSError, RuntimeError, ValueError) as exc:
            items = [(p, f"cannot read: {_reason(exc)}")]
        for item in items:
            if isinstance(item, tuple):
                yield item
                continue
            key = _key(item, follow=item is p, real_dirs=real_dirs)
            if key not in seen:
                seen.add(key)
                yield item


def _expand_one(p: Path) -> list[Path | tuple[Path, str]]:
    if not p.exists() and not p.is_symlink():
        return [(p, "no such file or directory")]
    if not p.is_dir() or _is_solution(p):
        return [p]
    found: list[Path | tuple[Path, str]] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else p
        found.append((where, f"cannot read folder: {_reason(exc)}"))

    for root, dirs, files in os.walk(p, onerror=unreadable, followlinks=False):
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
    return sorted(found, key=lambda item: item[0] if isinstance(item, tuple) else item)


def read_units(paths: Sequence[str]) -> Iterator[Unit]:
    for item in expand(paths):
        if isinstance(item, tuple):
            yield Unit(str(item[0]), None, item[1])
            continue
        if _is_solution(item):
            from pafix.solutions.units import solution_units  # (a scan of flow files does not read exports)

            yield from solution_units(item)
            continue
        yield read_file_unit(item)
    for raw in paths:
        if is_dataverse(raw):
            yield from dataverse_units(raw)


def read_file_unit(path: Path) -> Unit:
    """One loose flow file, read and decoded; a unit with ``error`` set when it cannot be (the
    error names no byte of the file)."""
    try:
        if path.is_dir():
            return Unit(str(path), None, "is a directory, not a flow file")
        raw, decoded = read_flow_file(path)
    except DecodeError as exc:
        return Unit(str(path), None, exc.reason)
    except OSError as exc:
        return Unit(str(path), None, f"cannot read: {_reason(exc)}")
    except Exception as exc:  # noqa: BLE001 - a bug in pafix: this file fails, the run goes on
        if debugging():
            raise
        return Unit(str(path), None, internal_error(exc, "reading", "file"))
    return Unit(str(path), decoded.text, None, None, decoded, raw)
