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
from lark.lexer import PatternStr
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from pafix.syntax.scanners import ANONYMOUS, BLANKS, Kind, Lexer, ScannerGroup


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
    inlined = tuple(i for i, flag in enumerate(mask) if flag and i)
    rest = tuple(enumerate(mask))[1:]
    if first and not inlined:  # a left-recursive x* list and what follows it

        def extend(children: list[Any]) -> _Seq:
            head = children[0]
            if type(head) is _Seq:
                if len(children) == 2:
                    head.append(children[1])
                else:
                    head += children[1:]
                return head
            return _Seq(children)

        return extend

    def splice(children: list[Any]) -> _Seq:
        for i in inlined:
            if type(children[i]) is _Seq:
                break
        else:  # nothing to splice but the head (a _rule of one child passes it through)
            head = children[0]
            if first and type(head) is _Seq:
                head += children[1:]
                return head
            return _Seq(children)
        head = children[0]
        out = head if first and type(head) is _Seq else _Seq((head,))
        for i, flag in rest:
            value = children[i]
            if flag and type(value) is _Seq:
                out += value
            else:
                out.append(value)
        return out

    return splice


def _seq_origins(rules: list[Any]) -> frozenset[str]:
    """The inlined ``_rules`` whose value can be a ``_Seq``: one with an expansion of other than
    one child, or of one child that is itself such a rule (a value passed through). A parent
    never needs to test the children the others give it (``_statement``, ``_subflow_name``):
    their splice is a plain append."""
    seq: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rule in rules:
            origin = rule.origin.name
            if origin in seq or not origin.startswith("_"):
                continue
            expansion = rule.expansion
            if len(expansion) != 1 or expansion[0].name in seq:
                seq.add(origin)
                changed = True
    return frozenset(seq)


def _reduction(rule: Any, cb: Any, transformer: Any, seq_origins: frozenset[str]) -> Any:
    """What reducing by ``rule`` does to its children: ``None`` when the value stays and only
    the state changes (a single-child ``?rule`` or inlined ``_rule``), or a function of the
    children list. ``seq_origins``: see :func:`_seq_origins`. Raises ``ValueError`` for a
    callback shape this driver does not know (the caller then leaves parsing to Lark)."""
    size = len(rule.expansion)
    inlined_rule = rule.origin.name.startswith("_")
    mask: tuple[bool, ...] | None = None
    single = False
    fn = cb
    if isinstance(fn, ChildFilterLALR_NoPlaceholders):
        if [i for i, _ in fn.to_include] != list(range(size)):
            raise ValueError(f"child filter of {rule} drops children")
        # a child is spliced only if it can be a _Seq (the first one always may: x* lists)
        mask = tuple(bool(expand) and (i == 0 or rule.expansion[i].name in seq_origins)
                     for i, expand in fn.to_include)
        if not any(mask):  # no child to splice: the user callback gets the children as they are
            mask = None
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
    user = fn
    if splice is None:
        if not single:
            return fn

        def single_or_user(children: list[Any]) -> Any:
            return children[0] if len(children) == 1 else user(children)

        return single_or_user
    if not single:
        return lambda children: user(splice(children))

    def reduce(children: list[Any]) -> Any:
        children = splice(children)
        return children[0] if len(children) == 1 else user(children)

    return reduce


def _empty(children: list[Any]) -> _Seq:
    return _Seq()


class Fallback(Exception):
    """The fast path cannot handle this input: use ``Lark.parse``."""


class FastPathUnavailable(RuntimeWarning):
    """This Lark release's internals differ from those the driver reads (Lark is pinned to the
    minor versions it is tested on; ``tests/test_lark_internals.py`` names what changed):
    every parse goes through ``Lark.parse``, same trees, slower. The test suite turns this
    warning into an error."""


#: Token(type, value, start_pos, line, column, end_line, end_column, end_pos), minus the argument checks
_new_token: Any = Token._future_new
_BLANK_RE = re.compile("[ \t\f\ufeff]+")
#: a reduction under one lookahead: (number of children, what it does to them -- see
#: _reduction --, rule origin, the lookahead, {state below: the state on top after the goto and
#: every single-child reduction that follows, and the action there under the same lookahead},
#: filled as met)
_Rule = tuple[int, Any, str, str, dict[int, tuple[int, int]]]


