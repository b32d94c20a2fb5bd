"""``pafix env`` and ``pafix scan dataverse://HOST`` end to end over real HTTP on loopback,
against a stand-in answering in the documented Web API shapes (fixtures/dataverse)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("httpx")

from pafix.access import auth  # noqa: E402
from pafix.access.dataverse import DataverseClient, DataverseError, environment_of  # noqa: E402
from pafix.cli.main import main  # noqa: E402

from dataverse_server import Fake, Server, load  # noqa: E402

HOST = "contoso.crm.dynamics.com"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-token-never-printed"
INVOICES = f"dataverse://{HOST}/workflows(1d3b6f7e-2c4a-4e8b-9f10-aa0000000001)"


class FakeToken:
    token = TOKEN


class FakeCredential:
    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> FakeToken:
        self.scopes.append(scopes)
        return FakeToken()


@pytest.fixture
def credential(monkeypatch: pytest.MonkeyPatch) -> FakeCredential:
    cred = FakeCredential()
    monkeypatch.setattr(auth, "credential_for", lambda _method: cred)
    return cred


@pytest.fixture
def fake() -> Fake:
    return Fake(load()["routes"])


@pytest.fixture
def base(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with Server(fake) as url:
        monkeypatch.setenv("PAFIX_DATAVERSE_BASE_URL", url)
        yield url


def _env(*args: str) -> Any:
    return CliRunner().invoke(main, ["env", "--url", f"https://{HOST}", *args], catch_exceptions=False)


def _only_get(fake: Fake) -> None:
    assert fake.seen, "no request reached the server"
    assert {m for m, _p in fake.seen} == {"GET"}


# ---- pafix env ------------------------------------------------------------------------------


def test_env_reports_audit_roles_and_access_gap(base: str, fake: Fake, credential: FakeCredential) -> None:
    run = _env("--format", "json")
    assert run.exit_code == 1, run.output
    data = json.loads(run.stdout)
    found = {(f["path"], f["rule"]) for f in data["findings"]}
    assert (f"dataverse://{HOST}/organizations(883278f5-07af-45eb-a0bc-3fea67caa544)", "PAF405") in found
    assert (f"dataverse://{HOST}/EntityDefinitions(LogicalName='workqueueitem')", "PAF405") in found
    assert (f"dataverse://{HOST}/roles(9e3f1a20-3333-4b7c-8d2e-000000000001)", "PAF401") in found
    assert (INVOICES, "PAF406") in found
    assert [f["rule"] for f in data["findings"]].count("PAF401") == 1  # 'Queue Users' grants Basic only
    env = data["environment"]
    assert env["audit"] == {"environment": False, "user_access": False, "retention_days": 30}
    assert "table Credential (credential) does not exist in this environment" in env["notes"]
    inv = next(f for f in env["desktop_flows"] if f["name"] == "Invoices")
    assert inv["owner"]["name"] == "Olga Owner"
    assert {s["name"] for s in inv["shared_with"]} == {"Ana Runner", "Invoice Team"}
    status = {c["kind"]: (c["status"], [m["name"] for m in c["missing"]]) for c in inv["components"]}
    assert status == {"desktop-flow": ("reachable", []), "work-queue": ("gap", ["Ana Runner"])}
    assert credential.scopes == [(f"https://{HOST}/.default",)]
    _only_get(fake)


def test_env_sends_the_token_and_odata_headers(base: str, fake: Fake, credential: FakeCredential) -> None:
    _env()
    first = {k.lower(): v for k, v in fake.headers[0].items()}
    assert first["authorization"] == f"Bearer {TOKEN}"
    assert first["odata-version"] == "4.0"
    assert "odata.maxpagesize=" in first["prefer"]


@pytest.mark.parametrize("fmt", ["text", "sarif", "github"])
def test_env_findings_in_every_format(base: str, credential: FakeCredential, fmt: str) -> None:
    run = _env("--format", fmt)
    assert run.exit_code == 1
    assert "PAF406" in run.stdout and "PAF401" in run.stdout and "PAF405" in run.stdout
    assert TOKEN not in run.output
    if fmt == "sarif":
        sarif = json.loads(run.stdout)
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
        assert any(u.startswith("dataverse://") for u in uris)
    if fmt == "text":
        assert "environment contoso.crm.dynamics.com" in run.stdout
        assert "gap       work-queue" in run.stdout


def test_env_paging_follows_next_link(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.page_size = 1
    run = _env("--format", "json")
    assert run.exit_code == 1, run.output
    data = json.loads(run.stdout)
    assert [f["name"] for f in data["environment"]["desktop_flows"]] == ["Invoices", "Load config"]
    assert sum(1 for _m, p in fake.seen if "$skiptoken=1" in p) >= 2  # workflows and roles went to page 2
    _only_get(fake)


def test_env_waits_retry_after_on_429(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.throttle = 2
    run = _env("--format", "json")
    assert run.exit_code == 1, run.output
    assert fake.seen[0][1] == fake.seen[2][1]  # the same request, answered on the third try


def test_env_gives_up_after_bounded_retries(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.throttle = 100
    fake.retry_after = "0"
    run = _env()
    assert run.exit_code == 2
    assert "still throttled (429) after 4 retries" in run.stderr
    assert len(fake.seen) == 5


def test_env_401_is_one_clear_line(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.status = 401
    run = _env()
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "not authenticated (401)" in lines[0] and "not a member of the organization" in lines[0]
    assert TOKEN not in run.output


def test_env_403(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.status = 403
    run = _env()
    assert run.exit_code == 2 and "not allowed (403)" in run.stderr


def test_env_timeout(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.delay = 1.0
    run = _env("--timeout", "0.2")
    assert run.exit_code == 2
    assert "no answer within 0.2 s (timeout)" in run.stderr


def test_env_auth_failure_names_no_secret(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing:
        def get_token(self, *_scopes: str, **_kw: Any) -> Any:
            raise RuntimeError("EnvironmentCredential authentication unavailable. Environment variables are not fully configured.")

    monkeypatch.setattr(auth, "credential_for", lambda _m: Failing())
    run = _env("--auth", "environment")
    assert run.exit_code == 2
    assert run.stderr.strip() == ("pafix: error: authentication failed: EnvironmentCredential authentication "
                                  "unavailable. Environment variables are not fully configured.")


# ---- pafix scan dataverse://HOST ------------------------------------------------------------


def test_scan_dataverse_runs_every_rule_on_the_flows(base: str, fake: Fake, credential: FakeCredential) -> None:
    run = CliRunner().invoke(main, ["scan", "--no-cache", "-j", "1", "--format", "json", f"dataverse://{HOST}"])
    assert run.exit_code == 1, run.output
    data = json.loads(run.stdout)
    hits = {(f["path"], f["flow"], f["rule"]) for f in data["findings"]}
    assert (INVOICES, "Invoices", "PAF104") in hits
    assert "Wi***" in run.stdout and "Winter2024!" not in run.stdout
    _only_get(fake)


def test_scan_dataverse_text_shows_address_and_flow_name(base: str, credential: FakeCredential) -> None:
    run = CliRunner().invoke(main, ["scan", "--no-cache", "-j", "1", f"dataverse://{HOST}"])
    assert f"{INVOICES}!Invoices:3:" in run.stdout


def test_scan_dataverse_error_is_an_error_result(base: str, fake: Fake, credential: FakeCredential) -> None:
    fake.status = 401
    run = CliRunner().invoke(main, ["scan", "--no-cache", "-j", "1", f"dataverse://{HOST}"])
    assert run.exit_code == 2
    assert "not authenticated (401)" in run.output


# ---- the client ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["http://10.0.0.5:8080", "https://127.0.0.1:1", "http://example.com", "ftp://127.0.0.1"])
def test_base_url_override_is_loopback_http_only(value: str) -> None:
    with pytest.raises(DataverseError, match="loopback"):
        environment_of(f"https://{HOST}", env={"PAFIX_DATAVERSE_BASE_URL": value})


@pytest.mark.parametrize("url", ["http://contoso.crm.dynamics.com", "https://user:pw@contoso.crm.dynamics.com",
                                 "https://contoso.crm.dynamics.com?key=abc", "https://x"])
def test_environment_url_must_be_https_host(url: str) -> None:
    with pytest.raises(DataverseError) as info:
        environment_of(url, env={})
    assert "pw" not in str(info.value) and "abc" not in str(info.value)


def test_environment_of_accepts_the_forms() -> None:
    for url in (f"https://{HOST}", f"https://{HOST}/", HOST, f"dataverse://{HOST}"):
        env = environment_of(url, env={})
        assert env.api == f"https://{HOST}/api/data/v9.2/" and env.scope == f"https://{HOST}/.default"


def test_next_link_to_another_server_is_refused(base: str, fake: Fake) -> None:
    fake.routes = {"roles": {"value": [], "@odata.nextLink": "https://evil.example.com/api/data/v9.2/roles?$skiptoken=1"}}
    with DataverseClient(environment_of(f"https://{HOST}"), FakeCredential()) as client:
        with pytest.raises(DataverseError, match="another server"):
            list(client.get_all("roles"))


def test_odata_query_keeps_spaces_as_percent_20(base: str) -> None:
    with DataverseClient(environment_of(f"https://{HOST}"), FakeCredential()) as client:
        url = client.url("workflows", {"$filter": "category eq 6"})
    assert url.endswith("/api/data/v9.2/workflows?$filter=category%20eq%206")
