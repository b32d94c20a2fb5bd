"""Where pafix keeps what it can rebuild: scan results (:mod:`pafix.cli.cache`) and the parser's
tables when the shipped ones do not fit (:mod:`pafix.syntax.tables`).

``$PAFIX_CACHE_DIR``, else ``$XDG_CACHE_HOME/pafix``, else ``~/.cache/pafix``; without a home
folder (a bare CI or service account), a folder of the user's in the temporary directory.
Safe to delete at any time; pafix works the same without it (only slower to start).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def default_cache_dir() -> Path:
    env = os.environ.get("PAFIX_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "pafix"
    try:
        return Path.home() / ".cache" / "pafix"
    except (RuntimeError, KeyError):  # no home folder (a bare CI or service account)
        return Path(tempfile.gettempdir()) / f"pafix-cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


__all__ = ["default_cache_dir"]
