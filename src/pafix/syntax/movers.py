"""Moving nodes: every offset of a node (and of its children) moved by an amount and every
line by another (columns stay). The editor's re-parse displaces the statements below an edit
(:mod:`pafix.syntax.displaced`), and they are moved with these when something asks for them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pafix.syntax import nodes as n

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


def shift_span(span: n.Span, d: int, dl: int) -> n.Span:
    """``span`` moved by ``d`` offsets and ``dl`` lines (what :func:`shift` does to a span)."""
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
        return shift_span
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


__all__ = ["shift", "shift_all", "shift_span"]
