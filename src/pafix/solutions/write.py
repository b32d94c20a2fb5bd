"""Writing files safely: atomic replacement (temp file beside the target, fsync, same mode and
owner, a check before the rename) and the read-back check every rewritten container must pass
(the same flows, with exactly the new scripts).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from typing import IO

from pafix.fixes.safewrite import fsync_dir
from pafix.solutions.model import FlowChange, Solution, SolutionError, _norm_id


def _atomic_replace(
    target: str,
    produce: Callable[[IO[bytes]], None],
    check: Callable[[str], None] | None = None,
) -> None:
    """Write a temp file next to ``target``, fsync, keep the mode, check it, then os.replace."""
    folder = os.path.dirname(target) or "."
    st = os.stat(target)
    base = os.path.basename(target)
    suffix = ".pafix-tmp" + (".zip" if base.lower().endswith(".zip") else "")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            produce(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            tst = os.stat(tmp)
            if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                with contextlib.suppress(OSError):
                    os.chown(tmp, st.st_uid, st.st_gid)
        if check is not None:
            check(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def _writer(data: bytes) -> Callable[[IO[bytes]], None]:
    def produce(fh: IO[bytes]) -> None:
        fh.write(data)

    return produce


def _self_check(old: Solution, new: Solution, changes: Mapping[str, FlowChange], where: str) -> None:
    """The rewritten container yields the same flows, with the new scripts."""
    wanted = {_norm_id(k): v.script for k, v in changes.items()}
    old_ids = [f.workflow_id for f in old.flows]
    new_ids = [f.workflow_id for f in new.flows]
    if old_ids != new_ids:
        raise SolutionError(f"{where}: the rewritten solution lists different desktop flows; not written")
    for before, after in zip(old.flows, new.flows):
        expected = wanted.get(before.workflow_id, before.script)
        if after.script != expected:
            raise SolutionError(
                f"{where}: workflow {after.name!r}: the rewritten script does not read back; not written"
            )

