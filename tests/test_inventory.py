"""``pafix inventory``: components per flow, the hand-checked real solutions, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pafix.cli.main import main
from pafix.access.inventory import CSV_FIELDS, Component, inventory_flow, inventory_paths, to_csv
from pafix.cli.sources import expand, read_file_unit
from pafix.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
INV = ROOT / "fixtures" / "inventory"
COMPONENTS = INV / "components.robin"
EXPECTED = INV / "expected.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SOLUTIONS = sorted((SHARED / "corpus" / "solutions").glob("*.zip"))
corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")

GROUP = "providers/Microsoft.ProcessSimple/operationGroups/DesktopFlow."


def inventory(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["inventory", *map(str, args)], catch_exceptions=False)


def components_of(text: str, **kwargs: Any) -> tuple[tuple[Component, ...], tuple[str, ...]]:
    return inventory_flow(parse(text), **kwargs)


# ---- one flow -------------------------------------------------------------------------------


def test_components_fixture() -> None:
    comps, groups = inventory_flow(parse(COMPONENTS.read_text(encoding="utf-8")))
    assert [c.as_dict() for c in comps] == [
        {"kind": "ui-element-repository", "name": "controlRepo.appmask", "id": None,
         "table": "Desktop Flow Binary", "line": 3, "used": True},
        {"kind": "ui-element-collection", "name": "Shared Login Screens.appmask", "id": None,
         "table": "Desktop Flow Module", "line": 4, "used": False},  # only a DISABLEd action uses it
        {"kind": "desktop-flow", "name": "Child: Send report", "id": "0a1b2c3d-0000-4000-8000-00000000aaaa",
         "table": "Process", "line": 7},  # braces and case normalised; the second call is the same flow
        {"kind": "work-queue", "name": "Invoices", "id": "4b22c5ab-fce5-ee11-904c-0022487f2c0b",
         "table": "Work Queue / Work Queue Item", "line": 9},
        {"kind": "credential", "name": "Contoso ERP service account", "id": None, "table": "Credential", "line": 10},
        {"kind": "connection-reference", "name": "Reports SharePoint", "id": "2416a92f-89d3-403f-9e70-b61bce2dd7d8",
         "table": "Connection Reference", "line": 13,
         "connector": "/providers/Microsoft.PowerApps/apis/shared_sharepointonline"},
        {"kind": "custom-action", "name": "ContosoInvoices", "id": None, "table": "Desktop Flow Module", "line": 14},
    ]
    assert groups == (
        "/providers/Microsoft.PowerApps/apis/shared_sharepointonline",
        GROUP + "File",  # from the IF condition
        GROUP + "PowerAutomateSecretVariables",
        GROUP + "Runflow",
        GROUP + "UIAutomation",
    )


def test_disabled_statements_are_not_components() -> None:
    text = ("DISABLE @@flowname: 'Old'\nDISABLE External.RunFlow FlowId: 'abc'\n"
            "DISABLE IF (WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem WorkQueue: 'q' WorkQueueItem=> I) THEN\n"
            "DISABLE END\nDISABLE Vendor.Custom X: 1\n")
    assert components_of(text) == ((), ())


def test_child_flow_name_prefers_the_solution() -> None:
    text = "@@flowname: 'Stale name'\nExternal.RunFlow FlowId: 'ABC'\nExternal.RunFlow FlowId: 'def'\n"
    comps, _ = components_of(text, siblings={"abc": "Current name"})
    assert [(c.name, c.id) for c in comps] == [("Current name", "abc"), (None, "def")]


def test_dynamic_references_keep_the_annotation() -> None:
    text = ("@@'InputSummaryValue:WORKQUEUE': '%QueueName%'\n"
            "WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem WorkQueue: QueueId WorkQueueItem=> Item\n"
            "@@flowname: 'Dispatcher'\nExternal.RunFlow FlowId: ChildId\n")
    comps, _ = components_of(text)
    assert [(c.kind, c.name, c.id) for c in comps] == [
        ("work-queue", "%QueueName%", None), ("desktop-flow", "Dispatcher", None)]


def test_work_queue_item_actions_are_not_queues() -> None:
    text = "WorkQueues.UpdateProcessingNotes.WithProcessingNotes WorkQueueItem: Item ProcessingNotes: $'''x'''\n"
    assert components_of(text)[0] == ()


def test_connection_reference_through_solution_json() -> None:
    text = ("@@connectionDisplayName: 'Display'\nExternal.InvokeCloudConnector Connection: 'AB-1' "
            "ConnectorId: '/providers/Microsoft.PowerApps/apis/shared_sql' OperationId: 'GetRows'\n")
    refs = [{"padInternalId": "ab-1", "connectionReferenceLogicalName": "new_SqlRef",
             "api": {"name": "/providers/Microsoft.PowerApps/apis/shared_sql"}}]
    [comp], groups = components_of(text, connection_references=refs)
    assert (comp.name, comp.id, comp.connector, comp.table) == (
        "new_SqlRef", "AB-1", "/providers/Microsoft.PowerApps/apis/shared_sql", "Connection Reference")
    assert groups == ("/providers/Microsoft.PowerApps/apis/shared_sql",)
    [comp], _ = components_of(text, connection_references={"x": refs[0]})  # object form
    assert comp.name == "new_SqlRef"
    [comp], _ = components_of(text)  # loose file: the annotation names it
    assert comp.name == "Display"


def test_standard_and_catalogued_modules_are_not_custom_actions() -> None:
    text = ("Word.LaunchWord.LaunchAndOpen Path: P Visible: True ReadOnly: False Instance=> W\n"
            "WorkQueues.UpdateProcessingNotes.WithProcessingNotes WorkQueueItem: I ProcessingNotes: N\n"
            "Variables.ClearList List: L\nCyberArk.GetPassword.GetPassword X: 1\n")
    assert [c.kind for c in components_of(text)[0]] == []


def test_order_is_deterministic() -> None:
    text = COMPONENTS.read_text(encoding="utf-8")
    assert inventory_flow(parse(text)) == inventory_flow(parse(text))
    comps, _ = inventory_flow(parse(text))
    assert [c.line for c in comps] == sorted(c.line for c in comps)


def test_csv_cells_cannot_be_formulas() -> None:
    comps, _ = components_of("@@flowname: '=HYPERLINK(1)'\nExternal.RunFlow FlowId: 'a'\n")
    from pafix.access.inventory import FlowInventory

    rows = list(csv.reader(io.StringIO(to_csv([FlowInventory("f.robin", None, comps, ())]))))
    assert rows[1][3] == "'=HYPERLINK(1)"


# ---- the real solutions, checked by hand ----------------------------------------------------


def _by_flow(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(Path(f["path"]).name, f["flow"]): f for f in document["flows"]}


@corpus
@pytest.mark.corpus
def test_real_solutions_match_the_hand_checked_flows() -> None:
    """``fixtures/inventory/expected.json`` was written by reading the scripts (its
    ``_comment`` names the six flows checked); every flow in it must match exactly."""
    assert len(SOLUTIONS) == 2
    result = inventory("--format", "json", *SOLUTIONS)
    assert result.exit_code == 0, result.stderr
    got = _by_flow(json.loads(result.stdout))
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert expected["version"] == 1
    assert len(expected["flows"]) >= 3
    for key, want in _by_flow(expected).items():
        assert key in got, f"{key} missing from the inventory"
        have = dict(got[key], path=Path(got[key]["path"]).name)
        assert have == want, key


@corpus
@pytest.mark.corpus
def test_real_solutions_every_flow_listed_and_readable() -> None:
    flows, errors = inventory_paths(expand([str(p) for p in SOLUTIONS]), read_file_unit)
    assert errors == []
    assert len(flows) == 13 + 10
    kinds = {c.kind for f in flows for c in f.components}
    assert kinds == {"ui-element-repository", "desktop-flow", "work-queue", "connection-reference"}


# ---- CLI ------------------------------------------------------------------------------------


def test_cli_json() -> None:
    result = inventory("--format", "json", COMPONENTS)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert set(doc) == {"version", "flows"} and doc["version"] == 1
    [flow] = doc["flows"]
    assert set(flow) == {"path", "flow", "components", "dlp_groups"}
    assert flow["flow"] is None and flow["path"].endswith("components.robin")
    for comp in flow["components"]:
        assert {"kind", "name", "id", "table", "line"} <= set(comp) <= {
            "kind", "name", "id", "table", "line", "used", "connector"}


def test_cli_csv() -> None:
    result = inventory("--format", "csv", COMPONENTS)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) == 7
    assert [r["kind"] for r in rows][:3] == ["ui-element-repository", "ui-element-collection", "desktop-flow"]
    assert rows[1]["used"] == "false" and rows[2]["used"] == ""


def test_cli_text(tmp_path: Path) -> None:
    result = inventory(COMPONENTS)
    assert result.exit_code == 0
    assert "desktop-flow  'Child: Send report'  0a1b2c3d-0000-4000-8000-00000000aaaa  [Process]  line 7" in result.stdout
    assert "(unused)" in result.stdout
    assert "DLP action groups: shared_sharepointonline, DesktopFlow.File" in result.stdout
    out = tmp_path / "inv.txt"
    assert inventory("-o", out, COMPONENTS).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout


def test_cli_unreadable_flow_exits_2_and_lists_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.robin"
    bad.write_text("IF x THEN\n", encoding="utf-8")
    good = tmp_path / "good.robin"
    good.write_text("External.RunFlow FlowId: 'a'\n", encoding="utf-8")
    result = inventory("--format", "json", bad, good, tmp_path / "missing.robin")
    assert result.exit_code == 2
    assert [f["path"] for f in json.loads(result.stdout)["flows"]] == [str(good)]
    assert "bad.robin" in result.stderr and "missing.robin" in result.stderr


@corpus
@pytest.mark.corpus
@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_cli_solution_formats(fmt: str) -> None:
    result = inventory("--format", fmt, SOLUTIONS[0])
    assert result.exit_code == 0
    assert "def_PADFramework_SharePoint" in result.stdout
    assert result.stdout == inventory("--format", fmt, SOLUTIONS[0]).stdout  # deterministic
