"""The CI templates (``action.yml``, ``pipelines/azure-pipelines-pafix.yml``): they parse, every
shell step that runs ``pafix`` runs here on the corpus solutions (inputs substituted, the same
script bash runs in CI), and the SARIF they upload validates and carries what GitHub code
scanning reads (rule help, partialFingerprints, codeFlows, relative URIs with uriBaseId)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from adoption_helpers import CORPUS_ZIPS, ROOT, pac_unpack

yaml = pytest.importorskip("yaml")

ACTION = ROOT / "action.yml"
AZURE = ROOT / "pipelines" / "azure-pipelines-pafix.yml"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BIN = str(Path(sys.executable).parent)


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_templates_parse_and_use_the_documented_tasks() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert set(action["inputs"]) >= {"paths", "baseline", "fail-on"}
    azure = load(AZURE)
    tasks = [s.get("task", "") for s in azure["steps"]]
    for task in ("PowerPlatformToolInstaller@2", "PowerPlatformExportSolution@2", "PowerPlatformUnpackSolution@2",
                 "PublishBuildArtifacts@1"):
        assert task in tasks
    publish = next(s for s in azure["steps"] if s.get("task") == "PublishBuildArtifacts@1")
    assert publish["inputs"]["ArtifactName"] == "CodeAnalysisLogs"


def _substitute(text: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        return values[m.group(1).strip()]
    text = re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", one, text)
    return re.sub(r"\$\(([A-Za-z.]+)\)", one, text)


def _run_steps(steps: list[dict[str, Any]], key: str, values: dict[str, str], cwd: Path) -> list[tuple[str, int]]:
    """Run every shell step whose script calls ``pafix`` as CI would: bash, the step's env."""
    done = []
    for step in steps:
        script = step.get(key)
        if not isinstance(script, str) or "pafix scan" not in script:
            continue
        env = {k: _substitute(str(v), values) for k, v in (step.get("env") or {}).items()}
        env.update(PATH=BIN + os.pathsep + os.environ.get("PATH", ""), HOME=str(cwd))
        proc = subprocess.run(["bash", "-e", "-c", _substitute(script, values)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode in (0, 1), proc.stderr
        done.append((step.get("name") or step.get("displayName") or "", proc.returncode))
    return done


def check_sarif(path: Path) -> dict[str, Any]:
    sarif = json.loads(path.read_text(encoding="utf-8"))
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(sarif)
    run = sarif["runs"][0]
    assert all(r["help"]["markdown"] and r["help"]["text"] for r in run["tool"]["driver"]["rules"])
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    for result in run["results"]:
        loc = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uriBaseId"] == "%SRCROOT%" and not loc["uri"].startswith(("/", "file:"))
        assert result["partialFingerprints"]
    return sarif




@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_ZIPS, reason="../shared/corpus/solutions is absent")
def test_github_action_steps_on_the_corpus(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for zip_path in CORPUS_ZIPS:
        pac_unpack(zip_path, repo / "solutions" / zip_path.stem)
    values = {"inputs.paths": "solutions", "inputs.baseline": "", "inputs.fail-on": "error",
              "inputs.sarif-file": "pafix.sarif", "github.action_path": str(ROOT)}
    steps = load(ACTION)["runs"]["steps"]
    ran = _run_steps(steps, "run", values, repo)
    assert ran == [("Scan to SARIF", 0), ("Annotate the pull request", 1)]
    sarif = check_sarif(repo / "pafix.sarif")
    assert sarif["runs"][0]["results"] and any("codeFlows" in r for r in sarif["runs"][0]["results"])
    # with a baseline of today's findings the job passes, and the SARIF marks nothing new
    subprocess.run([str(Path(BIN) / "pafix"), "scan", "--write-baseline", "pafix-baseline.json", "--no-cache",
                    "solutions"], cwd=repo, check=True, capture_output=True)
    values["inputs.baseline"] = "pafix-baseline.json"
    assert _run_steps(steps, "run", values, repo) == [("Scan to SARIF", 0), ("Annotate the pull request", 0)]
    results = check_sarif(repo / "pafix.sarif")["runs"][0]["results"]
    assert all(r["baselineState"] != "new" for r in results)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_ZIPS, reason="../shared/corpus/solutions is absent")
@pytest.mark.parametrize("zip_path", CORPUS_ZIPS, ids=lambda p: p.name)
def test_azure_pipeline_steps_on_the_corpus(zip_path: Path, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    name = zip_path.stem
    pac_unpack(zip_path, staging / "unpacked" / name)  # what the Export and Unpack tasks leave
    values = {"parameters.solutionName": name, "parameters.baseline": "", "parameters.failOn": "note",
              "Build.ArtifactStagingDirectory": str(staging)}
    steps = load(AZURE)["steps"]
    assert _run_steps(steps, "bash", values, tmp_path) == [("Scan desktop flows to SARIF", 0),
                                                           ("Fail on new findings", 1)]
    sarif_file = staging / "CodeAnalysisLogs" / "pafix.sarif"
    sarif = json.loads(sarif_file.read_text(encoding="utf-8"))
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(sarif)
    assert sarif["runs"][0]["results"]
    baseline = tmp_path / "pafix-baseline.json"
    subprocess.run([str(Path(BIN) / "pafix"), "scan", "--write-baseline", str(baseline), "--no-cache", str(zip_path)],
                   check=True, capture_output=True)
    values["parameters.baseline"] = str(baseline)  # recorded on the zip, checked on the unpacked folder
    assert _run_steps(steps, "bash", values, tmp_path) == [("Scan desktop flows to SARIF", 0),
                                                           ("Fail on new findings", 0)]
