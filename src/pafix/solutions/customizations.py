"""Read and write desktop flows inside Power Platform solution exports.

Pure I/O, no Robin parsing. Supported containers:

* a packed solution ``.zip`` (``customizations.xml`` at the root),
* an unpacked solution folder (``Workflows/*.json.data.xml``, one ``<Workflow>`` each, and/or
  ``Other/Customizations.xml`` / ``customizations.xml`` with the workflows inline),
* a bare ``customizations.xml`` or ``*.json.data.xml`` file.

Only ``<Workflow>`` elements with ``<Category>6</Category>`` (desktop flows) are returned.

**Splice, never re-serialize.** The XML is never parsed into a tree and written out again. A small
scanner finds the spans of the element texts in the decoded member text; writing back replaces
exactly those spans and copies every other byte of the member. The replacement text is encoded
with the conventions detected on the original element (and, for characters the element does not
show, on the rest of the member): which characters are XML entities or character references,
which JSON escapes are used (``\\/``, ``\\uXXXX`` for non-ASCII, hex case). Before an element is
rewritten, re-encoding its *unchanged* value must reproduce the original text byte for byte;
otherwise the rewrite is refused.

Conventions of the real exports (PADFramework, ``CrmLive`` 9.2, and the unpacked ``uch-avp``):
XML text escapes only ``<`` ``>`` ``&`` (``&lt;`` ``&gt;`` ``&amp;``); ``"`` and ``'`` are raw; no
character references; non-ASCII raw UTF-8. The ``<Definition>`` JSON string is Newtonsoft-style:
``\\"`` ``\\\\`` ``\\r`` ``\\n``, non-ASCII raw (no ``ensure_ascii``), ``/`` not escaped.
``Inputs``/``Outputs`` are compact JSON (``,`` and ``:`` without spaces). Zip members are
deflated (flag bits 2, "maximum"), with a 0xA220 padding extra field in the local headers.

Where the original shows no evidence for a character, the defaults are the real exports'
(``&lt; &gt; &amp;``, raw quotes, Newtonsoft JSON escapes); an original that ``\\u``-escapes one
HTML-sensitive character (System.Text.Json style) gets all of them (``<``, ``>``, ``&``, ``'``,
``"``, ``+`` and the backtick) escaped that way.

Safety: member names with path traversal, too many members, oversized members, absurd
compression ratios, corrupt archives, DTDs (``<!DOCTYPE``/``<!ENTITY`` anywhere in the raw text,
even in a comment or CDATA: refused outright) and undecodable element texts all raise
:class:`SolutionError`. Nothing is ever extracted to disk. A zip or file that changed on disk
since it was loaded is not overwritten.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import codecs
import contextlib
import hashlib
import io
import json
import mmap
import os
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "RATIO_MIN_SIZE",
    "EmbeddedFlow",
    "FlowChange",
    "Solution",
    "SolutionError",
    "is_solution_path",
    "load_solution",
    "render_changes",
    "write_solution",
]

#: the most members a zip (or files a folder) may have
MAX_MEMBERS: int = 10_000
#: the largest uncompressed size of a member (or file) that is read
MAX_MEMBER_SIZE: int = 200 * 1024 * 1024
#: the largest uncompressed:compressed ratio allowed for members above RATIO_MIN_SIZE
MAX_COMPRESSION_RATIO: float = 200.0
#: members at or below this uncompressed size are not ratio-checked
RATIO_MIN_SIZE: int = 1024 * 1024

SolutionKind = Literal["zip", "folder", "xml"]

_MAX_JSON_DEPTH = 200
_CHUNK = 1 << 20


class SolutionError(Exception):
    """A solution export that cannot be read or safely rewritten.

    The message is one line naming the file (and member); it never contains element texts.
    """


# --------------------------------------------------------------------------------------------
# Public values


@dataclass(frozen=True, slots=True)
class _Limits:
    max_members: int = MAX_MEMBERS
    max_member_size: int = MAX_MEMBER_SIZE
    max_ratio: float = MAX_COMPRESSION_RATIO
    ratio_min_size: int = RATIO_MIN_SIZE


@dataclass(frozen=True, slots=True)
class _FlowLoc:
    """Where a flow's element texts are in its member text (``text[start:end]``)."""

    definition: tuple[int, int] | None
    inputs: tuple[int, int] | None
    outputs: tuple[int, int] | None
    #: the script came from the old ``clientdata`` package (read-only)
    v1: bool = False


@dataclass(frozen=True, slots=True)
class EmbeddedFlow:
    """One desktop flow (``<Workflow>`` with ``<Category>6</Category>``) of a solution."""

    #: the path the user gave: the .zip, the unpacked folder, or the bare XML file
    container: str
    #: zip member name, or file path relative to the folder (``/`` separated)
    member: str
    #: the ``Name`` attribute of the ``<Workflow>`` element
    name: str
    #: ``WorkflowId`` without braces, lower case
    workflow_id: str
    #: the Robin script: XML-unescaped, JSON-decoded ``<Definition>`` (CRLF kept)
    script: str
    #: parsed ``<Inputs>`` JSON (None if absent, empty or ``null``)
    inputs: dict[str, Any] | None
    #: parsed ``<Outputs>`` JSON (None if absent, empty or ``null``)
    outputs: dict[str, Any] | None
    #: parsed ``<ConnectionReferences>`` JSON
    connection_references: list[Any] | dict[str, Any] | None
    #: private: element spans in the member text, for splicing changes back
    _loc: _FlowLoc | None = field(default=None, compare=False, repr=False)

    @property
    def read_only(self) -> bool:
        """True for a v1 flow whose script came from a ``clientdata`` package."""
        return self._loc is None or self._loc.v1


@dataclass(frozen=True, slots=True, eq=False)
class _Member:
    name: str
    raw: bytes
    text: str
    codec: str
    bom: bytes
    #: the file on disk (folder / bare XML); None for zip members
    file: str | None
    #: ``text`` encodes back to exactly ``raw`` (so byte offsets can be derived from text offsets)
    splice_ok: bool
    #: member-wide XML conventions: char -> how it is written in text content
    xml_forms: Mapping[str, str]
    xml_nonascii: str | None


@dataclass(frozen=True, slots=True)
class Solution:
    """A loaded solution export and its desktop flows."""

    path: str
    kind: SolutionKind
    #: desktop flows only (Category 6), in document order
    flows: tuple[EmbeddedFlow, ...]
    _members: tuple[_Member, ...] = field(default=(), compare=False, repr=False)
    #: sha256 of the zip file as loaded (zip only)
    _digest: bytes = field(default=b"", compare=False, repr=False)
    #: the real file to rewrite (zip only)
    _file: str = field(default="", compare=False, repr=False)
    _limits: _Limits = field(default=_Limits(), compare=False, repr=False)

    def flow(self, workflow_id: str) -> EmbeddedFlow:
        """The flow with this WorkflowId (braces and case are ignored)."""
        wid = _norm_id(workflow_id)
        for f in self.flows:
            if f.workflow_id == wid:
                return f
        raise KeyError(workflow_id)


