"""Transfer functions of the taint analysis: what each statement, action call and expression
does to a :class:`~pafix.analysis.taint.state.State`.

Split by concern: :mod:`~pafix.analysis.taint.values` holds expressions, object fields and
assignments, :mod:`~pafix.analysis.taint.plans` what the catalogue says of each action call,
:mod:`~pafix.analysis.taint.actions` what an action call does, and this module the statements:
they update the state in order (branches joined, loops run to a fixpoint), and a ``CALL``
passes taint into a subflow's entry state and takes back its exit state. Along the way they
record :class:`~pafix.analysis.taint.state.Event` values. The whole-program iteration that
drives them is in :mod:`pafix.analysis.taint.engine`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pafix.syntax import nodes as n
from pafix.analysis.model import Subflow
from pafix.analysis.taint.actions import Actions
from pafix.analysis.taint.plans import field_of, literal_args, step as _step
from pafix.syntax.nodes import root_name
from pafix.analysis.taint.state import Event, State, _join_taint, join, same, widened
from pafix.analysis.taint.values import ERROR_VAR, NON_SECRET_PROPERTIES

__all__ = ["ERROR_VAR", "NON_SECRET_PROPERTIES", "Transfer", "field_of", "literal_args", "root_name"]

MAX_LOOP_ROUNDS = 8


class Transfer(Actions):
    """The transfer functions of statements (on top of those of actions and expressions).
    :class:`~pafix.analysis.taint.engine.Analysis` drives them over the whole flow."""

    # ---- statements -----------------------------------------------------------------------
    # ``exec_body``, ``exec_action`` and ``assign`` update the state they are
    # given in place (its caller owns it and hands over a copy where it needs the old one).
    def exec_body(self, sf: Subflow, body: n.Body, state: State) -> State:
        handlers = _STMT_HANDLERS
        for stmt in body:
            if stmt.disabled:
                continue
            # dispatch on the exact node type (no node class is subclassed): most statements
            # of a body are SETs, actions and comments, which an isinstance chain would test
            # against every kind of statement in turn
            handler = handlers.get(type(stmt))
            if handler is not None:
                state = handler(self, sf, stmt, state)
        return state

    def _exec_set(self, sf: Subflow, stmt: n.Set, state: State) -> State:
        taint = self.eval(sf, stmt.value, state)
        target, value = stmt.target, stmt.value
        fld = field_of(target)
        if fld is not None:
            # Field-sensitive: the field gets exactly this taint; the object as a whole gains it;
            # the object's other fields keep what the object held before its first field write
            # (entries ``obj.a`` and ``obj.`` in the same map: no per-object dictionaries)
            root, name = fld
            key = sf.key(root.name, force_global=root.is_global)
            if key + "." not in state:
                state[key + "."] = state.get(key, {})
            state[f"{key}.{name}"] = taint
            return self.assign(sf, target, taint, state, stmt.span, "SET", field=True)
        state = self.assign(sf, target, taint, state, stmt.span, "SET")
        if isinstance(value, n.ObjectLit) and isinstance(target, n.Name):
            key = sf.key(target.name, force_global=target.is_global)
            state[key + "."] = {}
            for entry in value.entries:
                if entry.key.literal is not None:
                    state[f"{key}.{entry.key.literal}"] = self.eval(sf, entry.value, state)
        return state

    def _exec_if(self, sf: Subflow, stmt: n.If, state: State) -> State:
        outs: list[State] = []
        for branch in stmt.branches:
            cur = state.copy()
            if isinstance(branch.cond, n.Action):
                cur = self.exec_action(sf, branch.cond, cur)
            outs.append(self.exec_body(sf, branch.body, cur))
        outs.append(self.exec_body(sf, stmt.orelse, state.copy()) if stmt.orelse is not None else state)
        result = outs[0]  # a branch's own state
        for o in outs[1:]:
            result.join_from(o)
        return result

    def _exec_switch(self, sf: Subflow, stmt: n.Switch, state: State) -> State:
        bodies = [case.body for case in stmt.cases]
        if stmt.default is not None:
            bodies.append(stmt.default)
        outs = [self.exec_body(sf, body, state.copy()) for body in bodies]
        for o in outs:
            state.join_from(o)
        return state

    def _exec_foreach(self, sf: Subflow, stmt: n.ForEach, state: State) -> State:
        taint = self.eval(sf, stmt.iterable, state)
        var = stmt.var
        return self._loop(sf, stmt.body, state, lambda s: self.assign(sf, var, taint, s, stmt.span, "LOOP FOREACH"),
                          id(stmt))

    def _exec_loop_range(self, sf: Subflow, stmt: n.LoopRange, state: State) -> State:
        return self._loop(sf, stmt.body, state, lambda s: s, id(stmt))

    def _exec_while(self, sf: Subflow, stmt: n.While, state: State) -> State:
        cond = stmt.cond
        if isinstance(cond, n.Action):
            return self._loop(sf, stmt.body, state, lambda s: self.exec_action(sf, cond, s), id(stmt))
        return self._loop(sf, stmt.body, state, lambda s: s, id(stmt))

    def _exec_wait(self, sf: Subflow, stmt: n.Wait, state: State) -> State:
        if isinstance(stmt.cond, n.Action):
            return self.exec_action(sf, stmt.cond, state)
        return state

    def _exec_handler_body(self, sf: Subflow, stmt: n.OnError | n.Function, state: State) -> State:
        state.join_from(self.exec_body(sf, stmt.body, state.copy()))
        for clause in stmt.more if isinstance(stmt, n.OnError) else ():
            state.join_from(self.exec_body(sf, clause.body, state.copy()))
        return state

    def _exec_block(self, sf: Subflow, stmt: n.Block, state: State) -> State:
        after = self.exec_body(sf, stmt.body, state.copy())
        if not stmt.handlers:
            return after
        handler_start = join(state, after)
        outs = [self.exec_body(sf, handler.body, handler_start.copy()) for handler in stmt.handlers]
        result = after
        for o in outs:
            result.join_from(o)
        return result

    def _exec_exit(self, sf: Subflow, stmt: n.Exit, state: State) -> State:
        for arg in stmt.args:
            if arg.name == "ErrorMessage":
                self.sink(sf, arg.value, state, arg.span, "EXIT", "ErrorMessage", "log", stmt.span)
        return state

    def _exec_get_last_error(self, sf: Subflow, stmt: n.GetLastError, state: State) -> State:
        taint = state.get(ERROR_VAR, {})
        state = self.assign(sf, stmt.target, taint, state, stmt.span, "ERROR =>")
        if any(a.name == "Reset" and isinstance(a.value, n.Bool) and a.value.value for a in stmt.args):
            state.remove(ERROR_VAR)
        return state

    def _loop(self, sf: Subflow, body: n.Body, state: State, head: object, key: int) -> State:
        """Run a loop to its fixpoint. ``key`` (the loop statement's id) remembers the fixpoint
        within one run of the subflow: a loop entered again with a state that is :func:`same` as
        that fixpoint needs no round (its last round ran the body on such a state and added
        nothing). Without this, nested loops take time quadratic in their depth: each level runs
        the loops inside it once more after its first round."""
        fixed = self._loop_fixpoints.get(key)
        if fixed is not None and same(state, fixed):
            return state
        step = head  # callable State -> State, updating the state it is given
        cur = state
        for i in range(MAX_LOOP_ROUNDS):
            entered = step(cur.copy())  # type: ignore[operator]
            out = self.exec_body(sf, body, entered)
            nxt = cur.copy()
            taint, mask = nxt.taint, nxt.mask
            if not nxt.join_from(out):  # same(join(cur, out), cur)
                self._loop_fixpoints[key] = cur.copy()  # a snapshot: the caller goes on updating cur
                break
            cur = nxt
            if i < MAX_LOOP_ROUNDS - 1 and _settled(nxt, taint, mask):
                # the next round would change nothing and end the loop here (see _settled)
                self._loop_fixpoints[key] = cur.copy()
                break
        return cur

    def exec_call(self, sf: Subflow, stmt: n.CallSubflow, state: State) -> State:
        self.calls_run += 1  # (a run that calls a subflow is not replayed: see replay.exec_top)
        callee = self.subflows.get(stmt.target)
        if callee is None:
            return state
        if callee.is_global:
            self.entry[callee.name] = widened(self.entry.get(callee.name), state)
            callee_exit = self.exit.get(callee.name)
            if callee_exit is not None:
                state.join_from(callee_exit)
            return state
        entry = state.globals_only()
        for arg in stmt.args:
            if arg.output:
                continue
            taint = self.eval(sf, arg.value, state)
            key = callee.key(arg.name)
            entry[key] = _join_taint(entry.get(key, {}), {
                k: lab.then(_step(arg.span, f"passed to {arg.name} of subflow {callee.name}")) for k, lab in taint.items()
            })
            if taint and key not in self.model.sensitive:
                self._event(Event("call-param", sf.name, arg.span, key, tuple(taint.values()),
                                  None, arg.name, None, stmt.span))
        old_entry = self.entry.get(callee.name)
        self.entry[callee.name] = entry if old_entry is None else join(old_entry, entry)
        out = self.exit.get(callee.name)
        if out is None:
            out = self.new_state()
        for arg in stmt.args:
            if arg.output:
                taint = out.get(callee.key(arg.name), {})
                state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of subflow {callee.name}")
        # globals written by the callee through GLOBAL.x
        state.join_from(out.globals_only())
        return state



def _settled(joined: State, taint: dict[str, Any], mask: int) -> bool:
    """Whether a loop round that gave ``joined`` (from a copy of the state before it, whose
    ``taint`` dict and ``mask`` are given) added only variables with no taint: the loop's own,
    written in its first round (a write of a taint copies the shared dict, so its identity
    tells). The next round would then read the same taints and field entries, so compute the
    same taints and events (see ``engine._same_inputs``: a variable's presence is read only as
    its taint), and write no variable that is not in ``joined`` already: it would change
    nothing and end the loop. Its only other effect would be empty variables in the entry
    states of the subflows the body calls."""
    return joined.taint is taint and not (joined.mask ^ mask) & joined.vars.fields


_StmtHandler = Callable[[Transfer, Subflow, Any, State], State]
#: what :meth:`Transfer.exec_body` does per statement type; other statements (comments,
#: regions, labels, declarations...) leave the state as it is
_STMT_HANDLERS: dict[type, _StmtHandler] = {
    n.Set: Transfer._exec_set,
    n.Action: Transfer.exec_action,
    n.If: Transfer._exec_if,
    n.Switch: Transfer._exec_switch,
    n.ForEach: Transfer._exec_foreach,
    n.LoopRange: Transfer._exec_loop_range,
    n.While: Transfer._exec_while,
    n.Wait: Transfer._exec_wait,
    n.OnError: Transfer._exec_handler_body,
    n.Function: Transfer._exec_handler_body,
    n.Block: Transfer._exec_block,
    n.CallSubflow: Transfer.exec_call,
    n.Exit: Transfer._exec_exit,
    n.GetLastError: Transfer._exec_get_last_error,
}
