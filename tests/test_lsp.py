"""End-to-end tests of ``pafix lsp``: the real server process (``python -m pafix lsp``) driven
over stdio by pytest-lsp's client."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as t  # noqa: E402
from lsprotocol.converters import get_converter  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from pafix.fixes.edits import apply_edits  # noqa: E402
from pafix.findings import Edit  # noqa: E402
from pafix.lsp.lint import lint_text  # noqa: E402
from pafix.lsp.positions import LineIndex  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="module")

SRC = Path(__file__).resolve().parents[1] / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)}
CANARY = "CANARY-91ab"
CONVERTER = get_converter()

LEAK = """\
@SENSITIVE: [Password]
@INPUT Password : { 'Description': 'db', 'FriendlyName': 'Password', 'Type': 'String', 'IsOptional': False, 'DefaultValue': '' }
IF Password <> $'''''' THEN
    SET ConnString TO $'''Server=db;Password=%Password%'''
END
Display.ShowMessageDialog.ShowMessage Title: $'''😀 Hi 😀''' Message: Password Icon: Display.Icon.Information Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False ButtonPressed=> Pressed
"""

BROKEN = f"""\
SET Other TO
@SENSITIVE: [Password]
SET ConnString TO $'''Server=db;Password=%Password%'''
Email.SendEmail.AuthenticateAndSend SMTPServer: $'''smtp.contoso.com''' Port: 587 EnableSSL: True Username: $'''robot''' Password: $'''{CANARY}''' From: $'''a@b.c''' SendTo: $'''ops@contoso.com''' Subject: $'''x''' Body: $'''y''' IsBodyHtml: False IgnoreInvalidCertificate: False
"""

#: a finding of low confidence only, hidden at the default (medium)
LOW = (Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "PAF101"
       / "pos_error_echoed_by_database.robin").read_text(encoding="utf-8")


# ---- the client ---------------------------------------------------------------------------------


def _publish(client: LanguageClient, params: t.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)  # type: ignore[attr-defined]


def _register_capability(client: LanguageClient, params: t.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)  # type: ignore[attr-defined]


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish
    features[t.CLIENT_REGISTER_CAPABILITY] = _register_capability
    register_lsp_features(client, features)
    return client


CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "pafix", "lsp"], client_factory=make_client, server_env=ENV,
)


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"pafix": {"fixOnSave": True}},
    ))
    yield
    await lsp_client.shutdown_session()


# ---- helpers ----------------------------------------------------------------------------------------


_counter = iter(range(1, 10_000))


def new_uri(tmp_path: Path, name: str = "flow") -> str:
    path = tmp_path / f"{name}-{next(_counter)}.robin"
    return str(from_fs_path(str(path)))


async def wait_published(client: LanguageClient, uri: str, version: int | None, timeout: float = 60) -> list[t.Diagnostic]:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        for p in reversed(client.published):  # type: ignore[attr-defined]
            if p.uri == uri and p.version == version:
                return list(p.diagnostics)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics for {uri} version {version}")


async def wait_next(client: LanguageClient, uri: str, mark: int, timeout: float = 60) -> t.PublishDiagnosticsParams:
    """The first diagnostics for ``uri`` published after ``client.published[mark]``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        for p in client.published[mark:]:  # type: ignore[attr-defined]
            if p.uri == uri:
                return p
        await asyncio.sleep(0.01)
    raise AssertionError(f"no new diagnostics for {uri}")


async def open_doc(client: LanguageClient, uri: str, text: str) -> list[t.Diagnostic]:
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, text)))
    return await wait_published(client, uri, 1)


async def replace_doc(client: LanguageClient, uri: str, version: int, text: str) -> list[t.Diagnostic]:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [t.TextDocumentContentChangeWholeDocument(text=text)],
    ))
    return await wait_published(client, uri, version)


def apply_text_edits(text: str, edits: Sequence[Any], encoding: str = "utf-16") -> str:
    index = LineIndex(text)
    spans = [
        Edit(index.offset(e.range.start.line, e.range.start.character, encoding),
             index.offset(e.range.end.line, e.range.end.character, encoding), e.new_text)
        for e in edits
    ]
    return apply_edits(text, spans)


