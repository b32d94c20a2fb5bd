"""Canonical pretty-printer: typed Robin tree -> Robin text.

``unparse(parse(text))`` is the flow in canonical layout: 4 spaces of indentation per block
level, ``\\n`` line ends, one space between tokens, no trailing spaces. Literals are printed from
their source (``StringLit.raw``, ``Number.raw``), parentheses only where the tree has a
:class:`~pafix.syntax.nodes.Paren`. The property that holds for every tree ``T`` that ``parse`` builds
is ``parse(unparse(T)) == T`` (node equality ignores spans).

What the tree does not keep is not printed: indentation, blank lines, ``DISABLE`` on a closing
``END``, comments between ``SWITCH``/``BLOCK`` and their first clause, text after
``**ENDREGION``. A flow's ControlRepository trailer is copied verbatim from its source.
"""

from __future__ import annotations

import re

from pafix.syntax import nodes as n

__all__ = ["unparse", "INDENT"]

INDENT = "    "

_IDENT_RE = re.compile(r"[^\W\d]\w*\Z")
_ANNOTATION_KEY_RE = re.compile(r"[^\s:'\\]+\Z")

#: words a bare subflow, label or block name is never printed as (they are quoted instead)
_RESERVED = frozenset(
    {
        "SET", "TO", "IF", "THEN", "ELSE", "END", "LOOP", "FOREACH", "IN", "FROM", "STEP", "WHILE",
        "SWITCH", "CASE", "DEFAULT", "BLOCK", "ON", "ERROR", "REPEAT", "TIMES", "WAIT", "FOR",
        "EXIT", "FUNCTION", "GLOBAL", "CALL", "GOTO", "LABEL", "NEXT", "THROW", "DISABLE", "IMPORT",
        "AS", "AND", "OR", "NOT", "mod", "True", "False",
    }
)

Unparsable = n.Node | n.Flow | n.Body


def unparse(node: Unparsable) -> str:
    """Robin text for a flow, a body (a tuple of statements), a statement or any other node.

    A flow or a body gives whole lines, each ending in ``\\n``. A single statement gives its
    lines without a final newline; an expression, argument or other part gives its text.
    :class:`~pafix.syntax.nodes.ErrorStmt` has no Robin form: it is copied from the flow's source
    when a whole flow is printed, and raises :class:`ValueError` otherwise.
    """
    if isinstance(node, n.Flow):
        return _Printer(node.source).flow(node)
    if isinstance(node, tuple):
        return _Printer(None).body_text(node)
    return _Printer(None).node(node)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def quote(text: str) -> str:
    """A single-quoted Robin string whose unescaped value is ``text``.

    ``'...'`` cannot hold a line break. The parser reads a name written ``'''x'''`` as
    ``''x''`` (it strips one quote on each side), so such a value is printed back that way.
    """
    if "\n" not in text and "\r" not in text:
        return f"'{_escape(text)}'"
    if len(text) >= 4 and text.startswith("''") and text.endswith("''"):
        return f"'''{_escape(text[2:-2])}'''"
    raise ValueError(f"a name or path with a line break has no Robin form: {text!r}")


def name_text(name: str) -> str:
    """A subflow, label or block name: bare when it is a plain identifier, else quoted."""
    if _IDENT_RE.match(name) and name not in _RESERVED:
        return name
    return quote(name)


