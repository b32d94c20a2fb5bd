"""Robin parser: the public API (Lark LALR with the contextual lexer, typed nodes built while it parses).

``parse(text)`` returns a :class:`~pafix.syntax.nodes.Flow` whose ``code`` is ``text``. The pieces:
the tree builder and the Lark parser (:mod:`pafix.syntax.builder`), error messages
(:mod:`pafix.syntax.messages`), error recovery (:mod:`pafix.syntax.recovery`) and the opaque
parts of clipboard copies, trailers and subflow separators (:mod:`pafix.syntax.trailers`).
"""

from __future__ import annotations

import gc
from types import TracebackType
from typing import cast

from lark.exceptions import UnexpectedInput, VisitError

from pafix.syntax import nodes as n
from pafix.syntax.builder import _HoleError, _lark_parse, build_lark, unescape
from pafix.syntax.builder import _fast as _fast, _parser as _parser  # the scan and the language server warm them up
from pafix.syntax.messages import _error, _lark_error
from pafix.syntax.recovery import _line_col, _parse_recovering
from pafix.syntax.trailers import TRAILER_RE, blank_regions, regions, split_trailer

__all__ = [
    "TRAILER_RE", "build_lark", "parse", "parse_expression", "parse_region", "split_trailer", "unescape",
]


class _CollectorPaused:
    """The cyclic garbage collector is off while a parse runs (and back on after, if it was).

    A parse allocates a few objects per character, all of them kept or freed by reference
    counting: nodes, spans and tokens form trees, never cycles. The collector would still run
    every 700 allocations and walk every young object, and, in a process that holds many
    objects (the language server, a scan's results), its older generations too: 6% of a parse
    with default thresholds when the trees are dropped at once, more when they are kept."""

    __slots__ = ("was_on",)

    def __enter__(self) -> None:
        self.was_on = gc.isenabled()
        gc.disable()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.was_on:
            gc.enable()


def _parse_code(text: str, code: str, path: str | None) -> n.Body:
    """The statements of ``code``: ``text`` with its opaque parts blanked or cut off (same
    offsets). An error quotes its line from ``text``."""
    lark, _builder = _parser()
    try:
        with _CollectorPaused():
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
    saved = builder.place(start, text.count("\n", 0, start) + 1, 1)
    try:
        with _CollectorPaused():
            return cast(n.Body, _lark_parse(lark, text[start:end], "start"))
    except (UnexpectedInput, _HoleError, VisitError):
        return None
    finally:
        builder.place(*saved)


def parse(text: str, path: str | None = None, *, recover: bool = False) -> n.Flow:
    """Parse a Robin flow. ``flow.code == text`` for every text this accepts.

    A clipboard copy of several subflows is parsed whole: the opaque parts between them
    (trailers, ``=====>`` lines) are ``flow.trailers`` and every subflow's statements are in
    ``flow.body``, in order.

    Raises :class:`~pafix.errors.ParseError` for invalid input, unless ``recover`` is set: then
    the lines that do not parse become :class:`~pafix.syntax.nodes.ErrorStmt` nodes and the rest of
    the flow is parsed as usual (what an editor needs while the user types, and what a scan
    reports on a file with one bad line).
    """
    # the collector stays paused until the Flow is built: the first allocation after it is
    # back on would start a collection that walks every node of the new tree (allocated while
    # it was paused), a tenth of a parse, even when the caller drops the tree at once
    with _CollectorPaused():
        found = regions(text)
        trailers = tuple(n.Trailer(n.Span(s, e, *_line_col(text, s), *_line_col(text, e))) for s, e in found)
        tail = trailers[-1] if trailers and trailers[-1].span.end == len(text) else None
        code = blank_regions(text, found)
        if not recover:
            return n.Flow(text, _parse_code(text, code, path), tail, path, trailers)
        return _parse_recovering(text, code, tail, trailers, path, _parse_code)


def parse_expression(text: str) -> n.Expr:
    """Parse a single Robin expression (used by tests and by the rewriter's checks)."""
    lark, _builder = _parser()
    try:
        return cast(n.Expr, _lark_parse(lark, text, "expr"))
    except UnexpectedInput as exc:
        raise _lark_error(exc, text, text, None) from None
