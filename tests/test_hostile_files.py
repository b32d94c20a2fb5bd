"""Hostile files (issue 9): each gives one clear error line for itself, never a traceback, and the
other files of the same run are still processed.

Every case runs ``pafix scan`` on a folder holding the hostile file AND a normal leaky flow: the
leaky flow's findings are still reported and the exit code is 2 (1 when the hostile file turns
out readable: UTF-16, an empty file, a folder named like a flow).
"""

from __future__ import annotations

import errno
import os
import pathlib
import sys
import time
from pathlib import Path

import pytest

import pafix.syntax.textio
from hostile import (
    LEAKY_RULES,
    assert_leaky_reported,
    assert_no_traceback,
    error_lines,
    invoke,
    leaky,
    output,
    scan,
)
from pafix import guard
from pafix.cli.sources import expand

# ---- undecodable and odd encodings --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"SET x TO 1\n\xff\xfe\xfd CANARY-h0st1le-UTF8\n", "invalid UTF-8"),
        (b"SET x TO 1\n\x00\x00 CANARY-h0st1le-NUL\n", "file contains NUL bytes"),
        (b"\xff\xfe\x00\x00S\x00\x00\x00", "UTF-32 is not supported"),
        (b"\xff\xfeS\x00E\x00T\x00 ", "truncated UTF-16-LE: odd number of bytes"),
        (b"\xef\xbb\xbfSET x TO '\xc3'\n", "invalid UTF-8"),
    ],
    ids=["invalid-utf8", "nul-bytes", "utf32", "odd-utf16", "truncated-sequence"],
)
def test_undecodable_file(tmp_path: Path, data: bytes, message: str) -> None:
    bad = tmp_path / "bad.robin"
    bad.write_bytes(data)
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    [line] = error_lines(result, bad)
    assert line.startswith(f"{bad}: error: {message}")
    assert "CANARY" not in output(result)
    rewrite = invoke("rewrite", "--check", tmp_path)
    assert rewrite.exit_code == 2
    assert f"{bad}: error: {message}" in rewrite.stderr
    assert f"would fix {good}" in rewrite.stderr


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"", "utf-16-le"), (b"", "utf-16-be")],
    ids=["le-bom", "be-bom", "le-no-bom", "be-no-bom"],
)
def test_utf16_is_read(tmp_path: Path, bom: bytes, codec: str) -> None:
    text = "SET Password TO $'''hunter2'''\r\nSET Copy TO Password\r\n"
    wide = tmp_path / "wide.robin"
    wide.write_bytes(bom + text.encode(codec))
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert result.exit_code == 1, output(result)
    assert_leaky_reported(result, good)
    assert_leaky_reported(result, wide)
    assert not error_lines(result, wide)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n", b"   \t\r\n", b"\xff\xfe"], ids=["empty", "bom", "newlines", "blanks", "utf16-bom"])
def test_empty_file_is_clean(tmp_path: Path, content: bytes) -> None:
    empty = tmp_path / "empty.robin"
    empty.write_bytes(content)
    alone = scan(empty)
    assert alone.exit_code == 0, output(alone)
    assert "All checks passed (1 file)" in alone.stdout
    good = leaky(tmp_path)
    both = scan(tmp_path)
    assert both.exit_code == 1
    assert_leaky_reported(both, good)
    assert str(empty) not in output(both)


# ---- huge lines -------------------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


@pytest.mark.slow
def test_10mb_string_literal_line(tmp_path: Path) -> None:
    big = tmp_path / "big.robin"
    big.write_text("SET Password TO $'''" + "A" * TEN_MB + "'''\nSET Copy TO Password\n", encoding="utf-8")
    good = leaky(tmp_path)
    started = time.perf_counter()
    result = scan(tmp_path)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, output(result)[:2000]
    assert_leaky_reported(result, good)
    assert f"{big}:2:1: PAF101 Copy receives a secret from Password" in result.stdout
    assert len(output(result)) < 10_000  # the literal is never echoed
    assert elapsed < 60, elapsed


