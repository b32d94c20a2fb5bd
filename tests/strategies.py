"""Hypothesis strategies that write random, valid Robin flow TEXT.

``flows()`` covers every construct of ``grammar/robin.lark``: header lines, every statement,
every block form (with empty bodies and ``DISABLE`` prefixes on openers and closers), every
expression form and literal kind, plus the layout PAD does not care about: indentation with
spaces and tabs (annotation and ``ON BLOCK ERROR`` lines at column 0), LF / CRLF / mixed line
ends, trailing blanks, blank lines, a BOM, a missing final newline and a ControlRepository
trailer whose JSON need not be Robin.

Expressions are generated with their precedence so that the text is always valid: a
sub-expression of lower precedence is wrapped in parentheses. The generators are plain
functions taking ``draw`` and a :class:`Ctx`, composed by :func:`flows`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]

TRAILER_MARKER = "# [ControlRepository][PowerAutomateDesktop]"

#: every word the grammar treats as a keyword somewhere: never generated as a name
KEYWORDS = frozenset(
    """SET TO IF THEN ELSE END LOOP FOREACH IN FROM STEP WHILE SWITCH CASE DEFAULT BLOCK ON ERROR
    REPEAT TIMES WAIT FOR EXIT FUNCTION GLOBAL CALL GOTO LABEL NEXT THROW DISABLE IMPORT AS AND
    OR NOT mod True False P""".split()
)

_NAME_POOL = [
    "x", "i", "txt_Name", "_private", "num_Count", "obj_Config", "lst_Items", "CurrentItem",
    "Output_Status", "LoopIndex", "appmask", "Café", "변수", "ANDx", "ORDER", "TOTAL", "modulo",
    "Ifx", "ENDED", "Trueish", "NOTE", "Stepper", "fromX", "P1",
]
_ACTION_POOL = [
    "Display.ShowMessageDialog.ShowMessage", "File.ReadTextFromFile.ReadText", "Text.ToNumber",
    "Variables.CreateNewDatatable", "WebAutomation.CloseWebBrowser", "External.InvokeCloudConnector",
    "Scripting.RunDotNetScript", "Foo.Bar.Baz", "Folder.IfFolderExists.DoesNotExist",
    "System.WaitForProcess.ProcessToStop", "WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem",
    "FlowControl.ThrowCustomError", "Excel.LaunchExcel.LaunchAndOpenUnderExistingProcess",
]
_FUNCS = ["IsEmpty", "IsNotEmpty", "Contains", "NotContains", "StartsWith", "EndsWith", "F"]
_PLAIN_CHARS = "abcXYZ019 _-.,;:/()[]{}<>=+*!?\"@#$^&|~éß한😀\t"


def ident() -> st.SearchStrategy[str]:
    generated = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
    return st.one_of(st.sampled_from(_NAME_POOL), generated).filter(lambda s: s not in KEYWORDS)


@lru_cache(maxsize=None)
def ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@lru_cache(maxsize=None)
def texts(alphabet: str, min_size: int = 0, max_size: int = 10) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


BOOL = st.booleans()


def choice(draw: Draw, options: Sequence[T]) -> T:
    """One of ``options`` (shrinks towards the first). Strategies are built once: building
    them per draw is what makes a generator slow."""
    return options[draw(ints(0, len(options) - 1))]


IDENT = ident()
_PLAIN_PIECES = st.lists(
    st.one_of(st.text(alphabet=_PLAIN_CHARS + "%", max_size=6), st.sampled_from(["\\'", "\\\\", '\\"', "\\n"])),
    max_size=4,
)
_BLOCK_COMMENT_LINES = st.lists(st.text(alphabet=_PLAIN_CHARS.replace("#", "") + "'%", max_size=10), max_size=3)
_BASE64 = st.from_regex(r"[A-Za-z0-9+/]{0,24}={0,2}", fullmatch=True)


@lru_cache(maxsize=None)
def idents(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(IDENT, min_size=min_size, max_size=max_size)


_ACTION_NAME = st.one_of(st.sampled_from(_ACTION_POOL), st.lists(IDENT, min_size=2, max_size=4).map(".".join))


@dataclass
class Ctx:
    """Per-flow choices: how line breaks are written."""

    eol: str  #: "lf", "crlf" or "mixed"
    draw: Draw

    def nl(self) -> str:
        if self.eol == "lf":
            return "\n"
        if self.eol == "crlf":
            return "\r\n"
        return choice(self.draw, ("\n", "\r\n"))


# ---- literals ----------------------------------------------------------------------------------


def _text_chunk(draw: Draw, extra: str = "") -> str:
    """Literal text without quotes, backslashes, percent signs or line breaks."""
    return str(draw(texts(alphabet=_PLAIN_CHARS + extra, max_size=8)))


def plain_string(draw: Draw) -> str:
    pieces = draw(_PLAIN_PIECES)
    return "'" + "".join(pieces) + "'"


def _triple_body(draw: Draw, ctx: Ctx, holes: bool) -> str:
    """Body of ``'''...'''`` / ``$'''...'''``: never three quotes in a row, never a quote or a
    lone backslash at the end, ``%`` only as ``%%``, ``\\%`` or a hole."""
    out: list[str] = []
    for _ in range(draw(ints(0, 5))):
        kind = choice(draw, ["text", "text", "quote", "escape", "newline", "percent", "hole"])
        if kind == "text":
            out.append(_text_chunk(draw))
        elif kind == "quote":
            out.append(choice(draw, ["'", "''"]) + choice(draw, ["a", " ", "x"]))
        elif kind == "escape":
            out.append(choice(draw, ["\\'", "\\\\", '\\"', "\\'\\'"]))
        elif kind == "newline":
            out.append(ctx.nl())
        elif kind == "percent":
            out.append("%%" if holes else "%")
            if holes and draw(BOOL):
                out[-1] = "\\%"
        elif holes:
            out.append("%" + hole_expr(draw) + "%")
    return "".join(out)


def hole_expr(draw: Draw) -> str:
    """An expression as PAD writes it between percent signs."""
    name = draw(IDENT)
    return str(
        choice(draw, [
                    name,
                    f"{name}.Count",
                    f"{name}[0]",
                    f"{name}['key']",
                    f"{name}[\\'key\\']",
                    f"{name} + 1",
                    f"{name}.Length - 1",
                    "''",
                    f"IsEmpty({name})",
                    f"{name}[{name}]['Status']",
                    f" {name} ",
                    f"GLOBAL.{name}",
                    f"{name} = 'a b'",
                ])
    )


def string_lit(draw: Draw, ctx: Ctx) -> str:
    kind = choice(draw, ["plain", "plain", "interp", "interp", "interp", "triple", "empty", "enc", "fx", "tick"])
    if kind == "plain":
        return plain_string(draw)
    if kind == "interp":
        return "$'''" + _triple_body(draw, ctx, holes=True) + "'''"
    if kind == "triple":
        return "'''" + _triple_body(draw, ctx, holes=False) + "'''"
    if kind == "empty":
        return str(choice(draw, ["$''''''", "$'''%''%'''", "''", "''''''"]))
    if kind == "enc":
        b64 = draw(_BASE64)
        return f"P'{b64}'"
    if kind == "fx":
        body = choice(draw, ["=1 + 2", "=Concatenate(\\'a\\', x)", "", "=Text(Now())" + ctx.nl() + "& 1"])
        return f"$fx'{body}'"
    return "`" + _text_chunk(draw).replace("\t", " ") + "`"


def number(draw: Draw) -> str:
    return str(choice(draw, ["0", "1", "400", "1000000", "0.10", "3.5", "42"]))


# ---- expressions -------------------------------------------------------------------------------

OR, AND, NOT, CMP, ADD, MUL, UNARY, POSTFIX = range(1, 9)


def _at(text: str, prec: int, need: int) -> str:
    return text if prec >= need else f"({text})"


def expr(draw: Draw, ctx: Ctx, depth: int = 0) -> tuple[str, int]:
    """(text, precedence) of a random expression."""
    if depth >= 3:
        return atom(draw, ctx, depth), POSTFIX
    kind = choice(draw, ["atom", "atom", "atom", "postfix", "postfix", "binop", "binop", "not", "neg", "paren", "call", "list", "table", "object"])
    if kind == "atom":
        return atom(draw, ctx, depth), POSTFIX
    if kind == "postfix":
        return postfix(draw, ctx, depth), POSTFIX
    if kind == "binop":
        op, prec = choice(draw, [("OR", OR), ("AND", AND), ("=", CMP), ("<>", CMP), ("<", CMP), (">", CMP), ("<=", CMP), (">=", CMP),
                 ("+", ADD), ("-", ADD), ("*", MUL), ("/", MUL), ("mod", MUL)])
        left, lp = expr(draw, ctx, depth + 1)
        right, rp = expr(draw, ctx, depth + 1)
        return f"{_at(left, lp, prec)} {op} {_at(right, rp, prec + 1)}", prec
    if kind == "not":
        inner, ip = expr(draw, ctx, depth + 1)
        return f"NOT {_at(inner, ip, NOT)}", NOT
    if kind == "neg":
        inner, ip = expr(draw, ctx, depth + 1)
        return f"-{_at(inner, ip, UNARY)}", UNARY
    if kind == "paren":
        inner, _ = expr(draw, ctx, depth + 1)
        return f"({inner})", POSTFIX
    if kind == "call":
        func = choice(draw, _FUNCS)
        args = [expr(draw, ctx, depth + 1)[0] for _ in range(draw(ints(0, 3)))]
        return f"{func}({', '.join(args)})", POSTFIX
    if kind == "list":
        return list_lit(draw, ctx, depth), POSTFIX
    if kind == "table":
        return datatable(draw, ctx, depth), POSTFIX
    return object_lit(draw, ctx, depth), POSTFIX


def expr_text(draw: Draw, ctx: Ctx, depth: int = 0) -> str:
    return expr(draw, ctx, depth)[0]


def atom(draw: Draw, ctx: Ctx, depth: int) -> str:
    kind = choice(draw, ["name", "name", "dotted", "global", "number", "bool", "string", "string", "string"])
    if kind == "name":
        return str(draw(IDENT))
    if kind == "dotted":
        return ".".join(draw(idents(2, 3)))
    if kind == "global":
        return "GLOBAL." + str(draw(IDENT))
    if kind == "number":
        return number(draw)
    if kind == "bool":
        return str(choice(draw, ["True", "False"]))
    return string_lit(draw, ctx)


def postfix(draw: Draw, ctx: Ctx, depth: int) -> str:
    base = choice(draw, ["name", "name", "global", "call", "paren", "string"])
    if base == "name":
        text = str(draw(IDENT))
    elif base == "global":
        text = "GLOBAL." + str(draw(IDENT))
    elif base == "call":
        text = f"{choice(draw, _FUNCS)}({draw(IDENT)})"
    elif base == "paren":
        text = f"({expr_text(draw, ctx, depth + 1)})"
    else:
        text = string_lit(draw, ctx)
    for _ in range(draw(ints(1, 3))):
        if draw(BOOL):
            text += "." + str(draw(IDENT))
        else:
            text += "[" + expr_text(draw, ctx, depth + 1) + "]"
    return text


def list_lit(draw: Draw, ctx: Ctx, depth: int) -> str:
    items = [expr_text(draw, ctx, depth + 1) for _ in range(draw(ints(0, 3)))]
    return "[" + ", ".join(items) + "]"


def datatable(draw: Draw, ctx: Ctx, depth: int) -> str:
    rows = [list_lit(draw, ctx, depth + 1) for _ in range(draw(ints(1, 3)))]
    kind = choice(draw, ["header", "plain", "names"])
    if kind == "header":
        rows[0] = "^" + rows[0]
    elif kind == "names":
        rows = [str(draw(IDENT)) for _ in range(draw(ints(1, 2)))]
    return "{ " + ", ".join(rows) + " }"


def object_lit(draw: Draw, ctx: Ctx, depth: int) -> str:
    n = draw(ints(0, 3))
    if n == 0:
        return str(choice(draw, ["{{ }}", "{{}}", "{ }", "{}"]))
    entries = []
    for _ in range(n):
        key = plain_string(draw) if draw(ints(0, 4)) else "'''" + _triple_body(draw, ctx, holes=False) + "'''"
        entries.append(f"{key}: {expr_text(draw, ctx, depth + 1)}")
    return "{ " + ", ".join(entries) + " }"


def target(draw: Draw, ctx: Ctx) -> str:
    """Left-hand side of ``SET`` and the variable of an output (``Name=> var``)."""
    name = str(draw(IDENT))
    kind = choice(draw, ["name", "name", "global", "index", "attr", "index2"])
    if kind == "global":
        return f"GLOBAL.{name}"
    if kind == "index":
        return f"{name}[{expr_text(draw, ctx, 2)}]"
    if kind == "attr":
        return f"{name}.{draw(IDENT)}"
    if kind == "index2":
        return f"{name}[{number(draw)}][{plain_string(draw)}]"
    return name


# ---- statements -------------------------------------------------------------------------------


@dataclass
class Line:
    text: str  #: may contain line breaks inside multi-line literals
    depth: int
    col0: bool = False  #: PAD sometimes prints this line at column 0 (annotations, handlers)


def quoted_name(draw: Draw) -> str:
    body = draw(texts(alphabet="abcXYZ 019-_.:/é", min_size=1, max_size=12))
    if draw(BOOL):
        body += "\\'s"
    return f"'{body}'"


def sub_name(draw: Draw) -> str:
    """A subflow, label or block name: a bare identifier or a quoted string."""
    return str(draw(IDENT)) if draw(BOOL) else quoted_name(draw)


def args(draw: Draw, ctx: Ctx, min_size: int = 0, outputs: bool = True) -> str:
    parts: list[str] = []
    for _ in range(draw(ints(min_size, 4))):
        kind = choice(draw, (["param", "param", "dyn", "qdyn", "out", "dynout", "qdynout"] if outputs else ["param", "dyn", "qdyn"]))
        name = str(draw(IDENT))
        if kind == "param":
            parts.append(f"{name}: {expr_text(draw, ctx)}")
        elif kind == "dyn":
            parts.append(f"@{name}: {expr_text(draw, ctx)}")
        elif kind == "qdyn":
            parts.append(f"@{quoted_name(draw)}: {expr_text(draw, ctx)}")
        elif kind == "out":
            parts.append(f"{name}=> {target(draw, ctx)}")
        elif kind == "dynout":
            parts.append(f"@{name}=> {target(draw, ctx)}")
        else:
            parts.append(f"@{quoted_name(draw)}=> {target(draw, ctx)}")
    return "".join(" " + p for p in parts)


def action_text(draw: Draw, ctx: Ctx, min_args: int = 0) -> str:
    name = draw(_ACTION_NAME)
    return f"{name}{args(draw, ctx, min_args)}"


def cond(draw: Draw, ctx: Ctx) -> str:
    if draw(ints(0, 3)) == 0:
        return f"({action_text(draw, ctx, min_args=1)})"
    return expr_text(draw, ctx)


def comment_text(draw: Draw, ctx: Ctx) -> str:
    if draw(ints(0, 3)) == 0:
        body = draw(_BLOCK_COMMENT_LINES)
        return "/#" + ctx.nl().join(body) + "#/"
    text = str(draw(texts(alphabet=_PLAIN_CHARS + "'%#", max_size=20)))
    return "#" + text


def annotation_text(draw: Draw) -> str:
    if draw(BOOL):
        key = str(choice(draw, ["copilotGeneratedAction", "flowname", "statistics_TextBlock", "regionColor", "secretName"]))
    else:
        key = choice(draw, ["'OutputSchema:CreateRecord'", "'emailMessage/Sensitivity'", "'InputSummaryValue:WORKQUEUE'", "'a\\'b'"])
    value = choice(draw, ["''", "'True'", "'#57FFE1'", "'%obj_Config[\\'Sec\\']%'", "'PADFramework: ExcelCloser'", "'-1358192259'"])
    return f"@@{key}: {value}"


def io_decl(draw: Draw, ctx: Ctx) -> str:
    kind = choice(draw, ["@INPUT", "@OUTPUT"])
    name = draw(IDENT)
    desc = choice(draw, ["''", "'Provide the recipient'"]) if draw(BOOL) else "'''" + _triple_body(draw, ctx, holes=False) + "'''"
    props = [f"'Description': {desc}", f"'FriendlyName': '{name}'", f"'Type': {choice(draw, ['String', 'List', 'CustomObject', 'Numeric'])!r}"]
    if kind == "@INPUT":
        default = choice(draw, ["{{ }}", "[]", "''", "0", "True", "$'''secret'''"])
        props += [f"'IsOptional': {choice(draw, ['True', 'False'])}", f"'DefaultValue': {default}"]
    return f"{kind} {name} : {{ {', '.join(props)} }}" + choice(draw, ["", " "])


def simple_stmt(draw: Draw, ctx: Ctx) -> str:
    kind = choice(draw, ["set", "set", "action", "action", "action", "call", "label", "goto", "exit", "wait",
                         "waitact", "error", "jump", "region", "endregion", "comment", "annotation", "header"])
    if kind == "set":
        return f"SET {target(draw, ctx)} TO {expr_text(draw, ctx)}"
    if kind == "action":
        return action_text(draw, ctx)
    if kind == "call":
        return f"CALL {sub_name(draw)}{args(draw, ctx)}"
    if kind == "label":
        return f"LABEL {sub_name(draw)}"
    if kind == "goto":
        return f"GOTO {sub_name(draw)}"
    if kind == "exit":
        extra = f" ErrorMessage: {expr_text(draw, ctx)}" if draw(BOOL) else ""
        return f"EXIT Code: {number(draw)}{extra}"
    if kind == "wait":
        timeout = f" FOR {expr_text(draw, ctx)}" if draw(BOOL) else ""
        return f"WAIT {expr_text(draw, ctx)}{timeout}" + choice(draw, ["", " "])
    if kind == "waitact":
        timeout = f" FOR {number(draw)}" if draw(BOOL) else ""
        return f"WAIT ({action_text(draw, ctx, min_args=1)}){timeout}"
    if kind == "error":
        reset = " Reset: True" if draw(BOOL) else ""
        return f"ERROR => {target(draw, ctx)}{reset}"
    if kind == "jump":
        sep = choice(draw, [" ", " ", "  ", "\t"])
        first, second = choice(draw, [("EXIT", "LOOP"), ("NEXT", "LOOP"), ("EXIT", "FUNCTION"), ("THROW", "ERROR"), ("REPEAT", "BLOCK")])
        return f"{first}{sep}{second}"
    if kind == "region":
        title = draw(texts(alphabet=_PLAIN_CHARS + "'%", max_size=20)).strip()
        return f"**REGION {title}" if title else "**REGION"
    if kind == "endregion":
        return "**ENDREGION"
    if kind == "comment":
        return comment_text(draw, ctx)
    if kind == "annotation":
        return annotation_text(draw)
    return header_line(draw, ctx)


def header_line(draw: Draw, ctx: Ctx) -> str:
    kind = choice(draw, ["annotation", "import", "sensitive", "io"])
    if kind == "annotation":
        return annotation_text(draw)
    if kind == "import":
        return f"IMPORT {choice(draw, ['controlRepo.appmask', 'imageRepo.imgrepo'])!r} AS {draw(IDENT)}"
    if kind == "sensitive":
        return f"@SENSITIVE: [{', '.join(draw(idents(0, 3)))}]"
    return io_decl(draw, ctx)


def body(draw: Draw, ctx: Ctx, depth: int, max_size: int = 3, *, handler: bool = False) -> list[Line]:
    """Statements at ``depth``; a ``handler`` body (of ON ERROR) holds no ON ERROR ... END of
    its own at its top level: PAD's error handlers run SET, CALL and the like, and an ON ERROR
    there starts the handler's next clause (see grammar/robin.lark, on_error)."""
    lines: list[Line] = []
    for _ in range(draw(ints(0, max_size))):
        if draw(ints(0, 5)) == 0:
            lines.append(Line("", depth))  # a blank line
        lines.extend(statement(draw, ctx, depth, handler=handler))
    return lines