def edits_of(edit: t.WorkspaceEdit, uri: str, version: int | None = None) -> list[Any]:
    out: list[Any] = []
    for change in edit.document_changes or []:
        assert isinstance(change, t.TextDocumentEdit)
        assert change.text_document.uri == uri
        if version is not None:
            assert change.text_document.version == version
        out.extend(change.edits)
    if edit.changes:
        out.extend(edit.changes.get(uri, []))
    return out


async def set_settings(client: LanguageClient, **settings: Any) -> None:
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={"pafix": settings}))
    # a request after the notification: the server has handled the notification by then
    await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier("file:///none.robin"), t.Position(0, 0)))


def by_code(diags: Sequence[t.Diagnostic], code: str) -> list[t.Diagnostic]:
    return [d for d in diags if d.code == code]


def safe_fixable(text: str) -> list[str]:
    return [f.rule for f in lint_text(text, "x.robin").findings if f.fix is not None and f.fix.safety == "safe"]


# ---- diagnostics ------------------------------------------------------------------------------------


async def test_leak_diagnostic_range_and_trace(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    [d] = by_code(diags, "PAF101")
    line = LEAK.splitlines()[3]
    assert d.range == t.Range(t.Position(3, 4), t.Position(3, len(line)))
    assert d.severity == t.DiagnosticSeverity.Error
    assert d.source == "pafix"
    assert d.code_description is not None
    assert d.code_description.href == "https://github.com/pafix/pafix/blob/main/docs/rules.md#paf101"
    assert "ConnString" in d.message
    related = d.related_information or []
    assert [r.location.uri for r in related] == [uri, uri]
    assert [(r.location.range.start.line, r.location.range.start.character) for r in related] == [(1, 7), (3, 4)]
    assert related[0].message == "Password (secret input variable)"
    assert related[1].message == "stored in ConnString (SET)"
    # data names the finding and the version; the quick fix's edits are made when asked for
    assert isinstance(d.data, dict) and d.data == {"v": 1, "id": d.data["id"], "confidence": "high", "kind": "credential"}
    # a sink finding is a warning or error with its own code
    assert by_code(diags, "PAF102")


async def test_quick_fix_applied_removes_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    [d] = by_code(diags, "PAF101")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d]),
    ))
    assert actions
    titles = [a.title for a in actions if isinstance(a, t.CodeAction)]
    assert "PAF101: mark ConnString as sensitive" in titles
    fix = next(a for a in actions if isinstance(a, t.CodeAction) and a.title == "PAF101: mark ConnString as sensitive")
    assert fix.kind == t.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.edit is not None
    fixed = apply_text_edits(LEAK, edits_of(fix.edit, uri, version=1))
    assert fixed.startswith("@SENSITIVE: [Password, ConnString]\n")
    after = await replace_doc(client, uri, 2, fixed)
    assert not by_code(after, "PAF101")


async def test_unsafe_fix_is_labelled(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    [d] = by_code(diags, "PAF103")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d], only=[t.CodeActionKind.QuickFix]),
    ))
    titles = [a.title for a in actions or [] if isinstance(a, t.CodeAction)]
    # PAF103 offers the Get credential fix (pafix.fixes.get_credential), though its diagnostic
    # carries no edits: they are made from the current check's finding
    assert "fix" not in d.data
    assert titles[0].startswith("PAF103: get credential 'Password' into Password_Credential") and \
        titles[0].endswith("(unsafe)")
    assert all(a.kind == t.CodeActionKind.QuickFix for a in actions or [])
    assert "PAF103: suppress with a comment (# pafix: ignore[PAF103])" in titles


async def test_suppress_action_inserts_an_indented_comment(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    [d] = by_code(diags, "PAF101")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d]),
    ))
    action = next(a for a in actions or [] if isinstance(a, t.CodeAction) and "suppress" in a.title)
    assert action.edit is not None
    text = apply_text_edits(LEAK, edits_of(action.edit, uri))
    lines = text.splitlines()
    assert lines[3] == "    # pafix: ignore[PAF101] <reason>"
    assert lines[4].startswith("    SET ConnString")
    after = await replace_doc(client, uri, 2, text)
    assert not by_code(after, "PAF101")
    assert not by_code(after, "PAF902")  # the suppression is used


