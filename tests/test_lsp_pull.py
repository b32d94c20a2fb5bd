"""Pull diagnostics (``textDocument/diagnostic``, LSP 3.17): the real server process driven by
a client that declares it can pull, and :mod:`pafix.lsp.pull` on its own."""

from __future__ import annotations

import asyncio
import copy
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as t  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from pafix.lsp.pull import Reported, answer, same_diagnostics  # noqa: E402
from tests.test_lsp import (  # noqa: E402
    BROKEN, CANARY, ENV, LEAK, LOW, apply_text_edits, by_code, edits_of, new_uri as _new_uri,
)

#: the server tests share one server process (the module-scoped fixture) and its loop
on_server = pytest.mark.asyncio(loop_scope="module")

#: a line at the end moves no diagnostic of LEAK
QUIET_EDIT = LEAK + "# a note at the end\n"
#: a second leak: one diagnostic more
LOUDER = LEAK + "SET Log TO $'''pw=%Password%'''\n"


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.refreshes = 0  # type: ignore[attr-defined]
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(params: t.PublishDiagnosticsParams) -> None:
        client.published.append(params)  # type: ignore[attr-defined]

    def refresh(params: None) -> None:
        client.refreshes += 1  # type: ignore[attr-defined]

    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[t.CLIENT_REGISTER_CAPABILITY] = lambda params: None  # the configuration files' watch
    features[t.WORKSPACE_DIAGNOSTIC_REFRESH] = refresh
    register_lsp_features(client, features)
    return client


CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "pafix", "lsp"], client_factory=make_client, server_env=ENV,
)


def pulling_capabilities() -> t.ClientCapabilities:
    caps = copy.deepcopy(client_capabilities("visual-studio-code"))
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.diagnostic = t.DiagnosticClientCapabilities(related_document_support=False)
    caps.workspace.diagnostics = t.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    result = await lsp_client.initialize_session(t.InitializeParams(
        capabilities=pulling_capabilities(), initialization_options={"pafix": {"debounceMs": 0}},
    ))
    provider = result.capabilities.diagnostic_provider
    assert isinstance(provider, t.DiagnosticOptions)
    assert provider.identifier == "pafix" and not provider.inter_file_dependencies
    yield
    await lsp_client.shutdown_session()


def new_uri(tmp_path: Path) -> str:
    return _new_uri(tmp_path, "pull")


