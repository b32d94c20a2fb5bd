"""Baselines (``scan --write-baseline`` / ``--baseline``, ``rewrite --baseline``): only new
findings are reported, absent entries are counted, solution flows are keyed by the solution's
unique name so that the baseline survives a zip becoming an unpacked folder and back."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from adoption_helpers import CORPUS_ZIPS, ROOT, cli_runner, needs_corpus, pac_unpack, pack
from pafix.cli.main import main
from pafix.findings import Finding
from pafix.report.baseline import (
    BaselineError,
    Scope,
    compare,
    dump_baseline,
    load_baseline,
    make_baseline,
)

EXAMPLES = ROOT / "examples"
UNPACKED = ROOT / "fixtures" / "solutions" / "unpacked_minimal"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def finding(fp: str, rule: str = "PAF101") -> Finding:
    return Finding(rule, "x", "error", "m", 1, 1, 1, 2, fingerprint=fp, variable="V")


# ---- the pure module -----------------------------------------------------------------------


def test_dump_is_sorted_stable_and_loads_back() -> None:
    items = [(Scope(path="b.robin"), finding("2")), (Scope(solution="S", flow="F"), finding("1", "PAF102")),
             (Scope(path="a.robin"), finding("3"))]
    text = dump_baseline(make_baseline(items))
    assert text == dump_baseline(make_baseline(list(reversed(items))))
    assert text.endswith("\n") and json.loads(text)["version"] == 1
    back = load_baseline(text, "b.json")
    assert dump_baseline(back) == text
    keys = [e.scope.sort_key() for e in back.entries]
    assert keys == sorted(keys) and back.entries[-1].scope.solution == "S"


def test_compare_new_unchanged_absent() -> None:
    base = make_baseline([(Scope(path="a"), finding("1")), (Scope(path="a"), finding("2"))])
    result = compare(base, [(Scope(path="a"), finding("1")), (Scope(path="b"), finding("2"))])
    assert result.states == ("unchanged", "new")
    assert [e.fingerprint for e in result.absent] == ["2"]


@pytest.mark.parametrize("text, message", [
    ("[]", "not a pafix baseline"),
    ('{"tool": "pafix", "version": 2, "findings": []}', "unsupported baseline version 2"),
    ('{"tool": "pafix", "version": 1, "findings": [{"rule": "PAF101", "fingerprint": "x"}]}', "needs 'path' or 'solution'"),
    ('{"tool": "pafix", "version": 1, "findings": [{"solution": "S", "rule": "R", "fingerprint": "x"}]}', "needs 'flow'"),
    ("{", "not JSON"),
])
def test_bad_baseline_files_are_refused(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=re.escape(message)):
        load_baseline(text, "b.json")
    bad = tmp_path / "b.json"
    bad.write_text(text, encoding="utf-8")
    code, _out, err = run("scan", "--baseline", str(bad), "--no-cache", str(EXAMPLES))
    assert code == 2 and message in err


# ---- loose files ---------------------------------------------------------------------------


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "flows")
    return tmp_path


def test_baseline_reports_only_new_findings(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(estate)
    code, _out, err = run("scan", "--write-baseline", "pafix-baseline.json", "--no-cache", "flows")
    assert code == 0 and "wrote" in err
    data = json.loads((estate / "pafix-baseline.json").read_text(encoding="utf-8"))
    assert data["findings"] and all(e["path"].startswith("flows/") for e in data["findings"])
    assert all("line" not in e for e in data["findings"])
    # no string literal of the flows is in the baseline (values never leave)
    literals = {m for p in (estate / "flows").iterdir() for m in re.findall(r"'''(.{4,}?)'''", p.read_text(encoding="utf-8"))}
    text = (estate / "pafix-baseline.json").read_text(encoding="utf-8")
    assert literals and not any(lit in text for lit in literals)

    code, out, err = run("scan", "--baseline", "pafix-baseline.json", "--no-cache", "flows")
    assert code == 0, out
    assert f"0 new, {len(data['findings'])} in the baseline" in err and "0 baseline entries no longer occur" in err

    # a new flow: its findings are new; a deleted flow: its entries are absent
    shutil.copy(estate / "flows" / "smtp-report.robin", estate / "flows" / "smtp-copy.robin")
    (estate / "flows" / "login-snippet.txt").unlink()
    code, out, _err = run("scan", "--baseline", "pafix-baseline.json", "--format", "json", "--no-cache", "flows")
    report = json.loads(out)
    assert code == 1
    assert {f["path"] for f in report["findings"]} == {"flows/smtp-copy.robin"}
    gone = sum(1 for e in data["findings"] if e["path"] == "flows/login-snippet.txt")
    assert report["baseline"] == {"file": "pafix-baseline.json", "new": len(report["findings"]),
                                  "unchanged": len(data["findings"]) - gone, "absent": gone}


def test_baseline_paths_are_relative_to_the_baseline_file(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(estate)
    assert run("scan", "--write-baseline", "pafix-baseline.json", "--no-cache", "flows")[0] == 0
    monkeypatch.chdir(estate / "flows")  # the same files, named from elsewhere
    code, _out, err = run("scan", "--baseline", "../pafix-baseline.json", "--no-cache", ".")
    assert code == 0 and " 0 new," in err


def test_sarif_baseline_state(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(estate)
    run("scan", "--write-baseline", "b.json", "--no-cache", "flows/smtp-report.robin", "flows/login-snippet.txt")
    shutil.copy(estate / "flows" / "smtp-report.robin", estate / "flows" / "smtp-copy.robin")
    (estate / "flows" / "login-snippet.txt").write_text("SET X TO 1\n", encoding="utf-8")
    code, out, _ = run("scan", "--baseline", "b.json", "--include-baseline", "--format", "sarif", "--no-cache", "flows")
    assert code == 1  # the copy's findings are new
    sarif = json.loads(out)
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(sarif)
    states = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["baselineState"])
              for r in sarif["runs"][0]["results"]}
    assert ("flows/smtp-copy.robin", "new") in states
    assert ("flows/smtp-report.robin", "unchanged") in states
    assert ("flows/login-snippet.txt", "absent") in states
    absent = [r for r in sarif["runs"][0]["results"] if r["baselineState"] == "absent"]
    assert all(r["kind"] == "pass" and r["level"] == "none" for r in absent)
    # without --include-baseline the unchanged ones are left out
    _code, out, _ = run("scan", "--baseline", "b.json", "--format", "sarif", "--no-cache", "flows")
    assert {r["baselineState"] for r in json.loads(out)["runs"][0]["results"]} == {"new", "absent"}


def test_rewrite_leaves_baseline_findings_alone(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(estate)
    flow = estate / "flows" / "smtp-report.robin"
    before = flow.read_bytes()
    run("scan", "--write-baseline", "b.json", "--no-cache", "flows")
    code, _out, err = run("rewrite", "--in-place", "--baseline", "b.json", "flows")
    assert code == 0 and flow.read_bytes() == before, err
    code, _out, err = run("rewrite", "--in-place", "--baseline", "b.json", "--include-baseline", "flows")
    assert code == 0 and flow.read_bytes() != before, err
    assert run("rewrite", "--include-baseline", "flows")[0] == 2  # needs --baseline


# ---- solutions -----------------------------------------------------------------------------


def test_solution_baseline_survives_unpacked_to_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(UNPACKED, tmp_path / "src")
    code, _out, _err = run("scan", "--write-baseline", "b.json", "--no-cache", "src")
    entries = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["findings"]
    assert code == 0 and entries
    assert {e["solution"] for e in entries} == {"PafixSample"} and all("path" not in e for e in entries)
    pack(tmp_path / "src", tmp_path / "PafixSample_1_0_0_0.zip")
    shutil.rmtree(tmp_path / "src")
    code, out, err = run("scan", "--baseline", "b.json", "--no-cache", "PafixSample_1_0_0_0.zip")
    assert code == 0, out
    assert f"0 new, {len(entries)} in the baseline" in err and " 0 baseline entries no longer occur" in err


@pytest.mark.parametrize("zip_path", CORPUS_ZIPS, ids=lambda p: p.name)
def test_corpus_solution_baseline_zip_and_unpacked(zip_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run("scan", "--write-baseline", "b.json", "--no-cache", str(zip_path))
    assert code == 0, err
    entries = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["findings"]
    assert entries and all("solution" in e and "flow" in e for e in entries)
    pac_unpack(zip_path, tmp_path / "unpacked")
    code, out, err = run("scan", "--baseline", "b.json", "--no-cache", "unpacked")
    assert code == 0, out
    assert f"0 new, {len(entries)} in the baseline" in err
    # a rewrite of the unpacked folder with the baseline changes nothing
    before = {p: p.read_bytes() for p in (tmp_path / "unpacked").rglob("*") if p.is_file()}
    assert run("rewrite", "--in-place", "--baseline", "b.json", "unpacked")[0] == 0
    assert {p: p.read_bytes() for p in before} == before


for _mark in needs_corpus:
    test_corpus_solution_baseline_zip_and_unpacked = _mark(test_corpus_solution_baseline_zip_and_unpacked)
