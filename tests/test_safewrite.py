"""atomic_write and the audit log (both are the "write side" of a rewrite)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import pafix
from pafix.fixes import safewrite
from pafix.fixes.audit import append_audit_record
from pafix.fixes.safewrite import WriteError, atomic_write

ORIGINAL = b"\xef\xbb\xbfSET Password TO $'''hunter2'''\r\n"
NEW = b"\xef\xbb\xbfSET Password TO %Input%\r\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    p = tmp_path / "Main.robin"
    p.write_bytes(ORIGINAL)
    p.chmod(0o640)
    return p


@pytest.fixture(autouse=True)
def _no_hook() -> Iterator[None]:
    yield
    safewrite._before_replace = None


def leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith(".pafix-"))


def test_writes_and_keeps_permissions(flow: Path) -> None:
    atomic_write(flow, NEW, expected_sha256=sha(ORIGINAL))
    assert flow.read_bytes() == NEW
    assert stat.S_IMODE(flow.stat().st_mode) == 0o640
    assert leftovers(flow.parent) == []


def test_keeps_unusual_permission_bits(flow: Path) -> None:
    flow.chmod(0o604)
    atomic_write(flow, NEW)
    assert stat.S_IMODE(flow.stat().st_mode) == 0o604


def test_str_path_and_no_expected_hash(flow: Path) -> None:
    atomic_write(str(flow), NEW)
    assert flow.read_bytes() == NEW


def test_backup(flow: Path) -> None:
    atomic_write(flow, NEW, expected_sha256=sha(ORIGINAL), backup_suffix=".bak")
    backup = flow.with_name(flow.name + ".bak")
    assert backup.read_bytes() == ORIGINAL
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640
    assert flow.read_bytes() == NEW
    assert leftovers(flow.parent) == []
    # a second run replaces the backup with the then-current content
    atomic_write(flow, b"third", backup_suffix=".bak")
    assert backup.read_bytes() == NEW


def test_backup_over_a_symlink_replaces_the_link(flow: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    backup = flow.with_name(flow.name + ".bak")
    backup.symlink_to(victim)
    atomic_write(flow, NEW, backup_suffix=".bak")
    assert victim.read_bytes() == b"keep me"
    assert not backup.is_symlink()
    assert backup.read_bytes() == ORIGINAL


def test_bad_backup_suffix(flow: Path) -> None:
    for bad in ("", "/x"):
        with pytest.raises(ValueError):
            atomic_write(flow, NEW, backup_suffix=bad)
    assert flow.read_bytes() == ORIGINAL


def test_refuses_when_changed_on_disk(flow: Path) -> None:
    stale = sha(b"what pafix read earlier")
    with pytest.raises(WriteError, match="changed on disk since it was read; not overwritten"):
        atomic_write(flow, NEW, expected_sha256=stale, backup_suffix=".bak")
    assert flow.read_bytes() == ORIGINAL
    assert not flow.with_name(flow.name + ".bak").exists()
    assert leftovers(flow.parent) == []


def test_refuses_when_changed_while_writing(flow: Path) -> None:
    def someone_edits(tmp: str) -> None:
        assert os.path.exists(tmp)
        flow.write_bytes(b"edited by a human")

    safewrite._before_replace = someone_edits
    with pytest.raises(WriteError, match="changed on disk"):
        atomic_write(flow, NEW, expected_sha256=sha(ORIGINAL))
    assert flow.read_bytes() == b"edited by a human"
    assert leftovers(flow.parent) == []


def test_refuses_when_deleted_while_writing(flow: Path) -> None:
    safewrite._before_replace = lambda tmp: flow.unlink()
    with pytest.raises(WriteError, match="no longer exists"):
        atomic_write(flow, NEW, expected_sha256=sha(ORIGINAL))
    assert not flow.exists()
    assert leftovers(flow.parent) == []


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000, 0o550])
def test_refuses_read_only(flow: Path, mode: int) -> None:
    flow.chmod(mode)
    try:
        with pytest.raises(WriteError, match="is read-only; not changed"):
            atomic_write(flow, NEW, backup_suffix=".bak")
        assert stat.S_IMODE(flow.stat().st_mode) == mode  # never chmod-ed
        assert leftovers(flow.parent) == []
        assert not flow.with_name(flow.name + ".bak").exists()
    finally:
        flow.chmod(0o600)
    assert flow.read_bytes() == ORIGINAL


def test_refuses_missing_and_non_regular(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="does not exist"):
        atomic_write(tmp_path / "nope.robin", NEW)
    assert not (tmp_path / "nope.robin").exists()
    with pytest.raises(WriteError, match="not a regular file"):
        atomic_write(tmp_path, NEW)


class Boom(RuntimeError):
    pass


@pytest.mark.parametrize("crash_on", ["flow", "backup"])
def test_injected_failure_leaves_original_and_no_temp(flow: Path, crash_on: str) -> None:
    seen: list[str] = []

    def crash(tmp: str) -> None:
        seen.append(tmp)
        assert Path(tmp).parent == flow.parent
        assert Path(tmp).name.startswith(".pafix-")
        content = Path(tmp).read_bytes()
        if (crash_on == "flow" and content == NEW) or crash_on == "backup":
            raise Boom("disk on fire")

    safewrite._before_replace = crash
    with pytest.raises(Boom):
        atomic_write(flow, NEW, expected_sha256=sha(ORIGINAL), backup_suffix=".bak")
    # the backup's temp file comes first, then the flow's
    assert len(seen) == (2 if crash_on == "flow" else 1)
    assert flow.read_bytes() == ORIGINAL
    assert stat.S_IMODE(flow.stat().st_mode) == 0o640
    assert leftovers(flow.parent) == []
    assert not any(Path(t).exists() for t in seen)
    backup = flow.with_name(flow.name + ".bak")
    if crash_on == "flow":
        assert backup.read_bytes() == ORIGINAL  # a finished backup is a harmless copy
    else:
        assert not backup.exists()


def test_injected_failure_without_backup(flow: Path) -> None:
    def crash(tmp: str) -> None:
        raise KeyboardInterrupt

    safewrite._before_replace = crash
    with pytest.raises(KeyboardInterrupt):
        atomic_write(flow, NEW)
    assert flow.read_bytes() == ORIGINAL
    assert leftovers(flow.parent) == []


def test_failing_replace_is_a_write_error(flow: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WriteError, match="No space left on device.*not changed"):
        atomic_write(flow, NEW)
    monkeypatch.undo()
    assert flow.read_bytes() == ORIGINAL
    assert leftovers(flow.parent) == []


def test_failing_write_is_a_write_error(flow: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(WriteError, match="Input/output error"):
        atomic_write(flow, NEW)
    monkeypatch.undo()
    assert flow.read_bytes() == ORIGINAL
    assert leftovers(flow.parent) == []


def test_unwritable_folder(flow: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_temp(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_temp)
    with pytest.raises(WriteError, match="cannot create a temporary file"):
        atomic_write(flow, NEW)
    monkeypatch.undo()
    assert flow.read_bytes() == ORIGINAL


def test_symlink_is_written_through(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "Main.robin"
    target.write_bytes(ORIGINAL)
    target.chmod(0o600)
    link = tmp_path / "link.robin"
    link.symlink_to(target)
    atomic_write(link, NEW, expected_sha256=sha(ORIGINAL))
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(real_dir) == [] and leftovers(tmp_path) == []


# ---- audit log ----------------------------------------------------------------------


def test_audit_record(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    append_audit_record(
        log,
        path="flows/Main.robin",
        before=ORIGINAL,
        after=NEW,
        fixes=[("PAF101", "Password"), ("PAF201", None)],
        flow="Invoice run",
    )
    append_audit_record(log, path="b.robin", before=b"", after=b"x", fixes=[])
    raw = log.read_bytes()
    assert b"hunter2" not in raw
    lines = raw.decode().splitlines()
    assert len(lines) == 2 and raw.endswith(b"\n")
    rec = json.loads(lines[0])
    assert rec == {
        "time": rec["time"],
        "path": "flows/Main.robin",
        "flow": "Invoice run",
        "sha256_before": sha(ORIGINAL),
        "sha256_after": sha(NEW),
        "fixes": [{"rule": "PAF101", "variable": "Password"}, {"rule": "PAF201", "variable": None}],
        "tool": "pafix",
        "version": pafix.__version__,
    }
    assert list(rec) == [
        "time", "path", "flow", "sha256_before", "sha256_after", "fixes", "tool", "version"
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["time"])
    stamp = datetime.fromisoformat(rec["time"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0)
    second = json.loads(lines[1])
    assert second["flow"] is None and second["fixes"] == []


def test_audit_refuses_values_that_are_not_names(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for bad in [("PAF101", "my hunter2 value"), ("PAF101", "%hunter2%"), ("hunter2 x", "X")]:
        with pytest.raises(ValueError) as info:
            append_audit_record(log, path="a", before=b"", after=b"", fixes=[bad])
        assert "hunter2" not in str(info.value)
    assert not log.exists()


def test_audit_odd_path_still_valid_json(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    weird = os.fsdecode(b"fl\xffow.robin")  # undecodable file name (surrogate escape)
    append_audit_record(log, path=weird, before=b"", after=b"", fixes=[("PAF101", "Ünïcode_1")])
    rec = json.loads(log.read_text("ascii"))
    assert rec["path"] == weird
    assert rec["fixes"][0]["variable"] == "Ünïcode_1"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_owner_and_group_kept_when_allowed(flow: Path) -> None:
    os.chown(flow, 4321, 4321)
    flow.chmod(0o660)
    atomic_write(flow, NEW)
    st = flow.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4321, 0o660)
