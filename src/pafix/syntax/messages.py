"""Parse error messages: what Lark reports, said in the words of a Robin author.

Every message names the line and column and what was expected there; nothing from inside a
string is echoed (the text around a stray quote or ``%`` may be a secret).
"""

from __future__ import annotations

import re
from typing import cast

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from pafix.errors import ParseError
from pafix.guard import quotable

_TERMINAL_NAMES = {
    "_NL": "end of line",
    "$END": "end of file",
    "NAME": "a name",
    "DOTTED": "an action name",
    "PARAM": "a parameter (Name:)",
    "OUT": "an output (Name=>)",
    "DYN_PARAM": "a parameter (@name:)",
    "DYN_OUT": "an output (@name=>)",
    "STRING": "a string",
    "ISTRING": "a string",
    "NUMBER": "a number",
    "END": "END",
    "END_FUNCTION": "END FUNCTION",
    "ELSE": "ELSE",
    "ELSE_IF": "ELSE IF",
    "CASE": "CASE",
    "DEFAULT": "DEFAULT",
    "ON_BLOCK_ERROR": "ON BLOCK ERROR",
    "ON_ERROR": "ON ERROR",
    "COMMA": "','",
    "RPAR": "')'",
    "LPAR": "'('",
    "RSQB": "']'",
    "LSQB": "'['",
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "COLON": "':'",
    "EQUAL": "'='",
    "CMP_OP": "a comparison",
    "ANNOTATION": "an @@annotation",
}
_EXPR_START = {"NAME", "NUMBER", "STRING", "ISTRING", "LPAR", "LSQB"}
_STATEMENT_START = {"SET", "DOTTED", "IF", "CALL"}


