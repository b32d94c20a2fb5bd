"""Replaying the statements above an edit: the editor's analysis of a buffer takes over, from
the analysis of the last keystroke, what each unchanged chunk of top-level statements did.

A keystroke in the middle of a 2,000-line flow leaves the statements above it the very nodes
of the last parse (:mod:`pafix.syntax.incremental`), yet the analysis ran every one of them
again: two thirds of a keystroke were the taint analysis of the whole flow. A subflow's body
is run in chunks of :data:`CHUNK` top-level statements, and the run of a chunk is a function of

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

Statements below the edit are other nodes (moved), and run: replaying them with their runs'
positions moved was measured no faster than running them (docs/performance.md, round 5).
Replaying is the editor's: a scan records nothing (``remember=False``).
"""

from __future__ import annotations

from pafix.syntax import nodes as n
from pafix.analysis.model import Subflow
from pafix.analysis.taint.runs import Recorder, Run, Runs
from pafix.analysis.taint.state import Event, Origin, State
from pafix.analysis.taint.transfer import Transfer

#: a shared table of variables is dropped (with the runs) once it holds this many times the
#: variables of the analysis that made it, plus :data:`TABLE_MARGIN`: a long editing session
#: interns every name typed letter by letter
TABLE_SLACK = 2
TABLE_MARGIN = 256
#: statements per chunk: a chunk is replayed or run as a whole. A snapshot of the state per
#: statement costs more than the runs it saves (a write after a snapshot copies the taints);
#: a chunk the edit falls in runs whole, and there are few of them
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
    analysis made from the same inputs replayed, and each run recorded for the next."""
    scope = (sf.name, sf.is_global)
    old, runs = rec.old, rec.runs
    secret_used = a.secret_used
    exec_body = a.exec_body
    body = sf.body
    for at in range(0, len(body), CHUNK):
        stmts = body[at:at + CHUNK]
        key = id(stmts[0])
        creds = rec.creds_now(a.credential_vars)
        for run in old.get(key, ()):
            if (run.scope == scope and _same_nodes(run.stmts, stmts) and _same_state(run.before, state)
                    and (run.creds is creds or run.creds == creds)
                    and all(secret_used.get(var) == origin for var, origin in run.reads)):
                for event in run.events:
                    a._event(event)
                if run.creds_after is not run.creds:
                    a.credential_vars.update(run.creds_after)
                a.cred_misses.update(run.asked)
                rec.adopt_creds(run.creds_after)
                rec.replayed += 1
                rec.node_reads[key] = run.reads
                _keep(runs, key, run)
                state = run.after.copy()
                break
        else:
            before = state.copy()
            calls = a.calls_run
            log: list[Event] = []
            reads: dict[str, Origin | None] = {}
            rec.log, rec.reads = log, reads
            outer, a.cred_misses = a.cred_misses, set()
            try:
                state = exec_body(sf, stmts, state)
            finally:
                rec.log = rec.reads = None
                asked, a.cred_misses = a.cred_misses, outer
                outer.update(asked)
            if a.calls_run == calls:  # a CALL reads and writes the callee's entry and exit
                known = rec.node_reads.get(key, ())
                if reads:
                    merged = dict(known)
                    merged.update(reads)
                    known = tuple(merged.items())
                rec.node_reads[key] = known
                _keep(runs, key, Run(stmts, scope, before, creds, state.copy(), tuple(log),
                                     rec.creds_now(a.credential_vars), known, frozenset(asked)))
    return state


def _same_nodes(a: tuple[n.Stmt, ...], b: tuple[n.Stmt, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


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