def _closer(draw: Draw, disabled: bool, word: str) -> str:
    return f"DISABLE {word}" if disabled and draw(BOOL) else word


def statement(draw: Draw, ctx: Ctx, depth: int, *, handler: bool = False) -> list[Line]:
    compound = depth < 3 and draw(ints(0, 3)) == 0
    disabled = draw(ints(0, 7)) == 0
    prefix = "DISABLE " if disabled else ""
    if not compound:
        text = simple_stmt(draw, ctx)
        col0 = text.startswith("@@")
        return [Line(prefix + text, depth, col0)]
    kinds = ["if", "switch", "loop", "foreach", "while", "block"]
    kind = choice(draw, kinds if handler else kinds + ["onerror", "action_onerror"])
    inner = depth + 1
    lines: list[Line] = []
    if kind == "if":
        lines.append(Line(f"{prefix}IF {cond(draw, ctx)} THEN", depth))
        lines += body(draw, ctx, inner)
        for _ in range(draw(ints(0, 2))):
            lines.append(Line(f"{_closer(draw, disabled, 'ELSE IF')} {cond(draw, ctx)} THEN", depth))
            lines += body(draw, ctx, inner)
        if draw(BOOL):
            lines.append(Line(_closer(draw, disabled, "ELSE"), depth))
            lines += body(draw, ctx, inner)
    elif kind == "switch":
        lines.append(Line(f"{prefix}SWITCH {expr_text(draw, ctx)}", depth))
        for _ in range(draw(ints(0, 2))):
            lines.append(Line(comment_text(draw, ctx), inner) if draw(BOOL) else Line("", inner))
        for _ in range(draw(ints(0, 3))):
            op = choice(draw, ["=", "=", "<>", "<", ">=", "Contains", "NotContains"])
            value = "" if op.isalpha() and draw(ints(0, 3)) == 0 else " " + expr_text(draw, ctx)
            lines.append(Line(f"{_closer(draw, disabled, 'CASE')} {op}{value}", inner))
            lines += body(draw, ctx, inner + 1, 2)
        if draw(BOOL):
            lines.append(Line(_closer(draw, disabled, "DEFAULT"), inner))
            lines += body(draw, ctx, inner + 1, 2)
    elif kind == "loop":
        var = f" {draw(IDENT)}" if draw(ints(0, 3)) else ""
        lines.append(Line(f"{prefix}LOOP{var} FROM {expr_text(draw, ctx)} TO {expr_text(draw, ctx)} STEP {expr_text(draw, ctx)}", depth))
        lines += body(draw, ctx, inner)
    elif kind == "foreach":
        lines.append(Line(f"{prefix}LOOP FOREACH {draw(IDENT)} IN {expr_text(draw, ctx)}", depth))
        lines += body(draw, ctx, inner)
    elif kind == "while":
        lines.append(Line(f"{prefix}LOOP WHILE {cond(draw, ctx)}", depth))
        lines += body(draw, ctx, inner)
    elif kind == "block":
        name = choice(draw, ["", " "]) if draw(BOOL) else " " + sub_name(draw)
        lines.append(Line(f"{prefix}BLOCK{name}", depth))
        for _ in range(draw(ints(0, 1))):
            lines.append(Line(comment_text(draw, ctx), depth))
        for _ in range(draw(ints(0, 3))):
            hname = choice(draw, ["", " all", " " + quoted_name(draw), " " + str(draw(IDENT))])
            head = f"{_closer(draw, disabled, 'ON BLOCK ERROR')}{hname}{args(draw, ctx, outputs=False)}"
            lines.append(Line(head, depth, col0=True))
            lines += body(draw, ctx, inner)
        lines.append(Line(_closer(draw, disabled, "END"), depth))
        lines += body(draw, ctx, inner)
    elif kind == "onerror":
        name = f" {draw(IDENT)}" if draw(BOOL) else ""
        lines.append(Line(f"{prefix}ON ERROR{name}", depth))
        lines += body(draw, ctx, inner, handler=True)
        for _ in range(draw(ints(0, 1))):  # a further clause before the one END
            lines.append(Line("ON ERROR", depth))
            lines += body(draw, ctx, inner, handler=True)
    else:  # an action with its error handler, optionally with retries, or with retries alone
        lines.append(Line(prefix + action_text(draw, ctx), depth))
        retries = draw(BOOL)
        if retries:
            lines.append(Line(f"{prefix}ON ERROR REPEAT {number(draw)} TIMES WAIT {number(draw)}", depth))
        if not (retries and draw(BOOL)):  # retries alone: the END right after them closes the policy
            lines.append(Line(f"{prefix}ON ERROR", depth))
            lines += body(draw, ctx, inner, handler=True)
    lines.append(Line(_closer(draw, disabled, "END"), depth))
    return lines


