"""``pafix access``: the access plan on fixtures (a solution with a role) and on both corpus
solutions, in text, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pafix.access.inventory import Component, FlowInventory
from pafix.access.plan import plan_flows
from pafix.access.privileges import RUNNER_NEEDS
from pafix.cli.main import main
from pafix.solutions.metadata import load_metadata

ROOT = Path(__file__).resolve().parents[1]
POS_401 = ROOT / "fixtures" / "rules" / "PAF401" / "pos_global_read_workflow"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SOLUTIONS = sorted((SHARED / "corpus" / "solutions").glob("*.zip"))
corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")


def access(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["access", *map(str, args)], catch_exceptions=False)


def _flow(name: str, wid: str, *components: Component) -> FlowInventory:
    return FlowInventory("sol.zip", name, components, (), workflow_id=wid)


def test_children_are_followed_transitively_once() -> None:
    leaf = _flow("Leaf", "c", Component("credential", "Mailbox", None, 3))
    mid = _flow("Mid", "b", Component("desktop-flow", "Leaf", "c", 2), Component("work-queue", "Q", "q1", 4))
    top = _flow("Top", "a", Component("desktop-flow", "Mid", "b", 1), Component("desktop-flow", "Leaf", "c", 5))
    loop = _flow("Loop", "d", Component("desktop-flow", "Loop", "d", 1))
    plans = {p.flow: p for p in plan_flows([top, mid, leaf, loop])}
    rows = [(r.privilege, r.name, r.via) for r in plans["Top"].requirements]
    assert rows == [
        ("prvReadWorkflow", "Top", ()),
        ("prvReadWorkflow", "Mid", ()),
        ("prvReadWorkflow", "Leaf", ("Mid",)),
        ("prvReadcredential", "Mailbox", ("Mid", "Leaf")),
        ("prvReadworkqueue", "Q", ("Mid",)),
        ("prvReadworkqueueitem", "Q", ("Mid",)),
        ("prvWriteworkqueueitem", "Q", ("Mid",)),
        ("prvReadWorkflow", "Leaf", ()),  # listed again as a direct reference, not walked twice
    ]
    assert [r.name for r in plans["Loop"].requirements] == ["Loop", "Loop"]  # a self-reference ends


def test_roles_of_the_solution_are_matched_with_their_level() -> None:
    roles = load_metadata(POS_401).roles
    flow = _flow("F", "a", Component("ui-element-collection", "x.appmask", None, 1),
                 Component("credential", "C", None, 2))
    reqs = {r.privilege: r for r in plan_flows([flow], roles)[0].requirements}
    assert [(g.role, g.level) for g in reqs["prvReadWorkflow"].granted_by] == [("Apollo Admin", "Global")]
    assert [(g.role, g.level) for g in reqs["prvReaddesktopflowmodule"].granted_by] == [("Apollo Admin", "Basic")]
    assert reqs["prvReadcredential"].granted_by == ()


def test_every_inventory_kind_has_a_need() -> None:
    from pafix.access.inventory import TABLES

    assert set(RUNNER_NEEDS) == set(TABLES)


@corpus
@pytest.mark.corpus
@pytest.mark.parametrize("zip_path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_corpus_solutions(zip_path: Path) -> None:
    result = access("--format", "json", zip_path)
    assert result.exit_code == 0, result.output
    flows = json.loads(result.output)["flows"]
    assert flows and all(f["requirements"][0]["privilege"] == "prvReadWorkflow" for f in flows)
    reqs = [r for f in flows for r in f["requirements"]]
    assert all(r["granted_by"] == [] for r in reqs)  # the exports ship no role
    # FlowTemplate runs ConfigReaderLocalConnectors, which runs ExcelCloser: reached through the chain
    template = next(f for f in flows if f["flow"] == "PADFramework: FlowTemplate")
    assert any(r["via"] == ["PADFramework: ConfigReaderLocalConnectors"] and r["name"] == "PADFramework: ExcelCloser"
               for r in template["requirements"])
    if zip_path.name.startswith("PADFramework_1"):
        logger = next(f for f in flows if f["flow"] == "PADFramework: LoggerCloudConnectors")
        assert {r["name"] for r in logger["requirements"] if r["table"] == "connectionreference"} == {
            "def_PADFramework_SharePoint", "def_PADFramework_Dataverse"}
    text = access(zip_path).output
    assert "(this flow)" in text and "granted by: no role of this solution" in text
    rows = list(csv.DictReader(io.StringIO(access("--format", "csv", zip_path).output)))
    assert len(rows) == len(reqs) and rows[0]["privilege"] == "prvReadWorkflow"


@corpus
@pytest.mark.corpus
def test_corpus_flows_with_a_shipped_role(tmp_path: Path) -> None:
    """The real flows of a solution folder plus a role: the plan names the role."""
    if not SOLUTIONS:
        pytest.skip("no corpus solution")
    import zipfile

    folder = tmp_path / "sol"
    with zipfile.ZipFile(SOLUTIONS[0]) as zf:
        (folder / "Other").mkdir(parents=True)
        (folder / "Other" / "Customizations.xml").write_bytes(zf.read("customizations.xml"))
    shutil.copytree(POS_401 / "Roles", folder / "Roles")
    flows = json.loads(access("--format", "json", folder).output)["flows"]
    first = flows[0]["requirements"][0]
    assert first["granted_by"] == [{"role": "Apollo Admin", "privilege": "prvReadWorkflow", "level": "Global"}]


def test_loose_file_and_errors(tmp_path: Path) -> None:
    flow = tmp_path / "f.robin"
    flow.write_text("PowerAutomateSecretVariables.GetCredential Credential: $'''c1''' CredentialResult=> C\n",
                    encoding="utf-8")
    result = access(flow)
    assert result.exit_code == 0 and "prvReadWorkflow" in result.output
    assert access(tmp_path / "missing.robin").exit_code == 2
