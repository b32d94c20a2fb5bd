"""pafix.records.maker on the parser's node classes: the constructors build the very objects the dataclass
``__init__`` builds (same class, same fields, still frozen)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from pafix.syntax import nodes as n
from pafix.records import maker

CLASSES = [c for _, c in inspect.getmembers(n, inspect.isclass)
           if dataclasses.is_dataclass(c) and c.__module__ == n.__name__ and "__slots__" in c.__dict__]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_maker_builds_what_init_builds(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [object() for _ in fields]  # one distinct value per field: a swapped field shows
    made = maker(cls)(*values)
    assert type(made) is cls
    assert [getattr(made, f.name) for f in fields] == values
    assert [getattr(cls(*values), f.name) for f in fields] == values
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, fields[0].name, None)

