"""Output formats: text, JSON contract v1, SARIF 2.1.0 (schema-validated), GitHub commands."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from pafix.findings import Edit, FileResult, Finding, Fix, RuleInfo, SourceError, TraceStep
from pafix.report import (
    ScanStats,
    display_path,
    render_github,
    render_json,
    render_sarif,
    render_text,
)
from pafix.report.github import escape_data, escape_property
from pafix.report.text import clean

HERE = Path(__file__).resolve().parent
SCHEMA_COPY = HERE / "data" / "sarif-schema-2.1.0.json"
SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"

ANSI = re.compile(r"\x1b\[[0-9;]*m")

STATS = ScanStats(files=5, lines=30, seconds=0.01234)

RULES = {
    "PAF101": RuleInfo(
        code="PAF101",
        name="sensitive-value-in-plain-variable",
        summary="A secret is kept in a variable that is not marked sensitive.",
        doc="""A secret is kept in a variable that is not marked sensitive.

        PAD logs the values of plain variables, so the secret ends up in run history.

        **Fix:** mark the variable sensitive.
        """,
        severity="error",
        fix_safety="safe",
    ),
    "PAF201": RuleInfo(
        code="PAF201",
        name="secret-written-to-file",
        summary="A secret reaches a file write.",
        doc="A secret reaches a file write.",
        severity="warning",
    ),
    "PAF301": RuleInfo(
        code="PAF301",
        name="secret-in-display-message",
        summary="A secret is shown in a message box.",
        doc="",
        severity="note",
        fix_safety="unsafe",
    ),
}


def make_results(base: str = "") -> list[FileResult]:
    """Several files, a solution workflow, traces, both fix safeties, two source errors."""
    b = f"{base}/" if base else ""
    conn = Finding(
        rule="PAF101",
        name="sensitive-value-in-plain-variable",
        severity="error",
        message="ConnString holds a connection string but is not marked sensitive",
        line=3,
        column=1,
        end_line=3,
        end_column=80,
        variable="ConnString",
        trace=(
            TraceStep(line=2, column=8, message="password read into Password"),
            TraceStep(line=3, column=1, message="Password concatenated into ConnString"),
        ),
        fix=Fix(edits=(Edit(0, 0, "@@sensitive\n"),), safety="safe", description="mark ConnString sensitive"),
        fingerprint="fp-conn",
    )
    write_warn = Finding(
        rule="PAF201",
        name="secret-written-to-file",
        severity="warning",
        message="ApiKey is written to a file",
        line=5,
        column=1,
        end_line=5,
        end_column=40,
        subflow="Export",
        variable="ApiKey",
        fingerprint="fp-write",
    )
    same_place = Finding(
        rule="PAF101",
        name="sensitive-value-in-plain-variable",
        severity="error",
        message="ApiKey is not marked sensitive",
        line=5,
        column=1,
        end_line=5,
        end_column=40,
        subflow="Export",
        variable="ApiKey",
        fingerprint="fp-apikey",
    )
    solution = Finding(
        rule="PAF301",
        name="secret-in-display-message",
        severity="note",
        message="Token is shown in a message box",
        line=12,
        column=5,
        end_line=12,
        end_column=60,
        variable="Token",
        trace=(
            TraceStep(line=7, column=9, message="Token returned by subflow", flow="Helper flow"),
            TraceStep(line=12, column=5, message="Token displayed"),
        ),
        fix=Fix(edits=(), safety="unsafe", description="remove the message box"),
        fingerprint="fp-token",
        flow="Nightly sync",
    )
    return [
        FileResult(path=f"{b}flows/b.txt", findings=(conn,), lines=6),
        FileResult(path=f"{b}flows/a.txt", findings=(write_warn, same_place), lines=10),
        FileResult(path=f"{b}dist/solution.zip", findings=(solution,), lines=14, flow="Nightly sync"),
        FileResult(
            path=f"{b}flows/broken.txt",
            errors=(SourceError("unexpected token 'END'", line=4, column=10),),
        ),
        FileResult(path=f"{b}flows/locked.txt", errors=(SourceError("cannot read file: permission denied"),)),
    ]


# --- display_path -------------------------------------------------------------------------


def test_display_path() -> None:
    assert display_path(FileResult(path="flows/a.txt")) == "flows/a.txt"
    assert display_path(FileResult(path="solution.zip", flow="Flow name")) == "solution.zip!Flow name"


# --- text ---------------------------------------------------------------------------------

EXPECTED_TEXT = """\
dist/solution.zip!Nightly sync:12:5: PAF301 Token is shown in a message box
    dist/solution.zip!Helper flow:7:9  Token returned by subflow
    12:5  Token displayed
    fix (unsafe): remove the message box
