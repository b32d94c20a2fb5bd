"""The rules against their fixtures (snapshots), and what every rule must be.

Fixtures live in ``fixtures/rules/PAFxxx/{pos,neg}_<case>.robin``; their expected findings
are in ``<case>.expected`` (see ``tests/snapshots.py``; ``python tests/snapshots.py --update``
rewrites them).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import snapshots
from pafix.fixes.edits import apply_edits
from pafix.findings import SEVERITIES, Finding
from pafix.syntax.parser import parse
from pafix.rules import BY_CODE, RULES, Rule

CASES = snapshots.cases()
IDS = [snapshots.case_id(p) for p in CASES]

CODE_RE = re.compile(r"PAF\d{3}")
KEBAB_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
# Ruff's naming convention: a name states what is found, not what to do about it
BANNED_NAME_RES = tuple(
    re.compile(p)
    for p in (r"^avoid-", r"^do-not-", r"^use-", r"^prefer-", r"^consider-", r"^rewrite-", r"^uses-", r"-used$")
)
DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety")


def _role(path: Path) -> str:
    return path.stem.split("_", 1)[0]


# ---- fixtures ------------------------------------------------------------------------------


def test_fixtures_exist() -> None:
    assert CASES, f"no fixtures under {snapshots.FIXTURES}"
    assert not snapshots.orphans(), f"snapshots without a fixture; run: {snapshots.UPDATE_HINT}"


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_findings_match_snapshot(path: Path) -> None:
    diff = snapshots.difference(path)
    assert diff is None, (
        f"findings of {snapshots.case_id(path)} differ from its snapshot:\n{diff}\n"
        f"If the new findings are right, run: {snapshots.UPDATE_HINT} (and review the diff)"
    )


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_fixture_role(path: Path) -> None:
    """A ``pos_`` case has a finding of its folder's rule, a ``neg_`` case has none; both parse."""
    code = path.parent.name
    assert code in BY_CODE, f"{path.parent} is not named after a rule code"
    result = snapshots.check(path)
    assert not result.errors, f"fixture does not parse: {result.errors}"
    codes = {f.rule for f in result.findings}
    role = _role(path)
    assert role in ("pos", "neg"), f"name fixtures pos_<case> or neg_<case>, not {path.name}"
    if role == "pos":
        assert code in codes, f"positive fixture has no {code} finding (found: {sorted(codes)})"
    else:
        assert code not in codes, f"negative fixture has a {code} finding"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_rule_has_positive_and_negative_fixtures(rule: type[Rule]) -> None:
    mine = [p for p in CASES + snapshots.metadata_cases() if p.parent.name == rule.code]
    roles = {_role(p) for p in mine}
    assert "pos" in roles, f"{rule.code} has no positive fixture in fixtures/rules/{rule.code}/pos_*.robin"
    assert "neg" in roles, f"{rule.code} has no negative fixture in fixtures/rules/{rule.code}/neg_*.robin"


def test_no_fixture_folder_without_a_rule() -> None:
    folders = {p.name for p in snapshots.FIXTURES.iterdir() if p.is_dir()}
    assert folders <= set(BY_CODE), f"fixture folders for unknown rules: {sorted(folders - set(BY_CODE))}"


# ---- suppressions --------------------------------------------------------------------------

#: fixtures whose suppression comments hide findings: case -> rules of the hidden findings
SUPPRESSED = {
    "PAF101/neg_ignore_file": {"PAF101"},
    "PAF101/neg_strong_update": {"PAF101"},
    "PAF102/neg_suppressed_message_box": {"PAF102"},
    "PAF102/pos_suppression_covers_one_statement": {"PAF102"},
    "PAF106/neg_overwritten_before_exit": {"PAF101"},
    "PAF902/neg_used_suppressions": {"PAF101", "PAF102", "PAF104"},
    "PAF902/pos_partly_unused_codes": {"PAF102"},
}
SUPPRESSION_COMMENT = re.compile(r"^[ \t]*# pafix: ignore.*(?:\r?\n|$)", re.M)


def test_every_suppressing_fixture_is_listed() -> None:
    listed = {snapshots.case_id(p) for p in CASES if snapshots.check(p).suppressed}
    assert listed == set(SUPPRESSED)


