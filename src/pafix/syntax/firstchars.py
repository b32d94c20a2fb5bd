"""Which ASCII characters a regular expression's match can start with.

The fast driver (:mod:`pafix.syntax.fastparse`) uses this to cut each contextual scanner (an
ordered alternation of the terminals one parser state accepts, the first that matches wins)
into one scanner per first character, keeping, in order, only the terminals that can start
with it: a terminal left out cannot match there, so the first alternative that matches, and
its extent, are the same; the regex engine just tries fewer of them (a quarter less time per
match on the flows of the corpus).

The answer is read off the parsed pattern (``re._parser``, which Lark itself reads to size its
terminals) and may only err on the side of too many characters: anything this module does
not know (a back reference, case-insensitive parts, a pattern that can match the empty
string) gives ``None``, "any character", and the terminal is kept in every scanner.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

try:  # the parser of the re module: private, so a Python that moves it only loses the speed-up
    from re import _constants as _C, _parser as _P
except ImportError:  # pragma: no cover - a Python without them: every terminal kept everywhere
    _C = _P = None

#: the characters a first-character scanner exists for; any other (a blank, a non-ASCII
#: letter, the end of the text) is scanned by the whole alternation
ASCII = frozenset(chr(i) for i in range(128))


def _category_sets(flags: int) -> dict[Any, frozenset[str]]:
    """The ASCII characters of each ``\\d \\D \\w \\W \\s \\S`` class, as ``re`` matches them
    with ``flags`` (``re.ASCII`` changes them: ``\\S`` then matches ``\\x1c``-``\\x1f``)."""
    if _C is None:
        return {}
    found = {}
    for name, pattern in (("DIGIT", r"\d"), ("NOT_DIGIT", r"\D"), ("WORD", r"\w"), ("NOT_WORD", r"\W"),
                          ("SPACE", r"\s"), ("NOT_SPACE", r"\S")):
        found[getattr(_C, "CATEGORY_" + name)] = frozenset(c for c in ASCII if re.fullmatch(pattern, c, flags))
    return found


#: the classes' characters, by whether the pattern is matched with ``re.ASCII``
_CATEGORIES = {False: _category_sets(0), True: _category_sets(re.ASCII)}


class _Unknown(Exception):
    """A construct this module does not read: the caller answers "any character"."""


# memoised: the ~60 contextual scanner groups of the grammar share ~80 terminals, so a parse
# of the whole grammar asked this 707 times for 80 patterns (each answer a re._parser.parse)
@lru_cache(maxsize=None)
def first_chars(regexp: str, flags: int = 0) -> frozenset[str] | None:
    """The ASCII characters a match of ``regexp`` (compiled with ``flags``) can start with, a
    superset; ``None`` when that is not known, or when it can match the empty string. A pure
    function of its arguments, memoised (the grammar's terminals are a fixed, small set)."""
    if _P is None:
        return None
    try:
        parsed = _P.parse(regexp, flags)
        # the pattern's flags: those given and those it sets for all of it (``(?i)abc``)
        if parsed.state.flags & re.IGNORECASE:
            return None
        chars, nullable = _sequence(list(parsed), _CATEGORIES[bool(parsed.state.flags & re.ASCII)])
    except (_Unknown, re.error, RecursionError):
        return None
    return None if nullable else frozenset(chars)


#: the ASCII characters of each class category (``\\d``...), as the pattern's flags make them
_Categories = dict[Any, frozenset[str]]


def _sequence(items: list[tuple[Any, Any]], cats: _Categories) -> tuple[set[str], bool]:
    """First characters of a sequence, and whether all of it can match the empty string."""
    chars: set[str] = set()
    for op, av in items:
        first, nullable = _item(op, av, cats)
        chars |= first
        if not nullable:
            return chars, False
    return chars, True


def _item(op: Any, av: Any, cats: _Categories) -> tuple[set[str], bool]:
    assert _C is not None
    if op is _C.LITERAL:
        return {chr(av)}, False
    if op is _C.IN:
        return _char_class(av, cats), False
    if op is _C.SUBPATTERN:  # (group, added flags, removed flags, pattern)
        if av[1] or av[2]:
            raise _Unknown
        return _sequence(list(av[3]), cats)
    if op is _C.ATOMIC_GROUP:
        return _sequence(list(av), cats)
    if op is _C.BRANCH:
        chars: set[str] = set()
        nullable = False
        for branch in av[1]:
            first, empty = _sequence(list(branch), cats)
            chars |= first
            nullable = nullable or empty
        return chars, nullable
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):  # (min, max, pattern)
        first, empty = _sequence(list(av[2]), cats)
        return first, av[0] == 0 or empty
    if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):  # zero-width: what follows starts the match
        return set(), True
    raise _Unknown  # ANY, NOT_LITERAL, GROUPREF...: taken as any character


def _char_class(items: list[tuple[Any, Any]], cats: _Categories) -> set[str]:
    assert _C is not None
    chars: set[str] = set()
    negate = False
    for op, av in items:
        if op is _C.NEGATE:
            negate = True
        elif op is _C.LITERAL:
            chars.add(chr(av))
        elif op is _C.RANGE:
            chars |= {chr(i) for i in range(av[0], min(av[1], 127) + 1)}
        elif op is _C.CATEGORY and av in cats:
            chars |= cats[av]
        else:
            raise _Unknown
    return set(ASCII - chars) if negate else chars


__all__ = ["ASCII", "first_chars"]
