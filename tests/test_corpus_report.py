"""No speed bought with findings: the JSON report of the corpus is the committed snapshot.

The scan is the one of issue 16::

    pafix scan --format json --no-cache --min-confidence low ../shared/corpus/real ../shared/corpus/solutions fixtures/

run from the checkout, compared with ``tests/data/corpus_report.json`` but for the ``seconds``
stat. An optimisation must leave it byte for byte identical; a deliberate change of findings
(a rule, a message, a new fixture) regenerates it, and the diff is reviewed like any snapshot::

    python tests/test_corpus_report.py --update
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "data" / "corpus_report.json"
CORPUS = ROOT.parent / "shared" / "corpus"
SCAN = ["scan", "--format", "json", "--no-cache", "--min-confidence", "low",
        "../shared/corpus/real", "../shared/corpus/solutions", "fixtures/"]


def corpus_report(*extra: str) -> dict[str, Any]:
    """The report of the scan above (``extra`` options added), without its ``seconds`` stat."""
    proc = subprocess.run([sys.executable, "-m", "pafix", *SCAN, *extra], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", check=False,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode in (0, 1, 2), proc.stderr  # fixtures/errors holds flows that do not parse
    doc: dict[str, Any] = json.loads(proc.stdout)
    doc["stats"].pop("seconds", None)
    return doc


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "real").is_dir(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_corpus_report_is_the_snapshot(jobs: str) -> None:
    got = render(corpus_report("--jobs", jobs))
    want = SNAPSHOT.read_text(encoding="utf-8")
    if got != want:  # a short message: the whole report is ~300 kB
        import difflib
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "snapshot", "scan"))[:80])
        pytest.fail(f"the corpus report changed (python tests/test_corpus_report.py --update if deliberate):\n{diff}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        raise SystemExit("usage: python tests/test_corpus_report.py --update")
    SNAPSHOT.write_text(render(corpus_report()), encoding="utf-8")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
