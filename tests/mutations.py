"""Hypothesis strategies for hostile flow text: random valid flows and real flows, mutated.

``mutated_flows()`` starts from a seed -- a random valid flow from :func:`strategies.flows` or
a window of lines of a real flow in ``fixtures/corpus`` -- and applies a few mutations:

* line level: delete, duplicate, swap, move a line; truncate the text;
* character level: delete or duplicate a range, insert Robin keywords, quotes, percent signs,
  brackets, comment markers, line breaks, odd characters (NUL, BOM, lone surrogates, RTL
  marks, astral characters);
* byte level (``mutated_bytes()``): the same on the UTF-8 bytes plus random bytes, so that the
  result need not even decode.

The seeds are valid, so the mutants are *nearly* valid: they reach deep into the parser and the
analysis instead of failing on the first character.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from strategies import flows

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fixtures" / "corpus"

#: fragments worth inserting: keywords and punctuation of the grammar, string starts and ends
TOKENS = [
    "IF ", " THEN", "ELSE", "ELSE IF ", "END", "END IF", "LOOP ", "LOOP FOREACH ", " IN ", " FROM ", " TO ",
    " STEP ", "WHILE ", "SWITCH ", "CASE ", "DEFAULT", "BLOCK ", "ON BLOCK ERROR", "FUNCTION ", "END FUNCTION",
    "CALL ", "GOTO ", "LABEL ", "EXIT LOOP", "NEXT LOOP", "EXIT FUNCTION", "THROW ERROR", "DISABLE ", "SET ",
    "IMPORT ", " AS ", "@SENSITIVE: [", "@INPUT ", "@OUTPUT ", "@@", "@@Type: 'Local'", "# pafix: ignore[PAF1]",
    "# pafix: ignore-file[PAF]", "'", "''", "'''", "$'''", "$fx'", "P'", "`", "\\", "\\'", "%", "%%", "%x%",
    "%Password%", "(", ")", "[", "]", "{", "}", "{{", "}}", "^", ":", "=>", " Password: ", " Result=> ",
    "Password", "SmtpPassword", "ApiToken", "=", "<>", ">=", "*", "/", "-", "+", " mod ", " AND ", " OR ",
    "NOT ", ".", ",", "/#", "#/", "#", "//", "\n", "\r\n", "\r", "\t", " ", "\ufeff", "\x00", "\u200f",
    "\U0001f512", "\ud800", "é", "True", "False", "1e9999", "0.", "-0", "99999999999999999999999",
    "# [ControlRepository][PowerAutomateDesktop]\n", "External.RunFlow FlowId: 'x' @Password: Password",
    "Credentials.GetCredential", "Text.ToNumber Text: x Number=> y",
]


@lru_cache(maxsize=1)
def corpus_texts() -> tuple[str, ...]:
    return tuple(p.read_text(encoding="utf-8-sig") for p in sorted(CORPUS.glob("*.robin")))


@st.composite
def corpus_windows(draw: Any, max_lines: int = 60) -> str:
    """A window of up to ``max_lines`` consecutive lines of a real flow (whole small ones)."""
    texts = corpus_texts()
    text = texts[draw(st.integers(0, len(texts) - 1))]
    lines = text.splitlines(keepends=True)
    if len(lines) <= max_lines:
        return text
    start = draw(st.integers(0, len(lines) - max_lines))
    return "".join(lines[start : start + draw(st.integers(1, max_lines))])


_OPENERS = [
    ("IF x = 1 THEN", "END"), ("LOOP i FROM 1 TO 3 STEP 1", "END"), ("LOOP FOREACH v IN lst", "END"),
    ("LOOP WHILE (x) < (3)", "END"), ("SWITCH x", "END"), ("BLOCK b\nEND", "END"),
]


@st.composite
def nested_flows(draw: Any, max_depth: int = 1500) -> str:
    """Blocks nested up to ``max_depth`` deep around a leak (deeper than Python's default
    recursion limit lets a recursive walker go)."""
    depth = draw(st.integers(0, max_depth))
    kinds = [_OPENERS[draw(st.integers(0, len(_OPENERS) - 1))] for _ in range(min(depth, 8))] or [_OPENERS[0]]
    opens = [kinds[i % len(kinds)] for i in range(depth)]
    head = "".join(o + "\n" if o != "SWITCH x" else "SWITCH x\nCASE = 1\n" for o, _ in opens)
    body = "SET Password TO $'''x'''\nSET y TO Password\n"
    return head + body + "".join(c + "\n" for _, c in reversed(opens))


def seeds(max_lines: int = 60, max_depth: int = 0) -> st.SearchStrategy[str]:
    base = st.one_of(flows(), corpus_windows(max_lines))
    return st.one_of(base, nested_flows(max_depth)) if max_depth else base


def _span(draw: Any, size: int) -> tuple[int, int]:
    a = draw(st.integers(0, size))
    b = draw(st.integers(a, min(size, a + 40)))
    return a, b


def _mutate_lines(draw: Any, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    op = draw(st.sampled_from(["delete", "duplicate", "swap", "move", "truncate"]))
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(j, lines[i])
    elif op == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "move":
        lines.insert(j, lines.pop(i))
    else:
        lines = lines[: i + 1]
    return "".join(lines)


def _mutate_chars(draw: Any, text: str) -> str:
    op = draw(st.sampled_from(["insert", "insert", "insert", "delete", "duplicate", "truncate", "replace"]))
    a, b = _span(draw, len(text))
    if op == "insert":
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)))
        return text[:a] + piece + text[a:]
    if op == "delete":
        return text[:a] + text[b:]
    if op == "duplicate":
        return text[:b] + text[a:b] + text[b:]
    if op == "truncate":
        return text[:a]
    return text[:a] + draw(st.sampled_from(TOKENS)) + text[b:]


@st.composite
def mutated_flows(draw: Any, max_mutations: int = 4, max_lines: int = 60, max_depth: int = 0) -> str:
    """Flow text: a seed with 0 to ``max_mutations`` line or character mutations."""
    text: str = draw(seeds(max_lines, max_depth))
    for _ in range(draw(st.integers(0, max_mutations))):
        text = _mutate_lines(draw, text) if draw(st.booleans()) else _mutate_chars(draw, text)
    return text


@st.composite
def mutated_bytes(draw: Any, max_mutations: int = 3, max_lines: int = 60, max_depth: int = 0) -> bytes:
    """File bytes: a (mutated) flow in some encoding, then byte-level mutations."""
    text: str = draw(mutated_flows(max_mutations=2, max_lines=max_lines, max_depth=max_depth))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]))
    data = text.encode(encoding, errors="surrogatepass")
    for _ in range(draw(st.integers(0, max_mutations))):
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "flip", "truncate"]))
        a, b = _span(draw, len(data))
        if op == "insert":
            data = data[:a] + draw(st.binary(min_size=1, max_size=4)) + data[a:]
        elif op == "delete":
            data = data[:a] + data[b:]
        elif op == "duplicate":
            data = data[:b] + data[a:b] + data[b:]
        elif op == "flip" and a < len(data):
            data = data[:a] + bytes([data[a] ^ (1 << draw(st.integers(0, 7)))]) + data[a + 1 :]
        else:
            data = data[:a]
    return data


def as_text(data: bytes) -> str:
    """Bytes as the text a front end could hand the core (replacement characters included)."""
    return data.decode("utf-8", errors="replace")
