"""``customizations.xml`` (and ``*.json.data.xml``): finding the desktop flows and the spans of
their element texts.

Only ``<Workflow>`` elements with ``<Category>6</Category>`` (desktop flows) are returned.

**Splice, never re-serialize.** The XML is never parsed into a tree and written out again. The
stdlib's expat parser checks the member is well-formed and reports where every start and end
tag is (``CurrentByteIndex``); the spans of the element texts in the decoded member text are
kept; writing back replaces exactly
those spans and copies every other byte of the member (see :mod:`pafix.solutions.render`).

DTDs (``<!DOCTYPE``/``<!ENTITY`` anywhere in the raw text, even in a comment or CDATA) are
refused outright, as are undecodable element texts.
"""

from __future__ import annotations

import codecs
import json
import re
from xml.parsers import expat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pafix.solutions.clientdata import _script_from_clientdata
from pafix.solutions.guards import _check_member_name
from pafix.solutions.model import (
    EmbeddedFlow,
    Solution,
    SolutionError,
    SolutionKind,
    _FlowLoc,
    _json_error,
    _Limits,
    _local,
    _Member,
    _norm_id,
)
from pafix.solutions.xmltext import _member_xml_style, _xml_text

_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ERR_UNDEFINED_ENTITY = expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]
_ERR_INVALID_TOKEN = expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]

@dataclass(slots=True, eq=False)
class _Elem:
    name: str
    #: attribute values as the parser reports them (entities decoded, whitespace normalised)
    attrs: dict[str, str]
    start: int
    content_start: int = -1
    content_end: int = -1
    self_closing: bool = False
    children: list[_Elem] = field(default_factory=list)


class _DtdFound(Exception):
    """Raised from a handler: expat met a DOCTYPE or an entity declaration."""


def _refuse_dtd(*_args: object) -> int:
    raise _DtdFound


class _Spans:
    """Collects element spans from expat's events.

    Every construct of the document reaches one handler (the default handler gets what has no
    handler of its own, raw), so the start of the next event is where the previous one ended:
    that gives the end of each start tag. Offsets are byte offsets in the UTF-8 text fed to expat,
    turned into character offsets of the decoded text as they arrive (they only grow).
    """

    def __init__(self, text: str, data: bytes) -> None:
        self.text_is_ascii = len(data) == len(text)
        self.data = data
        self.byte = 0
        self.char = 0
        self.stack: list[_Elem] = []
        self.root: _Elem | None = None
        self.pending: _Elem | None = None
        self.in_cdata = False
        self.chardata: list[str] = []

    def offset(self, byte: int) -> int:
        if self.text_is_ascii:
            return byte
        self.char += len(self.data[self.byte : byte].decode("utf-8"))
        self.byte = byte
        return self.char

    def event(self, byte: int) -> int:
        """Character offset of the current event; closes the previous start tag."""
        pos = self.offset(byte)
        if self.pending is not None:
            self.pending.content_start = pos
            self.pending = None
        return pos

    def start(self, byte: int, name: str, attrs: dict[str, str]) -> None:
        elem = _Elem(name, attrs, self.event(byte))
        if self.stack:
            self.stack[-1].children.append(elem)
        else:
            self.root = elem
        self.stack.append(elem)
        self.pending = elem

    def end(self, byte: int) -> None:
        elem = self.stack.pop()
        # for an empty-element tag expat reports the end at the tag's end, right after "/>"
        # (no start tag ends that way); for "<a></a>" it is the start of "</a>"
        elem.self_closing = self.pending is elem and self.data[byte - 2 : byte] == b"/>"
        elem.content_end = self.event(byte)

    def other(self, byte: int, raw: str | None = None) -> None:
        if self.pending is not None:  # only the end of a start tag needs an offset here
            self.event(byte)
        if raw is not None and self.stack and not self.in_cdata:
            self.chardata.append(raw)


def _parse_xml(text: str, where: str) -> tuple[_Elem, list[str]]:
    """Parse with expat; return the root element (with child spans) and the raw char data
    segments inside it (entity and character references not decoded, CDATA left out)."""
    if _DTD.search(text):
        raise SolutionError(
            f"{where}: XML contains a <!DOCTYPE>/<!ENTITY> declaration; refusing to read it "
            "(entity-expansion risk)"
        )
    data = text.encode("utf-8")
    parser = expat.ParserCreate("utf-8")  # the text is decoded already: its declaration does not apply
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    spans = _Spans(text, data)

    def start(name: str, attrs: dict[str, str]) -> None:
        spans.start(parser.CurrentByteIndex, name, attrs)

    def end(_name: str) -> None:
        spans.end(parser.CurrentByteIndex)

    def other(*_args: object) -> None:
        spans.other(parser.CurrentByteIndex)

    def raw(chunk: str) -> None:
        spans.other(parser.CurrentByteIndex, chunk)

    def cdata(inside: bool) -> Callable[[], None]:
        def handler() -> None:
            spans.other(parser.CurrentByteIndex)
            spans.in_cdata = inside

        return handler

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CommentHandler = other
    parser.ProcessingInstructionHandler = other
    parser.XmlDeclHandler = other
    parser.StartCdataSectionHandler = cdata(True)
    parser.EndCdataSectionHandler = cdata(False)
    parser.DefaultHandler = raw  # char data, unexpanded: "&amp;" stays "&amp;"
    # a second line of defence: the text was searched for these above
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    try:
        parser.Parse(data, True)
    except _DtdFound:
        raise SolutionError(
            f"{where}: XML contains a <!DOCTYPE>/<!ENTITY> declaration; refusing to read it "
            "(entity-expansion risk)"
        ) from None
    except expat.ExpatError as exc:
        raise SolutionError(f"{where}: {_expat_message(exc, data, parser.ErrorByteIndex)}") from None
    spans.event(len(data))
    if spans.root is None:  # pragma: no cover - expat reports "no element found" first
        raise SolutionError(f"{where}: no XML root element")
    return spans.root, spans.chardata


