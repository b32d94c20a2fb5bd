"""A faster driver for the Lark LALR parser that :mod:`pafix.syntax.parser` builds.

It runs Lark's own parse table, contextual lexers (the same compiled scanners, ``unless``
keyword callbacks, ignored and newline terminals) and parse-time callbacks, so it builds the
very same tokens and nodes, but in one loop: no lexer generator, no per-token method calls,
reductions looked up once per (state, terminal) instead of hashing grammar rules, and the
single-child ``?rule`` reductions skipped (their callback only hands back the child).

It only knows the happy path: on any input it cannot lex or parse, and on any exception from a
callback, it raises :class:`Fallback`, and the caller parses the text again with
``Lark.parse``, which raises exactly the error it always raised.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from lark import Lark, Token, Transformer
from lark.lexer import PatternStr, UnlessCallback
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift


def _is_default_tree(cb: Any, transformer: Any) -> bool:
    """A callback that only builds ``Tree(rule, children)`` (no transformer method for it)."""
    if not isinstance(cb, functools.partial) or getattr(cb.func, "__name__", "") != "default_callback":
        return False
    if len(cb.args) != 1 or not isinstance(cb.args[0], str) or cb.keywords:
        return False
    return transformer is None or type(transformer).__default__ is Transformer.__default__


class _Seq(list[Any]):
    """The value of an inlined ``_rule`` of several children: its children, which the parent
    splices in. An inlined rule of one child has that child as its value (no list: the
    reduction only changes the parser state), so a parent splices a ``_Seq`` and appends
    anything else -- a rule's own value may be a plain list (``params``)."""

    __slots__ = ()


def _splicer(mask: tuple[bool, ...]) -> Callable[[list[Any]], _Seq]:
    """Lark's child filter for one rule (``keep_all_tokens``, no placeholders): the children,
    with those of the inlined ``_rules`` at the ``mask`` positions spliced in. A ``_Seq`` in
    the first position is extended in place (a left-recursive ``x*`` list), as Lark does: no
    value is shared between two parents."""
    first = mask[0]
    rest = tuple(enumerate(mask))[1:]

    def splice(children: list[Any]) -> _Seq:
        head = children[0]
        out = head if first and type(head) is _Seq else _Seq((head,))
        for i, inlined in rest:
            value = children[i]
            if inlined and type(value) is _Seq:
                out += value
            else:
                out.append(value)
        return out

    return splice


def _reduction(rule: Any, cb: Any, transformer: Any) -> Any:
    """What reducing by ``rule`` does to its children: ``None`` when the value stays and only
    the state changes (a single-child ``?rule`` or inlined ``_rule``), or a function of the
    children list. Raises ``ValueError`` for a callback shape this driver does not know (the
    caller then leaves parsing to Lark)."""
    size = len(rule.expansion)
    inlined_rule = rule.origin.name.startswith("_")
    mask: tuple[bool, ...] | None = None
    single = False
    fn = cb
    if isinstance(fn, ChildFilterLALR_NoPlaceholders):
        if [i for i, _ in fn.to_include] != list(range(size)):
            raise ValueError(f"child filter of {rule} drops children")
        mask = tuple(bool(expand) for _, expand in fn.to_include)
        fn = fn.node_builder
    if isinstance(fn, ExpandSingleChild):
        single = True
        fn = fn.node_builder
    if inlined_rule:
        if not _is_default_tree(fn, transformer) or single:
            raise ValueError(f"inlined rule {rule} has a callback")
        if size == 1:
            return None
        return _splicer(mask if mask is not None else (False,) * size) if size else _empty
    if not callable(fn) or type(fn).__module__.startswith("lark.parse_tree_builder"):
        raise ValueError(f"unknown callback wrapper for {rule}")
    if single and size == 1 and mask is None:
        return None
    splice = _splicer(mask) if mask is not None else None
    if splice is None and not single:
        return fn
    user = fn

    def reduce(children: list[Any]) -> Any:
        if splice is not None:
            children = splice(children)
        if single and len(children) == 1:
            return children[0]
        return user(children)

    return reduce


def _empty(children: list[Any]) -> _Seq:
    return _Seq()


#: one contextual lexer: (the match method of its only scanner or None, its scanners,
#: keyword tables, other token callbacks, ignored types, types that may hold a newline)
_Lexer = tuple[Any, tuple["re.Pattern[str]", ...], dict[str, dict[str, str]], dict[str, Any], frozenset[str], frozenset[str]]