def function(draw: Draw, ctx: Ctx) -> list[Line]:
    name = sub_name(draw)
    kind = choice(draw, ["global", "global", "params", "local"])
    tail = " GLOBAL" if kind == "global" else ""
    if kind == "params":
        tail = " " + ", ".join(draw(idents(1, 4)))
    lines = [Line(f"FUNCTION {name}{tail}", 0)]
    if draw(BOOL):
        lines.append(Line(f"@SENSITIVE: [{', '.join(draw(idents(0, 2)))}]", 1))
    lines += body(draw, ctx, 1, 4)
    lines.append(Line("END FUNCTION", 0))
    return lines


def trailer(draw: Draw, ctx: Ctx) -> str:
    nl = ctx.nl()
    junk = choice(draw, ["IF ( THEN $'''", "END END", "// not robin", "'unterminated", "/# open"])
    json = "{" + nl + '  "ControlRepositorySymbols": [' + nl + f'    {{ "Name": "x", "Junk": "{junk}" }}' + nl + "  ]" + nl + "}"
    tail = choice(draw, ["", nl, nl + "# [ImageRepository][PowerAutomateDesktop]" + nl + nl + "{}" + nl])
    return TRAILER_MARKER + choice(draw, ["", " "]) + nl + nl + json + tail


def indentation(draw: Draw, depth: int, col0: bool) -> str:
    if col0 and draw(BOOL):
        return ""
    style = choice(draw, ["canonical", "canonical", "tabs", "random", "none"])
    if style == "canonical":
        return "    " * depth
    if style == "tabs":
        return "\t" * depth
    if style == "none":
        return ""
    return str(draw(texts(alphabet=" \t", max_size=6)))


