"""Tests for pafix.solutions: reading and splicing desktop flows in solution exports."""

from __future__ import annotations

import base64
import codecs
import io
import json
import os
import re
import shutil
import stat
import struct
import zipfile
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import pafix.solutions as S
from pafix.solutions import definition as solution_definition, xmltext
from pafix.solutions import (
    EmbeddedFlow,
    FlowChange,
    Solution,
    SolutionError,
    is_solution_path,
    load_solution,
    render_changes,
    write_solution,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "solutions"
CORPUS_ZIPS: list[Path] = sorted(CORPUS.glob("*.zip")) if CORPUS.is_dir() else []
_CORPUS_PARAMS: list[Path | None] = [*CORPUS_ZIPS] if CORPUS_ZIPS else [None]
FIXTURE = REPO / "fixtures" / "solutions" / "unpacked_minimal"
FIXTURE_ID = "5f3c2a10-7b1d-4e2a-9c55-0d1e2f3a4b5c"
FIXTURE_DATA = "Workflows/PafixSampleLogin-5F3C2A10-7B1D-4E2A-9C55-0D1E2F3A4B5C.json.data.xml"

#: a script edit that exercises every escape: XML specials, quotes, backslash, non-ASCII, ZWSP
TAIL = "\r\n# pafix: <tag> & \"double\" 'single' \\ / é \u200b \U0001f512 Value=> x"


@pytest.fixture(params=_CORPUS_PARAMS, ids=lambda p: p.name if p else "absent")
def corpus_zip(request: pytest.FixtureRequest) -> Path:
    if request.param is None:
        pytest.skip(f"corpus not found in {CORPUS}")
    path: Path = request.param
    return path


def _customizations(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("customizations.xml")


def _element_span(text: str, workflow_id: str, element: str) -> tuple[int, int]:
    """Content span of <element> inside the Workflow with this id (test-side, independent)."""
    wf = re.search(r'<Workflow WorkflowId="\{' + re.escape(workflow_id) + r'\}"', text, re.I)
    assert wf is not None
    start = text.index(f"<{element}>", wf.end()) + len(element) + 2
    end = text.index(f"</{element}>", start)
    assert start < text.index("</Workflow>", wf.end())
    return start, end


def _local_records(path: Path) -> list[tuple[Any, ...]]:
    """(name, compress_type, flags, date_time, external_attr, CRC, size, raw local record bytes)."""
    data = path.read_bytes()
    out = []
    with zipfile.ZipFile(path) as zf:
        for i in zf.infolist():
            lh = struct.unpack_from("<4s2B4HL2L2H", data, i.header_offset)
            end = i.header_offset + 30 + lh[10] + lh[11] + i.compress_size
            out.append(
                (i.filename, i.compress_type, i.flag_bits, i.date_time, i.external_attr, i.CRC,
                 i.file_size, data[i.header_offset : end])
            )
    return out


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if "pafix-tmp" in p.name]


# =============================================================================================
# Corpus: real exports


@pytest.mark.corpus
def test_corpus_loads_every_desktop_flow(corpus_zip: Path) -> None:
    sol = load_solution(corpus_zip)
    raw = _customizations(corpus_zip)
    assert sol.kind == "zip"
    assert sol.path == str(corpus_zip)
    assert len(sol.flows) == raw.count(b"<Category>6</Category>") > 0
    ids = [f.workflow_id for f in sol.flows]
    assert len(set(ids)) == len(ids)
    # document order
    positions = [raw.decode().lower().index(f'workflowid="{{{i}}}"') for i in ids]
    assert positions == sorted(positions)
    for flow in sol.flows:
        assert flow.container == str(corpus_zip)
        assert flow.member == "customizations.xml"
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", flow.workflow_id)
        assert flow.name.startswith("PADFramework: ")
        assert isinstance(flow.script, str) and flow.script.startswith("@@")
        assert "\r\n" in flow.script and "&gt;" not in flow.script and "=>" in flow.script
        assert flow.inputs is None or isinstance(flow.inputs, dict)
        assert isinstance(flow.outputs, dict)
        assert isinstance(flow.connection_references, list)
        assert not flow.read_only
    assert sol.flow("{" + ids[0].upper() + "}") is sol.flows[0]


@pytest.mark.corpus
def test_corpus_sensitive_lists_match_password_format(corpus_zip: Path) -> None:
    """The spec's claim: @SENSITIVE I/O variables == properties with format 'password'."""
    for flow in load_solution(corpus_zip).flows:
        line = next((ln for ln in flow.script.split("\r\n") if ln.startswith("@SENSITIVE:")), "@SENSITIVE: []")
        names = {n.strip() for n in line.split("[", 1)[1].rstrip("]").split(",") if n.strip()}
        io_props: dict[str, Any] = {}
        for data in (flow.inputs, flow.outputs):
            if data and data.get("schema"):
                io_props.update(data["schema"]["properties"])
        assert {n for n, p in io_props.items() if p.get("format") == "password"} == names & set(io_props)


@pytest.mark.corpus
def test_corpus_noop_render_is_empty(corpus_zip: Path) -> None:
    sol = load_solution(corpus_zip)
    assert render_changes(sol, {f.workflow_id: FlowChange(f.script) for f in sol.flows}) == {}
    # already-sensitive outputs are a no-op too
    changes = {}
    for f in sol.flows:
        props = (f.outputs or {}).get("schema", {}).get("properties", {})
        names = frozenset(n for n, p in props.items() if p.get("format") == "password")
        changes[f.workflow_id] = FlowChange(f.script, sensitive_io=names)
    assert render_changes(sol, changes) == {}


@pytest.mark.corpus
def test_corpus_reencoding_reproduces_every_element(corpus_zip: Path) -> None:
    """Re-encoding each unchanged decoded value gives the original element text byte for byte."""
    sol = load_solution(corpus_zip)
    (member,) = sol._members
    original = _customizations(corpus_zip)
    assert member.raw == original and member.splice_ok and member.bom == b""
    for flow in sol.flows:
        assert flow._loc is not None
        raw_def = member.text[slice(*flow._loc.definition)]  # type: ignore[misc]
        encode = solution_definition._definition_encoder(raw_def, member, "test")
        assert encode(flow.script) == raw_def
        assert encode(flow.script).encode("utf-8") in original
        for span in (flow._loc.inputs, flow._loc.outputs):
            assert span is not None
            raw = member.text[span[0] : span[1]]
            style = xmltext._element_xml_style(raw, member)
            assert xmltext._xml_escape(xmltext._xml_text(raw, "t"), style, "t") == raw


@pytest.mark.corpus
def test_corpus_change_and_change_back_is_identity(corpus_zip: Path, tmp_path: Path) -> None:
    """Through the public API: edit every flow, reload, restore every script: original bytes."""
    sol = load_solution(corpus_zip)
    original = _customizations(corpus_zip)
    out = render_changes(sol, {f.workflow_id: FlowChange(f.script + TAIL) for f in sol.flows})
    assert list(out) == ["customizations.xml"]
    edited = tmp_path / "customizations.xml"
    edited.write_bytes(out["customizations.xml"])
    sol2 = load_solution(edited)
    assert sol2.kind == "xml"
    assert [f.script for f in sol2.flows] == [f.script + TAIL for f in sol.flows]
    back = render_changes(sol2, {f.workflow_id: FlowChange(f.script) for f in sol.flows})
    assert back["customizations.xml"] == original


@pytest.mark.corpus
def test_corpus_script_change_touches_only_that_definition(corpus_zip: Path) -> None:
    sol = load_solution(corpus_zip)
    old = _customizations(corpus_zip).decode("utf-8")
    for flow in sol.flows:
        out = render_changes(sol, {flow.workflow_id: FlowChange(flow.script + TAIL)})
        assert list(out) == ["customizations.xml"]
        new = out["customizations.xml"].decode("utf-8")
        start, end = _element_span(old, flow.workflow_id, "Definition")
        tail_len = len(old) - end
        assert new[:start] == old[:start]
        assert new[len(new) - tail_len :] == old[end:]
        new_elem = new[start : len(new) - tail_len]
        assert "</Definition>" not in new_elem
        assert json.loads(xmltext._xml_text(new_elem, "t")) == flow.script + TAIL
        # the real conventions: '>' as &gt;, quotes raw, non-ASCII raw, '/' not escaped
        assert new_elem.endswith("Value=&gt; x\"")
        assert "&lt;tag&gt; &amp; \\\"double\\\" 'single' \\\\ / é \u200b \U0001f512" in new_elem


@pytest.mark.corpus
def test_corpus_sensitive_io_sets_format_and_value_only(corpus_zip: Path) -> None:
    sol = load_solution(corpus_zip)
    old = _customizations(corpus_zip).decode("utf-8")
    done = 0
    for flow in sol.flows:
        props = ((flow.inputs or {}).get("schema") or {}).get("properties") or {}
        plain = [n for n, p in props.items() if p.get("format") is None]
        if not plain:
            continue
        name = plain[0]
        out = render_changes(sol, {flow.workflow_id: FlowChange(flow.script, sensitive_io=frozenset({name, "NoSuchVar"}))})
        new = out["customizations.xml"].decode("utf-8")
        start, end = _element_span(old, flow.workflow_id, "Inputs")
        tail_len = len(old) - end
        assert new[:start] == old[:start] and new[len(new) - tail_len :] == old[end:]
        old_json = xmltext._xml_text(old[start:end], "t")
        new_json = xmltext._xml_text(new[start : len(new) - tail_len], "t")
        # minimal edit: only the format and value of that one property changed
        before, after = json.loads(old_json), json.loads(new_json)
        expected = json.loads(old_json)
        expected["schema"]["properties"][name]["format"] = "password"
        expected["schema"]["properties"][name]["value"] = None
        assert after == expected
        assert list(after["schema"]["properties"][name]) == list(before["schema"]["properties"][name])
        assert json.dumps(after, ensure_ascii=False, separators=(",", ":")) == new_json
        done += 1
    assert done >= 3


@pytest.mark.corpus
def test_corpus_removed_inputs_leave_schema_and_required(corpus_zip: Path, tmp_path: Path) -> None:
    sol = load_solution(corpus_zip)
    flow = next(
        f for f in sol.flows
        if f.inputs and f.inputs["schema"] and len(f.inputs["schema"]["required"]) >= 2
    )
    required = flow.inputs["schema"]["required"]  # type: ignore[index]
    gone = frozenset({required[0], required[-1]})
    out = render_changes(sol, {flow.workflow_id: FlowChange(flow.script, removed_inputs=gone)})
    path = tmp_path / "customizations.xml"
    path.write_bytes(out["customizations.xml"])
    after = load_solution(path).flow(flow.workflow_id).inputs
    assert after is not None
    assert after["schema"]["required"] == required[1:-1]
    assert list(after["schema"]["properties"]) == [
        n for n in flow.inputs["schema"]["properties"] if n not in gone  # type: ignore[index]
    ]


@pytest.mark.corpus
def test_corpus_write_zip_changes_only_customizations(corpus_zip: Path, tmp_path: Path) -> None:
    target = tmp_path / corpus_zip.name
    shutil.copyfile(corpus_zip, target)
    os.chmod(target, 0o640)
    sol = load_solution(target)
    flow = sol.flows[-1]
    seen: list[Solution] = []
    changed = write_solution(sol, {flow.workflow_id: FlowChange(flow.script + TAIL)}, verify=seen.append)
    assert changed == ["customizations.xml"]
    # verify ran on the re-opened new archive before it replaced the original
    assert len(seen) == 1 and seen[0].flow(flow.workflow_id).script == flow.script + TAIL
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert _no_temp_files(tmp_path)

    old, new = _local_records(corpus_zip), _local_records(target)
    assert [r[0] for r in old] == [r[0] for r in new]  # names and order
    assert [r[1] for r in old] == [r[1] for r in new]  # compress_type
    for a, b in zip(old, new):
        if a[0] == "customizations.xml":
            assert a[7] != b[7]
        else:
            assert a == b  # identical header fields and raw compressed bytes
    with zipfile.ZipFile(corpus_zip) as za, zipfile.ZipFile(target) as zb:
        assert za.comment == zb.comment
        assert zb.testzip() is None
        for info in za.infolist():
            if info.filename != "customizations.xml":
                assert za.read(info) == zb.read(info.filename)
    reloaded = load_solution(target)
    assert reloaded.flow(flow.workflow_id).script == flow.script + TAIL
    assert [f.script for f in reloaded.flows[:-1]] == [f.script for f in sol.flows[:-1]]
    # the old Solution is stale now: writing it again is refused
    with pytest.raises(SolutionError, match="changed on disk"):
        write_solution(sol, {flow.workflow_id: FlowChange(flow.script + "\r\n# again")})


@pytest.mark.corpus
def test_corpus_verify_failure_keeps_original(corpus_zip: Path, tmp_path: Path) -> None:
    target = tmp_path / corpus_zip.name
    shutil.copyfile(corpus_zip, target)
    sol = load_solution(target)

    def reject(new: Solution) -> None:
        raise RuntimeError("no thanks")

    with pytest.raises(RuntimeError, match="no thanks"):
        write_solution(sol, {sol.flows[0].workflow_id: FlowChange(sol.flows[0].script + TAIL)}, verify=reject)
    assert target.read_bytes() == corpus_zip.read_bytes()
    assert _no_temp_files(tmp_path)


def _unpack_like_pac(zip_path: Path, flow: EmbeddedFlow, dest: Path) -> Path:
    """Move one Workflow element into Workflows/<Name>-<GUID>.json.data.xml, as pac unpack does."""
    text = _customizations(zip_path).decode("utf-8")
    wf = re.search(r'<Workflow WorkflowId="\{' + flow.workflow_id + r'\}"', text)
    assert wf is not None
    end = text.index("</Workflow>", wf.start()) + len("</Workflow>")
    safe = re.sub(r"[^A-Za-z0-9]", "", flow.name)
    data = dest / "Workflows" / f"{safe}-{flow.workflow_id.upper()}.json.data.xml"
    data.parent.mkdir(parents=True)
    data.write_bytes(('<?xml version="1.0" encoding="utf-8"?>\r\n' + text[wf.start() : end]).encode("utf-8"))
    (dest / "Other").mkdir()
    (dest / "Other" / "Customizations.xml").write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?>\r\n<ImportExportXml>\r\n  <Workflows />\r\n</ImportExportXml>'
    )
    return data