@pytest.mark.parametrize("case", sorted(SUPPRESSED))
def test_suppression_hides_real_findings(case: str) -> None:
    """Not vacuous: the hidden findings exist, and come back without the comments."""
    path = snapshots.FIXTURES / f"{case}.robin"
    result = snapshots.check(path)
    assert {f.rule for f in result.suppressed} == SUPPRESSED[case]
    if not case.startswith("PAF902/pos_"):  # those cases also hold an unused code on purpose
        assert not {f.rule for f in result.findings} & {"PAF902"}, "a suppression here is unused"
    text = snapshots.read_text(path)
    bare = SUPPRESSION_COMMENT.sub("", text)
    assert bare != text
    unsuppressed = snapshots.check(path, bare)
    assert SUPPRESSED[case] <= {f.rule for f in unsuppressed.findings}
    assert not unsuppressed.suppressed


# ---- fixes ---------------------------------------------------------------------------------


def _key(f: Finding) -> tuple[str, str, str | None]:
    return (f.rule, f.subflow, f.variable)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_fix_safety_matches_rule(path: Path) -> None:
    for f in snapshots.check(path).findings:
        if f.fix is not None:
            assert BY_CODE[f.rule].fix_safety is not None, f"{f.rule} declares no fix but offers one"
            assert f.fix.safety == BY_CODE[f.rule].fix_safety, f"{f.rule} offers a {f.fix.safety} fix"
            assert f.fix.edits, f"{f.rule} offers a fix without edits"


FIXABLE = [p for p in CASES if any(f.fix and f.fix.safety == "safe" for f in snapshots.check(p).findings)]


def test_some_fixtures_have_safe_fixes() -> None:
    assert FIXABLE, "no fixture exercises a safe fix"


@pytest.mark.parametrize("path", FIXABLE, ids=[snapshots.case_id(p) for p in FIXABLE])
def test_safe_fixes_remove_their_finding(path: Path) -> None:
    text = snapshots.read_text(path)
    for finding in snapshots.check(path).findings:
        if finding.fix is None or finding.fix.safety != "safe":
            continue
        fixed = apply_edits(text, finding.fix.edits)
        assert fixed != text
        parse(fixed, str(path))  # raises ParseError if the fix broke the flow
        after = snapshots.check(path, fixed)
        assert not after.errors
        left = [f for f in after.findings if _key(f) == _key(finding)]
        assert not left, (
            f"after '{finding.fix.description}' the finding is still there: "
            f"{finding.line}:{finding.column} {finding.rule} {finding.message}"
        )


# ---- rule metadata -------------------------------------------------------------------------


def test_codes_are_unique_and_registered() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes)), "duplicate rule codes"
    assert codes == sorted(codes), "RULES is not in code order"
    assert set(BY_CODE) == set(codes)
    assert all(BY_CODE[r.code] is r for r in RULES)
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)), "duplicate rule names"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata(rule: type[Rule]) -> None:
    assert CODE_RE.fullmatch(rule.code), f"{rule.code!r} is not PAF + three digits"
    assert KEBAB_RE.fullmatch(rule.name), f"{rule.name!r} is not kebab-case"
    for banned in BANNED_NAME_RES:
        assert not banned.search(rule.name), f"{rule.name!r} matches Ruff's banned name pattern {banned.pattern!r}"
    assert rule.severity in SEVERITIES
    assert rule.fix_safety in (None, "safe", "unsafe")


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docstring_sections(rule: type[Rule]) -> None:
    doc = inspect.cleandoc(rule.__doc__ or "")
    lines = doc.splitlines()
    positions = []
    for section in DOC_SECTIONS:
        assert section in lines, f"{rule.code} docstring lacks a '{section}' section"
        positions.append(lines.index(section))
    assert positions == sorted(positions), f"{rule.code} docstring sections are out of order"
    for section, start in zip(DOC_SECTIONS, positions):
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        assert any(line.strip() for line in lines[start + 1 : end]), f"{rule.code}: '{section}' is empty"
    info = rule.info()
    assert info.code == rule.code and info.name == rule.name
    assert info.summary and not info.summary.startswith("#"), f"{rule.code} docstring has no summary line"
    assert info.doc == doc