@st.composite
def flows(draw: Draw) -> str:
    """The text of a random valid flow."""
    ctx = Ctx(eol=choice(draw, ["lf", "crlf", "mixed"]), draw=draw)
    lines: list[Line] = []
    if draw(BOOL):  # stored-definition header
        lines += [Line(header_line(draw, ctx), 0) for _ in range(draw(ints(1, 5)))]
    lines += body(draw, ctx, 0, 5)
    for _ in range(draw(ints(0, 2))):
        lines += function(draw, ctx)
        if draw(ints(0, 3)) == 0:
            lines += body(draw, ctx, 0, 2)
    if draw(ints(0, 9)) == 0:
        lines.append(Line(choice(draw, ["END", "DISABLE END"]), 0))  # a stray END

    out: list[str] = []
    for line in lines:
        text = line.text
        if text:
            text = indentation(draw, line.depth, line.col0) + text
        else:
            text = str(choice(draw, ["", " ", "\t", "    "]))  # blank or blank-looking line
        if text.strip() and draw(ints(0, 4)) == 0:
            text += choice(draw, [" ", "  ", "\t", " \t "])
        out.append(text + ctx.nl())
    text = "".join(out)
    has_trailer = draw(ints(0, 4)) == 0
    if has_trailer:
        text += trailer(draw, ctx)
    elif text and draw(BOOL):
        text = text.rstrip("\r\n")  # no final newline
    if draw(ints(0, 4)) == 0:
        text = "\ufeff" + text
    return text


