"""The speed-ups of issue 8 change no result.

* the fast LALR driver (:mod:`pafix.syntax.fastparse`) builds the very same trees as ``Lark.parse``,
  spans included, and every error still comes from Lark;
* the layered taint :class:`~pafix.analysis.taint.State` joins exactly like the dictionaries it
  replaced (the reference implementation is kept here).
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafix.syntax import builder as B
from pafix.syntax import parser as P
from pafix.analysis.taint.state import Label, Origin, State, _join_taint, join, same
from pafix.errors import ParseError
from pafix.syntax.nodes import Span
from strategies import flows
from trees import deep

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"


def _flows() -> list[Path]:
    files = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".robin", ".txt"))
    files += sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and p.suffix in (".robin", ".txt"))
    if REAL.is_dir():
        files += sorted(REAL.glob("*.robin"))
    return files


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError):
        return None


def test_the_fast_driver_is_on() -> None:
    assert B._fast() is not None


#: numbers, dotted names, booleans and strings in an expression (a NAME may start a call)
_ONE_TOKEN_EXPRESSIONS = {"DOTTED", "NUMBER", "TRUE", "FALSE", "STRING", "ISTRING", "ESTRING", "FXSTRING", "BACKTICK"}


def test_one_token_expressions_are_built_as_their_token_is_shifted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast driver builds these nodes from the token's fields, without a Token (see
    FastParser._direct_states): the same trees as Lark's driver, at the top of a file, in a
    %...% hole that is parsed (positions moved into the file) and in a re-parsed region."""
    fast = B._fast()
    assert fast is not None
    table = B._parser()[0].parser.parser.parser.parse_table
    shifted = {term for row in table.states.values() for term, (_action, target) in row.items()
               if isinstance(target, int) and fast.direct[target] is not None}
    assert shifted == _ONE_TOKEN_EXPRESSIONS
    text = ("SET a.b TO $'''x %c.d + 1.5% y\n  %e[2] = True%'''\nSET f TO [False, 'g', `h`, 2]\n"
            "IF i.j = $fx'=1' THEN\n  SET k TO $'''%l.m * 2%'''\nEND\n")
    start = text.index("SET f")

    def outcome() -> Any:
        return deep(P.parse(text)), deep(P.parse_region(text, start, len(text)))

    with_fast = outcome()
    monkeypatch.setattr(B, "_fast", lambda: None)
    assert outcome() == with_fast


def _same_as_lark(code: str) -> None:
    """The fast driver's tree is Lark's own (spans included), or both refuse the text."""
    lark, _builder = B._parser()
    fast = B._fast()
    assert fast is not None
    try:
        expected = lark.parse(code, start="start")
    except Exception:
        with pytest.raises(B.Fallback):
            fast.parse(code, "start")
        return
    assert deep(fast.parse(code, "start")) == deep(expected)


@pytest.mark.parametrize("path", _flows(), ids=lambda p: p.name)
def test_fast_driver_builds_the_same_tree_as_lark(path: Path) -> None:
    text = _read(path)
    if text is None:
        pytest.skip("not UTF-8")
    _same_as_lark(text[: P.split_trailer(text)])


@settings(max_examples=150, deadline=None)
@given(flows(), st.sampled_from(["", " ", "\t \t", "\n  ", "\r\n\t", "\r"]), st.booleans())
def test_fast_driver_matches_lark_on_random_flows(text: str, tail: str, bom: bool) -> None:
    """Random valid flows, with the blanks the driver's lexer skips itself (a BOM, trailing
    blanks and line ends, a lone CR, which Lark does not count as a line break)."""
    _same_as_lark(("\ufeff" if bom else "") + text + tail)


@pytest.mark.corpus
def test_fast_driver_matches_lark_on_generated_fleet_flows(tmp_path: Path) -> None:
    """Flows of the benchmark fleet (bench/gen_corpus.py: real flows with other flows' Main
    bodies as extra subflows, names and strings perturbed), 24 of them, trailers included."""
    if not REAL.is_dir():
        pytest.skip("no ../shared corpus")
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = gen  # its dataclasses look their module up
    try:
        spec.loader.exec_module(gen)
        gen.generate_fleet(gen.load_sources(REAL), tmp_path, 24, 24 * 200, 7)
    finally:
        del sys.modules["gen_corpus"]
    texts = [p.read_text(encoding="utf-8") for p in sorted(tmp_path.rglob("*.robin"))]
    assert len(texts) == 24
    for text in texts:
        _same_as_lark(text[: P.split_trailer(text)])


