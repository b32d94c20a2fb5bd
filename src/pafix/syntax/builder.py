"""The tree builder: Lark's parse-time callbacks that turn Robin into typed nodes.

:class:`_Builder` has one callback per grammar rule (no intermediate Lark tree). ``%...%`` holes
of interpolated text are parsed as expressions by the same parser, with positions shifted into
the file; spans come from :mod:`pafix.syntax.positions`. :func:`_parser` builds the one Lark LALR parser (contextual lexer) with this builder,
:func:`_lark_parse` runs it, by the fast driver of :mod:`pafix.syntax.fastparse` when it can.
The public API is :mod:`pafix.syntax.parser`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from functools import lru_cache
from typing import Any, Literal, cast

from lark import Lark, Token, Transformer
from lark import __version__ as lark_version
from lark.lexer import PatternStr
from lark.exceptions import UnexpectedInput

from pafix.syntax import nodes as n
from pafix.syntax.grammar import grammar_text
from pafix.syntax.tables import lark_from_tables, lark_options
from pafix.syntax.fastparse import Fallback, FastParser, FastPathUnavailable
from pafix.syntax.messages import _describe_hole
from pafix.records import maker
from pafix.syntax.positions import _SPAN, _Positions, _new_span

#: the nodes the most frequent rules build, every field given by position (see pafix.records)
_ARG = n.Arg
_new_arg = maker(n.Arg)
_new_name = maker(n.Name)
_new_string = maker(n.StringLit)
_new_number = maker(n.Number)
_new_bool = maker(n.Bool)
_new_set = maker(n.Set)
_new_action = maker(n.Action)
_new_call = maker(n.CallSubflow)
_new_index = maker(n.Index)
_new_attribute = maker(n.Attribute)
_new_binop = maker(n.BinOp)
_new_entry = maker(n.ObjectEntry)
_new_hole = maker(n.Hole)
_new_if = maker(n.If)
_new_if_branch = maker(n.IfBranch)
_new_block = maker(n.Block)
_new_io_decl = maker(n.IODecl)
_new_comment = maker(n.Comment)
#: the tokens that name a subflow, label or block
_NAME_TYPES = ("NAME", "STRING")
_ESCAPE_RE = re.compile(r"\\([\s\S])")
_ANNOTATION_RE = re.compile(
    r"^@@(?:'(?P<qkey>(?:[^'\\]|\\.)*)'|(?P<key>[^\s:]+))[ \t]*:[ \t]*'(?P<value>(?:[^'\\]|\\[\s\S])*)'[ \t]*$"
)


def build_lark(*, strict: bool = False, transformer: Transformer[Any, Any] | None = None, cached: bool = True) -> Lark:
    """The Lark LALR parser of the grammar. Unless ``strict`` (Lark's checks of the grammar,
    for the tests) or not ``cached``, its tables are read from a file when one fits (see
    :mod:`pafix.syntax.tables`): the same parser, without building it."""
    grammar = grammar_text()
    options = lark_options(strict=strict, transformer=transformer)
    if strict or not cached:
        return Lark(grammar, **options)
    return lark_from_tables(grammar, options, lambda: Lark(grammar, **options))


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


class _Params:
    """A local subflow's parameters and the names of those declared ``OUTPUT``."""

    __slots__ = ("names", "outputs")

    def __init__(self, names: tuple[n.Name, ...], outputs: tuple[str, ...]) -> None:
        self.names = names
        self.outputs = outputs


class _HoleError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _is_tok(x: object, *types: str) -> bool:
    return isinstance(x, Token) and (not types or x.type in types)


def _fields(tok: Token) -> tuple[Any, ...]:
    """A token's fields, in the order of ``Token``'s arguments (the *_token callbacks')."""
    return (tok.type, tok.value, tok.start_pos, tok.line, tok.column, tok.end_line, tok.end_column, tok.end_pos)


def _nodes(children: list[Any]) -> list[Any]:
    """The children that are not tokens (both drivers build exact ``Token`` instances)."""
    return [c for c in children if c.__class__ is not Token and c is not None]


