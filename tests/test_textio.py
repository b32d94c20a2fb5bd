from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafix.syntax.textio import (
    ENCODINGS,
    DecodedText,
    DecodeError,
    EncodeError,
    Encoding,
    decode,
    encode,
    newline_of,
    read_flow_file,
)

SAMPLE = "SET Password TO $'''secret'''\r\nDisplay.ShowMessageDialog.ShowMessage Message: Password\r\n"

BOMS: dict[Encoding, bytes] = {
    "utf-8": b"",
    "utf-8-sig": b"\xef\xbb\xbf",
    "utf-16-le": b"\xff\xfe",
    "utf-16-be": b"\xfe\xff",
    "utf-16-le-nobom": b"",
    "utf-16-be-nobom": b"",
}
CODECS: dict[Encoding, str] = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "utf-16-le-nobom": "utf-16-le",
    "utf-16-be-nobom": "utf-16-be",
}


def raw(text: str, encoding: Encoding) -> bytes:
    return BOMS[encoding] + text.encode(CODECS[encoding])


def like(encoding: Encoding) -> DecodedText:
    return DecodedText(text="", encoding=encoding, newline="\n", final_newline=False)


def roundtrips(data: bytes) -> DecodedText:
    d = decode(data)
    assert encode(d.text, d) == data
    return d


# ---- detection and round trips ------------------------------------------------------

TEXTS = [
    SAMPLE,
    "a\nb\n",
    "a\rb\r",
    "a\r\nb\nc\rd",  # mixed, no final newline
    "no newline at all",
    "",
    "Ünïcødé ✓ 𝄞 € \u2028 and\u0085 more\r\n",
    "\ufeffsecond BOM is text\n",
]


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        (e, t)
        for e in ENCODINGS
        for t in TEXTS
        # without a BOM, a leading U+FEFF would read back as one (encode refuses it)
        if BOMS[e] or not t.startswith("\ufeff")
    ],
)
def test_round_trip_every_encoding(encoding: Encoding, text: str) -> None:
    data = raw(text, encoding)
    d = roundtrips(data)
    if data == b"":
        assert d.encoding == "utf-8"
    elif encoding.endswith("nobom") and text.startswith("Ü"):
        pass  # mostly non-ASCII: not recognisable as BOM-less UTF-16, checked below
    else:
        assert d.encoding == encoding
        assert d.text == text


def test_bom_is_not_in_text_and_is_written_back() -> None:
    data = b"\xef\xbb\xbfSET X TO 1\r\n"
    d = decode(data)
    assert d.encoding == "utf-8-sig"
    assert d.text == "SET X TO 1\r\n"
    assert d.bom == b"\xef\xbb\xbf"
    assert encode(d.text + "SET Y TO 2\r\n", d) == data + b"SET Y TO 2\r\n"


def test_second_feff_after_bom_is_kept() -> None:
    d = roundtrips(b"\xef\xbb\xbf\xef\xbb\xbfx")
    assert d.text == "\ufeffx"


@pytest.mark.parametrize(
    ("text", "newline", "final"),
    [
        ("a\r\nb\r\n", "\r\n", True),
        ("a\nb\n", "\n", True),
        ("a\rb\r", "\r", True),
        ("a\r\nb\nc\r\n", "\r\n", True),
        ("a\nb\nc\r\n", "\n", True),
        ("a\r\nb\n", "\r\n", True),  # tie: CRLF wins
        ("a\nb\r", "\n", True),  # tie: LF over CR
        ("abc", "\n", False),
        ("", "\n", False),
        ("a\r\nb", "\r\n", False),
    ],
)
def test_newline_and_final_newline(text: str, newline: str, final: bool) -> None:
    d = decode(text.encode())
    assert d.newline == newline
    assert newline_of(text) == newline
    assert d.final_newline is final


def test_utf16_without_bom_detected() -> None:
    for encoding, codec in (("utf-16-le-nobom", "utf-16-le"), ("utf-16-be-nobom", "utf-16-be")):
        data = SAMPLE.encode(codec)
        d = roundtrips(data)
        assert d.encoding == encoding
        assert d.text == SAMPLE
        assert d.bom == b""


def test_utf16_without_bom_with_some_non_ascii() -> None:
    text = "SET Name TO $'''Jürgen Müller — 東京'''\r\n" * 20
    d = roundtrips(text.encode("utf-16-le"))
    assert d.encoding == "utf-16-le-nobom"
    assert d.text == text


def test_single_stray_nul_in_utf8_is_not_taken_for_utf16() -> None:
    data = ("SET X TO 1\r\n" * 50).encode() + b"\x00"
    with pytest.raises(DecodeError, match="NUL bytes"):
        decode(data)


# ---- errors -------------------------------------------------------------------------


def test_invalid_utf8_names_line_column_and_byte() -> None:
    data = b"line one\nline two\nab\xc3\xa9de\xffxyz\n"
    with pytest.raises(DecodeError) as info:
        decode(data, "flows/x.robin")
    err = info.value
    offset = data.index(b"\xff")
    assert str(err) == f"flows/x.robin: invalid UTF-8 at line 3, column 6 (byte {offset})"
    assert (err.line, err.column, err.offset, err.path) == (3, 6, offset, "flows/x.robin")


def test_invalid_utf8_after_bom_counts_bom_bytes() -> None:
    data = b"\xef\xbb\xbfab\x80"
    with pytest.raises(DecodeError, match=r"line 1, column 3 \(byte 5\)"):
        decode(data)


