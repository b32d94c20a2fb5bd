"""Unit tests of the Robin parser: one test (or a few) per construct, with exact trees.

Trees are compared with ``==`` (spans do not take part in equality), so the expected nodes are
built with a dummy span; a few tests check spans (offset, line, column) exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pafix.syntax import nodes as n
from pafix.errors import ParseError
from pafix.syntax.parser import build_lark, parse, parse_expression, split_trailer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ERRORS = FIXTURES / "errors"

S = n.Span(0, 0, 0, 0, 0, 0)  # equality ignores spans


# ---- node helpers ---------------------------------------------------------------------------


def N(name: str, is_global: bool = False) -> n.Name:
    return n.Name(S, name, is_global)


def num(raw: str) -> n.Number:
    return n.Number(S, raw)


def plain(raw: str, value: str) -> n.StringLit:
    return n.StringLit(S, "plain", raw, (value,))


def text(raw: str, *parts: str | n.Hole) -> n.StringLit:
    """``$'''...'''``."""
    return n.StringLit(S, "interpolated", raw, parts)


def hole(expr: n.Expr) -> n.Hole:
    return n.Hole(S, expr)


def attr(value: n.Expr, name: str) -> n.Attribute:
    return n.Attribute(S, value, name)


def idx(value: n.Expr, index: n.Expr) -> n.Index:
    return n.Index(S, value, index)


def binop(op: str, left: n.Expr, right: n.Expr) -> n.BinOp:
    return n.BinOp(S, op, left, right)


def arg(name: str, value: n.Expr, *, dynamic: bool = False, output: bool = False) -> n.Arg:
    return n.Arg(S, name, value, dynamic, output)


def action(name: str, *args: n.Arg, disabled: bool = False) -> n.Action:
    return n.Action(S, name, args, disabled)


def set_(target: n.Expr, value: n.Expr, disabled: bool = False) -> n.Set:
    return n.Set(S, target, value, disabled)


TRUE = n.Bool(S, True)
FALSE = n.Bool(S, False)


def body(src: str) -> n.Body:
    return parse(src).body


def one(src: str) -> n.Stmt:
    stmts = body(src)
    assert len(stmts) == 1, stmts
    return stmts[0]


# ---- simple statements ----------------------------------------------------------------------


def test_set_number_string_bool_object_list() -> None:
    assert body(
        "SET Output_Status TO 400\n"
        "SET Output_Message TO $'''Bad Request'''\n"
        "SET Output_IsSuccess TO True\n"
        "SET Output_WorkItemData TO {{ }}\n"
        "SET lst_MailItems TO []\n"
    ) == (
        set_(N("Output_Status"), num("400")),
        set_(N("Output_Message"), text("$'''Bad Request'''", "Bad Request")),
        set_(N("Output_IsSuccess"), TRUE),
        set_(N("Output_WorkItemData"), n.ObjectLit(S, ())),
        set_(N("lst_MailItems"), n.ListLit(S, ())),
    )


def test_set_indexed_and_global_targets() -> None:
    assert one("SET lst_SenderMailList[num_LoopIndex] TO txt_ChangedText") == set_(
        idx(N("lst_SenderMailList"), N("num_LoopIndex")), N("txt_ChangedText")
    )
    assert one("SET txt_MailBody TO GLOBAL.obj_Config['Mail_EmailBody']") == set_(
        N("txt_MailBody"), idx(N("obj_Config", is_global=True), plain("'Mail_EmailBody'", "Mail_EmailBody"))
    )
    assert one("SET GLOBAL.x TO 1") == set_(N("x", is_global=True), num("1"))
    assert one("SET a.b[0] TO 1") == set_(idx(attr(N("a"), "b"), num("0")), num("1"))


def test_action_params_outputs_and_dynamic_names() -> None:
    src = (
        "External.InvokeCloudConnector Connection: '2fac' OperationId: 'GetSecret' "
        "@secretName: obj_Config['Sec'] @'emailMessage/To': In_txt_To @GetSecretResponse=> obj_Secret "
        "@'out name'=> x Result=> lst[0]"
    )
    assert one(src) == action(
        "External.InvokeCloudConnector",
        arg("Connection", plain("'2fac'", "2fac")),
        arg("OperationId", plain("'GetSecret'", "GetSecret")),
        arg("secretName", idx(N("obj_Config"), plain("'Sec'", "Sec")), dynamic=True),
        arg("emailMessage/To", N("In_txt_To"), dynamic=True),
        arg("GetSecretResponse", N("obj_Secret"), dynamic=True, output=True),
        arg("out name", N("x"), dynamic=True, output=True),
        arg("Result", idx(N("lst"), num("0")), output=True),
    )


def test_action_values_are_full_expressions_and_enums() -> None:
    stmt = one(
        "Display.ShowMessageDialog.ShowMessage Message: List.Count - 1 Icon: Display.Icon.None "
        "IsTopMost: False ButtonPressed=> Pressed"
    )
    assert stmt == action(
        "Display.ShowMessageDialog.ShowMessage",
        arg("Message", binop("-", attr(N("List"), "Count"), num("1"))),
        arg("Icon", attr(attr(N("Display"), "Icon"), "None")),
        arg("IsTopMost", FALSE),
        arg("ButtonPressed", N("Pressed"), output=True),
    )
    assert isinstance(stmt, n.Action) and stmt.module == "Display"
    assert stmt.param("IsTopMost") == FALSE and stmt.param("ButtonPressed") is None


def test_unknown_well_formed_action_parses() -> None:
    assert one("Foo.Bar.Baz X: 1") == action("Foo.Bar.Baz", arg("X", num("1")))
    assert one("Foo.Bar") == action("Foo.Bar")
    assert one("A.B.C.D.E Out=> v") == action("A.B.C.D.E", arg("Out", N("v"), output=True))


def test_call_label_goto_bare_and_quoted() -> None:
    assert body(
        "CALL Init\n"
        "CALL 'Load Config Data'\n"
        "CALL Convert in_Path: txt_Path out_Html=> txt_Html\n"
        "LABEL 'Next loop - Mail Items'\n"
        "LABEL Fatal\n"
        "GOTO 'Error Block'\n"
        "GOTO Fatal\n"
    ) == (
        n.CallSubflow(S, "Init", ()),
        n.CallSubflow(S, "Load Config Data", ()),
        n.CallSubflow(S, "Convert", (arg("in_Path", N("txt_Path")), arg("out_Html", N("txt_Html"), output=True))),
        n.Label(S, "Next loop - Mail Items"),
        n.Label(S, "Fatal"),
        n.Goto(S, "Error Block"),
        n.Goto(S, "Fatal"),
    )


def test_exit_wait_get_error_jumps() -> None:
    assert body(
        "EXIT Code: 0\n"
        "EXIT Code: 1 ErrorMessage: $'''failed'''\n"
        "WAIT 3\n"
        "WAIT num_A * num_B\n"
        "WAIT (File.WaitForFile.Created File: OutputFileName) FOR 10 \n"
        "WAIT (System.WaitForProcess.ProcessToStop ProcessName: 'chrome')\n"
        "ERROR => LastError Reset: True\n"
        "EXIT LOOP\nNEXT LOOP\nEXIT FUNCTION\nTHROW ERROR\nREPEAT\tBLOCK\n"
    ) == (
        n.Exit(S, (arg("Code", num("0")),)),
        n.Exit(S, (arg("Code", num("1")), arg("ErrorMessage", text("$'''failed'''", "failed")))),
        n.Wait(S, num("3"), None),
        n.Wait(S, binop("*", N("num_A"), N("num_B")), None),
        n.Wait(S, action("File.WaitForFile.Created", arg("File", N("OutputFileName"))), num("10")),
        n.Wait(S, action("System.WaitForProcess.ProcessToStop", arg("ProcessName", plain("'chrome'", "chrome"))), None),
        n.GetLastError(S, N("LastError"), (arg("Reset", TRUE),)),
        n.Jump(S, "EXIT LOOP"),
        n.Jump(S, "NEXT LOOP"),
        n.Jump(S, "EXIT FUNCTION"),
        n.Jump(S, "THROW ERROR"),
        n.Jump(S, "REPEAT BLOCK"),
    )


def test_wait_with_action_ends_at_its_parenthesis() -> None:
    src = "WAIT (A.B X: 1 )\n"
    flow = parse(src)
    assert flow.text(flow.body[0]) == "WAIT (A.B X: 1 )"
    wait = flow.body[0]
    assert isinstance(wait, n.Wait) and isinstance(wait.cond, n.Action)
    assert flow.text(wait.cond) == "A.B X: 1"


def test_regions_comments_annotations() -> None:
    assert body(
        "@@regionColor: '#57FFE1'\n"
        "**REGION 1. Variables: example inputs\n"
        "# Setting the status\n"
        "#\n"
        "/# Multi\nline comment #/\n"
        "@@'OutputSchema:Create': '-1358'\n"
        "@@secretName: '%obj[\\'Sec\\']%'\n"
        "**ENDREGION\n"
    ) == (
        n.Annotation(S, "regionColor", "#57FFE1"),
        n.Region(S, "1. Variables: example inputs"),
        n.Comment(S, " Setting the status", False),
        n.Comment(S, "", False),
        n.Comment(S, " Multi\nline comment ", True),
        n.Annotation(S, "OutputSchema:Create", "-1358"),
        n.Annotation(S, "secretName", "%obj['Sec']%"),
        n.EndRegion(S),
    )


def test_header_lines() -> None:
    src = (
        "@@ConnectionString: ''\n"
        "IMPORT 'controlRepo.appmask' AS appmask\n"
        "@SENSITIVE: [Input_A, Output_B]\n"
        "@SENSITIVE: []\n"
        "@INPUT Input_A : { 'Description': '''Line one\r\nline two''', 'IsOptional': True, 'DefaultValue': {{ }} } \n"
        "@OUTPUT Output_B : { 'Type': 'String' }\n"
    )
    assert body(src) == (
        n.Annotation(S, "ConnectionString", ""),
        n.Import(S, "controlRepo.appmask", "appmask"),
        n.Sensitive(S, (N("Input_A"), N("Output_B"))),
        n.Sensitive(S, ()),
        n.IODecl(
            S,
            "INPUT",
            N("Input_A"),
            n.ObjectLit(
                S,
                (
                    n.ObjectEntry(S, plain("'Description'", "Description"), n.StringLit(S, "triple", "'''Line one\r\nline two'''", ("Line one\r\nline two",))),
                    n.ObjectEntry(S, plain("'IsOptional'", "IsOptional"), TRUE),
                    n.ObjectEntry(S, plain("'DefaultValue'", "DefaultValue"), n.ObjectLit(S, ())),
                ),
            ),
        ),
        n.IODecl(S, "OUTPUT", N("Output_B"), n.ObjectLit(S, (n.ObjectEntry(S, plain("'Type'", "Type"), plain("'String'", "String")),))),
    )
    sensitive = parse(src).body[2]
    assert isinstance(sensitive, n.Sensitive) and src[sensitive.close] == "]"


# ---- blocks ---------------------------------------------------------------------------------


def test_if_else_if_else_with_empty_branch_and_action_condition() -> None:
    src = (
        "IF Contains(CalcResult, 15, False) THEN\n"
        "ELSE IF (Folder.IfFolderExists.DoesNotExist Path: p) THEN\n"
        "    SET a TO 1\n"
        "ELSE\n"
        "    SET a TO 2\n"
        "END\n"
    )
    assert one(src) == n.If(
        S,
        (
            n.IfBranch(S, n.Call(S, "Contains", (N("CalcResult"), num("15"), FALSE)), ()),
            n.IfBranch(S, action("Folder.IfFolderExists.DoesNotExist", arg("Path", N("p"))), (set_(N("a"), num("1")),)),
        ),
        (set_(N("a"), num("2")),),
    )
    assert one("IF a THEN\nEND") == n.If(S, (n.IfBranch(S, N("a"), ()),), None)


def test_switch_case_default() -> None:
    src = (
        "SWITCH Input_MailboxType\n"
        "    # a comment before the first CASE is allowed\n"
        "    CASE = $'''Exchange'''\n"
        "        CALL SendViaExchange\n"
        "    CASE <> 1\n"
        "    CASE Contains 'x'\n"
        "    CASE IsEmpty\n"
        "    DEFAULT\n"
        "        SET Output_Status TO 400\n"
        "END\n"
    )
    assert one(src) == n.Switch(
        S,
        N("Input_MailboxType"),
        (
            n.Case(S, "=", text("$'''Exchange'''", "Exchange"), (n.CallSubflow(S, "SendViaExchange", ()),)),
            n.Case(S, "<>", num("1"), ()),
            n.Case(S, "Contains", plain("'x'", "x"), ()),
            n.Case(S, "IsEmpty", None, ()),
        ),
        (set_(N("Output_Status"), num("400")),),
    )
    assert one("SWITCH x\nEND") == n.Switch(S, N("x"), (), None)


def test_loops() -> None:
    assert body(
        "LOOP LoopIndex FROM 1 TO 5 STEP 1\nEND\n"
        "LOOP FROM lst.Count - 1 TO 0 STEP -1\n    EXIT LOOP\nEND\n"
        "LOOP FOREACH CurrentFile IN Files\n    NEXT LOOP\nEND\n"
        "LOOP WHILE (1) = (1)\nEND\n"
        "LOOP WHILE (WorkQueues.Process.Item WorkQueue: q WorkQueueItem=> item)\nEND\n"
    ) == (
        n.LoopRange(S, N("LoopIndex"), num("1"), num("5"), num("1"), ()),
        n.LoopRange(
            S, None, binop("-", attr(N("lst"), "Count"), num("1")), num("0"), n.UnaryOp(S, "-", num("1")), (n.Jump(S, "EXIT LOOP"),)
        ),
        n.ForEach(S, N("CurrentFile"), N("Files"), (n.Jump(S, "NEXT LOOP"),)),
        n.While(S, binop("=", n.Paren(S, num("1")), n.Paren(S, num("1"))), ()),
        n.While(S, action("WorkQueues.Process.Item", arg("WorkQueue", N("q")), arg("WorkQueueItem", N("item"), output=True)), ()),
    )


def test_on_error_forms() -> None:
    src = (
        "WebAutomation.CloseWebBrowser BrowserInstance: B\n"
        "ON ERROR REPEAT 3 TIMES WAIT 2\n"
        "ON ERROR\n"
        "\n"
        "END\n"
        "ON ERROR TimeoutError\n"
        "    SET failed TO True\n"
        "END\n"
    )
    assert body(src) == (
        action("WebAutomation.CloseWebBrowser", arg("BrowserInstance", N("B"))),
        n.OnErrorRepeat(S, num("3"), num("2")),
        n.OnError(S, None, ()),
        n.OnError(S, "TimeoutError", (set_(N("failed"), TRUE),)),
    )


def test_block_with_handlers() -> None:
    src = (
        "BLOCK 'Get unprocessed emails'\n"
        "ON BLOCK ERROR 'Business Exception' IsUserDefinedErrorCode: True\n"
        "    GOTO End\n"
        "ON BLOCK ERROR all\n"
        "    REPEAT BLOCK\n"
        "ON BLOCK ERROR\n"
        "    THROW ERROR\n"
        "END\n"
        "    CALL 'Fetch Emails'\n"
        "END\n"
        "BLOCK \n"
        "END\n"
        "END\n"
        "BLOCK Process_Retry\n"
        "END\n"
        "END\n"
    )
    assert body(src) == (
        n.Block(
            S,
            "Get unprocessed emails",
            (
                n.BlockHandler(S, "Business Exception", (arg("IsUserDefinedErrorCode", TRUE),), (n.Goto(S, "End"),)),
                n.BlockHandler(S, "all", (), (n.Jump(S, "REPEAT BLOCK"),)),
                n.BlockHandler(S, None, (), (n.Jump(S, "THROW ERROR"),)),
            ),
            (n.CallSubflow(S, "Fetch Emails", ()),),
        ),
        n.Block(S, None, (), ()),
        n.Block(S, "Process_Retry", (), ()),
    )


def test_functions() -> None:
    src = (
        "SET a TO 1\n"
        "FUNCTION SendEmail GLOBAL\n"
        "    @SENSITIVE: []\n"
        "    EXIT FUNCTION\n"
        "END FUNCTION\n"
        "FUNCTION 'Send Mail' In_To, In_Cc\n"
        "END FUNCTION\n"
        "FUNCTION Local\n"
        "END FUNCTION"
    )
    flow = parse(src)
    assert flow.body == (
        set_(N("a"), num("1")),
        n.Function(S, "SendEmail", True, (), (n.Sensitive(S, ()), n.Jump(S, "EXIT FUNCTION"))),
        n.Function(S, "Send Mail", False, (N("In_To"), N("In_Cc")), ()),
        n.Function(S, "Local", False, (), ()),
    )
    assert [f.name for f in flow.functions] == ["SendEmail", "Send Mail", "Local"]
    assert flow.main == (set_(N("a"), num("1")),)


def test_disable_prefixes_including_closers() -> None:
    src = (
        "DISABLE SET OCR6 TO $'''dfs'''\n"
        "DISABLE Display.ShowMessageDialog.ShowMessage Title: 1\n"
        "DISABLE IF a THEN\n"
        "DISABLE ELSE IF b THEN\n"
        "DISABLE ELSE\n"
        "DISABLE END\n"
        "DISABLE # a comment\n"
        "DISABLE LOOP FOREACH x IN y\n"
        "    DISABLE EXIT LOOP\n"
        "DISABLE END\n"
        "DISABLE SWITCH x\n"
        "DISABLE CASE = 1\n"
        "DISABLE DEFAULT\n"
        "DISABLE END\n"
        "DISABLE BLOCK\n"
        "DISABLE ON BLOCK ERROR\n"
        "DISABLE END\n"
        "DISABLE END\n"
    )
    assert body(src) == (
        set_(N("OCR6"), text("$'''dfs'''", "dfs"), disabled=True),
        action("Display.ShowMessageDialog.ShowMessage", arg("Title", num("1")), disabled=True),
        n.If(S, (n.IfBranch(S, N("a"), ()), n.IfBranch(S, N("b"), ())), (), disabled=True),
        n.Comment(S, " a comment", False, disabled=True),
        n.ForEach(S, N("x"), N("y"), (n.Jump(S, "EXIT LOOP", disabled=True),), disabled=True),
        n.Switch(S, N("x"), (n.Case(S, "=", num("1"), ()),), (), disabled=True),
        n.Block(S, None, (n.BlockHandler(S, None, (), ()),), (), disabled=True),
    )
    flow = parse(src)
    assert flow.text(flow.body[0]).startswith("DISABLE SET")


def test_stray_end_at_top_level() -> None:
    assert body("SET a TO 1\nEND\n") == (set_(N("a"), num("1")), n.StrayEnd(S))


# ---- expressions ---------------------------------------------------------------------------


def test_operator_precedence_and_associativity() -> None:
    assert parse_expression("a OR b AND NOT c = d + e * f mod g") == binop(
        "OR",
        N("a"),
        binop(
            "AND",
            N("b"),
            n.UnaryOp(S, "NOT", binop("=", N("c"), binop("+", N("d"), binop("mod", binop("*", N("e"), N("f")), N("g"))))),
        ),
    )
    assert parse_expression("a - b - c") == binop("-", binop("-", N("a"), N("b")), N("c"))
    assert parse_expression("a - (b - c)") == binop("-", N("a"), n.Paren(S, binop("-", N("b"), N("c"))))
    assert parse_expression("-x.y") == n.UnaryOp(S, "-", attr(N("x"), "y"))
    for op in ("<>", "<=", ">=", "<", ">", "=", "/", "*", "+", "-"):
        assert parse_expression(f"1 {op} 2") == binop(op, num("1"), num("2"))


def test_calls_properties_indexes() -> None:
    assert parse_expression("IsNotEmpty(x)") == n.Call(S, "IsNotEmpty", (N("x"),))
    assert parse_expression("F()") == n.Call(S, "F", ())
    assert parse_expression("JsonObj['choices'][0]['text']") == idx(
        idx(idx(N("JsonObj"), plain("'choices'", "choices")), num("0")), plain("'text'", "text")
    )
    assert parse_expression("txt_From.ToLower") == attr(N("txt_From"), "ToLower")
    assert parse_expression("GLOBAL.a.b") == attr(N("a", is_global=True), "b")
    assert parse_expression("appmask['Window \\'Calc\\'']['Button']") == idx(
        idx(N("appmask"), plain("'Window \\'Calc\\''", "Window 'Calc'")), plain("'Button'", "Button")
    )


def test_lists_datatables_objects() -> None:
    assert parse_expression("[row['ID'], '', 200]") == n.ListLit(
        S, (idx(N("row"), plain("'ID'", "ID")), plain("''", ""), num("200"))
    )
    assert parse_expression("{ ^['Region', 'Sales'] }") == n.DatatableLit(
        S, (n.ListLit(S, (plain("'Region'", "Region"), plain("'Sales'", "Sales"))),), True
    )
    assert parse_expression("{ ^['A'], [$'''''', x] }") == n.DatatableLit(
        S, (n.ListLit(S, (plain("'A'", "A"),)), n.ListLit(S, (text("$''''''"), N("x")))), True
    )
    assert parse_expression("{ [1], [2] }") == n.DatatableLit(S, (n.ListLit(S, (num("1"),)), n.ListLit(S, (num("2"),))), False)
    obj = parse_expression("{ 'Name': txt_File, 'Bytes': b }")
    assert obj == n.ObjectLit(
        S, (n.ObjectEntry(S, plain("'Name'", "Name"), N("txt_File")), n.ObjectEntry(S, plain("'Bytes'", "Bytes"), N("b")))
    )
    assert isinstance(obj, n.ObjectLit) and obj.get("Bytes") == N("b") and obj.get("nope") is None
    assert parse_expression("{{ }}") == parse_expression("{ }") == n.ObjectLit(S, ())


def test_string_kinds() -> None:
    assert parse_expression("'it\\'s'") == plain("'it\\'s'", "it's")
    assert parse_expression("'''{ \\\"a\\\": 1 }'''") == n.StringLit(S, "triple", "'''{ \\\"a\\\": 1 }'''", ('{ "a": 1 }',))
    assert parse_expression("P'AQAAANCM+/='") == n.StringLit(S, "encrypted", "P'AQAAANCM+/='", ("AQAAANCM+/=",))
    assert parse_expression("$fx'=Sum(1, 2)'") == n.StringLit(S, "fx", "$fx'=Sum(1, 2)'", ("=Sum(1, 2)",))
    assert parse_expression("`x`") == n.StringLit(S, "invalid", "`x`", ("x",))
    assert parse_expression("$''''''") == text("$''''''")
    assert parse_expression("$'''\\'\\''''") == text("$'''\\'\\''''", "''")


def test_interpolated_text_holes_and_escapes() -> None:
    raw = "$'''C:\\\\RPA\\\\%Project% 100%% %obj[\\'k\\']% %''%'''"
    lit = parse_expression(raw)
    assert lit == text(
        raw,
        "C:\\RPA\\",
        hole(N("Project")),
        " 100% ",
        hole(idx(N("obj"), plain("'k'", "k"))),
        " ",
        hole(plain("''", "")),
    )
    assert isinstance(lit, n.StringLit) and lit.literal is None and len(lit.holes) == 3
    assert parse_expression("$'''a\\%b'''") == text("$'''a\\%b'''", "a%b")


def test_numbers_and_booleans() -> None:
    assert [parse_expression(x) for x in ("0", "0.10", "1000000", "True", "False")] == [
        num("0"), num("0.10"), num("1000000"), TRUE, FALSE,
    ]


def test_keywords_are_names_where_no_keyword_fits() -> None:
    assert one("LABEL END") == n.Label(S, "END")
    assert one("SET x TO mod") == set_(N("x"), N("mod"))
    assert one("SET x TO a.END") == set_(N("x"), attr(N("a"), "END"))


# ---- spans ----------------------------------------------------------------------------------


def test_statement_and_expression_spans() -> None:
    src = "SET a TO 1\n    IF x = 2 THEN\n        SET b TO $'''v %y%'''\n    END\n"
    flow = parse(src)
    first, block = flow.body
    assert first.span == n.Span(0, 10, 1, 1, 1, 11)
    assert block.span == n.Span(15, len(src) - 1, 2, 5, 4, 8)
    assert isinstance(block, n.If)
    inner = block.branches[0].body[0]
    assert isinstance(inner, n.Set)
    assert (inner.span.line, inner.span.column, inner.span.start) == (3, 9, 37)
    assert isinstance(inner.value, n.StringLit)
    y = inner.value.holes[0]
    assert flow.text(y) == "%y%"
    assert (y.span.line, y.span.column) == (3, 24)
    assert flow.text(y.expr) == "y" and y.expr.span.column == 25


def test_hole_spans_in_multiline_text() -> None:
    src = "SET x TO $'''a\nb %y% c'''\n"
    lit = parse(src).body[0].value  # type: ignore[union-attr]
    assert isinstance(lit, n.StringLit)
    assert lit.span == n.Span(9, 25, 1, 10, 2, 11)
    assert lit.holes[0].span == n.Span(17, 20, 2, 3, 2, 6)
    assert lit.holes[0].expr.span == n.Span(18, 19, 2, 4, 2, 5)


# ---- layout: line ends, BOM, tabs, trailing blanks ------------------------------------------


def test_crlf() -> None:
    src = "SET a TO 1\r\n  SET b TO 2\r\n"
    flow = parse(src)
    assert flow.code == src and flow.newline == "\r\n" and flow.final_newline
    assert [s.span for s in flow.body] == [n.Span(0, 10, 1, 1, 1, 11), n.Span(14, 24, 2, 3, 2, 13)]


def test_lf_and_mixed_line_ends() -> None:
    src = "SET a TO 1\nSET b TO 2\r\n\tSET c TO 3"
    flow = parse(src)
    assert flow.code == src and not flow.final_newline
    assert [(s.span.line, s.span.column, s.span.start) for s in flow.body] == [(1, 1, 0), (2, 1, 11), (3, 2, 24)]
    assert parse("SET a TO 1\nSET b TO 2\n").newline == "\n"


def test_bom_is_kept_and_counts_as_a_column() -> None:
    src = "\ufeffSET x TO 1\n"
    flow = parse(src)
    assert flow.code == src and flow.has_bom
    assert flow.body == (set_(N("x"), num("1")),)
    assert flow.body[0].span == n.Span(1, 11, 1, 2, 1, 12)  # U+FEFF is column 1


def test_tabs_and_trailing_blanks_and_no_final_newline() -> None:
    src = "\t\tSET x TO 1 \t\n  \n\tIF a THEN   \nEND   "
    flow = parse(src)
    assert flow.code == src
    assert flow.body == (set_(N("x"), num("1")), n.If(S, (n.IfBranch(S, N("a"), ()),), None))
    assert flow.body[0].span == n.Span(2, 12, 1, 3, 1, 13)  # a tab is one column
    assert flow.text(flow.body[1]) == "IF a THEN   \nEND"


def test_annotation_lines_at_column_zero_inside_blocks() -> None:
    src = "IF a THEN\n        # c\n@@flowname: 'x'\n        External.RunFlow FlowId: 'f'\nON ERROR\n    END\nEND\n"
    assert one(src) == n.If(
        S,
        (
            n.IfBranch(
                S,
                N("a"),
                (n.Comment(S, " c", False), n.Annotation(S, "flowname", "x"), action("External.RunFlow", arg("FlowId", plain("'f'", "f"))), n.OnError(S, None, ())),
            ),
        ),
        None,
    )


def test_empty_and_blank_flows() -> None:
    assert parse("").body == ()
    assert parse("\n\r\n  \t\n").body == ()
    assert parse("\ufeff").body == ()


# ---- the ControlRepository trailer ----------------------------------------------------------

TRAILER = "# [ControlRepository][PowerAutomateDesktop]\n\n{\n  \"ControlRepositorySymbols\": [ \"IF ( THEN $'''\" ]\n}\n"


def test_trailer_is_one_opaque_node_never_tokenized() -> None:
    code = "UIAutomation.CloseWindow.CloseByTitleClass Title: $'''Calculator''' Class: $''''''\n\n"
    junk = "# [ControlRepository][PowerAutomateDesktop]\n\n{\n  \"a\": \"// not Robin\",\n\"b\": [\n\"END END '\"]\n}\n"
    src = code + TRAILER + junk
    flow = parse(src)
    assert flow.code == src
    assert flow.body == (
        action(
            "UIAutomation.CloseWindow.CloseByTitleClass",
            arg("Title", text("$'''Calculator'''", "Calculator")),
            arg("Class", text("$''''''")),
        ),
    )
    assert flow.trailer is not None
    assert flow.trailer.span.start == len(code) == split_trailer(src)
    assert flow.trailer.span.end == len(src)
    assert (flow.trailer.span.line, flow.trailer.span.column) == (3, 1)
    assert flow.text(flow.trailer) == TRAILER + junk
    assert flow.trailers == (flow.trailer,)


def test_text_after_a_trailer_is_the_next_subflow_and_is_parsed() -> None:
    # what used to be skipped silently: a second copied subflow after the first one's trailer
    first = "SET a TO 1\n\n"
    second = "SET b TO 2\n// not Robin\n"
    with pytest.raises(ParseError) as info:
        parse(first + TRAILER + second)
    assert info.value.line == 9 and info.value.source_line == "// not Robin"
    flow = parse(first + TRAILER + second, recover=True)
    assert [type(s).__name__ for s in flow.body] == ["Set", "Set", "ErrorStmt"]
    assert flow.trailer is None and len(flow.trailers) == 1
    assert flow.text(flow.trailers[0]) == TRAILER


def test_trailer_variants() -> None:
    assert parse("SET a TO 1\r\n  # [ControlRepository][PowerAutomateDesktop] \r\n\r\n{ x").trailer is not None
    assert parse("# [ImageRepository][PowerAutomateDesktop]\n{}").body == ()
    assert parse("\ufeff" + TRAILER).trailer is not None
    assert split_trailer("SET a TO 1\n# [ControlRepository] not it\n") == len("SET a TO 1\n# [ControlRepository] not it\n")


# ---- the grammar itself ---------------------------------------------------------------------


def test_grammar_builds_in_strict_mode() -> None:
    pytest.importorskip("interegular")  # strict mode checks terminal collisions with it
    lark = build_lark(strict=True)
    assert lark.parse("SET x TO 1\n", start="start") is not None


# ---- errors ---------------------------------------------------------------------------------


def test_parse_error_fields_and_path() -> None:
    with pytest.raises(ParseError) as info:
        parse("SET a TO 1\nSET x TO (\n", path="flows/main.robin")
    err = info.value
    assert (err.path, err.line, err.column, err.offset) == ("flows/main.robin", 2, 11, 21)
    assert str(err) == "flows/main.robin:2:11: found end of line; expected an expression"
    assert err.location == "flows/main.robin:2:11"
    assert err.with_path("x.robin").location == "x.robin:2:11"
    assert err.snippet.splitlines()[0].strip() == "SET x TO ("
    assert not isinstance(err, SyntaxError)  # type: ignore[unreachable]


def _error_cases() -> list[str]:
    return sorted(p.stem for p in ERRORS.glob("*.robin"))


def test_there_are_error_fixtures() -> None:
    assert len(_error_cases()) >= 8


@pytest.mark.parametrize("name", _error_cases())
def test_error_fixture(name: str) -> None:
    src = (ERRORS / f"{name}.robin").read_bytes().decode("utf-8")
    expected = (ERRORS / f"{name}.expected").read_text(encoding="utf-8").strip()
    with pytest.raises(ParseError) as info:
        parse(src)
    err = info.value
    assert f"{err.line}:{err.column}: {err.message}" == expected
    # the offending line is shown, string contents masked; nothing secret is echoed
    shown = err.snippet + "\n" + err.message + "\n" + str(err)
    assert "s3cret" not in shown
    assert err.snippet.endswith("^")
    # the error is on the line it says
    assert src.splitlines()[err.line - 1] == err.source_line


# ---- recovery -------------------------------------------------------------------------------


def test_recover_turns_bad_lines_into_error_statements() -> None:
    src = "SET a TO 1\n// note\nSET b TO (\nSET c TO 3\n"
    flow = parse(src, recover=True)
    assert flow.code == src
    assert flow.body == (
        set_(N("a"), num("1")),
        n.ErrorStmt(S, "'//' is not a Robin comment (use '#')"),
        n.ErrorStmt(S, "found end of line; expected an expression"),
        set_(N("c"), num("3")),
    )
    assert [(e.span.line, flow.text(e)) for e in flow.errors] == [(2, "// note"), (3, "SET b TO (")]


def test_recover_inside_nested_bodies() -> None:
    src = "IF a THEN\n  SET b TO (\n  LOOP FOREACH x IN y\n    // bad\n    SET c TO 1\n  END\nEND\nSET d TO 2\n"
    flow = parse(src, recover=True)
    assert flow.body == (
        n.If(
            S,
            (
                n.IfBranch(
                    S,
                    N("a"),
                    (
                        n.ErrorStmt(S, "found end of line; expected an expression"),
                        n.ForEach(S, N("x"), N("y"), (n.ErrorStmt(S, "'//' is not a Robin comment (use '#')"), set_(N("c"), num("1")))),
                    ),
                ),
            ),
            None,
        ),
        set_(N("d"), num("2")),
    )
    assert [e.span.line for e in flow.errors] == [2, 4]


def test_recover_unclosed_block_and_unterminated_text() -> None:
    flow = parse("SET a TO 1\nIF a THEN\n    SET b TO 2\n", recover=True)
    assert flow.body[0] == set_(N("a"), num("1"))
    assert [(e.span.line, e.message) for e in flow.errors] == [(2, "found end of file; the IF on line 2 is not closed (expected END)")]
    assert set_(N("b"), num("2")) in flow.body
    # an unclosed $''' swallows the rest of the file: its lines are never parsed as code
    flow = parse("SET a TO 1\nSET p TO $'''s3cret\nIF x\n", recover=True)
    assert flow.body == (set_(N("a"), num("1")), n.ErrorStmt(S, "unterminated string (no closing quote)"))
    assert (flow.errors[0].span.line, flow.errors[0].span.end_line) == (2, 4)


def test_recover_gives_one_error_per_line_for_lf_and_crlf() -> None:
    for eol in ("\n", "\r\n"):
        flow = parse(f"// a{eol}// b{eol}SET x TO 1{eol}", recover=True)
        assert [(e.span.line, e.span.end_line) for e in flow.errors] == [(1, 1), (2, 2)]


def test_recover_on_valid_text_is_plain_parse() -> None:
    src = "SET a TO 1\nIF a THEN\nEND\n"
    assert parse(src, recover=True) == parse(src)
    assert parse(src, recover=True).errors == ()