@pytest.mark.slow
def test_10mb_word_is_a_short_parse_error(tmp_path: Path) -> None:
    big = tmp_path / "big.robin"
    big.write_bytes(b"A" * TEN_MB + b"\n")
    good = leaky(tmp_path)
    started = time.perf_counter()
    result = scan(tmp_path)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    [line] = error_lines(result, big)
    assert line == f"{big}:1:1: error: found a name; expected a statement, END or end of line"
    assert len(output(result)) < 10_000
    assert elapsed < 60, elapsed


def test_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.robin"
    with open(huge, "wb") as f:  # sparse: nothing is written, nothing is read
        f.truncate(pafix.syntax.textio.MAX_FILE_SIZE + 1)
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    assert error_lines(result, huge) == [f"{huge}: error: cannot read: file is larger than 64 MiB"]


# ---- nesting ----------------------------------------------------------------------------------


def nested(depth: int, opener: str = "IF x = 1 THEN") -> str:
    return (opener + "\n") * depth + "SET Password TO $'''x'''\nSET Copy TO Password\n" + "END\n" * depth


@pytest.mark.slow
def test_10000_nested_ifs_are_checked_and_rewritten(tmp_path: Path) -> None:
    deep = tmp_path / "deep.robin"
    deep.write_text(nested(10_000), encoding="utf-8")
    good = leaky(tmp_path)
    limit = sys.getrecursionlimit()
    started = time.perf_counter()
    result = scan(tmp_path)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, output(result)[-2000:]
    assert_leaky_reported(result, good)
    assert f"{deep}:10002:1: PAF101 Copy receives a secret from Password" in result.stdout
    assert elapsed < 60, elapsed
    assert sys.getrecursionlimit() == limit  # raised for the deep flow only
    check = invoke("rewrite", "--check", "--min-confidence", "low", deep)
    assert check.exit_code == 1 and f"would fix {deep}" in check.stderr, output(check)[-2000:]
    parsed = invoke("parse", deep)
    assert parsed.exit_code == 0 and "ok (1 statements)" in parsed.stdout


@pytest.mark.parametrize(
    "text",
    [
        "SET Copy TO " + "(" * 10_000 + "Password" + ")" * 10_000 + "\n",
        "SET Copy TO " + "[" * 5_000 + "Password" + "]" * 5_000 + "\n",
        "SET Copy TO Password" + "[1]" * 3_000 + "\n",
        "SET Copy TO Password" + " + 1" * 20_000 + "\n",
        "SET Copy TO $'''%" + "(" * 3_000 + "Password" + ")" * 3_000 + "%'''\n",
        nested(300, "LOOP i FROM 1 TO 3 STEP 1"),
        nested(300, "LOOP FOREACH v IN lst\nIF v = 1 THEN").replace("END\n", "END\nEND\n", 300),
    ],
    ids=["parens", "lists", "indexes", "sum", "hole", "loops", "foreach-if"],
)
def test_deep_expressions_and_loops(tmp_path: Path, text: str) -> None:
    deep = tmp_path / "deep.robin"
    deep.write_text("SET Password TO $'''x'''\n" + text, encoding="utf-8")
    result = scan(deep)
    assert_no_traceback(result)
    assert result.exit_code == 1, output(result)[-2000:]
    assert "PAF101 Copy receives a secret from Password" in result.stdout


def test_10000_nested_loops_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    """The taint analysis takes time quadratic in the loop depth (10,000 nested loops: about
    17 minutes); past MAX_LOOP_NESTING the flow gets an error instead."""
    deep = tmp_path / "deep.robin"
    deep.write_text(nested(10_000, "LOOP i FROM 1 TO 3 STEP 1"), encoding="utf-8")
    good = leaky(tmp_path)
    started = time.perf_counter()
    result = scan(tmp_path)
    assert time.perf_counter() - started < 30
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    assert error_lines(result, deep) == [
        f"{deep}:10000:1: error: loops nested 10000 deep; pafix checks flows with loops nested at most "
        f"{guard.MAX_LOOP_NESTING} deep"
    ]
    rewrite = invoke("rewrite", "--check", tmp_path)
    assert rewrite.exit_code == 2
    assert f"{deep}: error: loops nested 10000 deep" in rewrite.stderr
    assert f"would fix {good}" in rewrite.stderr


