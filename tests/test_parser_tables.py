"""The built parser read from a tables file (:mod:`pafix.syntax.tables`, issue 16, round 9):
the shipped file fits the grammar, a parser loaded from a file is the one a build gives, and a
missing, stale, corrupt or unwritable file only means a build (pafix parses the same)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lark import Lark

from pafix.cachedir import write_atomic
from pafix.syntax import builder as B
from pafix.syntax import tables as T
from pafix.syntax.fastparse import FastParser
from pafix.syntax.grammar import grammar_text
from trees import deep

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "smtp-report.robin"


def _built() -> Lark:
    return Lark(grammar_text(), **T.lark_options())


def _counting_build(calls: list[int]) -> Any:
    def build() -> Lark:
        calls.append(1)
        return _built()
    return build


@pytest.fixture()
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The shipped file and pafix's cache folder, both in ``tmp_path``."""
    shipped = tmp_path / "shipped.tables"
    cache = tmp_path / "cache"
    monkeypatch.setattr(T, "shipped_path", lambda: shipped)
    monkeypatch.setenv("PAFIX_CACHE_DIR", str(cache))
    return shipped, cache


def test_the_shipped_tables_fit_the_grammar() -> None:
    """``grammar/robin.tables`` was written for today's grammar (else every start builds the
    parser: regenerate it with ``python -m pafix.syntax.tables``). It is used where the Lark
    and Python it was written with are those of the process, and only there: a machine with
    other versions builds once into its cache folder (the other tests here)."""
    grammar, options = grammar_text(), T.lark_options()
    blob = T.shipped_path().read_bytes()
    built = T.described(blob)
    assert built is not None, "grammar/robin.tables is not an intact tables file"
    assert built["grammar"] == hashlib.sha256(grammar.encode("utf-8")).hexdigest(), \
        "grammar/robin.tables is stale: run `python -m pafix.syntax.tables`"
    here = T.built_from(grammar)
    loaded = T.load(blob, T.key(grammar, options), None)
    if (built["lark"], built["python"]) == (here["lark"], here["python"]):
        assert loaded is not None
    else:
        assert loaded is None


