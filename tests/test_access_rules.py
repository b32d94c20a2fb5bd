"""The solution-metadata rules (PAF401-PAF405): fixtures, packed and unpacked exports, the
role/table reader, and every report format."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import snapshots
from pafix.access.privileges import parse_depth, parse_privilege, privilege_name
from pafix.cli.main import main
from pafix.config import DEFAULT, Config
from pafix.rules import BY_CODE, FLOW_RULES, METADATA_RULES
from pafix.solutions.metadata import MetadataError, load_metadata, scan_xml
from pafix.solutions.metadata_check import check_metadata, metadata_results

CASES = snapshots.metadata_cases()
IDS = [snapshots.case_id(p) for p in CASES]
REAL = snapshots.ROOT / "fixtures" / "access" / "real"
APOLLO = REAL / "meandtech2001__Apollo-HealthCare-Management-D365-CRM-" / "Roles" / "Apollo Admin.xml"
POS_401 = snapshots.FIXTURES / "PAF401" / "pos_global_read_workflow"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SOLUTIONS = sorted((SHARED / "corpus" / "solutions").glob("*.zip"))
corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")


# ---- fixtures ------------------------------------------------------------------------------


def test_every_metadata_rule_has_cases() -> None:
    assert {p.parent.name for p in CASES} == {r.code for r in METADATA_RULES}


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_findings_match_snapshot(path: Path) -> None:
    diff = snapshots.difference(path)
    assert diff is None, f"{snapshots.case_id(path)} differs from its snapshot:\n{diff}\nrun: {snapshots.UPDATE_HINT}"


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_case_role(path: Path) -> None:
    code = path.parent.name
    rules = {f.rule for r in snapshots.check_metadata_case(path) for f in r.findings}
    if path.name.startswith("pos_"):
        assert code in rules
    else:
        assert code not in rules


def test_metadata_rules_are_not_flow_rules() -> None:
    assert not set(METADATA_RULES) & set(FLOW_RULES)
    assert set(METADATA_RULES) | set(FLOW_RULES) == set(BY_CODE.values())


# ---- the model -----------------------------------------------------------------------------


def test_privilege_names_as_dataverse_spells_them() -> None:
    assert privilege_name("workflow", "Read") == "prvReadWorkflow"
    assert privilege_name("workqueueitem", "Write") == "prvWriteworkqueueitem"
    assert privilege_name("desktopflowmodule", "Read") == "prvReaddesktopflowmodule"
    assert parse_privilege("PRVREADWORKFLOW") is not None
    for near_miss in ("prvReadWorkflowSession", "prvReadworkflowbinary", "prvReadWorkflowMetadata",
                      "prvReadadmin_Flow", "prvWriteadmin_ConnectionReference", "prvWorkflowExecution"):
        assert parse_privilege(near_miss) is None, near_miss


def test_depth_spellings() -> None:
    assert [parse_depth(x) for x in ("Global", "organization", 3, "Basic", "User", "Deep", "Local")] == [
        "Global", "Global", "Global", "Basic", "Basic", "Deep", "Local"]
    assert parse_depth("None") is None


def test_real_role_is_read_whole() -> None:
    """Counts from fixtures/access/real/SOURCES.md: 462 privileges, 252/17/2/191 by depth."""
    roles, tables = scan_xml(APOLLO.read_bytes(), str(APOLLO))
    assert [r.name for r in roles] == ["Apollo Admin"] and not tables
    depths = [p.depth for p in roles[0].privileges]
    assert len(depths) == 462
    assert (depths.count("Basic"), depths.count("Local"), depths.count("Deep"), depths.count("Global")) == (252, 17, 2, 191)
    read = roles[0].grants("prvReadWorkflow")
    assert read is not None and read.depth == "Basic" and read.where.line == 1118


@pytest.mark.parametrize(("entity", "audit"), [
    ("meandtech2001__Apollo-HealthCare-Management-D365-CRM-/Entities/apollo_ApolloLab", True),
    ("meandtech2001__Apollo-HealthCare-Management-D365-CRM-/Entities/apollo_ApolloFeedbacks", False),
    ("eromerof__CloudFlow_coe/Entities/admin_Flow", None),
])
def test_entity_level_audit_flag(entity: str, audit: bool | None) -> None:
    path = REAL / entity / "Entity.xml"
    _roles, tables = scan_xml(path.read_bytes(), str(path))
    assert [(t.name, t.audit) for t in tables] == [(Path(entity).name, audit)]


@pytest.mark.parametrize("doc", [
    b'<!DOCTYPE Role [<!ENTITY x "y">]><Role name="a"/>',
    b'<?xml version="1.0"?>\n<!DOCTYPE Role SYSTEM "http://example.invalid/x.dtd"><Role name="a"/>',
])
def test_dtd_refused(doc: bytes) -> None:
    with pytest.raises(MetadataError, match="DOCTYPE"):
        scan_xml(doc, "x.xml")


def test_malformed_role_is_an_error_result(tmp_path: Path) -> None:
    folder = tmp_path / "sol"
    (folder / "Other").mkdir(parents=True)
    (folder / "Other" / "Customizations.xml").write_text("<ImportExportXml/>", encoding="utf-8")
    (folder / "Roles").mkdir()
    (folder / "Roles" / "Bad.xml").write_text("<Role><RolePrivileges>", encoding="utf-8")
    [result] = metadata_results([str(folder)], DEFAULT)
    assert result.errors and "malformed XML" in result.errors[0].message


# ---- packed and unpacked ------------------------------------------------------------------


def _pack(folder: Path, zip_path: Path) -> Path:
    """A packed export of an unpacked fixture: its roles inline in customizations.xml."""
    roles = b"".join(p.read_bytes().split(b"?>", 1)[1] for p in sorted((folder / "Roles").glob("*.xml")))
    cust = b'<?xml version="1.0" encoding="utf-8"?>\n<ImportExportXml>\n  <Entities></Entities>\n  <Roles>' + roles + b"</Roles>\n</ImportExportXml>\n"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("customizations.xml", cust)
    return zip_path


def test_packed_zip_finds_the_same(tmp_path: Path) -> None:
    unpacked = check_metadata(load_metadata(POS_401), DEFAULT)
    packed = check_metadata(load_metadata(_pack(POS_401, tmp_path / "sol.zip")), DEFAULT)
    assert [f.rule for r in packed for f in r.findings] == [f.rule for r in unpacked for f in r.findings] == ["PAF401"]
    [result] = packed
    assert result.path == str(tmp_path / "sol.zip") and result.flow == "customizations.xml"
    assert result.findings[0].line > 1
    assert result.findings[0].fingerprint == unpacked[0].findings[0].fingerprint  # same role, same privilege


def test_config_ignores_and_overrides() -> None:
    meta = load_metadata(POS_401)
    assert check_metadata(meta, Config(ignore=frozenset({"PAF4"}))) == []
    [result] = check_metadata(meta, Config(severity={"PAF401": "note"}))
    assert result.findings[0].severity == "note"


@corpus
@pytest.mark.corpus
@pytest.mark.parametrize("zip_path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_corpus_solutions_have_no_metadata_findings(zip_path: Path) -> None:
    """Both real exports ship no role (``<Roles></Roles>``) and only custom tables."""
    meta = load_metadata(zip_path)
    assert meta.roles == ()
    assert {t.name for t in meta.tables} <= {"def_Config", "def_LogMessage"}
    assert check_metadata(meta, DEFAULT) == []


# ---- every output format -------------------------------------------------------------------


def _scan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", "--no-cache", "-j", "1", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_scan_reports_in_every_format() -> None:
    where = str(POS_401.relative_to(snapshots.ROOT))
    code, text = _scan("--format", "text", where)
    assert code == 1 and "Apollo Admin.xml:1118:5: PAF401" in text
    code, out = _scan("--format", "json", where)
    [finding] = json.loads(out)["findings"]
    assert finding["rule"] == "PAF401" and finding["line"] == 1118 and finding["path"].endswith("Apollo Admin.xml")
    code, out = _scan("--format", "sarif", where)
    run = json.loads(out)["runs"][0]
    [res] = run["results"]
    loc = res["locations"][0]["physicalLocation"]
    assert res["ruleId"] == "PAF401" and loc["region"]["startLine"] == 1118
    assert loc["artifactLocation"]["uri"].endswith("Roles/Apollo%20Admin.xml")
    assert "PAF401" in {r["id"] for r in run["tool"]["driver"]["rules"]}
    code, out = _scan("--format", "github", where)
    assert out.startswith("::error file=") and "line=1118" in out and "PAF401" in out


def test_scan_ignore_and_neg_cases_exit_clean() -> None:
    where = str(POS_401.relative_to(snapshots.ROOT))
    assert _scan("--ignore", "PAF401", where)[0] == 0
    assert _scan(str((snapshots.FIXTURES / "PAF401" / "neg_coe_custom_flow_table").relative_to(snapshots.ROOT)))[0] == 0
