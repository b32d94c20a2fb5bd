"""Power Platform solution exports: reading and writing the desktop flows inside them, and
checking / rewriting the flows of one solution together (child-flow links).

Pure I/O, no Robin parsing. Supported containers:

* a packed solution ``.zip`` (``customizations.xml`` at the root),
* an unpacked solution folder (``Workflows/*.json.data.xml``, one ``<Workflow>`` each, and/or
  ``Other/Customizations.xml`` / ``customizations.xml`` with the workflows inline),
* a bare ``customizations.xml`` or ``*.json.data.xml`` file.

One module per format concern: :mod:`~pafix.solutions.archive` (the zip),
:mod:`~pafix.solutions.folder` (unpacked folders and bare XML files),
:mod:`~pafix.solutions.customizations` (finding ``<Workflow>`` elements and their spans),
:mod:`~pafix.solutions.xmltext` (element text decoding and encoding),
:mod:`~pafix.solutions.definition` (the ``<Definition>`` JSON string),
:mod:`~pafix.solutions.schema` (``<Inputs>``/``<Outputs>``), :mod:`~pafix.solutions.clientdata`
(v1 flows, read-only), :mod:`~pafix.solutions.guards` (hostile input),
:mod:`~pafix.solutions.render` (the splice) and :mod:`~pafix.solutions.write` (atomic writes).
:mod:`~pafix.solutions.check` and :mod:`~pafix.solutions.rewrite` check and rewrite the flows of
one solution together.

Safety: member names with path traversal, too many members, oversized members, absurd
compression ratios, corrupt archives, DTDs (``<!DOCTYPE``/``<!ENTITY`` anywhere in the raw text,
even in a comment or CDATA: refused outright) and undecodable element texts all raise
:class:`SolutionError`. Nothing is ever extracted to disk. A zip or file that changed on disk
since it was loaded is not overwritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pafix.lazy import lazy_names

if TYPE_CHECKING:
    from pafix.solutions.container import is_solution_path, load_solution, write_solution
    from pafix.solutions.model import (
        MAX_COMPRESSION_RATIO,
        MAX_MEMBER_SIZE,
        MAX_MEMBERS,
        RATIO_MIN_SIZE,
        EmbeddedFlow,
        FlowChange,
        Solution,
        SolutionError,
    )
    from pafix.solutions.render import render_changes

#: where each public name lives; loaded on first use (PEP 562), so that importing one module of
#: the package (``pafix.solutions.units`` in the front end) does not load the zip and XML code
_PUBLIC = {
    "MAX_COMPRESSION_RATIO": "model",
    "MAX_MEMBERS": "model",
    "MAX_MEMBER_SIZE": "model",
    "RATIO_MIN_SIZE": "model",
    "EmbeddedFlow": "model",
    "FlowChange": "model",
    "Solution": "model",
    "SolutionError": "model",
    "is_solution_path": "container",
    "load_solution": "container",
    "render_changes": "render",
    "write_solution": "container",
}

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "RATIO_MIN_SIZE",
    "EmbeddedFlow",
    "FlowChange",
    "Solution",
    "SolutionError",
    "is_solution_path",
    "load_solution",
    "render_changes",
    "write_solution",
]


__getattr__ = lazy_names(__name__, _PUBLIC)
