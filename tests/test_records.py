"""pafix.records.maker: the instance a frozen, slotted dataclass's own ``__init__`` would make."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pafix.analysis.taint.state import Event, Label, Origin
from pafix.findings import TraceStep
from pafix.records import maker
from pafix.syntax import nodes as n


def test_made_objects_equal_constructed_ones_and_stay_frozen() -> None:
    span = n.Span(10, 20, 2, 3, 2, 13)
    origin = Origin("param:Pwd", "secret-param", "Pwd", span, "Main", "Pwd", "credential", "high")
    step = TraceStep(2, 3, "assigned", 10, 20, None)
    label = Label(origin, (step,), False, True)
    event = Event("sink", "Main", span, "Pwd", (label,), "File.WriteText", "Text", "file", span)
    for obj, cls in ((origin, Origin), (step, TraceStep), (label, Label), (event, Event)):
        values = [getattr(obj, name) for name in cls.__slots__]
        made = maker(cls)(*values)
        assert type(made) is cls and made == obj and hash(made) == hash(obj)
        with pytest.raises(AttributeError):
            setattr(made, cls.__slots__[0], None)  # frozen as ever
    assert maker(TraceStep)(1, 2, "m", 3, 4, None).flow is None
    with pytest.raises(TypeError):
        maker(TraceStep)(1, 2, "m")  # every field, by position


def test_classes_whose_init_does_more_than_store_are_refused() -> None:
    @dataclass(frozen=True)
    class Unslotted:
        a: int

    @dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            assert self.a >= 0

    @dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = field(init=False, default=0)

    for cls in (Unslotted, Checked, Derived):
        with pytest.raises(TypeError):
            maker(cls)
