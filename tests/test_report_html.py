"""The HTML report (``pafix scan --format html``): escaping, masking, self-containment, drawings.

The browser side (filters, screenshot, DOM after the script ran) is in
``tests/test_report_html_browser.py``; the canary tests (``test_no_secret_leaks*.py``) run the
html format on every hostile input too.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from pafix.cli.main import main
from pafix.findings import FileResult, Finding, TraceStep
from pafix.report.html import render_html
from pafix.report.html_graphs import common_prefix, solution_graph, trace_graph
from pafix.report.listing import FlowListing, listing_of
from pafix.report.masking import mask_values
from pafix.report.results import ScanStats
from pafix.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
LEAKY = ROOT / "fixtures" / "canary" / "leaky-flow.robin"
SOLUTION = ROOT / "fixtures" / "solutions" / "unpacked_minimal"
STATS = ScanStats(1, 10, 0.01)

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"

#: a flow whose values sit where a report might show them: comment, number, annotation, text
PLANTED = """\
@@Secret: 'CANARY-ann0t8-ANNOT'
# the admin password is CANARY-c0mm7x-COMMENT
SET Pin TO 48213377
SET Token TO $'''CANARY-t0k3nq-TEXT'''
SET Copy TO Token
Display.ShowMessageDialog.ShowMessage Title: $'''Hi''' Message: Copy ButtonPressed=> Pressed
"""


class AttributeCollector(HTMLParser):
    """Every (attribute, value) of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(attrs)


def scan_html(tmp_path: Path, *paths: str | Path, fragment: str = "") -> str:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["scan", "--no-cache", "--format", "html", "-o", str(out),
                                       *map(str, paths)])
    assert result.exit_code in (0, 1), result.output
    return out.read_text(encoding="utf-8")


def finding(**kw: object) -> Finding:
    base: dict[str, object] = dict(rule="PAF102", name="secret-reaches-sink", severity="error",
                                   message="Token reaches Message", line=3, column=1, end_line=3, end_column=5)
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


# ---- masking -------------------------------------------------------------------------------


def test_mask_values_hides_literals_numbers_comments_and_annotations() -> None:
    masked = mask_values(parse(PLANTED))
    assert "CANAR" not in masked and "48213377" not in masked
    lines = masked.splitlines()
    assert lines[0] == "@@Secret: '***'"
    assert lines[1] == "#***"
    assert lines[2] == "SET Pin TO ***"
    assert lines[3] == "SET Token TO $'''***'''"
    assert lines[4] == "SET Copy TO Token"  # names stay: they are what a reader needs
    assert len(lines) == len(PLANTED.splitlines())


def test_mask_values_keeps_holes_and_lines_of_multiline_text() -> None:
    flow = parse("SET A TO $'''one\nCANARY-mult1l-LINE %Name% two'''\nSET B TO A\n")
    masked = mask_values(flow)
    assert masked.splitlines() == ["SET A TO $'''***", "***%Name%***'''", "SET B TO A"]


def test_listing_marks_continuations_and_reads_run_flow_links() -> None:
    flow = parse("SET A TO $'''x\ny'''\nExternal.RunFlow FlowId: '{AB12-CD}' @In: A\n")
    listing = listing_of(flow, "{FFFF-0}")
    assert listing.line(1) == "SET A TO $'''***" and listing.line(2) is None  # continuation
    assert listing.run_flow_ids == ("ab12-cd",) and listing.workflow_id == "ffff-0"
    assert "AB12" not in "".join(listing.lines)  # the id is shown masked like any text


# ---- escaping and self-containment ---------------------------------------------------------


def _hostile_page() -> str:
    listing = listing_of(parse(PLANTED), "11111111-0000")
    steps = (TraceStep(4, 1, "Token (hard-coded)", flow=HOSTILE), TraceStep(5, 1, f"stored in Copy {HOSTILE}"),
             TraceStep(6, 60, "sink: Message"))
    result = FileResult("sol.zip", (finding(message=f"msg {HOSTILE}", trace=steps, flow=HOSTILE, line=6),),
                        lines=6, flow=HOSTILE)
    return render_html([result], STATS, listings={("sol.zip", HOSTILE): listing}, rules={}, tool_version="t")


def test_flow_names_and_messages_are_escaped() -> None:
    page = _hostile_page()
    assert page.count("<script") == 1  # the report's own script, nothing else
    assert "<img" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "msg &lt;script&gt;" in page


def test_no_secret_and_no_external_load() -> None:
    page = _hostile_page()
    assert "CANAR" not in page and "48213377" not in page
    attributes = AttributeCollector()
    attributes.feed(page)
    names = {name for name, _ in attributes.found}
    assert not names & {"src", "href", "xlink:href", "action", "srcset", "poster", "data", "background"}
    assert not [v for _, v in attributes.found if v and re.search(r"(?i)^\s*(https?:|//|javascript:)|url\((?!#)", v)]
    assert not re.search(r"https?://", page)
    assert "@import" not in page and "url(http" not in page


def test_content_security_policy_allows_only_the_page_own_script_and_style() -> None:
    page = _hostile_page()
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp is not None
    policy = html.unescape(csp.group(1))
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script and style
    for block, directive in ((script.group(1), "script-src"), (style.group(1), "style-src")):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy


