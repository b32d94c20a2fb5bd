"""What the front ends hand to the checker: one flow to check and where it came from.

A foundation module: loose files (:mod:`pafix.cli.sources`) and solution exports
(:mod:`pafix.solutions.units`) both produce :class:`Unit` values, and the checks
(:mod:`pafix.solutions.check`, the job pool, the result cache) consume them, without any of
them importing another's package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pafix.syntax.textio import DecodedText


@dataclass(frozen=True, slots=True)
class Unit:
    """One flow to check: a file, or one desktop flow of a solution export."""

    path: str  #: as displayed: the file, or the solution container
    text: str | None  #: None when it could not be read
    error: str | None = None
    flow: str | None = None  #: workflow name inside a solution
    decoded: DecodedText | None = field(default=None, compare=False)
    raw: bytes | None = field(default=None, compare=False, repr=False)
    password_io: frozenset[str] = frozenset()
    workflow_id: str | None = None
    #: input/output names in the solution's Inputs/Outputs JSON (None for a loose file)
    io_names: frozenset[str] | None = None
