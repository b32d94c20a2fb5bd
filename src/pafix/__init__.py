"""pafix: a security sanitizer and rewriter for Power Automate Desktop (Robin) flows."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ParseError  # noqa: E402
from .parser import parse  # noqa: E402

__all__ = ["ParseError", "__version__", "parse"]
