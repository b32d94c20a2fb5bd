"""The JSON-RPC side of ``pafix lsp``: pygls' protocol as the server uses it, and the guard that
keeps an exception's text (which may quote a flow) out of what a request answers."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from lsprotocol import types as t
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from pafix.lsp.pull import RawResult
from pafix.lsp.wire import response_message

log = logging.getLogger("pafix.lsp")

R = TypeVar("R")


class PafixProtocol(LanguageServerProtocol):
    """pygls' protocol, except that document synchronisation is left to :class:`PafixServer`
    (it keeps its own buffers, so pygls' copy would only cost time on every keystroke)."""

    def _user(self, method: str, params: Any) -> Any:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    def _send_response(self, msg_id: Any, result: Any | None = None, error: Any = None) -> None:
        """A :class:`~pafix.lsp.pull.RawResult` goes out as it is, then its ``after`` runs."""
        if error is None and isinstance(result, RawResult):
            self._result_types.pop(msg_id, None)
            if result.items_json is None or not self.send_text(
                    response_message(msg_id, result, "items", result.items_json)):
                self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": result})
            if result.after is not None:
                result.after()
            return
        super()._send_response(msg_id, result, error)

    def send_text(self, body: str) -> bool:
        """Send a message that is JSON text already (ASCII, as ``json.dumps`` writes it), the
        way pygls' ``_send_data`` sends the text it makes; False when this pygls has no writer
        of that kind (the caller sends the message the usual way)."""
        writer = getattr(self, "writer", None)
        if writer is None or not hasattr(self, "_include_headers"):  # pragma: no cover - other pygls internals
            return False
        data = body.encode(self.CHARSET)
        if self._include_headers:
            data = (f"Content-Length: {len(data)}\r\n"
                    f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n").encode(self.CHARSET) + data
        try:
            sent = writer.write(data)
        except BrokenPipeError:
            raise  # the client is gone (as pygls does)
        except Exception as exc:  # noqa: BLE001 - as pygls: logged, the server goes on
            log.error("pafix: cannot send a message: %s", safe_trace(exc))
            return True
        if inspect.isawaitable(sent):  # pragma: no cover - a websocket's writer
            asyncio.ensure_future(sent)
        return True

    @lsp_method(t.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: t.DidOpenTextDocumentParams) -> Any:
        yield from self._user(t.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: t.DidChangeTextDocumentParams) -> Any:
        yield from self._user(t.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(t.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: t.DidCloseTextDocumentParams) -> Any:
        yield from self._user(t.TEXT_DOCUMENT_DID_CLOSE, params)


def safe_trace(exc: BaseException) -> str:
    """Where an error happened, without its message (an exception text may quote data)."""
    return f"{type(exc).__name__}\n" + "".join(traceback.format_tb(exc.__traceback__))


def guarded(default: Any = None) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[R]]]:
    """A handler whose errors are logged (type and stack only) and answered with ``default``
    instead of a JSON-RPC error that would carry the exception's text to the client."""

    def wrap(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
        @functools.wraps(fn)
        async def inner(*args: Any, **kwargs: Any) -> R:
            try:
                return await fn(*args, **kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.error("pafix: %s failed: %s", fn.__name__, safe_trace(exc))
                return cast(R, default)

        return inner

    return wrap


__all__ = ["PafixProtocol", "guarded", "safe_trace"]
