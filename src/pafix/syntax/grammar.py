"""Where the Robin grammar is read from (a module of its own: the result cache hashes the
grammar without importing the parser and Lark)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def grammar_text() -> str:
    """The grammar shipped in the wheel (``pafix/grammar/robin.lark``), or the repo's copy."""
    packaged = resources.files("pafix").joinpath("grammar", "robin.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    repo_copy = Path(__file__).resolve().parents[3] / "grammar" / "robin.lark"
    return repo_copy.read_text(encoding="utf-8")


__all__ = ["grammar_text"]
