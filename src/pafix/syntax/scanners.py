"""The fast driver's contextual scanners (:mod:`pafix.syntax.fastparse`), built from Lark's.

A Lark ``BasicLexer`` serves the parser states that accept the same terminals; its scanner is
one regex, an ordered alternation of those terminals (the first that matches wins). The driver
matches with its own copy of that regex, followed by a possessive run that eats the blanks
the grammar ignores after the token (so the next scan starts at the next token), and reads
each match's terminal off ``lastindex`` (see :data:`Kind`).

:class:`ScannerGroup` holds, besides that whole alternation, one scanner per first character:
the same alternation without the terminals that cannot start with that character
(:mod:`pafix.syntax.firstchars`). A terminal left out cannot match there, so the first
alternative that matches, and its extent, are the same; the regex engine only tries fewer of
them (a quarter less time per match, on the flows of the corpus). The driver picks one by
the character its scan starts at, the token's first (a non-ASCII one gets the whole
alternation).
"""

from __future__ import annotations

import re
from typing import Any

from lark.lexer import PatternStr, UnlessCallback

from pafix.syntax.firstchars import ASCII, first_chars

#: what the driver does with a token of one terminal, by the scanner group that matched it:
#: (terminal, its keyword table or None, PLAIN / ANONYMOUS / MULTILINE). One list index per
#: token instead of three set or dict lookups of the terminal's name.
Kind = tuple[str, "dict[str, str] | None", int]
PLAIN, ANONYMOUS, MULTILINE = 0, 1, 2
#: a scanner: (its regex's match method, the Kind of each group index)
Lexer = tuple[Any, list["Kind | None"]]
#: the blanks the grammar ignores (WS), which the scanners skip after a token
BLANKS = frozenset(" \t\f\ufeff")
_SKIP_BLANKS = "[ \t\f\ufeff]*+"


def keyword_tables(callbacks: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Lark retypes a ``NAME`` that spells a keyword with an ``UnlessCallback`` (a regex
    fullmatch of the keyword strings per token). For plain strings that is a dictionary lookup:
    ``{"NAME": {"SET": "SET", ...}}``. A callback of any other shape: ``ValueError`` (the
    caller then leaves parsing to Lark)."""
    keywords: dict[str, dict[str, str]] = {}
    for type_, cb in callbacks.items():
        terminals = getattr(getattr(cb, "scanner", None), "terminals", None)
        if not (isinstance(cb, UnlessCallback) and terminals
                and all(isinstance(t.pattern, PatternStr) and not t.pattern.flags for t in terminals)):
            raise ValueError(f"lexer callback of {type_} is not a keyword table")
        keywords[type_] = {t.pattern.value: t.name for t in terminals}
    return keywords


class ScannerGroup:
    """The scanners of the parser states that share the BasicLexer ``basic``, each compiled
    when a parse first needs it (see :meth:`full` and :meth:`for_char`). ``anonymous``: the
    terminals whose tokens the driver shares (see ``FastParser``)."""

    def __init__(self, basic: Any, anonymous: frozenset[str]) -> None:
        self.basic = basic
        self.anonymous = anonymous
        #: the scanner for each first character met so far: the dict the parse loop reads
        self.by_char: dict[str, Lexer] = {}
        self._full: Lexer | None = None
        self._by_terminals: dict[tuple[str, ...], Lexer] = {}
        #: the scanner's terminals in order, each with its first characters (None: any)
        self._firsts: list[tuple[Any, frozenset[str] | None]] | None = None
        #: whether :attr:`_firsts` was worked out (it stays None when the pieces do not make Lark's regex)
        self._prepared = False

    def _regex(self) -> Any:
        """Lark's regex of the whole alternation, with :attr:`_firsts` worked out the first time."""
        scanner = self.basic.scanner  # builds basic.callback too (once: Lark keeps it)
        if len(scanner._mres) != 1:
            raise ValueError("a contextual lexer needs more than one regex")
        mre = scanner._mres[0]
        if not self._prepared:
            self._prepared = True
            terminals = getattr(scanner, "terminals", None) or []
            # the per-character scanners are cut from the same pieces: only when they make
            # Lark's regex again (else every character gets the whole alternation; the test of
            # this Lark internal in tests/test_lark_internals.py says so)
            if "|".join(self._piece(t) for t in terminals) == mre.pattern:
                self._firsts = [(t, first_chars(t.pattern.to_regexp(), mre.flags)) for t in terminals]
        return mre

    def full(self) -> Lexer:
        """The whole alternation (Lark's own regex, the blanks after it skipped), compiled the
        first time it is asked for: most groups never need it (every character a scan starts
        at has a cut of its own, see :meth:`for_char`), and it is the longest of their regexes
        (60 of them in a scan of 300 flows, a tenth of a start-up's regex compiling)."""
        if self._full is None:
            mre = self._regex()
            self._full = self._compile(mre.pattern, mre.flags)
        return self._full

    def for_char(self, char: str) -> Lexer:
        """The scanner for a token that starts with ``char``, stored in :attr:`by_char` for
        an ASCII character (a non-ASCII one gets the whole alternation, each time: a text
        of many distinct letters does not grow the dictionary)."""
        if char not in ASCII:
            return self.full()
        self._regex()
        lexer: Lexer | None = None
        if char not in BLANKS and self._firsts is not None:
            kept = tuple(t.name for t, first in self._firsts if first is None or char in first)
            # (no terminal at all: the whole alternation, which fails there as well)
            if kept and len(kept) < len(self._firsts):
                lexer = self._by_terminals.get(kept) or self._cut(kept)
        if lexer is None:
            lexer = self.full()
        self.by_char[char] = lexer
        return lexer

    def _cut(self, names: tuple[str, ...]) -> Lexer:
        assert self._firsts is not None
        kept = set(names)
        pattern = "|".join(self._piece(t) for t, _ in self._firsts if t.name in kept)
        lexer = self._by_terminals[names] = self._compile(pattern, self.basic.scanner._mres[0].flags)
        return lexer

    @staticmethod
    def _piece(terminal: Any) -> str:
        """A terminal's alternative, as Lark's Scanner writes it."""
        return "(?P<%s>%s)" % (terminal.name, terminal.pattern.to_regexp())

    def _compile(self, alternation: str, flags: int) -> Lexer:
        """The match method of ``alternation`` and the blanks after it, and the Kind of each group."""
        basic = self.basic
        rx = re.compile("(?:" + alternation + ")" + _SKIP_BLANKS, flags)
        # a match's lastindex is its terminal's group (it encloses any group inside)
        names: list[str | None] = [None] * (rx.groups + 1)
        for name, index in rx.groupindex.items():
            names[index] = name
        keywords = keyword_tables(dict(basic.callback))
        kinds: list[Kind | None] = [
            None if name is None else
            (name, keywords.get(name),
             ANONYMOUS if name in self.anonymous else MULTILINE if name in basic.newline_types else PLAIN)
            for name in names]
        return rx.match, kinds
