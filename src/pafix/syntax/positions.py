"""Where the builder's nodes are: spans read off the tokens and nodes a rule reduces.

:class:`_Positions` is the part of the tree builder (:mod:`pafix.syntax.builder`) that turns
token positions into :class:`~pafix.syntax.nodes.Span` s. The tokens of a whole-file parse carry
the file's own positions; those of a parse that starts elsewhere (a ``%...%`` hole, a re-parsed
region) are moved into the file by :meth:`_Positions.place`.
"""

from __future__ import annotations

from typing import Any, cast

from lark import Token

from pafix.syntax import nodes as n

#: ``Span(...)`` without the named tuple's Python-level ``__new__`` (a parse builds one per node)
_new_span = tuple.__new__
_SPAN = n.Span


class _Positions:
    def __init__(self) -> None:
        self.base = 0
        self.base_line = 1
        self.base_col = 1
        #: positions are the tokens' own: the parse of a whole file (not a ``%...%`` hole or a
        #: re-parsed region, whose token positions are moved into the file)
        self.whole = True

    def place(self, base: int, line: int, column: int) -> tuple[int, int, int]:
        """Make the tokens' positions count from ``base`` (at ``line``, ``column``) of the file;
        returns the previous placement, to put back."""
        saved = (self.base, self.base_line, self.base_col)
        self.base, self.base_line, self.base_col = base, line, column
        self.whole = base == 0 and line == 1
        return saved

    # These run for every node: tokens are read attribute by attribute, and a Span is built
    # only for the node itself (never one per token just to read its start).
    def _moved(self, offset: int, line: int, column: int) -> tuple[int, int, int]:
        """A token position of a parse that did not start at the top of the file (a ``%...%``
        hole, a re-parsed region) as a position in the file. Only that parse calls it: the
        whole file's positions are the tokens' own."""
        return (offset + self.base, line + self.base_line - 1,
                column + (self.base_col - 1 if line == 1 else 0))

    def tspan(self, tok: Token) -> n.Span:
        if self.whole:  # the whole file (not a %...% hole)
            return _new_span(_SPAN, (tok.start_pos, tok.end_pos, tok.line, tok.column, tok.end_line, tok.end_column))
        return self.at(tok.start_pos, tok.end_pos, tok.line, tok.column, tok.end_line, tok.end_column)  # type: ignore[arg-type]

    def at(self, start: int, end: int, line: int, column: int, end_line: int, end_column: int) -> n.Span:
        """The span of a token given by its fields (one the fast driver never built)."""
        if self.whole:
            return _new_span(_SPAN, (start, end, line, column, end_line, end_column))
        start, line, column = self._moved(start, line, column)
        end, end_line, end_column = self._moved(end, end_line, end_column)
        return _new_span(_SPAN, (start, end, line, column, end_line, end_column))

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

    def _bound(self, children: list[Any], last: bool) -> tuple[int, int, int]:
        """Offset, line and column where the first positioned child starts (``last``: where the
        last one ends)."""
        for c in reversed(children) if last else children:
            if c is None:
                continue
            if isinstance(c, Token):
                if c.type == "_NL":
                    continue
                at = (c.end_pos, c.end_line, c.end_column) if last else (c.start_pos, c.line, c.column)
                return at if self.whole else self._moved(*at)  # type: ignore[return-value,arg-type]
            sp = self._edge(c, last) if isinstance(c, tuple) else c.span
            if sp is not None:
                return (sp.end, sp.end_line, sp.end_column) if last else (sp.start, sp.line, sp.column)
        raise StopIteration  # as next() on no positioned child

    # The two below are span() for rules whose edges the grammar fixes: no search for the first
    # positioned child, no test of which kind each edge is beyond token-or-node (a quarter of
    # the cost of span() in the rules that reduce most: arg, set_stmt, binop, index...).
    def tok_to(self, first: Token, last: Any) -> n.Span:
        """The span of a rule whose first child is always a token (not a newline) and whose last
        is a token (not a newline) or a node."""
        if not self.whole:
            return self.span([first, last])
        if last.__class__ is Token:
            return _new_span(_SPAN, (first.start_pos, last.end_pos, first.line, first.column, last.end_line, last.end_column))
        _, end, _, _, end_line, end_column = last.span
        return _new_span(_SPAN, (first.start_pos, end, first.line, first.column, end_line, end_column))

    def node_to(self, first: Any, last: Any) -> n.Span:
        """The span of a rule whose first child is always a node and whose last is a token (not
        a newline) or a node. A node's span is already in the file: only a token is moved."""
        start, _, line, column, _, _ = first.span
        if last.__class__ is not Token:
            _, end, _, _, end_line, end_column = last.span
        elif self.whole:
            end, end_line, end_column = last.end_pos, last.end_line, last.end_column
        else:
            end, end_line, end_column = self._moved(last.end_pos, last.end_line, last.end_column)  # type: ignore[arg-type]
        return _new_span(_SPAN, (start, end, line, column, end_line, end_column))

    def span(self, children: list[Any]) -> n.Span:
        """From the start of the first positioned child to the end of the last one."""
        first = children[0]
        last = children[-1]
        if self.whole:  # the usual case: a token or a node at both ends
            if first.__class__ is Token:
                head = None if first.type == "_NL" else (first.start_pos, first.line, first.column)
            else:
                sp = getattr(first, "span", None)
                head = None if sp is None else (sp.start, sp.line, sp.column)
            if last.__class__ is Token:
                if last.type != "_NL" and head is not None:
                    return _new_span(_SPAN, (head[0], last.end_pos, head[1], head[2], last.end_line, last.end_column))
            elif head is not None:
                sp = getattr(last, "span", None)
                if sp is not None:
                    return _new_span(_SPAN, (head[0], sp.end, head[1], head[2], sp.end_line, sp.end_column))
        start, line, column = self._bound(children, False)
        end, end_line, end_column = self._bound(children, True)
        return _new_span(_SPAN, (start, end, line, column, end_line, end_column))
