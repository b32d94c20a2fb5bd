"""Replaying the statements above an edit: the editor's analysis of a buffer takes over, from
the analysis of the last keystroke, what each unchanged chunk of top-level statements did.

A keystroke in the middle of a 2,000-line flow leaves the statements above it the very nodes
of the last parse (:mod:`pafix.syntax.incremental`), yet the analysis ran every one of them
again: two thirds of a keystroke were the taint analysis of the whole flow. A subflow's body
is run in chunks of about :data:`CHUNK` top-level statements, cut by their text
(:mod:`~pafix.analysis.taint.chunks`: a statement typed or deleted above leaves the chunks below
it as they were, moved), and the run of a chunk is a function of

* its nodes (the same objects: the same text at the same place),
* the state it starts from and the credential variables known so far (both compared; the
  keys it asked about and found no credential variable are recorded, :attr:`Run.asked`, for
  the whole-program iteration's test of a rerun),
* the subflow it runs in (its name and whether it is ``GLOBAL``: the variable keys),
* facts of the whole flow that the transfer functions read: the sensitive names, the input
  names, the fields each variable gets, the connection-string texts and the import aliases
  (compared once, see :func:`replayable`), the catalogue, the name policy and no solution
  (:func:`~pafix.analysis.taint.engine.carries_over`),
* the origin of each variable used in a secret parameter that its names read
  (``secret_used``: the first use may lie below the edit, where offsets moved; compared per
  run, from what the run read: :attr:`Run.reads`),
* and, for a ``CALL``, the entry and exit states of the callee: a run that called a subflow
  is never kept.

and its effect is the state it ends with, the events it records (in order: a later event of
the same key merges into an earlier one, so they are recorded again, not copied) and the
credential variables it adds. So a run whose inputs are those of a run of the last analysis
is that run: :func:`exec_top` takes its end state and records its events instead of running
the chunk. States are compared by contents, but a replayed chunk hands on its recorded end
state, which is the recorded start state of the next one: down a stretch of replayed chunks
the comparison is an identity test. For that, the two analyses share their table
of variables (:class:`~pafix.analysis.taint.state.Variables`), which only grows; a table grown
past :data:`TABLE_SLACK` times what one analysis needs is dropped with the runs.

Statements below the edit are the old ones moved by the re-parse: either other nodes, and a
chunk of them is matched with the run of the old chunk at the same place from the end of its
body (:attr:`Recorder.old_bodies <pafix.analysis.taint.runs.Recorder>`), or, in a displaced
part (:mod:`pafix.syntax.displaced`), the very old nodes, at another place than last time;
either way the comparison and the replay are made in this text's positions. (So the same
nodes are not the same place: only above the edit are they.) A run keeps the positions it was recorded with
and a map to the current ones (:mod:`~pafix.analysis.taint.frames`): moving every run's
states eagerly cost what running the chunks costs (round 5), while down a stretch of replayed
chunks the states still compare by identity, and only the events handed on, and the state
where the stretch ends, are moved. A chunk whose start state holds a position inside the text
the edit replaced (an assignment made by the edited statement, say) runs again.
Replaying is the editor's: a scan records nothing (``remember=False``).
"""

from __future__ import annotations

from operator import is_

from pafix.syntax import nodes as n
from pafix.syntax.displaced import chunk_of, span_at
from pafix.analysis.model import Subflow
from pafix.analysis.taint.chunks import chunks
from pafix.analysis.taint.frames import Frame, Unmapped, kept_below, reach
from pafix.analysis.taint.runs import Reads, Recorder, Run, Runs
from pafix.analysis.taint.state import Event, Origin, State
from pafix.analysis.taint.transfer import Transfer

#: a shared table of variables is dropped (with the runs) once it holds this many times the
#: variables of the analysis that made it, plus :data:`TABLE_MARGIN`: a long editing session
#: interns every name typed letter by letter
TABLE_SLACK = 2
TABLE_MARGIN = 256
#: statements per chunk, on average: a chunk is replayed or run as a whole. A snapshot of the
#: state per statement costs more than the runs it saves (a write after a snapshot copies the
#: taints); a chunk the edit falls in runs whole, and there are few of them. Chunks are cut by
#: the statements' text (:mod:`~pafix.analysis.taint.chunks`): one typed or deleted above
#: leaves the chunks below it as they were, moved
CHUNK = 32