@pytest.mark.corpus
def test_corpus_unpacked_folder(corpus_zip: Path, tmp_path: Path) -> None:
    packed = load_solution(corpus_zip)
    flow = packed.flows[2]
    folder = tmp_path / "unpacked"
    data = _unpack_like_pac(corpus_zip, flow, folder)
    assert is_solution_path(folder) and is_solution_path(data)
    sol = load_solution(folder)
    assert sol.kind == "folder"
    (loaded,) = sol.flows
    assert loaded.member == data.relative_to(folder).as_posix()
    assert (loaded.workflow_id, loaded.name, loaded.script, loaded.inputs, loaded.outputs) == (
        flow.workflow_id, flow.name, flow.script, flow.inputs, flow.outputs
    )
    original = data.read_bytes()
    cust = (folder / "Other" / "Customizations.xml").read_bytes()
    assert write_solution(sol, {flow.workflow_id: FlowChange(loaded.script)}) == []
    changed = write_solution(sol, {flow.workflow_id: FlowChange(loaded.script + TAIL)})
    assert changed == [loaded.member]
    new = data.read_bytes()
    assert new.startswith(b'<?xml version="1.0" encoding="utf-8"?>\r\n')
    start = original.index(b"<Definition>") + len(b"<Definition>")
    assert new[:start] == original[:start]
    assert new.endswith(original[original.index(b"</Definition>") :])
    assert (folder / "Other" / "Customizations.xml").read_bytes() == cust
    assert load_solution(folder).flows[0].script == flow.script + TAIL
    # the bare data.xml loads on its own too
    bare = load_solution(data)
    assert bare.kind == "xml" and bare.flows[0].script == flow.script + TAIL


