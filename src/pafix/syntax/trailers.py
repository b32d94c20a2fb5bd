"""The parts of a clipboard copy that are not Robin: trailers and subflow separators.

A copy of actions that use UI elements or images ends with a trailer: a comment line
``# [ControlRepository][PowerAutomateDesktop]`` (or ``# [ImageRepository]...``), a blank line,
then a JSON document (screenshots in base64, connection references). A copy of *several*
subflows repeats that: each subflow's text, then its trailer and/or a line of ``=`` signs
ending in ``>``, then the next subflow. Every such region is opaque to the parser; the code
between regions is parsed, so every subflow of the copy is analysed.

The JSON document is found without decoding it: PAD prints it indented, so the document ends
at the first line that is exactly ``}`` (a JSON string cannot hold a line break, so only the
outermost brace starts a line). One ``re`` search per file, as before the split: the decode is
left to :func:`connection_references`, which only the inventory calls. A trailer whose JSON has
no such closing line runs to the end of the text (what the parser did with every trailer
before: nothing after it is ever tokenized, whatever it holds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: the text of a trailer's first line (a comment)
_MARKER = r"# \[(?:ControlRepository|ImageRepository)\]\[PowerAutomateDesktop\]"
#: a trailer line or a subflow separator line (``=====>``), from the line's start
_BOUNDARY_LINE = r"[ \t\ufeff]*(?:(?P<marker>" + _MARKER + r")|=+>)[ \t]*\r?$"
#: the closing brace of an indented JSON document, from the line's start
_JSON_END_LINE = r"\}[ \t]*(?:\r\n|\n|\r|\Z)"

#: the comment line that starts a trailer
TRAILER_RE = re.compile(r"^[ \t\ufeff]*" + _MARKER + r"[ \t]*\r?$", re.M)
#: a trailer line or a subflow separator line: where an opaque region starts
_BOUNDARY_RE = re.compile("^" + _BOUNDARY_LINE, re.M)
#: the closing brace of an indented JSON document
_JSON_END_RE = re.compile("^" + _JSON_END_LINE, re.M)
# The two patterns above start with ``^``: a search tries a match at every character (~5 ns
# each), and the JSON of a trailer is megabytes of base64, the code thousands of lines; they
# were a tenth of a parse. Searched instead: the line break before such a line (a pattern that
# starts with a literal, which the regex engine skips to at C speed), then the line is
# matched by the pattern itself; a line at the search's start is matched first.
_BOUNDARY_NL_RE = re.compile(r"\n(?=" + _BOUNDARY_LINE + ")", re.M)
_JSON_END_NL_RE = re.compile(r"\n(?=" + _JSON_END_LINE + ")")
#: a line that continues an opaque region: blank, another separator or another marker
_CONTINUE_RE = re.compile(r"[ \t\ufeff]*(?:\r\n|\n|\r)|[ \t\ufeff]*\Z")


def regions(text: str) -> tuple[tuple[int, int], ...]:
    """The opaque regions of ``text`` as ``(start, end)`` offsets, in order. A region starts at
    the beginning of its first line and ends where the next code line starts (or at the end)."""
    found: list[tuple[int, int]] = []
    pos = 0
    size = len(text)
    while pos < size:
        m = _search_line(_BOUNDARY_RE, _BOUNDARY_NL_RE, text, pos)
        if m is None:
            break
        start = m.start()
        end = _region_end(text, m)
        if found and found[-1][1] == start:  # a separator right after a trailer: one region
            start = found.pop()[0]
        found.append((start, end))
        pos = end
    return tuple(found)


def _region_end(text: str, m: re.Match[str]) -> int:
    """Where the region opened by the boundary line ``m`` ends: after its JSON document (for a
    trailer) and the blank lines that follow; a trailer without a closing brace runs to the end."""
    pos = _next_line(text, m.end())
    if m.group("marker") is not None:
        close = _search_line(_JSON_END_RE, _JSON_END_NL_RE, text, pos)
        if close is None:
            return len(text)
        pos = close.end()
    while pos < len(text):  # blank lines belong to the region
        blank = _CONTINUE_RE.match(text, pos)
        if blank is None or blank.end() == pos:
            break
        pos = blank.end()
    return pos


def _search_line(line_re: re.Pattern[str], nl_re: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    """``line_re.search(text, pos)`` for a pattern that matches whole lines from their start
    (``^``), found through ``nl_re``: the line break before such a line (see above)."""
    m = line_re.match(text, pos)
    if m is not None:
        return m
    nl = nl_re.search(text, pos)
    return None if nl is None else line_re.match(text, nl.end())


def _next_line(text: str, pos: int) -> int:
    if text.startswith("\r\n", pos):
        return pos + 2
    if pos < len(text) and text[pos] in "\r\n":
        return pos + 1
    return pos


def split_trailer(text: str) -> int:
    """Offset where the first opaque region starts (or ``len(text)``)."""
    m = _search_line(_BOUNDARY_RE, _BOUNDARY_NL_RE, text, 0)
    return m.start() if m else len(text)


def boundary_near(text: str, start: int, end: int) -> bool:
    """Whether a trailer or separator line starts on a line of ``text`` from the one holding
    ``start`` to the one holding ``end`` (the lines an edit touched)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return _BOUNDARY_RE.search(text, line_start, len(text) if line_end < 0 else line_end + 1) is not None


