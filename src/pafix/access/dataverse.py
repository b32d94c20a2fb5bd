"""A read-only Dataverse Web API (v9.2) client: GET only, paging, throttling, clear errors.

The only HTTP method this module ever sends is ``GET`` (:meth:`DataverseClient._send` is the one
place a request is made, and it has no method parameter): it reads tables, metadata and the
read-only *functions* (``RetrieveSharedPrincipalsAndAccess``, ``RetrievePrincipalAccess``,
``RetrieveRolePrivilegesRole``), which the Web API calls with GET. Nothing is ever written.

* **Paging**: ``Prefer: odata.maxpagesize=N``; :meth:`DataverseClient.get_all` follows
  ``@odata.nextLink`` (only on the same origin) for at most ``max_pages`` pages.
* **Throttling**: a 429 (or 503) answer is retried after its ``Retry-After`` seconds (capped at
  ``max_wait``), at most ``max_retries`` times; then a :class:`DataverseError`.
* **Errors**: timeouts, connection failures, 401/403 and other failures raise
  :class:`DataverseError` with a one-line message naming the request path, the status and the
  Web API's own error message — never the token, never a query string with a secret in it (the
  client never puts one there).
* **Where requests go**: ``https://HOST/api/data/v9.2/``. For tests and local development the
  environment variable ``PAFIX_DATAVERSE_BASE_URL`` may point the client at an ``http://``
  server, but only on a loopback address (``127.0.0.1``, ``::1``, ``localhost``); the token is
  still asked for ``https://HOST/.default``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

API_PATH = "/api/data/v9.2/"
BASE_URL_ENV = "PAFIX_DATAVERSE_BASE_URL"
DEFAULT_TIMEOUT = 30.0
DEFAULT_PAGE_SIZE = 500
DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_RETRIES = 4
DEFAULT_MAX_WAIT = 60.0
_RETRY_STATUSES = frozenset({429, 503})
#: annotations asked for: display names of lookups (a flow's owner) and the table a lookup points at
_ANNOTATIONS = "OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname"
_QUERY_SAFE = "$,()'@:/=*"
_PATH_SAFE = "/(),'=@:.-_"
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


class DataverseError(Exception):
    """Reading the environment failed; the message is one line and holds no token or secret.
    ``status`` is the HTTP status when the server answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AccessTokenLike(Protocol):
    @property
    def token(self) -> str: ...


