"""What the editor's analysis records of each run of a chunk of top-level statements, for the
next analysis of the buffer to replay (:mod:`~pafix.analysis.taint.replay`, which says when a
run may stand for another). Kept apart from the replay itself because the transfer functions
write into the :class:`Recorder` (the events and first-use origins of the chunk being run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pafix.syntax import nodes as n
from pafix.analysis.taint.chunks import Cuts, recut
from pafix.analysis.taint.frames import END, Frame, MAX_INTERVALS, Mapper, compose, kept_below
from pafix.analysis.taint.state import Event, Origin, State

#: the scope of a top-level statement: its subflow's name and whether it is ``GLOBAL``
Scope = tuple[str, bool]
#: what a run read of ``secret_used``: (variable key, its origin or None)
Reads = tuple[tuple[str, Origin | None], ...]


@dataclass(frozen=True, slots=True)
class Run:
    """One run of one chunk of top-level statements: what it started from and what it did.
    The states and reads hold the positions of the text the chunk was run in, ``frame`` maps
    them to those of the text the run was kept for; the events hold the latter
    (:mod:`~pafix.analysis.taint.frames`)."""

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
    frame: Frame = ()
    reach: int = END  #: no position in ``events`` reaches this offset (``frames.reach``)


#: id of a chunk's first statement -> its runs (one per time the whole-program iteration ran it)
Runs = dict[int, list[Run]]


class Recorder:
    """The runs of one analysis (:attr:`runs`) and those of the last one it may replay
    (:attr:`old`). Also what the chunk being run reads and records (:attr:`reads`, the
    events logged in :attr:`log`)."""

    __slots__ = ("old", "runs", "reads", "log", "node_reads", "creds", "_creds_len", "table_limit", "replayed",
                 "edit", "old_bodies", "moved_from", "_mappers", "_composed", "old_cuts", "cuts", "shifted", "shift")

    def __init__(self, old: Runs, table_limit: int, old_cuts: dict[Scope, Cuts] | None = None, edit: Frame = (),
                 old_bodies: dict[Scope, Sequence[n.Stmt]] | None = None, moved_from: int = END) -> None:
        self.old = old
        #: where the last analysis cut each scope's body into chunks, and this one
        #: (:mod:`~pafix.analysis.taint.chunks`)
        self.old_cuts = old_cuts or {}
        self.cuts: dict[Scope, Cuts] = {}
        #: the map of the re-parse from the last analysis' text to this one's
        self.edit = edit
        #: the last analysis' subflow bodies, by scope: a statement of this flow from offset
        #: ``moved_from`` on is the one at the same place from the end of the old body, moved
        self.old_bodies = old_bodies or {}
        self.moved_from = moved_from
        self._mappers: dict[Frame, Mapper] = {}
        self._composed: dict[Frame, Frame | None] = {}
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
        #: replayed events that are events of the last analysis moved by :attr:`shift` as a whole
        #: (every position below the edit's line, see ``Mapper.shifted``), by id: each -> (itself,
        #: the event it was); the rules take the last check's findings of that one, moved
        self.shifted: dict[int, tuple[Event, Event]] = {}
        #: where the tail starts (in the last analysis' positions) and how far it moved:
        #: offsets, lines
        self.shift: tuple[int, int, int] = (0, 0, 0)

    def creds_now(self, creds: set[str]) -> frozenset[str]:
        """The credential variables as a frozen set, made again only when the set grew (it
        only grows)."""
        if len(creds) != self._creds_len:
            self.creds = frozenset(creds)
            self._creds_len = len(creds)
        return self.creds

    def mapper(self, frame: Frame) -> Mapper:
        """The one mapper of ``frame`` in this analysis (what it mapped, it maps once)."""
        found = self._mappers.get(frame)
        if found is None:
            found = self._mappers[frame] = Mapper(frame)
        return found

    def now(self, frame: Frame) -> Frame | None:
        """The map from a run of the last analysis (its ``frame``) to this text, the same object
        for every run of the same ``frame`` (a stretch of replayed chunks compares states by
        identity only within one map); None past :data:`~pafix.analysis.taint.frames.MAX_INTERVALS`."""
        if frame in self._composed:
            return self._composed[frame]
        full: Frame | None = compose(frame, self.edit)
        if full is not None and len(full) > MAX_INTERVALS:
            full = None
        self._composed[frame] = full
        return full

    def cuts_of(self, scope: Scope, body: Sequence[n.Stmt], size: int, source: str) -> Cuts:
        """Where ``body`` (of ``scope``, in the text ``source``) is cut into chunks of about ``size`` statements: found
        once per analysis, from the last analysis' cuts where the text is the same."""
        known = self.cuts.get(scope)
        if known is None or known.body is not body or known.size != size:
            known = self.cuts[scope] = recut(body, size, source, self.old_cuts.get(scope), self.old_bodies.get(scope),
                                             kept_below(self.edit), self.moved_from)
        return known

    def adopt_creds(self, creds: frozenset[str]) -> None:
        """After a replay: the set is ``creds`` (the same object as the run's, for identity)."""
        self.creds, self._creds_len = creds, len(creds)


__all__ = ["Reads", "Recorder", "Run", "Runs", "Scope"]
