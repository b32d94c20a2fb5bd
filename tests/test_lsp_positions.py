"""Offsets <-> LSP positions in UTF-16, UTF-8 and UTF-32 (pafix.lsp.positions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pafix.lsp.positions import LineIndex, negotiate_encoding

ENCODINGS = ("utf-16", "utf-8", "utf-32")


def _units(s: str, enc: str) -> int:
    if enc == "utf-16":
        return len(s.encode("utf-16-le", "surrogatepass")) // 2
    if enc == "utf-8":
        return len(s.encode("utf-8", "surrogatepass"))
    return len(s)


def test_line_starts_lf_crlf_cr() -> None:
    text = "a\nbc\r\nd\re\n"
    idx = LineIndex(text)
    assert idx.starts == [0, 2, 6, 8, 10]
    assert [idx.line_text(i) for i in range(idx.line_count)] == ["a", "bc", "d", "e", ""]
    assert idx.position(len(text)) == (4, 0)


def test_only_cr_lf_end_lines() -> None:
    # U+2028, U+0085 and form feed are characters, not line breaks (unlike str.splitlines)
    text = "a\u2028b\x0cc\u0085d\ne"
    idx = LineIndex(text)
    assert idx.line_count == 2
    assert idx.position(text.index("d")) == (0, 6)


@pytest.mark.parametrize("enc", ENCODINGS)
def test_astral_characters(enc: str) -> None:
    text = "SET x TO $'''😀 é %Pw%'''\r\nnext"
    idx = LineIndex(text)
    off = text.index("%Pw%")
    line, char = idx.position(off, enc)
    assert line == 0
    assert char == _units(text[:off], enc)
    assert {"utf-16": 18, "utf-8": 21, "utf-32": 17}[enc] == char
    assert idx.offset(line, char, enc) == off


def test_utf16_inside_surrogate_pair_moves_to_character_start() -> None:
    text = "a😀b"
    idx = LineIndex(text)
    assert idx.offset(0, 1, "utf-16") == 1
    assert idx.offset(0, 2, "utf-16") == 1  # inside the pair
    assert idx.offset(0, 3, "utf-16") == 2
    assert idx.offset(0, 3, "utf-8") == 1  # inside the 4-byte sequence
    assert idx.offset(0, 5, "utf-8") == 2


def test_clamping() -> None:
    text = "ab\r\ncd"
    idx = LineIndex(text)
    assert idx.offset(0, 99) == 2  # past the end of the line: its end, before CRLF
    assert idx.offset(7, 0) == len(text)  # past the last line: end of document
    assert idx.offset(-1, 5) == 0
    assert idx.position(3) == (0, 2)  # between CR and LF: end of the line
    assert idx.position(-4) == (0, 0)
    assert idx.position(999) == (1, 2)


def test_empty_text() -> None:
    idx = LineIndex("")
    assert idx.line_count == 1
    assert idx.position(0) == (0, 0)
    assert idx.offset(0, 3) == 0


def test_lone_surrogate_from_surrogateescape() -> None:
    text = "a\udcffb"
    idx = LineIndex(text)
    assert idx.position(2, "utf-16") == (0, 2)
    assert idx.position(2, "utf-8") == (0, 4)
    assert idx.offset(0, 4, "utf-8") == 2


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (None, "utf-16"),
        ([], "utf-16"),
        (["utf-8", "utf-16"], "utf-8"),
        (["utf-32"], "utf-32"),
        (["utf-16", "utf-8"], "utf-16"),
        (["latin-1", "utf-8"], "utf-8"),
        (["ebcdic"], "utf-16"),
    ],
)
def test_negotiate(offered: list[str] | None, chosen: str) -> None:
    assert negotiate_encoding(offered) == chosen


PIECES = list("ab \t%'") + ["\n", "\r", "\r\n", "é", "😀", "\u2028", "中"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(TEXT, st.sampled_from(ENCODINGS), st.data())
def test_round_trip(text: str, enc: str, data: st.DataObject) -> None:
    idx = LineIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    line, char = idx.position(offset, enc)
    back = idx.offset(line, char, enc)
    # offsets inside a line break map to the line's end; every other offset round-trips
    if text[:offset].endswith("\r") and text[offset:].startswith("\n"):
        assert back == offset - 1
    else:
        assert back == offset
    # the position agrees with a direct count over the lines
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert line < len(lines)
    assert char <= _units(lines[line], enc)


@given(st.text(alphabet="ab \n\r\u2028\x0c", max_size=30))
def test_line_starts_and_ends_are_those_of_the_line_breaks(text: str) -> None:
    # the index splits only at \r\n, \r and \n (LSP's line breaks), the \n-only text by a
    # faster path than the mixed one: both must give the breaks' offsets
    import re

    starts, ends = [0], []
    for m in re.finditer(r"\r\n|\r|\n", text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    index = LineIndex(text)
    assert index.starts == starts
    assert [index.line_end(i) for i in range(index.line_count)] == ends
    plain = LineIndex(text.replace("\r", ""))
    assert plain.starts == [0] + [m.end() for m in re.finditer("\n", text.replace("\r", ""))]


@given(TEXT, st.data())
def test_an_edited_index_is_the_index_of_the_edited_text(text: str, data: st.DataObject) -> None:
    # the server's way (a change's range replaced): the lines around the change found again,
    # those below moved; a \r before the change may join a \n it inserts, and the reverse
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    inserted = data.draw(TEXT.filter(lambda s: len(s) < 8))
    new = text[:start] + inserted + text[end:]
    edited = LineIndex(text).edited(start, end, new)
    whole = LineIndex(new)
    assert edited.text == new
    assert edited.starts == whole.starts
    assert [edited.line_end(i) for i in range(edited.line_count)] == [whole.line_end(i) for i in range(whole.line_count)]