def _keyword_tables(callbacks: dict[str, Any]) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """Lark retypes a ``NAME`` that spells a keyword with an ``UnlessCallback`` (a regex
    fullmatch of the keyword strings per token). For plain strings that is a dictionary lookup:
    ``{"NAME": {"SET": "SET", ...}}``. Callbacks of any other shape are kept as they are."""
    keywords: dict[str, dict[str, str]] = {}
    rest: dict[str, Any] = {}
    for type_, cb in callbacks.items():
        terminals = getattr(getattr(cb, "scanner", None), "terminals", None)
        if (isinstance(cb, UnlessCallback) and terminals
                and all(isinstance(t.pattern, PatternStr) and not t.pattern.flags for t in terminals)):
            keywords[type_] = {t.pattern.value: t.name for t in terminals}
        else:
            rest[type_] = cb
    return keywords, rest


class Fallback(Exception):
    """The fast path cannot handle this input: use ``Lark.parse``."""


class FastPathUnavailable(RuntimeWarning):
    """This Lark release's internals differ from those the driver reads (Lark is pinned to the
    minor versions it is tested on; ``tests/test_lark_internals.py`` names what changed):
    every parse goes through ``Lark.parse``, same trees, slower. The test suite turns this
    warning into an error."""


#: Token(type, value, start_pos, line, column, end_line, end_column, end_pos), minus the argument checks
_new_token: Any = Token._future_new
_BLANKS = frozenset(" \t\f\ufeff")
_BLANK_RE = re.compile("[ \t\f\ufeff]+")