class _Builder(_Positions, Transformer[Token, Any]):
    """Parse-time callbacks: one per grammar rule, each returns a typed node."""

    def __init__(self) -> None:
        Transformer.__init__(self, visit_tokens=False)
        _Positions.__init__(self)
        self.lark: Lark | None = None

    # ---- structure ----------------------------------------------------------------------
    def start(self, children: list[Any]) -> n.Body:
        return tuple([c for c in children if c.__class__ is not Token])

    def body(self, children: list[Any]) -> n.Body:
        # the statements between the line breaks: every child that is not a token
        return tuple([c for c in children if c.__class__ is not Token])

    handler_body = body

    def disabled(self, children: list[Any]) -> n.Stmt:
        stmt = _nodes(children)[0]
        return cast(n.Stmt, replace(stmt, span=self.tok_to(children[0], children[-1]), disabled=True))

    # ---- header lines ---------------------------------------------------------------------
    def annotation(self, children: list[Any]) -> n.Annotation:
        tok = children[0]
        m = _ANNOTATION_RE.match(tok.value.rstrip())
        if m:
            key = unescape(m["qkey"]) if m["qkey"] is not None else m["key"]
            value = unescape(m["value"])
        else:
            key, _, value = tok.value[2:].partition(":")
            key, value = key.strip(), value.strip()
        return n.Annotation(self.tspan(tok), key, value)

    def import_stmt(self, children: list[Any]) -> n.Import:
        toks = [c for c in children if isinstance(c, Token)]
        path = next(t for t in toks if t.type == "STRING")
        alias = next(t for t in toks if t.type == "NAME")
        return n.Import(self.tok_to(children[0], children[-1]), unescape(path.value[1:-1]), alias.value)

    def sensitive_stmt(self, children: list[Any]) -> n.Sensitive:
        names = tuple(n.Name(self.tspan(t), t.value) for t in children if _is_tok(t, "NAME"))
        close = next(c for c in reversed(children) if _is_tok(c) and c.value == "]")
        return n.Sensitive(self.tok_to(children[0], children[-1]), names, cast(int, close.start_pos) + self.base)

    def io_decl(self, children: list[Any]) -> n.IODecl:
        kind_tok, name_tok, _colon, props = children  # (INPUT | OUTPUT) NAME ":" expr
        kind: Literal["INPUT", "OUTPUT"] = "INPUT" if kind_tok.type == "INPUT" else "OUTPUT"
        name = _new_name(self.tspan(name_tok), name_tok.value, False)
        return _new_io_decl(self.tok_to(kind_tok, props), kind, name, props, False)

    def comment(self, children: list[Any]) -> n.Comment:
        tok = children[0]
        text = tok.value
        if tok.type == "BLOCK_COMMENT":
            return _new_comment(self.tspan(tok), text[2:-2], True, False)
        return _new_comment(self.tspan(tok), text[1:], False, False)

    def region(self, children: list[Any]) -> n.Region:
        tok = children[0]
        return n.Region(self.tspan(tok), tok.value[len("**REGION") :].strip())

    def endregion(self, children: list[Any]) -> n.EndRegion:
        return n.EndRegion(self.tspan(children[0]))

    # ---- simple statements -------------------------------------------------------------------
    def set_stmt(self, children: list[Any]) -> n.Set:
        first, target, _, value = children  # "SET" postfix "TO" expr
        if self.whole and value.__class__ is not Token:  # tok_to inlined, as in arg()
            _, end, _, _, end_line, end_column = value.span
            sp = _new_span(_SPAN, (first.start_pos, end, first.line, first.column, end_line, end_column))
        else:
            sp = self.tok_to(first, value)
        return _new_set(sp, target, value, False)

    def arg(self, children: list[Any]) -> n.Arg:
        tok, value = children
        text = tok.value
        kind = tok.type
        # tok_to(tok, value) inlined for a whole file's parse whose value is a node (nearly
        # every one): the second most frequent reduction, and the call was a fifth of it
        if self.whole and value.__class__ is not Token:
            _, end, _, _, end_line, end_column = value.span
            sp = _new_span(_SPAN, (tok.start_pos, end, tok.line, tok.column, end_line, end_column))
        else:
            sp = self.tok_to(tok, value)
        if kind == "PARAM":
            return _new_arg(sp, text[:-1], value, False, False)
        if kind == "OUT":
            return _new_arg(sp, text[:-2], value, False, True)
        output = kind == "DYN_OUT"
        name = text[1:-2] if output else text[1:-1]
        if name.startswith("'"):
            name = unescape(name[1:-1])
        return _new_arg(sp, name, value, True, output)

    def _args(self, children: list[Any]) -> tuple[n.Arg, ...]:
        return tuple([c for c in children if c.__class__ is _ARG])

    def action_stmt(self, children: list[Any]) -> n.Action:
        # DOTTED arg* | DOTTED NO_ARGS: every child after the name is an Arg, or it is the one
        # NO_ARGS token (the "_" placeholder): the arguments are a slice, not a filtered copy
        first, last = children[0], children[-1]
        if last.__class__ is Token:  # no argument: the name alone, or the placeholder after it
            return _new_action(self.tok_to(first, last), first.value, (), False, last is not first)
        return _new_action(self.tok_to(first, last), first.value, tuple(children[1:]), False, False)

    def action_cond(self, children: list[Any]) -> n.Action:
        return n.Action(self.tok_to(children[0], children[-1]), children[0].value, self._args(children))

    def _name_of(self, children: list[Any]) -> str:
        tok = children[1]  # the name follows the keyword (CALL, LABEL, GOTO, FUNCTION, BLOCK...)
        if tok.__class__ is not Token or tok.type not in _NAME_TYPES:
            tok = next(c for c in children[1:] if _is_tok(c, "NAME", "STRING"))
        text = tok.value
        return unescape(text[1:-1]) if tok.type == "STRING" else text

    def call_stmt(self, children: list[Any]) -> n.CallSubflow:
        # "CALL" _subflow_name arg*: the arguments are the children after the name
        return _new_call(self.tok_to(children[0], children[-1]), self._name_of(children), tuple(children[2:]), False)

    def label_stmt(self, children: list[Any]) -> n.Label:
        return n.Label(self.tok_to(children[0], children[-1]), self._name_of(children))

    def goto_stmt(self, children: list[Any]) -> n.Goto:
        return n.Goto(self.tok_to(children[0], children[-1]), self._name_of(children))

    def exit_stmt(self, children: list[Any]) -> n.Exit:
        return n.Exit(self.tok_to(children[0], children[-1]), self._args(children))

    def wait_stmt(self, children: list[Any]) -> n.Wait:
        parts = _nodes(children)
        return n.Wait(self.tok_to(children[0], children[-1]), parts[0], parts[1] if len(parts) > 1 else None)

    def get_error(self, children: list[Any]) -> n.GetLastError:
        parts = _nodes(children)
        return n.GetLastError(self.tok_to(children[0], children[-1]), parts[0], self._args(children))

    def jump(self, children: list[Any]) -> n.Jump:
        tok = children[0]
        return n.Jump(self.tspan(tok), cast(n.JumpKind, " ".join(tok.value.split())))

    # ---- blocks ---------------------------------------------------------------------------
    def if_stmt(self, children: list[Any]) -> n.If:
        # IF cond THEN _NL body else_if* [else] END, where cond is an expression (a node) or
        # "(" action ")": the children are read by position, not searched
        then_idx = 4 if children[1].__class__ is Token else 2
        cond, body = children[then_idx - 1 if then_idx == 2 else 2], children[then_idx + 2]
        if body and self.whole:  # from IF to the end of the body's last statement (a node)
            _, end, _, _, end_line, end_column = body[-1].span
            head = children[0]
            sp = _new_span(_SPAN, (head.start_pos, end, head.line, head.column, end_line, end_column))
        else:  # an empty body: the branch ends at THEN (span() skips the line break)
            sp = self.span([*children[: then_idx + 1], body])
        first = _new_if_branch(sp, cond, body)
        rest = children[then_idx + 3 : -1]  # the ELSE IF branches, then the ELSE
        orelse = None
        if rest and rest[-1].__class__ is _Else:
            orelse = rest.pop().body
        return _new_if(self.tok_to(children[0], children[-1]), (first, *rest), orelse, False)

    def else_if(self, children: list[Any]) -> n.IfBranch:
        cond, body = _nodes(children)
        return _new_if_branch(self.span(children), cond, body)

    def else_clause(self, children: list[Any]) -> _Else:
        return _Else(self.span(children), _nodes(children)[0])

    def switch_stmt(self, children: list[Any]) -> n.Switch:
        parts = _nodes(children)
        cases = tuple(p for p in parts if isinstance(p, n.Case))
        default = next((p.body for p in parts if isinstance(p, _Else)), None)
        return n.Switch(self.tok_to(children[0], children[-1]), parts[0], cases, default)

    def case(self, children: list[Any]) -> n.Case:
        op = children[1].value  # the case_op token
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
        name = n.Name(self.tspan(var), var.value) if var is not None else None
        return n.LoopRange(self.tok_to(children[0], children[-1]), name, start, stop, step, body)

    def stray_end(self, children: list[Any]) -> n.StrayEnd:
        return n.StrayEnd(self.tspan(children[0]))

    def foreach_stmt(self, children: list[Any]) -> n.ForEach:
        var = next(c for c in children if _is_tok(c, "NAME"))
        iterable, body = _nodes(children)
        return n.ForEach(self.tok_to(children[0], children[-1]), n.Name(self.tspan(var), var.value), iterable, body)

    def while_stmt(self, children: list[Any]) -> n.While:
        cond, body = _nodes(children)
        return n.While(self.tok_to(children[0], children[-1]), cond, body)

    def block_stmt(self, children: list[Any]) -> n.Block:
        # BLOCK [name] _NL _gap handler* END _NL body END
        second = children[1]
        name = self._name_of(children) if second.__class__ is Token and second.type in _NAME_TYPES else None
        handlers = tuple([p for p in children if p.__class__ is n.BlockHandler])
        return _new_block(self.tok_to(children[0], children[-1]), name, handlers, children[-2], False)

    def handler(self, children: list[Any]) -> n.BlockHandler:
        # ON BLOCK ERROR [name] arg* _NL body
        second = children[1]
        name = self._name_of(children) if second.__class__ is Token and second.type in _NAME_TYPES else None
        return n.BlockHandler(self.span(children), name, self._args(children), children[-1])

    def on_error(self, children: list[Any]) -> n.OnError:
        clause = self.on_error_clause(children)
        more = tuple([p for p in children if p.__class__ is n.OnError])
        return replace(clause, more=more) if more else clause

    def on_error_clause(self, children: list[Any]) -> n.OnError:
        # ON ERROR [NAME] _NL handler_body (then, in on_error, the further clauses and END)
        second = children[1]
        named = second.__class__ is Token and second.type == "NAME"
        return n.OnError(self.span(children), second.value if named else None, children[3 if named else 2])

    def on_error_repeat(self, children: list[Any]) -> n.OnErrorRepeat:
        (times,) = _nodes(children)
        seconds = next(c for c in children if _is_tok(c, "WAIT_SECONDS"))
        wait = n.Number(self.tspan(seconds), seconds.value)
        closed = _is_tok(children[-1], "REPEAT_END")
        return n.OnErrorRepeat(self.tok_to(children[0], children[-1]), times, wait, closed=closed)

    def function(self, children: list[Any]) -> n.Function:
        # FUNCTION name [GLOBAL | params] _NL body END FUNCTION
        name = self._name_of(children)
        third = children[2]
        params = third if third.__class__ is _Params else None
        is_global = third.__class__ is Token and third.type == "GLOBAL"
        body = children[-2]
        if params is None:
            return n.Function(self.tok_to(children[0], children[-1]), name, is_global, (), body)
        return n.Function(self.tok_to(children[0], children[-1]), name, is_global, params.names, body, outputs=params.outputs)

    def params(self, children: list[Any]) -> _Params:
        names = tuple(n.Name(self.tspan(t), t.value) for t in children if _is_tok(t, "NAME"))
        outputs = tuple(t.value for prev, t in zip(children, children[1:]) if _is_tok(prev, "OUTPUT_PARAM"))
        return _Params(names, outputs)

    # ---- expressions ------------------------------------------------------------------------
    def binop(self, children: list[Any]) -> n.BinOp:
        left, op, right = children
        return _new_binop(self.node_to(left, right), op.value, left, right)

    def unop(self, children: list[Any]) -> n.UnaryOp:
        op, operand = children
        return n.UnaryOp(self.tok_to(op, operand), op.value, operand)

    def index(self, children: list[Any]) -> n.Index:
        return _new_index(self.node_to(children[0], children[3]), children[0], children[2])

    def attribute(self, children: list[Any]) -> n.Attribute:
        last = children[2]
        return _new_attribute(self.node_to(children[0], last), children[0], last.value)

    def paren(self, children: list[Any]) -> n.Paren:
        return n.Paren(self.tok_to(children[0], children[-1]), children[1])

    def call(self, children: list[Any]) -> n.Call:
        return n.Call(self.tok_to(children[0], children[-1]), children[0].value, tuple(_nodes(children)))

    def name(self, children: list[Any]) -> n.Expr:
        # a NAME in an expression may start a call: the fast driver builds its token (see
        # name_token for the DOTTED name it reduces as it shifts)
        tok = children[0]
        text = tok.value
        if "." not in text and self.whole:  # the usual case: tspan and _name_at inlined
            return _new_name(_new_span(_SPAN, (tok.start_pos, tok.end_pos, tok.line, tok.column,
                                               tok.end_line, tok.end_column)), text, False)
        return self._name_at(text, self.tspan(tok))

    def _name_at(self, text: str, sp: n.Span) -> n.Expr:
        """A NAME or DOTTED token's text at ``sp``: a name, or attributes of one."""
        if "." not in text:  # the usual case: one plain name
            return _new_name(sp, text, False)
        parts = text.split(".")
        is_global = len(parts) > 1 and parts[0] == "GLOBAL"
        if is_global:
            parts = parts[1:]
        offset = len("GLOBAL.") if is_global else 0
        end = offset + len(parts[0])
        start, _, line, column, _, _ = sp
        # a span from the token's start: its end moves on with each part (a one-line token)
        expr: n.Expr = _new_name(_new_span(_SPAN, (start, start + end, line, column, line, column + end)),
                                 parts[0], is_global)
        for part in parts[1:]:
            end += 1 + len(part)
            expr = _new_attribute(_new_span(_SPAN, (start, start + end, line, column, line, column + end)), expr, part)
        return expr

    # The one-token expressions below: the fast driver reduces them as it shifts the token,
    # calling the *_token function with the fields of a token it never builds (see
    # FastParser._direct_states); Lark's driver calls the rule's callback, which calls the same.
    # In a whole file's parse the span is those fields (self.at() inlined: one call less for
    # each of a sixth of the tokens).
    def name_token(self, kind: str, text: str, start: int, line: int, column: int,
                   end_line: int, end_column: int, end: int) -> n.Expr:
        sp = (_new_span(_SPAN, (start, end, line, column, end_line, end_column)) if self.whole
              else self.at(start, end, line, column, end_line, end_column))
        return _new_name(sp, text, False) if "." not in text else self._name_at(text, sp)

    def number(self, children: list[Any]) -> n.Number:
        return self.number_token(*_fields(children[0]))

    def number_token(self, kind: str, text: str, start: int, line: int, column: int,
                     end_line: int, end_column: int, end: int) -> n.Number:
        sp = (_new_span(_SPAN, (start, end, line, column, end_line, end_column)) if self.whole
              else self.at(start, end, line, column, end_line, end_column))
        return _new_number(sp, text)

    def boolean(self, children: list[Any]) -> n.Bool:
        return self.boolean_token(*_fields(children[0]))

    def boolean_token(self, kind: str, text: str, start: int, line: int, column: int,
                      end_line: int, end_column: int, end: int) -> n.Bool:
        sp = (_new_span(_SPAN, (start, end, line, column, end_line, end_column)) if self.whole
              else self.at(start, end, line, column, end_line, end_column))
        return _new_bool(sp, text == "True")

    def string(self, children: list[Any]) -> n.StringLit:
        return self.string_token(*_fields(children[0]))

    def string_token(self, kind: str, raw: str, start: int, line: int, column: int,
                     end_line: int, end_column: int, end: int) -> n.StringLit:
        sp = (_new_span(_SPAN, (start, end, line, column, end_line, end_column)) if self.whole
              else self.at(start, end, line, column, end_line, end_column))
        if kind == "ISTRING":
            return _new_string(sp, "interpolated", raw, self._interpolate(raw, sp))
        if kind == "STRING":
            if raw.startswith("'''"):
                return _new_string(sp, "triple", raw, (unescape(raw[3:-3]),))
            return _new_string(sp, "plain", raw, (unescape(raw[1:-1]) if "\\" in raw else raw[1:-1],))
        if kind == "ESTRING":
            return _new_string(sp, "encrypted", raw, (raw[2:-1],))
        if kind == "FXSTRING":
            return _new_string(sp, "fx", raw, (unescape(raw[4:-1]),))
        return _new_string(sp, "invalid", raw, (raw[1:-1],))

    def list_lit(self, children: list[Any]) -> n.ListLit:
        return n.ListLit(self.tok_to(children[0], children[-1]), tuple(_nodes(children)))

    def object_lit(self, children: list[Any]) -> n.ObjectLit:
        return n.ObjectLit(self.tok_to(children[0], children[-1]), tuple(_nodes(children)))

    def entry(self, children: list[Any]) -> n.ObjectEntry:
        tok = children[0]  # STRING ":" expr; the key's node straight from the token's fields
        key = self.string_token(tok.type, tok.value, tok.start_pos, tok.line, tok.column,
                                tok.end_line, tok.end_column, tok.end_pos)
        return _new_entry(self.tok_to(children[0], children[-1]), key, children[2])

    def row(self, children: list[Any]) -> _Row:
        header = _is_tok(children[0], "HAT")
        return _Row(self.span(children), header, children[-1])

    def row_name(self, children: list[Any]) -> _Row:
        tok = children[0]
        return _Row(self.tspan(tok), False, n.Name(self.tspan(tok), tok.value))

    def datatable_lit(self, children: list[Any]) -> n.DatatableLit:
        rows = [c for c in children if isinstance(c, _Row)]
        return n.DatatableLit(self.tok_to(children[0], children[-1]), tuple(r.items for r in rows), rows[0].header)

    # ---- interpolation ----------------------------------------------------------------------
    def _interpolate(self, raw: str, sp: n.Span) -> tuple[str | n.Hole, ...]:
        """Split ``$'''...'''`` into literal pieces and parsed ``%expr%`` holes."""
        if "%" not in raw and "\\" not in raw:  # plain text (most of them): one piece
            body = raw[4:-3]
            return (body,) if body else ()
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
            if buf:
                parts.append("".join(buf))
                buf = []
            # the usual hole, %Name% or %Name.Prop%: its text and its end in one match, and its
            # node built without _hole_end, _parse_expr and the regex test there (7,777 holes in
            # the 446 benchmark flows, 6,716 of them plain)
            plain = _PLAIN_HOLE_AT_RE.match(raw, at + 1, end)
            if plain is not None and ("." in (text := plain[1]) or text not in _expr_keywords()):
                parts.append(self._plain_hole(raw, at, text, sp))
                i = plain.end()
                continue
            close = _hole_end(raw, at + 1, end)
            if close < 0:
                raise _HoleError("unterminated %...% in text (write %% for a literal percent sign)", sp.start + at)
            parts.append(self._hole(raw, at, close, sp))
            i = close + 1
        if buf:
            parts.append("".join(buf))
        return tuple(parts)

    def _plain_hole(self, raw: str, start: int, text: str, sp: n.Span) -> n.Hole:
        """The hole ``%text%`` at ``raw[start]``, where ``text`` is a name or a dotted name (not
        a keyword): what :meth:`_hole` gives it, on one line by construction."""
        if sp.end_line == sp.line:  # a one-line string (most): the hole's column, no search
            line, column = sp.line, sp.column + start
        else:
            nl = raw.rfind("\n", 0, start)
            line, column = (sp.line, sp.column + start) if nl < 0 else (sp.line + raw.count("\n", 0, nl + 1), start - nl)
        base = sp.start + start
        size = len(text)
        inner = _new_span(_SPAN, (base + 1, base + 1 + size, line, column + 1, line, column + 1 + size))
        expr = _new_name(inner, text, False) if "." not in text else self._name_at(text, inner)
        return _new_hole(_new_span(_SPAN, (base, base + size + 2, line, column, line, column + size + 2)), expr)

    def _hole(self, raw: str, start: int, close: int, sp: n.Span) -> n.Hole:
        # the line of the hole and of its end: counted only in a text that has a newline
        # before them (most are one line: no count)
        nl = raw.rfind("\n", 0, start)
        if nl < 0:
            line, column = sp.line, sp.column + start
        else:
            line, column = sp.line + raw.count("\n", 0, nl + 1), start - nl
        abs_start = sp.start + start
        expr = self._parse_expr(raw[start + 1 : close], abs_start + 1, line, column + 1)
        nl_end = raw.rfind("\n", start, close)  # a quoted newline inside the hole
        if nl_end < 0:
            end_line, end_column = line, column + close + 1 - start
        else:
            end_line, end_column = line + raw.count("\n", start, nl_end + 1), close + 1 - nl_end
        return _new_hole(_new_span(_SPAN, (abs_start, sp.start + close + 1, line, column, end_line, end_column)), expr)

    def _parse_expr(self, text: str, base: int, line: int, column: int) -> n.Expr:
        if _PLAIN_HOLE_RE.fullmatch(text) and ("." in text or text not in _expr_keywords()):
            # the usual hole, %Name% or %Name.Prop%: what the parser builds from the one token
            # it would read, without starting a parse (a flow has thousands of holes)
            size = len(text)
            return self._name_at(text, _new_span(_SPAN, (base, base + size, line, column, line, column + size)))
        assert self.lark is not None
        saved = self.place(base, line, column)
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
            self.place(*saved)


