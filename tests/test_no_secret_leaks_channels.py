"""Canary test, every channel (issue 9): no pafix output holds a secret from what it read.

Extends ``tests/test_no_secret_leaks.py`` (which plants canaries in ``fixtures/canary`` and runs
every command and format in-process and as a subprocess) with canaries in hostile places:

* lines that fail to parse: in a comment, as a bare word, in an unterminated block comment, in
  a ``%...%`` hole, in a string (the fixture);
* files that cannot be decoded: invalid UTF-8, NUL bytes;
* a solution export whose ``<Definition>`` / ``<Inputs>`` is not valid JSON, and a valid one
  whose flow hard-codes a secret;
* an exception raised while checking (``tests/test_internal_errors.py`` covers every stage);

and checks every channel: ``scan`` in text, JSON, SARIF and GitHub formats (stdout, stderr,
``--output`` file), ``rewrite --check``, ``--diff``, ``--diff --unsafe-fixes`` (the whole output,
removed lines included) and ``--in-place`` with its audit log, the result cache folder (every
file in it), ``inventory`` in text, JSON and CSV, ``parse``, and the language server's
diagnostics. The language server's messages, hovers and edits on the fixture are covered by
``tests/test_lsp.py::test_no_secret_in_any_message_hover_or_edit``.

A canary must not appear, nor its first five characters (``CANAR``: the redacted form shows
two), nor its unique middle part.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hostile import build_zip, invoke, one_flow, output, workflow_element, wrap_customizations
from pafix.cli.main import scan_cmd

ROOT = Path(__file__).resolve().parents[1]
CANARY_DIR = ROOT / "fixtures" / "canary"

#: canary -> where it is planted (all start with CANARY-/CANARY_, so "CANAR" must never show)
CANARIES = {
    "CANARY-c0mm3nt-LINE": "comment on a line that fails to parse",
    "CANARY_b4r3w0rd_WORD": "bare word on a line that fails to parse",
    "CANARY-bl0ckc0m-OPEN": "unterminated block comment",
    "CANARY-h0l3x9-HOLE": "%...% hole that does not parse",
    "CANARY-utf8b4d-BYTES": "file that is not valid UTF-8",
    "CANARY-nulb7t3-NUL": "file with NUL bytes",
    "CANARY-d3fj50n-DEF": "<Definition> that is not valid JSON",
    "CANARY-inpj50n-INP": "<Inputs> that is not valid JSON",
    "CANARY-s0lp4ss-SOL": "literal in Password: of a solution flow",
    "CANARY-s0ld3f-DEFAULT": "DefaultValue of a solution flow input",
    # the fixtures of tests/test_no_secret_leaks.py
    "CANARY-q7f3a9-PASS": "literal in Password:",
    "CANARY-w2b8k4-DEFAULT": "DefaultValue of a sensitive input",
    "CANARY-r5n1x6-CONN": "Password= in a connection-string literal",
    "CANARY-t9m4z2-DPAPI": "P'...' literal",
    "CANARY-y3h8v1-TOKEN": "literal assigned to a secret-named variable",
    "CANARY-u6j2p5-BROKEN": "string on a line that fails to parse",
}

SOLUTION_SCRIPT = (
    "@SENSITIVE: []\\r\\n"
    "@INPUT In_Password : { \\u0027Type\\u0027: \\u0027String\\u0027, \\u0027DefaultValue\\u0027: \\u0027CANARY-s0ld3f-DEFAULT\\u0027 }\\r\\n"
    "Email.SendEmail.AuthenticateAndSend SMTPServer: $\\u0027\\u0027\\u0027smtp\\u0027\\u0027\\u0027 Username: $\\u0027\\u0027\\u0027u\\u0027\\u0027\\u0027 "
    "Password: $\\u0027\\u0027\\u0027CANARY-s0lp4ss-SOL\\u0027\\u0027\\u0027 From: In_Password\\r\\n"
    "SET Copy TO In_Password\\r\\n"
)


def assert_no_canary(text: str, what: str) -> None:
    assert "CANAR" not in text, f"{what} leaks a canary:\n{text[:3000]}"
    for canary, planted in CANARIES.items():
        middle = canary.replace("_", "-").split("-")[1]
        assert middle not in text, f"{what} leaks {middle!r} of the canary planted as a {planted}"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(CANARY_DIR, folder)
    (folder / "comment.robin").write_text("SET x TO 1 # CANARY-c0mm3nt-LINE\n", encoding="utf-8")
    (folder / "bareword.robin").write_text("SET Password TO 1 CANARY_b4r3w0rd_WORD\n", encoding="utf-8")
    (folder / "block.robin").write_text("SET x TO 1\n/# CANARY-bl0ckc0m-OPEN never closed\n", encoding="utf-8")
    (folder / "hole.robin").write_text("SET x TO $'''a %CANARY-h0l3x9-HOLE x% b'''\n", encoding="utf-8")
    (folder / "badutf8.robin").write_bytes(b"SET Password TO $'''CANARY-utf8b4d-BYTES \xff\xfe'''\n")
    (folder / "nul.robin").write_bytes(b"SET Password TO $'''CANARY-nulb7t3-NUL\x00'''\n")
    bad_def = one_flow('"SET Password TO \\u0027CANARY-d3fj50n-DEF never closed', name="Broken definition")
    build_zip(folder / "baddef.zip", [("customizations.xml", wrap_customizations(bad_def).encode())])
    bad_inputs = one_flow('"SET x TO 1"', inputs_text='{"schema": "CANARY-inpj50n-INP')
    build_zip(folder / "badinputs.zip", [("customizations.xml", wrap_customizations(bad_inputs).encode())])
    leaky = one_flow(f'"{SOLUTION_SCRIPT}"', name="Leaky solution flow",
                     inputs_text='{"schema": {"type": "object", "properties": {"In_Password": {"type": "string"}}}}')
    build_zip(folder / "leaky.zip", [("customizations.xml", wrap_customizations(leaky, workflow_element().replace(
        "5f3c2a10", "5f3c2a11")).encode())])
    return folder


def test_fixtures_are_planted(hostile: Path) -> None:
    """Not vacuous: every canary is in the folder, and pafix sees the solution flow's secrets."""
    blob = b"".join(p.read_bytes() for p in hostile.iterdir() if p.suffix != ".zip")
    import zipfile

    for z in hostile.glob("*.zip"):
        blob += zipfile.ZipFile(z).read("customizations.xml")
    for canary in CANARIES:
        assert canary.encode() in blob, canary
    result = invoke("scan", *_scan_opts(), hostile / "leaky.zip")
    assert "PAF104" in result.stdout and "'CA***'" in result.stdout, output(result)


