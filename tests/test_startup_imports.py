"""A scan imports what it uses (issue 16, round 9: start-up cost).

Every process pays its imports: a one-flow scan in CI, each pre-commit run, each worker that
does not fork from a warm parent. A scan of flow files renders one format and, without a DLP
policy or a solution export, runs no DLP evaluation and reads no export: the modules for those
are imported when they are needed, not by every scan. Each case runs in a fresh interpreter
(this one has imported everything by now) and lists the modules it ended with.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "smtp-report.robin"
POLICY = ROOT / "fixtures" / "dlp" / "admin-api-v2-policy.json"

#: run ``pafix ARGS...`` and print the exit code and the modules loaded, as JSON on the last line
SCRIPT = r"""
import json, runpy, sys
sys.argv = ["pafix", *sys.argv[1:]]
try:
    runpy.run_module("pafix", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print()
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

#: what a scan of flow files needs only for another format, a DLP policy or a solution export
NOT_NEEDED = {
    "pafix.report.sarif", "pafix.report.github", "pafix.report.baseline",  # other formats
    "pafix.dlp.policy", "pafix.dlp.evaluate", "pafix.dlp.groups",  # a DLP policy
    "pafix.access.roles", "pafix.access.privileges",  # a solution's security roles and tables
    "pafix.solutions.units", "pafix.solutions.model", "pafix.solutions.schema", "zipfile",  # an export
    "importlib.resources.readers",  # data files are read from disk (pafix.packaged)
}


def _modules(*args: str) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return last["code"], set(last["modules"])


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_scan_of_a_flow_imports_no_other_format_dlp_or_export_code(fmt: str) -> None:
    code, modules = _modules("scan", "--no-cache", "--format", fmt, str(EXAMPLE))
    assert code == 1  # the example has findings: the rules ran
    assert {"pafix.rules.paf301_dlp_blocked_action_group", "pafix.rules.paf401_global_access_to_desktop_flows",
            "pafix.solutions.check"} <= modules
    assert not modules & NOT_NEEDED, sorted(modules & NOT_NEEDED)


def test_what_a_scan_asks_for_is_imported() -> None:
    """SARIF output, a DLP policy: their modules come in (and do their work: the SARIF report
    is JSON, the DLP rules run)."""
    code, modules = _modules("scan", "--no-cache", "--format", "sarif", "--dlp-policy", str(POLICY), str(EXAMPLE))
    assert code == 1
    assert {"pafix.report.sarif", "pafix.dlp.policy", "pafix.dlp.evaluate", "pafix.dlp.groups"} <= modules