async def test_suppress_action_for_a_diagnostic_of_an_older_version(client: LanguageClient, tmp_path: Path) -> None:
    """Diagnostics carry no ready-made suppression edit: the code action makes it from the
    current check, so one asked with a diagnostic of the previous version (the editor has not
    shown the new list yet) inserts the comment where the statement is now."""
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    [old] = by_code(diags, "PAF101")
    assert "suppress" not in old.data and "at" not in old.data  # no offsets: see pafix.lsp.pull
    moved = "# a comment line added above\n" + LEAK
    await replace_doc(client, uri, 2, moved)
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), old.range, t.CodeActionContext(diagnostics=[old]),
    ))
    action = next(a for a in actions or [] if isinstance(a, t.CodeAction) and "suppress" in a.title)
    assert action.edit is not None
    lines = apply_text_edits(moved, edits_of(action.edit, uri, version=2)).splitlines()
    assert lines[4] == "    # pafix: ignore[PAF101] <reason>"
    assert lines[5].startswith("    SET ConnString")


async def test_unused_suppression_can_be_removed(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    text = LEAK.replace("END\n", "END\n# pafix: ignore[PAF101] nothing here\n", 1)
    diags = await open_doc(client, uri, text)
    [unused] = by_code(diags, "PAF902")
    assert list(unused.tags or []) == [t.DiagnosticTag.Unnecessary]
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), unused.range, t.CodeActionContext(diagnostics=[unused]),
    ))
    [remove] = [a for a in actions or [] if isinstance(a, t.CodeAction) and a.kind == t.CodeActionKind.QuickFix]
    assert remove.title == "PAF902: remove the unused suppression comment"
    assert remove.edit is not None
    fixed = apply_text_edits(text, edits_of(remove.edit, uri))
    assert fixed == LEAK
    assert not by_code(await replace_doc(client, uri, 2, fixed), "PAF902")


async def test_unused_suppression_of_an_older_version_removes_the_current_line(client: LanguageClient,
                                                                              tmp_path: Path) -> None:
    """The removal is made from the current check (a diagnostic carries no edit), so one asked
    with the diagnostic of the previous version deletes the comment where it is now."""
    uri = new_uri(tmp_path)
    text = LEAK.replace("END\n", "END\n# pafix: ignore[PAF101] nothing here\n", 1)
    [old] = by_code(await open_doc(client, uri, text), "PAF902")
    assert isinstance(old.data, dict) and "remove" not in old.data
    moved = "# a comment line added above\n" + text
    await replace_doc(client, uri, 2, moved)
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), old.range, t.CodeActionContext(diagnostics=[old]),
    ))
    [remove] = [a for a in actions or [] if isinstance(a, t.CodeAction) and a.kind == t.CodeActionKind.QuickFix]
    assert remove.title == "PAF902: remove the unused suppression comment" and remove.edit is not None
    assert apply_text_edits(moved, edits_of(remove.edit, uri, version=2)) == "# a comment line added above\n" + LEAK


async def test_stale_diagnostics_give_no_actions(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    [d] = by_code(diags, "PAF101")
    await set_settings(client, debounceMs=5000)
    try:
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [t.TextDocumentContentChangeWholeDocument(text="\n\n\n" + LEAK)],
        ))
        actions = await client.text_document_code_action_async(t.CodeActionParams(
            t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d], only=[t.CodeActionKind.QuickFix]),
        ))
        assert not actions  # the edits of version 1 would land three lines too high
    finally:
        await set_settings(client, debounceMs=150)


# ---- fix all: willSaveWaitUntil, formatting, source.fixAll -----------------------------------------


async def test_will_save_wait_until(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    save = t.WillSaveTextDocumentParams(t.TextDocumentIdentifier(uri), t.TextDocumentSaveReason.Manual)

    await set_settings(client, fixOnSave=True, fixOnSaveTimeoutMs=30_000)
    edits = await client.text_document_will_save_wait_until_async(save)
    assert edits
    fixed = apply_text_edits(LEAK, edits)
    assert fixed.startswith("@SENSITIVE: [Password, ConnString]\n")
    assert safe_fixable(fixed) == []

    await set_settings(client, fixOnSave=False)
    assert not await client.text_document_will_save_wait_until_async(save)

    # past the time budget: no edits rather than a held-up save
    await set_settings(client, fixOnSave=True, fixOnSaveTimeoutMs=0)
    assert not await client.text_document_will_save_wait_until_async(save)
    await set_settings(client, fixOnSave=True, fixOnSaveTimeoutMs=500)


async def test_formatting_applies_the_safe_fixes(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=4, insert_spaces=True),
    ))
    assert edits
    fixed = apply_text_edits(LEAK, edits)
    assert safe_fixable(fixed) == []
    assert fixed.splitlines()[1:] == LEAK.splitlines()[1:]
    # formatting a clean document changes nothing
    clean = await replace_doc(client, uri, 2, fixed)
    assert not by_code(clean, "PAF101")
    again = await client.text_document_formatting_async(t.DocumentFormattingParams(
        t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=4, insert_spaces=True),
    ))
    assert not again


