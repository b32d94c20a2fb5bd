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


def _bounds(text: str, lo: int, hi: int) -> tuple[list[int], list[int]]:
    """The start and the content's end of each line of ``text[lo:hi]`` (``lo`` starts a line),
    offsets in ``text``; a break at the region's very end starts an empty last line."""
    part = text[lo:hi]
    if "\r" not in part:
        # only "\n" breaks (the usual text): line lengths from a C-speed split, summed up;
        # a regex match object per line took ~20 ms per keystroke on a 20,000-line flow
        starts = list(accumulate((len(line) + 1 for line in part.split("\n")), initial=lo))
        starts.pop()  # the sum past the last line
        ends = [start - 1 for start in starts[1:]]
    else:
        starts = [lo]
        ends = []
        for m in _BREAK.finditer(part):
            ends.append(lo + m.start())
            starts.append(lo + m.end())
    ends.append(hi)
    return starts, ends


class LineIndex:
    """Line starts of one text, for converting offsets and positions."""

    __slots__ = ("text", "starts", "_ends")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts, self._ends = _bounds(text, 0, len(text))  # _ends: each line's content's end

    def edited(self, start: int, end: int, text: str) -> LineIndex:
        """The index of ``text``: this index's text with ``[start, end)`` replaced. The lines
        from the one before ``start``'s to the second after ``end``'s are found again; those
        above are these, those below these moved. What the server does with each change: a
        whole index of a 20,000-line text was ~8.5 ms a keystroke.

        Why those lines: a line break is ``\\r\\n``, ``\\r`` or ``\\n``, so a change
        can join a ``\\r`` ending the line before ``start``'s to a ``\\n`` it inserts;
        the line before that starts after text the change left as it was. The second line
        after ``end``'s starts after a break that lies after ``end``, and the text around
        that break is unchanged too."""
        delta = len(text) - len(self.text)
        first = max(self.line_of(start) - 1, 0)
        below = self.line_of(end) + 2  # the first line taken over, moved
        moved = below < len(self.starts)
        starts, ends = _bounds(text, self.starts[first], self.starts[below] + delta if moved else len(text))
        if moved:  # the last line found is the empty one at the region's end: the one taken over
            starts.pop()
            ends.pop()
            starts += [x + delta for x in self.starts[below:]]
            ends += [x + delta for x in self._ends[below:]]
        index = LineIndex.__new__(LineIndex)
        index.text = text
        index.starts = self.starts[:first] + starts
        index._ends = self._ends[:first] + ends
        return index

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
