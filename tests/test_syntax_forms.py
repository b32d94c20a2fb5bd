"""Real forms that used to leave a file unchecked (issue 14, section 1): local subflows with
OUTPUT parameters, the ``_`` placeholder, copies of several subflows, every ON ERROR nesting,
every encoding PAD writes; and a file with one bad line, whose good lines are still checked."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pafix.access.inventory import inventory_flow
from pafix.cli.main import main
from pafix.core import check_source
from pafix.errors import ParseError
from pafix.syntax import nodes as n
from pafix.syntax.parser import parse, split_trailer
from pafix.syntax.textio import decode, encode
from pafix.syntax.unparse import unparse
from strategies import assert_lossless

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "fixtures" / "syntax"
POS = sorted(FORMS.glob("pos_*.robin"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def test_every_fixture_has_its_source() -> None:
    sources = (FORMS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(POS) >= 5
    assert all(f"`{p.name}`" in sources for p in POS)


@pytest.mark.parametrize("path", POS, ids=lambda p: p.name)
def test_real_form_parses_losslessly_and_round_trips(path: Path) -> None:
    text = read(path)
    flow = parse(text, str(path))
    assert flow.errors == ()
    assert_lossless(flow, text)
    canonical = unparse(flow)
    assert parse(canonical) == flow
    assert unparse(parse(canonical)) == canonical


def test_local_subflow_output_parameters_and_the_call_side() -> None:
    flow = parse(read(FORMS / "pos_function_output_params.robin"))
    first, second = flow.functions
    assert first.name == "Send Business Exception Mail" and not first.is_global and first.outputs == ()
    assert [p.name for p in first.params] == ["In_txt_To_Email", "In_txt_Cc_Email", "In_txt_Subject",
                                            "In_txt_ErrorMessage", "In_lst_Attachments"]
    assert [p.name for p in second.params] == ["in_loc_txt_WorkbookPath", "in_loc_txt_SheetName",
                                             "out_loc_txt_Html", "out_loc_bool_Ok"]
    assert second.outputs == ("out_loc_txt_Html", "out_loc_bool_Ok")
    call = [s for s in flow.main if isinstance(s, n.CallSubflow)][1]
    assert [(a.name, a.output) for a in call.args] == [
        ("in_loc_txt_WorkbookPath", False), ("in_loc_txt_SheetName", False),
        ("out_loc_txt_Html", True), ("out_loc_bool_Ok", True)]
    # OUTPUT is a keyword only in a parameter list: elsewhere it is a name as before
    assert parse("SET OUTPUT TO 1\n").body[0] == parse("SET OUTPUT TO 1\n").body[0]
    with pytest.raises(ParseError):
        parse("FUNCTION f OUTPUT\nEND FUNCTION\n")  # OUTPUT without a name


def test_action_placeholder() -> None:
    flow = parse(read(FORMS / "pos_action_placeholder.robin"))
    action = flow.body[1]
    assert isinstance(action, n.Action)
    assert (action.name, action.args, action.placeholder) == ("Clipboard.Clear", (), True)
    assert flow.text(action) == "Clipboard.Clear _"
    assert unparse(flow).endswith("Clipboard.Clear _\n")
    for bad in ("Clipboard.Clear _ _\n", "Clipboard.Clear _ Text: 'a'\n", "Clipboard.Clear Text: 'a' _\n"):
        with pytest.raises(ParseError):
            parse(bad)


def test_on_error_in_every_nesting() -> None:
    flow = parse(read(FORMS / "pos_on_error_every_nesting.robin"))
    found = [s for s in n.walk_statements(flow.body) if isinstance(s, (n.OnError, n.OnErrorRepeat, n.BlockHandler))]
    kinds = {type(s).__name__ for s in found}
    assert kinds == {"OnError", "OnErrorRepeat"}
    handlers = [h for s in n.walk_statements(flow.body) if isinstance(s, n.Block) for h in s.handlers]
    assert [h.name for h in handlers] == ["Business Exception", "System Unavailable Exception", None, "all", "all"]
    # every ON ERROR line of the file, at whatever depth, is one node (none read as something else)
    text = flow.code
    errors = [s for s in found if isinstance(s, n.OnError)]
    assert len([s for s in found if isinstance(s, n.OnErrorRepeat)]) == text.count("ON ERROR REPEAT") == 15
    assert len(errors) == len(re.findall(r"^[ \t]*ON ERROR\b(?! REPEAT)", text, re.M)) == 75
    assert any(isinstance(s, n.Goto) for e in errors for s in e.body)


def test_several_subflows_are_each_parsed_and_their_trailers_kept() -> None:
    text = read(FORMS / "pos_several_subflows_copy.robin")
    flow = parse(text)
    assert len(flow.trailers) == 2 and flow.trailer is flow.trailers[-1]
    first, second = flow.trailers
    assert flow.text(first).startswith("# [ControlRepository][PowerAutomateDesktop]")
    assert re.search(r"^=+>$", flow.text(first), re.M)  # the separator belongs to the first trailer
    assert split_trailer(text) == first.span.start
    # statements of the second subflow, after the first trailer, are in the tree
    after = [s for s in flow.body if s.span.start >= first.span.end]
    assert "If" in [type(s).__name__ for s in after] and "ForEach" in [type(s).__name__ for s in after]
    assert any(isinstance(s, n.Action) and s.name == "External.InvokeCloudConnector" for s in after)
    # the separator alone also splits
    only = parse(read(FORMS / "pos_several_subflows_separator_only.robin"))
    assert flow.body == only.body
    assert len(only.trailers) == 2 and only.text(only.trailers[0]).strip("=>\r\n ") == ""


def test_inventory_reads_the_connection_references_of_every_trailer() -> None:
    flow = parse(read(FORMS / "pos_several_subflows_copy.robin"))
    components, _groups = inventory_flow(flow)
    conns = [c for c in components if c.kind == "connection-reference"]
    assert len(conns) == 1  # both subflows use the one connection, listed once at its first line
    assert conns[0].name == "{ReplaceWithConnectionLogicalName}"
    assert conns[0].connector is not None and conns[0].connector.endswith("/shared_commondataserviceforapps")
    # the single-trailer copy keeps working the same way
    single = parse(read(FORMS / "pos_several_subflows_copy.robin").split("=" * 20)[0].rsplit("\n", 1)[0] + "\n")
    assert [c.name for c in inventory_flow(single)[0] if c.kind == "connection-reference"] == [conns[0].name]


def test_findings_after_a_trailer_are_reported() -> None:
    """The second subflow of a copy is checked: a secret there is found."""
    text = read(FORMS / "pos_several_subflows_copy.robin")
    secret = "SET txt_Password TO $'''Zq7!xW3pLmN'''\nDisplay.ShowMessageDialog.ShowMessage Message: txt_Password\n"
    result = check_source(text + secret, "copy.robin")
    assert result.errors == ()
    lines = {f.line for f in result.findings if f.rule.startswith("PAF1")}
    assert text.count("\n") + 1 in lines


# ---- one bad line -------------------------------------------------------------------------------

BAD = (
    "SET txt_Password TO $'''Zq7!xW3pLmN'''\n"
    "// a line that is not Robin\n"
    "Display.ShowMessageDialog.ShowMessage Message: txt_Password\n"
    "IF x THEN\n"
    "    SET y TO (\n"
    "END\n"
)


def test_check_source_reports_the_error_and_the_findings_of_the_rest() -> None:
    result = check_source(BAD, "bad.robin")
    assert [(e.line, e.column) for e in result.errors] == [(2, 1), (5, 1)]
    assert "'//' is not a Robin comment" in result.errors[0].message
    codes = {(f.rule, f.line) for f in result.findings}
    assert ("PAF104", 1) in codes and any(code == "PAF102" and line == 3 for code, line in codes)
    assert all(f.fix is None for f in result.findings)  # nothing to apply to a file that does not parse


def test_scan_reports_both_and_exits_2_rewrite_refuses(tmp_path: Path) -> None:
    path = tmp_path / "bad.robin"
    path.write_bytes(BAD.encode())
    scan = CliRunner().invoke(main, ["scan", str(path)])
    assert scan.exit_code == 2
    assert "'//' is not a Robin comment" in scan.output and "PAF102" in scan.output
    assert "Zq7!xW3pLmN" not in scan.output
    rewrite = CliRunner().invoke(main, ["rewrite", "--in-place", str(path)])
    assert rewrite.exit_code == 2 and "cannot parse" in rewrite.output
    assert path.read_bytes() == BAD.encode()


def test_solution_flow_with_one_bad_line(tmp_path: Path) -> None:
    src = ROOT / "fixtures" / "solutions" / "unpacked_minimal"
    dst = tmp_path / "sol"
    shutil.copytree(src, dst)
    data = next((dst / "Workflows").glob("*.data.xml"))
    xml = data.read_text(encoding="utf-8")
    anchor = "\\r\\nIF Input_ApiKey &lt;&gt;"
    assert xml.count(anchor) == 1
    data.write_text(xml.replace(anchor, "\\r\\n// pasted by hand" + anchor), encoding="utf-8")
    before = {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()}
    scan = CliRunner().invoke(main, ["scan", str(dst)])
    assert scan.exit_code == 2
    assert "'//' is not a Robin comment" in scan.output
    assert "PAF102 Input_ApiKey reaches Message" in scan.output  # the line after the bad one
    assert "PAF103" in scan.output
    rewrite = CliRunner().invoke(main, ["rewrite", "--in-place", str(dst)])
    assert rewrite.exit_code == 2
    assert {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()} == before


# ---- every encoding PAD writes --------------------------------------------------------------------

REWRITE = ROOT / "fixtures" / "rewrite"
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_end_to_end(tmp_path: Path, encoding: str) -> None:
    text = (REWRITE / "append_to_list.robin").read_text(encoding="utf-8")
    fixed = (REWRITE / "append_to_list.fixed.robin").read_text(encoding="utf-8")
    assert text != fixed
    like = decode({"utf-8": b"", "utf-8-sig": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe",
                   "utf-16-be": b"\xfe\xff"}[encoding] + "x\n".encode(encoding.replace("-sig", "")))
    raw = encode(text, like)
    assert raw.startswith({"utf-8": b"", "utf-8-sig": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe",
                           "utf-16-be": b"\xfe\xff"}[encoding]) and decode(raw).encoding == encoding
    path = tmp_path / "flow.robin"
    path.write_bytes(raw)
    reference = tmp_path / "reference.robin"
    reference.write_bytes(text.encode("utf-8"))
    scan = CliRunner().invoke(main, ["scan", str(path)])
    expected = CliRunner().invoke(main, ["scan", str(reference)])
    assert scan.exit_code == expected.exit_code == 1
    assert scan.output.replace("flow.robin", "X") == expected.output.replace("reference.robin", "X")
    rewrite = CliRunner().invoke(main, ["rewrite", "--in-place", str(path)])
    assert rewrite.exit_code in (0, 1), rewrite.output
    assert path.read_bytes() == encode(fixed, like)


def test_an_action_with_a_named_handler_and_a_catch_all_closed_by_one_end() -> None:
    flow = parse(read(FORMS / "pos_on_error_named_then_catch_all.robin"))
    handler = next(s for s in flow.main if isinstance(s, n.OnError))
    assert handler.name == "EnvironmentVariableNotFoundError"
    assert [type(s).__name__ for s in handler.body] == ["Set"]
    assert [(c.name, c.body) for c in handler.more] == [(None, ())]
    assert list(n.child_bodies(handler)) == [handler.body, ()]


def test_taint_runs_every_clause_of_a_handler() -> None:
    text = "\n".join([
        "@SENSITIVE: [Pw]",
        "@INPUT Pw : { 'Description': '', 'FriendlyName': 'Pw', 'Type': 'String', 'IsOptional': False }",
        "Text.ToNumber Text: $'''1''' Number=> N",
        "ON ERROR TimeoutError",
        "    SET A TO 1",
        "ON ERROR",
        "    SET Copy TO Pw",
        "END",
        "",
    ])
    result = check_source(text, "handlers.robin")
    assert any(f.rule == "PAF101" and f.variable == "Copy" for f in result.findings), result.findings


def test_next_action_in_a_block_handler() -> None:
    flow = parse(read(FORMS / "pos_block_error_next_action.robin"))
    block = next(s for s in flow.main if isinstance(s, n.Block))
    (handler,) = block.handlers
    assert [s.kind for s in handler.body if isinstance(s, n.Jump)] == ["NEXT ACTION"]


def test_a_retry_only_error_policy_is_closed_by_end() -> None:
    """``ON ERROR REPEAT n TIMES WAIT s`` then ``END``: retries and no handler
    (DwayneSelsig/Power-Automate-Desktop-Scripts, fixtures/realworld/heldout, lines 45-46)."""
    text = read(FORMS / "pos_on_error_repeat_only.robin")
    flow = parse(text)
    repeats = [s for s in n.walk_statements(flow.main) if isinstance(s, n.OnErrorRepeat)]
    assert [(r.closed, r.span.line) for r in repeats] == [(True, 2), (True, 6), (False, 9)]
    assert not any(isinstance(s, n.OnError) for s in flow.main[:2])
    assert "END" in unparse(flow).splitlines()[2]
