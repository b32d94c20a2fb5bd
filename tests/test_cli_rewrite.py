"""``pafix rewrite``: modes, exit codes, backups, the audit log, files that must not be written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pafix.cli.main import main
from pafix.syntax.textio import decode

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "rewrite"
SOLUTIONS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "solutions"

CANARY = "Canary-Zq7!xW3#pL"
#: a flow with a hard-coded secret (PAF104, no fix) and a safe PAF101 fix
CANARY_FLOW = f"""@@ConnectionString: ''
@@Type: 'Local'
@@DesktopType: 'local'
@@DisplayName: 'Local computer'
@SENSITIVE: [DbPassword]
SET DbPassword TO $'''{CANARY}'''
SET ConnectionText TO $'''Server=db;Password=%DbPassword%;'''
"""


def run(*args: str) -> Result:
    """``pafix rewrite`` applying every finding's fix (the fixtures include header-less
    snippets, whose findings are low confidence); the default is tested on its own."""
    return CliRunner().invoke(main, ["rewrite", "--min-confidence", "low", *args])


def copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copyfile(FIXTURES / name, dst)
    os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR)
    return dst


def fixed(name: str, *, unsafe: bool = False) -> bytes:
    stem = name[: -len(".robin")]
    if unsafe and (FIXTURES / f"{stem}.unsafe.fixed.robin").exists():
        return (FIXTURES / f"{stem}.unsafe.fixed.robin").read_bytes()
    return (FIXTURES / f"{stem}.fixed.robin").read_bytes()


def test_command_is_registered() -> None:
    import click

    ctx = click.Context(main)
    assert "rewrite" in main.list_commands(ctx)  # loaded when used: a scan never imports it
    assert main.get_command(ctx, "rewrite") is not None


def test_diff_is_the_default(tmp_path: Path) -> None:
    path = copy(tmp_path, "append_to_list.robin")
    before = path.read_bytes()
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert "+@SENSITIVE: [DbPassword, ConnectionText]\n" in result.stdout
    assert path.read_bytes() == before
    assert "1 file would be fixed (2 fixes)" in result.stderr
    assert run("--diff", str(path)).stdout == result.stdout


def test_check(tmp_path: Path) -> None:
    path = copy(tmp_path, "two_in_one_pass.robin")
    before = path.read_bytes()
    result = run("--check", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"would fix {path} (3 fixes)" in result.stderr
    assert path.read_bytes() == before
    with_diff = run("--check", "--diff", str(path))
    assert with_diff.exit_code == 1 and "+@SENSITIVE" in with_diff.stdout
    clean = tmp_path / "clean.robin"
    clean.write_bytes(fixed("two_in_one_pass.robin"))
    assert run("--check", str(clean)).exit_code == 0


def test_in_place(tmp_path: Path) -> None:
    path = copy(tmp_path, "local_subflow.robin")
    result = run("--in-place", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == fixed("local_subflow.robin")
    assert result.stdout == ""
    assert f"fixed {path} (4 fixes)" in result.stderr
    assert "fixed 1 file (4 fixes)" in result.stderr
    assert not list(tmp_path.glob(".pafix-*"))
    again = run("--in-place", str(path))
    assert again.exit_code == 0 and "fixed 0 files (0 fixes)" in again.stderr


@pytest.mark.parametrize("name", ["crlf_bom.robin", "utf16_le_bom.robin", "no_final_newline.robin"])
def test_in_place_keeps_encoding_bom_and_newlines(tmp_path: Path, name: str) -> None:
    path = copy(tmp_path, name)
    before = decode(path.read_bytes())
    assert run("--in-place", str(path)).exit_code == 0
    data = path.read_bytes()
    assert data == fixed(name)
    after = decode(data)
    assert (after.encoding, after.newline, after.final_newline) == (before.encoding, before.newline, before.final_newline)


def test_in_place_unsafe(tmp_path: Path) -> None:
    path = copy(tmp_path, "credential_smtp.robin")
    result = run("--in-place", "--unsafe-fixes", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == fixed("credential_smtp.robin", unsafe=True)
    note = [ln for ln in result.stderr.splitlines() if ": note: " in ln]
    assert len(note) == 1 and "callers must stop passing SmtpPassword and SmtpUser" in note[0]
    assert "UNVERIFIED" in note[0]


def test_safe_only_by_default(tmp_path: Path) -> None:
    path = copy(tmp_path, "credential_smtp.robin")
    assert run("--in-place", str(path)).exit_code == 0
    assert path.read_bytes() == fixed("credential_smtp.robin")
    assert b"GetCredential" not in path.read_bytes()


def test_unparsable_file_is_never_written(tmp_path: Path) -> None:
    bad = copy(tmp_path, "unparsable.robin")
    good = copy(tmp_path, "snippet.robin")
    before = bad.read_bytes()
    result = run("--in-place", str(bad), str(good))
    assert result.exit_code == 2
    assert bad.read_bytes() == before
    assert good.read_bytes() == fixed("snippet.robin")  # the others are still processed
    assert f"{bad}: error: cannot parse (line 1, column 1: " in result.stderr
    assert "canary-s3cret-value" not in result.output
    assert run("--check", str(bad)).exit_code == 2
    assert run(str(bad)).exit_code == 2


def test_missing_path(tmp_path: Path) -> None:
    result = run("--check", str(tmp_path / "nope.robin"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.robin'}: error: no such file or directory" in result.stderr


def test_folder(tmp_path: Path) -> None:
    copy(tmp_path, "snippet.robin")
    copy(tmp_path, "two_in_one_pass.robin")
    result = run("--check", str(tmp_path))
    assert result.exit_code == 1
    assert "2 files would be fixed (4 fixes)" in result.stderr


def test_backup(tmp_path: Path) -> None:
    path = copy(tmp_path, "snippet.robin")
    before = path.read_bytes()
    result = run("--in-place", "--backup", ".orig", str(path))
    assert result.exit_code == 0, result.output
    assert Path(str(path) + ".orig").read_bytes() == before
    assert path.read_bytes() == fixed("snippet.robin")


def test_no_backup_of_unchanged_files(tmp_path: Path) -> None:
    path = tmp_path / "clean.robin"
    path.write_bytes(fixed("snippet.robin"))
    assert run("--in-place", "--backup", ".orig", str(path)).exit_code == 0
    assert not Path(str(path) + ".orig").exists()


def test_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "canary.robin"
    path.write_text(CANARY_FLOW, encoding="utf-8")
    before = path.read_bytes()
    log = tmp_path / "audit.jsonl"
    result = run("--in-place", "--audit-log", str(log), str(path))
    assert result.exit_code == 0, result.output
    after = path.read_bytes()
    assert after != before and CANARY.encode() in after  # the literal is untouched
    lines = log.read_text(encoding="ascii").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {"time", "path", "flow", "sha256_before", "sha256_after", "fixes", "tool", "version"}
    assert record["path"] == str(path) and record["flow"] is None and record["tool"] == "pafix"
    assert record["sha256_before"] == hashlib.sha256(before).hexdigest()
    assert record["sha256_after"] == hashlib.sha256(after).hexdigest()
    assert record["fixes"] == [{"rule": "PAF101", "variable": "ConnectionText"}]
    text = log.read_text(encoding="ascii")
    assert CANARY not in text and CANARY[:6] not in text and "Server=db" not in text
    assert CANARY not in result.output
    # a second run appends nothing: nothing was rewritten
    assert run("--in-place", "--audit-log", str(log), str(path)).exit_code == 0
    assert len(log.read_text(encoding="ascii").splitlines()) == 1


def test_read_only_file_is_reported_not_forced(tmp_path: Path) -> None:
    path = copy(tmp_path, "snippet.robin")
    os.chmod(path, stat.S_IRUSR)
    try:
        before = path.read_bytes()
        result = run("--in-place", str(path))
        assert result.exit_code == 2
        assert f"{path}: error: file is read-only; not changed" in result.stderr
        assert path.read_bytes() == before
        assert stat.S_IMODE(os.stat(path).st_mode) == stat.S_IRUSR
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_select_and_ignore(tmp_path: Path) -> None:
    path = copy(tmp_path, "two_in_one_pass.robin")
    only = run("--check", "--select", "PAF105", str(path))
    assert only.exit_code == 1 and "(2 fixes)" in only.stderr
    assert run("--check", "--ignore", "PAF101,PAF105", str(path)).exit_code == 0
    unknown = run("--check", "--select", "PAF999", str(path))
    assert unknown.exit_code == 2 and "unknown rule code" in unknown.stderr


def test_config_file(tmp_path: Path) -> None:
    path = copy(tmp_path, "credential_smtp.robin")
    config = tmp_path / "pafix.toml"
    config.write_text('[credentials]\nsuffix = "Cred"\nnames = { SmtpPassword = "Contoso SMTP" }\n', encoding="utf-8")
    result = run("--in-place", "--unsafe-fixes", "--config", str(config), str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "Credential: 'Contoso SMTP' Timeout: 0 Credential=> SmtpPasswordCred\n" in text
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n", encoding="utf-8")
    assert run("--check", "--config", str(bad), str(path)).exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--check", "--in-place"],
        ["--backup", ".orig"],
        ["--audit-log", "log.jsonl"],
        ["--in-place", "--backup", ""],
        ["--in-place", "--backup", "a/b"],
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    path = copy(tmp_path, "snippet.robin")
    before = path.read_bytes()
    result = run(*args, str(path))
    assert result.exit_code == 2
    assert path.read_bytes() == before


def test_file_changed_on_disk_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy(tmp_path, "snippet.robin")
    from pafix.fixes.rewrite import rewrite_text as real

    def meddle(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        path.write_bytes(path.read_bytes() + b"# edited meanwhile\n")
        return out

    monkeypatch.setattr("pafix.cli.rewrite.rewrite_text", meddle)
    result = run("--in-place", str(path))
    assert result.exit_code == 2
    assert "changed on disk since it was read" in result.stderr
    assert path.read_bytes().endswith(b"# edited meanwhile\n")


