"""The hand-labelled truth set (quality/): findings on real flows may change only with their labels.

Like Ruff's ecosystem snapshots: a change that adds, removes or moves a finding on the real
corpus fails here until ``quality/labels*.jsonl`` says whether the new finding is true or false
(``python scripts/quality.py --unlabelled`` / ``--stale`` list what to label). On top of the
snapshot, the precision and recall targets of docs/quality.md are asserted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import quality  # noqa: E402

pytestmark = pytest.mark.corpus

TARGET_PRECISION = 0.95
MIN_FINDINGS_PER_RULE = 5


@pytest.fixture(scope="module")
def findings() -> list[dict[str, object]]:
    if not quality.CORPUS.is_dir():
        pytest.skip("../shared/corpus is not here")
    return quality.scan(quality.truth_roots())


@pytest.fixture(scope="module")
def comparison(findings: list[dict[str, object]]) -> quality.Comparison:
    return quality.compare(findings, quality.labels(), quality.missed())


def test_every_finding_is_labelled(comparison: quality.Comparison) -> None:
    unlabelled = [
        f"{quality.finding_key(f)} {f['message']}" for f in comparison.unlabelled
    ]
    assert not unlabelled, "label these findings in quality/labels*.jsonl:\n" + "\n".join(unlabelled)


def test_no_label_is_stale(comparison: quality.Comparison) -> None:
    stale = [f"{lab.key} {lab.verdict}: {lab.reason}" for lab in comparison.stale]
    assert not stale, "these labelled findings are gone (a TP lost is a recall loss):\n" + "\n".join(stale)


def test_precision_overall_and_per_rule(comparison: quality.Comparison) -> None:
    assert comparison.overall.precision >= TARGET_PRECISION, quality.table(comparison)
    for rule, score in comparison.by_rule.items():
        if score.tp + score.fp >= MIN_FINDINGS_PER_RULE:
            assert score.precision >= TARGET_PRECISION, f"{rule}\n{quality.table(comparison)}"


def test_every_labelled_exposure_is_found(findings: list[dict[str, object]]) -> None:
    found = {quality.finding_key(f) for f in findings}
    truth = quality.labels()
    misses = [json.dumps(m) for m in quality.missed() if not quality.found_elsewhere(m, truth, found)]
    assert not misses, "exposures pafix misses (quality/missed*.jsonl):\n" + "\n".join(misses)


def test_labels_are_well_formed() -> None:
    for item in quality.read_jsonl(sorted(quality.QUALITY.glob("labels*.jsonl"))):
        assert item["verdict"] in ("TP", "FP"), item
        assert item["kind"] in ("credential", "sensitive-data", "none"), item
        assert str(item.get("reason") or "").strip(), item
