"""Precision and recall of pafix on real flows, against the hand-labelled truth set in ``quality/``.

The truth set labels every finding pafix reports on the real corpus (``../shared/corpus/real``,
``../shared/corpus/solutions``) and on the real flows kept in ``fixtures/realworld``, true (TP)
or false (FP) with a one-line reason, and lists the exposures a reader found that pafix misses.
See docs/quality.md.

    python scripts/quality.py              # precision/recall table (exit 1 when labels are stale)
    python scripts/quality.py --unlabelled # print findings that have no label, as JSON lines
    python scripts/quality.py --stale      # print labels whose finding is gone

A finding is identified by its file, flow, subflow, line, rule and variable (no fingerprint: a
reviewer reads these files, and the corpus never changes under the labels).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUALITY = ROOT / "quality"
CORPUS = ROOT.parent / "shared" / "corpus"
REALWORLD = ROOT / "fixtures" / "realworld"
#: the confidence a default scan reports (the truth set also labels what only --min-confidence low shows)
DEFAULT_CONFIDENCE = ("high", "medium")

Key = tuple[str, str | None, str, int, str, str | None]


@dataclass(frozen=True)
class Label:
    key: Key
    verdict: str  #: "TP" or "FP"
    kind: str
    reason: str


def label_key(item: dict[str, object]) -> Key:
    line = item["line"]
    assert isinstance(line, int)
    return (str(item["file"]), _opt(item.get("flow")), str(item.get("subflow") or "Main"), line,
            str(item["rule"]), _opt(item.get("variable")))


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def read_jsonl(paths: Iterable[Path]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{number}: {exc}") from exc
    return out


def labels() -> dict[Key, Label]:
    out: dict[Key, Label] = {}
    for item in read_jsonl(sorted(QUALITY.glob("labels*.jsonl"))):
        key = label_key(item)
        verdict = str(item["verdict"])
        if key in out and out[key].verdict != verdict:  # two findings of one statement, one rule, one variable
            raise SystemExit(f"contradicting labels: {key}")
        if verdict not in ("TP", "FP"):
            raise SystemExit(f"verdict must be TP or FP: {key}")
        out[key] = Label(key, verdict, str(item.get("kind")), str(item.get("reason")))
    return out


def missed() -> list[dict[str, object]]:
    return read_jsonl(sorted(QUALITY.glob("missed*.jsonl")))


def found_elsewhere(miss: dict[str, object], truth: dict[Key, "Label"], found: set[Key]) -> bool:
    """A miss of a loose file that only the solution can show (``"scope": "solution"``) counts as
    found when the solution's finding it names (``found_as``) is reported and labelled TP."""
    target = miss.get("found_as")
    if miss.get("scope") != "solution" or not isinstance(target, dict):
        return False
    key = label_key(target)
    lab = truth.get(key)
    return key in found and lab is not None and lab.verdict == "TP"


def truth_file(path: str) -> str:
    """The ``file`` a label uses for a path in the JSON report."""
    p = Path(path).resolve()
    for base, prefix in ((CORPUS.resolve(), ""), (ROOT, "")):
        try:
            return prefix + p.relative_to(base).as_posix()
        except ValueError:
            continue
    return path


def scan(paths: Sequence[Path]) -> list[dict[str, object]]:
    """Every finding of a default-configuration scan of ``paths``, at every confidence."""
    cmd = [sys.executable, "-m", "pafix", "scan", "--format", "json", "--no-cache",
           "--min-confidence", "low", *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    # 2 with a report: some corpus file does not parse (it is reported as an error, and the
    # findings of every other file are still there); 2 without one is a usage error
    if done.returncode not in (0, 1, 2) or not done.stdout.lstrip().startswith("{"):
        raise SystemExit(f"pafix scan failed ({done.returncode}): {done.stderr}")
    report = json.loads(done.stdout)
    findings: list[dict[str, object]] = report["findings"]
    return findings


def truth_roots() -> list[Path]:
    return [CORPUS / "real", CORPUS / "solutions", REALWORLD]


def finding_key(f: dict[str, object]) -> Key:
    return label_key({**f, "file": truth_file(str(f["path"]))})


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass(frozen=True)
class Comparison:
    unlabelled: list[dict[str, object]]  #: findings with no label
    stale: list[Label]  #: labels with no finding
    by_rule: dict[str, Score]  #: at the default confidence
    overall: Score
    low: Score  #: findings only --min-confidence low shows
    missed: int  #: exposures the readers found that pafix does not report
    found_in_solution: int  #: misses of a loose file that the solution's scan reports


def compare(findings: list[dict[str, object]], truth: dict[Key, Label], misses: list[dict[str, object]]) -> Comparison:
    seen: dict[Key, dict[str, object]] = {}
    for f in findings:
        seen.setdefault(finding_key(f), f)
    unlabelled = [f for k, f in seen.items() if k not in truth]
    stale = [lab for k, lab in truth.items() if k not in seen]
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    low = Counter[str]()
    for key, f in seen.items():
        lab = truth.get(key)
        if lab is None:
            continue
        if f.get("confidence", "high") in DEFAULT_CONFIDENCE:
            (tp if lab.verdict == "TP" else fp)[key[4]] += 1
        else:
            low[lab.verdict] += 1
    rules = sorted(set(tp) | set(fp))
    by_rule = {r: Score(tp[r], fp[r]) for r in rules}
    overall = Score(sum(tp.values()), sum(fp.values()))
    elsewhere = sum(1 for m in misses if found_elsewhere(m, truth, set(seen)))
    return Comparison(unlabelled, stale, by_rule, overall, Score(low["TP"], low["FP"]), len(misses) - elsewhere,
                      elsewhere)


def table(c: Comparison) -> str:
    lines = ["| rule | TP | FP | precision |", "|---|---|---|---|"]
    for rule, s in c.by_rule.items():
        lines.append(f"| {rule} | {s.tp} | {s.fp} | {s.precision:.1%} |")
    o = c.overall
    lines.append(f"| **all** | **{o.tp}** | **{o.fp}** | **{o.precision:.1%}** |")
    found = o.tp
    lines.append("")
    lines.append(f"recall on labelled exposures: {found} found, {c.missed} missed "
                 f"({found / (found + c.missed):.1%})" if found + c.missed else "no exposures labelled")
    lines.append(f"loose-file exposures only a solution shows, found there: {c.found_in_solution}")
    lines.append(f"low confidence (shown with --min-confidence low): {c.low.tp} TP, {c.low.fp} FP")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unlabelled", action="store_true", help="print findings without a label")
    parser.add_argument("--stale", action="store_true", help="print labels without a finding")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    c = compare(scan(truth_roots()), labels(), missed())
    if args.unlabelled:
        for f in c.unlabelled:
            k = finding_key(f)
            print(json.dumps({"file": k[0], "flow": k[1], "subflow": k[2], "line": k[3], "rule": k[4],
                              "variable": k[5], "confidence": f.get("confidence"), "message": f["message"]}))
    if args.stale:
        for lab in c.stale:
            print(json.dumps({"key": lab.key, "verdict": lab.verdict, "reason": lab.reason}))
    print(table(c), file=sys.stderr if (args.unlabelled or args.stale) else sys.stdout)
    return 1 if c.unlabelled or c.stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
