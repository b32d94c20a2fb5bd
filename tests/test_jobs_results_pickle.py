"""A pool's workers send their results as calls of the result classes with their field
values (``cli.result_pickle``), not through the dataclasses' generated ``__setstate__``,
which lists the class's fields again for every object it unpickles (issue 16, round 8)."""

from __future__ import annotations

import pickle

import pytest

from pafix.cli.result_pickle import RESULT_CLASSES, dumps_results
from pafix.findings import Edit, FileResult, Finding, Fix, SourceError, TraceStep


def _results() -> list[tuple[int, list[FileResult]]]:
    finding = Finding("PAF101", "sensitive-value-in-plain-variable", "error", "Password is shown", 3, 1, 3, 20,
                      start=40, end=59, subflow="Login", variable="Password",
                      trace=(TraceStep(2, 5, "set here", 10, 20), TraceStep(9, 1, "used", 0, 0, flow="Child")),
                      fix=Fix((Edit(0, 0, "@SENSITIVE: [Password]\n"), Edit(5, 9, "x")), "safe", "mark it"),
                      fingerprint="abc", flow="Parent", kind="credential", confidence="medium")
    hidden = Finding("PAF104", "hardcoded-secret", "warning", "a key", 1, 1, 1, 5)
    return [(0, [FileResult("a.robin", (finding,), (), 12, None, (hidden,))]),
            (3, [FileResult("b.zip", (), (SourceError("cannot parse", 2, 3, "Flow1"),), 0, "Flow1")])]


def test_results_come_back_whole() -> None:
    sent = _results()
    back = pickle.loads(dumps_results(sent))
    assert back == sent
    assert [r.suppressed for _, rs in back for r in rs] == [r.suppressed for _, rs in sent for r in rs]


def test_no_result_is_rebuilt_through_setstate(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object, state: object) -> None:
        raise AssertionError(f"{type(self).__name__} unpickled through __setstate__")

    for cls in RESULT_CLASSES:
        monkeypatch.setattr(cls, "__setstate__", refuse)
    assert pickle.loads(dumps_results(_results())) == _results()
    with pytest.raises(AssertionError):  # what plain pickle does
        pickle.loads(pickle.dumps(_results()))
