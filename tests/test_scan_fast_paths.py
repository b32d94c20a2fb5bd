"""The speed-ups of issue 16 on the rule side change no result.

* the statement walkers of :mod:`pafix.syntax.nodes` (and a text's ``holes`` and ``literal``)
  answer like the generators they replaced
  (the reference implementations are kept here), and each subflow's ``statements``,
  ``actions`` and ``calls`` of the model are what the rules and the taint prepass walked for;
* PAF104's shortcuts: each token pattern's declared shortest match is the pattern's own, the
  memo of scanned literals, shared by the flows of a run, is kept apart per name policy, and a
  comment without ``:``, ``=`` or ``</`` is answered without reading its forms;
* the name policy of a config is made once and its memo of answers stays its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafix.analysis.literals import _LINE_PAIR_RE, comment_secrets, header_secrets, pair_secrets
from pafix.analysis.model import build_model
from pafix.analysis.names import make_policy, words
from pafix.config import DEFAULT, Config
from pafix.core import check_source, names_for
from pafix.errors import ParseError
from pafix.rules.paf104_hardcoded_secret import TOKEN_PATTERNS, _is_property_path, text_secrets
from pafix.syntax import nodes as n
from pafix.syntax.parser import parse
from strategies import flows

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"


def _files() -> list[Path]:
    files = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".robin", ".txt"))
    files += sorted(p for p in (ROOT / "fixtures" / "rules").rglob("*.robin"))
    if REAL.is_dir():
        files += sorted(REAL.glob("*.robin"))
    return files


# ---- the reference walkers (before issue 16) --------------------------------------------------
def _ref_walk(body: n.Body) -> Iterator[n.Stmt]:
    stack: list[Iterator[n.Stmt]] = [iter(body)]
    while stack:
        for stmt in stack[-1]:
            yield stmt
            nested = list(n.child_bodies(stmt))
            if nested:
                stack.append(iter([s for b in nested for s in b]))
                break
        else:
            stack.pop()


def _ref_exprs(stmt: n.Stmt) -> Iterator[tuple[n.Expr, bool]]:
    def args(items: tuple[n.Arg, ...]) -> Iterator[tuple[n.Expr, bool]]:
        for arg in items:
            yield arg.value, arg.output

    def cond(c: n.Cond) -> Iterator[tuple[n.Expr, bool]]:
        if isinstance(c, n.Action):
            yield from args(c.args)
        else:
            yield c, False

    if isinstance(stmt, n.Set):
        yield stmt.target, True
        yield stmt.value, False
    elif isinstance(stmt, (n.Action, n.CallSubflow, n.Exit)):
        yield from args(stmt.args)
    elif isinstance(stmt, n.GetLastError):
        yield stmt.target, True
        yield from args(stmt.args)
    elif isinstance(stmt, n.If):
        for branch in stmt.branches:
            yield from cond(branch.cond)
    elif isinstance(stmt, n.Switch):
        yield stmt.subject, False
        for case in stmt.cases:
            if case.value is not None:
                yield case.value, False
    elif isinstance(stmt, n.LoopRange):
        if stmt.var is not None:
            yield stmt.var, True
        yield stmt.start, False
        yield stmt.stop, False
        yield stmt.step, False
    elif isinstance(stmt, n.ForEach):
        yield stmt.var, True
        yield stmt.iterable, False
    elif isinstance(stmt, (n.While, n.Wait)):
        yield from cond(stmt.cond)
        if isinstance(stmt, n.Wait) and stmt.timeout is not None:
            yield stmt.timeout, False
    elif isinstance(stmt, n.Block):
        for handler in stmt.handlers:
            yield from args(handler.args)
    elif isinstance(stmt, n.OnErrorRepeat):
        yield stmt.times, False
        yield stmt.wait, False
    elif isinstance(stmt, n.IODecl):
        yield stmt.props, False


_COMPOUND = (n.If, n.Switch, n.Block, n.LoopRange, n.ForEach, n.While, n.OnError, n.Function)


def _ref_calls_and_actions(body: n.Body, calls: dict[str, None]) -> Iterator[n.Action]:
    """What the taint prepass walked for itself before the model listed each subflow's actions
    and calls."""
    for stmt in body:
        if isinstance(stmt, n.Action):
            yield stmt
            continue
        if isinstance(stmt, n.CallSubflow):
            calls[stmt.target] = None
            continue
        if isinstance(stmt, n.If):
            yield from (b.cond for b in stmt.branches if isinstance(b.cond, n.Action))
        elif isinstance(stmt, (n.While, n.Wait)) and isinstance(stmt.cond, n.Action):
            yield stmt.cond
        if isinstance(stmt, _COMPOUND):
            for nested in n.child_bodies(stmt):
                yield from _ref_calls_and_actions(nested, calls)


def _ref_is_leaf(expr: n.Expr) -> bool:
    if isinstance(expr, n.StringLit):
        return not any(isinstance(p, n.Hole) for p in expr.parts)
    return type(expr) not in n._INNER


def _ref_root_name(expr: n.Expr) -> n.Name | None:
    while isinstance(expr, (n.Attribute, n.Index)):
        expr = expr.value
    return expr if isinstance(expr, n.Name) else None


def _same_walks(flow: n.Flow) -> None:
    walked = list(n.walk_statements(flow.body))
    assert [id(s) for s in walked] == [id(s) for s in _ref_walk(flow.body)]
    for stmt in walked:
        got, want = n.statement_exprs(stmt), list(_ref_exprs(stmt))
        assert [(id(e), w) for e, w in got] == [(id(e), w) for e, w in want]
        for expr, _written in got:
            for e in n.walk_expr(expr):
                assert n.is_leaf(e) == _ref_is_leaf(e)
                assert n.root_name(e) is _ref_root_name(e)
                if isinstance(e, n.Attribute) and _is_property_path(e):  # PAF104 reads no text there
                    assert not any(isinstance(x, n.StringLit) for x in n.walk_expr(e))
                if isinstance(e, n.StringLit):
                    holes = tuple(p for p in e.parts if isinstance(p, n.Hole))
                    assert e.holes == holes
                    assert e.literal == (None if holes else "".join(p for p in e.parts if isinstance(p, str)))
    model = build_model(flow)
    for sf in model.subflows:
        assert [id(s) for s in sf.statements] == [id(s) for s in _ref_walk(sf.body)]
        calls: dict[str, None] = {}
        assert [id(a) for a in sf.actions] == [id(a) for a in _ref_calls_and_actions(sf.body, calls)]
        assert sf.calls == tuple(calls)


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_walkers_match_the_reference_on_real_flows(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    try:
        flow = parse(text, str(path))
    except ParseError:  # the lines that parse, as the scan checks them
        flow = parse(text, str(path), recover=True)
    _same_walks(flow)


@settings(max_examples=100, deadline=None)
@given(flows())
def test_walkers_match_the_reference_on_random_flows(text: str) -> None:
    _same_walks(parse(text))


# ---- PAF104 ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("label", "shortest", "piece", "pattern"), TOKEN_PATTERNS, ids=[t[0] for t in TOKEN_PATTERNS])
def test_each_token_pattern_declares_its_shortest_match(label: str, shortest: int, piece: str,
                                                        pattern: re.Pattern[str]) -> None:
    """A text shorter than ``shortest`` is not searched for the pattern: ``shortest`` must be the
    length of the pattern's shortest match (read from the regular expression's own parse)."""
    low, _high = re._parser.parse(pattern.pattern, pattern.flags).getwidth()  # type: ignore[attr-defined]
    assert shortest == low, label


@pytest.mark.parametrize("token", range(len(TOKEN_PATTERNS)), ids=[t[0] for t in TOKEN_PATTERNS])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_match_of_a_token_pattern_holds_its_piece(token: int, data: st.DataObject) -> None:
    """A text without ``piece`` is not searched for the pattern: every text the pattern finds
    something in (generated from the pattern itself) holds it, and is no shorter than declared."""
    _label, shortest, piece, pattern = TOKEN_PATTERNS[token]
    text = data.draw(st.from_regex(pattern))
    found = pattern.search(text)
    assert found is not None
    assert piece in found.group(0) and len(found.group(0)) >= shortest


def test_a_token_of_the_shortest_length_is_still_found() -> None:
    token = "xoxb-Ab3dE6gH9k"  # a Slack token of the shortest length any pattern matches
    assert len(token) == min(shortest for _, shortest, _, _ in TOKEN_PATTERNS)
    assert text_secrets(token) == (("hard-coded Slack token 'xo***'", "high"),)
    assert text_secrets(token[:-1]) == ()


def test_scanned_literals_are_kept_apart_per_name_policy() -> None:
    """The memo of what PAF104 read in each literal lives across flows: a user's extra secret
    name changes what a literal holds, and must not leak into a run without it (or back)."""
    flow = "SET Query TO $'''?zorgle=Qx7!fkT2'''\n"
    extra = replace(DEFAULT, secret_names=("zorgle",))

    def found(config: Config) -> list[str]:
        return [f.message for f in check_source(flow, config=config).findings if f.rule == "PAF104"]

    for _ in range(2):
        assert found(DEFAULT) == []
        assert found(extra) == ["hard-coded zorgle= value 'Qx***'"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab</>@ \n-#'Passwordkey1!x%"), max_size=60))
def test_a_comment_without_a_separator_holds_no_form(body: str) -> None:
    """``comment_secrets`` returns at once for a comment with none of ``:``, ``=``, ``</``
    (most comments: prose, rulers): none of the forms it reads can match such a text."""
    text = "password " + body
    if "</" in text:
        return
    names = make_policy()
    assert list(pair_secrets(text, names)) == [] and list(header_secrets(text, names)) == []
    assert _LINE_PAIR_RE.search(text) is None
    assert list(comment_secrets(text, names)) == []


def test_a_comment_holding_only_an_xml_element_is_read() -> None:
    found = list(comment_secrets("old body <Password>Hunter2!x</Password>", make_policy()))
    assert [(hit.what, hit.confidence) for hit in found] == [("<Password> element", "medium")]


# ---- the name policy's words -------------------------------------------------------------------
_REF_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _ref_words(name: str) -> list[str]:
    """``words`` before issue 16's round 7: split at the separators, each piece searched."""
    return [w.lower() for chunk in re.split(r"[^A-Za-z0-9]+", name) for w in _REF_WORD_RE.findall(chunk)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZbYP9_0-. é١ßKx"), max_size=24) | st.text(max_size=16))
def test_words_are_those_of_each_piece_between_separators(name: str) -> None:
    assert words(name) == _ref_words(name)


def test_words_of_real_names() -> None:
    for name, expected in [("strCoStarUser_Password", ["str", "co", "star", "user", "password"]),
                           ("ABCDef1_x", ["abc", "def", "1", "x"]), ("APIKey", ["api", "key"]),
                           ("Input_ConnectionString", ["input", "connection", "string"]), ("PWé", ["pw"])]:
        assert words(name) == expected == _ref_words(name)


# ---- the name policy's memo -------------------------------------------------------------------
def test_name_policies_keep_their_answers_apart() -> None:
    """Each config's policy is made once and memoises its answers; the memo takes no part in
    equality (the analysis compares policies to reuse plans) and never crosses policies."""
    plain, extra = DEFAULT, replace(DEFAULT, secret_names=("zorgle",), non_secret_names=("apitoken",))
    for _ in range(2):
        assert names_for(plain) is names_for(plain)
        assert not names_for(plain).is_secret("Zorgle") and names_for(extra).is_secret("Zorgle")
        assert names_for(plain).is_secret("ApiToken") and not names_for(extra).is_secret("ApiToken")
    assert names_for(plain) == make_policy()
    assert make_policy().is_secret("SmtpPassword") and not make_policy().is_secret("PasswordPolicy")
