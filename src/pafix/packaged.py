"""The data files shipped inside pafix's packages (the catalogue, the secret spellings, the DLP
module map), read as plain files.

Every install but a zip has them on disk beside the modules; ``importlib.resources`` reads
them there too, but its first use imports its readers and ``zipfile``, a tenth of the imports
a one-flow scan adds to the interpreter's own. It is still what reads them when pafix is
imported from a zip.

:func:`load_toml` keeps what ``tomllib`` made of a shipped TOML file in pafix's cache folder,
keyed by the file's SHA-256: ``tomllib`` is pure Python, and parsing the catalogue (40 KB)
was 5% of a one-flow scan's instructions, at every start. The cached copy is read back with
``marshal`` (:func:`pafix.cachedir.unseal`); a missing, stale or damaged one, or a cache
folder that cannot be written, only means the file is parsed again.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import tomllib
from pathlib import Path
from typing import Any

from pafix.cachedir import default_cache_dir, read_bytes, seal, unseal, write_atomic

_KIND = b"pafix-toml"


def read_packaged(package: str, *parts: str) -> str:
    """The text (UTF-8) of ``parts`` inside ``package``: ``read_packaged("pafix.analysis",
    "catalogue.toml")``."""
    file = getattr(importlib.import_module(package), "__file__", None)
    if file:
        path = Path(file).parent.joinpath(*parts)
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files(package).joinpath(*parts).read_text(encoding="utf-8")


def load_toml(package: str, name: str) -> dict[str, Any]:
    """``tomllib.loads`` of the shipped file ``name`` of ``package``, from pafix's cache folder
    when it holds the parse of this very text. Raises ``tomllib.TOMLDecodeError`` as
    ``tomllib`` does."""
    text = read_packaged(package, name)
    key = hashlib.sha256(("%d.%d\0" % sys.version_info[:2] + text).encode("utf-8")).hexdigest()
    path = default_cache_dir() / f"data-{name}-{key[:32]}.marshal"
    blob = read_bytes(path)
    if blob is not None:
        data = unseal(blob, _KIND, key)
        if isinstance(data, dict):
            return data
    data = tomllib.loads(text)
    try:
        sealed = seal(_KIND, key, data)
    except ValueError:  # a value marshal does not write (a TOML date): parsed at each start
        return data
    write_atomic(path, sealed)
    return data


__all__ = ["load_toml", "read_packaged"]