class FastParser:
    """One per Lark instance (per process): the tables are derived once.

    ``anonymous`` names terminals whose tokens the callbacks only ever test by type (the
    builder's ``_NL``): they are never positioned, so every one of them is the same token.

    ``direct`` maps the callbacks of one-token rules (``atom: NUMBER -> number``) to a function
    of the token's fields (``Token``'s arguments: type, value, start_pos, line, column,
    end_line, end_column, end_pos) that returns what the callback returns for that one token
    (the builder's callback calls the same function). See :meth:`_direct_states`.
    """

    def __init__(self, lark: Lark, anonymous: frozenset[str] = frozenset(),
                 direct: dict[str, Callable[..., Any]] | None = None) -> None:
        frontend: Any = lark.parser
        parser = frontend.parser.parser
        table = parser.parse_table
        callbacks = parser.callbacks
        transformer = lark.options.transformer
        self.start_states: dict[str, int] = dict(table.start_states)
        self.end_states: dict[str, int] = dict(table.end_states)
        self.end_state_set = frozenset(self.end_states.values())
        if not callbacks:
            raise ValueError("the fast driver needs the parse-time callbacks of a transformer")
        if any(isinstance(k, str) for k in callbacks):
            raise ValueError("terminal callbacks (Transformer methods named for terminals) are not supported")
        # rows[state][symbol]: a shift or goto is the target state (>= 0); a reduction is the
        # negative index in self.rules of the entry of that rule *under that lookahead*, so
        # rules[action] is the rule, and the goto that follows it depends on the state below
        # alone: one int-keyed dict lookup instead of a (state, rule, lookahead) tuple built and
        # hashed per reduction
        size = max(table.states) + 1
        reductions: dict[int, tuple[int, Any, str]] = {}
        seq_origins = _seq_origins(list(callbacks))
        for row in table.states.values():
            for action, arg in row.values():
                if action is not Shift and id(arg) not in reductions:
                    cb = _reduction(arg, callbacks[arg], transformer, seq_origins)
                    reductions[id(arg)] = (len(arg.expansion), cb, arg.origin.name)
        # the states whose token is reduced as it is shifted (see _direct_states): the value on
        # top there is already the rule's node, so their reductions only change the state (as a
        # single-child rule's: the value stays), through entries of their own
        self.direct = self._direct_states(table, callbacks, transformer, direct or {}, anonymous, size)
        rule_list: list[_Rule] = []
        entry_ids: dict[tuple[int, str, bool], int] = {}
        for state, row in table.states.items():
            reduced = self.direct[state] is not None
            for term, (action, arg) in row.items():
                if action is not Shift and (id(arg), term, reduced) not in entry_ids:
                    entry_ids[id(arg), term, reduced] = len(rule_list)
                    count, cb, origin = reductions[id(arg)]
                    rule_list.append((count, None if reduced else cb, origin, term, {}))
        count = len(rule_list)
        # a shift into such a state is its number plus direct_base: the parse loop tells it
        # from a plain shift by one comparison (a goto never enters one: a state is entered by
        # one symbol, here a terminal)
        self.direct_base = size
        self.rows: list[dict[str, int]] = [{} for _ in range(size)]
        for state, row in table.states.items():
            reduced = self.direct[state] is not None
            self.rows[state] = {
                term: (arg + size if self.direct[arg] is not None else arg) if action is Shift
                else entry_ids[id(arg), term, reduced] - count
                for term, (action, arg) in row.items()}
        self.rules: list[_Rule] = rule_list
        self._miss = -len(rule_list) - 1  # see _goto_next
        # Blanks are skipped, not lexed, when the grammar ignores exactly them (WS) and no
        # other terminal can start with one (checked on each terminal's pattern): each scanner
        # ends with a possessive run that eats the blanks after its token (the driver skips
        # those the text starts with), so the next token starts where the match ends, the
        # character there picks its scanner, and WS itself is never matched.
        if not self._blanks_only_ws(frontend.lexer):
            raise ValueError("the grammar ignores more than blanks")
        # the scanners of each parser state (see scanners.ScannerGroup), compiled on first use:
        # by_char[state] is its group's dict of scanners by a token's first character, the one
        # the parse loop reads, filled by groups[state].for_char; lexers[state] the whole
        # alternation (see _lazy_lexer). The types whose tokens may hold a newline (Lark's own
        # guess).
        self.lexers: list[Lexer | None] = [None] * size
        self.groups: list[ScannerGroup | None] = [None] * size
        self.by_char: list[dict[str, Lexer] | None] = [None] * size
        groups: dict[int, tuple[Any, list[int]]] = {}
        newline_types: set[str] = set()
        for state, basic in frontend.lexer.lexers.items():
            if id(basic) not in groups:
                groups[id(basic)] = (basic, [])
                newline_types |= basic.newline_types
                if set(basic.ignore_types) != {"WS"}:
                    raise ValueError("a contextual lexer ignores more than WS")
                # what the scanner's callbacks will be, known before it is built: keyword
                # tables only (see scanners.keyword_tables), which need keywords without flags
                if getattr(basic, "user_callbacks", None) != {}:
                    raise ValueError("lexer callbacks other than keyword tables")
                if any(isinstance(t.pattern, PatternStr) and t.pattern.flags for t in basic.terminals):
                    raise ValueError("a keyword with flags")
            groups[id(basic)][1].append(state)
        self.newline_types = frozenset(newline_types)
        for basic, states in groups.values():
            group = ScannerGroup(basic, anonymous)
            entry = self._lazy_lexer(group, states)
            for state in states:
                self.lexers[state] = entry
                self.groups[state] = group
                self.by_char[state] = group.by_char
        self.anonymous = anonymous

    @staticmethod
    def _direct_states(table: Any, callbacks: dict[Any, Any], transformer: Any,
                       direct: dict[str, Callable[..., Any]], anonymous: frozenset[str],
                       size: int) -> list[Callable[..., Any] | None]:
        """For each parser state, the ``direct`` function of a rule when the state is entered by
        shifting the rule's one terminal and every action in it, under any lookahead, reduces by
        that rule (the states after a NUMBER, a DOTTED name or a string in an expression; not
        after a NAME, which may start a call). The driver then builds the rule's node as it
        shifts, from the token's fields, and no ``Token`` is built; the reduction that follows
        only changes the state.

        Reducing before the lookahead is read is what LALR's default reductions do: an invalid
        lookahead is still met before anything is shifted (and the parse falls back to Lark,
        which raises its own error). Only a rule whose callback is the transformer's own method
        (no child filter, no single-child expansion) is reduced so."""
        states: list[Callable[..., Any] | None] = [None] * size
        for state, row in table.states.items():
            rules = {id(arg): arg for action, arg in row.values() if action is not Shift}
            if len(rules) != 1 or any(action is Shift for action, _ in row.values()):
                continue
            (rule,) = rules.values()
            name = rule.alias or rule.origin.name
            fn = direct.get(name)
            expansion = rule.expansion
            if (fn is None or len(expansion) != 1 or not expansion[0].is_term
                    or expansion[0].name in anonymous or callbacks[rule] != getattr(transformer, name, None)):
                continue
            states[state] = fn
        return states

    def _lazy_lexer(self, group: ScannerGroup, states: list[int]) -> Lexer:
        """The whole alternation of the parser states ``states``, built when it is first used
        (the parse loop reads the scanners by first character, which build it; tests and
        ``bench/parser_breakdown.py`` read these). Compiling the scanners (Lark's, then the
        driver's own) was most of the driver's set-up, once per process (a tenth of a second,
        a twentieth of a scan of 300 flows), and a parse of those flows uses 45 of the 73
        distinct ones. Until then the entry holds a function that builds the scanner, fills in
        the (shared, so far empty) list of kinds, puts the scanner's match in the entries of
        all the states, and matches."""
        kinds: list[Kind | None] = []

        def first_match(text: str, pos: int) -> Any:
            match, built = group.full()
            kinds[:] = built
            for state in states:
                self.lexers[state] = (match, kinds)
            return match(text, pos)

        return first_match, kinds

    def _goto_chain(self, below: int, origin: str, ttype: str) -> int:
        """The state on top after reducing to ``origin`` above ``below``, then every further
        single-child reduction the lookahead ``ttype`` asks for. A table miss stops the chain
        (the parse loop then finds it again and gives up)."""
        rows, rules = self.rows, self.rules
        while True:
            top = rows[below][origin]
            if top in self.end_state_set:  # the parse may end here: the caller checks
                return top
            action = rows[top].get(ttype)
            if action is None or action >= 0 or rules[action][1] is not None:
                return top
            origin = rules[action][2]

    def _goto_next(self, below: int, origin: str, ttype: str) -> tuple[int, int]:
        """:meth:`_goto_chain`, and the action in the state it gives under the same lookahead
        (the loop's next step, read without a lookup). A table miss (a syntax error) is stored
        as ``self._miss``, a reduction index past the end of ``rules``: the loop's lookup of it
        raises ``IndexError``, and the parse falls back to Lark as on any table miss."""
        top = self._goto_chain(below, origin, ttype)
        return top, self.rows[top].get(ttype, self._miss)

    @staticmethod
    def _blanks_only_ws(lexer: Any) -> bool:
        root = lexer.root_lexer
        if set(root.ignore_types) != {"WS"}:
            return False
        for term in root.terminals:
            rx = re.compile(term.pattern.to_regexp())
            for blank in BLANKS:
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
        rows = self.rows
        rules = self.rules
        by_char = self.by_char
        groups = self.groups
        directs = self.direct
        direct_base = self.direct_base
        newline_types = self.newline_types
        str_new = str.__new__
        end_state = self.end_states[start]
        state = self.start_states[start]
        states = [state]
        values: list[Any] = []
        pos = 0  # the end of the token (its start_pos: the start)
        # where the next scan starts: after the last token and the blanks after it (each
        # scanner skips those, see scanners.ScannerGroup), or after the blanks the text starts with
        blanks = _BLANK_RE.match(text)
        scan = 0 if blanks is None else blanks.end()
        end = len(text)
        line = 1
        line_start = 0
        shared: dict[str, Token] = {}
        try:
            while scan < end:
                # ---- the next token (as BasicLexer.next_token, blanks around it skipped) ----
                # by the scanner for its first character (see scanners.ScannerGroup): the
                # blanks after the last token were skipped with it
                char = text[scan]
                try:
                    match, kinds = by_char[state][char]  # type: ignore[index]
                except KeyError:
                    match, kinds = groups[state].for_char(char)  # type: ignore[union-attr]
                m = match(text, scan)
                if m is None:
                    raise Fallback
                # the token is its terminal's group, which starts where the scan did (a
                # subscript and no span tuple: cheaper than m.span(group) and a slice)
                group = m.lastindex
                type_, keywords, kind = kinds[group]
                value = m[group]
                start_pos = scan
                pos = scan + len(value)
                scan = m.end()
                # a name that may be a keyword (Lark's "unless" callback)
                ttype = type_ if keywords is None else keywords.get(value, type_)
                if kind == ANONYMOUS:
                    try:
                        token = shared[type_]
                    except KeyError:
                        token = shared[type_] = _new_token(type_, value, start_pos, line, 1, line, 1, pos)
                    if type_ in newline_types:
                        if value == "\n" or value == "\r\n":  # a line break (no method call)
                            line += 1
                            line_start = pos
                        else:
                            newlines = value.count("\n")
                            if newlines:
                                line += newlines
                                line_start = start_pos + value.rindex("\n") + 1
                else:
                    # the token is built when it is shifted (reductions only read its type),
                    # and not at all when it is reduced as it is shifted (see _direct_states)
                    token = None
                    tok_line = line
                    column = start_pos - line_start + 1
                    # a multi-line terminal by Lark's guess (NAME and PARAM among them) that
                    # holds a newline: the test is an operator, count() a method call
                    if kind and "\n" in value:
                        line += value.count("\n")
                        line_start = start_pos + value.rindex("\n") + 1
                    end_column = pos - line_start + 1
                # ---- feed it (as ParserState.feed_token) ----
                action = rows[state][ttype]
                while True:
                    if action >= 0:
                        if action >= direct_base:  # reduced at once: a node from the token's fields
                            state = action - direct_base
                            states.append(state)
                            values.append(directs[state](ttype, value, start_pos, tok_line, column, line, end_column, pos))
                            break
                        if token is None:
                            # Token._future_new(ttype, value, start_pos, tok_line, column, line,
                            # end_column, pos), inlined: a call frame is a third of its cost
                            token = str_new(Token, value)
                            token.type = ttype
                            token.start_pos = start_pos
                            token.value = value
                            token.line = tok_line
                            token.column = column
                            token.end_line = line
                            token.end_column = end_column
                            token.end_pos = pos
                        states.append(action)
                        values.append(token)
                        state = action
                        break
                    size, cb, origin, _, after = rules[action]
                    if cb is None:  # single-child rules: the value stays, only the state changes
                        below = states[-2]
                        try:  # a subscript, not .get(): no method call (a miss is once per key)
                            state, action = after[below]
                        except KeyError:
                            state, action = after[below] = self._goto_next(below, origin, ttype)
                        states[-1] = state
                        continue
                    if size == 1:  # a third of the reductions: the result takes its child's place
                        children = [values[-1]]
                    elif size:  # the result takes the first child's slot, the others go
                        children = values[-size:]
                        del states[1 - size:]
                        del values[1 - size:]
                    else:
                        children = []
                        states.append(0)
                        values.append(None)
                    below = states[-2]
                    try:
                        state, action = after[below]
                    except KeyError:
                        state, action = after[below] = self._goto_next(below, origin, ttype)
                    states[-1] = state
                    values[-1] = cb(children)
            # ---- the end (as parse_from_state + feed_token($END, is_end=True)) ----
            # a few reductions per parse: the children are popped and the result pushed (no
            # slot reuse), the goto from the same memo, single-child chains in one step (a
            # %...% hole's expression climbs about nine of them); a chain never passes an end
            # state (see _goto_chain), where the parse is accepted
            while True:
                action = rows[state]["$END"]
                if action >= 0:
                    raise Fallback
                size, cb, origin, _, after = rules[action]
                if cb is None:  # a single-child chain: the value stays
                    size = 1
                first = len(values) - size
                children = values[first:]
                del values[first:]
                del states[first + 1:]
                below = states[-1]
                if below not in after:
                    after[below] = self._goto_next(below, origin, "$END")
                state = after[below][0]
                states.append(state)
                values.append(children[0] if cb is None else cb(children))
                if state == end_state:
                    return values[-1]
        except Fallback:
            raise
        except Exception as exc:  # a table miss (a syntax error) or an error from a callback
            raise Fallback from exc
