"""Which loose files are unchanged since the last scan, told by ``stat`` alone (the warm cache).

A warm re-scan of an unchanged fleet spent a third of its time reading and hashing every flow
to find its cache key (1,022,405 lines, 170 MB: 0.35 s of 1.25 s). Like git's index, this
records per path the file's ``stat`` (size, mtime, ctime, inode, device) next to the key its
bytes gave, and takes the key without reading the file when the ``stat`` is the same.

A file written again within one timestamp tick of the read may keep its mtime (git's "racily
clean" entries); ctime cannot be set back by a program, but some file systems store times in
2-second steps. So an entry is trusted only when the file's mtime and ctime are more than
:data:`RACY_NS` older than the moment its bytes were read; a younger one is read and hashed
every time, as without the index.

One index per scan setting (the key of the scan, see :func:`pafix.cli.cache.scan_key`), a JSON
file in the cache folder, written atomically when it changed. It holds paths and hashes, never
a byte of a flow; deleting it only makes the next warm scan read the files again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable

#: how much older than its reading a file's mtime/ctime must be for its entry to be trusted
RACY_NS = 3_000_000_000

#: (size, mtime_ns, ctime_ns, inode, device)
Stat = tuple[int, int, int, int, int]


def stat_of(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class StatIndex:
    """``path -> (stat, when its bytes were read, key)`` for one scan setting."""

    def __init__(self, root: str, scan: str, write: Callable[[str, bytes], bool]) -> None:
        """``write(file, data)``: the cache's atomic write (``False`` when it could not)."""
        self.file = os.path.join(root, f"stat-{hashlib.sha256(scan.encode()).hexdigest()[:24]}.json")
        self._write = write
        self._entries: dict[str, list[object]] | None = None
        self._changed = False

    def _load(self) -> dict[str, list[object]]:
        if self._entries is None:
            try:
                with open(self.file, "rb") as f:
                    doc = json.load(f)
                entries = doc["entries"] if isinstance(doc, dict) else None
                self._entries = entries if isinstance(entries, dict) else {}
            except (OSError, ValueError, KeyError):
                self._entries = {}  # none yet, or unreadable: rewritten at the end
        return self._entries

    def key(self, path: str, st: Stat | None) -> str | None:
        """The key recorded for ``path`` when its ``stat`` is ``st`` and the entry is not racy."""
        if st is None:
            return None
        entry = self._load().get(path)
        if not (isinstance(entry, list) and len(entry) == 7):
            return None
        *recorded, read_ns, key = entry
        if recorded != list(st) or not isinstance(read_ns, int) or not isinstance(key, str):
            return None
        return key if trusted(st, read_ns) else None

    def record(self, path: str, st: Stat | None, read_ns: int, key: str) -> None:
        """Note the key of ``path``'s bytes, read at ``read_ns`` when its ``stat`` was ``st``
        (taken before the read: a write during the read changes it, and the next scan reads)."""
        if st is None:
            return
        entries = self._load()
        entry: list[object] = [*st, read_ns, key]
        if entries.get(path) != entry:
            entries[path] = entry
            self._changed = True

    def save(self) -> None:
        """Write the index if it changed (a folder that cannot be written is left as it is,
        like the cache entries)."""
        if not self._changed or self._entries is None:
            return
        data = json.dumps({"entries": self._entries}, separators=(",", ":")).encode("utf-8", "surrogatepass")
        if self._write(self.file, data):
            self._changed = False


def trusted(st: Stat, read_ns: int) -> bool:
    """Whether a file with ``st`` cannot have changed unseen since it was read at ``read_ns``:
    its last write (mtime) and last change (ctime) are well before the read."""
    return max(st[1], st[2]) < read_ns - RACY_NS


def now_ns() -> int:
    return time.time_ns()