# =============================================================================================
# Synthetic fixture (always runs)


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "unpacked_minimal"
    shutil.copytree(FIXTURE, dest)
    return dest


def test_fixture_folder_loads() -> None:
    assert is_solution_path(FIXTURE)
    sol = load_solution(FIXTURE)
    assert sol.kind == "folder" and sol.path == str(FIXTURE)
    (flow,) = sol.flows
    assert flow.member == FIXTURE_DATA
    assert flow.workflow_id == FIXTURE_ID
    assert flow.name == "Pafix Sample: Login & Token"
    assert flow.script.startswith("@@ConnectionString: ''\r\n")
    assert "Result=> LogLine" in flow.script
    assert "\"quoted\" & <tag>" in flow.script
    assert "café API\r\n(optional)" in flow.script
    assert "SET LogFolder TO $'''C:\\\\Temp\\\\Pafix'''" in flow.script
    assert flow.inputs is not None and flow.outputs is not None
    assert flow.inputs["schema"]["properties"]["Input_Password"]["format"] == "password"
    assert flow.connection_references == []
    assert render_changes(sol, {FIXTURE_ID: FlowChange(flow.script)}) == {}


def test_fixture_change_write_reload(fixture_copy: Path) -> None:
    data = fixture_copy / FIXTURE_DATA
    original = data.read_bytes()
    others = {p: p.read_bytes() for p in fixture_copy.rglob("*") if p.is_file() and p != data}
    sol = load_solution(fixture_copy)
    flow = sol.flows[0]
    new_script = flow.script.replace("Message: Input_ApiKey", "Message: $'''(hidden)'''") + TAIL
    seen: list[Solution] = []
    changed = write_solution(
        sol,
        {"{" + FIXTURE_ID.upper() + "}": FlowChange(new_script, sensitive_io=frozenset({"Input_ApiKey", "Output_Token"}))},
        verify=seen.append,
    )
    assert changed == [FIXTURE_DATA]
    assert seen and seen[0].flows[0].script == new_script
    assert {p: p.read_bytes() for p in others} == others
    new = data.read_bytes()
    # XML declaration, LF line ends and every byte outside the edited elements are kept
    assert new.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<Workflow ')
    assert b"\r" not in new.replace(b"\\r", b"")
    cut = original.index(b"  <Inputs>")
    assert new[:cut] == original[:cut]
    after_outputs = original[original.index(b"</Outputs>") : original.index(b"<Definition>") + 12]
    assert after_outputs in new
    assert new.endswith(original[original.index(b"</Definition>") :])
    assert _no_temp_files(data.parent)
    reloaded = load_solution(fixture_copy).flows[0]
    assert reloaded.script == new_script
    assert reloaded.inputs is not None and reloaded.outputs is not None
    key = reloaded.inputs["schema"]["properties"]["Input_ApiKey"]
    assert key["format"] == "password" and key["value"] is None
    assert reloaded.inputs["schema"]["properties"]["Input_UserName"]["value"] == "demo.user"
    tok = reloaded.outputs["schema"]["properties"]["Output_Token"]
    assert tok["format"] == "password" and tok["value"] is None


