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

The terminals of a group, in their order, and its keyword tables are what Lark's scanner for
it would hold (``_create_unless``, the function Lark's ``BasicLexer`` builds its scanner with;
tests/test_lark_internals.py pins that they agree), but Lark's scanner itself is not built:
its one regex, the whole alternation, is one the driver never matches with (it compiles its
own, with the blanks after the token), and compiling it was half of what a one-flow scan
spent on scanners.
"""

from __future__ import annotations

import re
from typing import Any

from lark import lexer as lark_lexer
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
        self._firsts: list[tuple[Any, frozenset[str] | None]] = []
        #: the whole alternation, the keyword tables, and the flags its regexes are compiled
        #: with (see :meth:`_prepare`)
        self._pattern = ""
        self._keywords: dict[str, dict[str, str]] = {}
        self._flags = 0
        self._prepared = False
        # looked up here, when the driver is built: a Lark without it turns the fast driver
        # off with a warning (pafix.syntax.builder._fast), not a parse into an error
        self._create_unless: Any = lark_lexer._create_unless

    def _prepare(self) -> None:
        """Work out, the first time a scanner of the group is asked for, the terminals Lark's
        scanner would try, in its order (Lark's own sort, less the keywords a regex terminal
        matches whole: those become the keyword tables of :func:`keyword_tables`), and the
        alternation of them, which is Lark's scanner regex. Nothing is compiled here."""
        if self._prepared:
            return
        basic = self.basic
        terminals, callbacks = self._create_unless(basic.terminals, basic.g_regex_flags, basic.re, basic.use_bytes)
        self._keywords = keyword_tables(callbacks)
        self._pattern = "|".join(self._piece(t) for t in terminals)
        self._flags = basic.g_regex_flags
        self._firsts = [(t, first_chars(t.pattern.to_regexp(), self._flags)) for t in terminals]
        self._prepared = True

    def full(self) -> Lexer:
        """The whole alternation (Lark's scanner regex, the blanks after it skipped), compiled
        the first time it is asked for: most groups never need it (every character a scan
        starts at has a cut of its own, see :meth:`for_char`), and it is the longest of their
        regexes (60 of them in a scan of 300 flows, a tenth of a start-up's regex compiling)."""
        if self._full is None:
            self._prepare()
            self._full = self._compile(self._pattern, self._flags)
        return self._full

    def for_char(self, char: str) -> Lexer:
        """The scanner for a token that starts with ``char``, stored in :attr:`by_char` for
        an ASCII character (a non-ASCII one gets the whole alternation, each time: a text
        of many distinct letters does not grow the dictionary)."""
        if char not in ASCII:
            return self.full()
        self._prepare()
        lexer: Lexer | None = None
        if char not in BLANKS:
            kept = tuple(t.name for t, first in self._firsts if first is None or char in first)
            # (no terminal at all: the whole alternation, which fails there as well)
            if kept and len(kept) < len(self._firsts):
                lexer = self._by_terminals.get(kept) or self._cut(kept)
        if lexer is None:
            lexer = self.full()
        self.by_char[char] = lexer
        return lexer

    def _cut(self, names: tuple[str, ...]) -> Lexer:
        kept = set(names)
        pattern = "|".join(self._piece(t) for t, _ in self._firsts if t.name in kept)
        lexer = self._by_terminals[names] = self._compile(pattern, self._flags)
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
        kinds: list[Kind | None] = [
            None if name is None else
            (name, self._keywords.get(name),
             ANONYMOUS if name in self.anonymous else MULTILINE if name in basic.newline_types else PLAIN)
            for name in names]
        return rx.match, kinds
