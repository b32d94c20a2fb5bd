"""The solution's own name: ``<SolutionManifest><UniqueName>`` in ``solution.xml``.

A packed export has ``solution.xml`` at the zip root; ``pac solution unpack`` writes
``Other/Solution.xml``. The unique name is what stays the same when a solution moves between a
zip and an unpacked folder, so the baseline keys solution flows by it (not by file path).

Read-only and small: the file is read with a size limit, refused when it declares a DTD (no
entity can then be expanded), and parsed with the standard library's XML parser.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from pafix.solutions.folder import _child_ci

#: the largest solution.xml read (the real ones are a few kB)
MAX_MANIFEST_SIZE = 4 * 1024 * 1024


def _unique_name(data: bytes) -> str | None:
    head = data[:MAX_MANIFEST_SIZE]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        return None
    try:
        root = ElementTree.fromstring(head)
    except ElementTree.ParseError:
        return None
    node = root.find("./SolutionManifest/UniqueName")
    text = (node.text or "").strip() if node is not None else ""
    return text or None


def _read_small(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_MANIFEST_SIZE:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _from_zip(path: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.casefold() == "solution.xml" and info.file_size <= MAX_MANIFEST_SIZE:
                    return zf.read(info)
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, NotImplementedError):
        return None
    return None


def _candidates(container: Path) -> list[Path]:
    """Where ``solution.xml`` may be for a folder, or for a bare XML file inside one."""
    folders = [container] if container.is_dir() else [container.parent, container.parent.parent]
    found: list[Path] = []
    for folder in folders:
        for sub in (folder, folder / "Other", folder / "other"):
            hit = _child_ci(sub, "solution.xml") if sub.is_dir() else None
            hit = hit if hit is not None and hit.is_file() else None
            if hit is not None and hit not in found:
                found.append(hit)
    return found


def solution_unique_name(container: str) -> str | None:
    """The unique name of the solution at ``container`` (a zip, an unpacked folder, or a
    ``customizations.xml`` / ``*.json.data.xml`` inside one), or None when it has no readable
    manifest."""
    path = Path(container)
    if path.is_file() and zipfile.is_zipfile(path):
        data = _from_zip(path)
        return _unique_name(data) if data is not None else None
    for candidate in _candidates(path):
        data = _read_small(candidate)
        name = _unique_name(data) if data is not None else None
        if name:
            return name
    return None


__all__ = ["MAX_MANIFEST_SIZE", "solution_unique_name"]
