"""Hostile solution archives through the CLI (issue 9).

``tests/test_solutions.py`` covers each of them in :func:`pafix.solutions.load_solution` (path
traversal names, zip bomb by ratio and by size, too many members, a member lying about its size,
corrupt zips, DOCTYPE/ENTITY, a Definition that is not JSON, broken XML). Here each goes through
``pafix scan`` and ``pafix rewrite`` next to a normal leaky flow and a good solution: one clear
error line for the hostile archive, the other files still processed, exit code 2, nothing of the
archive's content echoed.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile import (
    FIXTURE_ID,
    assert_leaky_reported,
    assert_no_traceback,
    build_zip,
    error_lines,
    good_solution_zip,
    invoke,
    leaky,
    one_flow,
    output,
    scan,
    workflow_element,
    wrap_customizations,
)
import pafix.solutions as solutions

CANARY = "CANARY-z1p9x4-ARCHIVE"


def _customizations() -> bytes:
    return wrap_customizations(workflow_element()).encode("utf-8")


def traversal(path: Path) -> None:
    build_zip(path, [("customizations.xml", _customizations()), ("Workflows/../../evil.txt", CANARY.encode())])


def absolute(path: Path) -> None:
    build_zip(path, [("customizations.xml", _customizations()), ("/etc/passwd", CANARY.encode())])


def bomb(path: Path) -> None:
    build_zip(path, [("customizations.xml", _customizations()), ("desktopflowbinaries/zeros.bin", bytes(50 * 1024 * 1024))])


def many_members(path: Path) -> None:
    members = [("customizations.xml", _customizations())] + [(f"m/{i}.txt", b"") for i in range(solutions.MAX_MEMBERS)]
    build_zip(path, members)


def corrupt(path: Path) -> None:
    good_solution_zip(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def random_bytes(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + os.urandom(400) + CANARY.encode())


def doctype(path: Path) -> None:
    prolog = '<?xml version="1.0"?>\r\n<!DOCTYPE lolz [<!ENTITY lol "' + CANARY + '"><!ENTITY lol2 "&lol;&lol;&lol;">]>\r\n'
    build_zip(path, [("customizations.xml", wrap_customizations(workflow_element(), prolog=prolog).encode())])


def entity_only(path: Path) -> None:
    prolog = '<?xml version="1.0"?>\r\n<!ENTITY x "' + CANARY + '">\r\n'
    build_zip(path, [("customizations.xml", wrap_customizations(workflow_element(), prolog=prolog).encode())])


def bad_definition(path: Path) -> None:
    flow = one_flow('"SET Password TO \\u0027' + CANARY + "\\u0027 never closed", name="Broken flow")
    build_zip(path, [("customizations.xml", wrap_customizations(flow).encode())])


def bad_inputs(path: Path) -> None:
    flow = one_flow('"SET x TO 1"', inputs_text='{"schema": {"properties": "' + CANARY)
    build_zip(path, [("customizations.xml", wrap_customizations(flow).encode())])


def empty_zip(path: Path) -> None:
    path.write_bytes(b"")


def no_customizations(path: Path) -> None:
    build_zip(path, [("solution.xml", b"<ImportExportXml/>")])


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "traversal": (traversal, "path traversal"),
    "absolute": (absolute, "absolute path"),
    "bomb": (bomb, "compression ratio of"),
    "many-members": (many_members, "too many members"),
    "corrupt": (corrupt, ""),
    "random": (random_bytes, ""),
    "doctype": (doctype, "DOCTYPE"),
    "entity": (entity_only, "DOCTYPE"),
    "bad-definition": (bad_definition, "<Definition> is not valid JSON"),
    "bad-inputs": (bad_inputs, "<Inputs> is not valid JSON"),
    "empty": (empty_zip, "empty"),
    "no-customizations": (no_customizations, "no customizations.xml"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    leaky(tmp_path)
    good_solution_zip(tmp_path / "good.zip")
    return tmp_path


def _assert_one_error(result_text: str, hostile: Path, message: str) -> None:
    lines = [line for line in result_text.splitlines() if line.startswith(str(hostile)) and ": error: " in line]
    assert len(lines) == 1, result_text[-3000:]
    assert message in lines[0], lines[0]
    assert len(lines[0]) < 500, lines[0]


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_scan(folder: Path, case: str) -> None:
    build, message = CASES[case]
    hostile = folder / "hostile.zip"
    build(hostile)
    result = scan(folder)
    assert_no_traceback(result)
    assert result.exit_code == 2, output(result)[-3000:]
    assert_leaky_reported(result, folder / "leaky.robin")
    assert f"{folder / 'good.zip'}!Pafix Sample: Login & Token:" in result.stdout  # the good solution is scanned
    _assert_one_error(output(result), hostile, message)
    assert CANARY not in output(result) and CANARY[:10] not in output(result)


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_scan_other_formats(folder: Path, fmt: str) -> None:
    hostile = folder / "hostile.zip"
    bad_definition(hostile)
    result = scan("--format", fmt, folder)
    assert result.exit_code == 2
    assert "is not valid JSON" in result.stdout and str(folder / "leaky.robin") in result.stdout
    assert CANARY not in output(result) and CANARY[:10] not in output(result)


@pytest.mark.parametrize("case", ["traversal", "bomb", "corrupt", "doctype", "bad-definition", "empty"])
@pytest.mark.parametrize("mode", ["--check", "--in-place"])
def test_rewrite(folder: Path, case: str, mode: str) -> None:
    build, message = CASES[case]
    hostile = folder / "hostile.zip"
    build(hostile)
    before = hostile.read_bytes()
    result = invoke("rewrite", mode, folder)
    assert_no_traceback(result)
    assert result.exit_code == 2, output(result)[-3000:]
    _assert_one_error(result.stderr, hostile, message)
    verb = "fixed" if mode == "--in-place" else "would fix"
    assert f"{verb} {folder / 'leaky.robin'}" in result.stderr
    assert f"{verb} {folder / 'good.zip'}" in result.stderr
    assert hostile.read_bytes() == before
    assert not [p for p in folder.iterdir() if "pafix" in p.name and p.name.endswith(("tmp", ".zip"))]
    assert CANARY not in output(result)


def test_inventory(folder: Path) -> None:
    hostile = folder / "hostile.zip"
    traversal(hostile)
    result = invoke("inventory", folder)
    assert result.exit_code == 2
    assert "path traversal" in result.stderr and str(folder / "leaky.robin") in result.stdout
    assert CANARY not in output(result)


def test_zip_member_lying_about_its_size(folder: Path) -> None:
    """The central directory understates the size of customizations.xml: caught while it is read."""
    hostile = folder / "hostile.zip"
    good_solution_zip(hostile)
    data = bytearray(hostile.read_bytes())
    cd = data.index(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    hostile.write_bytes(bytes(data))
    with zipfile.ZipFile(hostile) as zf:
        assert zf.infolist()[0].file_size == 100
    result = scan(folder)
    assert result.exit_code == 2
    assert_leaky_reported(result, folder / "leaky.robin")
    assert len(error_lines(result, hostile)) == 1


def test_unpacked_folder_with_bad_definition(tmp_path: Path) -> None:
    """An unpacked solution folder whose data XML holds invalid JSON."""
    sol = tmp_path / "Unpacked"
    (sol / "Workflows").mkdir(parents=True)
    (sol / "Workflows" / f"Broken-{FIXTURE_ID.upper()}.json.data.xml").write_text(
        one_flow('"' + CANARY + " never closed", name="Broken"), encoding="utf-8"
    )
    good = leaky(tmp_path)
    result = scan(tmp_path)
    assert result.exit_code == 2, output(result)
    assert_leaky_reported(result, good)
    assert "is not valid JSON" in output(result)
    assert CANARY not in output(result)
