"""``report.json_text.dumps_indented`` writes exactly what ``json.dumps(value, indent=2,
ensure_ascii=False)`` writes (the JSON, SARIF and baseline files are compared byte for byte
elsewhere; here any value, including those it leaves to ``json.dumps``)."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pafix.report.json_text import dumps_indented

_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
            | st.text())
values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30)


def _same(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(values)
def test_any_json_value_is_written_as_json_dumps_writes_it(value: Any) -> None:
    _same(value)


class Name(str):
    pass


class Count(int):
    pass


def test_values_it_leaves_to_json_dumps() -> None:
    """Keys that are not strings, subclasses of the scalar types, other mappings: the
    standard library's own conversions."""
    for value in ({1: "a", None: [], False: {}, 2.5: 0}, {"k": Name("v"), "n": Count(3)},
                  [OrderedDict(a=1)], {"deep": [{"x": (1, 2)}, {1: 2}]}):
        _same(value)


def test_the_corners_of_the_format() -> None:
    for value in ({}, [], (), "", {"a": {}}, [[]], {"s": "é\u2028\"\\\n\x00\ud800"}, math.nan, -math.inf,
                  1e300, -0.0, 10**30, [None, True, False]):
        _same(value)
