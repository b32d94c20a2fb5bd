"""Byte-faithful decoding and encoding of flow files.

pafix rewrites files in place, so reading and writing must be exact inverses: for every
input that :func:`decode` accepts, ``encode(decode(data).text, decode(data)) == data``.
Nothing is ever decoded with a replacement character; input that cannot be decoded
exactly is refused with a :class:`DecodeError` that names the position.

Encodings
---------
Detection, in order:

* ``EF BB BF`` (UTF-8 BOM)          -> ``"utf-8-sig"``
* ``FF FE 00 00`` / ``00 00 FE FF`` -> refused (UTF-32 is not supported)
* ``FF FE`` (UTF-16-LE BOM)         -> ``"utf-16-le"``
* ``FE FF`` (UTF-16-BE BOM)         -> ``"utf-16-be"``
* no BOM, but the first 4 KiB look like UTF-16 text of mostly ASCII characters (a
  majority of the 2-byte units have a NUL high byte and hardly any a NUL low byte,
  or the other way round) -> ``"utf-16-le-nobom"`` / ``"utf-16-be-nobom"``
* otherwise strict UTF-8            -> ``"utf-8"``

The byte-order mark is never part of :attr:`DecodedText.text`: the parser and every
offset in pafix work on the text *after* the BOM, and :func:`encode` writes the BOM back
(for the four encodings that had one). A second U+FEFF right after the BOM is ordinary
text and is kept.

U+0000 (NUL) is refused in every encoding: Robin scripts never contain it, and a NUL in
what looks like UTF-8 means a binary file or a UTF-16/32 file we failed to recognise.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from typing import Final, Literal, get_args

Encoding = Literal[
    "utf-8",
    "utf-8-sig",
    "utf-16-le",
    "utf-16-be",
    "utf-16-le-nobom",
    "utf-16-be-nobom",
]
Newline = Literal["\r\n", "\n", "\r"]

ENCODINGS: Final[tuple[Encoding, ...]] = get_args(Encoding)

_BOM_UTF8: Final = b"\xef\xbb\xbf"
_BOM_UTF16_LE: Final = b"\xff\xfe"
_BOM_UTF16_BE: Final = b"\xfe\xff"
_BOM_UTF32_LE: Final = b"\xff\xfe\x00\x00"
_BOM_UTF32_BE: Final = b"\x00\x00\xfe\xff"

#: per encoding: (BOM written before the text, Python codec of the text after it)
_CODECS: Final[dict[Encoding, tuple[bytes, str]]] = {
    "utf-8": (b"", "utf-8"),
    "utf-8-sig": (_BOM_UTF8, "utf-8"),
    "utf-16-le": (_BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be": (_BOM_UTF16_BE, "utf-16-be"),
    "utf-16-le-nobom": (b"", "utf-16-le"),
    "utf-16-be-nobom": (b"", "utf-16-be"),
}

_LABELS: Final[dict[Encoding, str]] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16-le": "UTF-16-LE",
    "utf-16-be": "UTF-16-BE",
    "utf-16-le-nobom": "UTF-16-LE (no BOM)",
    "utf-16-be-nobom": "UTF-16-BE (no BOM)",
}

#: how many leading bytes the BOM-less UTF-16 sniffer looks at
SNIFF_BYTES: Final = 4096

_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A flow file's text plus everything needed to write it back byte for byte."""

    #: the decoded text, without the byte-order mark (see the module docstring)
    text: str
    #: how the bytes were encoded; :func:`encode` uses it (and re-adds the BOM)
    encoding: Encoding
    #: the dominant line ending (:func:`newline_of`); use it when inserting lines
    newline: Newline
    #: whether the text ends with a line break (``\n`` or ``\r``)
    final_newline: bool

    @property
    def bom(self) -> bytes:
        """The byte-order mark the file starts with (``b""`` when it has none)."""
        return _CODECS[self.encoding][0]


