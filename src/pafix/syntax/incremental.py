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

import dataclasses
import weakref
from dataclasses import dataclass
from typing import Any

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


# ---- moving nodes ------------------------------------------------------------------------

#: field types that hold no position: kept as they are
_PLAIN_TYPES = {"bool", "str", "str | None", "JumpKind", "StringKind", "Literal['INPUT', 'OUTPUT']",
                "tuple[str, ...]"}
#: node fields that hold an offset, not a span (moved with the offsets)
_OFFSET_FIELDS = {(n.Sensitive, "close")}


class _Movers(dict[type, Any]):
    """The mover of each type met in a tree, by exact type, made on first use of a type.
    ``lines``: whether they move lines too; the movers of a table that does not (an edit
    within one line, most keystrokes) keep each span's lines as they are, which saves two
    new ints per node (adding 0 to an int above 256 makes a new one): ~7% of the move."""

    def __init__(self, lines: bool) -> None:
        super().__init__()
        self.lines = lines

    def __missing__(self, cls: type) -> Any:
        mover = self[cls] = _make_shifter(cls, self)
        return mover


_MOVERS = _Movers(lines=True)
_MOVERS_SAME_LINES = _Movers(lines=False)


def shift(node: Any, delta: int, dline: int) -> Any:
    """``node`` (or a span) with every offset moved by ``delta`` and every line by ``dline``
    (columns stay: the node starts on a line after the edit)."""
    return (_MOVERS if dline else _MOVERS_SAME_LINES)[type(node)](node, delta, dline)


def shift_all(items: tuple[Any, ...], delta: int, dline: int) -> tuple[Any, ...]:
    """Every node of ``items`` moved (see :func:`shift`)."""
    return _shift_tuple(items, delta, dline) if delta or dline else items


def _shift_tuple(items: tuple[Any, ...], d: int, dl: int) -> tuple[Any, ...]:
    movers = _MOVERS if dl else _MOVERS_SAME_LINES
    return tuple([movers[type(x)](x, d, dl) for x in items])


def _shift_span(span: n.Span, d: int, dl: int) -> n.Span:
    s0, s1, s2, s3, s4, s5 = span
    return n.Span(s0 + d, s1 + d, s2 + dl, s3, s4 + dl, s5)


def _keep(x: Any, d: int, dl: int) -> Any:
    return x


def _make_shifter(cls: type, movers: _Movers) -> Any:
    """One function per node class, generated from its fields (as :mod:`dataclasses` makes
    ``__init__``). A generic field loop was three times slower. Written for speed: it runs
    for every node below an edit on every keystroke (~450,000 in a 20,000-line flow):
    the copy is made with ``object.__new__`` and each field set through its slot's
    descriptor (what the frozen dataclass's ``__init__`` does through ``object.__setattr__``
    by name); a span is unpacked once and rebuilt with ``tuple.__new__`` (a named tuple's
    ``__new__`` is a Python function); a child is moved by its type's mover, one Python call
    per node: looked up in ``movers`` by the child's type where the field holds a union,
    the field's own class's mover called directly where it holds one class (``Action.args``:
    no node class is subclassed). A text's parts are mostly one piece of text and no hole:
    then the tuple is kept as it is, as is an empty tuple."""
    if cls is tuple:
        return _shift_tuple
    if cls is n.Span:  # a span on its own (a node's spans are moved inline, below)
        return _shift_span
    if cls in (str, type(None), bool, int):
        return _keep
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"cannot move a {cls.__name__}")
    _MAKING.add(cls)
    try:
        return _generate(cls, movers)
    finally:
        _MAKING.discard(cls)


def _generate(cls: type, movers: _Movers) -> Any:
    body = ["    new = onew(cls)"]
    scope: dict[str, Any] = {"cls": cls, "Span": n.Span, "onew": object.__new__, "tnew": tuple.__new__,
                             "S": movers, "str": str}
    span = "(s0 + d, s1 + d, s2 + dl, s3, s4 + dl, s5)" if movers.lines else "(s0 + d, s1 + d, s2, s3, s4, s5)"
    for f in dataclasses.fields(cls):
        value = f"node.{f.name}"
        if f.type == "Span":
            body.append(f"    s0, s1, s2, s3, s4, s5 = {value}")
            moved = f"tnew(Span, {span})"
        elif (cls, f.name) in _OFFSET_FIELDS:
            moved = f"{value} + d"
        elif f.type in _PLAIN_TYPES:
            moved = value
        elif f.type == "int":
            raise TypeError(f"{cls.__name__}.{f.name}: an int that is not known to be an offset")
        elif f.type == "tuple[str | Hole, ...]":
            body.append(f"    v = {value}")
            moved = ("v if len(v) < 2 and (not v or type(v[0]) is str) else "
                     "tuple([x if type(x) is str else S[type(x)](x, d, dl) for x in v])")
        elif f.type.startswith("tuple[") and not f.type.endswith("None"):
            body.append(f"    v = {value}")
            one = _node_class(str(f.type)[len("tuple["):].removesuffix(", ...]"), cls)
            if one is not None:
                scope[f"m_{f.name}"] = movers[one]
                moved = f"tuple([m_{f.name}(x, d, dl) for x in v]) if v else v"
            else:
                moved = "tuple([S[type(x)](x, d, dl) for x in v]) if v else v"
        else:
            body.append(f"    x = {value}")
            one = _node_class(str(f.type), cls)
            if one is not None:
                scope[f"m_{f.name}"] = movers[one]
                moved = f"m_{f.name}(x, d, dl)"
            else:
                moved = "S[type(x)](x, d, dl)"
        scope[f"set_{f.name}"] = cls.__dict__[f.name].__set__  # the slot's descriptor
        body.append(f"    set_{f.name}(new, {moved})")
    source = f"def shift_{cls.__name__}(node, d, dl):\n" + "\n".join(body) + "\n    return new\n"
    exec(source, scope)  # noqa: S102 - generated from the node classes' own fields
    return scope[f"shift_{cls.__name__}"]


def _node_class(name: str, owner: type) -> type | None:
    """The node class a field's type names, when it names exactly one (not a union, not
    ``None``-able) whose mover is not being made (``owner``'s, or one it is made for: a mover
    made while another is made is bound to it, so a cycle of such fields is looked up)."""
    found = getattr(n, name, None) if name.isidentifier() else None
    if isinstance(found, type) and dataclasses.is_dataclass(found) and found is not owner and found not in _MAKING:
        return found
    return None


#: the node classes whose movers are being made (see :func:`_node_class`)
_MAKING: set[type] = set()


__all__ = ["Moved", "common_ends", "errors_of", "reparse", "reparse_moved", "shift", "shift_all"]
