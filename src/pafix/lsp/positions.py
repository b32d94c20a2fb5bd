"""Offsets (code points into a Python ``str``) <-> LSP positions (line, character).

The core reports offsets into the flow's text, counted in code points. LSP positions count
``character`` in the *negotiated* position encoding: UTF-16 code units (the default every
client supports), UTF-8 bytes, or UTF-32 code units (= code points). A line index built once
per document version turns one into the other in O(log lines + line length).

Only ``\\r\\n``, ``\\n`` and ``\\r`` end a line (as in the LSP specification), not U+2028,
form feed & co. (which ``str.splitlines`` would split on). Positions are clamped the way the
specification asks: a ``character`` past the end of its line means the end of the line, a
line past the last one means the end of the document, and a position that falls inside a
character (inside a UTF-16 surrogate pair or a UTF-8 sequence) moves back to its start.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from itertools import accumulate
from typing import Final, Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]

UTF8: Final = "utf-8"
UTF16: Final = "utf-16"
UTF32: Final = "utf-32"
SUPPORTED: Final[tuple[Encoding, ...]] = ("utf-16", "utf-8", "utf-32")

_BREAK: Final = re.compile(r"\r\n|\r|\n")


def negotiate_encoding(client_encodings: Sequence[str] | None) -> Encoding:
    """The position encoding to use, from the client's ``general.positionEncodings``.

    The client lists encodings in its order of preference; the first one we support wins.
    Without a list (or with nothing we know) it is UTF-16, which every client must support.
    This is the same choice pygls advertises in ``ServerCapabilities.positionEncoding``.
    """
    for enc in client_encodings or ():
        for known in SUPPORTED:
            if enc == known:
                return known
    return "utf-16"


def _units(segment: str, encoding: str) -> int:
    """Length of ``segment`` in the encoding's code units."""
    if encoding == UTF32 or segment.isascii():
        return len(segment)
    if encoding == UTF16:
        return len(segment) + sum(1 for ch in segment if ord(ch) > 0xFFFF)
    # surrogatepass: a lone surrogate (from a surrogateescape decode) still has a length
    return len(segment.encode("utf-8", "surrogatepass"))


def _char_units(ch: str, encoding: str) -> int:
    o = ord(ch)
    if encoding == UTF16:
        return 2 if o > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 1


class LineIndex:
    """Line starts of one text, for converting offsets and positions."""

    __slots__ = ("text", "starts", "_ends")

    def __init__(self, text: str) -> None:
        self.text = text
        if "\r" not in text:
            # only "\n" breaks (the usual text): line lengths from a C-speed split, summed up;
            # a regex match object per line took ~20 ms per keystroke on a 20,000-line flow
            starts = [0, *accumulate(len(line) + 1 for line in text.split("\n"))]
            starts.pop()  # the sum past the last line
            ends = [start - 1 for start in starts[1:]]
        else:
            starts = [0]
            ends = []
            for m in _BREAK.finditer(text):
                ends.append(m.start())
                starts.append(m.end())
        ends.append(len(text))
        self.starts = starts
        self._ends = ends  # end of each line's content (before its line break)

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        """0-based line that holds ``offset`` (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        return bisect.bisect_right(self.starts, offset) - 1

    def line_start(self, line: int) -> int:
        return self.starts[max(0, min(line, len(self.starts) - 1))]

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``'s content, before its line break."""
        return self._ends[max(0, min(line, len(self._ends) - 1))]

    def line_text(self, line: int) -> str:
        return self.text[self.line_start(line) : self.line_end(line)]

    # ---- offsets -> positions --------------------------------------------------------------
    def position(self, offset: int, encoding: str = UTF16) -> tuple[int, int]:
        """``(line, character)`` of a code-point offset; an offset inside a ``\\r\\n`` pair or a
        line break counts as the end of its line."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        offset = min(offset, self._ends[line])
        return line, _units(self.text[start:offset], encoding)

    # ---- positions -> offsets --------------------------------------------------------------
    def offset(self, line: int, character: int, encoding: str = UTF16) -> int:
        """Code-point offset of an LSP position, clamped as the specification asks."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self._ends[line]
        if character <= 0:
            return start
        if encoding == UTF32:
            return min(start + character, end)
        segment = self.text[start:end]
        if segment.isascii():
            return start + min(character, len(segment))
        used = 0
        for i, ch in enumerate(segment):
            width = _char_units(ch, encoding)
            if used + width > character:
                return start + i  # inside (or at the start of) this character
            used += width
        return end


__all__ = ["Encoding", "LineIndex", "SUPPORTED", "UTF8", "UTF16", "UTF32", "negotiate_encoding"]
