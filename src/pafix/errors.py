"""Errors pafix reports about its input. Messages never contain secret values."""

from __future__ import annotations

import re


# the string literal shapes of the grammar (robin.lark), as "unrolled loops"
_STRING_AT = re.compile(
    r"\$'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"
    r"|'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"
    r"|(?:\$fx|P)?'[^'\\]*(?:\\.[^'\\]*)*'"
)
_QUOTE_START = re.compile(r"\$'''|'''|\$fx'|P'|'|/?#")


def mask_strings(line: str) -> str:
    """Replace what is inside string literals with ``*`` (same length, so a caret still lines
    up). A string that does not end on the line masks the rest of the line.

    A line that fails to parse may hold a password literal; error output must not echo it.
    """
    stripped = line.lstrip(" \t\ufeff")
    if stripped.startswith(("#", "/#")):  # a comment line (or a block comment's first line)
        lead = len(line) - len(stripped) + (2 if stripped.startswith("/#") else 1)
        return line[:lead] + "".join(c if c in " \t" else "*" for c in line[lead:])
    out: list[str] = []
    pos = 0
    while True:
        m = _QUOTE_START.search(line, pos)
        if m is None:
            out.append(line[pos:])
            return "".join(out)
        out.append(line[pos : m.end()])
        if m.group(0).endswith("#"):  # a comment runs to the end of the line
            out.append("".join(c if c in " \t" else "*" for c in line[m.end():]))
            return "".join(out)
        whole = _STRING_AT.match(line, m.start())
        if whole is None or whole.end() <= m.end():  # unterminated: an unclosed ''' is not '' + '
            out.append("*" * (len(line) - m.end()))
            return "".join(out)
        close = 3 if m.group(0).endswith("'''") else 1
        inner_end = max(m.end(), whole.end() - close)
        out.append("*" * (inner_end - m.end()))
        out.append(line[inner_end : whole.end()])
        pos = whole.end()


class PafixError(Exception):
    """Base of every error pafix reports to a user (exit code 2)."""


class ParseError(PafixError):
    """A flow that is not valid Robin. Not a ``SyntaxError`` (that is Python's own)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int = 1,
        column: int = 1,
        offset: int = 0,
        end_offset: int | None = None,
        source_line: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.offset = offset
        self.end_offset = offset if end_offset is None else end_offset
        self.source_line = source_line

    @property
    def location(self) -> str:
        return f"{self.path or '<text>'}:{self.line}:{self.column}"

    @property
    def snippet(self) -> str:
        """The offending line and a caret under the column. The line is cut to 120 characters
        around the caret so that a long line (or a secret far along it) is not echoed whole."""
        if not self.source_line:
            return ""
        text = mask_strings(self.source_line.replace("\t", " "))
        col = self.column - 1
        start = max(0, col - 60)
        shown = text[start : start + 120]
        prefix = "..." if start else ""
        caret = " " * (len(prefix) + col - start) + "^"
        return f"    {prefix}{shown}\n    {caret}"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def with_path(self, path: str | None) -> ParseError:
        return ParseError(
            self.message,
            path=path,
            line=self.line,
            column=self.column,
            offset=self.offset,
            end_offset=self.end_offset,
            source_line=self.source_line,
        )
