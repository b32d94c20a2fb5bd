"""Transfer functions of the taint analysis: what each statement, action call and expression
does to a :class:`~pafix.analysis.taint.state.State`.

Statements update the state in order (branches joined, loops run to a fixpoint); an action call
is read through the catalogue (its sinks, secret parameters and outputs, once per call in an
:class:`_ActionPlan`); a ``CALL`` passes taint into a subflow's entry state and takes back its
exit state. Along the way they record :class:`~pafix.analysis.taint.state.Event` values. The
whole-program iteration that drives them is in :mod:`pafix.analysis.taint.engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from pafix.syntax import nodes as n
from pafix.analysis.catalogue import ActionSpec, Catalogue, Sources, ValueKind
from pafix.findings import TraceStep
from pafix.analysis.model import ChildFlow, FlowModel, Subflow, normalize_flow_id
from pafix.analysis.kinds import connection_texts, marked_origin
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint.state import Event, Label, Origin, State, Taint, _join_taint, join, same, widened

# properties that turn a secret into something that is not (a length, a flag)
NON_SECRET_PROPERTIES = frozenset(
    {"Length", "Count", "IsEmpty", "IsNotEmpty", "RowsCount", "ColumnsCount", "IsAlive", "Exists",
     "Type", "Name", "Username", "UserName", "Id"}
)
BOOLEAN_FUNCTIONS = frozenset(
    {"IsEmpty", "IsNotEmpty", "Contains", "NotContains", "StartsWith", "NotStartsWith", "EndsWith",
     "NotEndsWith", "IsBlank", "IsNotBlank"}
)
COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">=", "AND", "OR", "NOT"})
ERROR_VAR = "<error>"
MAX_LOOP_ROUNDS = 8


def root_name(expr: n.Expr) -> n.Name | None:
    """The variable an access path starts from: ``obj['a'].b`` → ``obj``."""
    while isinstance(expr, (n.Attribute, n.Index)):
        expr = expr.value
    return expr if isinstance(expr, n.Name) else None


def literal_args(action: n.Action) -> dict[str, str]:
    """Parameters whose value is a literal or an enum member, as text (for catalogue conditions)."""
    out: dict[str, str] = {}
    for arg in action.args:
        if arg.output:
            continue
        value = arg.value
        name = "@" + arg.name if arg.dynamic else arg.name
        if isinstance(value, n.StringLit) and value.literal is not None:
            out[name] = value.literal
        elif isinstance(value, (n.Attribute, n.Name)):
            text = _dotted(value)
            if text is not None:
                out[name] = text
        elif isinstance(value, n.Index):
            text = _control_ref(value)
            if text is not None:
                out[name] = text
    return out


def _control_ref(expr: n.Expr) -> str | None:
    """``appmask['Screen']['Txt_Password']`` as text, for conditions on UI element names."""
    if isinstance(expr, n.Name):
        return expr.name
    if isinstance(expr, n.Index) and isinstance(expr.index, n.StringLit) and expr.index.literal is not None:
        inner = _control_ref(expr.value)
        return None if inner is None else f"{inner}[{expr.index.literal!r}]"
    return None


def _dotted(expr: n.Expr) -> str | None:
    if isinstance(expr, n.Name):
        return expr.name
    if isinstance(expr, n.Attribute):
        inner = _dotted(expr.value)
        return None if inner is None else f"{inner}.{expr.attr}"
    return None


def field_of(expr: n.Expr) -> tuple[n.Name, str] | None:
    """``obj['a']`` or ``obj.a`` on a variable: the variable and the field name (one level:
    ``obj['a']['b']`` is field ``a`` of ``obj`` read further)."""
    if isinstance(expr, n.Index):
        idx = expr.index
        if isinstance(expr.value, n.Name) and isinstance(idx, n.StringLit) and idx.literal is not None:
            return expr.value, idx.literal
    elif isinstance(expr, n.Attribute) and isinstance(expr.value, n.Name):
        return expr.value, expr.attr
    return None


def _step(span: n.Span, message: str) -> TraceStep:
    return TraceStep(span.line, span.column, message, span.start, span.end)


class Transfer:
    """The transfer functions, and what one run of the analysis of a flow reads and writes
    besides the states (events, credential variables, entry and exit states of subflows...).
    :class:`~pafix.analysis.taint.engine.Analysis` drives them over the whole flow."""

    def __init__(self, model: FlowModel, catalogue: Catalogue, names: NamePolicy) -> None:
        self.model = model
        self.catalogue = catalogue
        self.names = names
        self.events: dict[tuple[object, ...], Event] = {}
        self.entry: dict[str, State] = {}
        self.exit: dict[str, State] = {}
        self.credential_vars: set[str] = set()
        self.secret_used: dict[str, Origin] = {}
        #: (child workflow id, input name) -> labels of the secrets a RunFlow passes there
        self.child_taints: dict[tuple[str, str], tuple[Label, ...]] = {}
        self.import_aliases = {s.alias for s in model.flow.body if isinstance(s, n.Import)} | {"appmask", "imgrepo"}
        #: what the catalogue says of each action call (it depends on the call alone), by node id
        self._plans: dict[int, _ActionPlan] = {}
        #: loop statement id -> the fixpoint it reached last (in this run of its subflow)
        self._loop_fixpoints: dict[int, State] = {}
        self._secret_names: dict[str, bool] = {}
        #: variable key -> the fields of it the flow writes (``SET obj['a'] TO``, ``SET obj TO
        #: {'a': ...}``): a strong update of the variable forgets their field entries
        self.fields: dict[str, set[str]] = {}
        self._secret_keys: dict[str, bool] = {}
        #: variables only ever set to connection-string text without a credential part
        #: (``Integrated Security=SSPI``): not secrets, whatever their name or use
        self.connection_texts = connection_texts(model)
        self.plain_connections = self.connection_texts.plain

    def _plan(self, action: n.Action) -> _ActionPlan:
        plan = self._plans.get(id(action))
        if plan is None:
            plan = _ActionPlan(action, self.catalogue, self.names, self)
            self._plans[id(action)] = plan
        return plan

    def secret_params(self, action: n.Action) -> list[n.Arg]:
        """The input arguments of ``action`` that carry a secret, by the catalogue and the
        call's literal arguments (worked out once per action, for the analysis and the rules)."""
        return [arg for arg, _root in self._plan(action).secret_param_roots]

    def _is_secret_name(self, name: str) -> bool:
        hit = self._secret_names.get(name)
        if hit is None:
            hit = self._secret_names[name] = self.names.is_secret(name)
        return hit

    def _is_secret_key(self, key: str) -> bool:
        hit = self._secret_keys.get(key)
        if hit is None:
            hit = self._secret_keys[key] = self.names.is_secret_key(key)
        return hit

    def _event(self, event: Event) -> None:
        key = (event.kind, event.span.start, event.variable, event.param)
        old = self.events.get(key)
        if old is None:
            self.events[key] = event
            return
        merged = {lab.origin.key: lab for lab in old.labels}
        for lab in event.labels:
            merged.setdefault(lab.origin.key, lab)
        if len(merged) != len(old.labels):
            self.events[key] = Event(
                old.kind, old.subflow, old.span, old.variable, tuple(merged.values()), old.action,
                old.param, old.sink_kind, old.stmt_span,
            )

    # ---- statements -----------------------------------------------------------------------
    # ``exec_body``, ``exec_stmt``, ``exec_action`` and ``assign`` update the state they are
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

    def exec_stmt(self, sf: Subflow, stmt: n.Stmt, state: State) -> State:
        handler = _STMT_HANDLERS.get(type(stmt))
        return state if handler is None else handler(self, sf, stmt, state)

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
        for _ in range(MAX_LOOP_ROUNDS):
            entered = step(cur.copy())  # type: ignore[operator]
            out = self.exec_body(sf, body, entered)
            nxt = cur.copy()
            if not nxt.join_from(out):  # same(join(cur, out), cur)
                self._loop_fixpoints[key] = cur.copy()  # a snapshot: the caller goes on updating cur
                break
            cur = nxt
        return cur

    def exec_call(self, sf: Subflow, stmt: n.CallSubflow, state: State) -> State:
        callee = self.model.subflow(stmt.target)
        if callee is None:
            return state
        if callee.is_global:
            self.entry[callee.name] = widened(self.entry.get(callee.name), state)
            callee_exit = self.exit.get(callee.name)
            if callee_exit is not None:
                state.join_from(callee_exit)
            return state
        entry = State({k: v for k, v in state.items() if "::" not in k})
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
        self.entry[callee.name] = join(self.entry.get(callee.name, State()), entry)
        out = self.exit.get(callee.name, State())
        for arg in stmt.args:
            if arg.output:
                taint = out.get(callee.key(arg.name), {})
                state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of subflow {callee.name}")
        # globals written by the callee through GLOBAL.x
        state.join_from(State({k: v for k, v in out.items() if "::" not in k}))
        return state

    def exec_action(self, sf: Subflow, action: n.Action, state: State) -> State:
        if action.disabled:
            return state
        plan = self._plan(action)
        child = plan.child
        inputs: dict[str, Taint] = {}
        all_in: Taint = {}
        echoed: Taint = {}  # what the action's error messages may quote
        carried = False  # a credential in a parameter that is not a secret one (DecryptText's text)
        for arg, kind, secret_param, secret_root, untainted, intended, echoes in plan.inputs:
            taint: Taint = {} if untainted else self.eval(sf, arg.value, state)
            inputs[arg.name] = taint
            all_in = _join_taint(all_in, taint)
            if echoes:
                echoed = _join_taint(echoed, taint)
            if taint and not secret_param and not carried:
                carried = any(lab.origin.value_kind == "credential" for lab in taint.values())
            if child is not None and arg.dynamic:
                # a child flow of the same solution: the secret is safe in a sensitive input,
                # and the analysis follows it into the child either way
                kind = None
                if taint:
                    labels = tuple(lab.then(_step(arg.span, f"passed to input {arg.name} of child flow {child.name}"))
                                   for lab in taint.values())
                    key2 = (child.workflow_id, arg.name)
                    old = self.child_taints.get(key2, ())
                    if not old:
                        self.child_taints[key2] = labels
                    if arg.name not in child.sensitive_inputs:
                        self._event(Event("child-input", sf.name, arg.span, None, tuple(taint.values()),
                                          action.name, arg.name, child.name, action.span))
            if kind is not None and taint:
                if intended:  # the parameter is what the action is for: only a credential leaks there
                    taint = {k: lab for k, lab in taint.items() if lab.origin.value_kind == "credential"}
                if taint:
                    self.sink(sf, arg.value, state, arg.span, action.name, arg.name, kind, action.span, taint)
            if secret_param:
                root = secret_root
                if root is not None:
                    key = sf.key(root.name, force_global=root.is_global)
                    if key not in self.model.sensitive and key not in self.credential_vars \
                            and key not in self.plain_connections:
                        self._event(Event("secret-param", sf.name, arg.span, key, tuple(taint.values()),
                                          action.name, arg.name, None, action.span))
        if echoed:
            # An error message is not a secret because the action received one: only the
            # parameters the catalogue says the action's errors quote (``error_echoes``) reach
            # it. Only the origins the error variable lacks get a trace step (the others would
            # be dropped by the join).
            error = state.get(ERROR_VAR, {})
            if not echoed.keys() <= error.keys():
                step = _step(action.span, f"handled by {action.name}; its error message may quote it")
                state[ERROR_VAR] = _join_taint(error, {
                    k: lab.then(step, via_error=True) for k, lab in echoed.items() if k not in error
                })
        for arg, updated, has_root in plan.updates:
            gained: Taint = all_in if updated == "*" else {}
            if updated != "*":
                for src in updated:
                    gained = _join_taint(gained, inputs.get(src, {}))
            if gained and has_root:
                state = self.assign(sf, arg.value, gained, state, arg.span, f"updated by {action.name}", weak=True)
        is_credential = plan.is_credential
        for arg, sources, root, secret_output in plan.outputs:
            taint = {}
            if sources == "*":
                taint = all_in
            else:
                for src in sources:
                    taint = _join_taint(taint, inputs.get(src, {}))
            if taint and not plan.spec.known:  # a guess: the catalogue does not know the action
                taint = {k: Label(lab.origin, lab.steps, lab.via_error, True) for k, lab in taint.items()}
            if secret_output is not None:
                # (a child's output is not about the variable it is stored in: storing it is the finding)
                target_key = sf.key(root.name, force_global=root.is_global) if root is not None and child is None else None
                value_kind = secret_output
                if value_kind == "data" and carried and child is None:
                    # DecryptText of an encrypted credential (not of its key); a child flow's
                    # output is what the child says it is, whatever else the call passes in
                    value_kind = "credential"
                if child is not None:
                    what = f"{arg.name} of child flow {child.name} (sensitive there)"
                else:
                    what = f"{arg.name} of {action.name} (a secret source)"
                origin = Origin(
                    f"output:{action.span.start}:{arg.name}", "secret-output", what, arg.span, sf.name, target_key,
                    value_kind,
                )
                taint = _join_taint({origin.key: Label(origin)}, taint)
                if child is not None:
                    # a child's sensitive output: the store into a plain variable is the finding
                    if root is not None:
                        state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of {action.name}")
                    continue
                if root is not None:
                    key = sf.key(root.name, force_global=root.is_global)
                    if is_credential:
                        self.credential_vars.add(key)
                    if key not in self.model.sensitive and not is_credential:
                        self._event(Event("source-store", sf.name, arg.span, key, (Label(origin),),
                                          action.name, arg.name, None, action.span))
            if root is not None:
                state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of {action.name}")
        return state

    def _child_flow(self, action: n.Action, lits: dict[str, str]) -> ChildFlow | None:
        sol = self.model.solution
        if sol is None or action.name != "External.RunFlow" or "FlowId" not in lits:
            return None
        return sol.children.get(normalize_flow_id(lits["FlowId"]))

    # ---- assignments, sinks ---------------------------------------------------------------
    def assign(
        self, sf: Subflow, target: n.Expr, taint: Taint, state: State, span: n.Span, how: str,
        *, weak: bool = False, field: bool = False,
    ) -> State:
        root = root_name(target)
        if root is None:
            return state
        key = sf.key(root.name, force_global=root.is_global)
        new: Taint = {}
        if taint:  # the usual case is no taint: then no trace step to make
            step = _step(span, f"stored in {root.name} ({how})")
            new = {k: lab.then(step) for k, lab in taint.items()}
        if isinstance(target, n.Name) and not weak:
            state[key] = new  # strong update
            fields = self.fields.get(key)
            if fields is not None:  # forget what was known of its fields
                state.remove(key + ".")
                for name in fields:
                    state.remove(f"{key}.{name}")
        else:
            state[key] = _join_taint(state.get(key, {}), new)
            rest = None if field or not new else state.get(key + ".")
            if rest is not None:  # updated as a whole: any field may hold it now
                state[key + "."] = _join_taint(rest, new)
        foreign = tuple(lab for lab in new.values() if lab.origin.variable != key)
        if foreign and key not in self.model.sensitive and key not in self.credential_vars:
            self._event(Event("store", sf.name, span, key, foreign, None, None, None, span))
        return state

    def sink(
        self, sf: Subflow, value: n.Expr, state: State, span: n.Span, action: str, param: str,
        kind: str, stmt_span: n.Span, taint: Taint | None = None,
    ) -> None:
        if taint is None:
            taint = self.eval(sf, value, state)
        if taint:
            self._event(Event("sink", sf.name, span, None, tuple(taint.values()), action, param, kind, stmt_span))

    # ---- expressions ------------------------------------------------------------------------
    def eval(self, sf: Subflow, expr: n.Expr, state: State) -> Taint:
        if isinstance(expr, n.Name):
            key = sf.key(expr.name, force_global=expr.is_global)
            taint = state.get(key, {})
            extra = self._name_origin(sf, expr, key)
            return _join_taint(taint, {extra.key: Label(extra)}) if extra is not None else taint
        if isinstance(expr, (n.Attribute, n.Index)):
            root = root_name(expr)
            if root is not None and root.name in self.import_aliases:
                return {}  # appmask['Screen']['Txt_Password'] is a UI element, not data
        fld = field_of(expr)
        if fld is not None:
            base = self._eval_field(sf, fld[0], fld[1], state)
            if isinstance(expr, n.Attribute) and expr.attr in NON_SECRET_PROPERTIES:
                return {}
            if self._is_secret_key(fld[1]):
                origin = self._property_origin(sf, expr, fld[1])
                base = _join_taint(base, {origin.key: Label(origin)})
            return base
        if isinstance(expr, n.Attribute):
            if expr.attr in NON_SECRET_PROPERTIES:
                return {}
            base = self.eval(sf, expr.value, state)
            if self._is_secret_key(expr.attr):
                origin = self._property_origin(sf, expr, expr.attr)
                base = _join_taint(base, {origin.key: Label(origin)})
            return base
        if isinstance(expr, n.Index):
            base = self.eval(sf, expr.value, state)
            idx = expr.index
            if isinstance(idx, n.StringLit) and idx.literal is not None and self._is_secret_key(idx.literal):
                origin = self._property_origin(sf, expr, idx.literal)
                base = _join_taint(base, {origin.key: Label(origin)})
            return base
        if isinstance(expr, n.Call):
            if expr.func in BOOLEAN_FUNCTIONS:
                return {}
            return self._union(sf, expr.args, state)
        if isinstance(expr, n.BinOp):
            if expr.op in COMPARISONS:
                return {}
            return _join_taint(self.eval(sf, expr.left, state), self.eval(sf, expr.right, state))
        if isinstance(expr, n.UnaryOp):
            return {} if expr.op == "NOT" else self.eval(sf, expr.operand, state)
        if isinstance(expr, n.Paren):
            return self.eval(sf, expr.expr, state)
        if isinstance(expr, n.StringLit):
            if expr.kind == "encrypted":
                origin = Origin(f"enc:{expr.span.start}", "encrypted-literal",
                                "an encrypted (P'…') literal", expr.span, sf.name)
                return {origin.key: Label(origin)}
            return self._union(sf, [h.expr for h in expr.holes], state)
        if isinstance(expr, n.ListLit):
            return self._union(sf, expr.items, state)
        if isinstance(expr, n.DatatableLit):
            return self._union(sf, expr.rows, state)
        if isinstance(expr, n.ObjectLit):
            return self._union(sf, [e.value for e in expr.entries], state)
        return {}

    def _eval_field(self, sf: Subflow, root: n.Name, name: str, state: State) -> Taint:
        """The taint of field ``name`` of variable ``root``: what was stored in that field, else
        what the object's other fields hold, else the object's taint less its sensitive data
        (an object holding sensitive data is reported once, as the object, not at every field
        read; a credential in it may be in any field, so it follows every field)."""
        key = sf.key(root.name, force_global=root.is_global)
        known = state.get(f"{key}.{name}")
        if known is not None:
            return cast(Taint, known)
        rest = state.get(key + ".")
        if rest is not None:
            return cast(Taint, rest)
        whole = self.eval(sf, root, state)
        if not whole:
            return whole
        creds = {k: lab for k, lab in whole.items() if lab.origin.value_kind == "credential"}
        return whole if len(creds) == len(whole) else creds

    def _union(self, sf: Subflow, exprs: Iterable[n.Expr], state: State) -> Taint:
        out: Taint = {}
        for e in exprs:
            out = _join_taint(out, self.eval(sf, e, state))
        return out

    def _name_origin(self, sf: Subflow, expr: n.Name, key: str) -> Origin | None:
        if key in self.model.sensitive:
            use = self.secret_used.get(key)
            kind, sure = marked_origin(expr.name, self.names, use.confidence if use is not None else None)
            return Origin(f"sens:{key}", "sensitive", f"{expr.name} (sensitive variable)", expr.span, sf.name, key,
                          kind, sure)
        if key in self.credential_vars:
            return None  # a credential variable is enforced sensitive; its .Password is the secret
        used = self.secret_used.get(key)
        if used is not None:
            return used
        if self._is_secret_name(expr.name) and key not in self.model.inputs and key not in self.plain_connections:
            return Origin(f"name:{key}", "secret-name", f"{expr.name} (secret by its name)", expr.span, sf.name, key,
                          "credential", "medium")
        return None

    def value_kind_of(self, name: str, key: str) -> ValueKind:
        """What a variable the author marked sensitive holds: a credential when its name says
        so or it feeds a secret-bearing parameter (``Password:``, ``ConnectionString:``),
        sensitive data otherwise (a message, a recipient, a record)."""
        if key in self.secret_used or self._is_secret_name(name):
            return "credential"
        return "data"

    def _property_origin(self, sf: Subflow, expr: n.Expr, prop: str) -> Origin:
        root = root_name(expr)
        rname = root.name if root is not None else "value"
        key = sf.key(rname, force_global=bool(root and root.is_global))
        return Origin(f"prop:{key}.{prop}", "secret-property", f"{rname}.{prop} (a secret property)",
                      expr.span, sf.name, key, "credential", "medium")


