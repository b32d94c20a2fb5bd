"""Where the Robin grammar is read from (a module of its own: the result cache hashes the
grammar without importing the parser and Lark)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

#: the grammar in an installed wheel (``pafix/grammar/robin.lark``) and in the repo (``grammar/``)
_PACKAGED = Path(__file__).resolve().parents[1] / "grammar" / "robin.lark"
_REPO_COPY = Path(__file__).resolve().parents[3] / "grammar" / "robin.lark"


@lru_cache(maxsize=1)
def grammar_path() -> Path:
    """The grammar file: the wheel's copy, else the repo's (a checkout or an editable install)."""
    return _PACKAGED if _PACKAGED.is_file() else _REPO_COPY


def grammar_text() -> str:
    """The grammar shipped in the wheel (``pafix/grammar/robin.lark``), or the repo's copy.
    Read as a plain file when there is one (importing ``importlib.resources``' readers took a
    sixth of building the parser from its tables); through ``importlib.resources`` when pafix
    is imported from a zip."""
    path = grammar_path()
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return resources.files("pafix").joinpath("grammar", "robin.lark").read_text(encoding="utf-8")


__all__ = ["grammar_path", "grammar_text"]
