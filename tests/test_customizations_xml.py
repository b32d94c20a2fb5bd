"""The XML forms ``customizations.xml`` may take, found by expat and spliced byte for byte.

pafix once found element spans with its own tokenizer; these are the forms it handled, each
checked through the public API: the flow is found, its script and name read, a changed script
touches only the ``<Definition>`` text, and changing it back gives the original bytes. The
``<Workflow>`` elements follow the real export's shape (``fixtures/solutions/unpacked_minimal``).
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest

from pafix.solutions import FlowChange, SolutionError, load_solution, render_changes
from pafix.solutions import customizations

WID = "5f3c2a10-7b1d-4e2a-9c55-0d1e2f3a4b5c"
SCRIPT = "SET x TO $'''a > b & <c>'''\r\nSET y TO 1\r\n"
DEFINITION = json.dumps(SCRIPT, ensure_ascii=False).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
NEW = SCRIPT + "# changed é\r\n"


def workflow(definition: str = DEFINITION, *, name: str = "Flow", attrs: str = "", inside: str = "",
             prefix: str = "") -> str:
    p = prefix
    return (
        f'<{p}Workflow WorkflowId="{{{WID}}}" Name="{name}"{attrs}>\r\n'
        f"  <{p}Category>6</{p}Category>{inside}\r\n"
        f'  <{p}Inputs>{{"schema":{{"properties":{{"In":{{"format":null,"value":"v"}}}},"type":"object"}}}}</{p}Inputs>\r\n'
        f"  <{p}Outputs />\r\n"
        f"  <{p}Definition>{definition}</{p}Definition>\r\n"
        f"</{p}Workflow>"
    )


def document(*flows: str, prefix: str = "", xmlns: str = "", newline: str = "\r\n") -> str:
    p = prefix
    body = newline.join(flows)
    text = (
        f'<?xml version="1.0" encoding="utf-8"?>{newline}<{p}ImportExportXml{xmlns}>{newline}'
        f"<{p}Workflows>{newline}{body}{newline}</{p}Workflows>{newline}</{p}ImportExportXml>{newline}"
    )
    return text if newline == "\r\n" else text.replace("\r\n", newline)


def round_trip(tmp_path: Path, raw: bytes, script: str = SCRIPT, name: str = "Flow", codec: str = "utf-8") -> None:
    path = tmp_path / "customizations.xml"
    path.write_bytes(raw)
    sol = load_solution(path)
    assert [(f.workflow_id, f.name, f.script) for f in sol.flows] == [(WID, name, script)]
    out = render_changes(sol, {WID: FlowChange(NEW)})["customizations.xml"]
    # everything up to the Definition's text and from its end tag on is unchanged
    head = raw.index("<Definition>".encode(codec)) + len("<Definition>".encode(codec))
    tail = raw[raw.rindex("</Definition>".encode(codec)) :]
    assert out[:head] == raw[:head] and out.endswith(tail) and out != raw
    path.write_bytes(out)
    again = load_solution(path)
    assert again.flows[0].script == NEW
    assert render_changes(again, {WID: FlowChange(script)})["customizations.xml"] == raw


def test_plain_crlf_document(tmp_path: Path) -> None:
    round_trip(tmp_path, document(workflow()).encode("utf-8"))


def test_lf_document(tmp_path: Path) -> None:
    round_trip(tmp_path, document(workflow(), newline="\n").encode("utf-8"))


def test_utf8_bom(tmp_path: Path) -> None:
    round_trip(tmp_path, codecs.BOM_UTF8 + document(workflow()).encode("utf-8"))


def test_utf16_with_bom_and_declaration(tmp_path: Path) -> None:
    text = document(workflow()).replace('encoding="utf-8"', 'encoding="utf-16"')
    round_trip(tmp_path, codecs.BOM_UTF16_LE + text.encode("utf-16-le"), codec="utf-16-le")


def test_non_ascii_before_the_spans_keeps_offsets(tmp_path: Path) -> None:
    """Byte offsets from expat become character offsets of the decoded text."""
    other = workflow(name="ünïcødé \U0001f512").replace(WID, "00000000-0000-0000-0000-000000000001").replace(
        ">6<", ">5<")
    round_trip(tmp_path, document(other, workflow(name="Flow é")).encode("utf-8"), name="Flow é")


def test_cdata_definition(tmp_path: Path) -> None:
    cdata = "<![CDATA[" + json.dumps(SCRIPT, ensure_ascii=False) + "]]>"
    round_trip(tmp_path, document(workflow(cdata)).encode("utf-8"))


def test_cdata_with_markup_elsewhere_is_not_an_element(tmp_path: Path) -> None:
    trap = "\r\n  <Description><![CDATA[<Definition>\"no\"</Definition> & </Workflow>]]></Description>"
    round_trip(tmp_path, document(workflow(inside=trap)).encode("utf-8"))


def test_comments_and_processing_instructions(tmp_path: Path) -> None:
    trap = "\r\n  <!-- <Definition>\"no\"</Definition> a > b & c --><?pafix ignore <Definition> ?>"
    round_trip(tmp_path, document(workflow(inside=trap)).encode("utf-8"))


def test_comment_inside_the_definition_text(tmp_path: Path) -> None:
    raw = document(workflow("<!-- lead -->" + DEFINITION)).encode("utf-8")
    path = tmp_path / "customizations.xml"
    path.write_bytes(raw)
    assert load_solution(path).flows[0].script == SCRIPT


def test_attribute_with_gt_and_entities_in_quotes(tmp_path: Path) -> None:
    raw = document(workflow(name="a &gt; b > c &amp; 'q'", attrs=" Other='x > \"y\" />'")).encode("utf-8")
    round_trip(tmp_path, raw, name="a > b > c & 'q'")


def test_self_closing_elements(tmp_path: Path) -> None:
    path = tmp_path / "customizations.xml"
    path.write_bytes(document(workflow()).encode("utf-8"))
    flow = load_solution(path).flows[0]
    assert flow.outputs is None and flow._loc is not None and flow._loc.outputs is None
    out = render_changes(load_solution(path), {WID: FlowChange(SCRIPT, sensitive_io=frozenset({"In"}))})
    assert b'"In":{"format":"password","value":null}' in out["customizations.xml"]
    assert b"<Outputs />" in out["customizations.xml"]


def test_self_closing_definition_without_clientdata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "customizations.xml"
    path.write_text(document(workflow().replace(f"<Definition>{DEFINITION}</Definition>", "<Definition/>")),
                    encoding="utf-8")
    with pytest.raises(SolutionError, match="no clientdata package"):
        load_solution(path)


def test_namespace_prefixes(tmp_path: Path) -> None:
    ns = ' xmlns:d="urn:x"'
    raw = document(workflow(prefix="d:").replace("<d:Workflow ", f"<d:Workflow{ns} "), prefix="d:", xmlns=ns)
    path = tmp_path / "customizations.xml"
    path.write_bytes(raw.encode("utf-8"))
    sol = load_solution(path)
    assert [f.script for f in sol.flows] == [SCRIPT]
    out = render_changes(sol, {WID: FlowChange(NEW)})["customizations.xml"]
    assert out.replace(json.dumps(NEW, ensure_ascii=False).replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;").encode(), DEFINITION.encode()) == raw.encode("utf-8")


def test_bare_workflow_member(tmp_path: Path) -> None:
    raw = ('<?xml version="1.0" encoding="utf-8"?>\r\n' + workflow() + "\r\n").encode("utf-8")
    path = tmp_path / "x.json.data.xml"
    path.write_bytes(raw)
    sol = load_solution(path)
    assert sol.flows[0].script == SCRIPT
    assert render_changes(sol, {WID: FlowChange(SCRIPT)}) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (document(workflow('"&nbsp;"')), r"undefined XML entity at line 8, column \d+"),
        (document(workflow('"a & b"')), r"bare '&' in element text at line 8"),
        (document(workflow()).replace("</Definition>", ""), r"malformed XML \(.* at line \d+, column \d+\)"),
        (document(workflow()).replace("</Workflow>", "</Workflow><x>"), r"malformed XML \("),
        (document(workflow()).replace("<Category>", "<Category a='1' a='2'>"), r"malformed XML \(duplicate attribute"),
        (document(workflow()) + "<second/>", r"malformed XML \(junk after document element"),
        ("", r"malformed XML \(no element found"),
    ],
    ids=["undefined-entity", "bare-amp", "unclosed", "unclosed-extra", "dup-attr", "two-roots", "empty"],
)
def test_malformed_xml_is_refused_with_a_position(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "customizations.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SolutionError, match=message) as err:
        load_solution(path)
    assert "nbsp" not in str(err.value) and "a & b" not in str(err.value)  # no element text quoted


def test_dtd_is_refused_even_when_the_text_search_misses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser refuses a DOCTYPE or ENTITY itself, not only the search of the raw text."""
    monkeypatch.setattr(customizations, "_DTD", re.compile("(?!x)x"))
    for prolog in ('<!DOCTYPE a [<!ENTITY e "boom">]>', '<!DOCTYPE a SYSTEM "file:///etc/passwd">'):
        with pytest.raises(SolutionError, match="entity-expansion"):
            customizations._parse_xml(prolog + "<a>&e;</a>", "t")


def test_spans_match_the_element_texts() -> None:
    text = ('\ufeff<r>é<a x="1>2"/><!-- c --><b>β<![CDATA[<b>]]>&amp;</b><c\r\n/><d></d></r>')[1:]
    root, chardata = customizations._parse_xml(text, "t")
    a, b, c, d = root.children
    assert (a.name, a.self_closing, a.attrs) == ("a", True, {"x": "1>2"})
    assert text[b.content_start : b.content_end] == "β<![CDATA[<b>]]>&amp;"
    assert c.self_closing and text[c.start : c.content_start] == "<c\r\n/>"
    assert (d.content_start, d.content_end) == (text.index("<d>") + 3, text.index("</d>"))
    assert text[root.content_start : root.content_end] == text[3:-4]
    assert chardata == ["é", "β", "&amp;"]


def test_every_public_name_resolves() -> None:
    """``pafix.solutions`` loads its public names on first use; each must exist."""
    import pafix.solutions

    for name in pafix.solutions.__all__:
        assert getattr(pafix.solutions, name) is not None
    with pytest.raises(AttributeError):
        pafix.solutions.no_such_name  # noqa: B018