@pytest.mark.parametrize("path", _flows()[:60], ids=lambda p: p.name)
def test_parse_is_the_same_with_and_without_the_fast_driver(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _read(path)
    if text is None:
        pytest.skip("not UTF-8")

    def outcome() -> Any:
        out = []
        for recover in (False, True):
            try:
                out.append(deep(P.parse(text, "f.robin", recover=recover)))
            except ParseError as exc:
                out.append((str(exc), exc.line, exc.column, exc.offset, exc.snippet))
        return out

    fast = outcome()
    monkeypatch.setattr(B, "_fast", lambda: None)
    assert outcome() == fast


@pytest.mark.parametrize("text", [
    "IF x THEN\n  SET a TO 1\n",  # unclosed block
    "SET a TO $'''%b'''\n",  # a hole that never closes
    "SET a TO 'unterminated\n",
    "Display.ShowMessage Message:\n",  # a dangling parameter
    "// not a comment\n",
    "SET a TO %\n",
    "\ufeff  \t SET a TO 1  \t\n\tEND\n",  # blanks everywhere, a stray END
])
def test_errors_and_odd_blanks_match_lark(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def outcome() -> Any:
        try:
            return deep(P.parse(text))
        except ParseError as exc:
            return (str(exc), exc.line, exc.column, exc.offset)

    fast = outcome()
    monkeypatch.setattr(B, "_fast", lambda: None)
    assert outcome() == fast


# ---- the layered state --------------------------------------------------------------------------

Ref = dict[str, dict[str, Label]]


def _ref_join(a: Ref, b: Ref) -> Ref:
    out = dict(a)
    for var, taint in b.items():
        out[var] = _join_taint(out.get(var, {}), taint)
    return out


def _ref_same(a: Ref, b: Ref) -> bool:
    return a.keys() == b.keys() and all(a[k].keys() == b[k].keys() for k in a)


_SPAN = Span(0, 1, 1, 1, 1, 2)


def _labels(rng: random.Random) -> dict[str, Label]:
    keys = rng.sample(["o1", "o2", "o3", "o4", "o5"], rng.randint(0, 3))
    return {k: Label(Origin(k, "sensitive", k, _SPAN, "Main")) for k in keys}


def _pairs(state: State) -> list[tuple[str, list[str]]]:
    return sorted((k, list(v)) for k, v in state.items())


def _ref_pairs(ref: Ref) -> list[tuple[str, list[str]]]:
    return sorted((k, list(v)) for k, v in ref.items())


@pytest.mark.parametrize("seed", range(40))
def test_state_behaves_like_the_dictionaries_it_replaced(seed: int) -> None:
    """Random programs of writes, removals, copies (branches) and joins, run on a State and on
    plain dictionaries: the same contents, the same key order of each taint, the same answers
    of ``same`` and ``join_from``."""
    rng = random.Random(seed)
    names = [f"v{i}" for i in range(rng.choice([8, 40, 200]))]
    states: list[tuple[State, Ref]] = [(State(), {})]
    for _step in range(300):
        i = rng.randrange(len(states))
        st, ref = states[i]
        op = rng.random()
        if op < 0.45:
            key, taint = rng.choice(names), _labels(rng)
            if rng.random() < 0.5:
                st[key] = taint
                ref[key] = taint
            else:
                st[key] = _join_taint(st.get(key, {}), taint)
                ref[key] = _join_taint(ref.get(key, {}), taint)
        elif op < 0.5:
            key = rng.choice(names)
            st.remove(key)
            ref.pop(key, None)
        elif op < 0.75:
            states.append((st.copy(), dict(ref)))
        else:
            j = rng.randrange(len(states))
            other, other_ref = states[j]
            if j == i:
                continue
            if rng.random() < 0.5:
                new, new_ref = join(st, other), _ref_join(ref, other_ref)
                assert same(new, st) == _ref_same(new_ref, ref)
                states.append((new, new_ref))
            else:
                before = dict(ref)
                changed = st.join_from(other)
                ref.update(_ref_join(ref, other_ref))
                assert changed == (not _ref_same(ref, before))
        for st2, ref2 in (states[i], states[-1]):
            _check(st2, ref2, names)
    for st2, ref2 in states:  # copies and joins never changed another state
        _check(st2, ref2, names)


def _check(st: State, ref: Ref, names: list[str]) -> None:
    assert _pairs(st) == _ref_pairs(ref)
    for key in names[:10]:
        assert (key in st) == (key in ref)
        assert list(st.get(key, {})) == list(ref.get(key, {}))


@pytest.mark.parametrize("hole", [
    "Name", "x1", "_x", "Ünïcode", "a.b", "a.b.c", "GLOBAL.x", "GLOBAL.x.y", "True", "False", "NOT", "mod", "OR",
    "AND", "END", "SET", "IF", "GLOBAL", "a.True", "x.mod", "1a", "a.", ".a", "a b", "a..b",
])
def test_plain_holes_skip_the_parser_with_the_same_result(hole: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``%Name%`` and ``%a.b%`` holes are built without a parse: the same nodes and spans (or
    the same error) as the parser gives them."""
    # a hole on the first and a later line of a multi-line text, and in a one-line text
    text = f"SET v TO $'''%{hole}%ab\n  %{hole}% and %x[0]%'''\nSET w TO $'''x %{hole}%'''\n"

    def outcome() -> Any:
        try:
            return deep(P.parse(text, "f.robin"))
        except ParseError as exc:
            return (str(exc), exc.line, exc.column, exc.offset)

    fast = outcome()
    monkeypatch.setattr(B, "_PLAIN_HOLE_RE", __import__("re").compile(r"(?!)"))
    monkeypatch.setattr(B, "_PLAIN_HOLE_AT_RE", __import__("re").compile(r"(?!)"))
    assert outcome() == fast


def _interpolate_reference(raw: str) -> list[tuple[str, str]]:
    """The character loop the regex-driven ``_interpolate`` replaced: ("text", piece) and
    ("hole", hole text) items, or [("error", offset)]."""
    parts: list[tuple[str, str]] = []
    buf: list[str] = []
    i, end = 4, len(raw) - 3
    while i < end:
        ch = raw[i]
        if ch == "\\" and i + 1 < end:
            buf.append(raw[i + 1])
            i += 2
        elif ch == "%":
            if i + 1 < end and raw[i + 1] == "%":
                buf.append("%")
                i += 2
                continue
            close = B._hole_end(raw, i + 1, end)
            if close < 0:
                return [("error", str(i))]
            if buf:
                parts.append(("text", "".join(buf)))
                buf = []
            parts.append(("hole", raw[i + 1 : close]))
            i = close + 1
        else:
            buf.append(ch)
            i += 1
    if buf:
        parts.append(("text", "".join(buf)))
    return parts


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab%\\' \n", max_size=14))
def test_interpolation_splits_like_the_character_loop(body: str) -> None:
    raw = "$'''" + body + "'''"
    builder = B._Builder()
    holes: list[str] = []

    def fake_hole(raw_: str, start: int, close: int, sp: Span) -> Any:
        holes.append(raw_[start + 1 : close])
        return ("hole", raw_[start + 1 : close])

    def fake_plain_hole(raw_: str, start: int, text: str, sp: Span) -> Any:
        return fake_hole(raw_, start, start + 1 + len(text), sp)

    builder._hole = fake_hole  # type: ignore[method-assign]
    builder._plain_hole = fake_plain_hole  # type: ignore[method-assign]
    try:
        got = [("text", x) if isinstance(x, str) else x for x in builder._interpolate(raw, Span(0, len(raw), 1, 1, 1, 1))]
    except B._HoleError as exc:
        got = [("error", str(exc.offset))]
    assert got == _interpolate_reference(raw)


def test_the_collector_is_paused_only_while_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse() turns the cyclic garbage collector off while it runs and puts back what it
    found: on after a parse and after a parse error, still off when the caller had it off."""
    import gc

    seen: list[bool] = []
    original = P._lark_parse

    def spy(lark: Any, text: str, start: str) -> Any:
        seen.append(gc.isenabled())
        return original(lark, text, start)

    monkeypatch.setattr(P, "_lark_parse", spy)
    assert gc.isenabled()
    P.parse("SET a TO 1\n")
    with pytest.raises(ParseError):
        P.parse("SET a TO\n")
    assert gc.isenabled()
    gc.disable()
    try:
        P.parse("SET b TO 2\n")
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False, False, False]