def test_fixture_removed_inputs(fixture_copy: Path) -> None:
    sol = load_solution(fixture_copy)
    flow = sol.flows[0]
    write_solution(sol, {FIXTURE_ID: FlowChange(flow.script, removed_inputs=frozenset({"Input_Password"}))})
    inputs = load_solution(fixture_copy).flows[0].inputs
    assert inputs is not None
    assert inputs["schema"]["required"] == ["Input_UserName"]
    assert list(inputs["schema"]["properties"]) == ["Input_UserName", "Input_ApiKey"]
    # removing the last one and the only required one
    sol = load_solution(fixture_copy)
    write_solution(sol, {FIXTURE_ID: FlowChange(flow.script, removed_inputs=frozenset({"Input_ApiKey", "Input_UserName"}))})
    inputs = load_solution(fixture_copy).flows[0].inputs
    assert inputs == {"schema": {"required": [], "properties": {}, "type": "object"}}


def test_fixture_bare_data_xml_and_detection(fixture_copy: Path) -> None:
    data = fixture_copy / FIXTURE_DATA
    assert is_solution_path(data)
    assert is_solution_path(fixture_copy / "Other" / "Customizations.xml")
    assert not is_solution_path(fixture_copy / "Other" / "Solution.xml")
    assert is_solution_path(fixture_copy / "Other")  # customizations.xml at its root
    assert not is_solution_path(fixture_copy / "Workflows" / "PafixSampleLogin-5F3C2A10-7B1D-4E2A-9C55-0D1E2F3A4B5C.json")
    assert not is_solution_path(fixture_copy / "nope.zip")
    sol = load_solution(data)
    assert sol.kind == "xml" and sol.path == str(data)
    assert sol.flows[0].member == data.name
    changed = write_solution(sol, {FIXTURE_ID: FlowChange(sol.flows[0].script + TAIL)})
    assert changed == [data.name]
    assert load_solution(data).flows[0].script == sol.flows[0].script + TAIL


def _fixture_workflow_element() -> str:
    text = (FIXTURE / FIXTURE_DATA).read_text(encoding="utf-8")
    return text[text.index("<Workflow ") :]


def _wrap_customizations(*workflows: str, newline: str = "\r\n") -> str:
    body = newline.join("    " + w for w in workflows)
    return (
        f'<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{newline}'
        f"  <Entities></Entities>{newline}  <Workflows>{newline}{body}{newline}  </Workflows>{newline}"
        f"  <Languages>{newline}    <Language>1033</Language>{newline}  </Languages>{newline}</ImportExportXml>"
    )