class TokenCredential(Protocol):
    """What :mod:`azure.identity` credentials offer (``get_token``); tests pass a tiny fake."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessTokenLike: ...


@dataclass(frozen=True, slots=True)
class Environment:
    """A Dataverse environment: ``host`` (``contoso.crm.dynamics.com``) and where its Web API is."""

    host: str
    api: str  #: the Web API root, ending in ``/api/data/v9.2/``

    @property
    def resource(self) -> str:
        return f"https://{self.host}"

    @property
    def scope(self) -> str:
        return f"https://{self.host}/.default"


def environment_of(url: str, *, env: Mapping[str, str] | None = None) -> Environment:
    """The environment named by ``url`` (``https://ORG.crm.dynamics.com``, a bare host, or
    ``dataverse://ORG``); ``PAFIX_DATAVERSE_BASE_URL`` (loopback ``http://`` only) redirects
    the requests. Raises :class:`DataverseError` for anything else."""
    env = os.environ if env is None else env
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("https", "dataverse"):
        raise DataverseError("the environment URL must be https://ORG.crm.dynamics.com")
    host = (parts.hostname or "").lower()
    if not _HOST.match(host) or parts.username or parts.password or parts.port or parts.query:
        raise DataverseError("not an environment URL (expected https://ORG.crm.dynamics.com, no user, port or query)")
    override = env.get(BASE_URL_ENV, "").strip()
    if override:
        return Environment(host, _loopback_api(override))
    return Environment(host, f"https://{host}{API_PATH}")


def _loopback_api(base: str) -> str:
    parts = urlsplit(base)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback or parts.username or parts.password or parts.query:
        raise DataverseError(f"{BASE_URL_ENV} must be an http:// URL on a loopback address (tests and development only)")
    path = parts.path.rstrip("/")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return f"http://{netloc}{path}{API_PATH}"


def _shown(text: str, limit: int = 120) -> str:
    """``text`` on one line, clipped, without a query string (it could carry a key)."""
    one = " ".join(text.split())
    one = one.split("?", 1)[0]
    return one if len(one) <= limit else one[: limit - 1] + "…"


class DataverseClient:
    """GET requests to one environment's Web API with a bearer token from ``credential``."""

    def __init__(
        self,
        environment: Environment,
        credential: TokenCredential,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.environment = environment
        self._credential = credential
        self._token: str | None = None
        self._page_size = page_size
        self._max_pages = max_pages
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._sleep = sleep
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)
        #: number of requests sent (throttled retries included)
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DataverseClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- requests ---------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One GET of ``path`` (relative to the Web API root), its JSON object."""
        return self._send(self.url(path, params), path)

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The full URL of ``path`` with ``params`` as an OData query (spaces as ``%20``, not
        ``+``; ``$``, quotes, parentheses and ``@`` kept as OData writes them)."""
        query = "&".join(f"{k}={quote(v, safe=_QUERY_SAFE)}" for k, v in (params or {}).items())
        return self.environment.api + quote(path, safe=_PATH_SAFE) + (f"?{query}" if query else "")

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a collection, following ``@odata.nextLink`` page by page."""
        url = self.url(path, params)
        for _page in range(self._max_pages):
            body = self._send(url, path)
            rows = body.get("value")
            if not isinstance(rows, list):
                raise DataverseError(f"GET {_shown(path)}: the answer has no 'value' list")
            yield from (row for row in rows if isinstance(row, dict))
            link = body.get("@odata.nextLink")
            if not isinstance(link, str) or not link:
                return
            if not _same_origin(link, self.environment.api):
                raise DataverseError(f"GET {_shown(path)}: @odata.nextLink points at another server; refused")
            url = link  # the link carries the query (and the skip token) itself
        raise DataverseError(f"GET {_shown(path)}: more than {self._max_pages} pages; stopped")

    def _bearer(self) -> str:
        if self._token is None:
            try:
                token = self._credential.get_token(self.environment.scope).token
            except Exception as exc:  # noqa: BLE001 - azure-identity raises many types; one line out
                raise DataverseError(f"authentication failed: {_auth_reason(exc)}") from None
            if not isinstance(token, str) or not token:
                raise DataverseError("authentication failed: the credential gave no token")
            self._token = token
        return self._token

    def _send(self, url: str, shown: str) -> dict[str, Any]:
        import httpx

        headers = {
            "Authorization": f"Bearer {self._bearer()}",
            "Accept": "application/json",
            "OData-MaxVersion": "4.0",
            "OData-Version": "4.0",
            "Prefer": f'odata.maxpagesize={self._page_size},odata.include-annotations="{_ANNOTATIONS}"',
        }
        for attempt in range(self._max_retries + 1):
            self.requests += 1
            try:
                response = self._http.get(url, headers=headers)
            except httpx.TimeoutException:
                raise DataverseError(f"GET {_shown(shown)}: no answer within {self._timeout:g} s (timeout)") from None
            except httpx.HTTPError as exc:
                raise DataverseError(f"GET {_shown(shown)}: cannot connect ({type(exc).__name__})") from None
            status = response.status_code
            if status in _RETRY_STATUSES and attempt < self._max_retries:
                self._sleep(_retry_after(response.headers.get("Retry-After"), attempt, self._max_wait))
                continue
            if status in _RETRY_STATUSES:
                raise DataverseError(f"GET {_shown(shown)}: still throttled ({status}) after "
                                     f"{self._max_retries} retries")
            if status in (401, 403):
                what = "not authenticated" if status == 401 else "not allowed"
                raise DataverseError(f"GET {_shown(shown)}: {what} ({status}){_api_message(response)}", status)
            if status >= 400:
                raise DataverseError(f"GET {_shown(shown)}: HTTP {status}{_api_message(response)}", status)
            try:
                body = response.json()
            except ValueError:
                raise DataverseError(f"GET {_shown(shown)}: the answer is not JSON") from None
            if not isinstance(body, dict):
                raise DataverseError(f"GET {_shown(shown)}: the answer is not a JSON object")
            return body
        raise AssertionError("unreachable")  # pragma: no cover


def _same_origin(link: str, api: str) -> bool:
    a, b = urlsplit(link), urlsplit(api)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _retry_after(value: str | None, attempt: int, cap: float) -> float:
    """Seconds to wait: ``Retry-After`` (seconds) when given, else 1, 2, 4 … ; at most ``cap``."""
    try:
        wait = float(value) if value is not None else float(2 ** attempt)
    except ValueError:
        wait = float(2 ** attempt)
    return max(0.0, min(wait, cap))


def _api_message(response: Any) -> str:
    """``: <the Web API's error message>`` on one line, clipped; empty when there is none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f": {_shown(message, 160)}" if isinstance(message, str) and message.strip() else ""


def _auth_reason(exc: Exception) -> str:
    """The first line of an azure-identity error, clipped (they name the credential that failed
    and what to do; they never carry the secret)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _shown(text, 200)
