"""The properties the fuzzers check, shared by ``tests/test_fuzz.py`` (a few hundred examples per
run) and ``tests/fuzz/run_fuzz.py`` (as many as fit in N minutes).

Each ``check_*`` function raises ``AssertionError`` (or lets an unexpected exception through)
when pafix misbehaves on the input:

* ``parse``: only :class:`ParseError` may escape;
* ``parse(recover=True)``: never raises, and the tree gives back the text exactly;
* ``check_source``: never raises; its errors are one line each;
* ``rewrite_text`` (safe and unsafe): never raises; a changed text parses and is stable (a second
  rewrite changes nothing); an error leaves the text as it was;
* the CLI (``scan`` and ``rewrite --check`` on a file holding the bytes): exits 0, 1 or 2, with
  neither a traceback nor an "internal error" (that is how a caught crash shows).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from click.testing import CliRunner

from pafix.cli.main import main, scan_cmd
from pafix.config import DEFAULT
from pafix.core import check_source
from pafix.errors import ParseError
from pafix.syntax.parser import parse
from pafix.fixes.rewrite import rewrite_text


def check_parse(text: str) -> None:
    try:
        parse(text, "fuzz.robin")
    except ParseError as exc:
        assert exc.line >= 1 and exc.column >= 1, exc
        assert "\n" not in exc.message, exc.message


def check_recover(text: str) -> None:
    flow = parse(text, "fuzz.robin", recover=True)
    assert flow.code == text


def check_core(text: str) -> None:
    result = check_source(text, "fuzz.robin")
    for error in result.errors:
        assert "\n" not in error.message, error.message
        assert "internal error" not in error.message, error.message


def check_rewrite(text: str, unsafe: bool) -> None:
    result = rewrite_text(text, "fuzz.robin", DEFAULT, unsafe=unsafe)
    if result.error is not None:
        assert result.text == text and not result.changed, result
        return
    if result.changed:
        parse(result.text, "fixed.robin")  # raises ParseError: a fix broke the flow
        again = rewrite_text(result.text, "fixed.robin", DEFAULT, unsafe=unsafe)
        assert again.error is None and not again.changed, ("not stable", again.error)


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click 8.2 keeps them apart anyway
        return CliRunner()


def scan_args() -> list[str]:
    """``scan`` options that keep a test hermetic, where the scan command has them."""
    names = {opt for p in scan_cmd.params for opt in getattr(p, "opts", ())}
    return [o for o in ("--no-cache",) if o in names] + (["--jobs", "1"] if "--jobs" in names else [])


def run_cli(args: list[str]) -> tuple[int, str]:
    result = _runner().invoke(main, args, catch_exceptions=True)
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"{args}: {type(exc).__name__}: {exc}"
    out = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, out)
    assert "Traceback" not in out, out
    assert "internal error" not in out, out
    return result.exit_code, out


def check_cli(data: bytes, folder: str | None = None) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = os.path.join(tmp, "fuzz.robin")
        Path(path).write_bytes(data)
        run_cli(["scan", *scan_args(), "--format", "json", path])
        run_cli(["rewrite", "--check", "--unsafe-fixes", path])