_StmtHandler = Callable[[Transfer, Subflow, Any, State], State]
#: what :meth:`Transfer.exec_stmt` does per statement type; other statements (comments,
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


class _ActionPlan:
    """What the catalogue says of one action call: computed once, used on every visit (loops
    and whole-program rounds run a statement many times). Everything here depends only on the
    call's text (its name, parameters and literal arguments)."""

    __slots__ = ("action", "spec", "child", "inputs", "updates", "outputs", "is_credential",
                 "secret_param_roots")

    def __init__(self, action: n.Action, catalogue: Catalogue, names: NamePolicy, analysis: Transfer) -> None:
        self.action = action  # keeps the node (and so its id) alive
        spec = self.spec = catalogue.lookup(action.name)
        # Most entries say nothing of most parameters: ask the catalogue only about the tables
        # the entry has, and read the literal arguments only when a condition (or the child
        # flow lookup) needs them. The answers are those of the full questions.
        has_secret_params = bool(spec.secret_params or spec.conditional_secret_params)
        lits = literal_args(action) if _reads_literals(spec) or action.name == "External.RunFlow" else _NO_LITERALS
        child = self.child = analysis._child_flow(action, lits)
        #: (arg, sink kind, is a secret parameter, its root variable, :func:`_never_tainted`,
        #: the sink is the action's purpose, the action's errors quote it) per input argument
        self.inputs: list[tuple[n.Arg, str | None, bool, n.Name | None, bool, bool, bool]] = []
        #: (arg, the inputs it is updated from, has a root variable) per updated input argument
        self.updates: list[tuple[n.Arg, Sources, bool]] = []
        #: (arg, the inputs it derives from, its root variable, the kind of secret it always
        #: holds or None) per output
        self.outputs: list[tuple[n.Arg, Sources, n.Name | None, ValueKind | None]] = []
        self.secret_param_roots: list[tuple[n.Arg, n.Name | None]] = []
        for arg in action.args:
            if arg.output:
                secret_output: ValueKind | None = None
                if child is not None and arg.dynamic:
                    if arg.name in child.sensitive_outputs:  # the child marks it sensitive
                        secret_output = "credential" if _is_credential_name(arg.name, names) else "data"
                elif spec.secret_outputs:
                    secret_output = spec.secret_output_kind(arg.name, arg.dynamic, lits)
                self.outputs.append((arg, spec.output_sources(arg.name, arg.dynamic), root_name(arg.value),
                                     secret_output))
                continue
            secret_param = has_secret_params and spec.is_secret_param(arg.name, arg.dynamic, lits)
            # a secret parameter is never a sink (where the secret is meant to go)
            rule = None if secret_param or not spec.sinks else spec.sink_rule(arg.name, arg.dynamic, lits)
            kind = None if rule is None else rule.kind
            if child is not None and arg.dynamic:
                kind = None
            if kind is not None and arg.dynamic and _names_a_secret(arg.name, names):
                kind = None  # @secretName: the name of a secret to look up, not the secret
            root = root_name(arg.value) if secret_param else None
            intended = rule is not None and rule.intended
            echoes = bool(spec.error_echoes) and spec.echoes_in_errors(arg.name, arg.dynamic)
            self.inputs.append((arg, kind, secret_param, root, _never_tainted(arg.value), intended, echoes))
            if secret_param:
                self.secret_param_roots.append((arg, root))
            updated = spec.update_sources(arg.name, arg.dynamic) if spec.updates else None
            if updated is not None:
                self.updates.append((arg, updated, root_name(arg.value) is not None))
        self.is_credential = action.module == "PowerAutomateSecretVariables"