class FastParser:
    """One per Lark instance (per process): the tables are derived once."""

    def __init__(self, lark: Lark) -> None:
        frontend: Any = lark.parser
        parser = frontend.parser.parser
        table = parser.parse_table
        callbacks = parser.callbacks
        transformer = lark.options.transformer
        self.start_states: dict[str, int] = dict(table.start_states)
        self.end_states: dict[str, int] = dict(table.end_states)
        self.term_callbacks = {k: v for k, v in callbacks.items() if isinstance(k, str)}
        if not callbacks:
            raise ValueError("the fast driver needs the parse-time callbacks of a transformer")
        # state -> terminal -> (target state, None) for a shift, (size, (callback, origin)) for a reduce
        reduce_info: dict[int, tuple[int, Any, str]] = {}
        self.actions: dict[int, dict[str, tuple[bool, Any]]] = {}
        for state, row in table.states.items():
            out: dict[str, tuple[bool, Any]] = {}
            for term, (action, arg) in row.items():
                if action is Shift:
                    out[term] = (True, arg)
                else:
                    info = reduce_info.get(id(arg))
                    if info is None:
                        info = (len(arg.expansion), _reduction(arg, callbacks[arg], transformer), arg.origin.name)
                        reduce_info[id(arg)] = info
                    out[term] = (False, info)
            self.actions[state] = out
        # Blanks can be skipped before lexing when the grammar ignores exactly them (WS) and no
        # other terminal can start with one (checked on each terminal's pattern): then each
        # scanner starts with a group that eats them, and a token starts where that group ends.
        self.skip_blanks = self._blanks_only_ws(frontend.lexer)
        prefix = "([ \t\f\ufeff]*)" if self.skip_blanks else "()"
        # the contextual lexer of each parser state (see _Lexer)
        self.lexers: dict[int, _Lexer] = {}
        built: dict[int, _Lexer] = {}
        for state, basic in frontend.lexer.lexers.items():
            entry = built.get(id(basic))
            if entry is None:
                scanner = basic.scanner  # builds basic.callback too
                mres = tuple(re.compile(prefix + "(?:" + mre.pattern + ")", mre.flags) for mre in scanner._mres)
                keywords, callbacks = _keyword_tables(dict(basic.callback))
                entry = (mres[0].match if len(mres) == 1 else None, mres, keywords, callbacks,
                         frozenset(basic.ignore_types), frozenset(basic.newline_types))
                built[id(basic)] = entry
            self.lexers[state] = entry
        #: (state below, state on top, lookahead) -> the state after every single-child
        #: ``?rule`` reduction that follows (an atom climbs about nine of them to ``expr``)
        self.units: dict[tuple[int, int, str], int] = {}

    def _unit_chain(self, below: int, origin: str, ttype: str) -> int:
        """The state on top after reducing to ``origin`` above ``below``, then every further
        single-child ``?rule`` reduction the lookahead ``ttype`` asks for. A table miss raises
        (a syntax error), and nothing is remembered for it."""
        actions = self.actions
        while True:
            top: int = actions[below][origin][1]
            shift, arg = actions[top][ttype]
            if shift or arg[1] is not None:
                return top
            origin = arg[2]

    @staticmethod
    def _blanks_only_ws(lexer: Any) -> bool:
        root = lexer.root_lexer
        if set(root.ignore_types) != {"WS"}:
            return False
        for term in root.terminals:
            rx = re.compile(term.pattern.to_regexp())
            for blank in _BLANKS:
                for tail in ("x", "END", "'a'", "1", "#", "@", "(", "\n"):
                    m = rx.match(blank + tail)
                    if term.name == "WS":
                        if m is None or m.group(0) != blank:
                            return False
                    elif m is not None:
                        return False
        ws = next(t for t in root.terminals if t.name == "WS")
        return bool(ws.pattern.to_regexp() == _BLANK_RE.pattern)

    def parse(self, text: str, start: str) -> Any:
        actions = self.actions
        lexers = self.lexers
        term_callbacks = self.term_callbacks
        units = self.units
        end_state = self.end_states[start]
        state_stack = [self.start_states[start]]
        value_stack: list[Any] = []
        pos = 0
        end = len(text)
        skip_blanks = self.skip_blanks
        line = 1
        line_start = 0
        try:
            while pos < end:
                match, mres, keywords, lex_callbacks, ignore_types, newline_types = lexers[state_stack[-1]]
                # ---- the next token (as BasicLexer.next_token, blanks before it skipped) ----
                if match is not None:  # one compiled scanner (the usual case)
                    m = match(text, pos)
                    if m is None:
                        raise Fallback
                else:
                    for mre in mres:
                        m = mre.match(text, pos)
                        if m:
                            break
                    else:
                        raise Fallback
                type_ = m.lastgroup
                start_pos = m.end(1)
                pos = m.end()
                value = text[start_pos:pos]
                tok_line = line
                column = start_pos - line_start + 1
                if type_ in newline_types:
                    newlines = value.count("\n")
                    if newlines:
                        line += newlines
                        line_start = start_pos + value.rindex("\n") + 1
                if type_ in ignore_types and type_ not in lex_callbacks:
                    continue
                if type_ in keywords:  # a name that may be a keyword (Lark's "unless" callback)
                    type_ = keywords[type_].get(value, type_)
                token = _new_token(type_, value, start_pos, tok_line, column, line, pos - line_start + 1, pos)
                if type_ in lex_callbacks:
                    token = lex_callbacks[type_](token)
                    if type_ in ignore_types:
                        continue
                # ---- feed it (as ParserState.feed_token) ----
                ttype = token.type
                while True:
                    shift, arg = actions[state_stack[-1]][ttype]
                    if shift:
                        state_stack.append(arg)
                        if term_callbacks and ttype in term_callbacks:
                            value_stack.append(term_callbacks[ttype](token))
                        else:
                            value_stack.append(token)
                        break
                    size, cb, origin = arg
                    if cb is None:  # single-child rules: the value stays, only the state changes
                        key = (state_stack[-2], state_stack[-1], ttype)
                        top = units.get(key)
                        if top is None:
                            top = units[key] = self._unit_chain(key[0], origin, ttype)
                        state_stack[-1] = top
                        continue
                    if size:
                        s = value_stack[-size:]
                        del state_stack[-size:]
                        del value_stack[-size:]
                    else:
                        s = []
                    _shift, new_state = actions[state_stack[-1]][origin]
                    state_stack.append(new_state)
                    value_stack.append(cb(s))
            # ---- the end (as parse_from_state + feed_token($END, is_end=True)) ----
            while True:
                shift, arg = actions[state_stack[-1]]["$END"]
                if shift:
                    raise Fallback
                size, cb, origin = arg
                if size:
                    s = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    s = []
                _shift, new_state = actions[state_stack[-1]][origin]
                state_stack.append(new_state)
                value_stack.append(s[0] if cb is None else cb(s))
                if new_state == end_state:
                    return value_stack[-1]
        except Fallback:
            raise
        except Exception as exc:  # a table miss (a syntax error) or an error from a callback
            raise Fallback from exc
