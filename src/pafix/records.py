"""Making frozen, slotted dataclasses in bulk: a constructor that skips the frozen ``__init__``.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (looked up
and called per field, to get round the class's own ``__setattr__``, which refuses). pafix
makes some of them by the hundred thousand: the parser's nodes (about one per token,
:mod:`pafix.syntax.builder`), and on an editor's keystroke in a 20,001-line flow ~1,500 taint
events below the edit with ~1,700 labels, ~1,300 origins and ~1,000 trace steps
(:mod:`pafix.analysis.taint.frames`) and the findings moved with them. :func:`maker` returns a
constructor made once per class, the fields unrolled (a loop over them costs most of what it
saves), in one of two ways:

* where the class's ``__slots__`` are exactly its fields and it derives from ``object`` alone
  (the nodes, the events, the findings): the object is made as an instance of a *draft*
  class, a plain class with the same ``__slots__`` (so the same memory layout), each field one
  plain attribute store (the interpreter's specialised slot store, no call), then its
  ``__class__`` is set to the frozen class, which CPython allows between two classes of the
  same layout: 180 ns for a five-field node against 562 ns with ``__init__``;
* otherwise each slot is written through its own descriptor (``Class.field.__set__``, what
  ``object.__setattr__`` ends in): ~0.55 us for a 9-field ``Event`` against ~1 us.

Either way the object is the one ``cls(*values)`` makes: the exact class, every field set,
still frozen, equal and hashing alike. Only for classes whose ``__init__`` does nothing but
store its arguments (no ``__post_init__``, no ``InitVar``, no ``field(init=False)``):
:func:`maker` checks that. Every field is passed, by position, in the order of
:func:`dataclasses.fields`, defaults included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """A function taking every field of ``cls`` by position and returning the instance
    ``cls(*values)`` would: the same fields, made without the frozen ``__init__``."""
    if not is_dataclass(cls) or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: not a slotted dataclass whose __init__ only stores its fields")
    names = [f.name for f in fields(cls)]
    if any(not f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__}: a field is not set by __init__")
    params = ", ".join(names)
    env: dict[str, Any] = {"_cls": cls, "_new": object.__new__}
    if tuple(cls.__dict__["__slots__"]) == tuple(names) and cls.__bases__ == (object,):
        env["_draft"] = type(f"_{cls.__name__}Draft", (), {"__slots__": tuple(names)})
        body = "".join(f"    o.{name} = {name}\n" for name in names)
        source = f"def make({params}):\n    o = _new(_draft)\n{body}    o.__class__ = _cls\n    return o\n"
    else:
        for name in names:
            env[f"_set_{name}"] = cls.__dict__[name].__set__
        body = "".join(f"    _set_{name}(o, {name})\n" for name in names)
        source = f"def make({params}):\n    o = _new(_cls)\n{body}    return o\n"
    exec(source, env)  # (the field names are identifiers: dataclasses made them attributes)
    made: Callable[..., T] = env["make"]
    made.__qualname__ = made.__name__ = f"make_{cls.__name__}"
    return made

__all__ = ["maker"]