def test_findings_without_listing_are_listed_without_drawing() -> None:
    result = FileResult("a.robin", (finding(),), lines=3)
    page = render_html([result], STATS, listings={}, rules={}, tool_version="t")
    assert 'class="finding sev-error"' in page and "<svg class=\"trace\"" not in page


def test_confidence_and_kind_show_when_findings_carry_them() -> None:
    class WithConfidence:  # a finding of a later version: same fields plus confidence and kind
        def __init__(self, base: Finding) -> None:
            self.base = base
            self.confidence, self.kind = "medium", "credential"

        def __getattr__(self, name: str) -> object:
            return getattr(self.base, name)

    result = FileResult("a.robin", (WithConfidence(finding()),), lines=3)  # type: ignore[arg-type]
    page = render_html([result], STATS, listings={}, rules={}, tool_version="t")
    assert 'data-confidence="medium"' in page and "By confidence" in page and "kind: credential" in page
    plain = render_html([FileResult("a.robin", (finding(),), lines=3)], STATS, listings={}, rules={},
                        tool_version="t")
    assert 'data-confidence="high"' in plain  # every finding has a confidence now (high by default)


# ---- drawings ------------------------------------------------------------------------------


def test_trace_is_drawn_over_the_statements_it_passes_through(tmp_path: Path) -> None:
    flow = tmp_path / "planted.robin"
    flow.write_text(PLANTED, encoding="utf-8")
    page = scan_html(tmp_path, flow)
    assert "CANAR" not in page and "48213377" not in page
    article = page[page.index('data-rule="PAF102"'):]
    article = article[: article.index("</article>")]
    svg = article[article.index('<svg class="trace"'): article.index("</svg>")]
    # source and store are both on line 5 (one node "1,2"), the sink on line 6
    assert re.findall(r'text-anchor="middle">([^<]+)<', svg) == ["1,2", "3"]
    assert svg.count('class="edge"') == 1
    assert "SET Copy TO Token" in svg
    assert "Title: $&#39;&#39;&#39;***&#39;&#39;&#39; Message: Copy" in svg  # literals masked
    assert re.search(r'class="ln"[^>]*>6<', svg)  # line numbers on the statements
    assert "1  Token (secret by its name)" in svg and "3  sink: Message of" in svg
    assert 'node-source' in svg and 'node-sink' in svg


def test_long_distances_fold_into_a_gap_row() -> None:
    source = "SET Token TO $'''x'''\n" + "SET A TO 1\n" * 10 + "SET Copy TO Token\n"
    listing = listing_of(parse(source))
    f = finding(trace=(TraceStep(1, 1, "src"), TraceStep(12, 1, "sink")), line=12)
    graph = trace_graph(f, None, {None: listing})
    assert graph is not None
    assert [r.kind for r in graph.rows] == ["code", "gap", "code"]
    assert graph.rows[1].text == "⋯ 10 more lines"


def test_solution_graph_links_cycles_and_missing_targets() -> None:
    def lst(wid: str, *links: str) -> FlowListing:
        return FlowListing(("x",), workflow_id=wid, run_flow_ids=links)

    flows = [("Sol: Main", lst("a", "b", "c", "zz")), ("Sol: Child", lst("b", "c")), ("Sol: Leaf", lst("c", "a"))]
    graph = solution_graph(flows, {"Sol: Child": (2, "error")})
    names = [b.name for b in graph.boxes]
    assert names[:3] == ["Main", "Child", "Leaf"] and graph.prefix == "Sol: "
    assert graph.boxes[3].worst == "missing" and graph.boxes[3].flow is None
    assert graph.links == 5 and len(graph.edges) == 5
    xs = {b.title: b.x for b in graph.boxes}
    assert xs["Sol: Main"] < xs["Sol: Child"] < xs["Sol: Leaf"]  # the cycle Leaf -> Main is a back link
    assert graph.boxes[1].worst == "error" and graph.boxes[1].findings == 2


def test_common_prefix_only_at_a_separator() -> None:
    assert common_prefix(["PADFramework: A", "PADFramework: Bc"]) == "PADFramework: "
    assert common_prefix(["Login", "Logout"]) == ""
    assert common_prefix(["only one"]) == ""


def test_solution_section_from_an_unpacked_solution(tmp_path: Path) -> None:
    page = scan_html(tmp_path, SOLUTION)
    assert 'class="solution-graph"' in page
    assert "Pafix Sample: Login &amp; Token" in page
    assert 'data-value="' + str(SOLUTION) + '!Pafix Sample: Login &amp; Token"' in page


@pytest.mark.corpus
def test_corpus_solution_draws_its_run_flow_links(tmp_path: Path) -> None:
    zips = sorted((ROOT.parent / "shared" / "corpus" / "solutions").glob("PADFramework_1_*.zip"))
    if not zips:
        pytest.skip("../shared corpus not available")
    page = scan_html(tmp_path, zips[0])
    assert "16 External.RunFlow links" in page
    assert page.count('<path class="link"') == 16
    assert page.count('<g class="flowbox') == 13
