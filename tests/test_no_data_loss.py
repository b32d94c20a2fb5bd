"""No data loss through ``pafix rewrite --in-place`` (issue 9), end to end.

``tests/test_safewrite.py`` covers :func:`pafix.fixes.safewrite.atomic_write` itself. Here the failures
are injected under the CLI, with other files in the same run:

* a crash between writing the temporary file and the rename (``safewrite._before_replace``): the
  original is intact, no temporary file is left, the other files are still fixed;
* a file changed on disk after pafix read it, even at the last moment before the rename: it is
  not overwritten (checked by hash);
* read-only files, loose or solution archives, are reported and not forced (a rename needs only
  the folder to be writable, so the check is pafix's own).

Also covered in ``tests/test_cli_rewrite.py``: ``test_read_only_file_is_reported_not_forced`` and
``test_file_changed_on_disk_is_not_overwritten`` (a change before the write starts).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostile import assert_no_traceback, good_solution_zip, invoke, output
from pafix.fixes import safewrite
from pafix.solutions import load_solution

FLOW = b"\xef\xbb\xbf@SENSITIVE: [Password]\r\nSET Password TO $'''hunter2'''\r\nSET Copy TO Password\r\n"


@pytest.fixture(autouse=True)
def _no_hook() -> Iterator[None]:
    yield
    safewrite._before_replace = None


@pytest.fixture
def flows(tmp_path: Path) -> tuple[Path, Path]:
    """A victim in its own folder (the hook sees the temp file's folder) and a bystander."""
    (tmp_path / "victim").mkdir()
    victim = tmp_path / "victim" / "victim.robin"
    other = tmp_path / "other.robin"
    victim.write_bytes(FLOW)
    other.write_bytes(FLOW)
    return victim, other


def _hook(victim: Path, action: Callable[[str], None]) -> None:
    def hook(tmp: str) -> None:
        if Path(tmp).parent == victim.parent:
            action(tmp)

    safewrite._before_replace = hook


def _temps(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.startswith(".pafix-") or "pafix-tmp" in p.name]


def _raise(exc: BaseException) -> Callable[[str], None]:
    def action(_tmp: str) -> None:
        raise exc

    return action


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (RuntimeError("crash CANARY-d4t4l0-SS"), "error: internal error (RuntimeError) while rewriting this flow; please report it"),
        (OSError(errno.ENOSPC, "No space left on device"), "error: cannot write"),
    ],
    ids=["crash", "disk-full"],
)
def test_failure_before_the_rename_keeps_the_original(flows: tuple[Path, Path], exc: BaseException, message: str) -> None:
    victim, other = flows
    _hook(victim, _raise(exc))
    result = invoke("rewrite", "--in-place", "--backup", ".orig", victim.parent.parent)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"{victim}: {message}" in result.stderr, result.stderr
    assert victim.read_bytes() == FLOW
    assert _temps(victim.parent.parent) == []
    assert f"fixed {other}" in result.stderr and b"@SENSITIVE: [Password, Copy]" in other.read_bytes()
    assert "CANARY" not in output(result)


def test_interrupt_before_the_rename_keeps_the_original(flows: tuple[Path, Path]) -> None:
    victim, _other = flows
    _hook(victim, _raise(KeyboardInterrupt()))
    result = invoke("rewrite", "--in-place", victim, catch=True)
    assert result.exit_code != 0  # the run stops (click: "Aborted!")
    assert victim.read_bytes() == FLOW
    assert _temps(victim.parent) == []


def test_file_changed_at_the_last_moment_is_not_overwritten(flows: tuple[Path, Path]) -> None:
    victim, other = flows
    edited = FLOW + b"# saved in PAD meanwhile\r\n"
    _hook(victim, lambda _tmp: victim.write_bytes(edited))
    result = invoke("rewrite", "--in-place", victim.parent.parent)
    assert result.exit_code == 2
    assert f"{victim}: error: file changed on disk since it was read; not overwritten" in result.stderr
    assert victim.read_bytes() == edited
    assert _temps(victim.parent) == []
    assert f"fixed {other}" in result.stderr


def test_read_only_file_among_others(flows: tuple[Path, Path]) -> None:
    victim, other = flows
    victim.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        result = invoke("rewrite", "--in-place", victim.parent.parent)
        assert result.exit_code == 2
        assert f"{victim}: error: file is read-only; not changed" in result.stderr
        assert victim.read_bytes() == FLOW
        assert stat.S_IMODE(victim.stat().st_mode) == stat.S_IRUSR | stat.S_IRGRP  # never chmod-ed
        assert f"fixed {other}" in result.stderr
    finally:
        victim.chmod(0o644)


def test_read_only_solution_is_not_forced(tmp_path: Path) -> None:
    """write_solution renames a new archive over the old one: allowed by the folder's mode alone."""
    sol = good_solution_zip(tmp_path / "s.zip")
    other = good_solution_zip(tmp_path / "other.zip")
    before = sol.read_bytes()
    sol.chmod(0o444)
    try:
        result = invoke("rewrite", "--in-place", "--backup", ".orig", tmp_path)
        assert result.exit_code == 2, output(result)
        assert f"{sol}: error: file is read-only; not changed" in result.stderr
        assert sol.read_bytes() == before and stat.S_IMODE(sol.stat().st_mode) == 0o444
        assert not (tmp_path / "s.zip.orig").exists()
        assert f"fixed {other}" in result.stderr
    finally:
        sol.chmod(0o644)


def test_read_only_member_of_an_unpacked_solution(tmp_path: Path) -> None:
    import shutil

    from hostile import FIXTURE_DATA, SOLUTION_FIXTURE

    folder = tmp_path / "Unpacked"
    shutil.copytree(SOLUTION_FIXTURE, folder)
    data = folder / FIXTURE_DATA
    before = data.read_bytes()
    data.chmod(0o444)
    try:
        result = invoke("rewrite", "--in-place", folder)
        assert result.exit_code == 2, output(result)
        assert f"{data} is read-only; not changed" in result.stderr
        assert data.read_bytes() == before
    finally:
        data.chmod(0o644)


def test_solution_rename_failure_keeps_the_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sol = good_solution_zip(tmp_path / "s.zip")
    before = sol.read_bytes()
    real = os.replace

    def replace(src: str, dst: str) -> None:
        if os.path.realpath(dst) == os.path.realpath(sol):
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    result = invoke("rewrite", "--in-place", sol)
    assert result.exit_code == 2
    assert f"{sol}: error: not written:" in result.stderr
    assert sol.read_bytes() == before
    assert load_solution(sol).flows
    assert _temps(tmp_path) == []
