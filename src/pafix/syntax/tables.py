"""The built Lark parser (its LALR table, rules and terminals), read from a file instead of
built from the grammar at each start.

Building the parser from ``robin.lark`` costs ~3.5 G instructions (about half a second): the
grammar is parsed and the LALR table computed. Loading the built parser costs ~0.1 G. Lark's
own ``cache=True`` keeps it in the temporary directory, which a CI runner starts empty each
job (so every one-flow scan in CI paid the build), and which other users of the machine can
write to first (Lark loads the file with ``pickle``). So pafix keeps the built parser itself:

1. ``pafix/grammar/robin.tables``, shipped beside the grammar (written by
   ``python -m pafix.syntax.tables``; tests/test_parser_tables.py fails when it no longer
   matches the grammar): read-only, so a pip-installed wheel and a read-only install use it;
2. else ``parser-<key>.tables`` in pafix's cache folder (:func:`pafix.cachedir.default_cache_dir`),
   written after a build, when the shipped file does not fit (another Lark or Python version,
   an edited grammar) and the folder can be written.

A file is used only when its key, a hash of this format's version, the grammar's text, the
Lark options, Lark's version and Python's, is the one of this process, and its content's
SHA-256 is the one its header gives (:func:`pafix.cachedir.unseal`). Anything else (a
missing, stale, truncated or corrupt file, one that does not load) is ignored, and the parser
is built as without it: pafix parses the same with or without these files, only slower to
start. The content is ``marshal`` data (dicts, lists, strings and numbers, as Lark's
``memo_serialize`` gives them), compressed: no ``pickle``, so no file can run code when it is
read.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lark import Lark
from lark import __version__ as lark_version

from pafix.cachedir import default_cache_dir, read_bytes, seal, unseal, write_atomic
from pafix.syntax.grammar import grammar_path

#: bump when the layout of a tables file changes
FORMAT = 2
_KIND = b"pafix-parser-tables"
#: the options of the one Lark parser (``strict`` and ``transformer`` aside)
LARK_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "start": ["start", "expr"],
    "keep_all_tokens": True,
    "maybe_placeholders": False,
    "propagate_positions": False,
}


def lark_options(*, strict: bool = False, transformer: Any = None) -> dict[str, Any]:
    """The options of :func:`pafix.syntax.builder.build_lark` (``strict``: Lark's checks of the
    grammar, for the tests; ``transformer``: the parse-time callbacks)."""
    return {**LARK_OPTIONS, "transformer": transformer, "strict": strict}


def key(grammar: str, options: dict[str, Any]) -> str:
    """What a tables file must have been built from: this format, the grammar, the options
    (``transformer`` aside: it is given when the file is loaded), Lark's and Python's versions."""
    described = repr(sorted((k, repr(v)) for k, v in options.items() if k != "transformer"))
    text = "\0".join((str(FORMAT), grammar, described, lark_version, "%d.%d" % sys.version_info[:2]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shipped_path() -> Path:
    """``robin.tables`` beside the grammar file (in the wheel, or the repo's ``grammar/``)."""
    return grammar_path().with_name("robin.tables")


def cached_path(build_key: str) -> Path:
    return default_cache_dir() / f"parser-{build_key[:32]}.tables"


def dump(lark: Lark, build_key: str) -> bytes:
    """A tables file of ``lark`` (:func:`pafix.cachedir.seal`): Lark's own serialisation, what
    ``Lark.save`` pickles."""
    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    data, memo = lark.memo_serialize([TerminalDef, Rule])
    # the options given again when loading (the transformer...) are left out, as Lark.save does
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    return seal(_KIND, build_key, {"data": data, "memo": memo, "built": built_from(lark.source_grammar)})


def built_from(grammar: str) -> dict[str, str]:
    """What a tables file says it was built from, in plain words (the key is a hash of these
    and the options): the grammar's SHA-256 and the Lark and Python versions. A file built
    with another Lark or Python is not used (:func:`key`), yet still fits the grammar."""
    return {"grammar": hashlib.sha256(grammar.encode("utf-8")).hexdigest(), "lark": lark_version,
            "python": "%d.%d" % sys.version_info[:2]}


def described(blob: bytes) -> dict[str, str] | None:
    """:func:`built_from` as recorded in the tables file ``blob`` whatever its key (``None``
    for a file that is not an intact tables file): tells a file stale for the grammar from
    one written by another Lark or Python."""
    key_word = blob.partition(b"\n")[0].split(b" ")
    tables = unseal(blob, _KIND, key_word[1].decode("ascii", "replace")) if len(key_word) == 3 else None
    built = tables.get("built") if isinstance(tables, dict) else None
    return built if isinstance(built, dict) else None


def load(blob: bytes, build_key: str, transformer: Any) -> Lark | None:
    """The parser in ``blob``, or ``None`` when it is not a tables file of ``build_key`` or
    does not load."""
    tables = unseal(blob, _KIND, build_key)
    if not isinstance(tables, dict):
        return None
    try:
        loaded: Lark = Lark._load_from_dict(tables["data"], tables["memo"], transformer=transformer)  # type: ignore[no-untyped-call]
        return loaded
    except Exception:  # noqa: BLE001 - a file that does not load is one more reason to build
        return None


def lark_from_tables(grammar: str, options: dict[str, Any], build: Callable[[], Lark]) -> Lark:
    """The parser of ``grammar`` with ``options``: from the shipped tables, else from pafix's
    cache folder, else ``build()`` (then written to the cache folder for the next start)."""
    build_key = key(grammar, options)
    transformer = options.get("transformer")
    cached = cached_path(build_key)
    for path in (shipped_path(), cached):
        blob = read_bytes(path)
        if blob is not None:
            lark = load(blob, build_key, transformer)
            if lark is not None:
                return lark
    lark = build()
    try:
        blob = dump(lark, build_key)
    except Exception:  # noqa: BLE001 - a Lark that serialises otherwise: built each start, as before
        return lark
    write_atomic(cached, blob)
    return lark


def main() -> int:
    """Write the shipped tables file (``grammar/robin.tables``) for this grammar, Lark and Python."""
    from pafix.syntax.grammar import grammar_text

    path = Path(__file__).resolve().parents[3] / "grammar" / "robin.tables"
    grammar, options = grammar_text(), lark_options()
    path.write_bytes(dump(Lark(grammar, **options), key(grammar, options)))
    print(f"wrote {path} (Lark {lark_version}, Python {sys.version_info[0]}.{sys.version_info[1]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["FORMAT", "LARK_OPTIONS", "built_from", "cached_path", "described", "dump", "key", "lark_from_tables", "lark_options", "load",
           "shipped_path"]
