"""Builders of hostile input (files, folders, solution archives) and a CLI runner, shared by the
hardening tests (``test_hostile_*.py``, ``test_no_secret_leaks_channels.py``)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from fuzz_checks import scan_args
from pafix.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_FIXTURE = ROOT / "fixtures" / "solutions" / "unpacked_minimal"
FIXTURE_DATA = "Workflows/PafixSampleLogin-5F3C2A10-7B1D-4E2A-9C55-0D1E2F3A4B5C.json.data.xml"
FIXTURE_ID = "5f3c2a10-7b1d-4e2a-9c55-0d1e2f3a4b5c"

#: a loose flow with a finding of its own: it must be reported whatever else is in the run.
#: It has a header (@SENSITIVE): in a header-less snippet the flow it was copied from may mark
#: Copy sensitive, so PAF101 there is only low confidence (not shown, not fixed by default)
LEAKY = "@SENSITIVE: [Password]\nSET Password TO $'''hunter2'''\nSET Copy TO Password\n"
LEAKY_RULES = ("PAF101", "PAF104")


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def invoke(*args: str | Path, catch: bool = False) -> Result:
    return runner().invoke(main, [str(a) for a in args], catch_exceptions=catch)


def scan(*args: str | Path) -> Result:
    """``pafix scan`` in this process, without the result cache, in one process, at every
    confidence (the hostile flows are header-less snippets: their findings are low)."""
    return invoke("scan", *scan_args(), "--min-confidence", "low", *args)


def output(result: Result) -> str:
    return result.stdout + result.stderr


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output(result), output(result)


def leaky(folder: Path, name: str = "leaky.robin") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(LEAKY, encoding="utf-8")
    return path


def assert_leaky_reported(result: Result, path: Path) -> None:
    text = result.stdout
    for rule in LEAKY_RULES:
        assert f"{path}:" in text and rule in text, output(result)


def error_lines(result: Result, path: Path | str) -> list[str]:
    """The report's error lines of ``path`` (text format)."""
    return [line for line in output(result).splitlines() if line.startswith(f"{path}") and ": error: " in line]


# ---- solutions ------------------------------------------------------------------------------


def workflow_element() -> str:
    text = (SOLUTION_FIXTURE / FIXTURE_DATA).read_text(encoding="utf-8")
    return text[text.index("<Workflow ") :]


def wrap_customizations(*workflows: str, prolog: str = "") -> str:
    body = "\r\n".join("    " + w for w in workflows)
    return (
        f"{prolog}<ImportExportXml xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\r\n"
        f"  <Entities></Entities>\r\n  <Workflows>\r\n{body}\r\n  </Workflows>\r\n</ImportExportXml>"
    )


def one_flow(definition_text: str, name: str = "conv", inputs_text: str = '{"schema":null}') -> str:
    return (
        f'<Workflow WorkflowId="{{{FIXTURE_ID}}}" Name="{name}"><Category>6</Category>'
        f"<Inputs>{inputs_text}</Inputs><Definition>{definition_text}</Definition></Workflow>"
    )


def build_zip(path: Path, members: Sequence[tuple[str, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def good_solution_zip(path: Path) -> Path:
    return build_zip(path, [("customizations.xml", wrap_customizations(workflow_element()).encode("utf-8"))])
