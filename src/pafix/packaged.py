"""The data files shipped inside pafix's packages (the catalogue, the secret spellings, the DLP
module map), read as plain files.

Every install but a zip has them on disk beside the modules; ``importlib.resources`` reads
them there too, but its first use imports its readers and ``zipfile``, a tenth of the imports
a one-flow scan adds to the interpreter's own. It is still what reads them when pafix is
imported from a zip.
"""

from __future__ import annotations

import importlib
from pathlib import Path


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


__all__ = ["read_packaged"]
