"""Guards against hostile input: member names that climb out of the container, too many members,
oversized members, zip bombs (compression ratio), overlapping members, and bounded reads of a
zip member or a file. Nothing is ever extracted to disk.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib

from pafix.solutions.model import SolutionError, _Limits

_CHUNK = 1 << 20

_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_member_name(name: str, where: str) -> None:
    """Reject names that are absolute or climb out of the archive root."""
    shown = repr(name[:200])
    if not name or "\x00" in name:
        raise SolutionError(f"{where}: invalid member name {shown}")
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm):
        raise SolutionError(f"{where}: member name {shown} is an absolute path")
    if ".." in norm.split("/"):
        raise SolutionError(f"{where}: member name {shown} contains a path traversal ('..')")


def _read_file_limited(path: str, where: str, limits: _Limits) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > limits.max_member_size:
            raise SolutionError(
                f"{where}: file is {size} bytes, larger than the limit of {limits.max_member_size}"
            )
        with open(path, "rb") as fh:
            data = fh.read(limits.max_member_size + 1)
    except OSError as exc:
        raise SolutionError(f"{where}: cannot read ({exc.strerror or type(exc).__name__})") from exc
    if len(data) > limits.max_member_size:
        raise SolutionError(f"{where}: file is larger than the limit of {limits.max_member_size}")
    return data


def _check_zip_infos(zf: zipfile.ZipFile, where: str, limits: _Limits) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise SolutionError(
            f"{where}: too many members ({len(infos)}, the limit is {limits.max_members})"
        )
    seen: set[str] = set()
    for info in infos:
        _check_member_name(info.filename, where)
        key = info.filename.replace("\\", "/").casefold()
        if key in seen:
            raise SolutionError(f"{where}: duplicate member name {info.filename!r}")
        seen.add(key)
        if info.file_size > limits.max_member_size:
            raise SolutionError(
                f"{where}: member {info.filename!r} is {info.file_size} bytes uncompressed, "
                f"larger than the limit of {limits.max_member_size}"
            )
        if info.file_size > limits.ratio_min_size:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise SolutionError(
                    f"{where}: member {info.filename!r} has a compression ratio of {ratio:.0f}:1 "
                    f"(limit {limits.max_ratio:.0f}:1); refusing a possible zip bomb"
                )
    # a lower bound of each member's extent (header without name and extra, plus data)
    spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size) for i in infos)
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:]):
        if e1 > s2:
            raise SolutionError(f"{where}: corrupt zip (overlapping members)")
    return infos


def _read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: _Limits) -> bytes:
    if info.file_size > limits.max_member_size:
        raise SolutionError(f"{where}: member {info.filename!r} is larger than the limit")
    buf = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if len(buf) > limits.max_member_size or len(buf) > info.file_size:
                    raise SolutionError(
                        f"{where}: member {info.filename!r} decompresses to more than "
                        f"{min(limits.max_member_size, info.file_size)} bytes"
                    )
    except SolutionError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise SolutionError(
            f"{where}: member {info.filename!r} is corrupt or unreadable ({type(exc).__name__}: {exc})"
        ) from None
    return bytes(buf)

