"""Replace a file's content atomically, or leave it exactly as it was.

Modelled on sqlfluff's ``_safe_create_replace_file``. :func:`atomic_write`:

1. resolves symlinks and writes *through* them: the link stays a link and its target gets
   the new content (the target's folder holds the temporary file);
2. refuses read-only files (no write bit for anyone in the mode -- this also holds for
   root, who ``os.access`` always lets write -- or not writable for us) without touching
   them; it never ``chmod``s the original;
3. if ``expected_sha256`` is given, refuses when the file's current bytes hash otherwise
   (someone changed it since pafix read it), both before starting and again just before
   the rename;
4. if ``backup_suffix`` is given, first writes the current bytes to ``path + suffix``
   (next to the name the caller gave, also atomically, with the original's mode),
   overwriting an older backup of that name;
5. writes the new bytes to ``.pafix-*.tmp`` in the same folder, flushes and fsyncs it,
   gives it the original's permission bits (and owner and group, where allowed), checks
   it reads back as ``data``, then ``os.replace``-s it over the original and fsyncs the
   folder.

On any failure the temporary file is removed and the original is untouched; ``OSError``
is reported as :class:`WriteError`, other exceptions propagate unchanged.

Limits: the re-check and the rename are two steps, so a writer that slips in between them
is not detected (no locking is portable across editors). ``os.replace`` gives the file a
new inode: other hard links keep the old content, and extended attributes/ACLs other than
the mode bits are not copied.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable

__all__ = ["WriteError", "atomic_write", "fsync_dir", "sha256_hex"]

#: Test hook: called with the temporary file's path after it is written, fsynced and
#: given its mode, just before the on-disk check and the rename. Raise to simulate a crash.
_before_replace: Callable[[str], None] | None = None

TEMP_PREFIX = ".pafix-"
TEMP_SUFFIX = ".tmp"


class WriteError(Exception):
    """The file was not written; the original is intact. The message says why."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _check_unchanged(shown: str, real: str, expected_sha256: str | None) -> bytes:
    """The file's current bytes, after checking they still hash to ``expected_sha256``."""
    try:
        current = _read(real)
    except FileNotFoundError:
        raise WriteError(f"{shown} no longer exists; not written") from None
    if expected_sha256 is not None and sha256_hex(current) != expected_sha256.lower():
        raise WriteError(f"{shown} changed on disk since it was read; not overwritten")
    return current


def fsync_dir(folder: str) -> None:
    """Make the rename durable; not every platform can open a folder, so best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _replace_with(
    target: str, data: bytes, st: os.stat_result, *, last_check: Callable[[], None] | None
) -> None:
    """Write ``data`` to a temp file beside ``target`` and rename it over ``target``."""
    folder = os.path.dirname(target) or "."
    try:
        tmp = tempfile.NamedTemporaryFile(
            dir=folder, delete=False, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX
        )
    except OSError as exc:
        raise WriteError(
            f"cannot create a temporary file in {folder}: {exc.strerror or exc}; "
            f"{target} not changed"
        ) from exc
    tmp_path = tmp.name
    try:
        with tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_path, stat.S_IMODE(st.st_mode))
        tst = os.stat(tmp_path)
        if (st.st_uid, st.st_gid) != (tst.st_uid, tst.st_gid):
            with contextlib.suppress(OSError, AttributeError):
                os.chown(tmp_path, st.st_uid, st.st_gid)
                os.chmod(tmp_path, stat.S_IMODE(st.st_mode))  # chown may clear set-id bits
        if _read(tmp_path) != data:
            raise WriteError(f"the temporary file for {target} did not read back; not changed")
        hook = _before_replace
        if hook is not None:
            hook(tmp_path)
        if last_check is not None:
            last_check()
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write {target}: {exc}; not changed") from exc
        raise
    fsync_dir(folder)


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    expected_sha256: str | None = None,
    backup_suffix: str | None = None,
) -> None:
    """Replace the content of the existing regular file ``path`` with ``data``, atomically.

    See the module docstring for the steps and guarantees. Raises :class:`WriteError`
    (original intact) when the file is missing, not a regular file, read-only, changed
    on disk since it was read (``expected_sha256`` is the hex SHA-256 of the bytes that
    were read), or cannot be written.
    """
    shown = os.fspath(path)
    if backup_suffix is not None and (not backup_suffix or os.sep in backup_suffix):
        raise ValueError(f"invalid backup suffix {backup_suffix!r}")
    real = os.path.realpath(shown)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise WriteError(f"{shown} does not exist; not written") from None
    except OSError as exc:
        raise WriteError(f"cannot stat {shown}: {exc}; not written") from exc
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(f"{shown} is not a regular file; not changed")
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        real, os.W_OK
    ):
        raise WriteError(f"{shown} is read-only; not changed")

    try:
        original = _check_unchanged(shown, real, expected_sha256)
    except OSError as exc:
        raise WriteError(f"cannot read {shown}: {exc}; not changed") from exc

    if backup_suffix is not None:
        # beside the name the caller gave; an existing backup (or a symlink of that name)
        # is replaced, never written through
        backup = os.path.abspath(shown + backup_suffix)
        try:
            bst = os.lstat(backup)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise WriteError(f"cannot stat backup {backup}: {exc}; not changed") from exc
        else:
            if not (stat.S_ISREG(bst.st_mode) or stat.S_ISLNK(bst.st_mode)):
                raise WriteError(f"backup {backup} exists and is not a regular file; not changed")
        _replace_with(backup, original, st, last_check=None)

    def last_check() -> None:
        _check_unchanged(shown, real, expected_sha256)

    _replace_with(real, data, st, last_check=last_check)