def _build_zip(path: Path, members: Sequence[tuple[str | zipfile.ZipInfo, bytes]], comment: bytes = b"") -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
        zf.comment = comment


def test_synthetic_zip_write_keeps_other_members(tmp_path: Path) -> None:
    """A zip write test that needs no corpus: mixed compression, a directory, a comment."""
    cloud_flow = _fixture_workflow_element().replace(FIXTURE_ID, "00000000-0000-0000-0000-000000000001").replace(
        "<Category>6</Category>", "<Category>5</Category>"
    )
    cust = _wrap_customizations(_fixture_workflow_element(), cloud_flow).encode("utf-8")
    stored = zipfile.ZipInfo("[Content_Types].xml", (2024, 5, 1, 12, 0, 0))
    stored.compress_type = zipfile.ZIP_STORED
    members: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        ("customizations.xml", cust),
        (stored, b"<Types/>"),
        ("solution.xml", b"<ImportExportXml/>" * 50),
        ("Workflows/", b""),
        ("desktopflowbinaries/x/data/img.png", bytes(range(256)) * 40),
    ]
    target = tmp_path / "Sample_1_0_0_0.zip"
    _build_zip(target, members, comment=b"made by the test")
    before = _local_records(target)
    sol = load_solution(target)
    assert [f.workflow_id for f in sol.flows] == [FIXTURE_ID]  # the Category 5 flow is skipped
    flow = sol.flows[0]
    assert write_solution(sol, {FIXTURE_ID: FlowChange(flow.script + TAIL, sensitive_io=frozenset({"Input_UserName"}))}) == [
        "customizations.xml"
    ]
    after = _local_records(target)
    assert [r[:2] for r in before] == [r[:2] for r in after]
    assert before[1:] == after[1:]
    with zipfile.ZipFile(target) as zf:
        assert zf.comment == b"made by the test"
        assert zf.testzip() is None
    new = load_solution(target).flows[0]
    assert new.script == flow.script + TAIL
    assert new.inputs is not None
    assert new.inputs["schema"]["properties"]["Input_UserName"]["format"] == "password"
    assert new.inputs["schema"]["properties"]["Input_UserName"]["value"] is None


# =============================================================================================
# Encoding conventions other than the real exports'


def _one_flow_xml(definition_text: str, inputs_text: str = '{"schema":null}') -> str:
    return (
        f'<Workflow WorkflowId="{{{FIXTURE_ID}}}" Name="conv"><Category>6</Category>'
        f"<Inputs>{inputs_text}</Inputs><Definition>{definition_text}</Definition></Workflow>"
    )


@pytest.mark.parametrize(
    ("definition", "expect_in_new"),
    [
        # the real convention
        ('"A=&gt; b &lt; c &amp; \\"d\\" \'e\' é\\r\\n"', ["&lt;tag&gt; &amp; \\\"double\\\" 'single'", "é \u200b"]),
        # System.Text.Json-like: everything non-ASCII as upper-case \\u, quotes as \\u0022, '/' as '\\/'
        ('"A\\u003E b \\u0022d\\u0022 \\u00E9 x\\/y"',
         ["\\u003Ctag\\u003E \\u0026 \\u0022double\\u0022 \\u0027single\\u0027 \\\\ \\/ \\u00E9 \\u200B \\uD83D\\uDD12"]),
        # XmlWriter with quote entities and CR as a character reference, raw '>'
        ('&quot;A=> b &amp; \\&quot;d\\&quot; &apos;e&apos;\\r\\n&quot;&#xD;&#xA;',
         ["&lt;tag> &amp; \\&quot;double\\&quot; &apos;single&apos;", "Value=> x&quot;&#xD;&#xA;</Definition>"]),
        # a CDATA section
        ('<![CDATA["A=> b < c & \\"d\\""]]>', ["<tag> & \\\"double\\\"", "]]>"]),
        # non-ASCII as decimal character references at the XML level
        ('"caf&#233; &gt;"', ["&#233; &#8203; &#128274;"]),
    ],
    ids=["real", "ensure-ascii-upper", "quot-entities", "cdata", "xml-charrefs"],
)
def test_encoding_conventions_are_kept(tmp_path: Path, definition: str, expect_in_new: list[str]) -> None:
    path = tmp_path / "customizations.xml"
    original = _wrap_customizations(_one_flow_xml(definition)).encode("utf-8")
    path.write_bytes(original)
    sol = load_solution(path)
    flow = sol.flows[0]
    member = sol._members[0]
    raw_def = member.text[slice(*flow._loc.definition)]  # type: ignore[union-attr, misc]
    assert solution_definition._definition_encoder(raw_def, member, "t")(flow.script) == raw_def
    out = render_changes(sol, {FIXTURE_ID: FlowChange(flow.script + TAIL)})
    new = out["customizations.xml"].decode("utf-8")
    for fragment in expect_in_new:
        assert fragment in new
    path.write_bytes(out["customizations.xml"])
    again = load_solution(path)
    assert again.flows[0].script == flow.script + TAIL
    back = render_changes(again, {FIXTURE_ID: FlowChange(flow.script)})
    assert back["customizations.xml"] == original


