"""Element text of ``customizations.xml``: decoding it, and encoding a new value with the
conventions the original shows.

The replacement text is encoded with the conventions detected on the original element (and, for
characters the element does not show, on the rest of the member): which characters are XML
entities or character references. Conventions of the real exports (PADFramework, ``CrmLive``
9.2, and the unpacked ``uch-avp``): XML text escapes only ``<`` ``>`` ``&`` (``&lt;`` ``&gt;``
``&amp;``); ``"`` and ``'`` are raw; no character references; non-ASCII raw UTF-8. Where the
original shows no evidence for a character, the defaults are the real exports'.

Decoding is exact on purpose: a CR in element text stays a CR (a conformant XML parser would
normalise CRLF to LF), so that encoding the decoded value reproduces the original bytes, which
is what makes a splice safe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pafix.solutions.model import SolutionError, _Member

_TEXT_TOKEN = re.compile(
    r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|([A-Za-z_][A-Za-z0-9._-]*));"
    r"|<!\[CDATA\[(.*?)\]\]>|<!--.*?-->|<\?.*?\?>|[&<]",
    re.S,
)


_XML_REF = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));")

_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}

_INVALID_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_WATCH_RAW = ">\"'\r\n\t"


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

