"""The PAF3xx DLP rules: semantics (disabled statements, conditions, several policies, no
policy, action ids, the ambient scope the scan front end uses).

The pos_/neg_ cases of each rule are rule fixtures like any other:
``fixtures/rules/PAF30x/*.robin`` with a ``.context.json`` naming the policy files
(``{"dlp_policy": ["../../dlp/admin-api-v2-policy.json"]}``) and an ``.expected`` snapshot,
checked by ``tests/test_rules.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pafix.core import check_source
from pafix.dlp import DlpSettings, dlp_scope, load_policy_file, load_settings, parse_policies
from pafix.findings import Finding

ROOT = Path(__file__).resolve().parents[1]
DLP = ROOT / "fixtures" / "dlp"
CASES = sorted((ROOT / "fixtures" / "rules").glob("PAF3*/*.robin"))
PS = DLP / "get-dlppolicy.json"
V2 = DLP / "admin-api-v2-policy.json"


def dlp_findings(text: str, *policies: Path, codes: str = "PAF3") -> list[Finding]:
    settings = load_settings(list(policies))
    result = check_source(text, "<test>", dlp=settings)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule.startswith(codes)]


def test_dlp_cases_name_policies() -> None:
    assert {p.parent.name for p in CASES} == {"PAF301", "PAF302", "PAF303", "PAF304", "PAF305"}
    for path in CASES:
        ctx = json.loads(path.with_suffix(".context.json").read_text(encoding="utf-8"))
        assert ctx["dlp_policy"] and all((path.parent / p).is_file() for p in ctx["dlp_policy"])


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_no_findings_without_a_policy(path: Path) -> None:
    result = check_source(path.read_text(encoding="utf-8"), "<case>")
    assert not [f for f in result.findings if f.rule.startswith("PAF3")]


# ---- semantics ------------------------------------------------------------------------------

SCRIPT = "Scripting.RunPowershellScript.RunPowershellScript Script: $'''Get-Process''' ScriptOutput=> Out\n"
FILE_DELETE = "File.Delete Files: OutputPath\n"
DATABASE = ("Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Conn Statement: $'''SELECT 1''' "
            "Timeout: 30 Result=> Rows\n")


def test_blocked_group_in_a_condition_counts() -> None:
    text = "IF (FTP.IfFileExists FileName: $'''a.csv''') THEN\n    SET x TO 1\nEND\n"
    found = dlp_findings(text, PS)
    assert [(f.rule, f.line, f.column) for f in found] == [("PAF301", 1, 5)]
    assert "'Desktop flows - tenant baseline'" in found[0].message


def test_disabled_statements_do_not_count() -> None:
    text = (
        "DISABLE " + SCRIPT
        + "DISABLE IF (FTP.IfFileExists FileName: $'''a.csv''') THEN\nDISABLE     " + SCRIPT + "DISABLE END\n"
        + "DISABLE LOOP WHILE (FTP.IfFileExists FileName: $'''a.csv''')\nDISABLE END\n"
        + DATABASE + "DISABLE " + FILE_DELETE
    )
    assert dlp_findings(text, PS, V2) == []


def test_statements_inside_a_disabled_block_do_not_count() -> None:
    text = DATABASE + "DISABLE LOOP FOREACH Item IN Items\nDISABLE     " + FILE_DELETE + "DISABLE END\n"
    assert dlp_findings(text, V2) == []


def test_mix_points_at_the_second_side_and_traces_the_first() -> None:
    text = "SET x TO 1\n" + FILE_DELETE + "SET y TO 2\n" + DATABASE
    [f] = dlp_findings(text, V2)
    assert (f.rule, f.line) == ("PAF303", 4)
    assert "Business group Database" in f.message and "Non-business group File" in f.message
    assert [(s.line, s.column) for s in f.trace] == [(2, 1)]
    assert "File.Delete" in f.trace[0].message


def test_mix_in_a_subflow_names_the_subflow() -> None:
    text = DATABASE + "FUNCTION Cleanup GLOBAL\n    " + FILE_DELETE + "END FUNCTION\n"
    [f] = dlp_findings(text, V2)
    assert (f.rule, f.line, f.subflow) == ("PAF303", 3, "Cleanup")


def test_unmanaged_modules_do_not_mix() -> None:
    text = DATABASE + "Text.AppendLine Text: Log Line: $'''x''' Result=> Log\nVariables.ClearList List: L\n"
    assert dlp_findings(text, V2) == []


def test_most_restrictive_policy_wins() -> None:
    """Scripting: Blocked in 'finance', Confidential by default in 'tenant baseline', one
    action Blocked by rule in 'RPA guard rails': reported once, as a blocked group."""
    [f] = dlp_findings(SCRIPT, PS, V2)
    assert f.rule == "PAF301"
    assert "'Desktop flows - finance'" in f.message
    assert "RPA guard rails" not in f.message and "tenant baseline" not in f.message


def test_blocked_in_one_policy_mixed_in_another() -> None:
    """FTP is Blocked in 'tenant baseline' (so it does not count for a mix there) and
    Non-business by default in 'finance', where Database is Business."""
    text = "FTP.IfFileExists FileName: $'''a.csv'''\n" + DATABASE
    found = dlp_findings(text, PS)
    assert [(f.rule, f.line) for f in found] == [("PAF301", 1), ("PAF303", 2)]
    assert "'Desktop flows - tenant baseline'" in found[0].message
    assert found[1].message.endswith("under DLP policy 'Desktop flows - finance'")


def _policy(name: str, business: str, other: str) -> dict[str, object]:
    group = "providers/Microsoft.ProcessSimple/operationGroups/DesktopFlow."
    return {"displayName": name, "defaultConnectorsClassification": "General", "connectorGroups": [
        {"classification": "Confidential", "connectors": [{"id": group + business}]},
        {"classification": "General", "connectors": [{"id": group + other}]}]}


def test_opposite_classifications_are_two_findings() -> None:
    policies = parse_policies({"value": [_policy("A", "File", "Database"), _policy("B", "Database", "File")]})
    result = check_source(FILE_DELETE + DATABASE, "<t>", dlp=DlpSettings(policies))
    found = sorted((f.message.rsplit(" ", 1)[1], f.message) for f in result.findings if f.rule == "PAF303")
    assert [policy for policy, _ in found] == ["'A'", "'B'"]
    assert "uses Non-business group Database" in found[0][1]
    assert "uses Business group Database" in found[1][1]


def test_same_mix_in_two_policies_is_reported_once() -> None:
    [f] = dlp_findings(FILE_DELETE + DATABASE, PS, V2)
    assert f.rule == "PAF303"
    assert f.message.endswith("under DLP policies 'Desktop flows - finance', 'RPA guard rails'")


def test_action_id_style_and_overrides(tmp_path: Path) -> None:
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps({"Style": "action-variant"}), encoding="utf-8")
    settings = load_settings([V2], ids)
    result = check_source(SCRIPT, "<t>", dlp=settings)
    assert "PAF302" not in {f.rule for f in result.findings}  # 'RunPowershellScript.RunPowershellScript'
    ids.write_text(json.dumps({"overrides": {"scripting.runpowershellscript": "RunPowershellScript"},
                               "style": "name"}), encoding="utf-8")
    result = check_source(SCRIPT, "<t>", dlp=load_settings([V2], ids))
    assert "PAF302" in {f.rule for f in result.findings}


def test_cloud_connector_classification_and_operation() -> None:
    text = ("External.InvokeCloudConnector Connection: 'x' ConnectorId: '/providers/Microsoft.PowerApps/apis/"
            "shared_sharepointonline' OperationId: 'PostItem' @dataset: Site\n" + FILE_DELETE)
    found = dlp_findings(text, PS)
    assert [f.rule for f in found] == ["PAF303"]  # SharePoint Business, File Non-business in 'finance'
    found = dlp_findings(text, V2)
    assert [f.rule for f in found] == ["PAF302"]  # PostItem blocked; both General in 'RPA guard rails'


def test_endpoint_message_hides_the_url_path_and_query() -> None:
    text = ("WebAutomation.GoToWebPage.GoToWebPage BrowserInstance: B "
            "Url: $'''https://user:pw@files.example.net/x?sig=SECRET''' WaitForPageToLoadTimeout: 60\n")
    [f] = dlp_findings(text, V2)
    assert f.rule == "PAF304"
    assert "https://files.example.net" in f.message
    assert "SECRET" not in f.message and "pw" not in f.message.replace("rpa", "")


def test_endpoint_rules_follow_order_not_file_order() -> None:
    """The fixture lists 'Allow *' (order 2) before 'Deny https://*.example.net*' (order 1)."""
    [policy] = load_policy_file(V2)
    rule = policy.endpoint_rule("providers/Microsoft.ProcessSimple/operationGroups/DesktopFlow.WebAutomation",
                                "https://a.example.net/")
    assert rule is not None and (rule.order, rule.behavior) == (1, "Deny")


def test_unknown_module_noted_once_per_flow() -> None:
    text = ("WorkQueues.UpdateProcessingNotes.WithProcessingNotes WorkQueueItem: I ProcessingNotes: N\n"
            "WorkQueues.UpdateProcessingNotes.WithProcessingNotes WorkQueueItem: I ProcessingNotes: N\n"
            "Word.LaunchWord.LaunchAndOpen Path: P Visible: True ReadOnly: False Instance=> W\n")
    found = dlp_findings(text, V2)
    assert [(f.rule, f.line, f.severity) for f in found] == [("PAF305", 1, "note"), ("PAF305", 3, "note")]


def test_dlp_scope_reaches_rules_without_a_parameter() -> None:
    settings = load_settings([PS])
    with dlp_scope(settings):
        inside = check_source(SCRIPT, "<t>")
    outside = check_source(SCRIPT, "<t>")
    assert "PAF301" in {f.rule for f in inside.findings}
    assert "PAF301" not in {f.rule for f in outside.findings}


def test_explicit_settings_win_over_the_scope() -> None:
    with dlp_scope(load_settings([V2])):
        result = check_source(SCRIPT, "<t>", dlp=load_settings([PS]))
    assert [f.rule for f in result.findings if f.rule.startswith("PAF3")] == ["PAF301"]


def test_select_and_ignore_apply_to_dlp_rules() -> None:
    from pafix.config import DEFAULT

    config = DEFAULT.with_overrides(None, ["PAF301"])
    result = check_source(SCRIPT, "<t>", config, dlp=load_settings([PS]))
    assert "PAF301" not in {f.rule for f in result.findings}


def test_policy_without_rules_reports_nothing() -> None:
    empty = parse_policies({"policyDefinition": {"name": "p", "defaultConnectorsClassification": "General",
                                                  "connectorGroups": []}})
    result = check_source(SCRIPT + DATABASE, "<t>", dlp=DlpSettings(empty))
    assert not [f for f in result.findings if f.rule.startswith("PAF3")]
