"""Error recovery: the lines that do not parse become :class:`~pafix.syntax.nodes.ErrorStmt`
nodes, the rest of the flow is parsed as usual.

The parser is re-run with each offending line blanked (spaces, newlines kept, so every offset
stays valid) until the rest parses; then each error is put into the innermost body around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from lark.exceptions import UnexpectedToken

from pafix.syntax import nodes as n
from pafix.errors import ParseError
from pafix.guard import NestingTooDeep, call_deep
from pafix.syntax.messages import _last_opener_token, _line_at
from pafix.syntax.trailers import spaces


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line, column, _ = _line_at(text, offset)
    return line, column


def _blank(code: str, start: int, end: int) -> str:
    """Replace ``code[start:end]`` by spaces, keeping newlines: offsets stay valid."""
    return code[:start] + spaces(code[start:end]) + code[end:]


def _parse_recovering(
    text: str,
    code: str,
    trailer: n.Trailer | None,
    trailers: tuple[n.Trailer, ...],
    path: str | None,
    parse_code: Callable[[str, str, str | None], n.Body],
) -> n.Flow:
    """``parse(text, recover=True)``: ``code`` is ``text`` with its opaque parts blanked or cut
    off, ``parse_code(text, code, path)`` parses it or raises :class:`ParseError`."""
    cut = len(code)
    errors: list[tuple[int, int, str]] = []
    for _attempt in range(max(50, code.count("\n") + 2)):
        try:
            body = parse_code(code, code, path)
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
    shape = n.Flow(text, body, trailer, path, trailers)  # what call_deep measures the nesting of
    try:
        body = call_deep(shape, _insert_errors, body, stmts)
    except NestingTooDeep as exc:  # too deep to check anyway: recovery must not raise, the code is one error
        body = (n.ErrorStmt(n.Span(0, cut, 1, 1, *_line_col(text, cut)), exc.message),) if cut else ()
    return n.Flow(text, body, trailer, path, trailers)


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