class DecodeError(Exception):
    """The bytes are not text pafix can round-trip; the message names path and position."""

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        line: int | None = None,
        column: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        #: byte offset from the start of the file (BOM included)
        self.offset = offset
        where = ""
        if line is not None and column is not None:
            where = f" at line {line}, column {column}"
        if offset is not None:
            where += f" (byte {offset})"
        super().__init__(f"{path}: {reason}{where}")


class EncodeError(ValueError):
    """The text cannot be written in the original encoding so that it reads back the same."""


def newline_of(text: str) -> Newline:
    """The dominant line ending of ``text``: the most frequent of CRLF, LF and lone CR.

    Ties go to CRLF, then LF, then CR; text without any line break gives ``"\\n"``.
    """
    # a two-character count is the slow one (a substring search, not a character scan; it was
    # half of decoding a flow file): skipped when there is no CR at all, most files' case
    cr = text.count("\r")
    crlf = text.count("\r\n") if cr else 0
    cr -= crlf
    lf = text.count("\n") - crlf
    if crlf == cr == lf == 0:
        return "\n"
    best: Newline = "\r\n"
    best_count = crlf
    if lf > best_count:
        best, best_count = "\n", lf
    if cr > best_count:
        best = "\r"
    return best


def _line_col(prefix: str) -> tuple[int, int]:
    """1-based line and column of the code point that follows ``prefix``."""
    line = 1
    line_start = 0
    for m in _LINE_BREAK.finditer(prefix):
        line += 1
        line_start = m.end()
    return line, len(prefix) - line_start + 1


def _sniff_utf16(data: bytes) -> Encoding | None:
    """Recognise BOM-less UTF-16 of mostly ASCII-range text from its NUL-byte pattern."""
    if len(data) < 2 or len(data) % 2 or b"\x00" not in data[:SNIFF_BYTES]:
        return None
    sample = data[: SNIFF_BYTES - SNIFF_BYTES % 2]
    units = len(sample) // 2
    even = sample[0::2]  # low byte in LE, high byte in BE
    odd = sample[1::2]
    nul_odd = sum(1 for lo, hi in zip(even, odd) if lo and not hi)  # "a\0" -> LE
    nul_even = sum(1 for lo, hi in zip(even, odd) if hi and not lo)  # "\0a" -> BE
    if 2 * nul_odd > units and 10 * nul_even <= nul_odd:
        return "utf-16-le-nobom"
    if 2 * nul_even > units and 10 * nul_odd <= nul_even:
        return "utf-16-be-nobom"
    return None


