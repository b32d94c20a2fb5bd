"""Making frozen, slotted dataclasses in bulk: a constructor that skips the frozen ``__init__``.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (looked up
and called per field, to get round the class's own ``__setattr__``, which refuses). An
editor's keystroke in a 20,001-line flow moves ~1,500 taint events below the edit, and with
them ~1,700 labels, ~1,300 origins and ~1,000 trace steps (:mod:`pafix.analysis.taint.frames`):
made by their ``__init__`` that is ~1 us each on the project's machine, by :func:`maker`'s
constructor ~0.55 us (timeit, a 9-field ``Event``). It writes each slot through the slot's
own descriptor (``Class.field.__set__``), which is what ``object.__setattr__`` ends in.

Only for classes whose ``__init__`` does nothing but store its arguments (no
``__post_init__``, no ``InitVar``, no ``field(init=False)``): :func:`maker` checks that.
Every field is passed, by position, in the order of :func:`dataclasses.fields`.
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
    # one generated function, the fields unrolled (a loop over the descriptors costs most of
    # what it saves): ``_new(cls)``, then ``_set_<name>(o, <name>)`` for each field
    env: dict[str, Any] = {"_cls": cls, "_new": object.__new__}
    for name in names:
        env[f"_set_{name}"] = cls.__dict__[name].__set__
    body = "".join(f"    _set_{name}(o, {name})\n" for name in names)
    source = f"def make({', '.join(names)}):\n    o = _new(_cls)\n{body}    return o\n"
    exec(source, env)  # (the field names are identifiers: dataclasses made them attributes)
    made: Callable[..., T] = env["make"]
    made.__qualname__ = made.__name__ = f"make_{cls.__name__}"
    return made


__all__ = ["maker"]
