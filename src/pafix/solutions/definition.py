"""The ``<Definition>`` element: the Robin script as one JSON string inside XML text.

The real exports write it Newtonsoft-style: ``\\"`` ``\\\\`` ``\\r`` ``\\n``, non-ASCII raw (no
``ensure_ascii``), ``/`` not escaped. A new script is encoded with the escapes the original
string shows (``\\/``, ``\\uXXXX`` for non-ASCII, hex case); an original that ``\\u``-escapes one
HTML-sensitive character (System.Text.Json style) gets all of them (``<``, ``>``, ``&``, ``'``,
``"``, ``+`` and the backtick) escaped that way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pafix.solutions.model import SolutionError, _Member
from pafix.solutions.xmltext import _element_xml_style, _xml_escape, _xml_text

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