@pytest.mark.parametrize(
    ("bom", "codec", "newline", "decl"),
    [
        (codecs.BOM_UTF8, "utf-8", "\r\n", '<?xml version="1.0" encoding="utf-8"?>'),
        (codecs.BOM_UTF16_LE, "utf-16-le", "\r\n", '<?xml version="1.0" encoding="utf-16"?>'),
        (b"", "utf-8", "\n", ""),
        (b"", "cp1252", "\n", '<?xml version="1.0" encoding="windows-1252"?>'),
    ],
    ids=["utf8-bom-crlf", "utf16le-bom", "utf8-lf-nodecl", "cp1252-decl"],
)
def test_member_encoding_bom_and_newlines_are_kept(tmp_path: Path, bom: bytes, codec: str, newline: str, decl: str) -> None:
    text = (decl + newline if decl else "") + _wrap_customizations(_one_flow_xml('"caf\u00e9 A=&gt; b"'), newline=newline)
    original = bom + text.encode(codec)
    path = tmp_path / "customizations.xml"
    path.write_bytes(original)
    sol = load_solution(path)
    assert sol.flows[0].script == "caf\u00e9 A=> b"
    out = render_changes(sol, {FIXTURE_ID: FlowChange("caf\u00e9 A=> b \u0153 \u4e2d")})["customizations.xml"]
    assert out.startswith(bom)
    head = original[: original.index("<Definition>".encode(codec)) + len("<Definition>".encode(codec))]
    tail = original[original.index("</Definition>".encode(codec)) :]
    assert out.startswith(head) and out.endswith(tail)
    path.write_bytes(out)
    assert load_solution(path).flows[0].script == "caf\u00e9 A=> b \u0153 \u4e2d"


def test_inputs_pretty_printed_json_is_edited_minimally(tmp_path: Path) -> None:
    inputs = {
        "schema": {
            "required": ["A", "B"],
            "properties": {
                "A": {"title": "A", "type": "string", "value": "x"},
                "B": {"title": "B", "type": "string", "format": None, "value": "y"},
            },
            "type": "object",
        }
    }
    pretty = json.dumps(inputs, indent=2)
    path = tmp_path / "x.json.data.xml"
    path.write_text(_one_flow_xml('"s"', pretty), encoding="utf-8")
    sol = load_solution(path)
    out = render_changes(sol, {FIXTURE_ID: FlowChange("s", sensitive_io=frozenset({"A", "b"}))})
    new = out["x.json.data.xml"].decode("utf-8")
    new_inputs = xmltext._xml_text(new[new.index("<Inputs>") + 8 : new.index("</Inputs>")], "t")
    expected = json.loads(pretty)
    expected["schema"]["properties"]["A"].update({"format": "password", "value": None})
    expected["schema"]["properties"]["B"].update({"format": "password", "value": None})
    assert json.loads(new_inputs) == expected
    # "format" was appended to A with A's own separator style; B only had values replaced
    assert '"value": null,\n        "format": "password"' in new_inputs
    assert new_inputs.count("\n") == pretty.count("\n") + 1


# =============================================================================================
# v1 clientdata


def _v1_package(script: str, *, utf16: bool = True) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("script.robin", codecs.BOM_UTF16_LE + script.encode("utf-16-le") if utf16 else script.encode("utf-8") + b"\x00")
        zf.writestr("other.txt", b"ignored")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def test_v1_clientdata_element_is_read_only(tmp_path: Path) -> None:
    script = "@@Type: 'Local'\r\nSET x TO $'''é'''\r\n"
    cd = {"clientversion": "2.19", "properties": {"definition": {"package": _v1_package(script)},
          "inputs": {"schema": {"properties": {"P": {"format": None, "value": "v"}}}}}}
    xml = (
        f'<Workflow WorkflowId="{{{FIXTURE_ID}}}" Name="old"><Category>6</Category><Definition />'
        f"<ClientData>{json.dumps(cd).replace('&', '&amp;')}</ClientData></Workflow>"
    )
    path = tmp_path / "old.json.data.xml"
    path.write_text(xml, encoding="utf-8")
    sol = load_solution(path)
    flow = sol.flows[0]
    assert flow.script == script and flow.read_only
    assert flow.inputs == cd["properties"]["inputs"]  # type: ignore[index]
    assert render_changes(sol, {FIXTURE_ID: FlowChange(script)}) == {}
    with pytest.raises(SolutionError, match="cannot rewrite a v1 clientdata flow"):
        render_changes(sol, {FIXTURE_ID: FlowChange(script + "# x")})
    with pytest.raises(SolutionError, match="cannot rewrite a v1 clientdata flow"):
        write_solution(sol, {FIXTURE_ID: FlowChange(script, sensitive_io=frozenset({"P"}))})


def test_v1_package_in_json_file_of_the_zip(tmp_path: Path) -> None:
    script = "@@Type: 'Local'\r\nCALL main\r\n"
    stub = json.dumps({"properties": {"definition": {"package": _v1_package(script, utf16=False)}}})
    wf = (
        f'<Workflow WorkflowId="{{{FIXTURE_ID}}}" Name="old"><JsonFileName>/Workflows/Old-X.json</JsonFileName>'
        f"<Category>6</Category><Definition></Definition></Workflow>"
    )
    target = tmp_path / "old.zip"
    _build_zip(target, [("customizations.xml", _wrap_customizations(wf).encode()), ("Workflows/Old-X.json", stub.encode())])
    assert load_solution(target).flows[0].script == script


# =============================================================================================
# Hostile and broken inputs


