"""``pafix scan`` end to end: exit codes, report formats, ``--output``, configuration
discovery, ``--select``/``--ignore``, and ``pafix rule``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from jsonschema.validators import validator_for

from pafix import __version__
from pafix.cli.main import main
from pafix.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLEAN = EXAMPLES / "clean-files.robin"
SMTP = EXAMPLES / "smtp-report.robin"
SNIPPET = EXAMPLES / "login-snippet.txt"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"

BROKEN_FLOW = "SET Counter TO 1\nIF Counter = 1 THEN\n    SET Counter TO\nEND\n"

# the JSON report, version 1 (pafix.report.json_format): keys a consumer may rely on
JSON_TOP_KEYS = {"version", "tool", "findings", "errors", "stats"}
JSON_FINDING_KEYS = {
    "rule", "name", "severity", "kind", "confidence", "path", "flow", "subflow", "line", "column", "end_line",
    "end_column", "message", "variable", "trace", "fix", "fingerprint",
}
JSON_TRACE_KEYS = {"path", "line", "column", "message"}
JSON_ERROR_KEYS = {"path", "line", "column", "message"}
JSON_STATS_KEYS = {"files", "lines", "seconds"}


def cli_runner() -> CliRunner:
    """stdout and stderr captured apart (click 8.1 needs mix_stderr=False; 8.2 removed it)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def scan(*args: str | Path) -> Result:
    return cli_runner().invoke(main, ["scan", *map(str, args)], catch_exceptions=False)


def scan_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = scan("--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def codes(document: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in document["findings"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with one flow that has a PAF102 and a PAF105 finding, and no configuration.
    (The snippet gets a header line: a header-less snippet's PAF105 is only low confidence.)"""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "login.robin").write_bytes(b"@@DisplayName: 'Login'\n" + SNIPPET.read_bytes())
    return folder


def test_project_baseline(project: Path) -> None:
    code, doc = scan_json(project / "login.robin")
    assert code == 1
    assert sorted(set(codes(doc))) == ["PAF102", "PAF105"]


# ---- exit codes ----------------------------------------------------------------------------


def test_exit_0_when_clean() -> None:
    result = scan(CLEAN)
    assert result.exit_code == 0, result.output
    assert "PAF" not in result.stdout


def test_exit_1_with_findings() -> None:
    result = scan(SMTP)
    assert result.exit_code == 1, result.output
    assert "PAF101" in result.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_exit_2_on_parse_error_and_the_rest_is_still_scanned(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "a-broken.robin").write_text(BROKEN_FLOW, encoding="utf-8")
    (tmp_path / "b-smtp.robin").write_bytes(SMTP.read_bytes())
    (tmp_path / "c-clean.robin").write_bytes(CLEAN.read_bytes())
    result = scan("--format", fmt, tmp_path)
    assert result.exit_code == 2, result.output
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert [(Path(e["path"]).name, e["line"]) for e in doc["errors"]] == [("a-broken.robin", 3)]
        assert {Path(f["path"]).name for f in doc["findings"]} == {"b-smtp.robin"}
        assert doc["stats"]["files"] == 3
    else:
        assert "a-broken.robin" in result.stdout
        assert "b-smtp.robin" in result.stdout
        assert "PAF101" in result.stdout


def test_exit_2_for_a_missing_path() -> None:
    result = scan(ROOT / "no-such-flow.robin")
    assert result.exit_code == 2
    assert "no-such-flow.robin" in result.output
    assert "no such file or directory" in result.output


def test_exit_2_for_a_missing_path_next_to_a_good_one() -> None:
    code, doc = scan_json(SMTP, ROOT / "no-such-flow.robin")
    assert code == 2
    assert [Path(e["path"]).name for e in doc["errors"]] == ["no-such-flow.robin"]
    assert "PAF101" in codes(doc)


@pytest.mark.parametrize("option", ["--select", "--ignore"])
@pytest.mark.parametrize("value", ["NOPE", "PAF999", "PAF101,XYZ"])
def test_exit_2_for_an_unknown_rule_code(option: str, value: str) -> None:
    result = scan(option, value, CLEAN)
    assert result.exit_code == 2
    assert "unknown rule code" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "content",
    [
        'ignore = "PAF102"\n',  # wrong type
        "ignore = [\n",  # not TOML
        'select = ["PAF101"]\ncolour = true\n',  # unknown key
        '[severity]\nPAF101 = "fatal"\n',  # bad severity
    ],
    ids=["wrong-type", "bad-toml", "unknown-key", "bad-severity"],
)
def test_exit_2_for_an_invalid_pafix_toml(project: Path, content: str) -> None:
    (project / "pafix.toml").write_text(content, encoding="utf-8")
    result = scan(project / "login.robin")
    assert result.exit_code == 2
    assert "pafix.toml" in result.stderr
    assert result.stdout == ""


def test_exit_2_for_an_invalid_explicit_config(tmp_path: Path) -> None:
    bad = tmp_path / "custom.toml"
    bad.write_text("ignore = 3\n", encoding="utf-8")
    result = scan("--config", bad, CLEAN)
    assert result.exit_code == 2
    assert "custom.toml" in result.stderr


# ---- formats -------------------------------------------------------------------------------


def test_json_matches_the_version_1_contract() -> None:
    code, doc = scan_json(SMTP)
    assert code == 1
    assert JSON_TOP_KEYS <= set(doc)
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "pafix", "version": __version__}
    assert JSON_STATS_KEYS <= set(doc["stats"])
    assert doc["stats"]["files"] == 1
    assert doc["errors"] == []
    assert doc["findings"]
    for finding in doc["findings"]:
        assert JSON_FINDING_KEYS <= set(finding), JSON_FINDING_KEYS - set(finding)
        assert finding["path"] == str(SMTP)
        assert finding["severity"] in ("error", "warning", "note")
        assert isinstance(finding["line"], int) and isinstance(finding["column"], int)
        assert isinstance(finding["fingerprint"], str) and finding["fingerprint"]
        for step in finding["trace"]:
            assert JSON_TRACE_KEYS <= set(step)
        if finding["fix"] is not None:
            assert set(finding["fix"]) >= {"safety", "description"}
            assert finding["fix"]["safety"] in ("safe", "unsafe")
    fingerprints = [f["fingerprint"] for f in doc["findings"]]
    assert len(fingerprints) == len(set(fingerprints))