class _Printer:
    def __init__(self, source: str | None) -> None:
        self.source = source

    # ---- flows and bodies -------------------------------------------------------------------
    def flow(self, flow: n.Flow) -> str:
        trailers = flow.trailers or ((flow.trailer,) if flow.trailer is not None else ())
        if not trailers or not flow.source:
            return self.body_text(flow.body)
        # a copy of several subflows: each subflow's statements, then the opaque part after it
        out: list[str] = []
        body = flow.body
        i = 0
        for trailer in trailers:
            j = i
            while j < len(body) and body[j].span.start < trailer.span.start:
                j += 1
            text = self.body_text(body[i:j])
            out.append(text + ("\n" if text else "") + flow.source[trailer.span.start : trailer.span.end])
            i = j
        out.append(self.body_text(body[i:]))
        return "".join(out)

    def body_text(self, body: n.Body) -> str:
        lines: list[str] = []
        self.body(body, 0, lines)
        return "".join(line + "\n" for line in lines)

    def body(self, body: n.Body, depth: int, out: list[str]) -> None:
        for stmt in body:
            self.stmt(stmt, depth, out)

    def node(self, node: n.Node) -> str:
        if isinstance(node, n.Arg):
            return self.arg(node)
        if isinstance(node, n.Hole):
            return f"%{self.expr(node.expr)}%"
        if isinstance(node, n.ObjectEntry):
            return f"{node.key.raw}: {self.expr(node.value)}"
        if isinstance(node, n.IfBranch):
            lines = [f"IF {self.cond(node.cond)} THEN"]
            self.body(node.body, 1, lines)
            return "\n".join(lines)
        if isinstance(node, n.Case):
            lines = [self.case_head(node)]
            self.body(node.body, 1, lines)
            return "\n".join(lines)
        if isinstance(node, n.BlockHandler):
            lines = [self.handler_head(node)]
            self.body(node.body, 1, lines)
            return "\n".join(lines)
        if isinstance(node, _STMT_TYPES):
            lines = []
            self.stmt(node, 0, lines)
            return "\n".join(lines)
        return self.expr(node)

    # ---- statements --------------------------------------------------------------------------
    def stmt(self, stmt: n.Stmt, depth: int, out: list[str]) -> None:
        pad = INDENT * depth
        prefix = pad + ("DISABLE " if stmt.disabled else "")

        def line(text: str) -> None:
            out.append(prefix + text)

        def close(text: str = "END") -> None:
            out.append(pad + text)

        if isinstance(stmt, n.ErrorStmt):
            if self.source is None:
                raise ValueError("an ErrorStmt (text that did not parse) has no Robin form")
            out.append(pad + self.source[stmt.span.start : stmt.span.end].strip())
        elif isinstance(stmt, n.Comment):
            line(f"/#{stmt.text}#/" if stmt.block else f"#{stmt.text}")
        elif isinstance(stmt, n.Annotation):
            key = stmt.key if _ANNOTATION_KEY_RE.match(stmt.key) else f"'{_escape(stmt.key)}'"
            line(f"@@{key}: '{_escape(stmt.value)}'")
        elif isinstance(stmt, n.Import):
            line(f"IMPORT {quote(stmt.path)} AS {stmt.alias}")
        elif isinstance(stmt, n.Sensitive):
            line(f"@SENSITIVE: [{', '.join(self.expr(x) for x in stmt.names)}]")
        elif isinstance(stmt, n.IODecl):
            line(f"@{stmt.kind} {stmt.name.name} : {self.expr(stmt.props)}")
        elif isinstance(stmt, n.Set):
            line(f"SET {self.expr(stmt.target)} TO {self.expr(stmt.value)}")
        elif isinstance(stmt, n.Action):
            line(self.action(stmt))
        elif isinstance(stmt, n.If):
            for i, branch in enumerate(stmt.branches):
                if i == 0:
                    line(f"IF {self.cond(branch.cond)} THEN")
                else:
                    close(f"ELSE IF {self.cond(branch.cond)} THEN")
                self.body(branch.body, depth + 1, out)
            if stmt.orelse is not None:
                close("ELSE")
                self.body(stmt.orelse, depth + 1, out)
            close()
        elif isinstance(stmt, n.Switch):
            line(f"SWITCH {self.expr(stmt.subject)}")
            for case in stmt.cases:
                out.append(INDENT * (depth + 1) + self.case_head(case))
                self.body(case.body, depth + 2, out)
            if stmt.default is not None:
                out.append(INDENT * (depth + 1) + "DEFAULT")
                self.body(stmt.default, depth + 2, out)
            close()
        elif isinstance(stmt, n.LoopRange):
            var = f" {stmt.var.name}" if stmt.var is not None else ""
            line(
                f"LOOP{var} FROM {self.expr(stmt.start)} TO {self.expr(stmt.stop)}"
                f" STEP {self.expr(stmt.step)}"
            )
            self.body(stmt.body, depth + 1, out)
            close()
        elif isinstance(stmt, n.ForEach):
            line(f"LOOP FOREACH {stmt.var.name} IN {self.expr(stmt.iterable)}")
            self.body(stmt.body, depth + 1, out)
            close()
        elif isinstance(stmt, n.While):
            line(f"LOOP WHILE {self.cond(stmt.cond)}")
            self.body(stmt.body, depth + 1, out)
            close()
        elif isinstance(stmt, n.Block):
            line("BLOCK" if stmt.name is None else f"BLOCK {name_text(stmt.name)}")
            for handler in stmt.handlers:
                close(self.handler_head(handler))
                self.body(handler.body, depth + 1, out)
            close()
            self.body(stmt.body, depth + 1, out)
            close()
        elif isinstance(stmt, n.OnError):
            line("ON ERROR" if stmt.name is None else f"ON ERROR {stmt.name}")
            self.body(stmt.body, depth + 1, out)
            for clause in stmt.more:  # further clauses are closers, like END: no DISABLE
                close("ON ERROR" if clause.name is None else f"ON ERROR {clause.name}")
                self.body(clause.body, depth + 1, out)
            close()
        elif isinstance(stmt, n.OnErrorRepeat):
            line(f"ON ERROR REPEAT {self.expr(stmt.times)} TIMES WAIT {self.expr(stmt.wait)}")
            if stmt.closed:
                close()
        elif isinstance(stmt, n.CallSubflow):
            line(self.with_args(f"CALL {name_text(stmt.target)}", stmt.args))
        elif isinstance(stmt, n.Label):
            line(f"LABEL {name_text(stmt.name)}")
        elif isinstance(stmt, n.Goto):
            line(f"GOTO {name_text(stmt.name)}")
        elif isinstance(stmt, n.Exit):
            line(self.with_args("EXIT", stmt.args))
        elif isinstance(stmt, n.Wait):
            timeout = "" if stmt.timeout is None else f" FOR {self.expr(stmt.timeout)}"
            line(f"WAIT {self.cond(stmt.cond)}{timeout}")
        elif isinstance(stmt, n.GetLastError):
            line(self.with_args(f"ERROR => {self.expr(stmt.target)}", stmt.args))
        elif isinstance(stmt, n.Jump):
            line(stmt.kind)
        elif isinstance(stmt, n.Region):
            line(f"**REGION {stmt.title}" if stmt.title else "**REGION")
        elif isinstance(stmt, n.EndRegion):
            line("**ENDREGION")
        elif isinstance(stmt, n.Function):
            head = f"FUNCTION {name_text(stmt.name)}"
            if stmt.is_global:
                head += " GLOBAL"
            elif stmt.params:
                head += " " + ", ".join(f"OUTPUT {p.name}" if p.name in stmt.outputs else p.name for p in stmt.params)
            line(head)
            self.body(stmt.body, depth + 1, out)
            close("END FUNCTION")
        elif isinstance(stmt, n.StrayEnd):
            line("END")
        else:  # pragma: no cover - every statement type is handled above
            raise TypeError(f"not a statement: {type(stmt).__name__}")

    def case_head(self, case: n.Case) -> str:
        value = "" if case.value is None else f" {self.expr(case.value)}"
        return f"CASE {case.op}{value}"

    def handler_head(self, handler: n.BlockHandler) -> str:
        head = "ON BLOCK ERROR" if handler.name is None else f"ON BLOCK ERROR {name_text(handler.name)}"
        return self.with_args(head, handler.args)

    def with_args(self, head: str, args: tuple[n.Arg, ...]) -> str:
        return " ".join([head, *(self.arg(a) for a in args)])

    def action(self, action: n.Action) -> str:
        if action.placeholder and not action.args:
            return f"{action.name} _"
        return self.with_args(action.name, action.args)

    def cond(self, cond: n.Cond) -> str:
        if isinstance(cond, n.Action):
            return f"({self.action(cond)})"
        return self.expr(cond)

    def arg(self, arg: n.Arg) -> str:
        name = arg.name
        if arg.dynamic:
            name = "@" + (name if _IDENT_RE.match(name) else f"'{_escape(name)}'")
        sep = "=>" if arg.output else ":"
        return f"{name}{sep} {self.expr(arg.value)}"

    # ---- expressions -------------------------------------------------------------------------
    def expr(self, e: n.Expr) -> str:
        if isinstance(e, n.Name):
            return f"GLOBAL.{e.name}" if e.is_global else e.name
        if isinstance(e, n.StringLit):
            return e.raw
        if isinstance(e, n.Number):
            return e.raw
        if isinstance(e, n.Bool):
            return "True" if e.value else "False"
        if isinstance(e, n.Attribute):
            value = self.expr(e.value)
            if isinstance(e.value, n.Name) and e.value.name == "GLOBAL" and not e.value.is_global:
                # ``GLOBAL.x`` would be read as a global variable: keep the dot apart
                return f"{value} .{e.attr}"
            return f"{value}.{e.attr}"
        if isinstance(e, n.Index):
            return f"{self.expr(e.value)}[{self.expr(e.index)}]"
        if isinstance(e, n.Call):
            return f"{e.func}({', '.join(self.expr(a) for a in e.args)})"
        if isinstance(e, n.BinOp):
            return f"{self.expr(e.left)} {e.op} {self.expr(e.right)}"
        if isinstance(e, n.UnaryOp):
            sep = " " if e.op.isalpha() else ""
            return f"{e.op}{sep}{self.expr(e.operand)}"
        if isinstance(e, n.Paren):
            return f"({self.expr(e.expr)})"
        if isinstance(e, n.ListLit):
            return f"[{', '.join(self.expr(i) for i in e.items)}]"
        if isinstance(e, n.ObjectLit):
            if not e.entries:
                return "{{ }}"
            return "{ " + ", ".join(f"{x.key.raw}: {self.expr(x.value)}" for x in e.entries) + " }"
        if isinstance(e, n.DatatableLit):
            rows = [self.expr(r) for r in e.rows]
            if e.has_header and rows:
                rows[0] = "^" + rows[0]
            return "{ " + ", ".join(rows) + " }"
        raise TypeError(f"not a Robin node: {type(e).__name__}")


_STMT_TYPES = (
    n.Comment, n.Annotation, n.Import, n.Sensitive, n.IODecl, n.Set, n.Action, n.If, n.Switch,
    n.LoopRange, n.ForEach, n.While, n.Block, n.OnError, n.OnErrorRepeat, n.CallSubflow, n.Label,
    n.Goto, n.Exit, n.Wait, n.GetLastError, n.Jump, n.Region, n.EndRegion, n.Function, n.StrayEnd,
    n.ErrorStmt,
)
