"""A local Dataverse Web API stand-in on loopback for the online tests: real HTTP
(stdlib ``http.server`` in a thread) answering from fixtures/dataverse/*.json, the documented
response shapes. It records every request (method and path) so a test can assert that only GET
was sent; ``page_size`` splits collections into pages linked by ``@odata.nextLink``;
``throttle`` answers that many requests with 429 and ``Retry-After``; ``status`` answers every
request with that status; ``delay`` sleeps before answering (timeouts)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dataverse"
API = "/api/data/v9.2/"


def load(name: str = "contoso.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@dataclass
class Fake:
    routes: dict[str, Any]
    page_size: int = 0
    throttle: int = 0
    retry_after: str = "0.1"
    status: int | None = None
    delay: float = 0.0
    seen: list[tuple[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def answer(self, method: str, raw_path: str) -> tuple[int, dict[str, str], Any]:
        self.seen.append((method, raw_path))
        if self.delay:
            time.sleep(self.delay)
        if method != "GET":
            return 405, {}, {"error": {"code": "0x0", "message": "read-only stand-in"}}
        if self.throttle > 0:
            self.throttle -= 1
            return 429, {"Retry-After": self.retry_after}, {"error": {"code": "0x80072322", "message": "Number of requests exceeded the limit"}}
        if self.status is not None:
            return self.status, {}, {"error": {"code": "0x80072560", "message": "The user is not a member of the organization."}}
        parts = urlsplit(raw_path)
        if not parts.path.startswith(API):
            return 404, {}, {"error": {"code": "0x0", "message": "not the Web API"}}
        path = unquote(parts.path[len(API):])
        query = parse_qs(parts.query, keep_blank_values=True)
        key = path + (f"?@t={query['@t'][0]}" if "@t" in query else "")
        found = self.routes.get(key)
        if found is None:
            return 404, {}, {"error": {"code": "0x80040217", "message": f"Resource not found for the segment '{path}'."}}
        if isinstance(found, dict) and "status" in found and "body" in found:
            return int(found["status"]), {}, found["body"]
        if self.page_size and isinstance(found.get("value"), list):
            skip = int(query.get("$skiptoken", ["0"])[0])
            rows = found["value"]
            page = dict(found, value=rows[skip: skip + self.page_size])
            if skip + self.page_size < len(rows):
                base = f"http://{self.host}{parts.path}"
                page["@odata.nextLink"] = f"{base}?$skiptoken={skip + self.page_size}"
            return 200, {}, page
        return 200, {}, found

    host: str = ""


class _Handler(BaseHTTPRequestHandler):
    fake: Fake

    def _any(self) -> None:
        self.fake.headers.append(dict(self.headers.items()))
        status, headers, body = self.fake.answer(self.command, self.path)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("OData-Version", "4.0")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

    def log_message(self, *_args: object) -> None:
        pass


class Server:
    """``with Server(fake) as base:`` — ``base`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, fake: Fake) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        fake.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.fake = fake
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://{self.fake.host}"

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
