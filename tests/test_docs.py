"""``docs/rules.md`` is generated from the rule docstrings and must be up to date."""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from pafix.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gen_rule_docs.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_rule_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def test_rules_md_is_up_to_date() -> None:
    expected = GEN.generate()
    current = GEN.OUTPUT.read_text(encoding="utf-8") if GEN.OUTPUT.is_file() else ""
    if current != expected:
        diff = "".join(difflib.unified_diff(
            current.splitlines(keepends=True), expected.splitlines(keepends=True),
            "docs/rules.md (stored)", "docs/rules.md (generated)", n=1,
        ))
        raise AssertionError(
            f"docs/rules.md is out of date with the rule docstrings; regenerate it with:\n"
            f"    {GEN.REGENERATE}\n\n{diff}"
        )


def test_rules_md_has_every_rule() -> None:
    text = GEN.generate()
    for rule in RULES:
        code = rule.code.lower()
        assert f'<a id="{code}"></a>' in text  # the language server links to rules.md#paf101
        assert f"| [{rule.code}](#{code}) | `{rule.name}` |" in text
        assert f"\n## {rule.code} {rule.name}\n" in text
        assert "\n### What it does\n" in text


def test_code_blocks_are_not_demoted() -> None:
    # PAF902's example is a Robin comment, which starts with '#' inside a code fence
    assert "\n# pafix: ignore[PAF102]" in GEN.generate()
    assert GEN.demote("# A\n```\n# kept\n```\n## B") == "## A\n```\n# kept\n```\n### B"


def test_no_top_level_heading_but_the_title() -> None:
    text = GEN.generate()
    fenced = False
    titles = []
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"# ", line):
            titles.append(line)
    assert titles == ["# Rules"]
