"""Packed solution ``.zip`` files: loading the ``customizations.xml`` member, and rewriting the
archive with only the changed members' data replaced.

The rewrite copies every other member raw (same name, order, compression and bytes) and keeps
each local header's extra fields (the real exports' members are deflated, flag bits 2
"maximum", with a 0xA220 padding extra field). A zip that changed on disk since it was loaded
is not overwritten.
"""

from __future__ import annotations

import bz2
import dataclasses
import hashlib
import mmap
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import IO

from pafix.solutions.customizations import _assemble
from pafix.solutions.guards import _CHUNK, _check_zip_infos, _read_zip_member
from pafix.solutions.model import FlowChange, Solution, SolutionError, _Limits
from pafix.solutions.write import _atomic_replace, _self_check


def _find_info(infos: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    norm = name.replace("\\", "/")
    for info in infos:
        if info.filename.replace("\\", "/") == norm:
            return info
    for info in infos:
        if info.filename.replace("\\", "/").casefold() == norm.casefold():
            return info
    return None


def _load_zip(real_file: str, display: str, limits: _Limits) -> Solution:
    digest = hashlib.sha256()
    try:
        with open(real_file, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
            fh.seek(0)
            try:
                zf = zipfile.ZipFile(fh)
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
                raise SolutionError(f"{display}: not a valid zip archive ({exc})") from None
            with zf:
                infos = _check_zip_infos(zf, display, limits)
                info = _find_info(infos, "customizations.xml")
                if info is None:
                    raise SolutionError(f"{display}: no customizations.xml at the root of the zip")
                raw = _read_zip_member(zf, info, display, limits)

                def reader(name: str) -> bytes | None:
                    found = _find_info(infos, name)
                    return None if found is None else _read_zip_member(zf, found, display, limits)

                return _assemble(
                    display,
                    "zip",
                    [(info.filename, raw, None)],
                    reader,
                    limits,
                    digest=digest.digest(),
                    real_file=real_file,
                )
    except OSError as exc:
        raise SolutionError(f"{display}: cannot read ({exc.strerror or type(exc).__name__})") from None


_EOCD = struct.Struct("<4s4H2LH")

_CDH = struct.Struct("<4s4B4HL2L5H2L")

_LFH = struct.Struct("<4s2B4HL2L2H")

_DEFLATE_LEVELS = {0: 6, 1: 9, 2: 1, 3: 1}


def _has_zip64_extra(extra: bytes) -> bool:
    i = 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid == 0x0001:
            return True
        i += 4 + size
    return False


def _compress(data: bytes, method: int, flags: int, where: str) -> bytes:
    if method == zipfile.ZIP_STORED:
        return data
    if method == zipfile.ZIP_DEFLATED:
        c = zlib.compressobj(_DEFLATE_LEVELS[(flags >> 1) & 3], zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if method == zipfile.ZIP_BZIP2:
        return bz2.compress(data)
    raise SolutionError(f"{where}: cannot rewrite a member with compression method {method}")


def _rewrite_zip(src: bytes | mmap.mmap, dst: IO[bytes], replacements: Mapping[str, bytes], where: str) -> None:
    """Copy the archive, raw, replacing the data of the named members."""
    size = len(src)
    eocd = src.rfind(b"PK\x05\x06", max(0, size - 22 - 0xFFFF))
    if eocd < 0 or eocd + 22 > size:
        raise SolutionError(f"{where}: corrupt zip (no end of central directory)")
    _sig, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, _clen = _EOCD.unpack_from(src, eocd)
    if disk or cd_disk or n_disk != n_total:
        raise SolutionError(f"{where}: multi-disk archives are not supported")
    if (
        n_total == 0xFFFF
        or 0xFFFFFFFF in (cd_size, cd_offset)
        or (eocd >= 20 and src[eocd - 20 : eocd - 16] == b"PK\x06\x07")
    ):
        raise SolutionError(f"{where}: ZIP64 archives are not supported for rewriting")
    if eocd - cd_size != cd_offset:
        raise SolutionError(f"{where}: the archive has data before it; not supported for rewriting")

    entries: list[tuple[bytearray, str, int, int, int]] = []  # central entry, name, offset, local end, flags
    pos = cd_offset
    for _ in range(n_total):
        if src[pos : pos + 4] != b"PK\x01\x02":
            raise SolutionError(f"{where}: corrupt zip (bad central directory)")
        fields = _CDH.unpack_from(src, pos)
        flags, csize, usize, nlen, xlen, clen, offset = (
            fields[5], fields[10], fields[11], fields[12], fields[13], fields[14], fields[18]
        )
        entry = bytearray(src[pos : pos + 46 + nlen + xlen + clen])
        name_bytes = bytes(entry[46 : 46 + nlen])
        name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437")
        if 0xFFFFFFFF in (csize, usize, offset):
            raise SolutionError(f"{where}: ZIP64 members are not supported for rewriting")
        if src[offset : offset + 4] != b"PK\x03\x04":
            raise SolutionError(f"{where}: corrupt zip (bad local header for {name!r})")
        lfields = _LFH.unpack_from(src, offset)
        lnlen, lxlen = lfields[10], lfields[11]
        if bytes(src[offset + 30 : offset + 30 + lnlen]) != name_bytes:
            raise SolutionError(f"{where}: corrupt zip (local and central names differ for {name!r})")
        data_end = offset + 30 + lnlen + lxlen + csize
        if flags & 0x08:
            data_end += 16 if src[data_end : data_end + 4] == b"PK\x07\x08" else 12
        if data_end > cd_offset:
            raise SolutionError(f"{where}: corrupt zip (member {name!r} runs into the directory)")
        entries.append((entry, name, offset, data_end, flags))
        pos += len(entry)
    cd_rest = bytes(src[pos : cd_offset + cd_size])
    spans = sorted((e[2], e[3]) for e in entries)
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:]):
        if e1 > s2:
            raise SolutionError(f"{where}: corrupt zip (overlapping members)")
    missing = set(replacements) - {e[1] for e in entries}
    if missing:
        raise SolutionError(f"{where}: no member named {sorted(missing)[0]!r}")

    out_pos = spans[0][0] if spans else cd_offset
    dst.write(src[0:out_pos])  # anything before the first member (absolute offsets kept)
    new_cd: list[bytes] = []
    for entry, name, offset, data_end, flags in entries:
        new_offset = out_pos
        if new_offset > 0xFFFFFFFF:
            raise SolutionError(f"{where}: the rewritten archive would need ZIP64")
        if name in replacements:
            lfields = _LFH.unpack_from(src, offset)
            lnlen, lxlen = lfields[10], lfields[11]
            lname = bytes(src[offset + 30 : offset + 30 + lnlen])
            lextra = bytes(src[offset + 30 + lnlen : offset + 30 + lnlen + lxlen])
            if flags & 0x01:
                raise SolutionError(f"{where}: cannot rewrite encrypted member {name!r}")
            if _has_zip64_extra(lextra) or _has_zip64_extra(bytes(entry[46 + len(lname) :])):
                raise SolutionError(f"{where}: cannot rewrite ZIP64 member {name!r}")
            data = replacements[name]
            method = lfields[4]
            comp = _compress(data, method, flags, where)
            crc = zlib.crc32(data) & 0xFFFFFFFF
            if len(comp) > 0xFFFFFFFF or len(data) > 0xFFFFFFFF:
                raise SolutionError(f"{where}: the rewritten member would need ZIP64")
            new_flags = flags & ~0x08
            header = _LFH.pack(
                b"PK\x03\x04", lfields[1], lfields[2], new_flags, method, lfields[5], lfields[6],
                crc, len(comp), len(data), lnlen, lxlen,
            )
            dst.write(header + lname + lextra)
            dst.write(comp)
            out_pos += len(header) + lnlen + lxlen + len(comp)
            struct.pack_into("<H", entry, 8, new_flags)
            struct.pack_into("<3L", entry, 16, crc, len(comp), len(data))
        else:
            for chunk_start in range(offset, data_end, _CHUNK):
                dst.write(src[chunk_start : min(chunk_start + _CHUNK, data_end)])
            out_pos += data_end - offset
        struct.pack_into("<L", entry, 42, new_offset)
        new_cd.append(bytes(entry))
    cd_bytes = b"".join(new_cd) + cd_rest
    if out_pos > 0xFFFFFFFF:
        raise SolutionError(f"{where}: the rewritten archive would need ZIP64")
    tail = bytearray(src[eocd:])
    struct.pack_into("<2L", tail, 12, len(cd_bytes), out_pos)
    dst.write(cd_bytes)
    dst.write(bytes(tail))


def _write_zip(
    solution: Solution,
    rendered: dict[str, bytes],
    changes: Mapping[str, FlowChange],
    verify: Callable[[Solution], None] | None,
) -> None:
    target = solution._file or os.path.realpath(solution.path)
    where = solution.path
    if not os.path.isfile(target):
        raise SolutionError(f"{where}: no such file")

    def produce(fh: IO[bytes]) -> None:
        with open(target, "rb") as src:
            if os.fstat(src.fileno()).st_size == 0:
                raise SolutionError(f"{where}: the file is empty")
            with mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                digest = hashlib.sha256()
                for i in range(0, len(mm), _CHUNK):
                    digest.update(mm[i : i + _CHUNK])
                if solution._digest and digest.digest() != solution._digest:
                    raise SolutionError(f"{where}: the file changed on disk since it was loaded; reload it")
                _rewrite_zip(mm, fh, rendered, where)

    def check(tmp: str) -> None:
        try:
            with zipfile.ZipFile(tmp) as new_zf, zipfile.ZipFile(target) as old_zf:
                old_infos, new_infos = old_zf.infolist(), new_zf.infolist()
                if [(i.filename, i.compress_type) for i in old_infos] != [
                    (i.filename, i.compress_type) for i in new_infos
                ] or old_zf.comment != new_zf.comment:
                    raise SolutionError(f"{where}: the rewritten archive lists different members; not written")
                for name, data in rendered.items():
                    if new_zf.read(name) != data:
                        raise SolutionError(f"{where}: {name}: the rewritten member does not read back; not written")
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise SolutionError(f"{where}: the rewritten archive is unreadable ({exc}); not written") from None
        new = _load_zip(tmp, solution.path, solution._limits)
        _self_check(solution, new, changes, where)
        new = dataclasses.replace(new, _file=target)
        if verify is not None:
            verify(new)

    _atomic_replace(target, produce, check)

