"""Canary test: no pafix output ever contains a secret from the flow it read.

``fixtures/canary/leaky-flow.robin`` plants unique canary secrets in every place PAF104
reports (a literal in ``Password:``, the ``DefaultValue`` of a sensitive input, a connection
string literal, a ``P'...'`` literal, a literal assigned to a secret-named variable, a password in a comment, a key in a URL
query string, a bearer token in CustomHeaders, a client secret in a form body, a password on
a command line) and
``fixtures/canary/unparseable.robin`` has one on a line that does not parse. Every command
and format is run in-process (click's CliRunner) and as ``python -m pafix``; stdout, stderr
and written files must not contain a canary, nor its first five characters (the redacted
form ``CA***`` shows at most two), nor its unique middle part.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from pafix.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
CANARY_DIR = ROOT / "fixtures" / "canary"
LEAKY = CANARY_DIR / "leaky-flow.robin"
BROKEN = CANARY_DIR / "unparseable.robin"

#: canary -> where it is planted
CANARIES = {
    "CANARY-q7f3a9-PASS": "literal in Password:",
    "CANARY-w2b8k4-DEFAULT": "DefaultValue of a sensitive input",
    "CANARY-r5n1x6-CONN": "Password= in a connection-string literal",
    "CANARY-t9m4z2-DPAPI": "P'...' literal",
    "CANARY-y3h8v1-TOKEN": "literal assigned to a secret-named variable",
    "CANARY-u6j2p5-BROKEN": "line that fails to parse",
    "CANARY-c4m8e2-COMMENT": "password written in a comment",
    "CANARY-q1s5d7-QUERY": "api_key= in a URL query string",
    "CANARY-h6r3f9-HEADER": "Authorization: Bearer header in CustomHeaders",
    "CANARY-b2k7w4-BODY": "client_secret= in a form-encoded request body",
    "CANARY-n8v2c5-CMDLINE": "net use password on a command line",
}
#: a redaction marker with three or more characters of a canary in front of it
OVERLONG_REDACTION = re.compile(r"CAN[\w-]*\*\*\*")

FORMATS = ("text", "json", "sarif", "github", "html")
TARGETS = {
    "leaky": (str(LEAKY.relative_to(ROOT)),),
    "broken": (str(BROKEN.relative_to(ROOT)),),
    "both": (str(CANARY_DIR.relative_to(ROOT)),),
}


def cli_runner() -> CliRunner:
    """stdout and stderr captured apart (click 8.1 needs mix_stderr=False; 8.2 removed it)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def fragments(canary: str) -> tuple[str, ...]:
    """What must never be printed: the canary, its first five characters, its unique part."""
    return (canary, canary[:5], canary.split("-")[1])


def assert_no_canary(output: str, what: str) -> None:
    for canary, planted in CANARIES.items():
        for fragment in fragments(canary):
            assert fragment not in output, (
                f"{what} leaks {fragment!r} of the canary planted as a {planted}:\n{output}"
            )
    m = OVERLONG_REDACTION.search(output)
    assert m is None, f"{what} shows more than two characters of a secret: {m.group(0)!r}"


def test_fixtures_hold_the_canaries() -> None:
    """The test is only as good as its fixtures: every canary is really planted."""
    text = LEAKY.read_text(encoding="utf-8") + BROKEN.read_text(encoding="utf-8")
    for canary in CANARIES:
        assert text.count(canary) == 1, canary


# ---- runners -------------------------------------------------------------------------------


