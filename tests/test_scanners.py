"""The fast driver's scanners by first character (issue 16, round 7) match as the whole
alternation matches.

* ``firstchars.first_chars``: the ASCII characters a pattern's match can start with, never
  too few (``None`` when it does not know);
* every scanner cut for a first character finds, at every position starting with that
  character, the terminal and the extent the whole alternation finds (random texts made of
  the grammar's own tokens, every scanner group of the parser);
* the cut scanners hold fewer alternatives than the whole one (what makes them faster), and
  a parse uses them;
* each scanner eats the blanks after its token, and only those.

The trees of whole parses are compared with Lark's own driver in ``tests/test_fast_paths.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafix.syntax import builder as B
from pafix.syntax.fastparse import FastParser
from pafix.syntax.firstchars import ASCII, first_chars
from pafix.syntax.parser import parse
from pafix.syntax.scanners import ScannerGroup
from trees import deep


@pytest.mark.parametrize(("pattern", "expected"), [
    ("SET", "S"),
    ("(?:DISABLE[ \t]+)?END\\b", "DE"),
    ("\\d+(?:\\.\\d+)?", "0123456789"),
    ("[^\\W\\d]\\w*", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"),
    ("(?:<>|<=|>=|<|>)", "<>"),
    ("(?:\r?\n[ \t]*)+END", "\r\n"),
    ("(?=a)[a-c]", "abc"),
    ("\\bx", "x"),
])
def test_first_characters_of_a_pattern(pattern: str, expected: str) -> None:
    assert first_chars(pattern) == frozenset(expected)


@pytest.mark.parametrize("pattern", ["a*", "(?:x|)", ".x", "(a)?\\1", "(?i:set)"])
def test_unknown_or_empty_first_characters_are_any(pattern: str) -> None:
    """``None`` ("any character") for a pattern that can match nothing, starts with any
    character, or holds what the module does not read."""
    assert first_chars(pattern) is None
    assert first_chars("SET", re.IGNORECASE) is None


def test_flags_set_for_the_whole_pattern_are_read() -> None:
    """The flags a pattern sets for all of itself count as those given: ``(?i)abc`` may start
    with ``A``; with ``re.ASCII``, ``\\S`` and ``\\W`` match ``\\x1c``-``\\x1f`` (Unicode's
    ``\\s`` holds them)."""
    assert first_chars("(?i)abc") is None
    for pattern, flags in ((r"\S", re.ASCII), (r"(?a)\S", 0), (r"[\S]x", re.ASCII), (r"(?a)[^\s]", 0)):
        found = first_chars(pattern, flags)
        assert found is None or "\x1c" in found, pattern


#: constructs of regular expressions, the flags and classes whose meaning the flags change too
_CONSTRUCTS = ["a", "B", "[a-c]", "[^a]", "\\d", "\\w", "\\s", "\\S", "\\W", "[^\\s]", "é", "(?=a)", "(?!b)",
               "\\b", "(?:a|B)", "(?:a|)", "x*", "x+", "x?", "(?i:a)", "(?a:\\S)", ".", "\\x1c", "^", "$"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CONSTRUCTS), min_size=1, max_size=4),
       st.sampled_from(["", "(?i)", "(?a)", "(?s)"]), st.sampled_from([0, re.ASCII, re.IGNORECASE]),
       st.text(alphabet=st.sampled_from("aAbBcxX_ \x1c\x00é9\n"), min_size=1, max_size=5))
def test_a_match_never_starts_with_a_character_left_out(parts: list[str], prefix: str, flags: int, text: str) -> None:
    pattern = prefix + "".join(parts)
    found = first_chars(pattern, flags)
    m = re.match(pattern, text, flags)
    if found is not None and m is not None and text[0] in ASCII:
        assert text[0] in found, (pattern, flags, text)


def test_a_negated_class_starts_with_every_other_character() -> None:
    assert first_chars("[^a\\d]") == ASCII - set("a0123456789")


def _groups() -> list[ScannerGroup]:
    fast = B._fast()
    assert fast is not None
    return list({id(g): g for g in fast.groups if g is not None}.values())


#: pieces of Robin as the grammar's terminals spell them, blanks and stray characters too
_PIECES = ["SET", "x", "TO", "'a'", "'''t'''", "$'''b%c%'''", "1", "2.5", "END", "END FUNCTION", "IF", "THEN",
           "ELSE", "ELSE IF", "LOOP", "FOREACH", "IN", "FROM", "STEP", "Text.Replace", "Text:", "Result=>",
           "@'x':", "@y=>", "#c", "/# b #/", "**REGION r", "**ENDREGION", "@@k: 'v'", "(", ")", "[", "]", "{",
           "}", ",", ":", "=", "<>", "<=", ">", "+", "-", "*", "/", "mod", "AND", "OR", "NOT", "True", "False",
           "\n", "\r\n", "\r", " ", "  ", "\t", "\ufeff", "DISABLE", "ON ERROR", "ON BLOCK ERROR", "EXIT LOOP",
           "GLOBAL.x", "é", "_", "%", "\\", "P'x'", "$fx'=1'", "`x`", "^", "@SENSITIVE", "@INPUT", "WAIT", "9s",
           "CALL", "GOTO", "LABEL", "SWITCH", "CASE", "DEFAULT", "_"]


def _same(full: Any, cut: Any, text: str, pos: int) -> None:
    (match, kinds), (cut_match, cut_kinds) = full, cut
    m, c = match(text, pos), cut_match(text, pos)
    if m is None:
        assert c is None
        return
    assert c is not None
    assert kinds[m.lastindex][0] == cut_kinds[c.lastindex][0]
    assert m.span(m.lastindex) == c.span(c.lastindex) and m.end() == c.end()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8))
def test_a_scanner_cut_for_a_first_character_matches_as_the_whole_alternation(pieces: list[str]) -> None:
    text = "".join(pieces)
    for group in _groups():
        full = group.full()
        for pos, char in enumerate(text):
            _same(full, group.for_char(char), text, pos)


def test_cut_scanners_hold_fewer_alternatives_and_a_parse_uses_them() -> None:
    parse("SET x TO 1\nText.Replace Text: x Result=> y\n")
    groups = _groups()
    cut = 0
    for group in groups:
        full_rx = group.full()[0].__self__
        for char in "STx#(\n":
            rx = group.for_char(char)[0].__self__
            assert len(rx.groupindex) <= len(full_rx.groupindex)
            cut += len(rx.groupindex) < len(full_rx.groupindex)
    assert cut > len(groups)  # most groups have some cut scanner
    fast = B._fast()
    assert fast is not None
    start = fast.start_states["start"]
    by_char = fast.by_char[start]
    assert by_char is not None and "S" in by_char and "T" in by_char  # filled by the parse above
    assert len(by_char["S"][0].__self__.groupindex) < len(fast.groups[start].full()[0].__self__.groupindex)  # type: ignore[union-attr]


def test_only_ascii_first_characters_are_kept() -> None:
    """A token starting with a non-ASCII letter is scanned by the whole alternation, which is
    not stored per character (a text of many distinct letters does not grow the tables)."""
    parse("SET é TO 1\nSET ü TO 2\n")
    for group in _groups():
        assert all(char in ASCII for char in group.by_char)
        assert group.for_char("é") is group.full()


def test_a_scanner_eats_the_blanks_after_its_token() -> None:
    """The next scan starts at the next token: blanks after a token (spaces, tabs, form feeds,
    a BOM) are matched with it, a newline is not (it is a token)."""
    fast = B._fast()
    assert fast is not None
    group = fast.groups[fast.start_states["start"]]
    assert group is not None
    match, kinds = group.for_char("S")
    m = match("SET \t\f\ufeff x\n", 0)
    assert kinds[m.lastindex][0] == "SET" and m.span(m.lastindex) == (0, 3) and m.end() == 8
    match, kinds = group.for_char("\n")
    m = match("\n  \nSET", 0)
    assert kinds[m.lastindex][0] == "_NL" and m.span(m.lastindex) == (0, 1) and m.end() == 3


def test_text_starting_with_blanks_parses_as_lark_parses_it() -> None:
    """The driver skips the blanks a text starts with (no scanner does), and a text of
    blanks alone is an empty flow."""
    lark, _builder = B._parser()
    fast = B._fast()
    assert isinstance(fast, FastParser)
    for text in ["  SET a TO 1\n", "\ufeff\tSET a TO 1", " \nSET b TO 2 \t", "  \t", ""]:
        assert deep(fast.parse(text, "start")) == deep(lark.parse(text, start="start"))


def test_the_memo_of_first_chars_answers_as_the_function() -> None:
    """``first_chars`` is memoised (the scanner groups share their terminals): for every
    terminal of the grammar, asked twice, the memo gives what a fresh computation gives."""
    lark, _builder = B._parser()
    terminals = lark.terminals
    assert terminals
    for terminal in terminals:
        regexp, flags = terminal.pattern.to_regexp(), 0
        first = first_chars(regexp, flags)
        assert first_chars(regexp, flags) == first == first_chars.__wrapped__(regexp, flags), terminal.name


def test_the_whole_alternation_is_compiled_only_when_asked_for() -> None:
    """A character with a cut of its own does not compile the group's whole alternation
    (most groups never need it); a non-ASCII character, or :meth:`full`, does, and both
    scanners find the same token."""
    fast = B._fast()
    assert fast is not None
    start = fast.groups[fast.start_states["start"]]
    assert start is not None
    group = ScannerGroup(start.basic, start.anonymous)
    cut = group.for_char("S")
    assert group._full is None
    full = group.full()
    assert group._full is full and cut is not full
    _same(full, cut, "SET a TO 1\n", 0)
    assert group.for_char("é") is full


def test_a_parse_does_not_build_larks_own_scanners() -> None:
    """The driver cuts its scanners from the terminals Lark's scanner would try, without
    Lark compiling that scanner (its one regex, the whole alternation, the driver never
    matches with): a fast parse of a flow leaves every ``BasicLexer`` without one, and the
    tokens (types, keyword retyping included) are Lark's own driver's."""
    builder = B._Builder()
    lark = B.build_lark(transformer=builder)
    builder.lark = lark
    fast = FastParser(lark, anonymous=frozenset({"_NL"}))
    text = "SET x TO 1\nIF x = 1 THEN\n    Text.Replace Text: x Result=> y\nEND\n# note\nLOOP i FROM 1 TO 2 STEP 1\nEND\n"
    tree = fast.parse(text, "start")
    lexers = list({id(b): b for b in lark.parser.lexer.lexers.values()}.values())
    assert lexers and all(b._scanner is None for b in lexers)
    assert deep(tree) == deep(lark.parse(text, start="start"))
    assert any(b._scanner is not None for b in lexers)  # Lark's driver builds them (the test sees it)
