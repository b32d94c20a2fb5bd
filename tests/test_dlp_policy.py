"""Reading DLP policy files (both shapes, any key case), the action group mapping data, and
``pafix scan --dlp-policy`` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pafix.cli.main import main
from pafix.dlp import DlpPolicyError, load_action_ids, load_policy_file, module_map, parse_policies
from pafix.dlp.groups import ActionIds, Group, Unknown
from pafix.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
DLP = ROOT / "fixtures" / "dlp"
PS = DLP / "get-dlppolicy.json"
V2 = DLP / "admin-api-v2-policy.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"
TERRAFORM = SHARED / "corpus" / "dlp" / "terraform-provider-fixtures"
SOLUTION = SHARED / "corpus" / "solutions" / "PADFramework_1_1_12501_241.zip"
corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")

GROUP = "providers/Microsoft.ProcessSimple/operationGroups/DesktopFlow."


def _action(line: str) -> Any:
    return parse(line + "\n").body[0]


# ---- the two shapes -------------------------------------------------------------------------


def test_powershell_shape() -> None:
    finance, baseline = load_policy_file(PS)
    assert (finance.label, baseline.label) == ("Desktop flows - finance", "Desktop flows - tenant baseline")
    assert finance.classify(GROUP + "Database") == "Confidential"
    assert finance.classify(GROUP + "File") == "General"
    assert finance.classify(GROUP + "Scripting") == "Blocked"
    assert finance.classify(GROUP + "Display") == "General"  # default
    assert finance.classify("providers/microsoft.powerapps/apis/SHARED_SHAREPOINTONLINE") == "Confidential"
    assert baseline.default_classification == "Confidential"
    assert baseline.environment_type == "ExceptEnvironments"
    assert finance.actions == {} and finance.endpoints == {}


def test_powershell_single_policy_object() -> None:
    data = json.loads(PS.read_text(encoding="utf-8"))["value"][0]
    [policy] = parse_policies(data, "single.json")
    assert policy.classify(GROUP + "Scripting") == "Blocked"


def test_admin_api_v2_shape() -> None:
    [policy] = load_policy_file(V2)
    assert policy.label == "RPA guard rails"
    assert policy.classify(GROUP + "Cmd") == "Blocked"
    scripting = policy.action_config(GROUP + "Scripting")
    assert scripting is not None
    assert scripting.behavior("runpowershellscript") == ("Block", True)
    assert scripting.behavior("RunPythonScript") == ("Allow", False)
    crypto = policy.action_config(GROUP + "Cryptography")
    assert crypto is not None and crypto.behavior("EncryptText") == ("Block", False)
    web = policy.endpoints[(GROUP + "Web").lower()]
    assert [(r.order, r.behavior, r.endpoint) for r in web] == [
        (1, "Allow", "https://api.contoso.com/*"), (2, "Deny", "*")]


def test_powershell_policy_with_connector_configurations() -> None:
    data = {"displayName": "p", "defaultConnectorsClassification": "General", "connectorGroups": [],
            "connectorActionConfigurations": [{"connectorId": GROUP + "Scripting",
                                               "actionRules": [{"actionId": "RunVBScript", "behavior": "Block"}]}],
            "endpointConfigurations": [{"connectorId": GROUP + "Web",
                                        "endpointRules": [{"order": 1, "behavior": "Deny", "endpoint": "*"}]}]}
    [policy] = parse_policies(data)
    config = policy.action_config(GROUP + "Scripting")
    assert config is not None and config.behavior("RunVBScript") == ("Block", True)
    assert policy.endpoint_rule(GROUP + "Web", "https://x") is not None


def _recase(value: Any, depth: int = 0) -> Any:
    """Every key with alternating upper/lower case: ``cOnNeCtOrGrOuPs``."""
    if isinstance(value, dict):
        return {"".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(k)): _recase(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_recase(v, depth + 1) for v in value]
    return value


@pytest.mark.parametrize("path", [PS, V2], ids=["powershell", "v2"])
def test_keys_are_case_insensitive(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert parse_policies(_recase(data), str(path)) == load_policy_file(path)
    upper = json.loads(json.dumps(data).replace('"connectorGroups"', '"CONNECTORGROUPS"'))
    assert parse_policies(upper, str(path)) == load_policy_file(path)


def test_classification_aliases() -> None:
    data = {"defaultConnectorsClassification": "NonBusiness", "connectorGroups": [
        {"classification": "business", "connectors": [{"id": GROUP + "File"}]}]}
    [policy] = parse_policies(data)
    assert policy.default_classification == "General"
    assert policy.classify(GROUP + "File") == "Confidential"


def test_connector_in_two_groups_keeps_the_stricter() -> None:
    data = {"connectorGroups": [{"classification": "Blocked", "connectors": [{"id": GROUP + "File"}]},
                                {"classification": "General", "connectors": [{"id": GROUP + "File"}]}]}
    [policy] = parse_policies(data)
    assert policy.classify(GROUP + "File") == "Blocked"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"hello": 1}, "is not a DLP policy"),
        ([], "holds no policy"),
        ({"value": []}, "holds no policy"),
        ("text", "must hold a JSON object or array"),
        ({"connectorGroups": [{"classification": "Secret", "connectors": []}]}, "unknown classification 'Secret'"),
        ({"connectorGroups": {"classification": "General"}}, "connectorGroups must be a JSON array"),
        ({"connectorGroups": [{"classification": "General", "connectors": [{"name": "x"}]}]}, ".id must be"),
        ({"policyDefinition": {"connectorGroups": []}, "connectorConfigurationsDefinition": {
            "connectorActionConfigurations": [{"connectorId": "c", "actionRules": [
                {"actionId": "a", "behavior": "Maybe"}]}]}}, "unknown action behavior 'Maybe'"),
        ({"policyDefinition": {}, "connectorConfigurationsDefinition": {"endpointConfigurations": [
            {"connectorId": "c", "endpointRules": [{"order": "1", "behavior": "Deny", "endpoint": "*"}]}]}},
         "order must be an integer"),
        ({"policyDefinition": []}, "policyDefinition must be a JSON object"),
    ],
)
def test_bad_policies_are_clear_errors(data: Any, fragment: str) -> None:
    with pytest.raises(DlpPolicyError) as info:
        parse_policies(data, "bad.json")
    assert str(info.value).startswith("bad.json: ")
    assert fragment in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(DlpPolicyError, match="broken.json: not valid JSON"):
        load_policy_file(broken)
    with pytest.raises(DlpPolicyError, match="no such file"):
        load_policy_file(tmp_path / "missing.json")


@corpus
@pytest.mark.corpus
def test_real_terraform_fixtures_load() -> None:
    one = load_policy_file(TERRAFORM / "get_policy_00000000-0000-0000-0000-000000000001.json")
    two = load_policy_file(TERRAFORM / "get_policy_00000000-0000-0000-0000-000000000002.json")
    assert [p.label for p in one + two] == ["a1", "a2"]
    [a1], [a2] = one, two
    assert a1.groups == {} and a1.default_classification == "General"
    blob = "/providers/Microsoft.PowerApps/apis/shared_azureblob"
    assert a2.classify(blob) == "Confidential"
    assert a2.classify("/providers/Microsoft.PowerApps/apis/shared_sql") == "General"
    config = a2.action_config(blob)
    assert config is not None
    assert config.behavior("CreateFile_V2") == ("Allow", True)
    assert config.behavior("SomethingElse") == ("Block", False)
    # the fixture spells "endPoint"
    rule = a2.endpoint_rule(blob, "https://anything")
    assert rule is not None and (rule.behavior, rule.endpoint) == ("Deny", "*")


# ---- the module data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "group"),
    [
        ("Scripting.RunPowershellScript.RunPowershellScript Script: x", "DesktopFlow.Scripting"),
        ("External.RunFlow FlowId: 'a'", "DesktopFlow.Runflow"),
        ("External.ShutdownComputer.Restart Force: True", "DesktopFlow.Workstation"),
        ("Web.InvokeWebService.InvokeWebService Url: u", "DesktopFlow.Web"),
        ("WebAutomation.GoToWebPage.GoToWebPage Url: u", "DesktopFlow.WebAutomation"),
        ("Services.StartService ServiceName: s", "DesktopFlow.Services"),
        ("Display.ShowMessageDialog.ShowMessage Message: m", "DesktopFlow.Display"),
    ],
)
def test_actions_map_to_their_group(line: str, group: str) -> None:
    found = module_map().resolve(_action(line))
    assert isinstance(found, Group) and found.id == "providers/Microsoft.ProcessSimple/operationGroups/" + group


def test_cloud_connector_maps_by_connector_id() -> None:
    action = _action("External.InvokeCloudConnector Connection: 'c' "
                     "ConnectorId: '/providers/Microsoft.PowerApps/apis/shared_sql' OperationId: 'GetRows'")
    found = module_map().resolve(action)
    assert found == Group("/providers/Microsoft.PowerApps/apis/shared_sql", "shared_sql", "connector")
    assert module_map().action_id(action, found, ActionIds()) == "GetRows"


@pytest.mark.parametrize("line", ["Variables.ClearList List: L", "Text.Trim Text: t", "DateTime.Add DateTime: d"])
def test_unmanaged_modules_map_to_nothing(line: str) -> None:
    assert module_map().resolve(_action(line)) is None


@pytest.mark.parametrize(
    ("line", "module"),
    [("WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem WorkQueue: q", "WorkQueues"),
     ("External.SomethingNew X: 1", "External.SomethingNew"),
     ("External.InvokeCloudConnector Connection: 'c' ConnectorId: Cid OperationId: 'x'", "External.InvokeCloudConnector")],
)
def test_unknown_modules(line: str, module: str) -> None:
    found = module_map().resolve(_action(line))
    assert isinstance(found, Unknown) and found.module == module


def test_every_dlp_module_of_the_docs_is_mapped() -> None:
    ids = {group.id.rsplit(".", 1)[1] for _, group in module_map().prefixes}
    assert len(ids) == 34
    assert {"Runflow", "Web", "WebAutomation", "PowerAutomateSecretVariables", "Services", "Display"} <= ids


def test_action_id_styles() -> None:
    name = "Scripting.RunPowershellScript.RunPowershellScript"
    assert ActionIds().action_id(name) == "RunPowershellScript"
    assert ActionIds("action-variant").action_id(name) == "RunPowershellScript.RunPowershellScript"
    assert ActionIds("name").action_id(name) == name
    ids = ActionIds(overrides={"Scripting": "S", "scripting.runpowershellscript": "PS"})
    assert ids.action_id(name) == "PS"  # the longest key wins
    assert ids.action_id("Scripting.RunVBScript") == "S"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [('{"style": "weird"}', "style must be one of"), ('{"overrides": {"a": 1}}', "overrides must map"),
     ('{"extra": 1}', "unknown key(s) extra"), ("[]", "must be a JSON object"), ("{", "cannot read")],
)
def test_bad_action_id_maps(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "ids.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DlpPolicyError) as info:
        load_action_ids(path)
    assert fragment in str(info.value)


# ---- pafix scan --dlp-policy ----------------------------------------------------------------

SCRIPT_FLOW = "Scripting.RunPowershellScript.RunPowershellScript Script: $'''Get-Process''' ScriptOutput=> Out\n"


def scan(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["scan", *map(str, args)], catch_exceptions=False)


def test_scan_with_policy_reports_dlp_findings(tmp_path: Path) -> None:
    flow = tmp_path / "flow.robin"
    flow.write_text(SCRIPT_FLOW, encoding="utf-8")
    result = scan("--format", "json", "--dlp-policy", PS, "--dlp-policy", V2, flow)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["PAF301"]
    assert findings[0]["name"] == "dlp-blocked-action-group"


def test_scan_without_policy_has_no_dlp_findings(tmp_path: Path) -> None:
    flow = tmp_path / "flow.robin"
    flow.write_text(SCRIPT_FLOW, encoding="utf-8")
    result = scan("--format", "json", flow)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["findings"] == []


def test_scan_action_ids_option(tmp_path: Path) -> None:
    flow = tmp_path / "flow.robin"
    flow.write_text(SCRIPT_FLOW, encoding="utf-8")
    ids = tmp_path / "ids.json"
    ids.write_text('{"style": "name"}', encoding="utf-8")
    assert scan("--dlp-policy", V2, flow).exit_code == 1  # RunPowershellScript: Block
    assert scan("--dlp-policy", V2, "--dlp-action-ids", ids, flow).exit_code == 0


@pytest.mark.parametrize("content", ["{oops", '{"value": [{"connectorGroups": [{"classification": "Nope"}]}]}'])
def test_scan_bad_policy_exits_2(tmp_path: Path, content: str) -> None:
    flow = tmp_path / "flow.robin"
    flow.write_text(SCRIPT_FLOW, encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text(content, encoding="utf-8")
    result = scan("--dlp-policy", policy, flow)
    assert result.exit_code == 2
    assert result.stderr.startswith("pafix: error: ") and "policy.json" in result.stderr
    assert result.stdout == ""


def test_scan_missing_policy_exits_2(tmp_path: Path) -> None:
    flow = tmp_path / "flow.robin"
    flow.write_text(SCRIPT_FLOW, encoding="utf-8")
    result = scan("--dlp-policy", tmp_path / "nope.json", flow)
    assert result.exit_code == 2 and "nope.json" in result.stderr


def test_scan_action_ids_without_policy_exits_2(tmp_path: Path) -> None:
    flow = tmp_path / "flow.robin"
    flow.write_text(SCRIPT_FLOW, encoding="utf-8")
    ids = tmp_path / "ids.json"
    ids.write_text("{}", encoding="utf-8")
    assert scan("--dlp-action-ids", ids, flow).exit_code == 2


@corpus
@pytest.mark.corpus
def test_scan_solution_with_policy(tmp_path: Path) -> None:
    """The solution path (flows checked together) gets the policies too."""
    result = scan("--format", "json", "--select", "PAF3", "--dlp-policy", PS, SOLUTION)
    findings = json.loads(result.stdout)["findings"]
    by_flow = {(f["flow"], f["rule"]) for f in findings}
    assert ("PADFramework: ExcelCloser", "PAF301") in by_flow  # Scripting.RunPowershellScript
    assert ("PADFramework: LoggerLocalConnectors", "PAF303") in by_flow  # Database + File
    assert ("PADFramework: FlowTemplate (WorkQueues)", "PAF305") in by_flow  # WorkQueues
    assert result.exit_code == 1


@corpus
@pytest.mark.corpus
def test_scan_with_real_terraform_policies() -> None:
    result = scan("--dlp-policy", TERRAFORM / "get_policy_00000000-0000-0000-0000-000000000001.json",
                  "--dlp-policy", TERRAFORM / "get_policy_00000000-0000-0000-0000-000000000002.json",
                  "--select", "PAF301,PAF302,PAF303,PAF304", SOLUTION)
    assert result.exit_code == 0, result.stdout  # no desktop-flow group in them: all General