def _zip_with_customizations(tmp_path: Path, text: str, name: str = "s.zip") -> Path:
    path = tmp_path / name
    _build_zip(path, [("customizations.xml", text.encode("utf-8"))])
    return path


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("../evil.txt", "path traversal"),
        ("Workflows/../../evil.txt", "path traversal"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\evil.dll", "absolute path"),
        ("Workflows\\..\\..\\evil.txt", "path traversal"),
        ("\\\\server\\share\\x", "absolute path"),
    ],
)
def test_path_traversal_member_names(tmp_path: Path, member: str, message: str) -> None:
    path = tmp_path / "evil.zip"
    _build_zip(path, [("customizations.xml", _wrap_customizations(_fixture_workflow_element()).encode()), (member, b"x")])
    with pytest.raises(SolutionError, match=message) as err:
        load_solution(path)
    assert str(path) in str(err.value)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    _build_zip(path, [("customizations.xml", _wrap_customizations(_fixture_workflow_element()).encode()),
                      ("desktopflowbinaries/zeros.bin", bytes(50 * 1024 * 1024))])
    with pytest.raises(SolutionError, match=r"compression ratio of \d+:1") as err:
        load_solution(path)
    assert "zeros.bin" in str(err.value) and str(path) in str(err.value)


def test_too_many_members(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    _build_zip(path, [("customizations.xml", _wrap_customizations(_fixture_workflow_element()).encode())]
               + [(f"f{i}.txt", b"x") for i in range(5)])
    assert len(load_solution(path).flows) == 1
    with pytest.raises(SolutionError, match=r"too many members \(6, the limit is 3\)"):
        load_solution(path, max_members=3)


def test_member_larger_than_limit(tmp_path: Path) -> None:
    path = _zip_with_customizations(tmp_path, _wrap_customizations(_fixture_workflow_element()))
    with pytest.raises(SolutionError, match="larger than the limit of 1000"):
        load_solution(path, max_member_size=1000)
    with pytest.raises(SolutionError, match="larger than the limit"):
        load_solution(FIXTURE, max_member_size=1000)


def test_member_lying_about_its_size(tmp_path: Path) -> None:
    """A central directory that understates file_size: the streamed read catches it."""
    path = _zip_with_customizations(tmp_path, _wrap_customizations(_fixture_workflow_element()))
    data = bytearray(path.read_bytes())
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<L", data, cd + 24, 100)  # uncompressed size
    path.write_bytes(bytes(data))
    with pytest.raises(SolutionError, match="corrupt or unreadable|decompresses to more"):
        load_solution(path)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b"PK\x03\x04" + os.urandom(300),
        lambda b: b[: len(b) // 2],
        lambda b: b[:100] + bytes(len(b) - 200) + b[-100:],
        lambda b: b"",
    ],
    ids=["random", "truncated", "zeroed-middle", "empty"],
)
def test_corrupt_zip(tmp_path: Path, mangle: Callable[[bytes], bytes]) -> None:
    good = _zip_with_customizations(tmp_path, _wrap_customizations(_fixture_workflow_element()), "good.zip")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(mangle(good.read_bytes()))
    with pytest.raises(SolutionError) as err:
        load_solution(bad)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE ImportExportXml SYSTEM "file:///etc/passwd">',
        '<!ENTITY x "y">',
    ],
)
def test_doctype_and_entities_are_refused(tmp_path: Path, prolog: str) -> None:
    text = '<?xml version="1.0"?>\r\n' + prolog + "\r\n" + _wrap_customizations(_fixture_workflow_element())
    path = _zip_with_customizations(tmp_path, text)
    with pytest.raises(SolutionError, match="DOCTYPE.*refusing") as err:
        load_solution(path)
    assert "customizations.xml" in str(err.value)
    bare = tmp_path / "customizations.xml"
    bare.write_text(text, encoding="utf-8")
    with pytest.raises(SolutionError, match="entity-expansion"):
        load_solution(bare)


def test_invalid_json_definition_names_the_workflow(tmp_path: Path) -> None:
    wf = _one_flow_xml('"SuperSecret123 never closed').replace('Name="conv"', 'Name="Broken flow"')
    path = _zip_with_customizations(tmp_path, _wrap_customizations(wf))
    with pytest.raises(SolutionError, match=r"workflow 'Broken flow' \(" + FIXTURE_ID + r"\): <Definition> is not valid JSON") as err:
        load_solution(path)
    assert "SuperSecret123" not in str(err.value)
    assert "customizations.xml" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (_one_flow_xml('{"a": 1}'), "is not a JSON string"),
        (_one_flow_xml('"x"', "{not json"), "<Inputs> is not valid JSON"),
        (_one_flow_xml('"x"', "[1, 2]"), "<Inputs> is not a JSON object"),
        (_one_flow_xml('"&nbsp;"'), "undefined XML entity"),
        (_one_flow_xml('"a & b"'), "bare '&'"),
        (_one_flow_xml('"x"').replace("</Definition>", ""), "malformed XML"),
        (_one_flow_xml("").replace("<Definition></Definition>", ""), "no clientdata package"),
        (_one_flow_xml('"x"').replace(f' WorkflowId="{{{FIXTURE_ID}}}"', ""), "has no WorkflowId"),
        (_one_flow_xml('"x"') + _one_flow_xml('"y"'), "duplicate desktop flow WorkflowId"),
    ],
    ids=["not-string", "inputs-json", "inputs-array", "entity", "bare-amp", "unclosed", "empty", "no-id", "dup-id"],
)
def test_broken_xml_members(tmp_path: Path, xml: str, message: str) -> None:
    path = tmp_path / "customizations.xml"
    path.write_text(_wrap_customizations(xml), encoding="utf-8")
    with pytest.raises(SolutionError, match=re.escape(message)):
        load_solution(path)