async def test_fix_all_source_action(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    whole = t.Range(t.Position(0, 0), t.Position(6, 0))
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), whole, t.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
    ))
    [action] = [a for a in actions or [] if isinstance(a, t.CodeAction)]
    assert action.kind == "source.fixAll.pafix"
    assert action.edit is not None
    assert safe_fixable(apply_text_edits(LEAK, edits_of(action.edit, uri))) == []
    # unfiltered (the light bulb): offered lazily and resolved on demand (VS Code resolves edits)
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), whole, t.CodeActionContext(diagnostics=[]),
    ))
    [lazy] = [a for a in actions or [] if isinstance(a, t.CodeAction) and a.kind == "source.fixAll.pafix"]
    resolved = await client.code_action_resolve_async(lazy)
    assert resolved.edit is not None
    assert safe_fixable(apply_text_edits(LEAK, edits_of(resolved.edit, uri))) == []


# ---- broken documents ------------------------------------------------------------------------------


async def test_broken_document_gets_parse_error_and_rule_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, BROKEN)
    [err] = by_code(diags, "parse-error")
    assert err.severity == t.DiagnosticSeverity.Error
    assert err.range.start == t.Position(0, 0)
    assert err.message.startswith("parse error: ")
    [leak] = by_code(diags, "PAF101")
    assert leak.range.start == t.Position(2, 0)
    assert by_code(diags, "PAF104")
    # fixes still work on the lines that parse; the broken line is left alone
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=4, insert_spaces=True),
    ))
    fixed = apply_text_edits(BROKEN, edits or [])
    assert "@SENSITIVE: [Password, ConnString]" in fixed
    assert fixed.splitlines()[0] == "SET Other TO"


# ---- hover -------------------------------------------------------------------------------------------


async def hover_text(client: LanguageClient, uri: str, line: int, character: int) -> str:
    result = await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri), t.Position(line, character)))
    if result is None:
        return ""
    assert isinstance(result.contents, t.MarkupContent)
    return result.contents.value


