"""Shared by the adoption tests (baseline, pipelines, pac): where the shared corpus is, the CLI
runner, and a folder laid out as ``pac solution unpack`` lays out a packed export."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
#: ../shared beside the checkout; PAFIX_SHARED points elsewhere (a worktree)
SHARED = Path(os.environ.get("PAFIX_SHARED", ROOT.parent / "shared"))
SOLUTIONS = SHARED / "corpus" / "solutions"
CORPUS_ZIPS = sorted(SOLUTIONS.glob("*.zip")) if SOLUTIONS.is_dir() else []

needs_corpus = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS_ZIPS, reason="../shared/corpus/solutions is absent"),
]


def cli_runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


_WORKFLOW = re.compile(rb"<Workflow\s[^>]*>.*?</Workflow>", re.S)
_NAME = re.compile(rb"<JsonFileName>/?Workflows/([^<]+)</JsonFileName>")


def pac_unpack(zip_path: Path, folder: Path) -> list[Path]:
    """Lay ``zip_path`` out as ``pac solution unpack`` does (pad-formats.md 1.3): ``solution.xml``
    and ``customizations.xml`` under ``Other/``, and each desktop flow's ``<Workflow>`` element
    moved out of Customizations.xml into ``Workflows/<JsonFileName>.data.xml``; the other
    members as they are. Returns the ``.json.data.xml`` files written."""
    written: list[Path] = []
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            data = zf.read(info)
            name = info.filename
            if name.lower() == "solution.xml":
                target = folder / "Other" / "Solution.xml"
            elif name.lower() == "customizations.xml":
                target = folder / "Other" / "Customizations.xml"
                kept = []
                for match in _WORKFLOW.finditer(data):
                    element = match.group(0)
                    json_name = _NAME.search(element)
                    if b"<Category>6</Category>" not in element or json_name is None:
                        continue
                    out = folder / "Workflows" / (json_name.group(1).decode() + ".data.xml")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    if b"xsi:" in element and b"xmlns:xsi" not in element[: element.index(b">")]:
                        element = element.replace(b"<Workflow ", b'<Workflow xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ', 1)
                    out.write_bytes(b'<?xml version="1.0" encoding="utf-8"?>\r\n' + element)
                    written.append(out)
                    kept.append(match.span())
                for start, end in reversed(kept):
                    data = data[:start] + data[end:]
            else:
                target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return written


def pack(folder: Path, zip_path: Path) -> None:
    """The inverse for a small unpacked solution: ``solution.xml`` and ``customizations.xml``
    at the zip root, the ``Workflows/*.json.data.xml`` elements put back inline."""
    custom = (folder / "Other" / "Customizations.xml").read_bytes()
    elements = b"".join(
        p.read_bytes().split(b"?>", 1)[1].strip() for p in sorted((folder / "Workflows").glob("*.json.data.xml"))
    )
    custom = custom.replace(b"<Workflows />", b"<Workflows>" + elements + b"</Workflows>")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("solution.xml", (folder / "Other" / "Solution.xml").read_bytes())
        zf.writestr("customizations.xml", custom)