def expressions() -> st.SearchStrategy[str]:
    """A random expression (text) on its own, for ``parse_expression``."""

    @st.composite
    def _expr(draw: Draw) -> str:
        return expr_text(draw, Ctx(eol=choice(draw, ["lf", "crlf"]), draw=draw))

    return _expr()


# ---- checks shared by the round-trip tests ------------------------------------------------------

_GAP = "[ \t\r\n\ufeff]*"


def assert_lossless(flow: Any, text: str) -> None:
    """``flow`` (a parsed :class:`~pafix.syntax.nodes.Flow`) gives back ``text`` exactly, and its
    statements account for all of it: spans are ordered, do not overlap, sit inside their parent,
    and between top-level statements there is only whitespace, line breaks and a BOM."""
    import re

    from pafix.syntax import nodes as n

    assert flow.code == text
    end = flow.trailer.span.start if flow.trailer is not None else len(text)
    if flow.trailer is not None:
        assert flow.trailer.span.end == len(text)

    def check(body: Any, lo: int, hi: int) -> None:
        prev = lo
        for stmt in body:
            assert prev <= stmt.span.start < stmt.span.end <= hi, (stmt, prev, hi)
            prev = stmt.span.end
            for nested in n.child_bodies(stmt):
                check(nested, stmt.span.start, stmt.span.end)

    check(flow.body, 0, end)
    # the opaque parts between copied subflows are not statements: blank them for the gap check
    inner = [t for t in flow.trailers if t is not flow.trailer]
    for t in inner:
        assert not any(s.span.start < t.span.end and t.span.start < s.span.end for s in flow.body), t
        text = text[: t.span.start] + re.sub(r"[^\r\n]", " ", text[t.span.start : t.span.end]) + text[t.span.end :]
    pos = 0
    for stmt in flow.body:
        gap = text[pos : stmt.span.start]
        assert re.fullmatch(_GAP, gap), f"text outside any statement: {gap!r}"
        pos = stmt.span.end
    assert re.fullmatch(_GAP, text[pos:end]), f"text outside any statement: {text[pos:end]!r}"