def test_nesting_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "MAX_NESTING", 1_000)
    deep = tmp_path / "deep.robin"
    deep.write_text(nested(600), encoding="utf-8")
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    [line] = error_lines(result, deep)
    assert "error: blocks or expressions nested too deep to check (" in line and "the limit is 1000)" in line


def test_call_deep_hands_back_errors_and_restores_the_limit() -> None:
    from pafix.syntax.parser import parse

    flow = parse(nested(2_000))
    limit = sys.getrecursionlimit()

    def boom(depth: int) -> int:
        if depth:
            return boom(depth - 1)
        raise KeyError("from the worker")

    assert guard.call_deep(flow, lambda: 7) == 7
    with pytest.raises(KeyError, match="from the worker"):
        guard.call_deep(flow, boom, 3_000)
    assert sys.getrecursionlimit() == limit
    assert guard.nesting(flow).depth > 4_000



def test_call_deep_measures_only_flows_too_deep_to_run_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measuring the nesting walks every node: a shallow flow is checked without it, a deep
    one still gets it (and the worker thread)."""
    from pafix.core import check_flow
    from pafix.syntax.parser import parse

    measured: list[int] = []
    real = guard.nesting

    def counting(root: object) -> guard.Nesting:
        found = real(root)
        measured.append(found.depth)
        return found

    monkeypatch.setattr(guard, "nesting", counting)
    shallow = parse("SET Password TO $'''x'''\nDisplay.ShowMessageDialog.ShowMessage Message: Password\n")
    assert [f.rule for f in check_flow(shallow).findings].count("PAF102") == 1
    assert measured == []
    deep = parse("IF x = 1 THEN\n" * 2_000 + "SET Password TO $'''x'''\n" + "END\n" * 2_000)
    check_flow(deep)
    assert len(measured) == 1 and measured[0] > 4_000

def test_deep_flow_keeps_the_scan_settings(tmp_path: Path) -> None:
    """The worker thread runs in the caller's context: the DLP policies of ``scan --dlp-policy``
    (a context variable) reach a deeply nested flow too."""
    policy = Path(__file__).resolve().parents[1] / "fixtures" / "dlp" / "get-dlppolicy.json"
    deep = tmp_path / "deep.robin"
    deep.write_text("IF x = 1 THEN\n" * 3_000 + "Scripting.RunPowershellScript.RunPowershellScript Script: $'''Get-Process''' "
                    "ScriptOutput=> Out\n" + "END\n" * 3_000, encoding="utf-8")
    result = scan("--dlp-policy", policy, deep)
    assert result.exit_code == 1, output(result)[-2000:]
    assert f"{deep}:3001:1: PAF301" in result.stdout


def test_call_deep_runs_in_the_callers_context() -> None:
    import contextvars

    from pafix.syntax.parser import parse

    var: contextvars.ContextVar[str] = contextvars.ContextVar("pafix_test", default="unset")
    token = var.set("the caller's")
    try:
        assert guard.call_deep(parse(nested(2_000)), var.get) == "the caller's"
    finally:
        var.reset(token)


# ---- paths that are not flow files -------------------------------------------------------------


def test_folder_named_like_a_flow_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "empty.robin").mkdir()
    inner = leaky(tmp_path / "old.robin", "inner.robin")
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert result.exit_code == 1, output(result)
    assert_leaky_reported(result, good)
    assert_leaky_reported(result, inner)
    assert "error" not in result.stderr
    alone = scan(tmp_path / "empty.robin")
    assert alone.exit_code == 0 and "All checks passed (0 files)" in alone.stdout


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a.robin").symlink_to("b.robin")
    (tmp_path / "b.robin").symlink_to("a.robin")
    (tmp_path / "self").symlink_to("self")
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    for name in ("a.robin", "b.robin"):
        [line] = error_lines(result, tmp_path / name)
        assert line.startswith(f"{tmp_path / name}: error: cannot read: ")
    direct = scan(tmp_path / "a.robin", tmp_path / "self" / "x.robin", tmp_path / "self", good)
    assert_no_traceback(direct)
    assert direct.exit_code == 2
    assert_leaky_reported(direct, good)
    assert error_lines(direct, tmp_path / "a.robin")
    assert error_lines(direct, tmp_path / "self" / "x.robin")


def test_expand_survives_resolve_and_stat_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.11's Path.resolve() raises RuntimeError on a symlink loop, Path.exists() raises
    PermissionError (not False) under a folder without search permission."""
    good = leaky(tmp_path)
    other = leaky(tmp_path, "other.robin")
    locked = tmp_path / "locked" / "x.robin"
    real_resolve, real_exists = pathlib.Path.resolve, pathlib.Path.exists

    def resolve(self: Path, strict: bool = False) -> Path:
        if self.name == "other.robin":
            raise RuntimeError(f"Symlink loop from {self!r}")
        return real_resolve(self, strict)

    def exists(self: Path) -> bool:
        if self == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_exists(self)

    monkeypatch.setattr(pathlib.Path, "resolve", resolve)
    monkeypatch.setattr(pathlib.Path, "exists", exists)
    items = list(expand([str(tmp_path), str(locked), str(other)]))
    # other.robin is listed once: the key of an unresolvable path is the path as given
    assert items == [good, other, (locked, "cannot read: Permission denied")]