@dataclass(frozen=True, slots=True)
class FlowChange:
    """What to change in one flow."""

    #: the new Robin script
    script: str
    #: input/output variables that must get ``"format": "password"`` and ``"value": null``
    sensitive_io: frozenset[str] = frozenset()
    #: input variables removed from the script: removed from the Inputs schema and ``required``
    removed_inputs: frozenset[str] = frozenset()


# --------------------------------------------------------------------------------------------
# Small helpers


def _norm_id(value: str) -> str:
    return value.strip().strip("{}").strip().lower()


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_member_name(name: str, where: str) -> None:
    """Reject names that are absolute or climb out of the archive root."""
    shown = repr(name[:200])
    if not name or "\x00" in name:
        raise SolutionError(f"{where}: invalid member name {shown}")
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm):
        raise SolutionError(f"{where}: member name {shown} is an absolute path")
    if ".." in norm.split("/"):
        raise SolutionError(f"{where}: member name {shown} contains a path traversal ('..')")


def _read_file_limited(path: str, where: str, limits: _Limits) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > limits.max_member_size:
            raise SolutionError(
                f"{where}: file is {size} bytes, larger than the limit of {limits.max_member_size}"
            )
        with open(path, "rb") as fh:
            data = fh.read(limits.max_member_size + 1)
    except OSError as exc:
        raise SolutionError(f"{where}: cannot read ({exc.strerror or type(exc).__name__})") from exc
    if len(data) > limits.max_member_size:
        raise SolutionError(f"{where}: file is larger than the limit of {limits.max_member_size}")
    return data


# --------------------------------------------------------------------------------------------
# XML scanning (no tree is ever re-serialized)

_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_MARKUP = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|<!(?P<decl>[A-Za-z]*)"
    r"|</(?P<end>[^\s<>/]+)\s*>"
    r"|<(?P<start>[^\s<>/!?]+)(?P<attrs>(?:[^<>\"'/]|/(?!>)|\"[^\"]*\"|'[^']*')*)(?P<empty>/?)>",
    re.S,
)
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TEXT_TOKEN = re.compile(
    r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|([A-Za-z_][A-Za-z0-9._-]*));"
    r"|<!\[CDATA\[(.*?)\]\]>|<!--.*?-->|<\?.*?\?>|[&<]",
    re.S,
)
_XML_REF = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_INVALID_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WATCH_RAW = ">\"'\r\n\t"


@dataclass(slots=True, eq=False)
class _Elem:
    name: str
    attrs: str
    start: int
    content_start: int
    content_end: int = -1
    self_closing: bool = False
    children: list[_Elem] = field(default_factory=list)


def _parse_xml(text: str, where: str) -> tuple[_Elem, list[str]]:
    """Scan markup; return the root element (with child spans) and the char data segments."""
    if _DTD.search(text):
        raise SolutionError(
            f"{where}: XML contains a <!DOCTYPE>/<!ENTITY> declaration; refusing to read it "
            "(entity-expansion risk)"
        )
    stack: list[_Elem] = []
    root: _Elem | None = None
    chardata: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            break
        if stack and lt > pos:
            chardata.append(text[pos:lt])
        m = _MARKUP.match(text, lt)
        if m is None:
            raise SolutionError(f"{where}: malformed XML at character {lt}")
        if m.group("start") is not None:
            elem = _Elem(m.group("start"), m.group("attrs"), lt, m.end())
            if stack:
                stack[-1].children.append(elem)
            elif root is None:
                root = elem
            else:
                raise SolutionError(f"{where}: malformed XML (more than one root element)")
            if m.group("empty"):
                elem.self_closing = True
                elem.content_end = m.end()
            else:
                stack.append(elem)
        elif m.group("end") is not None:
            if not stack or stack[-1].name != m.group("end"):
                raise SolutionError(f"{where}: malformed XML (unexpected end tag at character {lt})")
            stack.pop().content_end = lt
        elif m.group("decl") is not None:
            raise SolutionError(f"{where}: malformed XML (unexpected declaration at character {lt})")
        pos = m.end()
    if stack:
        raise SolutionError(f"{where}: malformed XML (element <{stack[-1].name}> is not closed)")
    if root is None:
        raise SolutionError(f"{where}: no XML root element")
    return root, chardata


def _xml_text(raw: str, where: str) -> str:
    """The character data of an element's raw content (entities, char refs and CDATA decoded)."""
    if "&" not in raw and "<" not in raw:
        return raw
    out: list[str] = []
    pos = 0
    for m in _TEXT_TOKEN.finditer(raw):
        out.append(raw[pos : m.start()])
        dec, hexa, name, cdata = m.group(1), m.group(2), m.group(3), m.group(4)
        if dec is not None or hexa is not None:
            cp = int(dec, 10) if dec is not None else int(hexa, 16)
            if cp > 0x10FFFF or _INVALID_XML_CHAR.match(chr(cp)):
                raise SolutionError(f"{where}: invalid character reference {m.group(0)}")
            out.append(chr(cp))
        elif name is not None:
            if name not in _PREDEFINED:
                raise SolutionError(f"{where}: undefined XML entity &{name};")
            out.append(_PREDEFINED[name])
        elif cdata is not None:
            out.append(cdata)
        elif m.group(0) in ("&", "<"):
            raise SolutionError(f"{where}: unexpected markup or bare '&' in element text")
        pos = m.end()
    out.append(raw[pos:])
    return "".join(out)


