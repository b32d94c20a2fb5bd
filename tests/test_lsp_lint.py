"""The language server's pure parts, in process: linting a buffer, fix all, suppression edits,
diagnostics JSON, hover texts and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataclasses import replace

from pafix.config import DEFAULT
from pafix.lsp import lint as lint_mod
from pafix.lsp.hover import name_at, variable_hover
from pafix.lsp.lint import StatementLocator, fix_all, fix_all_fallback, lint_text, safe_fixes, suppression_insert
from pafix.lsp.positions import LineIndex
from pafix.lsp.settings import ConfigCache, Settings, merge_settings

ROOT = Path(__file__).resolve().parents[1]
EVERY_CONFIDENCE = replace(DEFAULT, min_confidence="low")

SNIPPET = """\
Display.InputDialog Title: $'''Login''' Message: $'''pw''' InputType: Display.InputType.Password IsTopMost: True UserInput=> Pw ButtonPressed=> B
SET A TO Pw
SET C TO $'''x%Pw%'''
"""

NESTED = """\
@SENSITIVE: [Password]
@INPUT Password : { 'Description': 'db', 'FriendlyName': 'Password', 'Type': 'String', 'IsOptional': False, 'DefaultValue': '' }
LOOP FOREACH Item IN Items
\tIF Item = 1 THEN
\t    SET ConnString TO $'''Server=db;Password=%Password%'''
\tEND
END
"""


def test_lint_from_the_previous_version_reuses_its_statements() -> None:
    """The server passes the last parse: the edited buffer is re-parsed incrementally, with the
    findings of a whole parse, and the statements before the edit are the old objects."""
    first = lint_text(SNIPPET + NESTED.split("\n", 2)[2], "a.robin", EVERY_CONFIDENCE)
    assert first.checked is not None
    text = first.text.replace("SET C TO", "SET  C TO")
    again = lint_text(text, "a.robin", EVERY_CONFIDENCE, previous=first.checked.flow)
    whole = lint_text(text, "a.robin", EVERY_CONFIDENCE)
    assert again.findings == whole.findings and again.findings
    assert again.checked is not None and again.checked.flow.body[0] is first.checked.flow.body[0]
    other = lint_text(text, "b.robin", previous=first.checked.flow)  # another file: parsed whole
    assert other.checked is not None and other.checked.flow.body[0] is not first.checked.flow.body[0]


def test_broken_buffer_is_still_checked() -> None:
    text = "SET Other TO\n" + NESTED
    result = lint_text(text, "x.robin")
    assert result.broken
    [problem] = result.parse_errors
    assert (problem.start, problem.end) == (0, len("SET Other TO"))
    assert "PAF101" in {f.rule for f in result.findings}


def test_fallback_makes_one_sensitive_line_for_several_fixes() -> None:
    flow = "@@DisplayName: 'Login'\n" + SNIPPET  # a header: not a snippet's low-confidence findings
    result = lint_text(flow, "s.txt")
    assert len(safe_fixes(result.findings)) == 3  # each would create its own @SENSITIVE line
    fixed = fix_all_fallback(flow, "s.txt", DEFAULT, result)
    assert "@SENSITIVE: [Pw, A, C]" in fixed.splitlines()
    assert fixed.count("@SENSITIVE") == 1
    assert safe_fixes(lint_text(fixed, "s.txt").findings) == []


def test_fix_all_leaves_low_confidence_findings_alone() -> None:
    """A header-less snippet's findings are low confidence (the flow it came from may mark the
    variables sensitive): shown when asked for, never fixed by "fix all"."""
    every = lint_text(SNIPPET, "s.txt", EVERY_CONFIDENCE)
    assert every.findings and {f.confidence for f in every.findings} == {"low"}
    assert lint_text(SNIPPET, "s.txt").findings == ()
    assert fix_all(SNIPPET, "s.txt", EVERY_CONFIDENCE).text == SNIPPET
    assert fix_all_fallback(SNIPPET, "s.txt", EVERY_CONFIDENCE, every) == SNIPPET


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.robin")) + [ROOT / "examples" / "login-snippet.txt"])
def test_fallback_and_rewriter_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    with_rewriter = fix_all(text, str(path))
    monkeypatch.setattr(lint_mod, "rewrite_text", None)
    without = fix_all(text, str(path))
    assert without.via == "fallback"
    assert safe_fixes(lint_text(without.text, str(path)).findings) == []
    if with_rewriter.via == "rewrite":
        assert with_rewriter.error is None
        assert with_rewriter.text == without.text


def test_broken_buffer_never_goes_to_the_rewriter(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("the rewriter must not see a broken document")

    monkeypatch.setattr(lint_mod, "rewrite_text", boom)
    text = "SET Other TO\n" + NESTED
    result = fix_all(text, "x.robin")
    assert result.via == "fallback"
    assert "@SENSITIVE: [Password, ConnString]" in result.text
    assert result.text.startswith("SET Other TO\n")


def test_rewriter_error_means_no_change(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refused:
        text = "ignored"
        changed = False
        error = "failed verification"

    monkeypatch.setattr(lint_mod, "rewrite_text", lambda *a, **k: Refused())
    result = fix_all(NESTED, "x.robin")
    assert (result.text, result.error) == (NESTED, "failed verification")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_suppression_goes_above_the_statement_with_its_indentation(newline: str) -> None:
    text = NESTED.replace("\n", newline)
    result = lint_text(text, "x.robin")
    assert result.checked is not None
    [leak] = [f for f in result.findings if f.rule == "PAF101"]
    at, line = suppression_insert(text, result.checked.flow, leak.start, "PAF101")
    assert line == f"\t    # pafix: ignore[PAF101] <reason>{newline}"
    suppressed = text[:at] + line + text[at:]
    assert suppressed.splitlines()[4] == "\t    # pafix: ignore[PAF101] <reason>"
    after = lint_text(suppressed, "x.robin")
    assert "PAF101" not in {f.rule for f in after.findings}
    assert "PAF902" not in {f.rule for f in after.findings}


def test_statement_locator_finds_the_innermost_statement() -> None:
    result = lint_text(NESTED, "x.robin")
    assert result.checked is not None
    locator = StatementLocator(result.checked.flow)
    set_at = NESTED.index("SET ConnString")
    assert type(locator.at(set_at + 5)).__name__ == "Set"
    assert type(locator.at(NESTED.index("IF Item"))).__name__ == "If"
    assert type(locator.at(NESTED.index("\tEND") + 2)).__name__ == "If"  # the IF's END
    assert type(locator.at(len(NESTED) - 2)).__name__ == "ForEach"
    assert locator.at(10_000) is None


def test_diagnostics_json() -> None:
    pytest.importorskip("lsprotocol")
    from pafix.lsp.convert import diagnostics, diff_edits

    text = "SET Other TO\r\n" + NESTED.replace("\n", "\r\n")
    result = lint_text(text, "x.robin")
    diags = diagnostics("file:///x.robin", 7, result, LineIndex(text), "utf-16")
    codes = [d["code"] for d in diags]
    assert codes[0] == "parse-error"
    leak = diags[codes.index("PAF101")]
    assert leak["range"]["start"] == {"line": 5, "character": 5}
    assert leak["codeDescription"]["href"].endswith("/docs/rules.md#paf101")
    assert leak["source"] == "pafix" and leak["severity"] == 1
    assert [r["location"]["range"]["start"]["line"] for r in leak["relatedInformation"]] == [2, 5]
    assert leak["data"]["v"] == 7
    assert set(leak["data"]) == {"v", "id", "confidence", "kind", "suppress"}  # no fix edits: see below
    assert leak["data"]["suppress"][0]["range"]["start"] == {"line": 5, "character": 0}
    # fix all as minimal line edits
    edits = diff_edits("a\nb\nc\n", "a\nB\nc\nd\n", "utf-16")
    assert [(e.range.start.line, e.range.end.line, e.new_text) for e in edits] == [(1, 2, "B\n"), (3, 3, "d\n")]


def test_diagnostics_carry_no_edits() -> None:
    """The server's diagnostics name their finding (``data.id``) and carry none of its edits:
    the quick fix and the removal of an unused suppression are made from the current check
    when a code action asks (a third of the bytes sent per keystroke, and a fix's edits name
    lines anywhere in the file). Every fixture of every rule; the edits made on demand are
    those of the finding."""
    pytest.importorskip("lsprotocol")
    from pafix.lsp.convert import diagnostics, fix_edits, removal_edits

    fixed = removed = 0
    for path in sorted((ROOT / "fixtures" / "rules").glob("PAF*/*.robin")):
        text = path.read_text(encoding="utf-8")
        result = lint_text(text, path.name)
        index = LineIndex(text)
        for diag, finding in zip(diagnostics("file:///x.robin", 3, result, index, "utf-16", suppress=False)[
                len(result.parse_errors):], result.findings, strict=True):
            assert set(diag["data"]) == {"v", "id", "confidence", "kind"}, path
            assert diag["data"]["id"] == finding.fingerprint
            edits = fix_edits(index, finding, "utf-16")
            assert len(edits) == (len(finding.fix.edits) if finding.fix is not None else 0)
            fixed += bool(edits)
            removed += bool(removal_edits(index, finding, "utf-16"))
    assert fixed > 20 and removed > 0  # the fixtures do exercise both


def test_hover_texts() -> None:
    text = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    result = lint_text(text, "smtp-report.robin")
    assert result.checked is not None

    def hover(needle: str, delta: int = 1) -> str:
        found = name_at(result.checked.flow, text.index(needle) + delta)  # type: ignore[union-attr]
        assert found is not None
        return variable_hover(result.checked, *found)  # type: ignore[arg-type]

    conn = hover("SET ConnString", 5)
    assert conn.startswith("**ConnString** is **not marked sensitive**, but")
    assert "holds a secret from SmtpPassword (line 7), stored at line 10" in conn
    assert conn.count("holds a secret from SmtpPassword") == 1
    pw = hover("%SmtpPassword%", 2)
    assert pw.startswith("**SmtpPassword** is sensitive")
    assert "declared in `@SENSITIVE` (line 5)" in pw
    assert "secret input variable (`@INPUT`, line 7)" in pw
    assert hover("QueryResult[0]").startswith("**QueryResult** is not sensitive")


def test_hover_on_credential_and_local_variables() -> None:
    text = """\
