"""The reverse pass (``analysis/taint/reverse.py``) gathers the reads of fresh data only for
the variables whose content becomes a sensitive one: a 20,001-line flow has ~7,000 reads, of
a few such variables, and gathering all of them was half of the pass on every keystroke."""

from __future__ import annotations

from typing import Any

import pytest

from pafix.analysis.taint import reverse
from pafix.core import check_source

# (the form of fixtures/rules/PAF101/pos_raw_data_before_sensitive_output.robin)
READS = """@SENSITIVE: [Output_Config]
File.ReadTextFromFile.ReadText File: $'''C:\\\\a.json''' Encoding: File.TextFileEncoding.UTF8 Content=> Unrelated
File.ReadTextFromFile.ReadText File: $'''C:\\\\b.json''' Encoding: File.TextFileEncoding.UTF8 Content=> ConfigData
"""


class _Watched(tuple):  # type: ignore[type-arg]
    """A part's reads that note being walked."""

    walked: list[int] = []

    def __iter__(self) -> Any:
        _Watched.walked.append(len(self))
        return super().__iter__()


def _watch(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    original = reverse._part
    walked: list[int] = []
    _Watched.walked = walked

    def part(*args: Any) -> Any:
        count, steps, reads = original(*args)
        return count, steps, _Watched(reads)

    monkeypatch.setattr(reverse, "_part", part)
    return walked


def test_no_reads_are_gathered_when_no_variable_becomes_a_sensitive_one(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = _watch(monkeypatch)
    found = check_source(READS, "reads.robin")
    assert not [f for f in found.findings if f.rule == "PAF101"]
    assert walked == []


def test_the_reads_of_a_variable_that_becomes_one_are_still_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = _watch(monkeypatch)
    found = check_source(READS + "SET Output_Config TO ConfigData\n", "reads.robin")
    assert [(f.rule, f.line, f.variable) for f in found.findings if f.rule == "PAF101"] == [("PAF101", 3, "ConfigData")]
    assert walked
