"""Property tests on random valid flows written by ``strategies.flows()``.

Every generated text parses, the tree accounts for every character of it (the real
losslessness check: statement spans are ordered, nested and cover everything but blanks), and
the canonical printer's output parses back to the same tree.
"""

from __future__ import annotations

from hypothesis import given, settings

from pafix.syntax.parser import parse, parse_expression
from pafix.syntax.unparse import unparse
from strategies import assert_lossless, expressions, flows


@settings(max_examples=200, deadline=None)
@given(flows())
def test_generated_flow(text: str) -> None:
    flow = parse(text)
    assert_lossless(flow, text)  # includes flow.code == text
    recovered = parse(text, recover=True)
    assert recovered == flow and recovered.errors == ()

    canonical = unparse(flow)
    again = parse(canonical)
    assert again == flow
    assert unparse(again) == canonical  # the canonical form is a fixed point


@settings(max_examples=200, deadline=None)
@given(expressions())
def test_generated_expression(text: str) -> None:
    expr = parse_expression(text)
    assert parse_expression(unparse(expr)) == expr
