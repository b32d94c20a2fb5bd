"""Node constructors for the parser's hottest rules, without the dataclass ``__init__``.

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__`` (a
generic attribute lookup per field, and keywords for the defaults double it); a parse builds
about one node per token. :func:`maker` returns ``cls(*values)`` built another way, to the
same object (the exact class, every field set, still frozen):

* the object is made as an instance of a *draft* class: a plain class with the same
  ``__slots__`` (so the same memory layout), not frozen, so each field is one plain attribute
  store (the interpreter's specialised slot store, no call);
* then its ``__class__`` is set to the node class, which CPython allows between two classes
  of the same layout. From then on it is a frozen node like any other.

Measured: 180 ns for an ``n.Arg`` (five fields) against 375 ns with a call to each slot's
``__set__`` (the previous way) and 562 ns with ``__init__``. Only for the classes of
:mod:`pafix.syntax.nodes` (frozen, slotted, no ``__post_init__``); every field is given, defaults
included. A class whose layout the swap does not accept gets its own ``__init__``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """``cls(v1, v2, ...)`` with every field given by position (see the module docstring)."""
    assert dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__")
    names = tuple(f.name for f in dataclasses.fields(cls))
    if tuple(cls.__dict__["__slots__"]) != names or cls.__bases__ != (object,):
        return cls
    draft = type(f"_{cls.__name__}Draft", (), {"__slots__": names})
    params = ", ".join(f"v{i}" for i in range(len(names)))
    stores = "".join(f"    node.{name} = v{i}\n" for i, name in enumerate(names))
    source = f"def make_{cls.__name__}({params}):\n    node = new(draft)\n{stores}    node.__class__ = cls\n    return node\n"
    scope: dict[str, Any] = {"new": object.__new__, "draft": draft, "cls": cls}
    exec(source, scope)  # noqa: S102 - generated from the node class's own fields
    make: Callable[..., T] = scope[f"make_{cls.__name__}"]
    try:  # the swap needs the same layout: tried once
        if type(make(*[None] * len(names))) is not cls:
            return cls
    except TypeError:
        return cls
    return make
