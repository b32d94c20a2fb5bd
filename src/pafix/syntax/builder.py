"""Robin parser: Lark LALR with the contextual lexer, building typed nodes while it parses.

``parse(text)`` returns a :class:`~pafix.syntax.nodes.Flow` whose ``code`` is ``text``. Nodes are built
by parse-time callbacks (no intermediate Lark tree). ``%...%`` holes of interpolated text are
parsed as expressions by the same parser, with positions shifted into the file.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any, Literal, cast

from lark import Lark, Token, Transformer
from lark.lexer import PatternStr
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from pafix.syntax import nodes as n
from pafix.errors import ParseError
from pafix.syntax.grammar import grammar_text
from pafix.guard import NestingTooDeep, call_deep, quotable
from pafix.syntax.fastparse import Fallback, FastParser

TRAILER_RE = re.compile(r"^[ \t\ufeff]*# \[(?:ControlRepository|ImageRepository)\]\[PowerAutomateDesktop\][ \t]*\r?$", re.M)

_ESCAPE_RE = re.compile(r"\\([\s\S])")
_ANNOTATION_RE = re.compile(
    r"^@@(?:'(?P<qkey>(?:[^'\\]|\\.)*)'|(?P<key>[^\s:]+))[ \t]*:[ \t]*'(?P<value>(?:[^'\\]|\\[\s\S])*)'[ \t]*$"
)


def build_lark(*, strict: bool = False, transformer: Transformer[Any, Any] | None = None) -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        start=["start", "expr"],
        keep_all_tokens=True,
        maybe_placeholders=False,
        propagate_positions=False,
        transformer=transformer,
        strict=strict,
        cache=not strict,
    )


def unescape(text: str) -> str:
    """Robin escapes: a backslash makes the next character literal (``\\'``, ``\\\\``, ``\\"``)."""
    if "\\" not in text:
        return text
    return _ESCAPE_RE.sub(r"\1", text)


class _Else:
    __slots__ = ("span", "body")

    def __init__(self, span: n.Span, body: n.Body) -> None:
        self.span = span
        self.body = body


class _Row:
    __slots__ = ("span", "header", "items")

    def __init__(self, span: n.Span, header: bool, items: n.Expr) -> None:
        self.span = span
        self.header = header
        self.items = items


class _HoleError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _is_tok(x: object, *types: str) -> bool:
    return isinstance(x, Token) and (not types or x.type in types)


def _meaningful(children: list[Any]) -> list[Any]:
    """Children without newlines, placeholders and anonymous keyword tokens."""
    return [c for c in children if c is not None and not (isinstance(c, Token) and c.type == "_NL")]


def _nodes(children: list[Any]) -> list[Any]:
    return [c for c in children if c is not None and not isinstance(c, Token)]


class _Builder(Transformer[Token, Any]):
    """Parse-time callbacks: one per grammar rule, each returns a typed node."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.lark: Lark | None = None
        self.base = 0
        self.base_line = 1
        self.base_col = 1

    # ---- positions ---------------------------------------------------------------------
    # These run for every node: tokens are read attribute by attribute, and a Span is built
    # only for the node itself (never one per token just to read its start).
    def _moved(self, offset: int, line: int, column: int) -> tuple[int, int, int]:
        """A token position of a parse that did not start at the top of the file (a ``%...%``
        hole, a re-parsed region) as a position in the file. Only that parse calls it: the
        whole file's positions are the tokens' own."""
        return (offset + self.base, line + self.base_line - 1,
                column + (self.base_col - 1 if line == 1 else 0))

    def tspan(self, tok: Token) -> n.Span:
        if self.base_line == 1 and self.base == 0:  # the whole file (not a %...% hole)
            return n.Span(tok.start_pos, tok.end_pos, tok.line, tok.column, tok.end_line, tok.end_column)  # type: ignore[arg-type]
        start, line, column = self._moved(tok.start_pos, tok.line, tok.column)  # type: ignore[arg-type]
        end, end_line, end_column = self._moved(tok.end_pos, tok.end_line, tok.end_column)  # type: ignore[arg-type]
        return n.Span(start, end, line, column, end_line, end_column)

    def _edge(self, x: Any, last: bool) -> n.Span | None:
        if x is None:
            return None
        if isinstance(x, Token):
            return None if x.type == "_NL" else self.tspan(x)
        if isinstance(x, tuple):
            items = reversed(x) if last else iter(x)
            for item in items:
                found = self._edge(item, last)
                if found is not None:
                    return found
            return None
        return cast(n.Span, x.span)

    def _start(self, children: list[Any]) -> tuple[int, int, int]:
        """Offset, line and column where the first positioned child starts."""
        for c in children:
            if c is None:
                continue
            if isinstance(c, Token):
                if c.type == "_NL":
                    continue
                if self.base_line == 1 and self.base == 0:
                    return c.start_pos, c.line, c.column  # type: ignore[return-value]
                return self._moved(c.start_pos, c.line, c.column)  # type: ignore[arg-type]
            sp = self._edge(c, False) if isinstance(c, tuple) else c.span
            if sp is not None:
                return sp.start, sp.line, sp.column
        raise StopIteration  # as next() on no positioned child

    def span(self, children: list[Any]) -> n.Span:
        start, line, column = self._start(children)
        for c in reversed(children):
            if c is None:
                continue
            if isinstance(c, Token):
                if c.type == "_NL":
                    continue
                if self.base_line == 1 and self.base == 0:
                    return n.Span(start, c.end_pos, line, column, c.end_line, c.end_column)  # type: ignore[arg-type]
                end, end_line, end_column = self._moved(c.end_pos, c.end_line, c.end_column)  # type: ignore[arg-type]
                return n.Span(start, end, line, column, end_line, end_column)
            last = self._edge(c, True) if isinstance(c, tuple) else c.span
            if last is not None:
                return n.Span(start, last.end, line, column, last.end_line, last.end_column)
        raise StopIteration  # as next() on no positioned child

    # ---- structure ----------------------------------------------------------------------
    def start(self, children: list[Any]) -> n.Body:
        return tuple(_nodes(children))

    def body(self, children: list[Any]) -> n.Body:
        return tuple(_nodes(children))

    def disabled(self, children: list[Any]) -> n.Stmt:
        stmt = _nodes(children)[0]
        return cast(n.Stmt, replace(stmt, span=self.span(children), disabled=True))

    # ---- header lines ---------------------------------------------------------------------
    def annotation(self, children: list[Any]) -> n.Annotation:
        tok = children[0]
        m = _ANNOTATION_RE.match(str(tok).rstrip())
        if m:
            key = unescape(m["qkey"]) if m["qkey"] is not None else m["key"]
            value = unescape(m["value"])
        else:
            key, _, value = str(tok)[2:].partition(":")
            key, value = key.strip(), value.strip()
        return n.Annotation(self.tspan(tok), key, value)

    def import_stmt(self, children: list[Any]) -> n.Import:
        toks = [c for c in children if isinstance(c, Token)]
        path = next(t for t in toks if t.type == "STRING")
        alias = next(t for t in toks if t.type == "NAME")
        return n.Import(self.span(children), unescape(str(path)[1:-1]), str(alias))

    def sensitive_stmt(self, children: list[Any]) -> n.Sensitive:
        names = tuple(n.Name(self.tspan(t), str(t)) for t in children if _is_tok(t, "NAME"))
        close = next(c for c in reversed(children) if _is_tok(c) and str(c) == "]")
        return n.Sensitive(self.span(children), names, cast(int, close.start_pos) + self.base)

    def io_decl(self, children: list[Any]) -> n.IODecl:
        kind_tok, name_tok = children[0], next(c for c in children if _is_tok(c, "NAME"))
        kind: Literal["INPUT", "OUTPUT"] = "INPUT" if kind_tok.type == "INPUT" else "OUTPUT"
        return n.IODecl(self.span(children), kind, n.Name(self.tspan(name_tok), str(name_tok)), _nodes(children)[-1])

    def comment(self, children: list[Any]) -> n.Comment:
        tok = children[0]
        text = str(tok)
        if tok.type == "BLOCK_COMMENT":
            return n.Comment(self.tspan(tok), text[2:-2], True)
        return n.Comment(self.tspan(tok), text[1:], False)

    def region(self, children: list[Any]) -> n.Region:
        tok = children[0]
        return n.Region(self.tspan(tok), str(tok)[len("**REGION") :].strip())

    def endregion(self, children: list[Any]) -> n.EndRegion:
        return n.EndRegion(self.tspan(children[0]))

    # ---- simple statements -------------------------------------------------------------------
    def set_stmt(self, children: list[Any]) -> n.Set:
        target, value = _nodes(children)
        return n.Set(self.span(children), target, value)

    def arg(self, children: list[Any]) -> n.Arg:
        tok, value = children[0], children[1]
        text = str(tok)
        if tok.type == "PARAM":
            return n.Arg(self.span(children), text[:-1], value)
        if tok.type == "OUT":
            return n.Arg(self.span(children), text[:-2], value, output=True)
        output = tok.type == "DYN_OUT"
        name = text[1:-2] if output else text[1:-1]
        if name.startswith("'"):
            name = unescape(name[1:-1])
        return n.Arg(self.span(children), name, value, dynamic=True, output=output)

    def _args(self, children: list[Any]) -> tuple[n.Arg, ...]:
        return tuple(c for c in children if isinstance(c, n.Arg))

    def action_stmt(self, children: list[Any]) -> n.Action:
        return n.Action(self.span(children), str(children[0]), self._args(children))

    def action_cond(self, children: list[Any]) -> n.Action:
        return n.Action(self.span(children), str(children[0]), self._args(children))

    def _name_of(self, children: list[Any]) -> str:
        tok = next(c for c in children[1:] if _is_tok(c, "NAME", "STRING"))
        text = str(tok)
        return unescape(text[1:-1]) if tok.type == "STRING" else text

    def call_stmt(self, children: list[Any]) -> n.CallSubflow:
        return n.CallSubflow(self.span(children), self._name_of(children), self._args(children))

    def label_stmt(self, children: list[Any]) -> n.Label:
        return n.Label(self.span(children), self._name_of(children))

    def goto_stmt(self, children: list[Any]) -> n.Goto:
        return n.Goto(self.span(children), self._name_of(children))

    def exit_stmt(self, children: list[Any]) -> n.Exit:
        return n.Exit(self.span(children), self._args(children))

    def wait_stmt(self, children: list[Any]) -> n.Wait:
        parts = _nodes(children)
        return n.Wait(self.span(children), parts[0], parts[1] if len(parts) > 1 else None)

    def get_error(self, children: list[Any]) -> n.GetLastError:
        parts = _nodes(children)
        return n.GetLastError(self.span(children), parts[0], self._args(children))

    def jump(self, children: list[Any]) -> n.Jump:
        tok = children[0]
        return n.Jump(self.tspan(tok), cast(n.JumpKind, " ".join(str(tok).split())))

    # ---- blocks ---------------------------------------------------------------------------
    def if_stmt(self, children: list[Any]) -> n.If:
        parts = _nodes(children)
        cond, body = parts[0], parts[1]
        then_idx = next(i for i, c in enumerate(children) if _is_tok(c) and str(c) == "THEN")
        first = n.IfBranch(self.span(children[: then_idx + 1] + [body]), cond, body)
        branches = [first] + [p for p in parts[2:] if isinstance(p, n.IfBranch)]
        orelse = next((p.body for p in parts[2:] if isinstance(p, _Else)), None)
        return n.If(self.span(children), tuple(branches), orelse)

    def else_if(self, children: list[Any]) -> n.IfBranch:
        cond, body = _nodes(children)
        return n.IfBranch(self.span(children), cond, body)

    def else_clause(self, children: list[Any]) -> _Else:
        return _Else(self.span(children), _nodes(children)[0])

    def switch_stmt(self, children: list[Any]) -> n.Switch:
        parts = _nodes(children)
        cases = tuple(p for p in parts if isinstance(p, n.Case))
        default = next((p.body for p in parts if isinstance(p, _Else)), None)
        return n.Switch(self.span(children), parts[0], cases, default)

    def case(self, children: list[Any]) -> n.Case:
        op = str(children[1])  # the case_op token
        parts = _nodes(children)
        value = parts[0] if len(parts) == 2 else None
        return n.Case(self.span(children), op, value, parts[-1])

    def case_op(self, children: list[Any]) -> Token:
        # the token itself (not a str): a CASE with no value and an empty body ends at it
        return cast(Token, children[0])

    def default_clause(self, children: list[Any]) -> _Else:
        return _Else(self.span(children), _nodes(children)[0])

    def loop_stmt(self, children: list[Any]) -> n.LoopRange:
        var = children[1] if _is_tok(children[1], "NAME") else None
        start, stop, step, body = _nodes(children)
        name = n.Name(self.tspan(var), str(var)) if var is not None else None
        return n.LoopRange(self.span(children), name, start, stop, step, body)

    def stray_end(self, children: list[Any]) -> n.StrayEnd:
        return n.StrayEnd(self.tspan(children[0]))

    def foreach_stmt(self, children: list[Any]) -> n.ForEach:
        var = next(c for c in children if _is_tok(c, "NAME"))
        iterable, body = _nodes(children)
        return n.ForEach(self.span(children), n.Name(self.tspan(var), str(var)), iterable, body)

    def while_stmt(self, children: list[Any]) -> n.While:
        cond, body = _nodes(children)
        return n.While(self.span(children), cond, body)

    def block_stmt(self, children: list[Any]) -> n.Block:
        name = None
        if _is_tok(children[1], "NAME", "STRING"):
            name = self._name_of(children)
        parts = _nodes(children)
        handlers = tuple(p for p in parts if isinstance(p, n.BlockHandler))
        body = next(p for p in reversed(parts) if isinstance(p, tuple))
        return n.Block(self.span(children), name, handlers, body)

    def handler(self, children: list[Any]) -> n.BlockHandler:
        name = None
        if _is_tok(children[1], "NAME", "STRING"):
            name = self._name_of(children)
        body = next(p for p in reversed(children) if isinstance(p, tuple))
        return n.BlockHandler(self.span(children), name, self._args(children), body)

    def on_error(self, children: list[Any]) -> n.OnError:
        name_tok = children[1] if _is_tok(children[1], "NAME") else None
        body = next(p for p in children if isinstance(p, tuple))
        return n.OnError(self.span(children), str(name_tok) if name_tok is not None else None, body)

    def on_error_repeat(self, children: list[Any]) -> n.OnErrorRepeat:
        times, wait = _nodes(children)
        return n.OnErrorRepeat(self.span(children), times, wait)

    def function(self, children: list[Any]) -> n.Function:
        name = self._name_of(children)
        params = next((p for p in children if isinstance(p, list)), [])
        is_global = any(_is_tok(c, "GLOBAL") for c in children)
        body = next(p for p in children if isinstance(p, tuple))
        return n.Function(self.span(children), name, is_global, tuple(params), body)

    def params(self, children: list[Any]) -> list[n.Name]:
        return [n.Name(self.tspan(t), str(t)) for t in children if _is_tok(t, "NAME")]

    # ---- expressions ------------------------------------------------------------------------
    def binop(self, children: list[Any]) -> n.BinOp:
        left, op, right = children
        return n.BinOp(self.span(children), str(op), left, right)

    def unop(self, children: list[Any]) -> n.UnaryOp:
        op, operand = children
        return n.UnaryOp(self.span(children), str(op), operand)

    def index(self, children: list[Any]) -> n.Index:
        return n.Index(self.span(children), children[0], children[2])

    def attribute(self, children: list[Any]) -> n.Attribute:
        return n.Attribute(self.span(children), children[0], str(children[2]))

    def paren(self, children: list[Any]) -> n.Paren:
        return n.Paren(self.span(children), children[1])

    def call(self, children: list[Any]) -> n.Call:
        return n.Call(self.span(children), str(children[0]), tuple(_nodes(children)))

    def name(self, children: list[Any]) -> n.Expr:
        tok = children[0]
        sp = self.tspan(tok)
        if "." not in tok:  # the usual case: one plain name
            return n.Name(sp, str(tok), False)
        parts = str(tok).split(".")
        is_global = len(parts) > 1 and parts[0] == "GLOBAL"
        if is_global:
            parts = parts[1:]
        offset = len("GLOBAL.") if is_global else 0
        end = offset + len(parts[0])
        expr: n.Expr = n.Name(self._sub(sp, 0, end), parts[0], is_global)
        for part in parts[1:]:
            end += 1 + len(part)
            expr = n.Attribute(self._sub(sp, 0, end), expr, part)
        return expr

    @staticmethod
    def _sub(sp: n.Span, start: int, end: int) -> n.Span:
        """A sub-span of a one-line token."""
        return n.Span(sp.start + start, sp.start + end, sp.line, sp.column + start, sp.line, sp.column + end)

    def number(self, children: list[Any]) -> n.Number:
        return n.Number(self.tspan(children[0]), str(children[0]))

    def boolean(self, children: list[Any]) -> n.Bool:
        return n.Bool(self.tspan(children[0]), str(children[0]) == "True")

    def string(self, children: list[Any]) -> n.StringLit:
        tok = children[0]
        raw = str(tok)
        sp = self.tspan(tok)
        kind = tok.type
        if kind == "ISTRING":
            return n.StringLit(sp, "interpolated", raw, self._interpolate(raw, sp))
        if kind == "STRING":
            if raw.startswith("'''"):
                return n.StringLit(sp, "triple", raw, (unescape(raw[3:-3]),))
            return n.StringLit(sp, "plain", raw, (unescape(raw[1:-1]),))
        if kind == "ESTRING":
            return n.StringLit(sp, "encrypted", raw, (raw[2:-1],))
        if kind == "FXSTRING":
            return n.StringLit(sp, "fx", raw, (unescape(raw[4:-1]),))
        return n.StringLit(sp, "invalid", raw, (raw[1:-1],))

    def list_lit(self, children: list[Any]) -> n.ListLit:
        return n.ListLit(self.span(children), tuple(_nodes(children)))

    def object_lit(self, children: list[Any]) -> n.ObjectLit:
        return n.ObjectLit(self.span(children), tuple(_nodes(children)))

    def entry(self, children: list[Any]) -> n.ObjectEntry:
        key = self.string([children[0]])
        return n.ObjectEntry(self.span(children), key, children[2])

    def row(self, children: list[Any]) -> _Row:
        header = _is_tok(children[0], "HAT")
        return _Row(self.span(children), header, children[-1])

    def row_name(self, children: list[Any]) -> _Row:
        tok = children[0]
        return _Row(self.tspan(tok), False, n.Name(self.tspan(tok), str(tok)))

    def datatable_lit(self, children: list[Any]) -> n.DatatableLit:
        rows = [c for c in children if isinstance(c, _Row)]
        return n.DatatableLit(self.span(children), tuple(r.items for r in rows), rows[0].header)

    # ---- interpolation ----------------------------------------------------------------------
    def _interpolate(self, raw: str, sp: n.Span) -> tuple[str | n.Hole, ...]:
        """Split ``$'''...'''`` into literal pieces and parsed ``%expr%`` holes."""
        parts: list[str | n.Hole] = []
        buf: list[str] = []
        i, end = 4, len(raw) - 3
        while True:
            m = _INTERPOLATION_RE.search(raw, i, end)  # the next escape, %% or hole
            if m is None:
                if i < end:
                    buf.append(raw[i:end])
                break
            at = m.start()
            if at > i:
                buf.append(raw[i:at])
            found = m.group()
            if found != "%":  # \x is x; %% is %
                buf.append(found[1])
                i = at + 2
                continue
            close = _hole_end(raw, at + 1, end)
            if close < 0:
                raise _HoleError("unterminated %...% in text (write %% for a literal percent sign)", sp.start + at)
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(self._hole(raw, at, close, sp))
            i = close + 1
        if buf:
            parts.append("".join(buf))
        return tuple(parts)

    def _hole(self, raw: str, start: int, close: int, sp: n.Span) -> n.Hole:
        before = raw[:start]
        line = sp.line + before.count("\n")
        nl = before.rfind("\n")
        column = (start - nl) if nl >= 0 else sp.column + start
        text = raw[start + 1 : close]
        abs_start = sp.start + start
        expr = self._parse_expr(text, abs_start + 1, line, column + 1)
        after = raw[: close + 1]
        end_line = sp.line + after.count("\n")
        nl_end = after.rfind("\n")
        end_column = (close + 1 - nl_end) if nl_end >= 0 else sp.column + close + 1
        return n.Hole(n.Span(abs_start, sp.start + close + 1, line, column, end_line, end_column), expr)

    def _parse_expr(self, text: str, base: int, line: int, column: int) -> n.Expr:
        if _PLAIN_HOLE_RE.fullmatch(text) and ("." in text or text not in _expr_keywords()):
            # the usual hole, %Name% or %Name.Prop%: the token the lexer would read, without
            # starting a parse (a flow has thousands of holes)
            tok = Token("DOTTED" if "." in text else "NAME", text, start_pos=0, line=1, column=1,
                        end_line=1, end_column=len(text) + 1, end_pos=len(text))
            saved = (self.base, self.base_line, self.base_col)
            self.base, self.base_line, self.base_col = base, line, column
            try:
                return self.name([tok])
            finally:
                self.base, self.base_line, self.base_col = saved
        assert self.lark is not None
        saved = (self.base, self.base_line, self.base_col)
        self.base, self.base_line, self.base_col = base, line, column
        try:
            try:
                return cast(n.Expr, _lark_parse(self.lark, text, "expr"))
            except UnexpectedInput as exc:
                if "\\" in text:  # a hole written with escaped quotes: %obj[\'key\']%
                    try:
                        return cast(n.Expr, _lark_parse(self.lark, unescape(text), "expr"))
                    except UnexpectedInput:
                        pass
                pos, detail = _describe_hole(exc, text)
                raise _HoleError(f"invalid expression in %...%: {detail}", base + pos) from None
        finally:
            self.base, self.base_line, self.base_col = saved


#: in interpolated text: an escaped character, a literal percent sign, or the start of a hole
_INTERPOLATION_RE = re.compile(r"\\[\s\S]|%%|%")
#: a hole that is one name or one dotted name (no blanks): one NAME or DOTTED token
_PLAIN_HOLE_RE = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")


@lru_cache(maxsize=1)
def _expr_keywords() -> frozenset[str]:
    """Every word the grammar spells out (True, NOT, mod, SET...): a hole that is one of them
    is not a plain name, so it goes through the parser."""
    lark = _parser()[0]
    return frozenset(t.pattern.value for t in lark.terminals if isinstance(t.pattern, PatternStr))


def _hole_end(raw: str, i: int, end: int) -> int:
    """Index of the ``%`` closing a hole that starts at ``i``, skipping quoted text; -1 if none."""
    quote = False
    while i < end:
        ch = raw[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            quote = not quote
        elif ch == "%" and not quote:
            return i
        elif ch in "\r\n" and not quote:
            return -1
        i += 1
    return -1


# ---- error messages ---------------------------------------------------------------------------

_TERMINAL_NAMES = {
    "_NL": "end of line",
    "$END": "end of file",
    "NAME": "a name",
    "DOTTED": "an action name",
    "PARAM": "a parameter (Name:)",
    "OUT": "an output (Name=>)",
    "DYN_PARAM": "a parameter (@name:)",
    "DYN_OUT": "an output (@name=>)",
    "STRING": "a string",
    "ISTRING": "a string",
    "NUMBER": "a number",
    "END": "END",
    "END_FUNCTION": "END FUNCTION",
    "ELSE": "ELSE",
    "ELSE_IF": "ELSE IF",
    "CASE": "CASE",
    "DEFAULT": "DEFAULT",
    "ON_BLOCK_ERROR": "ON BLOCK ERROR",
    "ON_ERROR": "ON ERROR",
    "COMMA": "','",
    "RPAR": "')'",
    "LPAR": "'('",
    "RSQB": "']'",
    "LSQB": "'['",
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "COLON": "':'",
    "EQUAL": "'='",
    "CMP_OP": "a comparison",
    "ANNOTATION": "an @@annotation",
}
_EXPR_START = {"NAME", "NUMBER", "STRING", "ISTRING", "LPAR", "LSQB"}
_STATEMENT_START = {"SET", "DOTTED", "IF", "CALL"}


def _token_phrase(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    if tok.type in ("STRING", "ISTRING", "ESTRING", "FXSTRING", "BACKTICK"):
        return "a string"  # never echo a literal: it may be a secret
    if tok.type == "NUMBER":
        return "a number"
    text = str(tok)
    if quotable(text):
        return repr(text)  # a keyword or punctuation: says what is wrong, holds no data
    if tok.type in ("COMMENT", "BLOCK_COMMENT"):
        return "a comment"
    if tok.type == "DOTTED":
        return "an action name"
    return "a name" if tok.type == "NAME" else "a word"  # never echo a word: it may be a secret


def _expected_phrase(expected: set[str]) -> str:
    names: list[str] = []
    pool = set(expected)
    if _STATEMENT_START <= pool:
        names.append("a statement")
        pool -= _STATEMENT_START | {"SWITCH", "LOOP", "BLOCK", "WAIT", "LABEL", "GOTO", "EXIT", "ERROR", "DISABLE",
                                    "COMMENT", "BLOCK_COMMENT", "ANNOTATION", "REGION", "ENDREGION", "IMPORT",
                                    "SENSITIVE", "INPUT", "OUTPUT", "EXIT_LOOP", "NEXT_LOOP", "EXIT_FUNCTION",
                                    "THROW_ERROR", "REPEAT_BLOCK", "ON_ERROR", "FUNCTION"}
    if _EXPR_START <= pool:
        names.append("an expression")
        pool -= _EXPR_START | {"DOTTED", "ESTRING", "FXSTRING", "BACKTICK", "TRUE", "FALSE", "MINUS", "LBRACE", "NOT"}
    for term in sorted(pool):
        names.append(_TERMINAL_NAMES.get(term, term if term.isupper() and term.isalpha() else f"'{term}'" if len(term) <= 2 else term))
    if not names:
        return "something else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _describe(exc: UnexpectedInput, text: str) -> str:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        rest = text[pos : pos + 4]
        if rest.startswith(("'", "$'", "P'")):
            return "unterminated string (no closing quote)"
        if rest.startswith("/#"):
            return "unterminated comment (no closing #/)"
        if rest.startswith("//"):
            return "'//' is not a Robin comment (use '#')"
        allowed = set(exc.allowed or ())
        ch = text[pos] if pos < len(text) else ""
        return f"unexpected character {ch!r}; expected {_expected_phrase(allowed)}"
    if isinstance(exc, UnexpectedToken):
        pos = cast(int, exc.token.start_pos or 0)
        if text.startswith("//", pos):
            return "'//' is not a Robin comment (use '#')"
        if text.startswith("/#", pos):
            return "unterminated comment (no closing #/)"
        return f"found {_token_phrase(exc.token)}; expected {_expected_phrase(set(exc.expected))}"
    if isinstance(exc, UnexpectedEOF):
        return f"unexpected end of file; expected {_expected_phrase(set(exc.expected))}"
    return str(exc)


def _describe_hole(exc: UnexpectedInput, text: str) -> tuple[int, str]:
    """Where and why a ``%...%`` hole does not parse. The hole sits inside a string, so its
    words are never echoed (the text around a stray ``%`` may be a secret)."""
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return len(text), "it ends before the closing % (write %% for a literal percent sign)"
    pos = cast(int, getattr(exc, "pos_in_stream", None) or 0)
    if isinstance(exc, UnexpectedToken):
        tok = str(exc.token)
        found = repr(tok) if tok and not any(c.isalnum() or c in "'\\" for c in tok) else "a word"
        return pos, f"found {found} (write %% for a literal percent sign)"
    return pos, "found an unexpected character (write %% for a literal percent sign)"


_DANGLING_RE = re.compile(r"(@?(?:[^\W\d]\w*|'(?:[^'\\\r\n]|\\.)*')(?:=>|:))[ \t]*(?:([^\W\d]\w*)[ \t]*)?\Z")


def _dangling_arg(code: str, exc: UnexpectedToken) -> tuple[int, str] | None:
    """``Name: `` or ``Out=> `` with nothing after it (at the end of the line, or followed by
    the next ``Param:``, which the lexer then reads as a name and a colon)."""
    pos = len(code.rstrip()) if exc.token.type == "$END" else cast(int, exc.token.start_pos)
    before = code[code.rfind("\n", 0, pos) + 1 : pos]
    m = _DANGLING_RE.search(before)
    if m is None or (exc.token.type == "COLON") != (m.group(2) is not None):
        return None
    where = pos - len(before) + m.start(2) if m.group(2) is not None else pos
    return where, f"missing value after '{m.group(1)}'"


def _line_at(text: str, offset: int) -> tuple[int, int, str]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end < 0:
        end = len(text)
    return line, offset - start + 1, text[start:end].rstrip("\r")


def _error(text: str, offset: int, message: str, path: str | None) -> ParseError:
    offset = max(0, min(offset, len(text)))
    line, column, src = _line_at(text, offset)
    return ParseError(message, path=path, line=line, column=column, offset=offset, source_line=src)


# ---- entry points ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Builder]:
    builder = _Builder()
    lark = build_lark(transformer=builder)
    builder.lark = lark
    return lark, builder


@lru_cache(maxsize=1)
def _fast() -> FastParser | None:
    try:
        return FastParser(_parser()[0])
    except Exception:  # pragma: no cover - a Lark release whose internals differ
        return None


def _lark_parse(lark: Lark, text: str, start: str) -> Any:
    """``lark.parse(text, start=start)``, by the fast driver when it can (same nodes), else by
    Lark itself (which raises the usual errors)."""
    fast = _fast()
    if fast is not None:
        try:
            return fast.parse(text, start)
        except Fallback:
            pass
    return lark.parse(text, start=start)


def split_trailer(text: str) -> int:
    """Offset where the opaque ControlRepository/ImageRepository trailer starts (or len(text))."""
    m = TRAILER_RE.search(text)
    return m.start() if m else len(text)


def _parse_code(text: str, cut: int, path: str | None) -> n.Body:
    lark, _builder = _parser()
    code = text[:cut]
    try:
        return cast(n.Body, _lark_parse(lark, code, "start"))
    except _HoleError as exc:  # raised from a callback when not wrapped
        raise _error(text, exc.offset, exc.message, path) from None
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, _HoleError):
            raise _error(text, orig.offset, orig.message, path) from None
        raise
    except UnexpectedInput as exc:
        raise _lark_error(exc, code, text, path) from None


def parse_region(text: str, start: int, end: int, path: str | None = None) -> n.Body | None:
    """The top-level statements of ``text[start:end]``, with spans in ``text``; ``None`` when
    that region does not parse on its own. ``start`` must begin a line (0 or after a ``\\n``):
    :mod:`pafix.syntax.incremental` re-parses the statements an edit touched."""
    lark, builder = _parser()
    saved = (builder.base, builder.base_line, builder.base_col)
    builder.base, builder.base_line, builder.base_col = start, text.count("\n", 0, start) + 1, 1
    try:
        return cast(n.Body, _lark_parse(lark, text[start:end], "start"))
    except (UnexpectedInput, _HoleError, VisitError):
        return None
    finally:
        builder.base, builder.base_line, builder.base_col = saved


def _lark_error(exc: UnexpectedInput, code: str, text: str, path: str | None) -> ParseError:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        offset = len(code.rstrip())
    elif isinstance(exc, UnexpectedToken):
        offset = cast(int, exc.token.start_pos)
    else:
        offset = cast(int, getattr(exc, "pos_in_stream", 0) or 0)
    message = _describe(exc, code)
    dangling = _dangling_arg(code, exc) if isinstance(exc, UnexpectedToken) and exc.token.type in ("_NL", "$END", "COLON") else None
    if dangling is not None:
        offset, message = dangling
    elif message.startswith("unterminated string") and offset >= 2 and code.startswith("'''", offset - 2):
        offset -= 2  # the lexer read the first two quotes of an unclosed ''' as an empty string
    elif isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        opener = _last_opener_token(exc)
        if opener is not None:
            line = code.count("\n", 0, cast(int, opener.start_pos)) + 1
            keyword = " ".join(str(opener).split()[-3:]) if opener.type != "FUNCTION" else "FUNCTION"
            closer = "END FUNCTION" if opener.type == "FUNCTION" else "END"
            message = f"found end of file; the {keyword} on line {line} is not closed (expected {closer})"
    err = _error(text, offset, message, path)
    err.__dict__["_lark"] = exc
    return err


def parse(text: str, path: str | None = None, *, recover: bool = False) -> n.Flow:
    """Parse a Robin flow. ``flow.code == text`` for every text this accepts.

    Raises :class:`~pafix.errors.ParseError` for invalid input, unless ``recover`` is set: then
    the lines that do not parse become :class:`~pafix.syntax.nodes.ErrorStmt` nodes and the rest of
    the flow is parsed as usual (what an editor needs while the user types).
    """
    cut = split_trailer(text)
    trailer = None
    if cut < len(text):
        trailer = n.Trailer(n.Span(cut, len(text), *_line_col(text, cut), *_line_col(text, len(text))))
    if not recover:
        body = _parse_code(text, cut, path)
        return n.Flow(text, body, trailer, path)
    return _parse_recovering(text, cut, trailer, path)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line, column, _ = _line_at(text, offset)
    return line, column


def _blank(code: str, start: int, end: int) -> str:
    """Replace ``code[start:end]`` by spaces, keeping newlines: offsets stay valid."""
    chunk = re.sub(r"[^\r\n]", " ", code[start:end])
    return code[:start] + chunk + code[end:]


def _parse_recovering(text: str, cut: int, trailer: n.Trailer | None, path: str | None) -> n.Flow:
    code = text[:cut]
    errors: list[tuple[int, int, str]] = []
    for _attempt in range(max(50, code.count("\n") + 2)):
        try:
            body = _parse_code(code, len(code), path)
            break
        except ParseError as exc:
            start, end = _error_lines(code, exc)
            if start >= end or code[start:end].strip() == "":
                # nothing left to blank here: give up on the rest of the file
                start, end = _line_start(code, exc.offset), len(code)
                code = _blank(code, start, end)
                errors.append((start, end, exc.message))
                continue
            errors.append((start, end, exc.message))
            code = _blank(code, start, end)
    else:  # pragma: no cover - bounded by the number of lines
        body = ()
    stmts = [
        n.ErrorStmt(n.Span(s, e, *_line_col(text, s), *_line_col(text, e)), msg)
        for s, e, msg in _merge(errors)
    ]
    # _insert_errors recurses once per nesting level: deep flows get a thread with room for it
    shape = n.Flow(text, body, trailer, path)  # what call_deep measures the nesting of
    try:
        body = call_deep(shape, _insert_errors, body, stmts)
    except NestingTooDeep as exc:  # too deep to check anyway: recovery must not raise, the code is one error
        body = (n.ErrorStmt(n.Span(0, cut, 1, 1, *_line_col(text, cut)), exc.message),) if cut else ()
    return n.Flow(text, body, trailer, path)


def _line_start(code: str, offset: int) -> int:
    return code.rfind("\n", 0, offset) + 1


def _line_end(code: str, offset: int) -> int:
    end = code.find("\n", offset)
    if end < 0:
        return len(code)
    return end - 1 if end > 0 and code[end - 1] == "\r" else end


def _error_lines(code: str, exc: ParseError) -> tuple[int, int]:
    """The lines to blank for an error: the unclosed block opener at end of file, else the
    whole lines of the offending statement line."""
    lark_exc = exc.__dict__.get("_lark")
    if isinstance(lark_exc, UnexpectedToken) and lark_exc.token.type == "$END":
        opener = _last_opener(lark_exc)
        if opener is not None:
            return _line_start(code, opener), _line_end(code, opener)
    offset = min(exc.offset, len(code))
    if exc.message.startswith("unterminated") and code.startswith(("$'''", "'''", "/#"), offset):
        # a multi-line literal that never closes runs to the end of the file: the lines after
        # it are its content (maybe a secret), never to be parsed or echoed as code
        return _line_start(code, offset), len(code)
    if offset >= len(code.rstrip()):
        offset = len(code.rstrip()) - 1 if code.strip() else 0
    start = _line_start(code, offset)
    # a token spanning lines (a multi-line string) is blanked whole
    end = _line_end(code, offset)
    m = re.compile(r"\$'''|'''").search(code, start, end)
    if m:
        close = code.find("'''", m.end())
        if close > end:
            end = _line_end(code, close)
    return start, end


_OPENERS = {"IF", "LOOP", "SWITCH", "BLOCK", "ON_ERROR", "FUNCTION", "ON_BLOCK_ERROR", "ELSE", "ELSE_IF", "CASE", "DEFAULT"}


def _last_opener_token(exc: UnexpectedToken) -> Token | None:
    state = getattr(exc, "interactive_parser", None)
    if state is None:
        return None
    for item in reversed(state.parser_state.value_stack):
        if isinstance(item, Token) and item.type in _OPENERS:
            return item
    return None


def _last_opener(exc: UnexpectedToken) -> int | None:
    tok = _last_opener_token(exc)
    return None if tok is None else cast(int, tok.start_pos)


def _merge(errors: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for s, e, msg in sorted(errors):
        if out and s <= out[-1][1]:  # overlapping only: each bad line is its own error (LF and CRLF alike)
            ps, pe, pmsg = out[-1]
            out[-1] = (ps, max(pe, e), pmsg)
        else:
            out.append((s, e, msg))
    return out


def _insert_errors(body: n.Body, errors: list[n.ErrorStmt]) -> n.Body:
    """Put each error statement into the innermost body that encloses it, in source order."""
    if not errors:
        return body
    result: list[n.Stmt] = []
    pending = sorted(errors, key=lambda e: e.span.start)
    i = 0
    for stmt in body:
        while i < len(pending) and pending[i].span.start < stmt.span.start:
            result.append(pending[i])
            i += 1
        inside: list[n.ErrorStmt] = []
        while i < len(pending) and pending[i].span.start < stmt.span.end:
            inside.append(pending[i])
            i += 1
        result.append(_with_errors(stmt, inside) if inside else stmt)
    result.extend(pending[i:])
    return tuple(result)


def _with_errors(stmt: n.Stmt, errors: list[n.ErrorStmt]) -> n.Stmt:
    """Insert errors into the nested bodies of ``stmt`` (each error goes to the body whose
    statements surround it; an error between clauses goes to the preceding clause)."""
    if isinstance(stmt, n.If):
        branches = list(stmt.branches)
        orelse = stmt.orelse
        for err in errors:
            if orelse is not None and branches and err.span.start > branches[-1].span.end:
                orelse = _insert_errors(orelse, [err])
                continue
            idx = max((i for i, b in enumerate(branches) if b.span.start <= err.span.start), default=0)
            branches[idx] = replace(branches[idx], body=_insert_errors(branches[idx].body, [err]))
        return replace(stmt, branches=tuple(branches), orelse=orelse)
    if isinstance(stmt, (n.LoopRange, n.ForEach, n.While, n.OnError, n.Function, n.Block)):
        if isinstance(stmt, n.Block) and stmt.handlers and errors[0].span.start < stmt.handlers[-1].span.end:
            handlers = list(stmt.handlers)
            idx = max((i for i, h in enumerate(handlers) if h.span.start <= errors[0].span.start), default=0)
            handlers[idx] = replace(handlers[idx], body=_insert_errors(handlers[idx].body, errors))
            return replace(stmt, handlers=tuple(handlers))
        return replace(stmt, body=_insert_errors(stmt.body, errors))
    if isinstance(stmt, n.Switch):
        cases = list(stmt.cases)
        if stmt.default is not None and (not cases or errors[0].span.start > cases[-1].span.end):
            return replace(stmt, default=_insert_errors(stmt.default, errors))
        if cases:
            idx = max((i for i, c in enumerate(cases) if c.span.start <= errors[0].span.start), default=0)
            cases[idx] = replace(cases[idx], body=_insert_errors(cases[idx].body, errors))
            return replace(stmt, cases=tuple(cases))
    return stmt


def parse_expression(text: str) -> n.Expr:
    """Parse a single Robin expression (used by tests and by the rewriter's checks)."""
    lark, _builder = _parser()
    try:
        return cast(n.Expr, _lark_parse(lark, text, "expr"))
    except UnexpectedInput as exc:
        raise _lark_error(exc, text, text, None) from None