async def refreshed(client: LanguageClient, before: int) -> None:
    """Wait for the server's next ``workspace/diagnostic/refresh`` after ``before`` of them."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 30
    while client.refreshes == before and loop.time() < end:  # type: ignore[attr-defined]
        await asyncio.sleep(0.01)
    assert client.refreshes == before + 1  # type: ignore[attr-defined]


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [t.TextDocumentContentChangeWholeDocument(text=text)],
    ))


async def pull(client: LanguageClient, uri: str, previous: str | None = None) -> t.DocumentDiagnosticReport:
    return await client.text_document_diagnostic_async(t.DocumentDiagnosticParams(
        t.TextDocumentIdentifier(uri), previous_result_id=previous))


def full(report: Any) -> t.RelatedFullDocumentDiagnosticReport:
    assert isinstance(report, (t.RelatedFullDocumentDiagnosticReport, t.FullDocumentDiagnosticReport)), report
    assert report.kind == "full"
    return report  # type: ignore[return-value]


def published_for(client: LanguageClient, uri: str) -> list[t.PublishDiagnosticsParams]:
    return [p for p in client.published if p.uri == uri]  # type: ignore[attr-defined]


# ---- the server ------------------------------------------------------------------------------------


@on_server
async def test_unchanged_when_an_edit_moves_no_diagnostic(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, LEAK)))
    first = full(await pull(client, uri))
    assert first.result_id and by_code(first.items, "PAF101") and by_code(first.items, "PAF102")

    change(client, uri, 2, QUIET_EDIT)
    same = await pull(client, uri, first.result_id)
    assert isinstance(same, t.RelatedUnchangedDocumentDiagnosticReport) and same.kind == "unchanged"
    assert same.result_id == first.result_id

    change(client, uri, 3, LOUDER)
    louder = full(await pull(client, uri, first.result_id))
    assert louder.result_id != first.result_id
    assert len(louder.items) > len(first.items)

    # an id the server did not give last (or never gave) gets the whole list
    again = full(await pull(client, uri, first.result_id))
    assert [d.message for d in again.items] == [d.message for d in louder.items]
    assert full(await pull(client, uri, "no-such-id")).items == again.items
    # the client pulls: nothing was published
    assert published_for(client, uri) == []


@on_server
async def test_held_diagnostics_of_an_older_version_get_current_fixes(client: LanguageClient, tmp_path: Path) -> None:
    """After an ``unchanged`` answer the client holds the diagnostics of version 1 (``data.v``
    is 1) for version 2: their quick fixes come from the check of version 2."""
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, LEAK)))
    first = full(await pull(client, uri))
    [held] = by_code(first.items, "PAF101")
    assert isinstance(held.data, dict) and held.data["v"] == 1
    change(client, uri, 2, QUIET_EDIT)
    assert (await pull(client, uri, first.result_id)).kind == "unchanged"
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), held.range, t.CodeActionContext(diagnostics=[held]),
    ))
    fix = next(a for a in actions or [] if isinstance(a, t.CodeAction) and a.title == "PAF101: mark ConnString as sensitive")
    assert fix.edit is not None
    fixed = apply_text_edits(QUIET_EDIT, edits_of(fix.edit, uri, version=2))
    assert fixed.startswith("@SENSITIVE: [Password, ConnString]\n") and fixed.endswith("# a note at the end\n")


#: PAF103 (and PAF105) on the input's line, whose Get credential fix also edits the IF line
INPUT_ONLY = "".join(LEAK.splitlines(keepends=True)[1:3]) + "END\n"


@on_server
async def test_a_line_between_a_finding_and_its_fix_edits_changes_nothing(client: LanguageClient,
                                                                           tmp_path: Path) -> None:
    """A diagnostic carries no fix edits, so a line typed between a finding and the lines its
    fix edits moves none of the diagnostics: ``unchanged``, and the held diagnostic's quick fix
    edits the lines where they are now."""
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, INPUT_ONLY)))
    first = full(await pull(client, uri))
    [held] = by_code(first.items, "PAF103")
    assert all(d.range.end.line == 0 for d in first.items)
    lines = INPUT_ONLY.splitlines(keepends=True)
    moved = lines[0] + "# a line typed between\n" + "".join(lines[1:])
    change(client, uri, 2, moved)
    assert (await pull(client, uri, first.result_id)).kind == "unchanged"
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), held.range, t.CodeActionContext(diagnostics=[held]),
    ))
    fix = next(a for a in actions or [] if isinstance(a, t.CodeAction) and a.title.endswith("(unsafe)"))
    assert fix.edit is not None
    fixed = apply_text_edits(moved, edits_of(fix.edit, uri, version=2)).splitlines()
    assert "# a line typed between" in fixed and LEAK.splitlines()[2].replace("Password", "Password_Credential.Password", 1) in fixed


@on_server
async def test_a_pull_overtaken_by_a_change_answers_for_the_newest_text(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, LEAK)))
    first = full(await pull(client, uri))
    change(client, uri, 2, QUIET_EDIT)
    early = asyncio.ensure_future(pull(client, uri, first.result_id))
    change(client, uri, 3, LOUDER)
    late = full(await pull(client, uri, first.result_id))
    overtaken = full(await early)
    # both describe version 3 (the first pull waited for the check of the newest text)
    assert [d.data["v"] for d in late.items] == [3] * len(late.items)
    assert [(d.code, d.range, d.message) for d in overtaken.items] == [(d.code, d.range, d.message) for d in late.items]


@on_server
async def test_config_change_asks_the_client_to_pull_again(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, LEAK)))
    full(await pull(client, uri))
    before = client.refreshes  # type: ignore[attr-defined]
    client.workspace_did_change_watched_files(t.DidChangeWatchedFilesParams([
        t.FileEvent(str(from_fs_path(str(tmp_path / "pafix.toml"))), t.FileChangeType.Created)]))
    await refreshed(client, before)
    assert by_code(full(await pull(client, uri)).items, "PAF101")


@on_server
async def test_close_publishes_nothing_and_a_closed_document_has_no_diagnostics(client: LanguageClient,
                                                                              tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, LEAK)))
    assert full(await pull(client, uri)).items
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    assert list(full(await pull(client, uri)).items) == []
    assert published_for(client, uri) == []


@on_server
async def test_pulled_diagnostics_hold_no_secret(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, BROKEN)))
    report = full(await pull(client, uri))
    assert report.items  # a parse error and the hard-coded password at least
    assert CANARY not in repr(report) and CANARY[:5] not in repr(report)


# ---- pafix.lsp.pull ----------------------------------------------------------------------------------


def _diag(line: int, message: str, version: int, **data: Any) -> dict[str, Any]:
    return {
        "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 4}},
        "severity": 1, "code": "PAF101", "source": "pafix", "message": message,
        "data": {"v": version, "id": f"id{line}", **data},
    }


def _ids() -> Any:
    counter = iter(range(1, 100))
    return lambda: f"r{next(counter)}"


def test_only_the_version_may_differ() -> None:
    held = [_diag(1, "a", 1), _diag(2, "b", 1, fix={"title": "x"})]
    assert same_diagnostics(held, [_diag(1, "a", 7), _diag(2, "b", 7, fix={"title": "x"})])
    assert not same_diagnostics(held, [_diag(1, "a", 7)])
    assert not same_diagnostics(held, [_diag(1, "a", 1), _diag(3, "b", 1, fix={"title": "x"})])
    assert not same_diagnostics(held, [_diag(1, "a", 1), _diag(2, "c", 1, fix={"title": "x"})])
    assert not same_diagnostics(held, [_diag(1, "a", 1), _diag(2, "b", 1, fix={"title": "y"})])
    assert not same_diagnostics(held, [_diag(1, "a", 1), _diag(2, "b", 1)])
    assert not same_diagnostics(held, list(reversed(held)))
    tagged = [_diag(1, "a", 1), {**_diag(2, "b", 1, fix={"title": "x"}), "tags": [1]}]
    assert not same_diagnostics(held, tagged)


def test_answer() -> None:
    new_id = _ids()
    diags = [_diag(1, "a", 1)]
    first, reported = answer(None, None, diags, new_id)
    assert first == {"kind": "full", "resultId": "r1", "items": diags} and reported == Reported("r1", diags)
    # the client holds r1 and nothing moved: unchanged, and r1 stays what was reported
    same, kept = answer(reported, "r1", [_diag(1, "a", 2)], new_id)
    assert same == {"kind": "unchanged", "resultId": "r1"} and kept is reported
    # the client holds another result: the whole list again
    other, _ = answer(reported, "r0", [_diag(1, "a", 2)], new_id)
    assert other["kind"] == "full" and other["resultId"] == "r2"
    changed, now = answer(reported, "r1", [_diag(1, "b", 2)], new_id)
    assert changed["kind"] == "full" and now.result_id == changed["resultId"] == "r3"


@pytest.mark.parametrize("diagnostic, refresh, pulls", [
    (True, True, True),
    (True, False, False),  # could not be told to pull again after a configuration change
    (False, True, False),
    (False, False, False),
])
def test_who_pulls(diagnostic: bool, refresh: bool, pulls: bool) -> None:
    from pafix.lsp.server import create_server

    ls = create_server()
    caps = t.ClientCapabilities(
        text_document=t.TextDocumentClientCapabilities(
            diagnostic=t.DiagnosticClientCapabilities() if diagnostic else None),
        workspace=t.WorkspaceClientCapabilities(
            diagnostics=t.DiagnosticWorkspaceClientCapabilities(refresh_support=refresh)),
    )
    ls.protocol.fm.features[t.INITIALIZE](t.InitializeParams(capabilities=caps))
    assert ls.pull_diagnostics is pulls
    ls.executor.shutdown(wait=False)


@on_server
async def test_a_new_min_confidence_asks_for_every_document_again(client: LanguageClient, tmp_path: Path) -> None:
    uri = new_uri(tmp_path)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "robin", 1, LOW)))
    first = full(await pull(client, uri))
    assert not by_code(first.items, "PAF101")
    before = client.refreshes  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={"pafix": {"minConfidence": "low"}}))
    try:
        await refreshed(client, before)
        [low] = by_code(full(await pull(client, uri, first.result_id)).items, "PAF101")
        assert isinstance(low.data, dict) and low.data["confidence"] == "low"
    finally:
        client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={"pafix": {"minConfidence": "medium"}}))