def test_invalid_utf8_crlf_and_cr_lines() -> None:
    with pytest.raises(DecodeError, match=r"line 3, column 1 \(byte 5\)"):
        decode(b"a\r\nb\r\xfe")


def test_truncated_utf8_sequence() -> None:
    with pytest.raises(DecodeError, match="invalid UTF-8 at line 1, column 2"):
        decode(b"a\xe2\x82")


def test_overlong_and_surrogate_utf8_refused() -> None:
    for bad in (b"\xc0\xaf", b"\xed\xa0\x80"):
        with pytest.raises(DecodeError, match="invalid UTF-8"):
            decode(b"x" + bad)


def test_nul_bytes_refused_with_position() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"SET X TO 1\nSET\x00 Y", "f.robin")
    assert "file contains NUL bytes" in str(info.value)
    assert (info.value.line, info.value.column, info.value.offset) == (2, 4, 14)


def test_nul_character_in_utf16_refused() -> None:
    with pytest.raises(DecodeError, match="NUL characters at line 1, column 2"):
        decode(b"\xff\xfea\x00\x00\x00b\x00")


def test_utf16_odd_length_refused() -> None:
    with pytest.raises(DecodeError, match="odd number of bytes"):
        decode(b"\xff\xfea\x00b")


def test_utf16_lone_surrogate_refused() -> None:
    data = b"\xff\xfe" + "ab\n".encode("utf-16-le") + b"\x00\xd8" + "c".encode("utf-16-le")
    with pytest.raises(DecodeError, match=r"invalid UTF-16-LE at line 2, column 1 \(byte 8\)"):
        decode(data)


def test_utf32_refused() -> None:
    for data in ("\ufeffab".encode("utf-32-le"), "\ufeffab".encode("utf-32-be")):
        with pytest.raises(DecodeError, match="UTF-32"):
            decode(data)


def test_encode_refuses_what_would_not_read_back() -> None:
    with pytest.raises(EncodeError, match="NUL"):
        encode("a\x00", like("utf-8"))
    with pytest.raises(EncodeError, match="U\\+FEFF"):
        encode("\ufeffa", like("utf-8"))
    assert encode("\ufeffa", like("utf-8-sig")) == b"\xef\xbb\xbf\xef\xbb\xbfa"
    with pytest.raises(EncodeError, match="line 2, column 2"):
        encode("a\nb\ud800", like("utf-16-le"))
    with pytest.raises(EncodeError, match="no longer be recognised"):
        encode("東京東京", like("utf-16-le-nobom"))


def test_read_flow_file(tmp_path: Path) -> None:
    p = tmp_path / "f.robin"
    p.write_bytes(b"\xef\xbb\xbfSET X TO 1\r\n")
    data, d = read_flow_file(p)
    assert data == p.read_bytes()
    assert d.text == "SET X TO 1\r\n"
    bad = tmp_path / "bad.robin"
    bad.write_bytes(b"\xff\xff\xff")
    with pytest.raises(DecodeError, match="bad.robin: invalid UTF-8"):
        read_flow_file(bad)
    with pytest.raises(FileNotFoundError, match="missing.robin"):
        read_flow_file(tmp_path / "missing.robin")


# ---- properties ---------------------------------------------------------------------

# any code point but surrogates (not encodable) and NUL (refused)
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
texts = st.text(st.characters(exclude_categories=SURROGATES, exclude_characters="\x00"))
robinish = st.text(
    st.sampled_from(list("SET X TO 1 %'$\"{}[]\r\n\t=.,:") + ["ü", "€", "𝄞"]), min_size=1
)


prefixes = st.sampled_from([b"", *BOMS.values(), b"\xff\xfe\x00\x00", b"a\x00", b"\x00a"])


@settings(max_examples=500)
@given(st.one_of(st.binary(), st.tuples(prefixes, st.binary()).map(lambda t: t[0] + t[1])))
def test_any_accepted_bytes_round_trip(data: bytes) -> None:
    try:
        d = decode(data)
    except DecodeError:
        return
    assert encode(d.text, d) == data


@settings(max_examples=200)
@given(texts, st.sampled_from(ENCODINGS))
def test_encoded_text_round_trips(text: str, encoding: Encoding) -> None:
    data = raw(text, encoding)
    try:
        d = decode(data)
    except DecodeError:
        assert encoding.endswith("nobom") and text  # unrecognised BOM-less UTF-16 only
        return
    assert encode(d.text, d) == data
    if BOMS[encoding]:
        assert d.encoding == encoding
        assert d.text == text
    elif encoding == "utf-8" and not text.startswith("\ufeff"):
        assert d.encoding == "utf-8"
        assert d.text == text


@settings(max_examples=200)
@given(robinish, st.sampled_from(["utf-16-le-nobom", "utf-16-be-nobom"]))
def test_mostly_ascii_utf16_without_bom_detected(text: str, encoding: Encoding) -> None:
    ascii_units = sum(1 for c in text if 0 < ord(c) < 256)
    data = raw(text, encoding)
    if 2 * ascii_units <= len(data) // 2:
        return  # not mostly ASCII-range: detection is not promised
    d = decode(data)
    assert d.encoding == encoding
    assert d.text == text
    assert encode(d.text, d) == data


@given(texts, st.sampled_from(ENCODINGS))
def test_decode_encode_decode_is_stable(text: str, encoding: Encoding) -> None:
    try:
        d = decode(raw(text, encoding))
    except DecodeError:
        return
    again = decode(encode(d.text, d))
    assert again == d
