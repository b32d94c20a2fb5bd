"""Re-parsing an edited flow: only the top-level statements the edit touches.

An editor sends a new text after every keystroke; parsing all of a 2,000-line flow again takes
most of the time before its diagnostics can be shown. :func:`reparse` gives exactly what
``parse(text, path, recover=True)`` gives (spans included), but

* finds the changed range (the common prefix and suffix of the old and new text),
* widens it to whole lines and then to the top-level statements (a whole ``IF``...``END``,
  a whole ``FUNCTION``) it overlaps,
* parses only that region, at its offset and line in the file,
* keeps the old statements before it as they are and moves those after it by the change in
  length and in line count (:func:`shift`: their columns cannot change, they start on
  later lines).

Flow text is a sequence of top-level statements, each ending at a line break, and the grammar
parses such a sequence the same way wherever it starts. Whenever that argument does not
plainly hold, :func:`reparse` parses the whole text: the old flow had errors (recovery
blanks lines across statements) or a trailer, the region does not parse on its own (an
``IF`` typed but not yet closed, an opened ``/#`` comment or ``'''`` string), or the edit
touches nothing but blanks at a place where a statement boundary might move.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from pafix.syntax import nodes as n
from pafix.syntax.displaced import Displaced, DisplacedFlow, compose, first_ending, span_at, top_level
from pafix.syntax.parser import parse, parse_region
from pafix.syntax.trailers import boundary_near

#: a region larger than this share of the file is parsed with the rest (no gain, more risk)
WHOLE_FILE_SHARE = 0.5


def reparse(old: n.Flow, text: str) -> n.Flow:
    """``parse(text, old.path, recover=True)``, reusing ``old`` (a parse of an earlier text): a
    plain :class:`~pafix.syntax.nodes.Flow`, its statements below the edit moved (the editor
    calls :func:`reparse_moved`, which leaves them displaced)."""
    flow = reparse_moved(old, text)[0]
    if not isinstance(flow, DisplacedFlow):
        return flow
    plain = n.Flow(flow.source, flow.body, flow.trailer, flow.path, flow.trailers)
    _remember(plain, errors_of(flow))
    return plain


def reparse_moved(old: n.Flow, text: str) -> tuple[n.Flow, Moved | None]:
    """:func:`reparse`, with how it made the new flow from ``old`` when it re-parsed a region
    (its statements below the region displaced, not moved: a
    :class:`~pafix.syntax.displaced.DisplacedFlow`, see :mod:`pafix.syntax.displaced`)
    (None when it parsed all of ``text`` or kept ``old``). The record is the caller's to keep
    with the check it makes of this flow (the editor's state of one buffer): kept here, one
    buffer's record would be found by the next check of another."""
    found = _incremental(old, text)
    if found is None:
        return parse(text, old.path, recover=True), None
    return found


def _incremental(old: n.Flow, text: str) -> tuple[n.Flow, Moved | None] | None:
    source = old.source
    if text == source:
        return old, None
    if old.trailers or old.trailer is not None or errors_of(old) or not top_level(old):
        return None
    prefix, whole_suffix = common_ends(source, text)
    suffix = min(whole_suffix, min(len(source), len(text)) - prefix)  # the two do not overlap here
    # the old text has no trailer or separator line (the parse would have made it a trailer),
    # so one in the new text is on a line the edit touched: only those are searched (a search
    # of the whole text was 1.3 ms of a keystroke on 2,000 lines)
    if boundary_near(text, prefix, len(text) - suffix):
        return None
    changed_end = len(source) - suffix  # the changed range of the old text: [prefix, changed_end)
    start = source.rfind("\n", 0, prefix) + 1
    after = source.find("\n", changed_end)
    end = len(source) if after < 0 else after + 1
    body = top_level(old)  # (a displaced tail is read, not moved: see :mod:`pafix.syntax.displaced`)
    first = first_ending(body, start)  # the first statement ending at or after start
    last = first
    while last < len(body) and span_at(body, last).start <= end:
        last += 1
    # body[first:last] overlaps [start, end]: widen the region to those statements' lines
    if first < last:
        start = min(start, source.rfind("\n", 0, span_at(body, first).start) + 1)
        tail = source.find("\n", span_at(body, last - 1).end)
        end = max(end, len(source) if tail < 0 else tail + 1)
    # a statement starting inside the widened region joins it, whole (a safety net: statements
    # do not share lines, so the widening above already ends where the next one starts)
    while last < len(body) and span_at(body, last).start < end:
        tail = source.find("\n", span_at(body, last).end)
        end = max(end, len(source) if tail < 0 else tail + 1)
        last += 1
    if end - start > WHOLE_FILE_SHARE * len(source) and len(source) > 4096:
        return None
    delta = len(text) - len(source)
    region = parse_region(text, start, end + delta, old.path)
    if region is None:
        return None
    dline = text.count("\n", start, end + delta) - source.count("\n", start, end)
    # the statements below keep their old nodes, displaced: moved on first use, not here
    statements = compose(body, first, region, last, delta, dline)
    if isinstance(statements, Displaced):
        flow: n.Flow = DisplacedFlow(text, statements, old.path)
    else:
        flow = n.Flow(text, statements, None, old.path)
    # the old flow had no errors, so the new one has those of the region alone
    _remember(flow, tuple(s for s in n.walk_statements(region) if isinstance(s, n.ErrorStmt)))
    return flow, Moved(source, text, start, end, delta, dline, prefix, whole_suffix)


@dataclass(frozen=True, slots=True)
class Moved:
    """How :func:`reparse` made a flow of the text ``new`` from one of ``old``: the old text's
    region ``[start, end)`` was parsed again; every statement of the old flow (at any depth)
    ending before ``start`` is in the new one as it is, every one starting after ``end`` is in
    it moved by ``delta`` offsets and ``dline`` lines (the same text, and so the same
    lengths). The texts, not the flows, are kept: a flow kept here until the next re-parse
    would be freed inside it, ~1,000,000 objects on 20,000 lines (the server frees an old
    check after the new diagnostics are sent, ``lsp/server.Document.retired``). ``prefix``
    and ``suffix``: :func:`common_ends` of the two texts, which the check of the new flow
    asks again (~0.9 ms on a 20,000-line flow)."""

    old: str
    new: str
    start: int
    end: int
    delta: int
    dline: int
    prefix: int
    suffix: int

    def of(self, old_source: str, source: str) -> bool:
        """Whether this is the record of the text ``old_source`` turned into ``source`` (the
        very string objects: a parse of a text gives the same spans whichever way it is
        made, so any flow of these texts has statements where the record says)."""
        return self.old is old_source and self.new is source


#: the parse errors of each flow :func:`reparse` made or :func:`errors_of` was asked about, by
#: the flow's id, with a weak reference to it whose callback drops the entry when the flow dies
_ERRORS: dict[int, tuple[weakref.ref[n.Flow], tuple[n.ErrorStmt, ...]]] = {}


def errors_of(flow: n.Flow) -> tuple[n.ErrorStmt, ...]:
    """``flow.errors``, without walking the whole tree again for a flow :func:`reparse` made
    or this function was asked about. The editor asks twice a keystroke (is the old flow
    clean? what are the new flow's errors?), a walk of every statement each time (12 ms on a
    20,000-line flow). What is known of a flow lives as long as the flow (the editor keeps a
    buffer's last flow): two buffers edited in turn each find their own, and a closed one's
    errors go with its tree."""
    known = _ERRORS.get(id(flow))
    if known is not None and known[0]() is flow:
        return known[1]
    errors = flow.errors
    _remember(flow, errors)
    return errors


def _remember(flow: n.Flow, errors: tuple[n.ErrorStmt, ...]) -> None:
    key = id(flow)

    def forget(ref: weakref.ref[n.Flow]) -> None:
        entry = _ERRORS.get(key)
        if entry is not None and entry[0] is ref:
            del _ERRORS[key]

    _ERRORS[key] = (weakref.ref(flow, forget), errors)


def common_ends(a: str, b: str) -> tuple[int, int]:
    """The lengths of the longest common prefix and of the longest common suffix of ``a`` and
    ``b`` (each on its own: they may overlap). The editor's check asks about the same two texts
    as the re-parse did: :class:`Moved` carries the answer to it."""
    if a is b:
        return len(a), len(a)
    prefix = common_prefix(a, b)
    return prefix, common_suffix(a, b, min(len(a), len(b)))


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (binary search over C-speed slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    lo, hi = 0, limit
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


__all__ = ["Moved", "common_ends", "errors_of", "reparse", "reparse_moved"]