_NO_LITERALS: dict[str, str] = {}  #: never written: the literal arguments of a call nothing asks about


def _reads_literals(spec: ActionSpec) -> bool:
    """Whether an answer of ``spec`` depends on a call's literal arguments: only conditions
    read them (a rule without ``when``/``unless`` applies whatever the arguments)."""
    if spec.conditional_secret_params:
        return True
    for _key, rules in spec.sinks:
        for rule in rules:
            if rule.when is not None or rule.unless is not None:
                return True
    for _key, out_rules in spec.secret_outputs:
        for out_rule in out_rules:
            if out_rule.when is not None or out_rule.unless is not None:
                return True
    return False


def _never_tainted(expr: n.Expr) -> bool:
    """Whether :meth:`Transfer.eval` gives no taint for ``expr`` whatever the state: nothing in
    it reads a variable or is a source (an encrypted literal; an attribute or index, which may
    name a secret property). Almost half the arguments of a typical flow's actions are such
    constants (text, numbers, flags); they need no evaluation on each visit."""
    kind = type(expr)
    if kind is n.Name or kind is n.Attribute or kind is n.Index:  # the usual cases, decided at once
        return False
    if kind is n.Number or kind is n.Bool:
        return True
    if kind is n.StringLit:  # text: constant unless encrypted or a hole is not
        text = cast(n.StringLit, expr)
        return text.kind != "encrypted" and all(
            _never_tainted(part.expr) for part in text.parts if isinstance(part, n.Hole)
        )
    return not any(
        isinstance(e, (n.Name, n.Attribute, n.Index)) or (isinstance(e, n.StringLit) and e.kind == "encrypted")
        for e in n.walk_expr(expr)
    )


def _is_credential_name(name: str, names: NamePolicy) -> bool:
    """A name that says credential (``SmtpPassword``, ``Input_ConnectionString``); other
    sensitive values are data (``Input_EmailMessage``)."""
    return names.is_secret(name)


def _names_a_secret(param: str, names: NamePolicy) -> bool:
    """``secretName``, ``passwordPolicy``: a parameter about a secret, not holding one."""
    from pafix.analysis.names import NON_SECRET_WORDS, SECRET_WORDS, words

    ws = words(param)
    return any(w in SECRET_WORDS for w in ws) and any(w in NON_SECRET_WORDS for w in ws)