def _attributes(attrs: str, where: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for m in _ATTR.finditer(attrs):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        value = value.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        result[_local(m.group(1)).casefold()] = _xml_text(value, where)
    return result


@dataclass(frozen=True, slots=True)
class _XmlStyle:
    #: char -> its representation in text content (a raw char or an entity/char reference)
    forms: Mapping[str, str]
    #: format for non-ASCII chars not in ``forms`` (e.g. ``"&#x{:X};"``), None = raw
    nonascii: str | None
    cdata: bool = False


def _observe_xml(raw: str) -> tuple[dict[str, str], set[str], str | None, bool]:
    """Which representation each interesting char has in ``raw`` (text content)."""
    forms: dict[str, str] = {}
    conflicts: set[str] = set()

    def note(ch: str, form: str) -> None:
        if forms.setdefault(ch, form) != form:
            conflicts.add(ch)

    nonascii_ref: str | None = None
    for m in _XML_REF.finditer(raw):
        if m.group(3) is not None:
            ch = _PREDEFINED[m.group(3)]
        else:
            cp = int(m.group(1), 10) if m.group(1) is not None else int(m.group(2), 16)
            if cp > 0x10FFFF:
                continue
            ch = chr(cp)
            if cp > 0x7F and nonascii_ref is None:
                if m.group(1) is not None:
                    nonascii_ref = "&#{:d};"
                else:
                    nonascii_ref = "&#x{:X};" if m.group(2) != m.group(2).lower() else "&#x{:x};"
        note(ch, m.group(0))
    rest = _XML_REF.sub("", raw)
    for ch in _WATCH_RAW:
        if ch in rest:
            note(ch, ch)
    nonascii_raw = not rest.isascii()
    return forms, conflicts, (None if nonascii_raw else nonascii_ref), nonascii_raw


def _member_xml_style(chardata: list[str]) -> tuple[dict[str, str], str | None]:
    forms, conflicts, nonascii, _ = _observe_xml("".join(chardata))
    for ch in conflicts:
        del forms[ch]
    return forms, nonascii


def _element_xml_style(raw: str, member: _Member) -> _XmlStyle:
    if raw.startswith("<![CDATA[") and raw.endswith("]]>") and raw.count("<![CDATA[") == 1:
        return _XmlStyle({}, None, cdata=True)
    forms, _conflicts, nonascii, nonascii_raw = _observe_xml(raw)
    merged = dict(member.xml_forms)
    merged.update(forms)  # the element's own evidence wins
    if nonascii is None and not nonascii_raw:
        nonascii = member.xml_nonascii
    return _XmlStyle(merged, nonascii)


def _xml_escape(text: str, style: _XmlStyle, where: str) -> str:
    bad = _INVALID_XML_CHAR.search(text)
    if bad is not None:
        raise SolutionError(f"{where}: text contains U+{ord(bad.group()):04X}, which XML 1.0 cannot hold")
    if style.cdata:
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    forms = style.forms
    special = set("&<>") | set(forms)
    pattern = "[" + "".join(re.escape(c) for c in sorted(special)) + "]"
    if style.nonascii is not None:
        pattern += "|[^\x00-\x7f]"
    nonascii = style.nonascii

    def one(m: re.Match[str]) -> str:
        ch = m.group()
        form = forms.get(ch)
        if form is not None and not (form == ch and ch in "&<"):
            return form
        if ch == "&":
            return "&amp;"
        if ch == "<":
            return "&lt;"
        if ch == ">":
            return "&gt;"
        if nonascii is not None and ord(ch) > 0x7F:
            return nonascii.format(ord(ch))
        return ch

    out = re.sub(pattern, one, text)
    if "]]>" in out:  # only possible when '>' is written raw; ']]>' is not allowed in text
        out = out.replace("]]>", "]]&gt;")
    return out


# --------------------------------------------------------------------------------------------
# JSON string conventions

_JSON_ESC = re.compile(r"\\(?:u([0-9a-fA-F]{4})|(.))", re.S)
_JSON_SHORT_IN = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HTML_SENSITIVE = "<>&'\"+`"
_JSON_SHORT_OUT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


@dataclass(frozen=True, slots=True)
class _JsonStyle:
    #: char -> escape sequence seen in the original
    escapes: Mapping[str, str]
    ensure_ascii: bool
    upper_hex: bool
    #: HTML-sensitive chars are \u-escaped (System.Text.Json, Newtonsoft EscapeHtml)
    html_safe: bool = False


def _observe_json_string(body: str) -> _JsonStyle:
    """Escape conventions of a JSON string literal's body (without the quotes)."""
    escapes: dict[str, str] = {}
    upper: bool | None = None
    escaped_nonascii = False
    toks = list(_JSON_ESC.finditer(body))
    i = 0
    while i < len(toks):
        m = toks[i]
        if m.group(1) is not None:
            cp = int(m.group(1), 16)
            seq = m.group(0)
            if 0xD800 <= cp < 0xDC00 and i + 1 < len(toks):
                nxt = toks[i + 1]
                low = int(nxt.group(1), 16) if nxt.group(1) is not None else -1
                if nxt.start() == m.end() and 0xDC00 <= low < 0xE000:
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                    seq += nxt.group(0)
                    i += 1
            letters = [c for c in seq if c in "abcdefABCDEF"]
            if letters and upper is None:
                upper = letters[0].isupper()
            ch = chr(cp)
        else:
            ch = _JSON_SHORT_IN.get(m.group(2), m.group(2))
            seq = m.group(0)
        escapes.setdefault(ch, seq)
        if ord(ch) > 0x7F:
            escaped_nonascii = True
        i += 1
    rest = _JSON_ESC.sub("", body)
    raw_nonascii = not rest.isascii()
    html_safe = any(escapes.get(c, "").startswith("\\u") for c in _HTML_SENSITIVE) and not any(
        c in rest for c in _HTML_SENSITIVE
    )
    return _JsonStyle(escapes, escaped_nonascii and not raw_nonascii, bool(upper), html_safe)


def _json_quote(value: str, style: _JsonStyle) -> str:
    escapes = style.escapes
    hexfmt = "\\u{:04X}" if style.upper_hex else "\\u{:04x}"
    html = _HTML_SENSITIVE if style.html_safe else ""
    extra = "".join(re.escape(c) for c in sorted(set(escapes) | set(html)) if c not in '"\\' and ord(c) >= 0x20)
    pattern = '[\x00-\x1f"\\\\\ud800-\udfff' + extra + "]"
    if style.ensure_ascii:
        pattern += "|[^\x00-\x7f]"

    def one(m: re.Match[str]) -> str:
        ch = m.group()
        seq = escapes.get(ch)
        if seq is not None:
            return seq
        cp = ord(ch)
        if ch in html:
            return hexfmt.format(cp)
        seq = _JSON_SHORT_OUT.get(ch)
        if seq is not None:
            return seq
        if cp > 0xFFFF:
            cp -= 0x10000
            return hexfmt.format(0xD800 + (cp >> 10)) + hexfmt.format(0xDC00 + (cp & 0x3FF))
        if cp < 0x20 or (style.ensure_ascii and cp > 0x7F) or 0xD800 <= cp < 0xE000:
            return hexfmt.format(cp)
        return ch

    return '"' + re.sub(pattern, one, value) + '"'


_STRING_LITERAL = re.compile(r'([ \t\r\n]*)("(?:[^"\\]|\\.)*")([ \t\r\n]*)', re.S)


def _definition_encoder(raw: str, member: _Member, where: str) -> Callable[[str], str]:
    """A function script -> element text that uses the original's conventions."""
    xstyle = _element_xml_style(raw, member)
    literal = _xml_text(raw, where)
    m = _STRING_LITERAL.fullmatch(literal)
    if m is None:
        raise SolutionError(f"{where}: <Definition> is not a single JSON string")
    lead, body, trail = m.group(1), m.group(2)[1:-1], m.group(3)
    jstyle = _observe_json_string(body)

    def encode(script: str) -> str:
        return _xml_escape(lead + _json_quote(script, jstyle) + trail, xstyle, where)

    return encode


# --------------------------------------------------------------------------------------------
# JSON with spans (to edit Inputs/Outputs text minimally)

_JWS = re.compile(r"[ \t\n\r]*")
_JSTR = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_JSCALAR = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity"
)