def _expat_message(exc: expat.ExpatError, data: bytes, index: int) -> str:
    """What is wrong, and where (line and column), without quoting the text."""
    at = f"line {exc.lineno}, column {exc.offset + 1}"
    if exc.code == _ERR_UNDEFINED_ENTITY:
        return f"undefined XML entity at {at}"
    # expat points just past an '&' that starts no reference (or into a broken one)
    if exc.code == _ERR_INVALID_TOKEN and 0 <= index and data.rfind(b"&", 0, index + 1) > data.rfind(b"<", 0, index + 1):
        return f"unexpected markup or bare '&' in element text at {at}"
    return f"malformed XML ({expat.ErrorString(exc.code)} at {at})"


def _attributes(attrs: dict[str, str]) -> dict[str, str]:
    return {_local(name).casefold(): value for name, value in attrs.items()}


_XML_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _detect_encoding(raw: bytes) -> tuple[str, bytes]:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", codecs.BOM_UTF8
    if raw.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", codecs.BOM_UTF16_LE
    if raw.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", codecs.BOM_UTF16_BE
    if raw.startswith(b"<\x00?\x00"):
        return "utf-16-le", b""
    if raw.startswith(b"\x00<\x00?"):
        return "utf-16-be", b""
    m = _XML_DECL_ENCODING.match(raw)
    if m is not None:
        name = m.group(1).decode("ascii").lower()
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            raise SolutionError(f"unknown XML encoding {name!r}") from None
        if codec in ("utf-16", "utf-32"):
            return "utf-8", b""  # declared UTF-16 without a BOM on ASCII-looking bytes: the file lies
        return codec, b""
    return "utf-8", b""


def _make_member(
    name: str, raw: bytes, file: str | None, where: str
) -> tuple[_Member, _Elem]:
    try:
        codec, bom = _detect_encoding(raw)
    except SolutionError as exc:
        raise SolutionError(f"{where}: {exc}") from None
    try:
        text = raw[len(bom) :].decode(codec)
    except UnicodeDecodeError:
        raise SolutionError(f"{where}: not valid {codec} text") from None
    root, chardata = _parse_xml(text, where)
    try:
        splice_ok = text.encode(codec) == raw[len(bom) :]
    except UnicodeEncodeError:
        splice_ok = False
    forms, nonascii = _member_xml_style(chardata)
    return _Member(name, raw, text, codec, bom, file, splice_ok, forms, nonascii), root


def _workflow_elements(root: _Elem) -> Iterator[_Elem]:
    if _local(root.name) == "Workflow":
        yield root
        return
    for child in root.children:
        if _local(child.name) == "Workflows":
            for wf in child.children:
                if _local(wf.name) == "Workflow":
                    yield wf


def _element_json(
    text: str, elem: _Elem | None, where: str, label: str
) -> tuple[Any, tuple[int, int] | None]:
    if elem is None or elem.self_closing:
        return None, None
    span = (elem.content_start, elem.content_end)
    value = _xml_text(text[span[0] : span[1]], where)
    if not value.strip():
        return None, span
    try:
        return json.loads(value), span
    except (ValueError, RecursionError) as exc:
        raise SolutionError(f"{where}: <{label}> is not valid JSON ({_json_error(exc)})") from None


Reader = Callable[[str], bytes | None]