#: in interpolated text: an escaped character, a literal percent sign, or the start of a hole
_INTERPOLATION_RE = re.compile(r"\\[\s\S]|%%|%")
#: the rest of a hole, to the ``%`` that closes it: escapes (a backslash and the next character)
#: and quoted text (which may hold ``%`` and newlines) skipped; an unquoted newline, or a quote
#: left open, ends the search with no ``%`` (no match). One C-level match instead of a Python
#: loop over the hole's characters; possessive, so linear on any text.
_HOLE_END_RE = re.compile(r"(?:[^'%\\\r\n]++|\\[\s\S]|'(?:[^'\\]++|\\[\s\S])*+')*+%")
#: a hole that is one name or one dotted name (no blanks): one NAME or DOTTED token
_PLAIN_HOLE_RE = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
#: the same, matched after the hole's opening ``%``, with the ``%`` that closes it (no name
#: character is a quote, backslash, newline or ``%``: that is where _hole_end ends it too)
_PLAIN_HOLE_AT_RE = re.compile(r"([^\W\d]\w*(?:\.[^\W\d]\w*)*)%")


@lru_cache(maxsize=1)
def _expr_keywords() -> frozenset[str]:
    """Every word the grammar spells out (True, NOT, mod, SET...): a hole that is one of them
    is not a plain name, so it goes through the parser."""
    lark = _parser()[0]
    return frozenset(t.pattern.value for t in lark.terminals if isinstance(t.pattern, PatternStr))


def _hole_end(raw: str, i: int, end: int) -> int:
    """Index of the ``%`` closing a hole that starts at ``i``, skipping quoted text; -1 if none."""
    m = _HOLE_END_RE.match(raw, i, end)
    return -1 if m is None else m.end() - 1


# ---- the parser -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Builder]:
    builder = _Builder()
    lark = build_lark(transformer=builder)
    builder.lark = lark
    return lark, builder


@lru_cache(maxsize=1)
def _fast() -> FastParser | None:
    try:
        lark, builder = _parser()
        direct = {"name": builder.name_token, "number": builder.number_token,
                  "boolean": builder.boolean_token, "string": builder.string_token}
        return FastParser(lark, anonymous=frozenset({"_NL"}), direct=direct)  # spans never read a newline
    except Exception as exc:  # a Lark release whose internals differ: said, not silent
        warnings.warn(FastPathUnavailable(
            f"the fast parser is off with Lark {lark_version} ({type(exc).__name__}: {exc}); "
            "flows are parsed by Lark's own, slower driver"), stacklevel=2)
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