@dataclass(slots=True, eq=False)
class _JVal:
    start: int
    end: int
    kind: Literal["object", "array", "string", "scalar"]
    #: object members: (key, key_start, key_end, value)
    members: list[tuple[str, int, int, _JVal]] = field(default_factory=list)
    items: list[_JVal] = field(default_factory=list)
    string: str | None = None


def _jparse(text: str) -> _JVal:
    def ws(pos: int) -> int:
        m = _JWS.match(text, pos)
        return m.end() if m else pos

    def value(pos: int, depth: int) -> _JVal:
        if depth > _MAX_JSON_DEPTH:
            raise ValueError("JSON nested too deeply")
        ch = text[pos : pos + 1]
        if ch == "{":
            node = _JVal(pos, -1, "object")
            pos = ws(pos + 1)
            if text.startswith("}", pos):
                node.end = pos + 1
                return node
            while True:
                km = _JSTR.match(text, pos)
                if km is None:
                    raise ValueError(f"expected a key at {pos}")
                key = json.loads(km.group())
                pos = ws(km.end())
                if not text.startswith(":", pos):
                    raise ValueError(f"expected ':' at {pos}")
                child = value(ws(pos + 1), depth + 1)
                node.members.append((key, km.start(), km.end(), child))
                pos = ws(child.end)
                if text.startswith(",", pos):
                    pos = ws(pos + 1)
                elif text.startswith("}", pos):
                    node.end = pos + 1
                    return node
                else:
                    raise ValueError(f"expected ',' or '}}' at {pos}")
        if ch == "[":
            node = _JVal(pos, -1, "array")
            pos = ws(pos + 1)
            if text.startswith("]", pos):
                node.end = pos + 1
                return node
            while True:
                child = value(pos, depth + 1)
                node.items.append(child)
                pos = ws(child.end)
                if text.startswith(",", pos):
                    pos = ws(pos + 1)
                elif text.startswith("]", pos):
                    node.end = pos + 1
                    return node
                else:
                    raise ValueError(f"expected ',' or ']' at {pos}")
        sm = _JSTR.match(text, pos)
        if sm is not None:
            return _JVal(pos, sm.end(), "string", string=json.loads(sm.group()))
        cm = _JSCALAR.match(text, pos)
        if cm is not None:
            return _JVal(pos, cm.end(), "scalar")
        raise ValueError(f"unexpected character at {pos}")

    start = ws(0)
    root = value(start, 0)
    if ws(root.end) != len(text):
        raise ValueError("extra data after the JSON value")
    return root


def _jmember(obj: _JVal, key: str) -> tuple[str, int, int, _JVal] | None:
    found = None
    for member in obj.members:
        if member[0] == key:
            found = member  # the last one wins, as in json.loads
    return found


def _find_property(props: _JVal, name: str) -> tuple[str, int, int, _JVal] | None:
    exact = _jmember(props, name)
    if exact is not None:
        return exact
    folded = [m for m in props.members if m[0].casefold() == name.casefold()]
    return folded[-1] if len({m[0] for m in folded}) == 1 else None


def _schema_props(root: _JVal) -> tuple[_JVal | None, _JVal | None]:
    """(schema object, schema.properties object) when they are objects."""
    if root.kind != "object":
        return None, None
    schema = _jmember(root, "schema")
    if schema is None or schema[3].kind != "object":
        return None, None
    props = _jmember(schema[3], "properties")
    return schema[3], (props[3] if props is not None and props[3].kind == "object" else None)