def _detect(data: bytes, path: str) -> Encoding:
    if data.startswith(_BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(_BOM_UTF32_LE) or data.startswith(_BOM_UTF32_BE):
        raise DecodeError(path, "UTF-32 is not supported (save the flow as UTF-8 or UTF-16)")
    if data.startswith(_BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(_BOM_UTF16_BE):
        return "utf-16-be"
    return _sniff_utf16(data) or "utf-8"


def decode(data: bytes, path: str = "<bytes>") -> DecodedText:
    """Decode a flow file's bytes exactly, or raise :class:`DecodeError`.

    ``path`` is only used in error messages.
    """
    encoding = _detect(data, path)
    bom, codec = _CODECS[encoding]
    body = data[len(bom) :]
    label = _LABELS[encoding]

    if codec == "utf-8" and b"\x00" in body:
        at = body.index(b"\x00")
        line, col = _line_col(body[:at].decode("utf-8", errors="replace"))
        raise DecodeError(
            path,
            "file contains NUL bytes (a binary file, or UTF-16/UTF-32 without a byte-order mark?)",
            line=line,
            column=col,
            offset=len(bom) + at,
        )
    if codec.startswith("utf-16") and len(body) % 2:
        line, col = _line_col(body[:-1].decode(codec, errors="replace"))
        raise DecodeError(
            path,
            f"truncated {label}: odd number of bytes",
            line=line,
            column=col,
            offset=len(data) - 1,
        )
    try:
        text = body.decode(codec, errors="strict")
    except UnicodeDecodeError as exc:
        # the decoders are strict and incremental: everything before exc.start is valid
        line, col = _line_col(body[: exc.start].decode(codec))
        raise DecodeError(
            path,
            f"invalid {label}",
            line=line,
            column=col,
            offset=len(bom) + exc.start,
        ) from None
    if "\x00" in text:
        at = text.index("\x00")
        line, col = _line_col(text[:at])
        raise DecodeError(
            path,
            "file contains NUL characters",
            line=line,
            column=col,
            offset=len(bom) + len(text[:at].encode(codec)),
        )
    return DecodedText(
        text=text,
        encoding=encoding,
        newline=newline_of(text),
        final_newline=text.endswith(("\n", "\r")),
    )


def encode(text: str, like: DecodedText) -> bytes:
    """Encode ``text`` the way ``like`` was stored: same encoding, same BOM (or none).

    Raises :class:`EncodeError` for text that could not be read back as the same text in
    that encoding: lone surrogates, NUL characters, a leading U+FEFF where no BOM is
    written (it would read back as a BOM), or BOM-less UTF-16 that no longer looks like
    UTF-16 to the detector.
    """
    bom, codec = _CODECS[like.encoding]
    if "\x00" in text:
        line, col = _line_col(text[: text.index("\x00")])
        raise EncodeError(f"text contains a NUL character at line {line}, column {col}")
    if not bom and text.startswith("\ufeff"):
        raise EncodeError(
            f"text starts with U+FEFF, which would read back as a byte-order mark "
            f"({like.encoding} has none)"
        )
    try:
        body = text.encode(codec, errors="strict")
    except UnicodeEncodeError as exc:
        line, col = _line_col(text[: exc.start])
        raise EncodeError(
            f"text cannot be encoded as {_LABELS[like.encoding]} at line {line}, "
            f"column {col}: {exc.reason}"
        ) from None
    data = bom + body
    if like.encoding.endswith("-nobom") and _sniff_utf16(data) != like.encoding and text:
        raise EncodeError(
            f"the new text would no longer be recognised as {_LABELS[like.encoding]}"
        )
    return data


#: largest flow file pafix reads (real flows are well under 1 MiB)
MAX_FILE_SIZE: Final = 64 * 1024 * 1024


def read_flow_bytes(path: str | os.PathLike[str], *, limit: int = MAX_FILE_SIZE) -> bytes:
    """The bytes of a flow file: a regular file (not a FIFO, device or socket, which could block
    or never end) of at most ``limit`` bytes.

    Raises :class:`OSError` whose ``strerror`` says why (it holds no byte of the file).
    """
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)  # O_NONBLOCK: opening a FIFO does not wait for a writer
    except ValueError:  # an embedded NUL character
        raise OSError(errno.EINVAL, "invalid path", name) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, FIFO or socket?)", name)
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"file is larger than {limit // (1024 * 1024)} MiB", name)
        # its size, and one byte more to see it grew while it is read: not read(limit + 1),
        # which has Python allocate a buffer of the limit (64 MiB) for every file
        data = f.read(st.st_size + 1)
        if st.st_size < len(data) <= limit:  # it grew: the rest, up to one byte past the limit
            data += f.read(limit + 1 - len(data))
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"file is larger than {limit // (1024 * 1024)} MiB", name)
    return data


def read_flow_file(path: str | os.PathLike[str]) -> tuple[bytes, DecodedText]:
    """Read and decode a flow file; returns the raw bytes too (hash them before writing).

    Raises :class:`OSError` (whose message names the file and the reason) when the file
    cannot be read, is not a regular file or is larger than :data:`MAX_FILE_SIZE`, and
    :class:`DecodeError` when its bytes cannot be decoded exactly.
    """
    name = os.fspath(path)
    data = read_flow_bytes(name)
    return data, decode(data, name)