async def test_hover_on_variables(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    lines = LEAK.splitlines()
    # Password inside %...% of the SET line
    text = await hover_text(client, uri, 3, lines[3].index("%Password%") + 3)
    assert "**Password** is sensitive" in text
    assert "declared in `@SENSITIVE` (line 1)" in text
    assert "secret input variable (`@INPUT`, line 2)" in text
    # ConnString: not marked sensitive, and where its secret comes from
    text = await hover_text(client, uri, 3, lines[3].index("ConnString") + 2)
    assert "**ConnString** is **not marked sensitive**" in text
    assert "holds a secret from Password (line 2)" in text
    assert "PAF101" in text  # the finding under the cursor: its rule's documentation
    # a variable no secret reaches
    text = await hover_text(client, uri, 5, utf16(lines[5][: lines[5].rindex("Pressed")]) + 1)
    assert "**Pressed** is not sensitive" in text


async def test_hover_on_a_diagnostic_shows_the_rule_doc(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    line = LEAK.splitlines()[5]
    text = await hover_text(client, uri, 5, len(line[: line.index("Message:")].encode("utf-16-le")) // 2 + 2)
    assert "### PAF102 secret-reaches-sink" in text
    assert "## Why is this bad?" in text


# ---- positions ------------------------------------------------------------------------------------


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


async def test_utf16_positions_after_an_emoji(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    diags = await open_doc(client, uri, LEAK)
    line = LEAK.splitlines()[5]
    [sink] = by_code(diags, "PAF102")
    start = line.index("Message:")
    assert sink.range.start == t.Position(5, utf16(line[:start]))
    assert utf16(line[:start]) == start + 2  # two emoji before it, two UTF-16 units each
    # an incremental edit after the first emoji, addressed in UTF-16 units
    hi = line.index("Hi")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [t.TextDocumentContentChangePartial(
            range=t.Range(t.Position(5, utf16(line[:hi])), t.Position(5, utf16(line[:hi]) + 2)), text="Hello",
        )],
    ))
    diags = await wait_published(client, uri, 2)
    [sink] = by_code(diags, "PAF102")
    assert sink.range.start == t.Position(5, utf16(line[:start]) + 3)


@pytest.mark.parametrize(("encoding", "width"), [("utf-8", lambda s: len(s.encode("utf-8"))), ("utf-32", len)])
async def test_other_position_encodings(encoding: str, width: Any, tmp_path: Path) -> None:
    other = await CONFIG.start()
    try:
        caps = client_capabilities("visual-studio-code")
        caps.general = t.GeneralClientCapabilities(position_encodings=[encoding, "utf-16"])
        result = await other.initialize_session(t.InitializeParams(capabilities=caps))
        assert result.capabilities.position_encoding == encoding
        uri = new_uri(tmp_path)
        diags = await open_doc(other, uri, LEAK)
        line = LEAK.splitlines()[5]
        [sink] = by_code(diags, "PAF102")
        assert sink.range.start == t.Position(5, width(line[: line.index("Message:")]))
        await other.shutdown_session()
    finally:
        await other.stop()


# ---- debounce -------------------------------------------------------------------------------------


async def test_latest_version_wins(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    await set_settings(client, debounceMs=1000)  # a slow CI machine still batches the burst
    try:
        mark = len(client.published)  # type: ignore[attr-defined]
        for version in range(2, 7):
            client.text_document_did_change(t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [t.TextDocumentContentChangeWholeDocument(text=LEAK + "\n" * version)],
            ))
        await wait_published(client, uri, 6)
        await asyncio.sleep(0.3)
        versions = [p.version for p in client.published[mark:] if p.uri == uri]  # type: ignore[attr-defined]
        assert versions == [6]
    finally:
        await set_settings(client, debounceMs=150)


async def test_save_checks_again_and_close_clears(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    await open_doc(client, uri, LEAK)
    mark = len(client.published)  # type: ignore[attr-defined]
    client.text_document_did_save(t.DidSaveTextDocumentParams(t.TextDocumentIdentifier(uri)))
    again = await wait_next(client, uri, mark)
    assert again.version == 1 and by_code(again.diagnostics, "PAF101")
    mark = len(client.published)  # type: ignore[attr-defined]
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    closed = await wait_next(client, uri, mark)
    assert list(closed.diagnostics) == []


# ---- configuration ----------------------------------------------------------------------------------


async def test_configuration_change_is_picked_up(client: LanguageClient, tmp_path: Path) -> None:
    folder = tmp_path / "later"
    folder.mkdir()
    uri = new_uri(folder)
    assert by_code(await open_doc(client, uri, LEAK), "PAF101")
    (folder / "pafix.toml").write_text('ignore = ["PAF101"]\n', encoding="utf-8")
    mark = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_watched_files(t.DidChangeWatchedFilesParams([
        t.FileEvent(str(from_fs_path(str(folder / "pafix.toml"))), t.FileChangeType.Created),
    ]))
    after = await wait_next(client, uri, mark)
    assert not by_code(after.diagnostics, "PAF101")
    [watch] = [r for r in client.registrations if r.method == t.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    assert [w["globPattern"] for w in watch.register_options["watchers"]] == ["**/pafix.toml", "**/pyproject.toml"]



async def test_folder_configuration(client: LanguageClient, tmp_path: Path) -> None:
    folder = tmp_path / "configured"
    folder.mkdir()
    (folder / "pafix.toml").write_text('ignore = ["PAF101"]\nseverity = { PAF102 = "note" }\n', encoding="utf-8")
    uri = new_uri(folder)
    diags = await open_doc(client, uri, LEAK)
    assert not by_code(diags, "PAF101")
    [sink] = by_code(diags, "PAF102")
    assert sink.severity == t.DiagnosticSeverity.Information


async def test_broken_configuration_is_reported_once(client: LanguageClient, tmp_path: Path) -> None:
    folder = tmp_path / "broken-config"
    folder.mkdir()
    (folder / "pafix.toml").write_text("select = 5\n", encoding="utf-8")
    before = len(client.messages)
    first = await open_doc(client, new_uri(folder), LEAK)
    second = await open_doc(client, new_uri(folder), LEAK)
    errors = [m for m in client.messages[before:] if m.type == t.MessageType.Error]
    assert len(errors) == 1
    assert "pafix.toml" in errors[0].message and "default configuration" in errors[0].message
    assert by_code(first, "PAF101") and by_code(second, "PAF101")  # defaults are used


# ---- secrets never leave ------------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(CONVERTER.unstructure(value), ensure_ascii=False)


async def test_no_secret_in_any_message_hover_or_edit(client: LanguageClient, tmp_path: Path) -> None:
    seen: list[str] = []
    for text in (BROKEN, BROKEN.replace("SET Other TO\n", ""), LEAK + f"SET Pwd TO $'''{CANARY}\n"):
        uri = new_uri(tmp_path)
        diags = await open_doc(client, uri, text)
        seen.append(_dump(diags))
        if text is not BROKEN:
            continue
        [hard] = by_code(diags, "PAF104")
        assert "'CA***'" in hard.message
        for d in diags:
            actions = await client.text_document_code_action_async(t.CodeActionParams(
                t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d]),
            ))
            seen.append(_dump(actions))
        index = LineIndex(text)
        for line in range(index.line_count):
            for char in range(0, utf16(index.line_text(line)) + 1, 3):
                seen.append(await hover_text(client, uri, line, char))
        await set_settings(client, fixOnSave=True, fixOnSaveTimeoutMs=30_000)
        seen.append(_dump(await client.text_document_will_save_wait_until_async(
            t.WillSaveTextDocumentParams(t.TextDocumentIdentifier(uri), t.TextDocumentSaveReason.Manual))))
        seen.append(_dump(await client.text_document_formatting_async(t.DocumentFormattingParams(
            t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=4, insert_spaces=True)))))
        await set_settings(client, fixOnSave=True, fixOnSaveTimeoutMs=500)
    seen.append(_dump(client.messages))
    seen.append(_dump(client.log_messages))
    blob = "\n".join(seen)
    assert "CA***" in blob  # the redacted form is there...
    assert CANARY not in blob and "91ab" not in blob  # ...the value never is


async def test_a_new_min_confidence_republishes(client: LanguageClient, tmp_path: Path) -> None:
    """Changing ``minConfidence`` re-checks the open documents (the diagnostics shown were
    filtered by the old one)."""
    uri = new_uri(tmp_path)
    assert not by_code(await open_doc(client, uri, LOW), "PAF101")
    mark = len(client.published)  # type: ignore[attr-defined]
    await set_settings(client, minConfidence="low")
    try:
        republished = await wait_next(client, uri, mark)
        [finding] = by_code(republished.diagnostics, "PAF101")
        assert isinstance(finding.data, dict) and finding.data["confidence"] == "low"
    finally:
        await set_settings(client, minConfidence="medium")


async def test_quick_fix_while_the_current_version_is_checked_again(client: LanguageClient, tmp_path: Path) -> None:
    """A new ``minConfidence`` drops the current version's check (relint_all); a code action
    asked right after it, on a diagnostic of that version, waits for the new check and makes
    the fix from it (a diagnostic carries no edits to fall back on)."""
    uri = new_uri(tmp_path)
    [d] = by_code(await open_doc(client, uri, LEAK), "PAF101")
    # no request in between: the server drops the check, then gets the code action
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={"pafix": {"minConfidence": "low"}}))
    try:
        actions = await client.text_document_code_action_async(t.CodeActionParams(
            t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d], only=[t.CodeActionKind.QuickFix]),
        ))
        fix = next(a for a in actions or [] if isinstance(a, t.CodeAction) and a.title == "PAF101: mark ConnString as sensitive")
        assert fix.edit is not None
        assert apply_text_edits(LEAK, edits_of(fix.edit, uri, version=1)).startswith("@SENSITIVE: [Password, ConnString]\n")
    finally:
        await set_settings(client, minConfidence="medium")