def blank_regions(text: str, found: tuple[tuple[int, int], ...]) -> str:
    """``text`` up to its last region (a region running to the end is cut off), the other
    regions replaced by spaces with their line breaks kept: every offset stays that of
    ``text``, and the code of every subflow is parsed in one pass."""
    if not found:
        return text
    cut = found[-1][0] if found[-1][1] == len(text) else len(text)
    inner = [r for r in found if r[0] < cut]
    if not inner:
        return text[:cut]
    parts: list[str] = []
    prev = 0
    for start, end in inner:
        parts.append(text[prev:start])
        parts.append(spaces(text[start:end]))
        prev = end
    parts.append(text[prev:cut])
    return "".join(parts)


_NOT_NEWLINE_RE = re.compile(r"[^\r\n]")


def spaces(chunk: str) -> str:
    """``chunk`` with every character but its line breaks replaced by a space."""
    return _NOT_NEWLINE_RE.sub(" ", chunk)


def _documents(chunk: str) -> Iterator[Any]:
    """The JSON documents of one region (each after a marker line); undecodable ones skipped."""
    decoder = json.JSONDecoder()
    for m in TRAILER_RE.finditer(chunk):
        start = chunk.find("{", m.end())
        if start < 0:
            continue
        try:
            doc, _ = decoder.raw_decode(chunk, start)
        except ValueError:
            continue
        yield doc


def connection_references(text: str, found: tuple[tuple[int, int], ...]) -> list[Mapping[str, Any]]:
    """The connection references of every trailer, in the keys of a solution's
    ``<ConnectionReferences>`` (``padInternalId``, ``connectionReferenceLogicalName``,
    ``api.name``), so that the inventory maps both the same way. A trailer writes
    ``InternalId``, ``LogicalName``, ``ConnectorId`` (``/providers/.../apis/<name>``) and
    ``ConnectionDisplayName``."""
    refs: list[Mapping[str, Any]] = []
    for start, end in found:
        for doc in _documents(text[start:end]):
            entries = doc.get("ConnectionReferences") if isinstance(doc, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                connector = entry.get("ConnectorId")
                ref: dict[str, Any] = {
                    "padInternalId": entry.get("InternalId"),
                    "connectionReferenceLogicalName": entry.get("LogicalName"),
                    "displayName": entry.get("ConnectionDisplayName") or entry.get("DisplayName"),
                }
                if isinstance(connector, str) and connector:
                    ref["api"] = {"name": connector.rstrip("/").rsplit("/", 1)[-1]}
                refs.append(ref)
    return refs
