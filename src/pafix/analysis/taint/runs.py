"""What the editor's analysis records of each run of a chunk of top-level statements, for the
next analysis of the buffer to replay (:mod:`~pafix.analysis.taint.replay`, which says when a
run may stand for another). Kept apart from the replay itself because the transfer functions
write into the :class:`Recorder` (the events and first-use origins of the chunk being run).
"""

from __future__ import annotations

from dataclasses import dataclass

from pafix.syntax import nodes as n
from pafix.analysis.taint.state import Event, Origin, State

#: the scope of a top-level statement: its subflow's name and whether it is ``GLOBAL``
Scope = tuple[str, bool]
#: what a run read of ``secret_used``: (variable key, its origin or None)
Reads = tuple[tuple[str, Origin | None], ...]


@dataclass(frozen=True, slots=True)
class Run:
    """One run of one chunk of top-level statements: what it started from and what it did."""

    stmts: tuple[n.Stmt, ...]  #: keeps the nodes, and so their ids, alive
    scope: Scope
    before: State  #: the start state (a snapshot: never written)
    creds: frozenset[str]  #: the credential variables known at its start
    after: State  #: the end state (a snapshot)
    events: tuple[Event, ...]  #: the events it recorded, in order
    creds_after: frozenset[str]
    reads: Reads  #: the ``secret_used`` entries its names read (in this run or an earlier one)
    #: the keys it asked about and found no credential variable (``Values.is_credential_var``)
    asked: frozenset[str]


#: id of a chunk's first statement -> its runs (one per time the whole-program iteration ran it)
Runs = dict[int, list[Run]]


class Recorder:
    """The runs of one analysis (:attr:`runs`) and those of the last one it may replay
    (:attr:`old`). Also what the chunk being run reads and records (:attr:`reads`, the
    events logged in :attr:`log`)."""

    __slots__ = ("old", "runs", "reads", "log", "node_reads", "creds", "_creds_len", "table_limit", "replayed")

    def __init__(self, old: Runs, table_limit: int) -> None:
        self.old = old
        self.runs: Runs = {}
        self.reads: dict[str, Origin | None] | None = None
        self.log: list[Event] | None = None
        #: chunk (id of its first statement) -> the ``secret_used`` entries its names read (they
        #: are read once per node and analysis: a later run of the chunk reads the memo)
        self.node_reads: dict[int, Reads] = {}
        self.creds: frozenset[str] = frozenset()
        self._creds_len = 0
        #: how large the shared table of variables may grow (see :data:`TABLE_SLACK`)
        self.table_limit = table_limit
        self.replayed = 0  #: how many runs were replayed, not run

    def creds_now(self, creds: set[str]) -> frozenset[str]:
        """The credential variables as a frozen set, made again only when the set grew (it
        only grows)."""
        if len(creds) != self._creds_len:
            self.creds = frozenset(creds)
            self._creds_len = len(creds)
        return self.creds

    def adopt_creds(self, creds: frozenset[str]) -> None:
        """After a replay: the set is ``creds`` (the same object as the run's, for identity)."""
        self.creds, self._creds_len = creds, len(creds)


__all__ = ["Reads", "Recorder", "Run", "Runs", "Scope"]
