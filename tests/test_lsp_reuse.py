"""The editor's reuse of its last check gives what a fresh check gives.

After each keystroke the language server re-parses only the statements an edit touched
(:mod:`pafix.syntax.incremental`), lets the analysis take over the plans of the calls whose
text is unchanged (``check_flow(reuse=...)``) and the diagnostics of the findings above the edit
(:class:`pafix.lsp.convert.DiagnosticMemo`). Random edit sequences on real flows: after every
edit, findings, parse errors and diagnostics equal those of a check of the text from scratch.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pafix.lsp.convert import DiagnosticMemo, diagnostics
from pafix.lsp.lint import LintResult, lint_text
from pafix.lsp.positions import LineIndex

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
URI = "file:///buffer.robin"
#: what the edits type: letters, quotes, a percent sign, spaces, line breaks
ALPHABET = "xyz0 '%\n=$"


def _edit(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    roll = rng.random()
    if roll < 0.45:
        return text[:at] + rng.choice(ALPHABET) + text[at:]
    if roll < 0.75:
        return text[:at] + text[at + rng.randint(1, 3):]
    # a whole line duplicated or removed: statements appear and disappear
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    end = len(text) if end < 0 else end + 1
    return text[:start] + text[start:end] * rng.choice((0, 2)) + text[end:]


def _same(got: LintResult, want: LintResult) -> None:
    assert got.findings == want.findings
    assert got.parse_errors == want.parse_errors


def check_edits(text: str, seed: int, edits: int) -> int:
    """Edit ``text`` ``edits`` times; returns how many checks took plans over from the last."""
    rng = random.Random(seed)
    memo = DiagnosticMemo()
    last = lint_text(text, "buffer.robin")
    diagnostics(URI, 1, last, LineIndex(text), "utf-16", suppress=False, memo=memo)
    reused = 0
    for version in range(2, edits + 2):
        text = _edit(text, rng)
        previous = last.checked
        got = lint_text(text, "buffer.robin", previous=previous.flow if previous else None, reuse=previous)
        want = lint_text(text, "buffer.robin")
        _same(got, want)
        index = LineIndex(text)
        assert diagnostics(URI, version, got, index, "utf-16", suppress=False, memo=memo) == \
            diagnostics(URI, version, want, index, "utf-16", suppress=False)
        if previous is not None and got.checked is not None:
            old = previous.analysis._plans.values()
            reused += any(p in old for p in got.checked.analysis._plans.values())
        last = got
    return reused


EXAMPLES = sorted((ROOT / "examples").glob("*.robin"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_random_edits_on_examples_match_a_fresh_check(path: Path) -> None:
    check_edits(path.read_text(encoding="utf-8"), seed=len(path.name), edits=25)


def test_a_keystroke_below_every_call_reuses_every_plan() -> None:
    text = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    first = lint_text(text, "buffer.robin")
    assert first.checked is not None
    edited = text + "# typed at the end\n"
    again = lint_text(edited, "buffer.robin", previous=first.checked.flow, reuse=first.checked)
    assert again.checked is not None and again.checked.analysis._plans
    plans = again.checked.analysis._plans
    assert all(p is first.checked.analysis._plans.get(k) for k, p in plans.items())
    _same(again, lint_text(edited, "buffer.robin"))
    # the diagnostics of the findings above the edit are the last check's, but for the version
    memo = DiagnosticMemo()
    before = diagnostics(URI, 1, first, LineIndex(text), "utf-16", suppress=False, memo=memo)
    after = diagnostics(URI, 2, again, LineIndex(edited), "utf-16", suppress=False, memo=memo)
    assert again.findings and len(after) == len(before)
    assert all(a["data"]["v"] == 2 for a in after)
    # (a finding whose fix edits text below the edit is converted again)
    assert any(a["range"] is b["range"] for a, b in zip(after, before))


def test_reuse_across_files_or_configs_is_refused() -> None:
    text = EXAMPLES[0].read_text(encoding="utf-8")
    first = lint_text(text, "buffer.robin")
    other = lint_text(text, "other.robin", reuse=first.checked)
    assert other.checked is not None and first.checked is not None
    assert not any(p in first.checked.analysis._plans.values() for p in other.checked.analysis._plans.values())


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_random_edits_on_corpus_flows_match_a_fresh_check() -> None:
    flows = sorted(CORPUS.glob("*.robin"))
    picked = random.Random(16).sample(flows, min(10, len(flows)))
    reused = 0
    for i, path in enumerate(picked):
        reused += check_edits(path.read_text(encoding="utf-8", errors="surrogateescape"), seed=i, edits=8)
    assert reused > 0
