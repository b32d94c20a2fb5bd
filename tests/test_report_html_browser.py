"""The HTML report in a real browser: headless Chromium (Debian package ``chromium``).

A report of a loose flow with a trace (``fixtures/canary/leaky-flow.robin``) and a solution
(``fixtures/solutions/unpacked_minimal``) is opened from a file, as a person would open it:

* ``--dump-dom`` gives the DOM after the page's script ran: every finding is there, the filters
  preset by the URL fragment hide exactly the findings they should, no canary secret shows;
* ``--log-net-log`` records every network request; the page must make none (a control page with
  an external image and script proves the check sees such requests). DNS is mapped to nowhere
  (``--host-resolver-rules``) so that nothing could leave even if one were made;
* ``--screenshot`` renders it.

``.ci/run`` installs chromium when it is missing; the tests skip only where it cannot be found.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from pafix.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
LEAKY = ROOT / "fixtures" / "canary" / "leaky-flow.robin"
SOLUTION = ROOT / "fixtures" / "solutions" / "unpacked_minimal"
CANARY_PARTS = ("CANAR", "q7f3a9", "w2b8k4", "r5n1x6", "t9m4z2", "y3h8v1")

#: flags that keep the browser itself quiet (no update checks, sync, ...) and resolve no name
QUIET = [
    "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-client-side-phishing-detection", "--disable-domain-reliability",
    "--disable-breakpad", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="!!! HEADLESS CHROMIUM NOT INSTALLED: the HTML report was NOT checked in a browser "
           "(apt-get install chromium; .ci/run does this) !!!",
)


@dataclass(frozen=True)
class Page:
    dom: str
    requests: list[str]  #: URLs the page itself asked for (not the browser's own traffic)


def open_page(url: str, tmp: Path, *extra: str) -> Page:
    assert CHROMIUM is not None
    tmp.mkdir(parents=True, exist_ok=True)
    netlog = tmp / "net.json"
    proc = subprocess.run(
        [CHROMIUM, *QUIET, f"--user-data-dir={tmp / 'profile'}", f"--log-net-log={netlog}", *extra, url],
        capture_output=True, text=True, timeout=120, cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Page(proc.stdout, page_requests(netlog))


def page_requests(netlog: Path) -> list[str]:
    """URLs requested on behalf of a page opened from a file (its network isolation key is
    ``file://``); the browser's own requests have none."""
    events = json.loads(netlog.read_text(encoding="utf-8")).get("events", [])
    return sorted({
        str(p["url"]) for e in events if isinstance(p := e.get("params"), dict)
        and "url" in p and "file://" in str(p.get("network_isolation_key", ""))
    })


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = CliRunner().invoke(main, ["scan", "--no-cache", "--format", "html", "-o", str(out), str(LEAKY),
                                       str(SOLUTION)])
    assert result.exit_code == 1, result.output
    yield out


@pytest.fixture(scope="module")
def expected_count() -> int:
    """How many findings the JSON report has for the same inputs: the page must show each."""
    result = CliRunner().invoke(main, ["scan", "--no-cache", "--format", "json", str(LEAKY), str(SOLUTION)])
    count = len(json.loads(result.output)["findings"])
    assert count > 10  # a loose flow and a solution flow, each with several findings
    return count


def findings_in(dom: str) -> list[tuple[str, str, bool]]:
    """(severity, rule, hidden) of each finding article of a DOM."""
    out = []
    for tag in re.findall(r"<article [^>]*>", dom):
        sev = re.search(r'data-severity="([^"]*)"', tag)
        rule = re.search(r'data-rule="([^"]*)"', tag)
        assert sev and rule
        out.append((sev.group(1), rule.group(1), " hidden" in tag))
    return out


def test_the_network_check_sees_a_page_that_loads(tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text('<img src="https://example.com/x.png"><script src="http://example.org/a.js"></script>',
                       encoding="utf-8")
    page = open_page(control.as_uri(), tmp_path / "b", "--dump-dom")
    assert page.requests == ["http://example.org/a.js", "https://example.com/x.png"]


def test_report_opens_with_every_finding_and_no_request(report: Path, tmp_path: Path, expected_count: int) -> None:
    page = open_page(report.as_uri(), tmp_path, "--dump-dom")
    found = findings_in(page.dom)
    n = expected_count
    assert len(found) == n
    assert not any(hidden for *_, hidden in found)
    assert f'data-shown="{n}"' in page.dom  # the script ran
    assert f'<output id="shown" aria-live="polite">{n} of {n}</output>' in page.dom
    assert page.dom.count('<svg class="trace"') == n and 'class="solution-graph"' in page.dom
    assert page.requests == []
    for part in CANARY_PARTS:
        assert part not in page.dom


def test_fragment_presets_the_filters(report: Path, tmp_path: Path) -> None:
    page = open_page(report.as_uri() + "#severity=error", tmp_path / "a", "--dump-dom")
    found = findings_in(page.dom)
    shown = [(sev, rule) for sev, rule, hidden in found if not hidden]
    assert shown and all(sev == "error" for sev, _ in shown)
    assert len(shown) == sum(1 for sev, *_ in found if sev == "error") < len(found)
    assert f'data-shown="{len(shown)}"' in page.dom

    flow = f"{SOLUTION}!Pafix Sample: Login & Token"
    query = "#rule=PAF101&flow=" + flow.replace("&", "%26").replace(" ", "+") + "&q=output_token"
    page = open_page(report.as_uri() + query, tmp_path / "b", "--dump-dom")
    shown = [(sev, rule) for sev, rule, hidden in findings_in(page.dom) if not hidden]
    assert shown == [("error", "PAF101")], shown


def test_screenshot(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    open_page(report.as_uri(), tmp_path, f"--screenshot={png}", "--window-size=1280,1400")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
