"""Fuzzing with Hypothesis (issue 9): random and mutated flows must never crash pafix.

The properties are in ``tests/fuzz_checks.py`` and the inputs in ``tests/mutations.py`` (random
valid flows, windows of the real flows in ``fixtures/corpus``, deeply nested blocks, mutated by
line, character and byte). This file runs a few hundred examples per run; for a long run use
``python tests/fuzz/run_fuzz.py --minutes N``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_checks as F
from mutations import as_text, mutated_bytes, mutated_flows, nested_flows
from pafix.syntax.textio import DecodeError, decode, encode

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.filter_too_much])


@settings(FUZZ, max_examples=100)
@given(st.one_of(mutated_flows(), mutated_bytes().map(as_text)))
def test_parse_raises_only_parse_errors(text: str) -> None:
    F.check_parse(text)


@settings(FUZZ, max_examples=60)
@given(mutated_flows())
def test_parse_recover_never_raises_and_keeps_the_text(text: str) -> None:
    F.check_recover(text)


@settings(FUZZ, max_examples=100)
@given(st.one_of(mutated_flows(max_depth=300), mutated_bytes().map(as_text)))
def test_check_source_never_raises(text: str) -> None:
    F.check_core(text)


@settings(FUZZ, max_examples=60)
@given(mutated_flows(max_depth=100), st.booleans())
def test_rewrite_never_raises_and_its_output_parses(text: str, unsafe: bool) -> None:
    F.check_rewrite(text, unsafe)


@settings(FUZZ, max_examples=25)
@given(mutated_bytes(max_depth=100))
def test_cli_exits_cleanly(data: bytes) -> None:
    F.check_cli(data)


@settings(FUZZ, max_examples=150)
@given(st.one_of(st.binary(max_size=64), mutated_bytes(max_lines=10)))
def test_decode_is_exact_or_refuses(data: bytes) -> None:
    """Bytes either decode to text that encodes back to exactly those bytes, or are refused."""
    try:
        decoded = decode(data, "fuzz.robin")
    except DecodeError as exc:
        assert "\n" not in str(exc)
        return
    assert encode(decoded.text, decoded) == data


@settings(FUZZ, max_examples=5)
@given(nested_flows(max_depth=400))
def test_deep_nesting_is_checked(text: str) -> None:
    """Deeper than the default recursion limit allows (10,000 levels: test_hostile_files.py)."""
    F.check_core(text)
    F.check_rewrite(text, False)


def test_parse_recover_of_a_deep_broken_flow() -> None:
    text = "IF x = 1 THEN\n" * 3_000 + "SET y TO\n" + "END\n" * 3_000
    F.check_recover(text)