def test_unreadable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    leaky(locked, "hidden.robin")
    good = leaky(tmp_path)
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if os.fspath(path) == str(locked):  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, "Permission denied", str(locked))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    result = scan(tmp_path)
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    assert error_lines(result, locked) == [f"{locked}: error: cannot read folder: Permission denied"]


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 cannot stop root (the tests run as root in CI): the read is made to fail."""
    bad = leaky(tmp_path, "locked.robin")
    good = leaky(tmp_path)
    real = pafix.syntax.textio.read_flow_bytes

    def read(path: object, **kwargs: object) -> bytes:
        if os.fspath(path) == str(bad):  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, "Permission denied", str(bad))
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pafix.syntax.textio, "read_flow_bytes", read)
    for result in (scan(tmp_path), invoke("rewrite", "--check", tmp_path)):
        assert result.exit_code == 2
        assert f"{bad}: error: cannot read: Permission denied" in output(result)
        assert str(good) in output(result)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_unreadable_file_chmod_000(tmp_path: Path) -> None:
    bad = leaky(tmp_path, "locked.robin")
    good = leaky(tmp_path)
    bad.chmod(0)
    try:
        result = scan(tmp_path)
        assert result.exit_code == 2
        assert_leaky_reported(result, good)
        assert error_lines(result, bad) == [f"{bad}: error: cannot read: Permission denied"]
    finally:
        bad.chmod(0o600)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_device_are_not_read(tmp_path: Path) -> None:
    """Reading them would block forever (a FIFO without writer) or never end (/dev/zero)."""
    os.mkfifo(tmp_path / "pipe.robin")
    (tmp_path / "zero.robin").symlink_to("/dev/zero")
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert result.exit_code == 2
    assert_leaky_reported(result, good)
    for name in ("pipe.robin", "zero.robin"):
        assert error_lines(result, tmp_path / name) == [
            f"{tmp_path / name}: error: cannot read: not a regular file (a device, FIFO or socket?)"
        ]
    rewrite = invoke("rewrite", "--check", tmp_path)
    assert rewrite.exit_code == 2 and "pipe.robin: error: cannot read: not a regular file" in rewrite.stderr


@pytest.mark.slow
def test_folder_of_10000_small_files(tmp_path: Path) -> None:
    folder = tmp_path / "fleet"
    folder.mkdir()
    for i in range(10_000):
        (folder / f"f{i:05}.robin").write_text(f"SET Counter{i} TO {i}\n", encoding="utf-8")
    good = leaky(folder, "zz-leaky.robin")
    started = time.perf_counter()
    result = scan("--format", "json", folder)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, output(result)[-2000:]
    import json

    report = json.loads(result.stdout)
    assert report["stats"]["files"] == 10_001
    assert {f["rule"] for f in report["findings"]} == set(LEAKY_RULES)
    assert {f["path"] for f in report["findings"]} == {str(good)}
    assert elapsed < 120, elapsed