FUNCTION Login GLOBAL
    PowerAutomateSecretVariables.GetCredential Credential: 'crm' Timeout: 0 Credential=> Cred
    SET Copy TO Cred.Password
END FUNCTION
"""
    result = lint_text(text, "c.robin")
    assert result.checked is not None
    found = name_at(result.checked.flow, text.index("Cred\n") + 1)
    if found is None or "Cred" not in result.checked.analysis.credential_vars:
        pytest.skip("the catalogue does not treat this Get credential form as a credential")
    text_cred = variable_hover(result.checked, *found)
    assert "credential variable" in text_cred and "is sensitive" in text_cred


def test_settings_shapes() -> None:
    s = Settings()
    assert merge_settings(s, None) == s
    assert merge_settings(s, {"pafix": {"fixOnSave": True}}).fix_on_save
    assert merge_settings(s, {"pafix.fixOnSaveTimeoutMs": 20}).fix_on_save_timeout_ms == 20
    assert merge_settings(s, {"debounceMs": 0}).debounce_ms == 0
    # wrong types and negative numbers are ignored
    assert merge_settings(s, {"pafix": {"fixOnSave": "yes", "debounceMs": -1, "fixOnSaveTimeoutMs": True}}) == s


def test_config_cache_reports_a_broken_file_once(tmp_path: Path) -> None:
    messages: list[str] = []
    cache = ConfigCache(messages.append)
    (tmp_path / "pafix.toml").write_text("select = 5\n", encoding="utf-8")
    flow = tmp_path / "a.robin"
    assert cache.for_path(flow) is DEFAULT
    assert cache.for_path(tmp_path / "b.robin") is DEFAULT
    cache.clear()
    assert cache.for_path(flow) is DEFAULT
    assert len(messages) == 1 and "pafix.toml" in messages[0]
    # fixed: picked up without a restart (the file's mtime changed)
    (tmp_path / "pafix.toml").write_text('ignore = ["PAF101"]\n', encoding="utf-8")
    import os

    os.utime(tmp_path / "pafix.toml", ns=(1, 1))
    config = cache.for_path(flow)
    assert not config.enabled("PAF101")
    assert cache.for_path(None) is DEFAULT


def test_lsp_command_without_pygls(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from click.testing import CliRunner

    from pafix.cli.lsp import lsp_cmd

    monkeypatch.setitem(sys.modules, "pygls", None)  # "import pygls" raises ImportError
    result = CliRunner().invoke(lsp_cmd, [])
    assert result.exit_code == 2
    assert "pip install 'pafix[lsp]'" in result.output


def test_internal_error_replaces_the_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pygls")
    from pafix.lsp import server as server_mod

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("CANARY-91ab")  # an exception text is never shown

    monkeypatch.setattr(server_mod, "lint_text", broken)
    ls = server_mod.PafixServer()
    text = "SET A TO 1\n"
    linted = ls._compute("file:///x.robin", text, LineIndex(text), 3, "x.robin", DEFAULT, "utf-16")
    [diag] = linted.diagnostics
    assert diag["code"] == "internal-error" and "RuntimeError" in diag["message"]
    assert "CANARY" not in diag["message"]
    ls.executor.shutdown()


def test_check_collector_pauses_the_collector_and_freezes_what_a_check_leaves() -> None:
    import gc
    import weakref

    from pafix.lsp.lint import CheckCollector

    class Node:
        pass

    collector = CheckCollector(full_every=2)
    was_on = gc.isenabled()
    try:
        gc.enable()
        with collector:
            assert not gc.isenabled()
            cycle = Node()
            cycle.self = cycle  # type: ignore[attr-defined]
            gone = weakref.ref(cycle)
            del cycle
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        assert frozen > 0 and gone() is not None  # frozen: no collection reaches it
        gc.collect()
        assert gone() is not None
        with collector:  # the second check: one full collection of what was frozen
            pass
        assert gone() is None
    finally:
        gc.unfreeze()
        if not was_on:
            gc.disable()