def run_inprocess(args: Sequence[str]) -> tuple[int, str]:
    result = cli_runner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def run_subprocess(args: Sequence[str]) -> tuple[int, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pafix", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        encoding="utf-8", timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


RUNNERS = {"cli": run_inprocess, "subprocess": run_subprocess}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# ---- scan, parse, rule ---------------------------------------------------------------------


@pytest.mark.parametrize("runner", RUNNERS, ids=list(RUNNERS))
@pytest.mark.parametrize("target", TARGETS, ids=list(TARGETS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_output(runner: str, target: str, fmt: str) -> None:
    code, out = RUNNERS[runner](["scan", "--format", fmt, "--no-color", *TARGETS[target]])
    assert code == (1 if target == "leaky" else 2), out
    assert_no_canary(out, f"scan --format {fmt} ({target}, {runner})")
    if fmt == "text" and target != "broken":
        # not vacuous: the hard-coded secrets were found, and shown redacted
        assert out.count("PAF104") >= 8, out
        assert "'CA***'" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_output_file(tmp_path: Path, fmt: str) -> None:
    report = tmp_path / f"report.{fmt}"
    code, out = run_inprocess(["scan", "--format", fmt, "--output", str(report), *TARGETS["both"]])
    assert code == 2
    assert_no_canary(out, f"scan --output ({fmt}) console")
    assert_no_canary(report.read_text(encoding="utf-8"), f"scan --output ({fmt}) file")


def test_scan_colour_text() -> None:
    code, out = run_inprocess(["scan", "--color", *TARGETS["both"]])
    assert code == 2
    assert_no_canary(out, "scan --color")


@pytest.mark.parametrize("runner", RUNNERS, ids=list(RUNNERS))
@pytest.mark.parametrize("tree", [False, True], ids=["parse", "parse-tree"])
@pytest.mark.parametrize("target", ["leaky", "broken"])
def test_parse_output(runner: str, tree: bool, target: str) -> None:
    args = ["parse", *(["--tree"] if tree else []), *TARGETS[target]]
    code, out = RUNNERS[runner](args)
    assert code == (0 if target == "leaky" else 2), out
    assert_no_canary(out, " ".join(args))
    if target == "broken":
        assert "missing value after 'Port:'" in out  # the error is still reported, masked


@pytest.mark.parametrize("runner", RUNNERS, ids=list(RUNNERS))
def test_rule_doc(runner: str) -> None:
    code, out = RUNNERS[runner](["rule", "PAF104"])
    assert code == 0
    assert_no_canary(out, "rule PAF104")


def test_parse_error_snippet_masks_triple_quoted_text_with_apostrophe(tmp_path: Path) -> None:
    flow = tmp_path / "apostrophe.robin"
    flow.write_text("SET Password TO $'''O'Brien CANARY-u6j2p5-BROKEN''' +\n", encoding="utf-8")
    code, out = run_inprocess(["parse", str(flow)])
    assert code == 2
    assert_no_canary(out, "parse (apostrophe in a triple-quoted string)")


# ---- rewrite ----------------------------------------------------------------------------------


def _without_context(diff: str, source: str) -> str:
    """The diff without its context lines: lines of the source file shown unchanged."""
    lines = set(source.splitlines())
    return "\n".join(
        line for line in diff.splitlines() if not (line.startswith(" ") and line[1:] in lines)
    )


@pytest.mark.parametrize("runner", RUNNERS, ids=list(RUNNERS))
def test_rewrite_diff(runner: str) -> None:
    """The safe fixes' diff adds only @SENSITIVE names; no changed line holds a canary."""
    code, out = RUNNERS[runner](["rewrite", "--diff", *TARGETS["both"]])
    assert code in (0, 1, 2), out
    assert "+@SENSITIVE" in out, out  # not vacuous: there is something to fix
    assert_no_canary(_without_context(out, LEAKY.read_text(encoding="utf-8")), "rewrite --diff")


def test_rewrite_diff_unsafe_adds_no_canary() -> None:
    """With unsafe fixes a removed line may hold a secret (the input goes), an added one never."""
    code, out = run_inprocess(["rewrite", "--diff", "--unsafe-fixes", *TARGETS["leaky"]])
    assert code in (0, 1), out
    added = "\n".join(line for line in out.splitlines() if line.startswith("+"))
    assert added
    assert_no_canary(added, "rewrite --diff --unsafe-fixes (added lines)")


def test_rewrite_diff_whole_output() -> None:
    code, out = run_inprocess(["rewrite", "--diff", *TARGETS["leaky"]])
    assert code in (0, 1), out
    assert_no_canary(out, "rewrite --diff (whole output)")


@pytest.mark.parametrize("runner", RUNNERS, ids=list(RUNNERS))
def test_rewrite_audit_log(tmp_path: Path, runner: str) -> None:
    work = tmp_path / "flows"
    shutil.copytree(CANARY_DIR, work)
    log = tmp_path / "audit.jsonl"
    code, out = RUNNERS[runner](["rewrite", "--in-place", "--audit-log", str(log), str(work)])
    assert code in (0, 1, 2), out
    assert_no_canary(out, "rewrite --in-place --audit-log (console)")
    assert log.is_file(), f"no audit log written:\n{out}"
    assert_no_canary(log.read_text(encoding="utf-8"), "audit log")
    # the fixed flow still holds its own secrets (pafix fixes sensitivity, not the literals)
    assert "CANARY-q7f3a9-PASS" in (work / LEAKY.name).read_text(encoding="utf-8")
