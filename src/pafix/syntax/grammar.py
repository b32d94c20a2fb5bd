"""Where the Robin grammar is read from (a module of its own: the result cache hashes the
grammar without importing the parser and Lark)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pafix.packaged import read_packaged

#: the grammar in an installed wheel (``pafix/grammar/robin.lark``) and in the repo (``grammar/``)
_PACKAGED = Path(__file__).resolve().parents[1] / "grammar" / "robin.lark"
_REPO_COPY = Path(__file__).resolve().parents[3] / "grammar" / "robin.lark"


@lru_cache(maxsize=1)
def grammar_path() -> Path:
    """The grammar file: the wheel's copy, else the repo's (a checkout or an editable install)."""
    return _PACKAGED if _PACKAGED.is_file() else _REPO_COPY


def grammar_text() -> str:
    """The grammar shipped in the wheel (``pafix/grammar/robin.lark``), or the repo's copy
    (read as a plain file, see :mod:`pafix.packaged`)."""
    path = grammar_path()
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return read_packaged("pafix", "grammar", "robin.lark")


__all__ = ["grammar_path", "grammar_text"]