def test_json_errors_match_the_contract(tmp_path: Path) -> None:
    broken = tmp_path / "broken.robin"
    broken.write_text(BROKEN_FLOW, encoding="utf-8")
    code, doc = scan_json(broken)
    assert code == 2
    assert doc["findings"] == []
    (error,) = doc["errors"]
    assert JSON_ERROR_KEYS <= set(error)
    assert (error["line"], error["path"]) == (3, str(broken))


def _validate_sarif(document: object) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.parametrize("paths", [[SMTP], [CLEAN], [EXAMPLES]], ids=["findings", "clean", "folder"])
def test_sarif_validates_against_the_schema(paths: Sequence[Path]) -> None:
    result = scan("--format", "sarif", *paths)
    assert result.exit_code in (0, 1)
    doc = json.loads(result.stdout)
    _validate_sarif(doc)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "pafix"
    rule_ids = {r["id"] for r in run["tool"]["driver"].get("rules", [])}
    assert {r["ruleId"] for r in run["results"]} <= rule_ids


def test_sarif_with_a_parse_error_validates(tmp_path: Path) -> None:
    (tmp_path / "broken.robin").write_text(BROKEN_FLOW, encoding="utf-8")
    (tmp_path / "smtp.robin").write_bytes(SMTP.read_bytes())
    result = scan("--format", "sarif", tmp_path)
    assert result.exit_code == 2
    _validate_sarif(json.loads(result.stdout))


def test_github_format() -> None:
    result = scan("--format", "github", SMTP)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "sub" / "report.out"
    out.parent.mkdir()
    result = scan("--format", fmt, "--output", out, SMTP)
    assert result.exit_code == 1
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["findings"]
    else:
        assert "PAF101" in text
        assert "\x1b[" not in text  # no colour in a file


# ---- configuration -------------------------------------------------------------------------


def test_pafix_toml_next_to_the_flow_is_honoured(project: Path) -> None:
    (project / "pafix.toml").write_text('ignore = ["PAF102"]\n', encoding="utf-8")
    code, doc = scan_json(project / "login.robin")
    assert code == 1
    assert "PAF102" not in codes(doc)
    assert "PAF105" in codes(doc)


def test_pafix_toml_is_found_from_a_subfolder(project: Path) -> None:
    (project / "pafix.toml").write_text('ignore = ["PAF102"]\n', encoding="utf-8")
    sub = project / "flows" / "deep"
    sub.mkdir(parents=True)
    (project / "login.robin").rename(sub / "login.robin")
    code, doc = scan_json(sub)
    assert "PAF102" not in codes(doc) and "PAF105" in codes(doc)


def test_pyproject_tool_pafix_is_honoured(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "flows"\n\n[tool.pafix]\nignore = ["PAF102"]\n', encoding="utf-8"
    )
    code, doc = scan_json(project / "login.robin")
    assert "PAF102" not in codes(doc)
    assert "PAF105" in codes(doc)


def test_pyproject_without_tool_pafix_is_skipped(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "flows"\n', encoding="utf-8")
    code, doc = scan_json(project / "login.robin")
    assert "PAF102" in codes(doc)


def test_pafix_toml_wins_over_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pafix]\nignore = ["PAF105"]\n', encoding="utf-8")
    (project / "pafix.toml").write_text('ignore = ["PAF102"]\n', encoding="utf-8")
    code, doc = scan_json(project / "login.robin")
    assert sorted(set(codes(doc))) == ["PAF105"]