def test_a_parser_from_tables_is_the_built_one() -> None:
    """Same parse table, terminals and rules, and the same trees from the fast driver and from
    Lark's own, as a parser built from the grammar."""
    built = _built()
    build_key = T.key(grammar_text(), T.lark_options())
    builder = B._Builder()
    loaded = T.load(T.dump(built, build_key), build_key, builder)
    assert loaded is not None
    builder.lark = loaded
    table, loaded_table = built.parser.parser.parser.parse_table, loaded.parser.parser.parser.parse_table
    assert {s: {t: (a.name, str(arg)) for t, (a, arg) in row.items()} for s, row in table.states.items()} == \
        {s: {t: (a.name, str(arg)) for t, (a, arg) in row.items()} for s, row in loaded_table.states.items()}
    assert [(t.name, t.pattern.to_regexp(), t.priority) for t in built.terminals] == \
        [(t.name, t.pattern.to_regexp(), t.priority) for t in loaded.terminals]
    text = EXAMPLE.read_text(encoding="utf-8")
    fresh_builder = B._Builder()
    fresh = B.build_lark(cached=False, transformer=fresh_builder)
    fresh_builder.lark = fresh
    fast = FastParser(loaded, anonymous=frozenset({"_NL"}))
    assert deep(fast.parse(text, "start")) == deep(fresh.parse(text, start="start")) == \
        deep(loaded.parse(text, start="start"))


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "flipped", "other key", "pickle"])
def test_a_bad_tables_file_is_ignored_and_the_parser_built(places: tuple[Path, Path], damage: str) -> None:
    """A shipped file that is missing, not a tables file, cut short, altered, written for
    another grammar/Lark/Python, or a pickle is not used: the parser is built, written to the
    cache folder, and read from there at the next start."""
    shipped, cache = places
    grammar, options = grammar_text(), T.lark_options()
    build_key = T.key(grammar, options)
    good = T.dump(_built(), build_key)
    blobs = {
        "missing": None,
        "garbage": b"not a tables file\n\x00\x01",
        "truncated": good[: len(good) // 2],
        "flipped": good[:-10] + bytes([good[-10] ^ 1]) + good[-9:],
        "other key": T.dump(_built(), T.key(grammar + "\n// edited", options)),
        "pickle": b"%s %s %s\n" % (b"pafix-parser-tables", build_key.encode(),
                                   hashlib.sha256(b"\x80\x04N.").hexdigest().encode()) + b"\x80\x04N.",
    }
    if blobs[damage] is not None:
        shipped.write_bytes(blobs[damage])
    calls: list[int] = []
    lark = T.lark_from_tables(grammar, options, _counting_build(calls))
    assert calls == [1] and lark.parse("SET x TO 1\n", start="start") is not None
    assert T.cached_path(build_key).parent == cache and T.cached_path(build_key).is_file()
    again = T.lark_from_tables(grammar, options, _counting_build(calls))
    assert calls == [1]  # read from the cache folder
    assert again.parse("SET x TO 1\n", start="start") == lark.parse("SET x TO 1\n", start="start")


def test_the_shipped_file_is_read_and_nothing_is_written(places: tuple[Path, Path]) -> None:
    shipped, cache = places
    grammar, options = grammar_text(), T.lark_options()
    shipped.write_bytes(T.dump(_built(), T.key(grammar, options)))
    calls: list[int] = []
    T.lark_from_tables(grammar, options, _counting_build(calls))
    assert calls == [] and not cache.exists()


def test_an_unwritable_cache_folder_only_means_a_build_each_start(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """No shipped file and a cache folder that cannot be made (its parent is a file; a
    read-only home behaves the same): each start builds the parser, and nothing fails."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setattr(T, "shipped_path", lambda: tmp_path / "none.tables")
    monkeypatch.setenv("PAFIX_CACHE_DIR", str(blocker / "cache"))
    calls: list[int] = []
    for _ in range(2):
        lark = T.lark_from_tables(grammar_text(), T.lark_options(), _counting_build(calls))
        assert lark.parse("SET x TO 1\n", start="start") is not None
    assert calls == [1, 1]
    assert write_atomic(blocker / "cache" / "x.tables", b"x") is False


def test_a_scan_in_a_fresh_runner_reads_the_shipped_tables(tmp_path: Path) -> None:
    """What a CI runner sees: an empty temporary directory and cache folder. The scan reports
    as usual, builds no parser (``Lark()`` is never called) and writes no parser tables,
    neither in pafix's cache folder nor (Lark's cache) in the temporary directory."""
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    script = ("import runpy, sys, lark\n"
              "built = []\n"
              "init = lark.Lark.__init__\n"
              "def counted(self, *args, **kwargs):\n    built.append(1)\n    init(self, *args, **kwargs)\n"
              "lark.Lark.__init__ = counted\n"
              "sys.argv = ['pafix', 'scan', '--no-cache', sys.argv[1]]\n"
              "try:\n    runpy.run_module('pafix', run_name='__main__')\n"
              "except SystemExit as exc:\n    print('exit', exc.code, 'builds', len(built))\n")
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "PAFIX_CACHE_DIR": str(cache), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script, str(EXAMPLE)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "stored in ResultMessage" in done.stdout and done.stdout.rstrip().endswith("exit 1 builds 0")
    assert list(tmp.iterdir()) == [] and not list(cache.glob("parser-*"))


def test_a_shipped_toml_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``load_toml`` gives what ``tomllib`` gives, parses the file once and reads the parse
    back after; a damaged cached copy is parsed again and replaced, and a cache folder that
    cannot be written only means a parse at each call."""
    from pafix import packaged

    monkeypatch.setenv("PAFIX_CACHE_DIR", str(tmp_path / "cache"))
    parses: list[int] = []
    real = packaged.tomllib.loads

    def counted(text: str) -> dict[str, Any]:
        parses.append(1)
        return real(text)

    monkeypatch.setattr(packaged.tomllib, "loads", counted)
    expected = real(packaged.read_packaged("pafix.analysis", "catalogue.toml"))
    assert packaged.load_toml("pafix.analysis", "catalogue.toml") == expected and parses == [1]
    assert packaged.load_toml("pafix.analysis", "catalogue.toml") == expected and parses == [1]
    (cached,) = (tmp_path / "cache").glob("data-catalogue.toml-*.marshal")
    blob = cached.read_bytes()
    cached.write_bytes(blob[:-5] + bytes([blob[-5] ^ 0x20]) + blob[-4:])
    assert packaged.load_toml("pafix.analysis", "catalogue.toml") == expected and parses == [1, 1]
    assert cached.read_bytes() == blob  # rewritten
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("PAFIX_CACHE_DIR", str(blocker / "cache"))
    for _ in range(2):
        assert packaged.load_toml("pafix.analysis", "secret_forms.toml") == \
            real(packaged.read_packaged("pafix.analysis", "secret_forms.toml"))
    assert parses == [1, 1, 1, 1]