def replayable(old: Transfer, new: Transfer) -> bool:
    """Whether runs of ``old`` may stand for runs of ``new`` at all: the facts of the whole flow
    the transfer functions read are the same (see the module docstring)."""
    return (old.model.sensitive == new.model.sensitive
            and old.model.inputs.keys() == new.model.inputs.keys()
            and old.fields == new.fields
            and old.connection_texts == new.connection_texts
            and old.import_aliases == new.import_aliases)


def exec_top(a: Transfer, rec: Recorder, sf: Subflow, state: State) -> State:
    """``a.exec_body(sf, sf.body, state)``, with each chunk of statements whose run the last
    analysis made from the same inputs replayed, and each run recorded for the next. Below an
    edit the chunks are moved nodes: their runs are found through the old body and compared,
    and their events replayed, with positions mapped (:mod:`~pafix.analysis.taint.frames`)."""
    scope = (sf.name, sf.is_global)
    old, runs = rec.old, rec.runs
    exec_body = a.exec_body
    body = sf.body
    old_body = rec.old_bodies.get(scope)
    shift = len(body) - len(old_body) if old_body is not None else 0  # old index = new index - shift
    edit_keeps = kept_below(rec.edit)
    moved_by = rec.edit[-1][2] if rec.edit else 0  # the offsets the statements below the edit moved by
    at_frame: Frame = ()  # maps the positions of ``state`` to this text's (a replayed run's own)
    for at, end in chunks(rec.cuts_of(scope, body, CHUNK, a.model.flow.source)):
        # a chunk of displaced statements (:mod:`pafix.syntax.displaced`) is their old nodes,
        # the same objects from keystroke to keystroke: its runs are found and recorded by
        # them, and the statements are moved only to be run
        stmts, displaced = chunk_of(body, at, end)
        key = id(stmts[0])
        creds = rec.creds_now(a.credential_vars)
        was = stmts  # the nodes of the last analysis these are
        candidates = old.get(key, ())
        below = span_at(body, at).start >= rec.moved_from  # (moved by this edit)
        if not candidates and old_body is not None and below and 0 <= at - shift < len(old_body):
            was = chunk_of(old_body, at - shift, at - shift + len(stmts))[0]
            # (the old ones moved: a check, should two subflows share a scope; the two runs of
            # statements are consecutive in their bodies, so their ends tell)
            if (len(was) == len(stmts)
                    and span_at(old_body, at - shift).start + moved_by == span_at(body, at).start
                    and span_at(old_body, at - shift + len(was) - 1).end + moved_by == span_at(body, end - 1).end):
                candidates = old.get(id(was[0]), ())
        for run in candidates:
            if not (run.scope == scope and _same_nodes(run.stmts, was)
                    and (run.creds is creds or run.creds == creds)):
                continue
            # a run kept as it was recorded, of these very nodes above the edit, is compared as
            # it is (the state and what it read must equal today's, positions included); any
            # other in this text's positions: a run kept moved, one of nodes the edit moved
            # (other nodes, ``was``), and one of these very nodes below the edit. The last are
            # a displaced part's old nodes (:mod:`pafix.syntax.displaced`), the same objects
            # from keystroke to keystroke at another place each time -- also when the shifts
            # composed over keystrokes add up to none and they are not displaced at all: the
            # run holds the last text's positions, and this edit moved the chunk
            frame: Frame | None = rec.now(run.frame) if was is not stmts or run.frame or below else ()
            if frame is None:
                continue
            replayed = _replayed(a, rec, run, frame, state, at_frame, edit_keeps)
            if replayed is None:
                continue
            events, reads = replayed
            for event in events:
                a._event(event)
            if run.creds_after is not run.creds:
                a.credential_vars.update(run.creds_after)
            a.cred_misses.update(run.asked)
            rec.adopt_creds(run.creds_after)
            rec.replayed += 1
            rec.node_reads[key] = reads
            if was is not stmts or frame != run.frame or events is not run.events:
                run = Run(stmts, scope, run.before, run.creds, run.after, events, run.creds_after, run.reads,
                          run.asked, frame, run.reach if events is run.events else reach(events))
            _keep(runs, key, run)
            state, at_frame = run.after.copy(), frame
            break
        else:
            if at_frame:  # after replayed chunks whose positions moved: run from this text's
                state, at_frame = rec.mapper(at_frame).state(state).copy(), ()
            before = state.copy()
            calls = a.calls_run
            log: list[Event] = []
            new_reads: dict[str, Origin | None] = {}
            rec.log, rec.reads = log, new_reads
            outer, a.cred_misses = a.cred_misses, set()
            try:
                state = exec_body(sf, tuple(body[at:end]) if displaced else stmts, state)
            finally:
                rec.log = rec.reads = None
                asked, a.cred_misses = a.cred_misses, outer
                outer.update(asked)
            if a.calls_run == calls:  # a CALL reads and writes the callee's entry and exit
                known = rec.node_reads.get(key, ())
                if new_reads:
                    merged = dict(known)
                    merged.update(new_reads)
                    known = tuple(merged.items())
                rec.node_reads[key] = known
                recorded = tuple(log)
                _keep(runs, key, Run(stmts, scope, before, creds, state.copy(), recorded,
                                     rec.creds_now(a.credential_vars), known, frozenset(asked), (),
                                     reach(recorded)))
    if at_frame:
        state = rec.mapper(at_frame).state(state).copy()
    return state