def _scan_opts() -> list[str]:
    names = {o for p in scan_cmd.params for o in getattr(p, "opts", ())}
    return ["--no-cache"] if "--no-cache" in names else []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "html"])
def test_scan(hostile: Path, tmp_path: Path, fmt: str) -> None:
    report = tmp_path / f"report.{fmt}"
    result = invoke("scan", *_scan_opts(), "--format", fmt, hostile)
    assert result.exit_code == 2
    assert "PAF104" in result.stdout  # findings are reported
    assert_no_canary(output(result), f"scan --format {fmt}")
    to_file = invoke("scan", *_scan_opts(), "--format", fmt, "--output", report, hostile)
    assert to_file.exit_code == 2
    assert_no_canary(output(to_file) + report.read_text(encoding="utf-8"), f"scan --format {fmt} --output")


@pytest.mark.parametrize(
    "args",
    [["--check"], ["--diff"], ["--diff", "--unsafe-fixes"], ["--check", "--unsafe-fixes"]],
    ids=["check", "diff", "diff-unsafe", "check-unsafe"],
)
def test_rewrite(hostile: Path, args: list[str]) -> None:
    result = invoke("rewrite", *args, hostile)
    assert result.exit_code == 2
    if "--diff" in args:
        assert "+@SENSITIVE" in result.stdout  # not vacuous
    assert_no_canary(output(result), f"rewrite {' '.join(args)}")


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_rewrite_in_place_and_audit_log(hostile: Path, tmp_path: Path, unsafe: bool) -> None:
    log = tmp_path / "audit.jsonl"
    result = invoke("rewrite", "--in-place", *(["--unsafe-fixes"] if unsafe else []), "--audit-log", log, hostile)
    assert result.exit_code == 2
    assert_no_canary(output(result), "rewrite --in-place")
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {Path(r["path"]).name for r in records} >= {"leaky-flow.robin", "leaky.zip"}
    assert_no_canary(log.read_text(encoding="utf-8"), "audit log")


def test_result_cache_folder(hostile: Path, tmp_path: Path) -> None:
    names = {o for p in scan_cmd.params for o in getattr(p, "opts", ())}
    if "--cache-dir" not in names:
        pytest.skip("scan has no result cache")
    cache = tmp_path / "cache"
    first = invoke("scan", "--cache-dir", cache, hostile)
    second = invoke("scan", "--cache-dir", cache, hostile)  # answered from the cache
    assert first.exit_code == second.exit_code == 2
    assert first.stdout == second.stdout
    assert_no_canary(output(first) + output(second), "scan with the cache")
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files, "nothing was cached"
    for path in files:
        data = path.read_bytes()
        assert b"CANAR" not in data, f"cache file {path} holds a canary"
        assert_no_canary(data.decode("utf-8", errors="replace"), f"cache file {path.name}")


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_inventory(hostile: Path, fmt: str) -> None:
    for name in ("comment.robin", "bareword.robin", "block.robin"):  # see test_inventory_parse_errors
        (hostile / name).unlink()
    result = invoke("inventory", "--format", fmt, hostile)
    assert result.exit_code == 2
    assert "leaky-flow.robin" in result.stdout and "baddef.zip" in result.stderr
    assert_no_canary(output(result), f"inventory --format {fmt}")


def test_parse(hostile: Path) -> None:
    for name in ("comment.robin", "bareword.robin", "block.robin"):  # see test_parse_snippets_of_comments
        (hostile / name).unlink()
    result = invoke("parse", hostile)
    assert result.exit_code == 2
    assert_no_canary(output(result), "parse")


# ---- parse errors shown by parse, inventory and the language server (the parser's own message) ----


def test_parse_snippets_of_comments(hostile: Path) -> None:
    result = invoke("parse", hostile / "comment.robin", hostile / "block.robin")
    assert result.exit_code == 2
    assert_no_canary(output(result), "parse (comments)")


def test_inventory_parse_errors(hostile: Path) -> None:
    result = invoke("inventory", hostile / "comment.robin", hostile / "bareword.robin")
    assert result.exit_code == 2
    assert_no_canary(output(result), "inventory (parse errors)")


def test_language_server_diagnostics_of_broken_lines(hostile: Path) -> None:
    pytest.importorskip("pygls")
    from pafix.config import DEFAULT
    from pafix.lsp.convert import diagnostics
    from pafix.lsp.lint import lint_text
    from pafix.lsp.positions import LineIndex

    for name in ("comment.robin", "bareword.robin", "block.robin", "hole.robin", "unparseable.robin"):
        text = (hostile / name).read_text(encoding="utf-8")
        result = lint_text(text, name, DEFAULT)
        assert result.parse_errors
        shown = json.dumps(diagnostics(f"file:///{name}", 1, result, LineIndex(text), "utf-16"))
        assert_no_canary(shown, f"language server diagnostics of {name}")
