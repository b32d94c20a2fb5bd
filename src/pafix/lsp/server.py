"""``pafix lsp``: the language server (pygls 2.x over stdio), on the same core as ``pafix scan``.

Documents live here, not in pygls' workspace: the server keeps each buffer's text, version
and line index itself (incremental sync, positions in the negotiated encoding, only CR/LF/CRLF
end a line). Checks run in one worker thread; the newest version of a document wins.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from pafix import __version__
from pafix.syntax import nodes as n
from pafix.config import Config
from pafix.core import Checked
from pafix.findings import Finding
from pafix.lsp import lint as lint_mod
from pafix.lsp.convert import (
    PARSE_ERROR_CODE, SOURCE, DiagnosticMemo, diagnostics as make_diagnostics, diff_edits, finding_start, fix_edits,
    lsp_range, removal_edits, suppress_edit, text_edit,
)
from pafix.lsp.hover import PARSE_ERROR_HOVER, name_at, rule_hover, variable_hover
from pafix.lsp.lint import CheckCollector, LintResult, lint_text
from pafix.lsp.metadata import metadata_diagnostics
from pafix.lsp.documents import Document, Linted
from pafix.lsp.positions import LineIndex, negotiate_encoding
from pafix.lsp.protocol import PafixProtocol, guarded, safe_trace
from pafix.lsp.pull import RawResult, answer as pull_answer
from pafix.lsp.settings import ConfigCache, Settings, merge_settings
from pafix.lsp.wire import Diagnostics, publish_message, text_of

log = logging.getLogger("pafix.lsp")

FIX_ALL_KIND = "source.fixAll.pafix"
CONFIG_GLOBS = ("**/pafix.toml", "**/pyproject.toml")

R = TypeVar("R")


class PafixServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "pafix", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
            protocol_cls=PafixProtocol,
        )
        self.docs: dict[str, Document] = {}
        self.settings = Settings()
        self.encoding = "utf-16"
        self.configs = ConfigCache(self._config_error)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pafix-check")
        #: the collector policy of the checks in that one worker thread
        self.collector = CheckCollector()
        self.client_document_changes = False
        self.client_resolve_edit = False
        self.client_pull_configuration = False
        self.client_watch_files = False
        #: the client pulls diagnostics (``textDocument/diagnostic``): nothing is published
        self.pull_diagnostics = False
        self._result_ids = itertools.count(1)

    # ---- plumbing ---------------------------------------------------------------------------
    def report_server_error(self, error: Exception, source: Any) -> None:
        log.error("pafix: internal error: %s", safe_trace(error))
        try:
            self.window_log_message(t.LogMessageParams(t.MessageType.Error, f"pafix: internal error ({type(error).__name__})"))
        except Exception:  # noqa: BLE001 - the connection may be gone
            pass

    def _config_error(self, message: str) -> None:
        self.window_show_message(t.ShowMessageParams(t.MessageType.Error, message))

    def config_for(self, doc: Document) -> Config:
        config = self.configs.for_path(doc.path)
        level = self.settings.min_confidence
        return config if level is None else config.with_min_confidence(level)

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args))

    # ---- documents --------------------------------------------------------------------------
    def open_document(self, item: t.TextDocumentItem) -> Document:
        fs = to_fs_path(item.uri) if item.uri.startswith("file:") else None
        doc = Document(item.uri, item.text, item.version, Path(fs) if fs else None, LineIndex(item.text))
        old = self.docs.get(item.uri)
        if old is not None:
            self._cancel(old)
        self.docs[item.uri] = doc
        return doc

    def change_document(self, params: t.DidChangeTextDocumentParams) -> Document | None:
        doc = self.docs.get(params.text_document.uri)
        if doc is None:
            return None
        text, index = doc.text, doc.index
        for change in params.content_changes:
            if isinstance(change, t.TextDocumentContentChangePartial):
                start = index.offset(change.range.start.line, change.range.start.character, self.encoding)
                end = index.offset(change.range.end.line, change.range.end.character, self.encoding)
                if end < start:
                    start, end = end, start
                text = text[:start] + change.text + text[end:]
                index = index.edited(start, end, text)
            else:
                text = change.text
                index = LineIndex(text)
        doc.text, doc.index, doc.version = text, index, params.text_document.version
        if doc.future is not None and doc.future_version != doc.version and not doc.future.done():
            doc.future.cancel()  # not started yet: never run; running: its result is dropped
        return doc

    def _cancel(self, doc: Document) -> None:
        if doc.pending is not None and not doc.pending.done():
            doc.pending.cancel()
        doc.pending = None

    # ---- checking -----------------------------------------------------------------------------
    def _compute(self, uri: str, text: str, index: LineIndex, version: int | None, path: str, config: Config,
                 encoding: str, previous: n.Flow | None = None, reuse: Checked | None = None,
                 memo: DiagnosticMemo | None = None) -> Linted:
        """Check ``text`` (``index`` is its line index, already built when the change arrived)."""
        try:
            if (meta := metadata_diagnostics(path, text, index, version, config, encoding)) is not None:
                return Linted(version, LintResult(text, path), index, meta)  # a solution's role/table XML
            with self.collector:
                result = lint_text(text, path, config, previous, reuse)
                # suppression edits are made when a code action asks (see quick_fixes)
                diagnostics = make_diagnostics(uri, version, result, index, encoding, suppress=False, memo=memo)
                if memo is None:
                    return Linted(version, result, index, diagnostics)
                return Linted(version, result, index, Diagnostics.of(diagnostics, memo.wire, version), memo.lineage)
        except Exception as exc:  # noqa: BLE001 - replace the stale list rather than keep it
            log.error("pafix: cannot check %s: %s", path, safe_trace(exc))
            failed = {
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "severity": int(t.DiagnosticSeverity.Warning),
                "code": "internal-error",
                "source": SOURCE,
                "message": f"pafix could not check this flow (internal error: {type(exc).__name__}); see the server log",
                "data": {"v": version},
            }
            return Linted(version, LintResult(text, path), index, [failed])

    def linted(self, doc: Document) -> Awaitable[Linted]:
        """The check of the document's current version: cached, in flight, or started now."""
        if doc.linted is not None and doc.linted.version == doc.version and doc.linted.result.text == doc.text:
            fut: asyncio.Future[Linted] = asyncio.get_running_loop().create_future()
            fut.set_result(doc.linted)
            return fut
        if doc.future is not None and doc.future_version == doc.version and not doc.future.cancelled():
            return asyncio.shield(doc.future)
        loop = asyncio.get_running_loop()
        config = self.config_for(doc)
        future = loop.run_in_executor(
            self.executor, self._compute, doc.uri, doc.text, doc.index, doc.version, doc.display_path, config,
            self.encoding, doc.flow, doc.checked, doc.memo,
        )
        doc.future, doc.future_version = future, doc.version
        version, text = doc.version, doc.text

        def done(f: asyncio.Future[Linted]) -> None:
            if f.cancelled() or f.exception() is not None:
                if not f.cancelled():
                    log.error("pafix: check failed: %s", safe_trace(cast(BaseException, f.exception())))
                return
            checked = f.result().result.checked
            # the objects this replaces are freed after the diagnostics are sent (lint_and_publish)
            doc.retired = (doc.flow, doc.checked, doc.linted)
            if checked is not None:
                doc.flow, doc.checked = checked.flow, checked
            if doc.version == version and doc.text == text:
                doc.linted = f.result()

        future.add_done_callback(done)
        return asyncio.shield(future)

    async def lint_and_publish(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        doc = self.docs.get(uri)
        if doc is None:
            return
        version = doc.version
        try:
            linted = await self.linted(doc)
        except asyncio.CancelledError:
            if asyncio.current_task() is not None and asyncio.current_task().cancelling():  # type: ignore[union-attr]
                raise
            return  # the check was dropped for a newer version
        except Exception as exc:  # noqa: BLE001
            log.error("pafix: check failed: %s", safe_trace(exc))
            return
        current = self.docs.get(uri)
        if current is not doc or doc.version != version or linted.version != version:
            return  # a newer version is on its way: it wins
        if self.pull_diagnostics:
            return  # the client asks (pull_report), and the check is ready when it does
        self.publish(uri, linted.diagnostics, version)
        doc.release()

    async def current(self, doc: Document) -> Linted | None:
        """The check of the document's latest version once its debounce is over (None once the
        document is closed): a check dropped for a newer version is followed by that one's."""
        while self.docs.get(doc.uri) is doc:
            version, text, pending = doc.version, doc.text, doc.pending
            try:
                if pending is not None and not pending.done():
                    await asyncio.shield(pending)  # the debounce, then the check (lint_and_publish)
                linted = await self.linted(doc)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the request itself was cancelled
                continue  # a newer version's change cancelled the wait: wait for that one
            if doc.version == version and doc.text == text and linted.version == version:
                return linted
        return None

    async def pull_report(self, uri: str, previous_id: str | None) -> RawResult:
        """``textDocument/diagnostic``: the full diagnostics, or ``unchanged`` (see lsp/pull.py)."""
        doc = self.docs.get(uri)
        linted = await self.current(doc) if doc is not None else None
        if doc is None or linted is None:
            return RawResult(kind="full", items=[])
        report, doc.reported = pull_answer(doc.reported, previous_id, linted.diagnostics,
                                           lambda: str(next(self._result_ids)), linted.lineage)
        report.after = doc.release  # (see Document.retired)
        if report["kind"] == "full":
            report.items_json = text_of(linted.diagnostics, linted.version)  # (see lsp/wire.py)
        return report

    def publish(self, uri: str, diagnostics: list[dict[str, Any]], version: int | None) -> None:
        """``textDocument/publishDiagnostics`` with diagnostics that are JSON already (sent as
        the JSON text the check kept of them, if it did: see lsp/wire.py)."""
        text = text_of(diagnostics, version)
        if text is not None and cast(PafixProtocol, self.protocol).send_text(publish_message(uri, text, version)):
            return
        params: dict[str, Any] = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        send = getattr(self.protocol, "_send_data", None)
        if send is None:  # pragma: no cover - other pygls 2.x internals: the typed (slower) way
            converter = self.protocol._converter
            self.text_document_publish_diagnostics(converter.structure(params, t.PublishDiagnosticsParams))
            return
        send({"jsonrpc": "2.0", "method": t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})

    def schedule(self, doc: Document, delay: float) -> None:
        self._cancel(doc)
        doc.pending = asyncio.get_running_loop().create_task(self.lint_and_publish(doc.uri, delay))

    def relint_all(self) -> None:
        for doc in self.docs.values():
            doc.linted = None
            doc.future = None
            self.schedule(doc, 0)
        if self.pull_diagnostics and self.docs:
            self.workspace_diagnostic_refresh(None)  # the client pulls every document again

    # ---- fix all --------------------------------------------------------------------------------
    async def fix_all_edits(self, doc: Document, deadline: float | None = None) -> list[t.TextEdit]:
        version, text = doc.version, doc.text
        linted = await self.linted(doc)
        if doc.version != version or linted.result.checked is None:  # not checked as Robin: nothing to fix
            return []
        config = self.config_for(doc)
        encoding = self.encoding

        def compute() -> list[t.TextEdit]:
            fixed = lint_mod.fix_all(text, doc.display_path, config, linted.result, deadline=deadline)
            if fixed.error:
                log.warning("pafix: the rewriter left %s unchanged: %s", doc.display_path, fixed.error)
            return diff_edits(text, fixed.text, encoding, linted.index)

        edits = await self.run(compute)
        if doc.version != version or doc.text != text:
            return []
        return edits

    def workspace_edit(self, uri: str, version: int | None, edits: Sequence[t.TextEdit]) -> t.WorkspaceEdit:
        if self.client_document_changes:
            return t.WorkspaceEdit(document_changes=[
                t.TextDocumentEdit(t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), list(edits))
            ])
        return t.WorkspaceEdit(changes={uri: list(edits)})