def test_zip_without_customizations_and_duplicate_members(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    _build_zip(path, [("solution.xml", b"<x/>")])
    with pytest.raises(SolutionError, match="no customizations.xml"):
        load_solution(path)
    cust = _wrap_customizations(_fixture_workflow_element()).encode()
    _build_zip(path, [("customizations.xml", cust), ("Customizations.xml", cust)])
    with pytest.raises(SolutionError, match="duplicate member name"):
        load_solution(path)


def test_missing_path_and_non_solution_folder(tmp_path: Path) -> None:
    with pytest.raises(SolutionError, match="no such file"):
        load_solution(tmp_path / "nope.zip")
    with pytest.raises(SolutionError, match="not a solution folder"):
        load_solution(tmp_path)
    assert not is_solution_path(tmp_path)


def test_unknown_workflow_id_in_changes() -> None:
    sol = load_solution(FIXTURE)
    with pytest.raises(SolutionError, match="no desktop flow with WorkflowId 00000000"):
        render_changes(sol, {"00000000-0000-0000-0000-000000000000": FlowChange("x")})


def test_unreproducible_encoding_is_refused(tmp_path: Path) -> None:
    """'>' written both raw and as &gt; in one Definition: we cannot know which to use."""
    path = tmp_path / "customizations.xml"
    path.write_text(_wrap_customizations(_one_flow_xml('"a=> b=&gt; c"')), encoding="utf-8")
    sol = load_solution(path)
    assert sol.flows[0].script == "a=> b=> c"
    with pytest.raises(SolutionError, match="does not reproduce the original text"):
        render_changes(sol, {FIXTURE_ID: FlowChange("a=> b=> c d")})


def test_folder_file_changed_on_disk_is_not_overwritten(fixture_copy: Path) -> None:
    sol = load_solution(fixture_copy)
    data = fixture_copy / FIXTURE_DATA
    data.write_bytes(data.read_bytes() + b"\n")
    with pytest.raises(SolutionError, match="changed on disk"):
        write_solution(sol, {FIXTURE_ID: FlowChange(sol.flows[0].script + TAIL)})


def test_symlink_escaping_the_folder_is_refused(fixture_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json.data.xml"
    outside.write_bytes((fixture_copy / FIXTURE_DATA).read_bytes())
    link = fixture_copy / "Workflows" / "Link-1.json.data.xml"
    try:
        link.symlink_to(outside)
    except OSError:
        pytest.skip("symlinks not available")
    with pytest.raises(SolutionError, match="outside the solution folder"):
        load_solution(fixture_copy)


def test_iter_flows_of_both_inline_and_unpacked(fixture_copy: Path) -> None:
    """Inline workflows in Other/Customizations.xml are read too; unpacked copies win."""
    other = _fixture_workflow_element().replace(FIXTURE_ID, "11111111-2222-3333-4444-555555555555")
    cust = fixture_copy / "Other" / "Customizations.xml"
    cust.write_text(_wrap_customizations(_fixture_workflow_element(), other), encoding="utf-8")
    sol = load_solution(fixture_copy)
    assert [(f.workflow_id, f.member) for f in sol.flows] == [
        (FIXTURE_ID, FIXTURE_DATA),
        ("11111111-2222-3333-4444-555555555555", "Other/Customizations.xml"),
    ]


def test_lone_surrogate_and_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "customizations.xml"
    path.write_text(_wrap_customizations(_one_flow_xml('"x"')), encoding="utf-8")
    sol = load_solution(path)
    out = render_changes(sol, {FIXTURE_ID: FlowChange("x \ud800 y")})["customizations.xml"]
    assert b'"x \\ud800 y"' in out
    with pytest.raises(SolutionError, match="given twice"):
        render_changes(sol, {FIXTURE_ID: FlowChange("a"), "{" + FIXTURE_ID.upper() + "}": FlowChange("b")})


@pytest.mark.parametrize("kind", ["xml", "zip"])
def test_mutated_inputs_raise_only_solution_error(tmp_path: Path, kind: str) -> None:
    """Seeded byte mutations of a valid export: loading either works or raises SolutionError."""
    rng = random.Random(20240501)
    good = _wrap_customizations(_fixture_workflow_element()).encode("utf-8")
    if kind == "zip":
        zpath = tmp_path / "good.zip"
        _build_zip(zpath, [("customizations.xml", good), ("solution.xml", b"<x/>")])
        good = zpath.read_bytes()
    target = tmp_path / ("m.zip" if kind == "zip" else "customizations.xml")
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(data))
            data[pos] = rng.choice(b"<>&;\"'\\/{}[]:,\x00\xff0aZ")
        target.write_bytes(bytes(data))
        try:
            sol = load_solution(target)
        except SolutionError as exc:
            assert "\n" not in str(exc)
            continue
        for flow in sol.flows:
            try:
                render_changes(sol, {flow.workflow_id: FlowChange(flow.script + TAIL, sensitive_io=frozenset({"Input_ApiKey"}))})
            except SolutionError:
                pass


def _iter_all() -> Iterator[str]:  # keep the public names referenced for linters
    yield from S.__all__


def test_public_api_is_exported() -> None:
    assert set(_iter_all()) >= {
        "EmbeddedFlow", "FlowChange", "Solution", "SolutionError", "is_solution_path",
        "load_solution", "render_changes", "write_solution", "MAX_MEMBERS", "MAX_MEMBER_SIZE",
        "MAX_COMPRESSION_RATIO",
    }
    assert S.MAX_MEMBERS == 10_000 and S.MAX_MEMBER_SIZE == 200 * 1024 * 1024 and S.MAX_COMPRESSION_RATIO == 200