def test_explicit_config(project: Path, tmp_path: Path) -> None:
    custom = tmp_path / "elsewhere.toml"
    custom.write_text('select = ["PAF102"]\n', encoding="utf-8")
    code, doc = scan_json("--config", custom, project / "login.robin")
    assert sorted(set(codes(doc))) == ["PAF102"]


def test_config_severity_override(project: Path) -> None:
    (project / "pafix.toml").write_text('[severity]\nPAF102 = "note"\n', encoding="utf-8")
    code, doc = scan_json(project / "login.robin")
    assert {f["severity"] for f in doc["findings"] if f["rule"] == "PAF102"} == {"note"}


# ---- --select / --ignore -------------------------------------------------------------------


def test_select_prefix() -> None:
    _, everything = scan_json(SMTP)
    code, doc = scan_json("--select", "PAF10", SMTP)
    assert code == 1
    assert codes(doc) == [c for c in codes(everything) if c.startswith("PAF10")]
    assert codes(doc)


def test_select_exact_and_comma_separated() -> None:
    _, one = scan_json("--select", "PAF101", SMTP)
    assert set(codes(one)) == {"PAF101"}
    _, two = scan_json("--select", "PAF101,PAF106", SMTP)
    assert set(codes(two)) == {"PAF101", "PAF106"}
    _, repeated = scan_json("--select", "PAF101", "--select", "PAF106", SMTP)
    assert codes(repeated) == codes(two)


def test_select_is_case_insensitive() -> None:
    _, doc = scan_json("--select", "paf101", SMTP)
    assert set(codes(doc)) == {"PAF101"}


def test_ignore_prefix() -> None:
    code, doc = scan_json("--ignore", "PAF10", SMTP)
    assert code == 0
    assert doc["findings"] == []


def test_select_with_nothing_left_exits_0() -> None:
    code, doc = scan_json("--select", "PAF901", SMTP)
    assert code == 0
    assert doc["findings"] == []


# ---- pafix rule ----------------------------------------------------------------------------


def rule(*args: str) -> Result:
    return cli_runner().invoke(main, ["rule", *args], catch_exceptions=False)


def test_rule_prints_the_doc() -> None:
    result = rule("PAF101")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("# PAF101 sensitive-value-in-plain-variable\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in out
    assert "sensitive" in out.split("## What it does")[0]  # the summary comes first


def test_rule_code_is_case_insensitive() -> None:
    assert rule("paf101").stdout == rule("PAF101").stdout


def test_rule_unknown_exits_2() -> None:
    result = rule("NOPE")
    assert result.exit_code == 2
    assert "unknown rule code" in result.stderr
    assert result.stdout == ""


def test_rule_lists_every_rule() -> None:
    for args in ((), ("--all",)):
        result = rule(*args)
        assert result.exit_code == 0
        listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
        assert listed == [r.code for r in RULES]


# ---- confidence ----------------------------------------------------------------------------

LOW_ONLY = ROOT / "fixtures" / "rules" / "PAF105" / "pos_snippet_low_confidence.robin"
MEDIUM_ONLY = ROOT / "fixtures" / "rules" / "PAF105" / "pos_connection_string_input.robin"


def test_default_hides_low_confidence_and_exits_clean() -> None:
    result = scan("--no-cache", LOW_ONLY)
    assert result.exit_code == 0, result.output
    assert "PAF105" not in result.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_min_confidence_low_shows_and_counts_them(fmt: str) -> None:
    result = scan("--no-cache", "--min-confidence", "low", "--format", fmt, LOW_ONLY)
    assert result.exit_code == 1, result.output
    if fmt == "json":
        (f,) = json.loads(result.stdout)["findings"]
        assert (f["confidence"], f["kind"]) == ("low", "credential")
    elif fmt == "sarif":
        doc = json.loads(result.stdout)
        _validate_sarif(doc)
        (res,) = doc["runs"][0]["results"]
        assert res["properties"] == {"precision": "low", "confidence": "low", "kind": "credential"}
    else:
        assert "[low confidence]" in result.stdout


def test_min_confidence_high_hides_medium() -> None:
    shown = scan("--no-cache", MEDIUM_ONLY)
    assert shown.exit_code == 1 and "[medium confidence]" in shown.stdout
    hidden = scan("--no-cache", "--min-confidence", "high", MEDIUM_ONLY)
    assert hidden.exit_code == 0, hidden.output


def test_min_confidence_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "pafix.toml").write_text('min-confidence = "low"\n', encoding="utf-8")
    flow = tmp_path / "s.robin"
    flow.write_bytes(LOW_ONLY.read_bytes())
    assert scan("--no-cache", flow).exit_code == 1
    assert scan("--no-cache", "--min-confidence", "medium", flow).exit_code == 0


def test_the_result_cache_keys_on_the_confidence(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = scan("--cache-dir", cache, "--jobs", "1", LOW_ONLY)
    second = scan("--cache-dir", cache, "--jobs", "1", "--min-confidence", "low", LOW_ONLY)
    assert (first.exit_code, second.exit_code) == (0, 1)
