"""pafix: a security sanitizer and rewriter for Power Automate Desktop (Robin) flows."""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any  # noqa: E402

from pafix.errors import ParseError  # noqa: E402

if TYPE_CHECKING:
    from pafix.syntax.parser import parse


def __getattr__(name: str) -> Any:
    """``pafix.parse`` imports the parser (and Lark) on first use: a warm-cache scan and
    ``pafix --version`` never need them."""
    if name == "parse":
        from pafix.syntax.parser import parse

        return parse
    raise AttributeError(f"module 'pafix' has no attribute {name!r}")

__all__ = ["ParseError", "__version__", "parse"]
