"""Ruff-like options of ``pafix scan``: stdin, --exit-zero, --fail-on, --statistics, --quiet,
--show-fixes, and their exit codes (0 clean, 1 findings, 2 usage errors)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from adoption_helpers import ROOT, cli_runner
from pafix.cli.main import main

EXAMPLES = ROOT / "examples"
SMTP = EXAMPLES / "smtp-report.robin"
CLEAN = EXAMPLES / "clean-files.robin"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = cli_runner().invoke(main, ["scan", "--no-cache", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def severities(path: Path) -> Counter[str]:
    _code, out, _ = run("--format", "json", str(path))
    return Counter(f["severity"] for f in json.loads(out)["findings"])


def test_stdin_uses_the_given_name_and_its_config(tmp_path: Path) -> None:
    code, out, _ = run("-", "--stdin-filename", "flows/login.robin", stdin=SMTP.read_bytes())
    assert code == 1 and out.startswith("flows/login.robin:")
    (tmp_path / "pafix.toml").write_text('ignore = ["PAF1"]\n', encoding="utf-8")
    code, out, _ = run("-", "--stdin-filename", str(tmp_path / "x.robin"), stdin=SMTP.read_bytes())
    assert code == 0 and "All checks passed" in out


@pytest.mark.parametrize("args", [
    ("-", str(SMTP)),                                   # '-' must be alone
    (str(SMTP), "--stdin-filename", "x.robin"),         # --stdin-filename needs '-'
    ("-", "--stdin-filename", "solution.zip"),          # stdin is one flow, not a solution
    ("--statistics", "--format", "sarif", str(SMTP)),
    ("--include-baseline", str(SMTP)),
    ("--fail-on", "critical", str(SMTP)),
])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    assert run(*args, stdin=b"")[0] == 2


def test_exit_zero_and_fail_on() -> None:
    counts = severities(SMTP)
    assert counts["error"] and counts["warning"]
    assert run(str(SMTP))[0] == 1
    assert run("--exit-zero", str(SMTP))[0] == 0
    assert run("--fail-on", "error", str(SMTP))[0] == 1
    assert run(str(CLEAN))[0] == 0
    _code, out, _ = run("--format", "json", str(SMTP))
    warning_rules = ",".join({f["rule"] for f in json.loads(out)["findings"] if f["severity"] == "warning"})
    assert run("--select", warning_rules, "--fail-on", "warning", str(SMTP))[0] == 1
    assert run("--select", warning_rules, "--fail-on", "error", str(SMTP))[0] == 0


def test_statistics_counts_per_rule() -> None:
    _code, out, _ = run("--format", "json", str(EXAMPLES))
    expected = Counter(f["rule"] for f in json.loads(out)["findings"])
    code, out, _ = run("--statistics", str(EXAMPLES))
    assert code == 1
    rows = [line.split() for line in out.splitlines()]
    assert {row[1]: int(row[0]) for row in rows} == expected
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)
    _code, out, _ = run("--statistics", "--format", "json", str(EXAMPLES))
    assert {s["code"]: s["count"] for s in json.loads(out)["statistics"]} == expected


def test_quiet_and_show_fixes() -> None:
    _code, out, _ = run(str(SMTP))
    assert "Found " in out and "fix (" not in out
    _code, out, _ = run("--quiet", str(SMTP))
    assert "Found " not in out and "PAF101" in out
    _code, out, _ = run("--show-fixes", str(SMTP))
    assert "fix (safe): mark" in out


def test_every_option_is_in_help_and_readme() -> None:
    result = cli_runner().invoke(main, ["scan", "--help"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for option in ("--stdin-filename", "--exit-zero", "--statistics", "--fail-on", "--quiet", "--show-fixes",
                   "--baseline", "--write-baseline", "--include-baseline"):
        assert option in result.output and option in readme, option
