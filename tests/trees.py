"""Comparing syntax trees with their positions (node equality leaves spans out)."""

from __future__ import annotations

import dataclasses
from typing import Any


def deep(x: Any) -> Any:
    """A node as nested tuples, spans and offsets included."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (type(x).__name__,) + tuple(deep(getattr(x, f.name)) for f in dataclasses.fields(x) if f.name != "source")
    if isinstance(x, (tuple, list)):
        return tuple(deep(v) for v in x)
    return x