def _token_phrase(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    if tok.type in ("STRING", "ISTRING", "ESTRING", "FXSTRING", "BACKTICK"):
        return "a string"  # never echo a literal: it may be a secret
    if tok.type == "NUMBER":
        return "a number"
    text = str(tok)
    if quotable(text):
        return repr(text)  # a keyword or punctuation: says what is wrong, holds no data
    if tok.type in ("COMMENT", "BLOCK_COMMENT"):
        return "a comment"
    if tok.type == "DOTTED":
        return "an action name"
    return "a name" if tok.type == "NAME" else "a word"  # never echo a word: it may be a secret


def _expected_phrase(expected: set[str]) -> str:
    names: list[str] = []
    pool = set(expected)
    if _STATEMENT_START <= pool:
        names.append("a statement")
        pool -= _STATEMENT_START | {"SWITCH", "LOOP", "BLOCK", "WAIT", "LABEL", "GOTO", "EXIT", "ERROR", "DISABLE",
                                    "COMMENT", "BLOCK_COMMENT", "ANNOTATION", "REGION", "ENDREGION", "IMPORT",
                                    "SENSITIVE", "INPUT", "OUTPUT", "EXIT_LOOP", "NEXT_LOOP", "EXIT_FUNCTION",
                                    "THROW_ERROR", "REPEAT_BLOCK", "ON_ERROR", "FUNCTION"}
    if _EXPR_START <= pool:
        names.append("an expression")
        pool -= _EXPR_START | {"DOTTED", "ESTRING", "FXSTRING", "BACKTICK", "TRUE", "FALSE", "MINUS", "LBRACE", "NOT"}
    for term in sorted(pool):
        names.append(_TERMINAL_NAMES.get(term, term if term.isupper() and term.isalpha() else f"'{term}'" if len(term) <= 2 else term))
    if not names:
        return "something else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _describe(exc: UnexpectedInput, text: str) -> str:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        rest = text[pos : pos + 4]
        if rest.startswith(("'", "$'", "P'")):
            return "unterminated string (no closing quote)"
        if rest.startswith("/#"):
            return "unterminated comment (no closing #/)"
        if rest.startswith("//"):
            return "'//' is not a Robin comment (use '#')"
        allowed = set(exc.allowed or ())
        ch = text[pos] if pos < len(text) else ""
        return f"unexpected character {ch!r}; expected {_expected_phrase(allowed)}"
    if isinstance(exc, UnexpectedToken):
        pos = cast(int, exc.token.start_pos or 0)
        if text.startswith("//", pos):
            return "'//' is not a Robin comment (use '#')"
        if text.startswith("/#", pos):
            return "unterminated comment (no closing #/)"
        return f"found {_token_phrase(exc.token)}; expected {_expected_phrase(set(exc.expected))}"
    if isinstance(exc, UnexpectedEOF):
        return f"unexpected end of file; expected {_expected_phrase(set(exc.expected))}"
    return str(exc)


def _describe_hole(exc: UnexpectedInput, text: str) -> tuple[int, str]:
    """Where and why a ``%...%`` hole does not parse. The hole sits inside a string, so its
    words are never echoed (the text around a stray ``%`` may be a secret)."""
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return len(text), "it ends before the closing % (write %% for a literal percent sign)"
    pos = cast(int, getattr(exc, "pos_in_stream", None) or 0)
    if isinstance(exc, UnexpectedToken):
        tok = str(exc.token)
        found = repr(tok) if tok and not any(c.isalnum() or c in "'\\" for c in tok) else "a word"
        return pos, f"found {found} (write %% for a literal percent sign)"
    return pos, "found an unexpected character (write %% for a literal percent sign)"


_DANGLING_RE = re.compile(r"(@?(?:[^\W\d]\w*|'(?:[^'\\\r\n]|\\.)*')(?:=>|:))[ \t]*(?:([^\W\d]\w*)[ \t]*)?\Z")


def _dangling_arg(code: str, exc: UnexpectedToken) -> tuple[int, str] | None:
    """``Name: `` or ``Out=> `` with nothing after it (at the end of the line, or followed by
    the next ``Param:``, which the lexer then reads as a name and a colon)."""
    pos = len(code.rstrip()) if exc.token.type == "$END" else cast(int, exc.token.start_pos)
    before = code[code.rfind("\n", 0, pos) + 1 : pos]
    m = _DANGLING_RE.search(before)
    if m is None or (exc.token.type == "COLON") != (m.group(2) is not None):
        return None
    where = pos - len(before) + m.start(2) if m.group(2) is not None else pos
    return where, f"missing value after '{m.group(1)}'"


def _line_at(text: str, offset: int) -> tuple[int, int, str]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end < 0:
        end = len(text)
    return line, offset - start + 1, text[start:end].rstrip("\r")


def _error(text: str, offset: int, message: str, path: str | None) -> ParseError:
    offset = max(0, min(offset, len(text)))
    line, column, src = _line_at(text, offset)
    return ParseError(message, path=path, line=line, column=column, offset=offset, source_line=src)


_OPENERS = {"IF", "LOOP", "SWITCH", "BLOCK", "ON_ERROR", "FUNCTION", "ON_BLOCK_ERROR", "ELSE", "ELSE_IF", "CASE", "DEFAULT"}


def _last_opener_token(exc: UnexpectedToken) -> Token | None:
    state = getattr(exc, "interactive_parser", None)
    if state is None:
        return None
    for item in reversed(state.parser_state.value_stack):
        if isinstance(item, Token) and item.type in _OPENERS:
            return item
    return None


def _lark_error(exc: UnexpectedInput, code: str, text: str, path: str | None) -> ParseError:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        offset = len(code.rstrip())
    elif isinstance(exc, UnexpectedToken):
        offset = cast(int, exc.token.start_pos)
    else:
        offset = cast(int, getattr(exc, "pos_in_stream", 0) or 0)
    message = _describe(exc, code)
    dangling = _dangling_arg(code, exc) if isinstance(exc, UnexpectedToken) and exc.token.type in ("_NL", "$END", "COLON") else None
    if dangling is not None:
        offset, message = dangling
    elif message.startswith("unterminated string") and offset >= 2 and code.startswith("'''", offset - 2):
        offset -= 2  # the lexer read the first two quotes of an unclosed ''' as an empty string
    elif isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        opener = _last_opener_token(exc)
        if opener is not None:
            line = code.count("\n", 0, cast(int, opener.start_pos)) + 1
            keyword = " ".join(str(opener).split()[-3:]) if opener.type != "FUNCTION" else "FUNCTION"
            closer = "END FUNCTION" if opener.type == "FUNCTION" else "END"
            message = f"found end of file; the {keyword} on line {line} is not closed (expected {closer})"
    err = _error(text, offset, message, path)
    err.__dict__["_lark"] = exc
    return err