flows/a.txt:5:1: PAF101 ApiKey is not marked sensitive
flows/a.txt:5:1: PAF201 ApiKey is written to a file
flows/b.txt:3:1: PAF101 ConnString holds a connection string but is not marked sensitive
    2:8  password read into Password
    3:1  Password concatenated into ConnString
    fix (safe): mark ConnString sensitive
flows/broken.txt:4:10: error: unexpected token 'END'
flows/locked.txt: error: cannot read file: permission denied

Found 4 findings (2 errors, 1 warning, 1 note) in 5 files; 1 fixable with 'pafix rewrite' (1 more with --unsafe-fixes); 2 source errors
"""


def test_text_exact_without_colour() -> None:
    out = render_text(make_results(), STATS, color=False)
    assert out == EXPECTED_TEXT
    assert "\x1b" not in out


def test_text_order_does_not_depend_on_input_order() -> None:
    results = make_results()
    shuffled = [
        FileResult(path=r.path, findings=tuple(reversed(r.findings)), errors=r.errors, lines=r.lines, flow=r.flow)
        for r in results
    ]
    random.Random(4).shuffle(shuffled)
    assert render_text(shuffled, STATS, color=False) == EXPECTED_TEXT


def test_text_without_fixes() -> None:
    out = render_text(make_results(), STATS, color=False, show_fixes=False)
    assert "fix (" not in out
    assert out.splitlines() == [line for line in EXPECTED_TEXT.splitlines() if not line.startswith("    fix (")]


def test_text_colour_only_when_asked() -> None:
    coloured = render_text(make_results(), STATS, color=True)
    assert "\x1b[1mflows/b.txt:3:1:\x1b[0m \x1b[31mPAF101\x1b[0m" in coloured  # bold path, red error
    assert "\x1b[33mPAF201\x1b[0m" in coloured  # yellow warning
    assert "\x1b[34mPAF301\x1b[0m" in coloured  # blue note
    assert "\x1b[2m    2:8  password read into Password\x1b[0m" in coloured  # dim trace
    assert ANSI.sub("", coloured) == EXPECTED_TEXT
    assert "\x1b" not in render_text(make_results(), STATS, color=False)
    assert "\x1b" not in render_text([], STATS, color=False)
    assert render_text([], STATS, color=True) == "\x1b[1mAll checks passed (5 files)\x1b[0m\n"


def test_text_all_passed() -> None:
    results = [FileResult(path="a.txt", lines=3), FileResult(path="s.zip", flow="F", lines=2)]
    assert render_text(results, ScanStats(2, 5, 0.1), color=False) == "All checks passed (2 files)\n"
    assert render_text([], ScanStats(1, 0, 0.0), color=False) == "All checks passed (1 file)\n"


def test_text_summary_without_fixes_and_singulars() -> None:
    finding = Finding("PAF201", "secret-written-to-file", "warning", "X is written", 1, 1, 1, 5)
    out = render_text([FileResult(path="a.txt", findings=(finding,))], ScanStats(1, 1, 0.0), color=False)
    assert out.splitlines()[-1] == "Found 1 finding (0 errors, 1 warning, 0 notes) in 1 file"


def test_text_only_source_errors_is_not_all_passed() -> None:
    results = [FileResult(path="a.txt", errors=(SourceError("bad", 1, 2),))]
    assert render_text(results, ScanStats(1, 0, 0.0), color=False) == (
        "a.txt:1:2: error: bad\n\nFound 0 findings (0 errors, 0 warnings, 0 notes) in 1 file; 1 source error\n"
    )


def test_text_neutralises_control_characters_in_names() -> None:
    # a solution names its own workflows: the name must not forge lines or recolour the terminal
    evil = "Flow\n/etc/passwd:1:1: PAF999 forged\x1b[8m\u202e"
    finding = Finding("PAF101", "n", "error", "m", 1, 1, 1, 2, flow=evil)
    out = render_text([FileResult(path="s.zip", findings=(finding,), flow=evil)], STATS, color=False)
    first = out.splitlines()[0]
    assert first == "s.zip!Flow\\x0a/etc/passwd:1:1: PAF999 forged\\x1b[8m\\u202e:1:1: PAF101 m"
    assert "\x1b" not in out and "\u202e" not in out
    assert clean("plain Ünïcode name") == "plain Ünïcode name"


# --- json ---------------------------------------------------------------------------------

FINDING_KEYS = [
    "rule", "name", "severity", "kind", "confidence", "path", "flow", "subflow", "line", "column", "end_line",
    "end_column", "message", "variable", "trace", "fix", "fingerprint",
]  # fmt: skip


def test_json_contract() -> None:
    out = render_json(make_results(), STATS, tool_version="0.1.0")
    doc = json.loads(out)
    assert list(doc) == ["version", "tool", "findings", "errors", "stats"]
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "pafix", "version": "0.1.0"}
    assert list(doc["stats"]) == ["files", "lines", "seconds"]
    assert doc["stats"] == {"files": 5, "lines": 30, "seconds": 0.012}
    for item in doc["findings"]:
        assert list(item) == FINDING_KEYS
    assert [(f["path"], f["flow"], f["rule"]) for f in doc["findings"]] == [
        ("dist/solution.zip", "Nightly sync", "PAF301"),
        ("flows/a.txt", None, "PAF101"),
        ("flows/a.txt", None, "PAF201"),
        ("flows/b.txt", None, "PAF101"),
    ]
    assert doc["findings"][3] == {
        "rule": "PAF101",
        "name": "sensitive-value-in-plain-variable",
        "severity": "error",
        "kind": None,
        "confidence": "high",
        "path": "flows/b.txt",
        "flow": None,
        "subflow": "Main",
        "line": 3,
        "column": 1,
        "end_line": 3,
        "end_column": 80,
        "message": "ConnString holds a connection string but is not marked sensitive",
        "variable": "ConnString",
        "trace": [
            {"path": "flows/b.txt", "line": 2, "column": 8, "message": "password read into Password"},
            {"path": "flows/b.txt", "line": 3, "column": 1, "message": "Password concatenated into ConnString"},
        ],
        "fix": {"safety": "safe", "description": "mark ConnString sensitive"},
        "fingerprint": "fp-conn",
    }
    assert [list(s) for s in doc["findings"][3]["trace"]] == [["path", "line", "column", "message"]] * 2
    assert doc["findings"][2]["fix"] is None
    assert doc["findings"][2]["subflow"] == "Export"
    # trace steps inside a solution carry their flow (their own, else the finding's)
    solution_trace = doc["findings"][0]["trace"]
    assert [list(s) for s in solution_trace] == [["path", "flow", "line", "column", "message"]] * 2
    assert [s["flow"] for s in solution_trace] == ["Helper flow", "Nightly sync"]
    assert doc["findings"][0]["fix"] == {"safety": "unsafe", "description": "remove the message box"}
    assert doc["errors"] == [
        {"path": "flows/broken.txt", "line": 4, "column": 10, "message": "unexpected token 'END'"},
        {"path": "flows/locked.txt", "line": 0, "column": 0, "message": "cannot read file: permission denied"},
    ]
    assert out == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_json_error_flow_and_unicode() -> None:
    results = [FileResult(path="s.zip", flow="Flüsse", errors=(SourceError("bad ✗", 2, 3),))]
    out = render_json(results, ScanStats(1, 0, 0.0), tool_version="9")
    assert "Flüsse" in out and "✗" in out  # ensure_ascii=False
    assert json.loads(out)["errors"] == [{"path": "s.zip", "flow": "Flüsse", "line": 2, "column": 3, "message": "bad ✗"}]


def test_json_is_deterministic() -> None:
    results = make_results()
    shuffled = list(reversed(results))
    assert render_json(results, STATS, tool_version="1") == render_json(shuffled, STATS, tool_version="1")


# --- sarif --------------------------------------------------------------------------------


def _validate(document: object, schema_path: Path) -> None:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def _sarif(tmp_path: Path, root: Path | None = None) -> dict:
    results = make_results(str(tmp_path / "repo"))
    results.append(FileResult(path=str(tmp_path / "elsewhere" / "x y.txt"), findings=(
        Finding("PAF999", "not-in-rules", "warning", "unknown rule", 1, 1, 1, 2),
    )))  # fmt: skip
    return json.loads(render_sarif(results, RULES, tool_version="0.1.0", root=root))


def test_sarif_validates_against_schema(tmp_path: Path) -> None:
    for root in (tmp_path / "repo", None):
        _validate(_sarif(tmp_path, root), SCHEMA_COPY)
    _validate(json.loads(render_sarif([], {}, tool_version="0", root=None)), SCHEMA_COPY)


@pytest.mark.corpus
def test_sarif_validates_against_shared_schema(tmp_path: Path) -> None:
    if not SHARED_SCHEMA.exists():
        pytest.skip("../shared is absent")
    assert SHARED_SCHEMA.read_bytes() == SCHEMA_COPY.read_bytes(), "tests/data copy is out of date"
    _validate(_sarif(tmp_path, tmp_path / "repo"), SHARED_SCHEMA)


def test_sarif_content(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    doc = _sarif(tmp_path, root)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "pafix" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["PAF101", "PAF201", "PAF301", "PAF999"]
    rule = driver["rules"][0]
    assert rule["name"] == "sensitive-value-in-plain-variable"
    assert rule["shortDescription"] == {"text": RULES["PAF101"].summary}
    assert rule["fullDescription"] == {"text": "A secret is kept in a variable that is not marked sensitive."}
    assert rule["help"]["markdown"].endswith("**Fix:** mark the variable sensitive.")
    assert rule["help"]["text"] == rule["help"]["markdown"]
    assert "\n        " not in rule["help"]["text"]  # docstring indentation removed
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"] == {"security-severity": "8.0", "tags": ["security"]}
    assert [r["properties"].get("security-severity") for r in driver["rules"]] == ["8.0", "5.0", "2.0", None]
    assert driver["rules"][2]["help"]["text"] == RULES["PAF301"].summary  # empty doc

    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root.as_uri() + "/"}}

    results = run["results"]
    # sorted by path: <tmp>/elsewhere/... comes before <tmp>/repo/...
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("PAF999", 3, "warning"),
        ("PAF301", 2, "note"),
        ("PAF101", 0, "error"),
        ("PAF201", 1, "warning"),
        ("PAF101", 0, "error"),
    ]
    conn = results[4]
    assert conn["message"] == {"text": "ConnString holds a connection string but is not marked sensitive"}
    assert conn["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "flows/b.txt", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 80},
            }
        }
    ]
    assert conn["partialFingerprints"] == {"pafix/v1": "fp-conn"}
    steps = conn["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [(s["location"]["physicalLocation"]["region"], s["location"]["message"]["text"]) for s in steps] == [
        ({"startLine": 2, "startColumn": 8}, "password read into Password"),
        ({"startLine": 3, "startColumn": 1}, "Password concatenated into ConnString"),
    ]
    assert "codeFlows" not in results[3]  # no trace
    assert "fixes" not in conn

    token = results[1]
    (loc,) = token["locations"]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "dist/solution.zip", "uriBaseId": "%SRCROOT%"}
    assert loc["logicalLocations"] == [
        {"name": "Nightly sync", "kind": "module", "fullyQualifiedName": "dist/solution.zip!Nightly sync"}
    ]
    token_steps = token["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["logicalLocations"][0]["name"] for s in token_steps] == ["Helper flow", "Nightly sync"]

    # outside the root: an absolute file URI, percent-encoded, without uriBaseId
    outside = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert outside == {"uri": (tmp_path / "elsewhere" / "x y.txt").as_uri()}
    assert "%20" in outside["uri"]

    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("error", "unexpected token 'END'"),
        ("error", "cannot read file: permission denied"),
    ]
    assert notes[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "flows/broken.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 10},
    }
    assert "region" not in notes[1]["locations"][0]["physicalLocation"]


def test_sarif_without_root_and_fingerprints_have_no_line_numbers(tmp_path: Path) -> None:
    doc = _sarif(tmp_path, None)
    (run,) = doc["runs"]
    assert "originalUriBaseIds" not in run
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uri"].startswith("file://") and "uriBaseId" not in artifact
    # moving a finding to another line keeps its fingerprint (the core's, passed through)
    moved = [
        FileResult(path="a.txt", findings=(Finding("PAF101", "n", "error", "m", line, 1, line, 5, fingerprint="fp"),))
        for line in (3, 40)
    ]
    prints = [
        json.loads(render_sarif([r], RULES, tool_version="0", root=None))["runs"][0]["results"][0]["partialFingerprints"]
        for r in moved
    ]
    assert prints[0] == prints[1] == {"pafix/v1": "fp"}


def test_sarif_clean_run_is_successful() -> None:
    doc = json.loads(render_sarif([FileResult(path="a.txt")], RULES, tool_version="0", root=None))
    assert doc["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    assert doc["runs"][0]["results"] == []


# --- github -------------------------------------------------------------------------------


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"
    # escaping % first: an already-escaped-looking sequence survives a round trip
    assert escape_data("%0A") == "%250A"


def test_github_commands() -> None:
    out = render_github(make_results())
    assert out.splitlines() == [
        "::notice file=dist/solution.zip,line=12,col=5,endLine=12,endColumn=60,"
        "title=PAF301 secret-in-display-message::[Nightly sync] Token is shown in a message box"
        "%0A  [Helper flow] 7:9  Token returned by subflow%0A  12:5  Token displayed"
        "%0Afix (unsafe): remove the message box",
        "::error file=flows/a.txt,line=5,col=1,endLine=5,endColumn=40,"
        "title=PAF101 sensitive-value-in-plain-variable::ApiKey is not marked sensitive",
        "::warning file=flows/a.txt,line=5,col=1,endLine=5,endColumn=40,"
        "title=PAF201 secret-written-to-file::ApiKey is written to a file",
        "::error file=flows/b.txt,line=3,col=1,endLine=3,endColumn=80,"
        "title=PAF101 sensitive-value-in-plain-variable::ConnString holds a connection string but is not "
        "marked sensitive%0A  2:8  password read into Password%0A  3:1  Password concatenated into ConnString"
        "%0Afix (safe): mark ConnString sensitive",
        "::error file=flows/broken.txt,line=4,col=10,title=pafix could not read this flow::unexpected token 'END'",
        "::error file=flows/locked.txt,title=pafix could not read this flow::cannot read file: permission denied",
    ]
    assert out.endswith("\n")
    assert render_github([FileResult(path="a.txt")]) == ""


def test_github_crafted_path_and_message_stay_one_command() -> None:
    finding = Finding("PAF101", "n", "error", "50% of X\n::set-output name=x::y", 1, 2, 1, 3)
    out = render_github([FileResult(path="dir,x:y/a%b.txt", findings=(finding,))])
    assert out == (
        "::error file=dir%2Cx%3Ay/a%25b.txt,line=1,col=2,endLine=1,endColumn=3,title=PAF101 n"
        "::50%25 of X%0A::set-output name=x::y\n"
    )
    assert out.count("\n") == 1


# --- nothing but Finding fields is printed ------------------------------------------------

CANARY_EDIT = "CANARY-edit-text-7Qz"
CANARY_SUPPRESSED = "CANARY-suppressed-3Kp"


def _all_formats(results: list[FileResult], tmp_path: Path) -> dict[str, str]:
    return {
        "text": render_text(results, STATS, color=False),
        "text-colour": render_text(results, STATS, color=True),
        "json": render_json(results, STATS, tool_version="0"),
        "sarif": render_sarif(results, RULES, tool_version="0", root=tmp_path),
        "github": render_github(results),
    }


def test_renderers_print_only_reported_fields(tmp_path: Path) -> None:
    """Fix edit text (which may carry source text) and suppressed findings are never printed.

    Finding messages name variables, never values (the core's contract, not re-checked here);
    this checks the renderers add nothing of their own: no edit text, no suppressed finding,
    no repr() of a result object.
    """
    hidden = Finding(
        "PAF101", "n", "error", f"{CANARY_SUPPRESSED} message", 1, 1, 1, 2,
        trace=(TraceStep(1, 1, f"{CANARY_SUPPRESSED} step"),),
        fix=Fix((Edit(0, 1, CANARY_SUPPRESSED),), "safe", f"{CANARY_SUPPRESSED} fix"),
        fingerprint=CANARY_SUPPRESSED, variable=CANARY_SUPPRESSED,
    )  # fmt: skip
    results = []
    for r in make_results(str(tmp_path)):
        findings = tuple(
            Finding(
                f.rule, f.name, f.severity, f.message, f.line, f.column, f.end_line, f.end_column,
                f.start, f.end, f.subflow, f.variable, f.trace,
                Fix((Edit(0, 0, CANARY_EDIT), Edit(5, 9, CANARY_EDIT)), f.fix.safety, f.fix.description)
                if f.fix else None,
                f.fingerprint, f.flow,
            )  # fmt: skip
            for f in r.findings
        )
        results.append(
            FileResult(r.path, findings, r.errors, r.lines, r.flow, suppressed=(hidden,) if findings else ())
        )
    assert any(f.fix and f.fix.edits for r in results for f in r.findings)
    for name, out in _all_formats(results, tmp_path).items():
        assert CANARY_EDIT not in out, name
        assert CANARY_SUPPRESSED not in out, name
        for type_name in ("Finding(", "TraceStep(", "Fix(", "Edit(", "FileResult(", "SourceError(", "RuleInfo("):
            assert type_name not in out, (name, type_name)
        assert "object at 0x" not in out, name
        # what is printed is the finding's own text, unchanged
        assert "ConnString holds a connection string but is not marked sensitive" in out, name
