"""pafix: a security sanitizer and rewriter for Power Automate Desktop (Robin) flows."""

from __future__ import annotations

__version__ = "0.1.0"
