"""The values of the solution-export API: the loaded solution, its desktop flows, what to change
in one flow, the limits on hostile input, and the one error every reader and writer raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: the most members a zip (or files a folder) may have
MAX_MEMBERS: int = 10_000


#: the largest uncompressed size of a member (or file) that is read
MAX_MEMBER_SIZE: int = 200 * 1024 * 1024


#: the largest uncompressed:compressed ratio allowed for members above RATIO_MIN_SIZE
MAX_COMPRESSION_RATIO: float = 200.0


#: members at or below this uncompressed size are not ratio-checked
RATIO_MIN_SIZE: int = 1024 * 1024


SolutionKind = Literal["zip", "folder", "xml"]


class SolutionError(Exception):
    """A solution export that cannot be read or safely rewritten.

    The message is one line naming the file (and member); it never contains element texts.
    """


@dataclass(frozen=True, slots=True)
class _Limits:
    max_members: int = MAX_MEMBERS
    max_member_size: int = MAX_MEMBER_SIZE
    max_ratio: float = MAX_COMPRESSION_RATIO
    ratio_min_size: int = RATIO_MIN_SIZE


@dataclass(frozen=True, slots=True)
class _FlowLoc:
    """Where a flow's element texts are in its member text (``text[start:end]``)."""

    definition: tuple[int, int] | None
    inputs: tuple[int, int] | None
    outputs: tuple[int, int] | None
    #: the script came from the old ``clientdata`` package (read-only)
    v1: bool = False


@dataclass(frozen=True, slots=True)
class EmbeddedFlow:
    """One desktop flow (``<Workflow>`` with ``<Category>6</Category>``) of a solution."""

    #: the path the user gave: the .zip, the unpacked folder, or the bare XML file
    container: str
    #: zip member name, or file path relative to the folder (``/`` separated)
    member: str
    #: the ``Name`` attribute of the ``<Workflow>`` element
    name: str
    #: ``WorkflowId`` without braces, lower case
    workflow_id: str
    #: the Robin script: XML-unescaped, JSON-decoded ``<Definition>`` (CRLF kept)
    script: str
    #: parsed ``<Inputs>`` JSON (None if absent, empty or ``null``)
    inputs: dict[str, Any] | None
    #: parsed ``<Outputs>`` JSON (None if absent, empty or ``null``)
    outputs: dict[str, Any] | None
    #: parsed ``<ConnectionReferences>`` JSON
    connection_references: list[Any] | dict[str, Any] | None
    #: private: element spans in the member text, for splicing changes back
    _loc: _FlowLoc | None = field(default=None, compare=False, repr=False)

    @property
    def read_only(self) -> bool:
        """True for a v1 flow whose script came from a ``clientdata`` package."""
        return self._loc is None or self._loc.v1


@dataclass(frozen=True, slots=True, eq=False)
class _Member:
    name: str
    raw: bytes
    text: str
    codec: str
    bom: bytes
    #: the file on disk (folder / bare XML); None for zip members
    file: str | None
    #: ``text`` encodes back to exactly ``raw`` (so byte offsets can be derived from text offsets)
    splice_ok: bool
    #: member-wide XML conventions: char -> how it is written in text content
    xml_forms: Mapping[str, str]
    xml_nonascii: str | None


@dataclass(frozen=True, slots=True)
class Solution:
    """A loaded solution export and its desktop flows."""

    path: str
    kind: SolutionKind
    #: desktop flows only (Category 6), in document order
    flows: tuple[EmbeddedFlow, ...]
    _members: tuple[_Member, ...] = field(default=(), compare=False, repr=False)
    #: sha256 of the zip file as loaded (zip only)
    _digest: bytes = field(default=b"", compare=False, repr=False)
    #: the real file to rewrite (zip only)
    _file: str = field(default="", compare=False, repr=False)
    _limits: _Limits = field(default=_Limits(), compare=False, repr=False)

    def flow(self, workflow_id: str) -> EmbeddedFlow:
        """The flow with this WorkflowId (braces and case are ignored)."""
        wid = _norm_id(workflow_id)
        for f in self.flows:
            if f.workflow_id == wid:
                return f
        raise KeyError(workflow_id)


@dataclass(frozen=True, slots=True)
class FlowChange:
    """What to change in one flow."""

    #: the new Robin script
    script: str
    #: input/output variables that must get ``"format": "password"`` and ``"value": null``
    sensitive_io: frozenset[str] = frozenset()
    #: input variables removed from the script: removed from the Inputs schema and ``required``
    removed_inputs: frozenset[str] = frozenset()


def _norm_id(value: str) -> str:
    return value.strip().strip("{}").strip().lower()


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _json_error(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return type(exc).__name__

