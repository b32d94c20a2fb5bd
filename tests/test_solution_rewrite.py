"""`pafix rewrite` on solution exports: only the intended element texts change."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pafix.syntax import nodes as n
from pafix.cli.main import main
from pafix.syntax.parser import parse
from pafix.solutions.check import check_units
from pafix.solutions import FlowChange, load_solution, write_solution
from pafix.cli.sources import read_units
from pafix.config import DEFAULT

SHARED = Path(__file__).resolve().parents[2] / "shared"
SOLUTIONS = SHARED / "corpus" / "solutions"
UNPACKED = Path(__file__).resolve().parents[1] / "fixtures" / "solutions" / "unpacked_minimal"


def run(*args: str) -> "object":
    return CliRunner().invoke(main, ["rewrite", *args], catch_exceptions=False)


def _workflow_element(xml: str, wid: str) -> tuple[int, int]:
    m = re.search(r"<Workflow WorkflowId=\"\{" + re.escape(wid) + r"\}\"[\s\S]*?</Workflow>", xml, re.I)
    assert m is not None, wid
    return m.start(), m.end()


def _blank_elements(xml: str, wid: str, names: tuple[str, ...]) -> str:
    """The XML with the given child elements of one workflow replaced by a marker."""
    start, end = _workflow_element(xml, wid)
    element = xml[start:end]
    for name in names:
        element = re.sub(rf"<{name}>[\s\S]*?</{name}>", f"<{name}>…</{name}>", element, count=1)
    return xml[:start] + element + xml[end:]


def _inject(script: str, line: str) -> str:
    """Insert a statement before the first statement of Main that is not a header line."""
    flow = parse(script)
    first = next(s for s in flow.main if not isinstance(s, (n.Annotation, n.Import, n.Sensitive, n.IODecl, n.Comment)))
    start = script.rfind("\n", 0, first.span.start) + 1
    return script[:start] + line + "\r\n" + script[start:]


def _plain_string_input(script: str) -> str | None:
    flow = parse(script)
    sensitive = {x.name for s in flow.main if isinstance(s, n.Sensitive) for x in s.names}
    for s in flow.main:
        if isinstance(s, n.IODecl) and s.kind == "INPUT" and s.name.name not in sensitive:
            props = s.props
            if isinstance(props, n.ObjectLit):
                kind = props.get("Type")
                if isinstance(kind, n.StringLit) and kind.literal == "String":
                    return s.name.name
    return None


@pytest.mark.corpus
@pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="../shared is absent")
def test_injected_leak_in_real_solution_is_fixed_in_place(tmp_path: Path) -> None:
    src = sorted(SOLUTIONS.glob("*.zip"))[0]
    archive = tmp_path / src.name
    shutil.copyfile(src, archive)
    solution = load_solution(archive)
    # pick a flow with a plain (not sensitive) String input and make it a secret: use it as a
    # connection string. Build the modified archive with pafix's own splicing writer.
    target = next(f for f in solution.flows if _plain_string_input(f.script))
    secret_input = _plain_string_input(target.script)
    assert secret_input is not None
    leaky = _inject(
        target.script,
        f"Excel.LaunchExcel.LaunchAndOpenUnderExistingProcess Path: $'''C:\\\\x.xlsx''' Visible: False "
        f"Password: {secret_input} ReadOnly: True Instance=> InjectedExcel",
    )
    write_solution(solution, {target.workflow_id: FlowChange(leaky)})
    before = zipfile.ZipFile(archive)
    before_members = [(i.filename, i.compress_type) for i in before.infolist()]
    before_bytes = {i.filename: before.read(i) for i in before.infolist()}
    before.close()

    result = run("--in-place", str(archive))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]

    after = zipfile.ZipFile(archive)
    assert [(i.filename, i.compress_type) for i in after.infolist()] == before_members
    after_bytes = {i.filename: after.read(i) for i in after.infolist()}
    after.close()
    changed = [name for name in before_bytes if before_bytes[name] != after_bytes[name]]
    assert changed == ["customizations.xml"]
    old_xml = before_bytes["customizations.xml"].decode("utf-8")
    new_xml = after_bytes["customizations.xml"].decode("utf-8")
    # outside the changed flows' Definition / Inputs / Outputs, the XML is byte-identical
    reloaded = load_solution(archive)
    changed_ids = [f.workflow_id for f in reloaded.flows
                   if f.script != next(g.script for g in solution.flows if g.workflow_id == f.workflow_id)]
    assert target.workflow_id in changed_ids
    old_blank, new_blank = old_xml, new_xml
    for wid in changed_ids:
        old_blank = _blank_elements(old_blank, wid, ("Definition", "Inputs", "Outputs"))
        new_blank = _blank_elements(new_blank, wid, ("Definition", "Inputs", "Outputs"))
    assert old_blank == new_blank
    # the injected input is sensitive in the script and "format": "password" in Inputs
    fixed = next(f for f in reloaded.flows if f.workflow_id == target.workflow_id)
    flow = parse(fixed.script)
    sensitive = {x.name for s in flow.main if isinstance(s, n.Sensitive) for x in s.names}
    assert secret_input in sensitive
    assert fixed.inputs is not None
    prop = fixed.inputs["schema"]["properties"][secret_input]
    assert prop["format"] == "password" and prop["value"] is None
    # re-scan: nothing a safe fix of a certain finding could still fix, and --check is clean
    results = list(check_units(read_units([str(archive)]), DEFAULT.with_min_confidence("high")))
    assert not [e for r in results for e in r.errors]
    assert not [f for r in results for f in r.findings if f.fix is not None and f.fix.safety == "safe"]
    assert run("--check", str(archive)).exit_code == 0  # type: ignore[attr-defined]


def test_unpacked_folder_round_trips(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    shutil.copytree(UNPACKED, folder)
    files_before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    # by default only certain findings are fixed: Input_ApiKey and Output_Token are secrets
    # by their names only (medium confidence)
    default = run(str(folder))
    marked = [ln for ln in default.stdout.splitlines() if ln.startswith("+@SENSITIVE")]  # type: ignore[attr-defined]
    assert marked and not [ln for ln in marked if "Input_ApiKey" in ln]
    diff = run("--min-confidence", "medium", str(folder))
    assert diff.exit_code == 0, diff.output  # type: ignore[attr-defined]
    assert "@SENSITIVE: [Input_Password, " in diff.stdout  # type: ignore[attr-defined]
    assert "NotARealSecret" not in diff.output  # type: ignore[attr-defined]  # diffs mask literals
    # the Inputs/Outputs edits are in the diff and the summary, the dropped default redacted
    assert "[Inputs/Outputs]" in diff.stdout  # type: ignore[attr-defined]
    assert "sample-key-0000" not in diff.output  # type: ignore[attr-defined]
    assert '"format": "password" set for Outputs.Output_Token' in diff.stderr  # type: ignore[attr-defined]
    result = run("--in-place", "--min-confidence", "medium", "--audit-log", str(tmp_path / "audit.jsonl"), str(folder))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    files_after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    changed = sorted(str(p) for p in files_before if files_before[p] != files_after[p])
    assert changed == [str(next(p for p in files_before if str(p).endswith(".json.data.xml")))]
    solution = load_solution(folder)
    (flow,) = solution.flows
    assert flow.outputs is not None and flow.inputs is not None
    assert flow.outputs["schema"]["properties"]["Output_Token"]["format"] == "password"
    # a secret by its name only (medium): reported, but its entry and default stay as they are
    assert flow.inputs["schema"]["properties"]["Input_ApiKey"].get("format") != "password"
    assert flow.inputs["schema"]["properties"]["Input_ApiKey"]["value"] == "sample-key-0000"
    # the user name stays as it was
    assert flow.inputs["schema"]["properties"]["Input_UserName"]["value"] == "demo.user"
    record = json.loads((tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert record["flow"] == flow.name and record["fixes"]
    assert "NotARealSecret" not in (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert "sample-key-0000" not in (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    io = {e["name"]: e for e in record["io"]}
    assert set(io) == {"Output_Token"} and io["Output_Token"]["change"] == "format password"
    # stable: a second run changes nothing
    assert run("--check", "--min-confidence", "medium", str(folder)).exit_code == 0  # type: ignore[attr-defined]


@pytest.mark.corpus
@pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="../shared is absent")
@pytest.mark.parametrize("archive", sorted(p.name for p in SOLUTIONS.glob("*.zip")) if SOLUTIONS.is_dir() else [])
def test_real_solutions_scan_every_flow_without_errors(archive: str) -> None:
    path = SOLUTIONS / archive
    xml = zipfile.ZipFile(path).read("customizations.xml").decode("utf-8")
    expected = sorted(
        re.search(r'Name="([^"]*)"', m.group(0)).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        for m in re.finditer(r"<Workflow [^>]*>[\s\S]*?</Workflow>", xml)
        if "<Category>6</Category>" in m.group(0)
    )
    results = list(check_units(read_units([str(path)]), DEFAULT))
    assert sorted(r.flow or "" for r in results) == expected
    assert not [e for r in results for e in r.errors]
    assert all(f.flow == r.flow for r in results for f in r.findings)
    text = CliRunner().invoke(main, ["scan", "--no-color", str(path)]).output
    assert f"{path}!{results[0].flow}:" in text or not results[0].findings


@pytest.mark.corpus
@pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="../shared is absent")
@pytest.mark.parametrize("level", ["high", "medium"])
def test_rewrite_touches_only_credential_or_marked_inputs_outputs(tmp_path: Path, level: str) -> None:
    """Issue 14 sec. 5 (quality/solution-inputs.md): rewriting the PADFramework export in place
    sets "format": "password" on (and drops the default of) no Inputs/Outputs entry that is not
    a credential or already marked sensitive: file paths, log messages and subflow-name lists
    stay as they are."""
    src = SOLUTIONS / "PADFramework_1_1_12501_241.zip"
    if not src.is_file():
        pytest.skip("PADFramework export absent")
    archive = tmp_path / src.name
    shutil.copyfile(src, archive)
    before = {f.workflow_id: f for f in load_solution(archive).flows}
    result = run("--in-place", "--min-confidence", level, str(archive))
    assert result.exit_code in (0, 1), result.output  # type: ignore[attr-defined]
    for flow in load_solution(archive).flows:
        old = before[flow.workflow_id]
        for section in ("inputs", "outputs"):
            old_props = ((getattr(old, section) or {}).get("schema") or {}).get("properties") or {}
            new_props = ((getattr(flow, section) or {}).get("schema") or {}).get("properties") or {}
            for name, entry in new_props.items():
                if entry != old_props.get(name):
                    # only an entry the author marked sensitive may change (none needs to here)
                    assert old_props.get(name, {}).get("format") == "password", (flow.name, section, name)
