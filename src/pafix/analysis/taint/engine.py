"""The taint analysis engine: where do secrets go?

Flow-sensitive within each subflow (statements in order, branches joined, loops to a fixpoint),
and across subflows: a ``CALL`` of a ``GLOBAL`` subflow joins the callee's exit state into the
caller's, a local subflow gets its parameters from the call's arguments and gives back its
outputs. The whole program is iterated until no subflow's entry or exit state changes.

The analysis does not decide what is wrong: it records :class:`Event` values (a secret stored in
a variable, a secret reaching a sink, a variable feeding a secret-bearing parameter...) and the
rules turn events into findings.

This module drives the fixpoint (:class:`Analysis`, :func:`analyse`); the lattice is in
:mod:`~pafix.analysis.taint.state`, the transfer functions in :mod:`~pafix.analysis.taint.transfer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

from pafix.syntax import nodes as n
from pafix.analysis.catalogue import Catalogue
from pafix.analysis.kinds import is_connection_string_param, marked_origin, stronger
from pafix.analysis.model import FlowModel, Subflow
from pafix.findings import Confidence, ValueKind
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint.state import Event, Label, Origin, State, join, same, widened
from pafix.analysis.taint.plans import PlanMemo
from pafix.analysis.taint.replay import TABLE_MARGIN, TABLE_SLACK, exec_top, replayable
from pafix.analysis.taint.frames import Frame, Unmapped, edit_frame
from pafix.analysis.taint.runs import Recorder, Scope
from pafix.analysis.taint.reverse import reverse_stores
from pafix.analysis.taint.transfer import Transfer, field_of
from pafix.syntax.movers import shift
from pafix.syntax.statement_memo import Memos, Recall

MAX_PROGRAM_ROUNDS = 8


#: the prepass' memo (see :meth:`Analysis._prepass`)
_PREPASS_MEMO = "analysis.prepass"
#: per variable used in a secret-bearing parameter: how sure, what the use is, where
_Uses = dict[str, tuple[Confidence, str, n.Span]]
#: what some statements hold for the prepass: the fields written into each variable, the uses
_Prepass = tuple[dict[str, frozenset[str]], _Uses]


def _moved_prepass(part: _Prepass, delta: int, dline: int) -> _Prepass:
    if not delta and not dline:
        return part
    return part[0], {key: (sure, what, shift(span, delta, dline)) for key, (sure, what, span) in part[1].items()}


def _replaces(kept: Confidence | None, new: Confidence) -> bool:
    """Whether a variable's use in a secret-bearing parameter of confidence ``new`` replaces
    the one kept so far (``kept``): the first use is kept unless a later one is surer."""
    return kept is None or (kept != "high" and new == "high")


def _joined_prepass(parts: Sequence[_Prepass]) -> _Prepass:
    """The part of consecutive statements: the fields of all, the first use as sure as any."""
    if len(parts) == 1:
        return parts[0]
    fields: dict[str, frozenset[str]] = {}
    uses: _Uses = {}
    for part_fields, part_uses in parts:
        for key, names in part_fields.items():
            known = fields.get(key)
            fields[key] = names if known is None else known | names
        for key, use in part_uses.items():
            old = uses.get(key)
            if _replaces(old[0] if old is not None else None, use[0]):
                uses[key] = use
    return fields, uses


class Analysis(Transfer):
    """Runs the taint analysis of one flow and collects events."""

    def __init__(self, model: FlowModel, catalogue: Catalogue, names: NamePolicy,
                 reuse: Analysis | None = None, remember: bool = False, memos: Memos | None = None) -> None:
        super().__init__(model, catalogue, names, memos)
        # the last analysis' recorder, when its runs may be replayed here (see replay)
        last: Recorder | None = None
        if reuse is not None and not carries_over(reuse, self) and memos is not None:
            memos.forget()  # what is kept from here on reads the catalogue (plans) or the name policy
        if reuse is not None and carries_over(reuse, self):
            # the plans of an earlier analysis of the same buffer, by call text (see Actions._plan)
            self.plan_memo = PlanMemo(reuse.plan_memo)
            kept = reuse.recorder
            if remember and kept is not None and len(reuse.variables.names) <= kept.table_limit:
                last = kept
                self.variables = reuse.variables  # its runs' states are of its table
        self.secret_inputs: set[str] = set()
        #: the origin of each secret input: its kind (credential or data) and confidence
        self.input_origins: dict[str, Origin] = {}
        #: per subflow (in model order), the names of the subflows it calls
        self._callees: list[tuple[str, ...]] = []
        self._prepass(memos)
        if remember:
            old = last.runs if reuse is not None and last is not None and replayable(reuse, self) else {}
            self.recorder = Recorder(old, last.table_limit if last is not None else 0,
                                     last.cuts if old and last is not None else None,
                                     *_moved_runs(reuse, model, memos) if old else ())

    # ---- set-up --------------------------------------------------------------------------
    def _prepass(self, memos: Memos | None) -> None:
        """Variables used in secret-bearing parameters hold secrets wherever they are read.
        Also notes the fields each variable gets written, and which subflows each subflow
        calls (for :meth:`_run_inputs`). With ``memos`` (the editor), what each block of
        top-level statements holds of both is taken over from the last check when its text is
        unchanged (:mod:`pafix.syntax.statement_memo`; it reads the plans, so the memos were
        forgotten across catalogues, and the flow's connection texts, its facts)."""
        recall: Recall[_Prepass, _Prepass] | None = None
        if memos is not None:
            facts = (self.plain_connections, self.connection_texts.with_credential)
            recall = memos.recall(_PREPASS_MEMO, facts, _moved_prepass, _joined_prepass)
        for sf in self.model.subflows:
            self._callees.append(sf.calls)
            parts: list[tuple[_Prepass, int, int]]
            if recall is None:  # a scan: the subflow's statements and actions, walked once by the model
                parts = [(self._prepass_part(sf, sf.statements, sf.actions), 0, 0)]
            else:
                parts = recall.blocks((sf.name, sf.is_global), sf.body, partial(self._top_prepass, sf))
            for (fields, uses), delta, dline in parts:
                for key, names in fields.items():
                    self.fields.setdefault(key, set()).update(names)
                for key, (sure, what, span) in uses.items():
                    old = self.secret_used.get(key)
                    if _replaces(old.confidence if old is not None else None, sure):
                        self.secret_used[key] = Origin(f"param:{key}", "secret-param", what,
                                                       shift(span, delta, dline) if delta or dline else span,
                                                       sf.name, key, "credential", sure)
        parent = self.model.solution.tainted_inputs if self.model.solution else {}
        parent_kinds = self.model.solution.tainted_kinds if self.model.solution else {}
        for var in self.model.inputs.values():
            name = var.name
            # (kind, confidence) of each reason the input holds a secret
            reasons: list[tuple[ValueKind, Confidence]] = []
            if name in parent:
                reasons.append(parent_kinds.get(name, ("credential", "high")))
            used = self.secret_used.get(name)
            if name in self.model.sensitive or var.password_format:
                reasons.append(marked_origin(name, self.names, used.confidence if used is not None else None))
            if self.names.is_secret(name):
                reasons.append(("credential", "medium"))
            if used is not None:
                reasons.append(("credential", used.confidence))
            if not reasons:
                continue
            self.secret_inputs.add(name)
            kind: ValueKind = "credential" if any(k == "credential" for k, _ in reasons) else "data"
            sure = "low"
            for k, c in reasons:
                if k == kind:  # the kind's surest evidence
                    sure = stronger(sure, c)
            what = f"{name} ({parent[name]})" if name in parent else f"{name} (secret input variable)"
            self.input_origins[name] = Origin(f"input:{name}", "input", what, var.decl.name.span, "Main", name,
                                              kind, sure)

    def _top_prepass(self, sf: Subflow, top: n.Stmt) -> tuple[_Prepass, bool]:
        """What the top-level statement ``top`` of ``sf`` holds for the prepass, and that it
        may be kept (its spans are its arguments')."""
        stmts = tuple(n.walk_statements((top,)))
        actions = [a for stmt in stmts if type(stmt) is not n.CallSubflow for a in n.statement_actions(stmt)]
        return self._prepass_part(sf, stmts, actions), True

    def _prepass_part(self, sf: Subflow, stmts: Iterable[n.Stmt], actions: Iterable[n.Action]) -> _Prepass:
        """The fields the statements ``stmts`` of ``sf`` write into each variable (see
        ``Transfer.fields``), and the variables ``actions`` (theirs) use in a secret-bearing
        parameter: for each, its first use as sure as any (how sure, what, where)."""
        fields: dict[str, set[str]] = {}
        for stmt in stmts:
            if type(stmt) is not n.Set:
                continue
            fld = field_of(stmt.target)
            if fld is not None:
                key = sf.key(fld[0].name, force_global=fld[0].is_global)
                fields.setdefault(key, set()).add(fld[1])
            elif isinstance(stmt.value, n.ObjectLit) and isinstance(stmt.target, n.Name):
                key = sf.key(stmt.target.name, force_global=stmt.target.is_global)
                names = fields.setdefault(key, set())
                names.update(e.key.literal for e in stmt.value.entries if e.key.literal is not None)
        uses: _Uses = {}
        for action in actions:
            if action.disabled:
                continue
            for i, root in self._plan(action).secret_param_roots:
                if root is None:
                    continue
                arg = action.args[i]
                key = sf.key(root.name, force_global=root.is_global)
                if key in self.plain_connections:
                    continue  # connection-string text without a credential part
                # a connection string whose text pafix cannot see may or may not carry one
                sure: Confidence = "high"
                if is_connection_string_param(arg.name) and key not in self.connection_texts.with_credential:
                    sure = "medium"
                old = uses.get(key)
                if _replaces(old[0] if old is not None else None, sure):
                    uses[key] = (sure, f"{root.name} is used as the {arg.name} of {action.name}", arg.span)
        return {key: frozenset(names) for key, names in fields.items()}, uses

    def initial_state(self) -> State:
        state = self.new_state()
        for name in self.secret_inputs:
            origin = self.input_origins[name]
            state[name] = {origin.key: Label(origin)}
        return state

    # ---- driver --------------------------------------------------------------------------
    def run(self) -> list[Event]:
        main = self.model.subflows[0]
        self.entry = {main.name: self.initial_state()}
        empty = self.new_state()
        last_inputs: dict[int, _RunInputs] = {}
        #: per subflow, the keys its last run asked about and found no credential variable
        asked: dict[int, set[str]] = {}
        for _round in range(MAX_PROGRAM_ROUNDS):
            # entry and exit states are never changed in place (only replaced): keep references
            before = (dict(self.entry), dict(self.exit))
            for i, sf in enumerate(self.model.subflows):
                starts: tuple[State, ...]  # joined into its start state
                if sf.node is None:
                    starts = (self.entry[main.name],)
                elif sf.is_global:
                    # a GLOBAL subflow sees the globals: start from Main's entry plus its callers
                    starts = (self.entry[main.name], self.entry.get(sf.name, empty))
                else:
                    starts = (self.entry.get(sf.name, empty),)
                inputs = self._run_inputs(starts, self._callees[i])
                last = last_inputs.get(i)
                if last is not None and _same_inputs(last, inputs, asked[i]):
                    continue  # it would redo its last run, whose effects are all in place already
                last_inputs[i] = inputs
                self.cred_misses = asked[i] = set()
                start = starts[0] if len(starts) == 1 else join(*starts)
                self._loop_fixpoints.clear()  # they hold for one run: the exits of callees change
                rec = self.recorder
                if rec is None:
                    out = self.exec_body(sf, tuple(sf.body), start.copy())
                else:  # the editor: replay what the statements around an edit did last time
                    try:
                        out = exec_top(self, rec, sf, start.copy())
                    except Unmapped:
                        # a replayed state with a position the edit replaced: by the argument
                        # in replay.py it cannot be, but should it, the body is run as a scan
                        # runs it (the events replayed so far are its own, in its order)
                        out = self.exec_body(sf, tuple(sf.body), start.copy())
                self.exit[sf.name] = widened(self.exit.get(sf.name), out)
            # (a state still in place is unchanged: no need to compare its contents)
            if all(before[0].get(k) is v or same(before[0].get(k, empty), v) for k, v in self.entry.items()) and all(
                before[1].get(k) is v or same(before[1].get(k, empty), v) for k, v in self.exit.items()
            ):
                break
        return list(self.events.values())

    def _run_inputs(self, starts: tuple[State, ...], callees: Iterable[str]) -> _RunInputs:
        """All that a run of a subflow reads besides the (unchanging) flow and catalogue: the
        states its start state is joined from, the exit state of each subflow it calls, and the
        credential variables seen so far (a set that only grows). Its run writes
        only by joins and first-wins merges (entries, exits, events, child inputs), so a run with
        the same inputs as the subflow's last one would change nothing and can be skipped; the
        last round of the whole-program iteration is mostly such runs. The states are kept by
        reference (see :func:`_same_inputs`)."""
        return starts, tuple(self.exit.get(c) for c in callees), frozenset(self.credential_vars)


def _moved_runs(reuse: Analysis | None, model: FlowModel,
                memos: Memos | None) -> tuple[Frame, dict[Scope, Sequence[n.Stmt]], int] | tuple[()]:
    """What the recorder needs to find and replay the runs of statements the re-parse moved
    (:mod:`~pafix.analysis.taint.replay`): the map of the edit's positions, the last flow's
    subflow bodies and where the moved statements start in this text; nothing when this flow
    was not made from the last one by moving statements."""
    moved = memos.moved if memos is not None else None
    if reuse is None or moved is None or moved.old is not reuse.model.flow.source \
            or moved.new is not model.flow.source:
        return ()
    bodies = {(sf.name, sf.is_global): sf.body for sf in reuse.model.subflows}
    return edit_frame(moved), bodies, moved.end + moved.delta


#: what a subflow's run depends on, see :meth:`Analysis._run_inputs`
_RunInputs = tuple[tuple[State, ...], tuple[State | None, ...], frozenset[str]]


def _same_inputs(a: _RunInputs, b: _RunInputs, asked: set[str]) -> bool:
    """Whether two runs of one subflow would do the same: their states hold the same taints
    and the same object field entries, and no credential variable was added since the first
    that the first asked about (``asked``, see ``Values.is_credential_var``: every other
    question gets the same answer; in a flow that fetches its credentials in Main, Main ran
    twice for the credential variables it added itself, 2.0 -> 1.0 runs on the editor's
    2,000-line benchmark flow). Entry and
    exit states are replaced, never changed in place, so the same state object is the same
    content; only states that were replaced are compared.

    States that differ only in which *variables* with no taint they hold count as the same.
    A variable's presence is read only as its taint (an absent variable reads as empty: eval,
    assign, the CALL of a subflow, ERROR =>); only field entries are tested for presence
    (``obj.`` and ``obj.a``, see ``Values._eval_field``), and so are all variables in joins and
    in ``same``, which decide how many rounds a loop or the whole program takes, not what a
    round computes. So such a run would record the same events, and give the same taints to
    the same states, as the subflow's last run did; what it would add is only the presence of
    empty variables in the states it writes (half the reruns of the generated fleet were
    these). A callee's exit that is not there yet (``None``: it has not run) reads as an empty
    state (``exec_call``), so it is the same as an exit with no taint and no field entry.
    Events, taints and everything the rules read are those of the strict test
    (``tests/test_taint_fast_paths.py`` compares both on every flow)."""
    if (a[2] != b[2] and not asked.isdisjoint(a[2] ^ b[2])) or len(a[0]) != len(b[0]) or len(a[1]) != len(b[1]):
        return False
    for x, y in zip(a[0] + a[1], b[0] + b[1]):
        if x is y:
            continue
        if x is None or y is None:
            # a callee that has not run yet: its exit reads as an empty state (exec_call)
            z = y if x is None else x
            if z is not None and (z.taint or z.mask & z.vars.fields):
                return False
        elif x.taint != y.taint or (x.mask ^ y.mask) & x.vars.fields:
            return False
    return True


def carries_over(old: Analysis, new: Analysis) -> bool:
    """Whether what ``old`` worked out from one node holds in ``new`` for a node of the same
    text (an action's plan here; a statement's rule results in :mod:`pafix.core`): besides the
    node, those read the catalogue, the name policy and, for a child flow, the solution."""
    return (old.catalogue is new.catalogue and old.names == new.names
            and old.model.solution is None and new.model.solution is None)


def analyse(model: FlowModel, catalogue: Catalogue, names: NamePolicy,
            reuse: Analysis | None = None, remember: bool = False,
            memos: Memos | None = None) -> tuple[Analysis, list[Event]]:
    """Analyse a flow. ``reuse``, an analysis of an earlier version of the same flow, lends
    the plans of the calls whose text both share (see :class:`PlanMemo`), and, when both were
    made with ``remember`` (the editor), what each chunk of top-level statements above an edit
    did (:mod:`~pafix.analysis.taint.replay`); ``memos``, the results per block of statements
    of the editor's checks (:mod:`pafix.syntax.statement_memo`), what the statements write into
    variables (the connection texts). The result is the same without them."""
    analysis = Analysis(model, catalogue, names, reuse, remember, memos)
    events = analysis.run()
    analysis.plan_memo.drop_inherited()  # the earlier version's plans need not outlive this run
    rec = analysis.recorder
    if rec is not None:
        rec.old = {}
        if not rec.table_limit:  # a table of its own: how far the next analyses may grow it
            rec.table_limit = TABLE_SLACK * len(analysis.variables.names) + TABLE_MARGIN
    # raw data a flow keeps in a plain variable before it becomes a sensitive one
    return analysis, events + reverse_stores(model, analysis._plan, names, analysis.credential_vars, memos)
