"""Where pafix keeps what it can rebuild: scan results (:mod:`pafix.cli.cache`), the parser's
tables when the shipped ones do not fit (:mod:`pafix.syntax.tables`), the parsed data files
(:func:`pafix.packaged.load_toml`).

``$PAFIX_CACHE_DIR``, else ``$XDG_CACHE_HOME/pafix``, else ``~/.cache/pafix``; without a home
folder (a bare CI or service account), a folder of the user's in the temporary directory.
Safe to delete at any time; pafix works the same without it (only slower to start).

:func:`seal` and :func:`unseal` are the format of the start-up caches (the parser's tables,
the parsed data files): a header line (what the file is, the key of what it was built from,
the SHA-256 of the rest), then ``marshal`` data, compressed. ``marshal`` reads back plain
values only (dicts, lists, strings, numbers) and runs no code, unlike ``pickle``; a file
whose key or checksum is not the expected one is not read at all.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    env = os.environ.get("PAFIX_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "pafix"
    try:
        return Path.home() / ".cache" / "pafix"
    except (RuntimeError, KeyError):  # no home folder (a bare CI or service account)
        return Path(tempfile.gettempdir()) / f"pafix-cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def seal(kind: bytes, key: str, data: Any) -> bytes:
    """``data`` (plain values) as a sealed file of ``kind`` (one word) built from ``key``."""
    body = zlib.compress(marshal.dumps(data), 9)
    return b"%s %s %s\n" % (kind, key.encode("ascii"), hashlib.sha256(body).hexdigest().encode("ascii")) + body


def unseal(blob: bytes, kind: bytes, key: str) -> object | None:
    """The data of a sealed file of ``kind`` and ``key``; ``None`` for anything else (another
    kind or key, a truncated or altered file, one that does not decode)."""
    header, _, body = blob.partition(b"\n")
    parts = header.split(b" ")
    if len(parts) != 3 or parts[0] != kind or parts[1] != key.encode("ascii"):
        return None
    if hashlib.sha256(body).hexdigest().encode("ascii") != parts[2]:
        return None
    try:
        data: object = marshal.loads(zlib.decompress(body))
        return data
    except (ValueError, EOFError, TypeError, zlib.error):
        return None


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_atomic(path: Path, blob: bytes) -> bool:
    """Write ``blob`` at ``path`` atomically (a temporary file, then a rename), the folder made
    private to the user if it is new. ``False`` when it cannot be written (a read-only home)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


__all__ = ["default_cache_dir", "read_bytes", "seal", "unseal", "write_atomic"]