def _flows_in_member(
    container: str,
    member: _Member,
    root: _Elem,
    reader: Reader,
    limits: _Limits,
    skip_ids: frozenset[str],
) -> list[EmbeddedFlow]:
    text = member.text
    mwhere = f"{container}: {member.name}"
    flows: list[EmbeddedFlow] = []
    for wf in _workflow_elements(root):
        kids: dict[str, _Elem] = {}
        for child in wf.children:
            kids.setdefault(_local(child.name).casefold(), child)
        category = kids.get("category")
        if category is None or category.self_closing:
            continue
        if _xml_text(text[category.content_start : category.content_end], mwhere).strip() != "6":
            continue
        attrs = _attributes(wf.attrs)
        wid = _norm_id(attrs.get("workflowid", ""))
        name = attrs.get("name", "")
        if not wid:
            raise SolutionError(f"{mwhere}: desktop flow {name!r} has no WorkflowId")
        if wid in skip_ids:
            continue
        where = f"{mwhere}: workflow {name!r} ({wid})"

        script: str | None = None
        def_span: tuple[int, int] | None = None
        definition = kids.get("definition")
        if definition is not None and not definition.self_closing:
            raw_def = text[definition.content_start : definition.content_end]
            value = _xml_text(raw_def, where)
            if value.strip():
                try:
                    parsed = json.loads(value)
                except (ValueError, RecursionError) as exc:
                    raise SolutionError(
                        f"{where}: <Definition> is not valid JSON ({_json_error(exc)})"
                    ) from None
                if not isinstance(parsed, str):
                    raise SolutionError(f"{where}: <Definition> is not a JSON string")
                script = parsed
                def_span = (definition.content_start, definition.content_end)

        inputs, in_span = _element_json(text, kids.get("inputs"), where, "Inputs")
        outputs, out_span = _element_json(text, kids.get("outputs"), where, "Outputs")
        conns, _ = _element_json(text, kids.get("connectionreferences"), where, "ConnectionReferences")

        v1 = False
        if script is None:
            v1_result = None
            cd_elem = kids.get("clientdata")
            cd_text = ""
            if cd_elem is not None and not cd_elem.self_closing:
                cd_text = _xml_text(text[cd_elem.content_start : cd_elem.content_end], where)
            if cd_text.strip():
                v1_result = _script_from_clientdata(cd_text, f"{where}: <ClientData>", limits)
            json_name_elem = kids.get("jsonfilename")
            if v1_result is None and json_name_elem is not None and not json_name_elem.self_closing:
                json_name = _xml_text(
                    text[json_name_elem.content_start : json_name_elem.content_end], where
                ).strip()
                rel = json_name.replace("\\", "/").lstrip("/")
                if rel:
                    _check_member_name(rel, f"{where}: <JsonFileName>")
                    data = reader(rel)
                    if data is not None:
                        try:
                            js = data.decode("utf-8-sig")
                        except UnicodeDecodeError:
                            raise SolutionError(f"{container}: {rel}: not UTF-8 text") from None
                        v1_result = _script_from_clientdata(js, f"{container}: {rel}", limits)
            if v1_result is None:
                raise SolutionError(
                    f"{where}: <Definition> is empty and there is no clientdata package"
                )
            script, cd_inputs, cd_outputs = v1_result
            v1 = True
            if inputs is None:
                inputs = cd_inputs
            if outputs is None:
                outputs = cd_outputs

        if inputs is not None and not isinstance(inputs, dict):
            raise SolutionError(f"{where}: <Inputs> is not a JSON object")
        if outputs is not None and not isinstance(outputs, dict):
            raise SolutionError(f"{where}: <Outputs> is not a JSON object")
        if conns is not None and not isinstance(conns, (list, dict)):
            raise SolutionError(f"{where}: <ConnectionReferences> is not a JSON array or object")
        flows.append(
            EmbeddedFlow(
                container=container,
                member=member.name,
                name=name,
                workflow_id=wid,
                script=script,
                inputs=inputs,
                outputs=outputs,
                connection_references=conns,
                _loc=_FlowLoc(def_span, in_span, out_span, v1),
            )
        )
    return flows


def _assemble(
    path: str,
    kind: SolutionKind,
    raws: list[tuple[str, bytes, str | None]],
    reader: Reader,
    limits: _Limits,
    *,
    digest: bytes = b"",
    real_file: str = "",
) -> Solution:
    """Build a Solution from member bytes. ``.json.data.xml`` members come before inline ones."""
    members: list[_Member] = []
    flows: list[EmbeddedFlow] = []
    seen: dict[str, str] = {}
    ordered = sorted(raws, key=lambda r: 0 if r[0].lower().endswith(".json.data.xml") else 1)
    for name, raw, file in ordered:
        member, root = _make_member(name, raw, file, f"{path}: {name}")
        members.append(member)
        inline = not name.lower().endswith(".json.data.xml")
        skip = frozenset(seen) if inline and kind == "folder" else frozenset()
        for flow in _flows_in_member(path, member, root, reader, limits, skip):
            if flow.workflow_id in seen:
                raise SolutionError(
                    f"{path}: {name}: duplicate desktop flow WorkflowId {flow.workflow_id}"
                )
            seen[flow.workflow_id] = name
            flows.append(flow)
    order = {r[0]: i for i, r in enumerate(raws)}
    members.sort(key=lambda m: order[m.name])
    return Solution(
        path=path,
        kind=kind,
        flows=tuple(flows),
        _members=tuple(members),
        _digest=digest,
        _file=real_file,
        _limits=limits,
    )

