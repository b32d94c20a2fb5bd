"""The action catalogue: what each Robin action does with secrets, as data.

The data is ``pafix/analysis/catalogue.toml`` (see ``docs/catalogue.md``);
:mod:`~pafix.analysis.catalogue.loader` reads and validates it (plus user entries from the
configuration), :mod:`~pafix.analysis.catalogue.spec` holds the types and answers the questions
the taint analysis asks about one action call. Import from here.
"""

from pafix.analysis.catalogue.loader import build_catalogue, default_catalogue, load_catalogue
from pafix.analysis.catalogue.spec import (
    SINK_KINDS,
    ActionSpec,
    Catalogue,
    CatalogueError,
    Condition,
    OutputRule,
    SinkKind,
    SinkRule,
    Sources,
    ValueKind,
)

__all__ = [
    "SINK_KINDS",
    "ActionSpec",
    "Catalogue",
    "CatalogueError",
    "Condition",
    "OutputRule",
    "SinkKind",
    "SinkRule",
    "Sources",
    "ValueKind",
    "build_catalogue",
    "default_catalogue",
    "load_catalogue",
]