def _kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    if only is None:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def create_server() -> PafixServer:
    ls = PafixServer()

    # ---- lifecycle ----------------------------------------------------------------------------
    @ls.feature(t.INITIALIZE)
    def initialize(ls: PafixServer, params: t.InitializeParams) -> None:
        caps = params.capabilities
        ls.encoding = negotiate_encoding(_get(caps, "general.position_encodings"))
        ls.client_document_changes = bool(_get(caps, "workspace.workspace_edit.document_changes"))
        props = _get(caps, "text_document.code_action.resolve_support.properties") or []
        ls.client_resolve_edit = "edit" in props
        ls.client_pull_configuration = bool(_get(caps, "workspace.configuration"))
        ls.client_watch_files = bool(_get(caps, "workspace.did_change_watched_files.dynamic_registration"))
        # pull only from a client that can also be told to pull again (a configuration file
        # changed): without workspace/diagnostic/refresh it would keep stale diagnostics
        ls.pull_diagnostics = (_get(caps, "text_document.diagnostic") is not None
                               and bool(_get(caps, "workspace.diagnostics.refresh_support")))
        ls.settings = merge_settings(ls.settings, params.initialization_options)

    @ls.feature(t.INITIALIZED)
    async def initialized(ls: PafixServer, params: t.InitializedParams) -> None:
        if ls.client_watch_files:
            try:
                await ls.client_register_capability_async(t.RegistrationParams([t.Registration(
                    "pafix-config-files", t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    t.DidChangeWatchedFilesRegistrationOptions([t.FileSystemWatcher(g) for g in CONFIG_GLOBS]),
                )]))
            except Exception as exc:  # noqa: BLE001
                log.info("pafix: cannot watch configuration files: %s", type(exc).__name__)
        await pull_configuration(ls)

    async def pull_configuration(ls: PafixServer) -> None:
        if not ls.client_pull_configuration:
            return
        try:
            values = await ls.workspace_configuration_async(
                t.ConfigurationParams([t.ConfigurationItem(section="pafix")])
            )
        except Exception as exc:  # noqa: BLE001
            log.info("pafix: workspace/configuration failed: %s", type(exc).__name__)
            return
        if values:
            ls.settings = merge_settings(ls.settings, {"pafix": values[0]} if isinstance(values[0], dict) else None)

    @ls.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: PafixServer, params: t.DidChangeConfigurationParams) -> None:
        before = ls.settings
        ls.settings = merge_settings(ls.settings, params.settings)
        if ls.settings == before:
            await pull_configuration(ls)
        if ls.settings.min_confidence != before.min_confidence:
            ls.relint_all()  # the open documents' diagnostics are of the old confidence

    @ls.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: PafixServer, params: t.DidChangeWatchedFilesParams) -> None:
        ls.configs.clear()
        ls.relint_all()

    # ---- synchronisation ----------------------------------------------------------------------
    @ls.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PafixServer, params: t.DidOpenTextDocumentParams) -> None:
        doc = ls.open_document(params.text_document)
        ls.schedule(doc, 0)

    @ls.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PafixServer, params: t.DidChangeTextDocumentParams) -> None:
        doc = ls.change_document(params)
        if doc is not None:
            ls.schedule(doc, ls.settings.debounce_ms / 1000)

    @ls.feature(t.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PafixServer, params: t.DidSaveTextDocumentParams) -> None:
        doc = ls.docs.get(params.text_document.uri)
        if doc is not None:
            ls.schedule(doc, 0)

    @ls.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PafixServer, params: t.DidCloseTextDocumentParams) -> None:
        doc = ls.docs.pop(params.text_document.uri, None)
        if doc is not None:
            ls._cancel(doc)
        if not ls.pull_diagnostics:  # a client that pulls drops a closed document's itself
            ls.publish(params.text_document.uri, [], None)

    @ls.feature(t.TEXT_DOCUMENT_DIAGNOSTIC, t.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False))
    @guarded(RawResult(kind="full", items=[]))
    async def document_diagnostic(ls: PafixServer, params: t.DocumentDiagnosticParams) -> RawResult:
        return await ls.pull_report(params.text_document.uri, params.previous_result_id)

    # ---- fixes ----------------------------------------------------------------------------------
    @ls.feature(t.TEXT_DOCUMENT_WILL_SAVE_WAIT_UNTIL)
    @guarded(None)
    async def will_save_wait_until(ls: PafixServer, params: t.WillSaveTextDocumentParams) -> list[t.TextEdit] | None:
        if not ls.settings.fix_on_save:
            return None
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            return None
        budget = ls.settings.fix_on_save_timeout_ms / 1000
        started = time.monotonic()
        try:
            edits = await asyncio.wait_for(ls.fix_all_edits(doc, deadline=started + budget), timeout=budget)
        except (TimeoutError, asyncio.TimeoutError):
            ls.window_log_message(t.LogMessageParams(
                t.MessageType.Warning,
                f"pafix: fix on save took longer than {ls.settings.fix_on_save_timeout_ms} ms; saved without fixes",
            ))
            return None
        return edits or None

    @ls.feature(t.TEXT_DOCUMENT_FORMATTING)
    @guarded(None)
    async def formatting(ls: PafixServer, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            return None
        return await ls.fix_all_edits(doc) or None

    @ls.feature(
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True),
    )
    @guarded(None)
    async def code_action(ls: PafixServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        uri = params.text_document.uri
        doc = ls.docs.get(uri)
        if doc is None:
            return None
        only = params.context.only
        actions: list[t.CodeAction] = []
        # the check of the current version, if it is done
        linted = doc.linted if doc.linted is not None and doc.linted.version == doc.version else None
        if _kind_wanted(t.CodeActionKind.QuickFix, only):
            ours = [(d, d.data) for d in params.context.diagnostics
                    if d.source == SOURCE and isinstance(d.data, dict) and "id" in d.data]
            if linted is None and any(data.get("v") == doc.version for _, data in ours):
                # a diagnostic of the current version whose check was dropped since (relint_all)
                linted = await ls.linted(doc)
                linted = linted if linted.version == doc.version else None
            # a diagnostic of any version (of an older one: not yet replaced, or pulled and
            # unchanged since) gets the actions of the same finding in the current check, found
            # by its id; none when it has gone (a new list is on its way)
            found = {f.fingerprint: f for f in linted.result.findings} if linted is not None and ours else {}
            for diag, data in ours:
                finding = found.get(str(data["id"]))
                if finding is not None and linted is not None:
                    actions.extend(quick_fixes(ls, uri, doc.version, diag, finding, linted))
        if _kind_wanted(FIX_ALL_KIND, only):
            explicit = only is not None
            if linted is None and explicit:
                linted = await ls.linted(doc)
            if linted is not None and lint_mod.safe_fixes(linted.result.findings):
                action = t.CodeAction(
                    title="pafix: fix all safely fixable problems", kind=FIX_ALL_KIND,
                    data={"uri": uri, "v": doc.version, "fixAll": True},
                )
                if explicit or not ls.client_resolve_edit:
                    edits = await ls.fix_all_edits(doc)
                    if edits:
                        action.edit = ls.workspace_edit(uri, doc.version, edits)
                        actions.append(action)
                else:
                    actions.append(action)
        return actions or None

    @ls.feature(t.CODE_ACTION_RESOLVE)
    @guarded(None)
    async def code_action_resolve(ls: PafixServer, action: t.CodeAction) -> t.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        if action.edit is None and data.get("fixAll"):
            doc = ls.docs.get(str(data.get("uri")))
            if doc is not None and doc.version == data.get("v"):
                edits = await ls.fix_all_edits(doc)
                action.edit = ls.workspace_edit(doc.uri, doc.version, edits)
        return action

    def quick_fixes(ls: PafixServer, uri: str, version: int | None, diag: t.Diagnostic, finding: Finding,
                    linted: Linted) -> list[t.CodeAction]:
        """The code actions of one diagnostic: ``finding`` is its finding in ``linted``, the
        check of the current version, from which the edits are made (a diagnostic carries none)."""
        out: list[t.CodeAction] = []
        code = str(diag.code)
        index = linted.index
        edits = fix_edits(index, finding, ls.encoding)
        if finding.fix is not None and edits:
            unsafe = finding.fix.safety != "safe"
            title = f"{code}: {finding.fix.description}" + (" (unsafe)" if unsafe else "")
            out.append(t.CodeAction(
                title=title, kind=t.CodeActionKind.QuickFix, diagnostics=[diag],
                is_preferred=not unsafe, edit=ls.workspace_edit(uri, version, edits),
            ))
        remove = removal_edits(index, finding, ls.encoding)
        if remove:
            out.append(t.CodeAction(
                title=f"{code}: remove the unused suppression comment", kind=t.CodeActionKind.QuickFix,
                diagnostics=[diag], is_preferred=True, edit=ls.workspace_edit(uri, version, remove),
            ))
        elif linted.result.checked is not None:
            # a finding of a flow (not a solution's XML)
            suppress = suppress_edit(linted.result, finding_start(index, finding), code)
            out.append(t.CodeAction(
                title=f"{code}: suppress with a comment (# pafix: ignore[{code}])",
                kind=t.CodeActionKind.QuickFix, diagnostics=[diag],
                edit=ls.workspace_edit(uri, version, [text_edit(index, suppress, ls.encoding)]),
            ))
        return out

    # ---- hover ------------------------------------------------------------------------------------
    @ls.feature(t.TEXT_DOCUMENT_HOVER)
    @guarded(None)
    async def hover(ls: PafixServer, params: t.HoverParams) -> t.Hover | None:
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            return None
        linted = await ls.linted(doc)
        index = linted.index
        offset = index.offset(params.position.line, params.position.character, ls.encoding)
        parts: list[str] = []
        hover_range: t.Range | None = None
        checked = linted.result.checked
        if checked is not None:
            found = name_at(checked.flow, offset)
            if found is not None:
                name, fn = found
                parts.append(variable_hover(checked, name, fn))
                hover_range = lsp_range(index, name.span.start, name.span.end, ls.encoding)
        for problem in linted.result.parse_errors:
            if problem.start <= offset <= problem.end:
                parts.append(PARSE_ERROR_HOVER)
                break
        seen: set[str] = set()
        for finding in linted.result.findings:
            if finding.start <= offset <= max(finding.end, finding.start) and finding.rule not in seen:
                seen.add(finding.rule)
                parts.append(rule_hover(finding.rule, finding))
        if not parts:
            return None
        return t.Hover(t.MarkupContent(t.MarkupKind.Markdown, "\n\n---\n\n".join(parts)), hover_range)

    @ls.feature(t.SHUTDOWN)
    def shutdown(ls: PafixServer, params: Any) -> None:
        for doc in ls.docs.values():
            ls._cancel(doc)
        ls.executor.shutdown(wait=False, cancel_futures=True)

    return ls


def start_io() -> None:
    server = create_server()
    _tune_gc()
    server.start_io()


def _tune_gc() -> None:
    """Each check allocates hundreds of thousands of short-lived objects and almost no cycles;
    with Python's default thresholds the collector keeps traversing everything that lives
    (the documents' trees, the analysis, the server's own objects), which made some checks
    of a big flow tens of milliseconds slower. The scan's thresholds, and what was loaded at
    start (modules, the parser's tables, the catalogue) moved out of the collector's sight."""
    from pafix.syntax.parser import _fast, _parser
    from pafix.guard import SCAN_GC_THRESHOLDS

    _parser()
    _fast()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SCAN_GC_THRESHOLDS)


__all__ = ["FIX_ALL_KIND", "PARSE_ERROR_CODE", "PafixServer", "create_server", "start_io"]