def _splice_text(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _set_member(text: str, obj: _JVal, key: str, value: str) -> str:
    """Set ``obj[key]`` to the JSON text ``value``, editing ``text`` minimally."""
    existing = _jmember(obj, key)
    if existing is not None:
        val = existing[3]
        if text[val.start : val.end] == value:
            return text
        return _splice_text(text, val.start, val.end, value)
    members = obj.members
    if not members:
        return _splice_text(text, obj.start + 1, obj.start + 1, json.dumps(key) + ":" + value)
    last = members[-1]
    keysep = text[last[2] : last[3].start]
    sep = text[members[-2][3].end : last[1]] if len(members) > 1 else ","
    return _splice_text(text, last[3].end, last[3].end, sep + json.dumps(key) + keysep + value)


def _remove_item(text: str, spans: list[tuple[int, int]], index: int) -> str:
    """Remove element ``index`` (given (start, end) of each element) and one separator."""
    if len(spans) == 1:
        return _splice_text(text, spans[0][0], spans[0][1], "")
    if index < len(spans) - 1:
        return _splice_text(text, spans[index][0], spans[index + 1][0], "")
    return _splice_text(text, spans[index - 1][1], spans[index][1], "")


def _edit_io_json(text: str, sensitive: frozenset[str], removed: frozenset[str]) -> str:
    """Mark ``sensitive`` properties as passwords and drop ``removed`` ones from the schema."""
    for name in sorted(sensitive - removed):
        _schema, props = _schema_props(_jparse(text))
        prop = _find_property(props, name) if props is not None else None
        if prop is None or prop[3].kind != "object":
            continue
        text = _set_member(text, prop[3], "format", '"password"')
        _schema, props = _schema_props(_jparse(text))
        assert props is not None
        prop = _find_property(props, name)
        assert prop is not None
        text = _set_member(text, prop[3], "value", "null")
    for name in sorted(removed):
        while True:
            schema, props = _schema_props(_jparse(text))
            if props is None:
                break
            prop = _jmember(props, name)
            if prop is None:
                break
            spans = [(m[1], m[3].end) for m in props.members]
            text = _remove_item(text, spans, props.members.index(prop))
        while True:
            schema, _props = _schema_props(_jparse(text))
            required = _jmember(schema, "required") if schema is not None else None
            if required is None or required[3].kind != "array":
                break
            items = required[3].items
            hit = next((i for i, it in enumerate(items) if it.string == name), None)
            if hit is None:
                break
            text = _remove_item(text, [(it.start, it.end) for it in items], hit)
    return text


def _io_needs_change(data: dict[str, Any] | None, sensitive: frozenset[str], removed: frozenset[str]) -> bool:
    """Whether the parsed Inputs/Outputs would change (used for read-only v1 flows)."""
    if not isinstance(data, dict) or not isinstance(data.get("schema"), dict):
        return False
    schema = data["schema"]
    props = schema.get("properties")
    if not isinstance(props, dict):
        return False
    folded = {k.casefold(): v for k, v in props.items()}
    for name in sensitive - removed:
        prop = props.get(name, folded.get(name.casefold()))
        if isinstance(prop, dict) and (prop.get("format") != "password" or prop.get("value") is not None):
            return True
    required = schema.get("required")
    return any(n in props or (isinstance(required, list) and n in required) for n in removed)


# --------------------------------------------------------------------------------------------
# v1: script in the clientdata package


def _decode_v1_script(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text = data.decode("utf-16")
    elif data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8")
    elif len(data) >= 2 and data[1::2].count(0) > len(data) // 4:
        text = data.decode("utf-16-le", errors="replace")
    elif len(data) >= 2 and data[0::2].count(0) > len(data) // 4:
        text = data.decode("utf-16-be", errors="replace")
    else:
        text = data.replace(b"\x00", b"").decode("utf-8")
    return text.replace("\x00", "")


def _script_from_clientdata(
    cd_text: str, where: str, limits: _Limits
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None] | None:
    try:
        cd = json.loads(cd_text)
    except (ValueError, RecursionError) as exc:
        raise SolutionError(f"{where}: clientdata is not valid JSON ({_json_error(exc)})") from None
    props = cd.get("properties") if isinstance(cd, dict) else None
    definition = props.get("definition") if isinstance(props, dict) else None
    package = definition.get("package") if isinstance(definition, dict) else None
    if not isinstance(package, str) or not package.strip():
        return None
    if len(package) > limits.max_member_size * 2:
        raise SolutionError(f"{where}: clientdata package is larger than the limit")
    try:
        blob = base64.b64decode("".join(package.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SolutionError(f"{where}: clientdata package is not valid base64") from None
    pwhere = f"{where}: clientdata package"
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            infos = _check_zip_infos(zf, pwhere, limits)
            files = [i for i in infos if not i.is_dir()]
            if not files:
                raise SolutionError(f"{pwhere}: the package zip is empty")
            data = _read_zip_member(zf, files[0], pwhere, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise SolutionError(f"{pwhere}: not a valid zip archive ({type(exc).__name__})") from None
    try:
        script = _decode_v1_script(data)
    except UnicodeDecodeError:
        raise SolutionError(f"{pwhere}: the script is not UTF-8 or UTF-16 text") from None
    inputs = props.get("inputs") if isinstance(props, dict) else None
    outputs = props.get("outputs") if isinstance(props, dict) else None
    return (
        script,
        inputs if isinstance(inputs, dict) else None,
        outputs if isinstance(outputs, dict) else None,
    )


def _json_error(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return type(exc).__name__


# --------------------------------------------------------------------------------------------
# Members and flows

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
        attrs = _attributes(wf.attrs, mwhere)
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


# --------------------------------------------------------------------------------------------
# Zip reading


def _check_zip_infos(zf: zipfile.ZipFile, where: str, limits: _Limits) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise SolutionError(
            f"{where}: too many members ({len(infos)}, the limit is {limits.max_members})"
        )
    seen: set[str] = set()
    for info in infos:
        _check_member_name(info.filename, where)
        key = info.filename.replace("\\", "/").casefold()
        if key in seen:
            raise SolutionError(f"{where}: duplicate member name {info.filename!r}")
        seen.add(key)
        if info.file_size > limits.max_member_size:
            raise SolutionError(
                f"{where}: member {info.filename!r} is {info.file_size} bytes uncompressed, "
                f"larger than the limit of {limits.max_member_size}"
            )
        if info.file_size > limits.ratio_min_size:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise SolutionError(
                    f"{where}: member {info.filename!r} has a compression ratio of {ratio:.0f}:1 "
                    f"(limit {limits.max_ratio:.0f}:1); refusing a possible zip bomb"
                )
    # a lower bound of each member's extent (header without name and extra, plus data)
    spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size) for i in infos)
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:]):
        if e1 > s2:
            raise SolutionError(f"{where}: corrupt zip (overlapping members)")
    return infos


def _read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: _Limits) -> bytes:
    if info.file_size > limits.max_member_size:
        raise SolutionError(f"{where}: member {info.filename!r} is larger than the limit")
    buf = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if len(buf) > limits.max_member_size or len(buf) > info.file_size:
                    raise SolutionError(
                        f"{where}: member {info.filename!r} decompresses to more than "
                        f"{min(limits.max_member_size, info.file_size)} bytes"
                    )
    except SolutionError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise SolutionError(
            f"{where}: member {info.filename!r} is corrupt or unreadable ({type(exc).__name__}: {exc})"
        ) from None
    return bytes(buf)


def _find_info(infos: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    norm = name.replace("\\", "/")
    for info in infos:
        if info.filename.replace("\\", "/") == norm:
            return info
    for info in infos:
        if info.filename.replace("\\", "/").casefold() == norm.casefold():
            return info
    return None


def _load_zip(real_file: str, display: str, limits: _Limits) -> Solution:
    digest = hashlib.sha256()
    try:
        with open(real_file, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
            fh.seek(0)
            try:
                zf = zipfile.ZipFile(fh)
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
                raise SolutionError(f"{display}: not a valid zip archive ({exc})") from None
            with zf:
                infos = _check_zip_infos(zf, display, limits)
                info = _find_info(infos, "customizations.xml")
                if info is None:
                    raise SolutionError(f"{display}: no customizations.xml at the root of the zip")
                raw = _read_zip_member(zf, info, display, limits)

                def reader(name: str) -> bytes | None:
                    found = _find_info(infos, name)
                    return None if found is None else _read_zip_member(zf, found, display, limits)

                return _assemble(
                    display,
                    "zip",
                    [(info.filename, raw, None)],
                    reader,
                    limits,
                    digest=digest.digest(),
                    real_file=real_file,
                )
    except OSError as exc:
        raise SolutionError(f"{display}: cannot read ({exc.strerror or type(exc).__name__})") from None


# --------------------------------------------------------------------------------------------
# Folder and bare XML reading


def _child_ci(folder: Path, name: str) -> Path | None:
    exact = folder / name
    if exact.exists():
        return exact
    try:
        for entry in os.scandir(folder):
            if entry.name.casefold() == name.casefold():
                return folder / entry.name
    except OSError:
        return None
    return None


def _folder_parts(root: Path) -> tuple[list[Path], Path | None]:
    data_files: list[Path] = []
    wdir = _child_ci(root, "Workflows")
    if wdir is not None and wdir.is_dir():
        data_files = sorted(
            (wdir / e.name for e in os.scandir(wdir) if e.name.lower().endswith(".json.data.xml") and e.is_file()),
            key=lambda p: p.name,
        )
    cust = _child_ci(root, "customizations.xml")
    if cust is None or not cust.is_file():
        other = _child_ci(root, "Other")
        cust = _child_ci(other, "customizations.xml") if other is not None and other.is_dir() else None
        if cust is not None and not cust.is_file():
            cust = None
    return data_files, cust


def _inside(real_root: str, path: Path, where: str) -> str:
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise SolutionError(f"{where}: resolves outside the solution folder; refusing to read it")
    return real


def _load_folder(path: str, limits: _Limits) -> Solution:
    root = Path(path)
    real_root = os.path.realpath(root)
    data_files, cust = _folder_parts(root)
    if not data_files and cust is None:
        raise SolutionError(
            f"{path}: not a solution folder (no Workflows/*.json.data.xml or customizations.xml)"
        )
    files = ([cust] if cust is not None else []) + data_files
    if len(files) > limits.max_members:
        raise SolutionError(f"{path}: too many files ({len(files)}, the limit is {limits.max_members})")
    raws: list[tuple[str, bytes, str | None]] = []
    for f in files:
        rel = f.relative_to(root).as_posix()
        where = f"{path}: {rel}"
        real = _inside(real_root, f, where)
        raws.append((rel, _read_file_limited(real, where, limits), real))
    return _assemble(path, "folder", raws, _folder_reader(path, limits), limits)


def _folder_reader(path: str, limits: _Limits) -> Reader:
    """Reads ``<JsonFileName>`` files (v1 packages) inside a solution folder."""
    root = Path(path)
    real_root = os.path.realpath(root)

    def reader(rel: str) -> bytes | None:
        candidate = root / rel
        if not candidate.is_file():
            return None
        where = f"{path}: {rel}"
        return _read_file_limited(_inside(real_root, candidate, where), where, limits)

    return reader


def _xml_reader(path: str, limits: _Limits) -> Reader:
    """Reads ``<JsonFileName>`` files next to a bare XML file (its folder or the one above)."""
    here = Path(os.path.realpath(path)).parent

    def reader(rel: str) -> bytes | None:
        for candidate in (here / rel, here.parent / rel, here / Path(rel).name):
            if candidate.is_file():
                return _read_file_limited(str(candidate), str(candidate), limits)
        return None

    return reader


def _load_xml(path: str, limits: _Limits) -> Solution:
    real = os.path.realpath(path)
    raw = _read_file_limited(real, path, limits)
    return _assemble(path, "xml", [(os.path.basename(path), raw, real)], _xml_reader(path, limits), limits)


# --------------------------------------------------------------------------------------------
# Public reading API


def is_solution_path(path: str | os.PathLike[str]) -> bool:
    """A .zip, a solution folder, or a ``customizations.xml`` / ``*.json.data.xml`` file."""
    p = Path(path)
    try:
        if p.is_dir():
            data_files, cust = _folder_parts(p)
            return bool(data_files) or cust is not None
        if p.is_file():
            name = p.name.lower()
            return name.endswith(".zip") or name == "customizations.xml" or name.endswith(".json.data.xml")
    except OSError:
        return False
    return False


def load_solution(
    path: str | os.PathLike[str],
    *,
    max_members: int = MAX_MEMBERS,
    max_member_size: int = MAX_MEMBER_SIZE,
    max_compression_ratio: float = MAX_COMPRESSION_RATIO,
    ratio_min_size: int = RATIO_MIN_SIZE,
) -> Solution:
    """Load the desktop flows of a solution export (zip, unpacked folder or bare XML)."""
    p = os.fspath(path)
    limits = _Limits(max_members, max_member_size, max_compression_ratio, ratio_min_size)
    if os.path.isdir(p):
        return _load_folder(p, limits)
    if not os.path.isfile(p):
        raise SolutionError(f"{p}: no such file or folder")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise SolutionError(f"{p}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if p.lower().endswith(".zip") or magic in (b"PK\x03\x04", b"PK\x05\x06"):
        return _load_zip(os.path.realpath(p), p, limits)
    return _load_xml(p, limits)


# --------------------------------------------------------------------------------------------
# Rendering changes


def _flow_edits(flow: EmbeddedFlow, member: _Member, change: FlowChange) -> list[tuple[int, int, str]]:
    loc = flow._loc
    where = f"{flow.container}: {flow.member}: workflow {flow.name!r} ({flow.workflow_id})"
    if loc is None:
        raise SolutionError(f"{where}: flow has no location information")
    text = member.text
    edits: list[tuple[int, int, str]] = []
    if loc.v1:
        if change.script != flow.script or _io_needs_change(
            flow.inputs, change.sensitive_io, change.removed_inputs
        ) or _io_needs_change(flow.outputs, change.sensitive_io, frozenset()):
            raise SolutionError(f"{where}: cannot rewrite a v1 clientdata flow")
        return edits
    if change.script != flow.script:
        assert loc.definition is not None
        start, end = loc.definition
        raw = text[start:end]
        encode = _definition_encoder(raw, member, where)
        if encode(flow.script) != raw:
            raise SolutionError(
                f"{where}: re-encoding <Definition> does not reproduce the original text; "
                "refusing to rewrite it"
            )
        edits.append((start, end, encode(change.script)))
    for span, label, removed in (
        (loc.inputs, "Inputs", change.removed_inputs),
        (loc.outputs, "Outputs", frozenset[str]()),
    ):
        if span is None or not (change.sensitive_io or removed):
            continue
        start, end = span
        raw = text[start:end]
        value = _xml_text(raw, where)
        try:
            new_value = _edit_io_json(value, change.sensitive_io, removed)
        except (ValueError, RecursionError) as exc:
            raise SolutionError(f"{where}: cannot edit <{label}> ({exc})") from None
        if new_value == value:
            continue
        style = _element_xml_style(raw, member)
        if _xml_escape(value, style, where) != raw:
            raise SolutionError(
                f"{where}: re-encoding <{label}> does not reproduce the original text; "
                "refusing to rewrite it"
            )
        edits.append((start, end, _xml_escape(new_value, style, where)))
    return edits


def _splice_member(member: _Member, edits: list[tuple[int, int, str]], where: str) -> bytes:
    if not member.splice_ok:
        raise SolutionError(
            f"{where}: the member text does not round-trip through {member.codec}; refusing to rewrite it"
        )
    edits = sorted(edits)
    for (_s1, e1, _t1), (s2, _e2, _t2) in zip(edits, edits[1:]):
        if e1 > s2:
            raise SolutionError(f"{where}: overlapping edits")
    text, raw, codec = member.text, member.raw, member.codec
    prev_char, prev_byte = 0, len(member.bom)
    parts: list[bytes] = [raw[:prev_byte]]
    for start, end, new in edits:
        byte_start = prev_byte + len(text[prev_char:start].encode(codec))
        byte_end = byte_start + len(text[start:end].encode(codec))
        parts.append(raw[prev_byte:byte_start])
        parts.append(new.encode(codec, errors="xmlcharrefreplace"))
        prev_char, prev_byte = end, byte_end
    parts.append(raw[prev_byte:])
    return b"".join(parts)


def render_changes(solution: Solution, changes: Mapping[str, FlowChange]) -> dict[str, bytes]:
    """New bytes of every member that changes, keyed by member name.

    ``changes`` is keyed by WorkflowId (braces and case are ignored). Only the texts of the
    changed ``<Definition>``/``<Inputs>``/``<Outputs>`` elements differ from the original bytes.
    """
    members = {m.name: m for m in solution._members}
    flows = {f.workflow_id: f for f in solution.flows}
    edits: dict[str, list[tuple[int, int, str]]] = {}
    given: set[str] = set()
    for key, change in changes.items():
        if _norm_id(key) in given:
            raise SolutionError(f"{solution.path}: WorkflowId {_norm_id(key)} is given twice")
        given.add(_norm_id(key))
        flow = flows.get(_norm_id(key))
        if flow is None:
            raise SolutionError(f"{solution.path}: no desktop flow with WorkflowId {_norm_id(key)}")
        member = members.get(flow.member)
        if member is None:
            raise SolutionError(f"{solution.path}: {flow.member}: member not loaded")
        found = _flow_edits(flow, member, change)
        if found:
            edits.setdefault(flow.member, []).extend(found)
    out: dict[str, bytes] = {}
    for member in solution._members:
        if member.name in edits:
            new = _splice_member(member, edits[member.name], f"{solution.path}: {member.name}")
            if new != member.raw:
                out[member.name] = new
    return out


# --------------------------------------------------------------------------------------------
# Writing


def _fsync_dir(folder: str) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_replace(
    target: str,
    produce: Callable[[IO[bytes]], None],
    check: Callable[[str], None] | None = None,
) -> None:
    """Write a temp file next to ``target``, fsync, keep the mode, check it, then os.replace."""
    folder = os.path.dirname(target) or "."
    st = os.stat(target)
    base = os.path.basename(target)
    suffix = ".pafix-tmp" + (".zip" if base.lower().endswith(".zip") else "")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            produce(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            tst = os.stat(tmp)
            if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                with contextlib.suppress(OSError):
                    os.chown(tmp, st.st_uid, st.st_gid)
        if check is not None:
            check(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


_EOCD = struct.Struct("<4s4H2LH")
_CDH = struct.Struct("<4s4B4HL2L5H2L")
_LFH = struct.Struct("<4s2B4HL2L2H")
_DEFLATE_LEVELS = {0: 6, 1: 9, 2: 1, 3: 1}


def _has_zip64_extra(extra: bytes) -> bool:
    i = 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid == 0x0001:
            return True
        i += 4 + size
    return False


def _compress(data: bytes, method: int, flags: int, where: str) -> bytes:
    if method == zipfile.ZIP_STORED:
        return data
    if method == zipfile.ZIP_DEFLATED:
        c = zlib.compressobj(_DEFLATE_LEVELS[(flags >> 1) & 3], zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if method == zipfile.ZIP_BZIP2:
        return bz2.compress(data)
    raise SolutionError(f"{where}: cannot rewrite a member with compression method {method}")


def _rewrite_zip(src: bytes | mmap.mmap, dst: IO[bytes], replacements: Mapping[str, bytes], where: str) -> None:
    """Copy the archive, raw, replacing the data of the named members."""
    size = len(src)
    eocd = src.rfind(b"PK\x05\x06", max(0, size - 22 - 0xFFFF))
    if eocd < 0 or eocd + 22 > size:
        raise SolutionError(f"{where}: corrupt zip (no end of central directory)")
    _sig, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, _clen = _EOCD.unpack_from(src, eocd)
    if disk or cd_disk or n_disk != n_total:
        raise SolutionError(f"{where}: multi-disk archives are not supported")
    if (
        n_total == 0xFFFF
        or 0xFFFFFFFF in (cd_size, cd_offset)
        or (eocd >= 20 and src[eocd - 20 : eocd - 16] == b"PK\x06\x07")
    ):
        raise SolutionError(f"{where}: ZIP64 archives are not supported for rewriting")
    if eocd - cd_size != cd_offset:
        raise SolutionError(f"{where}: the archive has data before it; not supported for rewriting")

    entries: list[tuple[bytearray, str, int, int, int]] = []  # central entry, name, offset, local end, flags
    pos = cd_offset
    for _ in range(n_total):
        if src[pos : pos + 4] != b"PK\x01\x02":
            raise SolutionError(f"{where}: corrupt zip (bad central directory)")
        fields = _CDH.unpack_from(src, pos)
        flags, csize, usize, nlen, xlen, clen, offset = (
            fields[5], fields[10], fields[11], fields[12], fields[13], fields[14], fields[18]
        )
        entry = bytearray(src[pos : pos + 46 + nlen + xlen + clen])
        name_bytes = bytes(entry[46 : 46 + nlen])
        name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437")
        if 0xFFFFFFFF in (csize, usize, offset):
            raise SolutionError(f"{where}: ZIP64 members are not supported for rewriting")
        if src[offset : offset + 4] != b"PK\x03\x04":
            raise SolutionError(f"{where}: corrupt zip (bad local header for {name!r})")
        lfields = _LFH.unpack_from(src, offset)
        lnlen, lxlen = lfields[10], lfields[11]
        if bytes(src[offset + 30 : offset + 30 + lnlen]) != name_bytes:
            raise SolutionError(f"{where}: corrupt zip (local and central names differ for {name!r})")
        data_end = offset + 30 + lnlen + lxlen + csize
        if flags & 0x08:
            data_end += 16 if src[data_end : data_end + 4] == b"PK\x07\x08" else 12
        if data_end > cd_offset:
            raise SolutionError(f"{where}: corrupt zip (member {name!r} runs into the directory)")
        entries.append((entry, name, offset, data_end, flags))
        pos += len(entry)
    cd_rest = bytes(src[pos : cd_offset + cd_size])
    spans = sorted((e[2], e[3]) for e in entries)
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:]):
        if e1 > s2:
            raise SolutionError(f"{where}: corrupt zip (overlapping members)")
    missing = set(replacements) - {e[1] for e in entries}
    if missing:
        raise SolutionError(f"{where}: no member named {sorted(missing)[0]!r}")

    out_pos = spans[0][0] if spans else cd_offset
    dst.write(src[0:out_pos])  # anything before the first member (absolute offsets kept)
    new_cd: list[bytes] = []
    for entry, name, offset, data_end, flags in entries:
        new_offset = out_pos
        if new_offset > 0xFFFFFFFF:
            raise SolutionError(f"{where}: the rewritten archive would need ZIP64")
        if name in replacements:
            lfields = _LFH.unpack_from(src, offset)
            lnlen, lxlen = lfields[10], lfields[11]
            lname = bytes(src[offset + 30 : offset + 30 + lnlen])
            lextra = bytes(src[offset + 30 + lnlen : offset + 30 + lnlen + lxlen])
            if flags & 0x01:
                raise SolutionError(f"{where}: cannot rewrite encrypted member {name!r}")
            if _has_zip64_extra(lextra) or _has_zip64_extra(bytes(entry[46 + len(lname) :])):
                raise SolutionError(f"{where}: cannot rewrite ZIP64 member {name!r}")
            data = replacements[name]
            method = lfields[4]
            comp = _compress(data, method, flags, where)
            crc = zlib.crc32(data) & 0xFFFFFFFF
            if len(comp) > 0xFFFFFFFF or len(data) > 0xFFFFFFFF:
                raise SolutionError(f"{where}: the rewritten member would need ZIP64")
            new_flags = flags & ~0x08
            header = _LFH.pack(
                b"PK\x03\x04", lfields[1], lfields[2], new_flags, method, lfields[5], lfields[6],
                crc, len(comp), len(data), lnlen, lxlen,
            )
            dst.write(header + lname + lextra)
            dst.write(comp)
            out_pos += len(header) + lnlen + lxlen + len(comp)
            struct.pack_into("<H", entry, 8, new_flags)
            struct.pack_into("<3L", entry, 16, crc, len(comp), len(data))
        else:
            for chunk_start in range(offset, data_end, _CHUNK):
                dst.write(src[chunk_start : min(chunk_start + _CHUNK, data_end)])
            out_pos += data_end - offset
        struct.pack_into("<L", entry, 42, new_offset)
        new_cd.append(bytes(entry))
    cd_bytes = b"".join(new_cd) + cd_rest
    if out_pos > 0xFFFFFFFF:
        raise SolutionError(f"{where}: the rewritten archive would need ZIP64")
    tail = bytearray(src[eocd:])
    struct.pack_into("<2L", tail, 12, len(cd_bytes), out_pos)
    dst.write(cd_bytes)
    dst.write(bytes(tail))


def _self_check(old: Solution, new: Solution, changes: Mapping[str, FlowChange], where: str) -> None:
    """The rewritten container yields the same flows, with the new scripts."""
    wanted = {_norm_id(k): v.script for k, v in changes.items()}
    old_ids = [f.workflow_id for f in old.flows]
    new_ids = [f.workflow_id for f in new.flows]
    if old_ids != new_ids:
        raise SolutionError(f"{where}: the rewritten solution lists different desktop flows; not written")
    for before, after in zip(old.flows, new.flows):
        expected = wanted.get(before.workflow_id, before.script)
        if after.script != expected:
            raise SolutionError(
                f"{where}: workflow {after.name!r}: the rewritten script does not read back; not written"
            )


def _write_zip(
    solution: Solution,
    rendered: dict[str, bytes],
    changes: Mapping[str, FlowChange],
    verify: Callable[[Solution], None] | None,
) -> None:
    target = solution._file or os.path.realpath(solution.path)
    where = solution.path
    if not os.path.isfile(target):
        raise SolutionError(f"{where}: no such file")

    def produce(fh: IO[bytes]) -> None:
        with open(target, "rb") as src:
            if os.fstat(src.fileno()).st_size == 0:
                raise SolutionError(f"{where}: the file is empty")
            with mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                digest = hashlib.sha256()
                for i in range(0, len(mm), _CHUNK):
                    digest.update(mm[i : i + _CHUNK])
                if solution._digest and digest.digest() != solution._digest:
                    raise SolutionError(f"{where}: the file changed on disk since it was loaded; reload it")
                _rewrite_zip(mm, fh, rendered, where)

    def check(tmp: str) -> None:
        try:
            with zipfile.ZipFile(tmp) as new_zf, zipfile.ZipFile(target) as old_zf:
                old_infos, new_infos = old_zf.infolist(), new_zf.infolist()
                if [(i.filename, i.compress_type) for i in old_infos] != [
                    (i.filename, i.compress_type) for i in new_infos
                ] or old_zf.comment != new_zf.comment:
                    raise SolutionError(f"{where}: the rewritten archive lists different members; not written")
                for name, data in rendered.items():
                    if new_zf.read(name) != data:
                        raise SolutionError(f"{where}: {name}: the rewritten member does not read back; not written")
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise SolutionError(f"{where}: the rewritten archive is unreadable ({exc}); not written") from None
        new = _load_zip(tmp, solution.path, solution._limits)
        _self_check(solution, new, changes, where)
        new = Solution(
            path=new.path,
            kind=new.kind,
            flows=new.flows,
            _members=new._members,
            _digest=new._digest,
            _file=target,
            _limits=new._limits,
        )
        if verify is not None:
            verify(new)

    _atomic_replace(target, produce, check)


def _writer(data: bytes) -> Callable[[IO[bytes]], None]:
    def produce(fh: IO[bytes]) -> None:
        fh.write(data)

    return produce


def _write_files(
    solution: Solution,
    rendered: dict[str, bytes],
    changes: Mapping[str, FlowChange],
    verify: Callable[[Solution], None] | None,
) -> None:
    members = {m.name: m for m in solution._members}
    raws = [(m.name, rendered.get(m.name, m.raw), m.file) for m in solution._members]

    if solution.kind == "folder":
        reader = _folder_reader(solution.path, solution._limits)
    else:
        reader = _xml_reader(solution.path, solution._limits)
    new = _assemble(solution.path, solution.kind, raws, reader, solution._limits)
    _self_check(solution, new, changes, solution.path)
    if verify is not None:
        verify(new)
    for name in rendered:
        member = members[name]
        assert member.file is not None
        current = _read_file_limited(member.file, f"{solution.path}: {name}", solution._limits)
        if current != member.raw:
            raise SolutionError(f"{solution.path}: {name}: the file changed on disk since it was loaded; reload it")
    for name, data in rendered.items():
        target = members[name].file
        assert target is not None
        _atomic_replace(target, _writer(data))


def write_solution(
    solution: Solution,
    changes: Mapping[str, FlowChange],
    *,
    verify: Callable[[Solution], None] | None = None,
) -> list[str]:
    """Apply ``changes`` (keyed by WorkflowId) in place; return the names of the changed members.

    Every write is atomic (temp file in the same folder, fsync, same mode, ``os.replace``). A zip
    is rebuilt in a temp file with every other member copied raw (same name, order, compression
    and bytes); the temp archive is re-loaded and passed to ``verify`` (which may raise) before
    it replaces the original. For a folder or bare XML file, the new member texts are parsed
    and passed to ``verify`` before any file is written. When nothing changes, nothing is
    written and ``verify`` is not called.
    """
    rendered = render_changes(solution, changes)
    if not rendered:
        return []
    if solution.kind == "zip":
        _write_zip(solution, rendered, changes, verify)
    else:
        _write_files(solution, rendered, changes, verify)
    return list(rendered)