def _replayed(a: Transfer, rec: Recorder, run: Run, frame: Frame, state: State, at_frame: Frame,
              edit_keeps: int) -> tuple[tuple[Event, ...], Reads] | None:
    """Whether ``run`` (of the last analysis, mapped to this text by ``frame``) may stand for the
    run of its chunk from ``state`` (mapped by ``at_frame``): its events, mapped, and the
    first-use origins it read, in this text's positions; None when it may not."""
    try:
        if frame == at_frame:
            if not _same_state(run.before, state):
                return None
        elif not _same_state(rec.mapper(frame).state(run.before), rec.mapper(at_frame).state(state)):
            return None
        reads = run.reads
        if frame:
            mapper = rec.mapper(frame)
            reads = tuple([(var, origin if origin is None else mapper.origin(origin)) for var, origin in reads])
        if not _reads_hold(a.secret_used, reads):
            return None
        # the events hold the last text's positions: only this edit moves them
        events = run.events
        if frame and run.reach > edit_keeps:
            edit = rec.mapper(rec.edit)
            events = tuple([edit.event(e) for e in events])
            if all(map(is_, events, run.events)):
                events = run.events
            else:
                shifted, shifts = rec.shifted, edit.shifted
                rec.shift = (edit.tail, *edit.tail_moves)
                for new, was in zip(events, run.events):
                    if new is not was and shifts(was):
                        shifted[id(new)] = (new, was)
        return events, reads
    except Unmapped:
        return None


def _same_nodes(a: tuple[n.Stmt, ...], b: tuple[n.Stmt, ...]) -> bool:
    # (``map(is_, ...)`` compares in C: a keystroke compares ~470 chunks' nodes, ~17,000 pairs)
    return len(a) == len(b) and all(map(is_, a, b))


def _keep(runs: Runs, key: int, run: Run) -> None:
    kept = runs.get(key)
    if kept is None:
        runs[key] = [run]
    elif all(k is not run for k in kept):
        kept.append(run)


def _same_state(a: State, b: State) -> bool:
    """The same variables with the same taints, labels and all (a replayed run's events carry
    the labels of its start state). States of two tables of variables are never the same here."""
    return a.vars is b.vars and a.mask == b.mask and (a.taint is b.taint or a.taint == b.taint)


def _reads_hold(secret_used: dict[str, Origin], reads: Reads) -> bool:
    """Whether each first-use origin a run read is today's: a loop, and the same object before
    ``==`` (a frozen dataclass compares all its fields as tuples; a keystroke asks this of
    ~8,000 reads, and most are the very origins: a quarter of the genexpr's time)."""
    get = secret_used.get
    for var, origin in reads:
        now = get(var)
        if now is not origin and now != origin:
            return False
    return True
