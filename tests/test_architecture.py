"""The package layering in ``pyproject.toml`` (``[tool.importlinter]``) holds, no two pafix
modules import each other, directly or through others, and ``docs/architecture.md`` draws
today's import graph."""

from __future__ import annotations

import difflib
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
#: modules that belong to no layer: the root package (``__version__``, the lazy ``pafix.parse``),
#: ``python -m pafix``, and the ``pafix.fixes`` and ``pafix.access`` namespaces themselves (their modules
#: are layered one by one)
UNLAYERED = frozenset({"pafix", "pafix.__main__", "pafix.fixes", "pafix.access"})


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("pafix", cache_dir=None)


def _pipeline() -> dict[str, object]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    contract: dict[str, object] = next(c for c in config["contracts"] if c["id"] == "pipeline")
    return contract


def test_import_contracts_are_kept() -> None:
    """``lint-imports`` on the contracts: a broken one fails with import-linter's report,
    which names the import chain that breaks it."""
    run = subprocess.run(
        [sys.executable, "-c",
         "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, f"import contracts broken (pyproject.toml [tool.importlinter]):\n{run.stdout}\n{run.stderr}"
    assert "0 broken" in run.stdout, run.stdout


def test_every_module_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    """A new package or top-level module must be given its place in the pipeline contract, or
    the contract would say nothing about it."""
    layers = _pipeline()["layers"]
    assert isinstance(layers, list)
    names = ["pafix." + part.strip() for layer in layers for part in layer.replace(":", "|").split("|")]
    unplaced = sorted(
        m for m in graph.modules
        if m not in UNLAYERED and not any(m == name or m.startswith(name + ".") for name in names)
    )
    assert not unplaced, f"modules in no layer of the pipeline contract: {unplaced}"


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    """No module imports, directly or through others, a module that imports it (a package's
    ``__init__`` counts as a module: a renderer importing helpers from its package's
    ``__init__``, which imports the renderer, is a cycle too)."""
    cycles = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.add(" -> ".join((importer, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def _diagram_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_architecture", ROOT / "scripts" / "gen_architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_architecture_diagram_is_up_to_date(graph: grimp.ImportGraph) -> None:
    """``docs/architecture.md`` shows the import graph of today, as the script draws it."""
    gen = _diagram_script()
    page = gen.OUTPUT.read_text(encoding="utf-8")
    wanted = gen.splice(page, gen.generate(graph))
    if page != wanted:
        diff = "".join(difflib.unified_diff(page.splitlines(True), wanted.splitlines(True), "stored", "generated", n=1))
        raise AssertionError(f"docs/architecture.md's diagram is out of date; regenerate it with:\n"
                             f"    {gen.REGENERATE}\n\n{diff}")


def test_diagram_boxes_cover_every_module(graph: grimp.ImportGraph) -> None:
    gen = _diagram_script()
    for module in graph.modules - gen.ENTRY_POINTS:
        assert gen.box_of(module) in gen.BOXES
