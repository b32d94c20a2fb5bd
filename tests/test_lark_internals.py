"""The Lark internals that :mod:`pafix.syntax.fastparse` reads, one test each.

Lark is pinned in ``pyproject.toml`` to the minor versions the fast driver is tested on. When an
upgrade moves or reshapes one of these, its test fails naming the internal and the Lark
version, and the parser says so too (:class:`FastPathUnavailable`, an error under pytest)
instead of quietly parsing every flow with Lark's slower driver.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any

import lark
import pytest

from pafix.syntax import builder as P  # _fast and FastParser live in the builder
from pafix.syntax.fastparse import FastPathUnavailable


def _lark() -> Any:
    return P._parser()[0]


def _frontend() -> Any:
    return _lark().parser


def _lalr() -> Any:
    return _frontend().parser.parser


def _imports() -> None:
    for module, name in [("lark.lexer", "PatternStr"), ("lark.lexer", "UnlessCallback"),
                         ("lark.parse_tree_builder", "ChildFilterLALR_NoPlaceholders"),
                         ("lark.parse_tree_builder", "ExpandSingleChild"),
                         ("lark.parsers.lalr_analysis", "Shift")]:
        assert hasattr(importlib.import_module(module), name), f"{module}.{name} is gone"


def _token_future_new() -> None:
    tok = lark.Token._future_new("NAME", "x", 3, 1, 4, 1, 5, 4)
    assert isinstance(tok, lark.Token), "Token._future_new does not build a Token"
    got = (tok.type, str(tok), tok.start_pos, tok.line, tok.column, tok.end_line, tok.end_column, tok.end_pos)
    assert got == ("NAME", "x", 3, 1, 4, 1, 5, 4), f"Token._future_new takes its arguments in another order: {got}"


def _token_slots() -> None:
    tok = str.__new__(lark.Token, "x")
    for name in ("type", "start_pos", "value", "line", "column", "end_line", "end_column", "end_pos"):
        setattr(tok, name, 1)
        assert getattr(tok, name) == 1, f"Token.{name} cannot be set on a bare str.__new__(Token)"
    assert str(tok) == "x"


def _parse_table() -> None:
    table = _lalr().parse_table
    assert set(table.start_states) >= {"start", "expr"} and set(table.end_states) >= {"start", "expr"}
    assert all(isinstance(v, int) for v in (*table.start_states.values(), *table.end_states.values()))
    shift = importlib.import_module("lark.parsers.lalr_analysis").Shift
    seen_shift = seen_reduce = False
    for state, row in table.states.items():
        assert isinstance(state, int), f"a state is {type(state).__name__}, not int"
        for term, entry in row.items():
            assert isinstance(term, str) and len(entry) == 2, f"table entry {term}: {entry!r}"
            action, arg = entry
            if action is shift:
                assert isinstance(arg, int), f"a shift's target is {type(arg).__name__}"
                seen_shift = True
            else:
                assert hasattr(arg, "expansion") and hasattr(arg.origin, "name"), f"a reduce's rule: {arg!r}"
                seen_reduce = True
    assert seen_shift and seen_reduce, "no Shift/reduce entries (parse_table.states changed shape)"


def _callbacks() -> None:
    from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild

    callbacks = _lalr().callbacks
    rules = [k for k in callbacks if not isinstance(k, str)]
    assert rules and all(hasattr(k, "expansion") for k in rules), "callbacks are not keyed by grammar rule"
    filters = [cb for cb in callbacks.values() if isinstance(cb, ChildFilterLALR_NoPlaceholders)]
    assert filters, "no ChildFilterLALR_NoPlaceholders callback (the child filter changed)"
    for cb in filters:
        assert all(len(pair) == 2 for pair in cb.to_include), f"to_include items: {cb.to_include[:3]}"
        assert callable(cb.node_builder)
    assert any(isinstance(cb, ExpandSingleChild) and callable(cb.node_builder) for cb in callbacks.values()), \
        "no ExpandSingleChild callback with a node_builder"
    defaults = [cb for cb in callbacks.values() if isinstance(cb, functools.partial)]
    assert any(getattr(cb.func, "__name__", "") == "default_callback" for cb in defaults), \
        "no functools.partial(default_callback, rule name) callback"
    assert hasattr(lark.Transformer, "__default__"), "Transformer.__default__ is gone"
    assert _lark().options.transformer is not None, "Lark.options.transformer is not the parse-time transformer"


def _contextual_lexers() -> None:
    lexer = _frontend().lexer
    assert isinstance(lexer.lexers, dict) and lexer.lexers, "ContextualLexer.lexers is not a dict of states"
    states = set(_lalr().parse_table.states)
    assert set(lexer.lexers) <= states, "the contextual lexers are not keyed by parser state"
    basic = next(iter(lexer.lexers.values()))
    mres = basic.scanner._mres
    assert mres and all(isinstance(m, re.Pattern) for m in mres), "Scanner._mres is not a list of compiled patterns"
    assert all(name for m in mres for name in m.groupindex), "the scanner's groups are not named by terminal"
    assert isinstance(dict(basic.callback), dict)
    assert isinstance(basic.ignore_types, (set, frozenset)) and isinstance(basic.newline_types, (set, frozenset))
    root = lexer.root_lexer
    assert "WS" in root.ignore_types and root.terminals
    assert all(isinstance(t.pattern.to_regexp(), str) and t.name for t in root.terminals)


def _unless_callbacks() -> None:
    from lark.lexer import PatternStr, UnlessCallback

    lexers = list(_frontend().lexer.lexers.values())
    for basic in lexers:
        assert basic.scanner is not None  # building the scanner builds basic.callback
    found = [cb for basic in lexers for cb in dict(basic.callback).values() if isinstance(cb, UnlessCallback)]
    assert found, "no UnlessCallback (keywords are no longer retyped from NAME this way)"
    terminals = found[0].scanner.terminals
    assert terminals and all(isinstance(t.pattern, PatternStr) for t in terminals)
    assert all(isinstance(t.pattern.value, str) and hasattr(t.pattern, "flags") for t in terminals)


def _scanner_terminals() -> None:
    for basic in _frontend().lexer.lexers.values():
        scanner = basic.scanner
        pieces = "|".join("(?P<%s>%s)" % (t.name, t.pattern.to_regexp()) for t in scanner.terminals)
        assert len(scanner._mres) == 1 and pieces == scanner._mres[0].pattern, (
            "Scanner._mres[0] is no longer the alternation of Scanner.terminals in order "
            "(pafix.syntax.scanners cuts it per first character: without it every token is scanned "
            "by the whole alternation, slower)")


def _create_unless() -> None:
    from lark.lexer import _create_unless as create_unless

    for basic in _frontend().lexer.lexers.values():
        terminals, callbacks = create_unless(basic.terminals, basic.g_regex_flags, basic.re, basic.use_bytes)
        scanner = basic.scanner
        assert [t.name for t in terminals] == [t.name for t in scanner.terminals], (
            "_create_unless(BasicLexer.terminals, ...) no longer gives the scanner's terminals in order")
        assert set(callbacks) == set(basic.callback), "_create_unless no longer gives the scanner's callbacks"
        for name, cb in callbacks.items():
            assert [t.name for t in cb.scanner.terminals] == [t.name for t in basic.callback[name].scanner.terminals]


def _serialisation() -> None:
    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    lark_ = _lark()
    assert "transformer" in _LOAD_ALLOWED_OPTIONS, "_LOAD_ALLOWED_OPTIONS no longer names the transformer"
    data, memo = lark_.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    loaded = lark.Lark._load_from_dict(data, memo, transformer=lark_.options.transformer)
    assert loaded.parser.parser.parser.parse_table.states.keys() == _lalr().parse_table.states.keys(), \
        "Lark._load_from_dict(memo_serialize()) no longer gives the parser back"


INTERNALS: dict[str, Callable[[], None]] = {
    "imported classes (PatternStr, UnlessCallback, ChildFilterLALR_NoPlaceholders, ExpandSingleChild, Shift)": _imports,
    "Token._future_new(type, value, start_pos, line, column, end_line, end_column, end_pos)": _token_future_new,
    "Token built by str.__new__ and its eight attributes (the driver's inlined _future_new)": _token_slots,
    "Lark.parser.parser.parser.parse_table (states, start_states, end_states)": _parse_table,
    "Lark.parser.parser.parser.callbacks (child filters, single-child expansion, default_callback)": _callbacks,
    "Lark.parser.lexer: ContextualLexer.lexers, BasicLexer.scanner._mres/callback/ignore_types/newline_types":
        _contextual_lexers,
    "UnlessCallback.scanner.terminals (keyword retyping)": _unless_callbacks,
    "Scanner.terminals, in the order of the alternation Scanner._mres[0] (scanners by first character)":
        _scanner_terminals,
    "lark.lexer._create_unless(BasicLexer.terminals, g_regex_flags, re, use_bytes) makes the Scanner's "
    "terminals and keyword callbacks (the driver's scanners are cut from it, Lark's own is not built)":
        _create_unless,
    "Lark.memo_serialize, lark.lark._LOAD_ALLOWED_OPTIONS and Lark._load_from_dict(data, memo, transformer=) "
    "(pafix.syntax.tables: the parser read from its tables)": _serialisation,
}


@pytest.mark.parametrize("internal", list(INTERNALS))
def test_lark_internal_is_as_the_fast_parser_reads_it(internal: str) -> None:
    try:
        INTERNALS[internal]()
    except Exception as exc:  # noqa: BLE001 - reported with the internal's name
        pytest.fail(f"Lark {lark.__version__} changed {internal}, which pafix.syntax.fastparse reads: "
                    f"{type(exc).__name__}: {exc}. Adapt fastparse.py (or keep Lark to the pinned "
                    f"versions in pyproject.toml).", pytrace=False)


def test_the_parser_says_when_the_fast_path_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A driver that cannot be built is a warning naming the Lark version (an error in this
    test suite), not a silently slower parse."""

    def broken(_lark: object, **_options: object) -> None:
        raise AttributeError("'ParseTable' object has no attribute 'states'")

    monkeypatch.setattr(P, "FastParser", broken)
    P._fast.cache_clear()
    try:
        with pytest.warns(FastPathUnavailable, match=rf"Lark {re.escape(lark.__version__)} .*no attribute 'states'"):
            assert P._fast() is None
    finally:
        monkeypatch.undo()
        P._fast.cache_clear()
    assert P._fast() is not None
