"""A bug in pafix met while handling one file is that file's error, not the run's end (issue 9).

Exceptions are injected into each stage (reading, parsing, checking, rewriting, writing) for one
file whose text holds ``BOOM``. That file gets exactly one line
``<path>: error: internal error (<type>) while <doing> this flow; please report it`` -- never the
exception's text, which here holds a canary -- the other files are still processed, and the exit
code is 2. ``PAFIX_DEBUG=1`` lets the exception through instead. (The language server has its
own guard: ``tests/test_lsp_lint.py::test_internal_error_replaces_the_diagnostics``.)
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

import pafix.core
import pafix.syntax.parser
import pafix.solutions.container
from hostile import (
    FIXTURE_ID,
    assert_leaky_reported,
    assert_no_traceback,
    build_zip,
    error_lines,
    invoke,
    leaky,
    one_flow,
    output,
    scan,
    workflow_element,
    wrap_customizations,
)

CANARY = "CANARY-k4e8r2-INTERNAL"
BOOM_FLOW = "SET BOOM TO $'''x'''\nSET Password TO $'''y'''\nSET Copy TO Password\n"


class Injected(ValueError):
    pass


def _fail_on_boom(real: Any, text_of: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "BOOM" in text_of(*args, **kwargs):
            raise Injected(f"the flow says {CANARY}")
        return real(*args, **kwargs)

    return wrapper


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "boom.robin").write_text(BOOM_FLOW, encoding="utf-8")
    leaky(tmp_path)
    return tmp_path


def _message(doing: str = "checking", what: str = "flow") -> str:
    return f"internal error (Injected) while {doing} this {what}; please report it"


def _assert_contained(result: Any, path: Path | str, message: str, folder: Path) -> None:
    assert_no_traceback(result)
    assert result.exit_code == 2, output(result)
    if "would fix" in result.stderr:  # rewrite --check
        assert f"would fix {folder / 'leaky.robin'}" in result.stderr
    else:
        assert_leaky_reported(result, folder / "leaky.robin")
    assert error_lines(result, path) == [f"{path}: error: {message}"], output(result)
    assert CANARY not in output(result) and "the flow says" not in output(result)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_check_failure(folder: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.setattr(pafix.core, "_check_flow", _fail_on_boom(pafix.core._check_flow, lambda flow, *a: flow.source))
    result = scan("--format", fmt, folder)
    if fmt == "text":
        _assert_contained(result, folder / "boom.robin", _message(), folder)
    else:
        assert result.exit_code == 2
        assert _message() in result.stdout and str(folder / "leaky.robin") in result.stdout
        assert CANARY not in output(result)


def test_parse_failure(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pafix.core, "parse", _fail_on_boom(pafix.syntax.parser.parse, lambda text, *a, **k: text))
    _assert_contained(scan(folder), folder / "boom.robin", _message(), folder)


def test_read_failure(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pafix.cli.sources

    real = pafix.cli.sources.read_flow_file

    def read(path: Any) -> Any:
        if Path(path).name == "boom.robin":
            raise Injected(CANARY)
        return real(path)

    monkeypatch.setattr(pafix.cli.sources, "read_flow_file", read)
    for result in (scan(folder), invoke("rewrite", "--check", folder)):
        _assert_contained(result, folder / "boom.robin", _message("reading", "file"), folder)


def test_debug_lets_the_exception_through(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pafix.core, "_check_flow", _fail_on_boom(pafix.core._check_flow, lambda flow, *a: flow.source))
    monkeypatch.setenv("PAFIX_DEBUG", "1")
    result = invoke("scan", "--jobs", "1", "--no-cache", folder, catch=True) if _has_jobs() else invoke("scan", folder, catch=True)
    assert isinstance(result.exception, Injected)


def _has_jobs() -> bool:
    from pafix.cli.main import scan_cmd

    return any("--jobs" in getattr(p, "opts", ()) for p in scan_cmd.params)


# ---- solutions --------------------------------------------------------------------------------

BOOM_ID = "00000000-0000-0000-0000-00000000b00b"


def _solution(folder: Path) -> Path:
    boom = one_flow('"SET BOOM TO 1\\r\\nSET Password TO $\'\'\'y\'\'\'\\r\\nSET Copy TO Password"', name="Boom flow")
    boom = boom.replace(FIXTURE_ID, BOOM_ID)
    return build_zip(folder / "s.zip", [("customizations.xml", wrap_customizations(workflow_element(), boom).encode())])


def test_check_failure_in_one_flow_of_a_solution(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "boom.robin").unlink()
    sol = _solution(folder)
    monkeypatch.setattr(pafix.core, "_check_flow", _fail_on_boom(pafix.core._check_flow, lambda flow, *a: flow.source))
    result = scan(folder)
    _assert_contained(result, f"{sol}!Boom flow", _message(), folder)
    assert f"{sol}!Pafix Sample: Login & Token:7:8: PAF103" in result.stdout  # its sibling is checked


def test_failure_of_the_whole_solution_check(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pafix.solutions.check

    (folder / "boom.robin").unlink()
    sol = _solution(folder)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise Injected(CANARY)

    monkeypatch.setattr(pafix.solutions.check, "analyse_solution", broken)
    result = scan(folder)
    assert result.exit_code == 2
    assert_leaky_reported(result, folder / "leaky.robin")
    assert error_lines(result, f"{sol}!Boom flow") == [f"{sol}!Boom flow: error: {_message()}"]
    assert error_lines(result, f"{sol}!Pafix Sample") == [f"{sol}!Pafix Sample: Login & Token: error: {_message()}"]
    assert CANARY not in output(result)


def test_load_failure_of_a_solution(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "boom.robin").unlink()
    sol = _solution(folder)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise Injected(CANARY)

    monkeypatch.setattr(pafix.solutions.container, "load_solution", broken)
    for result in (scan(folder), invoke("rewrite", "--check", folder)):
        _assert_contained(result, sol, _message("reading", "solution"), folder)


# ---- rewrite ----------------------------------------------------------------------------------


def test_rewrite_failure(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pafix.cli.rewrite

    monkeypatch.setattr(pafix.cli.rewrite, "rewrite_text",
                        _fail_on_boom(pafix.cli.rewrite.rewrite_text, lambda text, *a, **k: text))
    before = (folder / "boom.robin").read_bytes()
    result = invoke("rewrite", "--in-place", folder)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"{folder / 'boom.robin'}: error: {_message('rewriting')}" in result.stderr
    assert f"fixed {folder / 'leaky.robin'}" in result.stderr
    assert (folder / "boom.robin").read_bytes() == before
    assert "@SENSITIVE: [Password, Copy]" in (folder / "leaky.robin").read_text(encoding="utf-8")
    assert CANARY not in output(result)


def test_rewrite_failure_in_one_flow_of_a_solution(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pafix.solutions.rewrite

    (folder / "boom.robin").unlink()
    sol = _solution(folder)
    monkeypatch.setattr(pafix.solutions.rewrite, "rewrite_text",
                        _fail_on_boom(pafix.solutions.rewrite.rewrite_text, lambda text, *a, **k: text))
    result = invoke("rewrite", "--in-place", folder)
    assert result.exit_code == 2
    assert f"{sol}: error: Boom flow: {_message('rewriting')}" in result.stderr
    assert f"fixed {sol} (" in result.stderr and f"fixed {folder / 'leaky.robin'}" in result.stderr
    flows = {f.name: f.script for f in pafix.solutions.container.load_solution(sol).flows}
    assert "BOOM" in flows["Boom flow"] and "@SENSITIVE" not in flows["Boom flow"]  # left as it was
    assert CANARY not in output(result)


def test_rewrite_failure_of_a_whole_solution(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pafix.cli.rewrite

    (folder / "boom.robin").unlink()
    sol = _solution(folder)
    before = sol.read_bytes()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise Injected(CANARY)

    monkeypatch.setattr(pafix.cli.rewrite, "rewrite_solution", broken)
    result = invoke("rewrite", "--in-place", folder)
    assert result.exit_code == 2
    assert f"{sol}: error: {_message('rewriting', 'solution')}" in result.stderr
    assert f"fixed {folder / 'leaky.robin'}" in result.stderr
    assert sol.read_bytes() == before
    assert CANARY not in output(result)


def test_write_failure_of_a_solution_keeps_it(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug while the archive is written (here: in the verification of the new archive)."""
    import pafix.solutions.rewrite

    (folder / "boom.robin").unlink()
    sol = _solution(folder)
    before = sol.read_bytes()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise Injected(CANARY)

    monkeypatch.setattr(pafix.solutions.rewrite, "_verify", broken)
    result = invoke("rewrite", "--in-place", folder)
    assert result.exit_code == 2
    assert f"{sol}: error: not written: {_message('writing', 'solution')}" in result.stderr
    assert sol.read_bytes() == before
    assert zipfile.ZipFile(sol).testzip() is None
    assert not [p.name for p in folder.iterdir() if "pafix" in p.name]
    assert CANARY not in output(result)
