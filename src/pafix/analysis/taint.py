"""Taint analysis: where do secrets go?

Flow-sensitive within each subflow (statements in order, branches joined, loops to a fixpoint),
and across subflows: a ``CALL`` of a ``GLOBAL`` subflow joins the callee's exit state into the
caller's, a local subflow gets its parameters from the call's arguments and gives back its
outputs. The whole program is iterated until no subflow's entry or exit state changes.

The analysis does not decide what is wrong: it records :class:`Event` values (a secret stored in
a variable, a secret reaching a sink, a variable feeding a secret-bearing parameter...) and the
rules turn events into findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from .. import nodes as n
from ..catalogue import ActionSpec, Catalogue
from ..findings import TraceStep
from .model import ChildFlow, FlowModel, Subflow, normalize_flow_id
from .names import NamePolicy

OriginKind = Literal[
    "sensitive", "input", "secret-output", "secret-name", "secret-property", "secret-param",
    "encrypted-literal", "error",
]

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
MAX_STEPS = 12
MAX_LOOP_ROUNDS = 8
MAX_PROGRAM_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class Origin:
    key: str  #: identity of the source (one label per origin)
    kind: OriginKind
    description: str  #: names the variable/action, never a value
    span: n.Span
    subflow: str
    variable: str | None = None  #: the variable the origin is about, if any

    @property
    def label(self) -> str:
        """A short noun phrase for messages: ``SmtpPassword``, ``UserInput of Display.InputDialog``."""
        return self.description.split(" (")[0]


@dataclass(frozen=True, slots=True)
class Label:
    origin: Origin
    steps: tuple[TraceStep, ...] = ()
    #: the secret reached here only through an error message (``ERROR => x``): a weaker claim
    via_error: bool = False

    def then(self, step: TraceStep, *, via_error: bool = False) -> Label:
        if len(self.steps) >= MAX_STEPS:
            return Label(self.origin, self.steps, self.via_error or via_error)
        return Label(self.origin, self.steps + (step,), self.via_error or via_error)

    def trace(self) -> tuple[TraceStep, ...]:
        o = self.origin
        return (TraceStep(o.span.line, o.span.column, o.description, o.span.start, o.span.end),) + self.steps


Taint = dict[str, Label]  # origin key -> label
State = dict[str, Taint]  # variable key -> taint

EventKind = Literal["store", "sink", "secret-param", "source-store", "call-param", "child-input"]


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    subflow: str
    span: n.Span  #: the statement (or argument) where it happens
    variable: str | None  #: the variable key concerned (target of a store, root of a secret param)
    labels: tuple[Label, ...] = ()
    action: str | None = None
    param: str | None = None
    sink_kind: str | None = None
    stmt_span: n.Span | None = field(default=None, compare=False)


def _join_taint(a: Taint, b: Taint) -> Taint:
    if not b:
        return a
    if not a:
        return b
    if all(k in a for k in b):
        return a
    out = dict(a)
    for k, v in b.items():
        out.setdefault(k, v)
    return out


def join(a: State, b: State) -> State:
    out = dict(a)
    for var, taint in b.items():
        out[var] = _join_taint(out.get(var, {}), taint)
    return out


def same(a: State, b: State) -> bool:
    if a.keys() != b.keys():
        return False
    return all(a[k].keys() == b[k].keys() for k in a)


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


def _step(span: n.Span, message: str) -> TraceStep:
    return TraceStep(span.line, span.column, message, span.start, span.end)


class Analysis:
    """Runs the taint analysis of one flow and collects events."""

    def __init__(self, model: FlowModel, catalogue: Catalogue, names: NamePolicy) -> None:
        self.model = model
        self.catalogue = catalogue
        self.names = names
        self.events: dict[tuple[object, ...], Event] = {}
        self.entry: dict[str, State] = {}
        self.exit: dict[str, State] = {}
        self.credential_vars: set[str] = set()
        self.secret_used: dict[str, Origin] = {}
        self.secret_inputs: set[str] = set()
        #: (child workflow id, input name) -> labels of the secrets a RunFlow passes there
        self.child_taints: dict[tuple[str, str], tuple[Label, ...]] = {}
        self.import_aliases = {s.alias for s in model.flow.body if isinstance(s, n.Import)} | {"appmask", "imgrepo"}
        self._prepass()

    # ---- set-up --------------------------------------------------------------------------
    def _prepass(self) -> None:
        """Variables used in secret-bearing parameters hold secrets wherever they are read."""
        for sf in self.model.subflows:
            for stmt in n.walk_statements(sf.body):
                for action in _actions_of(stmt):
                    if action.disabled:
                        continue
                    spec = self.catalogue.lookup(action.name)
                    lits = literal_args(action)
                    for arg in action.args:
                        if arg.output or not spec.is_secret_param(arg.name, arg.dynamic, lits):
                            continue
                        root = root_name(arg.value)
                        if root is None:
                            continue
                        key = sf.key(root.name, force_global=root.is_global)
                        self.secret_used.setdefault(
                            key,
                            Origin(
                                f"param:{key}", "secret-param",
                                f"{root.name} is used as the {arg.name} of {action.name}",
                                arg.span, sf.name, key,
                            ),
                        )
        parent = self.model.solution.tainted_inputs if self.model.solution else {}
        for var in self.model.inputs.values():
            name = var.name
            if (
                name in parent
                or name in self.model.sensitive
                or var.password_format
                or self.names.is_secret(name)
                or name in self.secret_used
            ):
                self.secret_inputs.add(name)

    def initial_state(self) -> State:
        state: State = {}
        parent = self.model.solution.tainted_inputs if self.model.solution else {}
        for name in self.secret_inputs:
            decl = self.model.inputs[name].decl
            what = f"{name} ({parent[name]})" if name in parent else f"{name} (secret input variable)"
            origin = Origin(f"input:{name}", "input", what, decl.name.span, "Main", name)
            state[name] = {origin.key: Label(origin)}
        return state

    # ---- driver --------------------------------------------------------------------------
    def run(self) -> list[Event]:
        main = self.model.subflows[0]
        self.entry = {main.name: self.initial_state()}
        for _round in range(MAX_PROGRAM_ROUNDS):
            before = ({k: dict(v) for k, v in self.entry.items()}, {k: dict(v) for k, v in self.exit.items()})
            for sf in self.model.subflows:
                start = self.entry.get(sf.name, {}) if sf.node is not None else self.entry[main.name]
                if sf.node is not None and sf.is_global:
                    # a GLOBAL subflow sees the globals: start from Main's entry plus its callers
                    start = join(self.entry[main.name], start)
                out = self.exec_body(sf, sf.body, dict(start))
                self.exit[sf.name] = join(self.exit.get(sf.name, {}), out)
            if all(same(before[0].get(k, {}), v) for k, v in self.entry.items()) and all(
                same(before[1].get(k, {}), v) for k, v in self.exit.items()
            ):
                break
        return list(self.events.values())

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
    def exec_body(self, sf: Subflow, body: n.Body, state: State) -> State:
        for stmt in body:
            if stmt.disabled:
                continue
            state = self.exec_stmt(sf, stmt, state)
        return state

    def exec_stmt(self, sf: Subflow, stmt: n.Stmt, state: State) -> State:
        if isinstance(stmt, n.Set):
            taint = self.eval(sf, stmt.value, state)
            return self.assign(sf, stmt.target, taint, state, stmt.span, "SET")
        if isinstance(stmt, n.Action):
            return self.exec_action(sf, stmt, state)
        if isinstance(stmt, n.If):
            outs: list[State] = []
            for branch in stmt.branches:
                cur = state
                if isinstance(branch.cond, n.Action):
                    cur = self.exec_action(sf, branch.cond, cur)
                outs.append(self.exec_body(sf, branch.body, dict(cur)))
            outs.append(self.exec_body(sf, stmt.orelse, dict(state)) if stmt.orelse is not None else state)
            result = outs[0]
            for o in outs[1:]:
                result = join(result, o)
            return result
        if isinstance(stmt, n.Switch):
            result = state
            for case in stmt.cases:
                result = join(result, self.exec_body(sf, case.body, dict(state)))
            if stmt.default is not None:
                result = join(result, self.exec_body(sf, stmt.default, dict(state)))
            return result
        if isinstance(stmt, n.ForEach):
            taint = self.eval(sf, stmt.iterable, state)
            return self._loop(sf, stmt.body, state, lambda s: self.assign(sf, stmt.var, taint, s, stmt.span, "LOOP FOREACH"))
        if isinstance(stmt, n.LoopRange):
            return self._loop(sf, stmt.body, state, lambda s: s)
        if isinstance(stmt, n.While):
            cond = stmt.cond
            if isinstance(cond, n.Action):
                return self._loop(sf, stmt.body, state, lambda s: self.exec_action(sf, cond, s))
            return self._loop(sf, stmt.body, state, lambda s: s)
        if isinstance(stmt, n.Wait):
            if isinstance(stmt.cond, n.Action):
                return self.exec_action(sf, stmt.cond, state)
            return state
        if isinstance(stmt, (n.OnError, n.Function)):
            return join(state, self.exec_body(sf, stmt.body, dict(state)))
        if isinstance(stmt, n.Block):
            after = self.exec_body(sf, stmt.body, dict(state))
            result = after
            for handler in stmt.handlers:
                result = join(result, self.exec_body(sf, handler.body, join(state, after)))
            return result
        if isinstance(stmt, n.CallSubflow):
            return self.exec_call(sf, stmt, state)
        if isinstance(stmt, n.Exit):
            for arg in stmt.args:
                if arg.name == "ErrorMessage":
                    self.sink(sf, arg.value, state, arg.span, "EXIT", "ErrorMessage", "log", stmt.span)
            return state
        if isinstance(stmt, n.GetLastError):
            taint = state.get(ERROR_VAR, {})
            state = self.assign(sf, stmt.target, taint, state, stmt.span, "ERROR =>")
            if any(a.name == "Reset" and isinstance(a.value, n.Bool) and a.value.value for a in stmt.args):
                state = dict(state)
                state.pop(ERROR_VAR, None)
            return state
        return state

    def _loop(self, sf: Subflow, body: n.Body, state: State, head: object) -> State:
        step = head  # callable State -> State
        cur = state
        for _ in range(MAX_LOOP_ROUNDS):
            entered = step(cur)  # type: ignore[operator]
            out = self.exec_body(sf, body, dict(entered))
            nxt = join(cur, out)
            if same(nxt, cur):
                break
            cur = nxt
        return cur

    def exec_call(self, sf: Subflow, stmt: n.CallSubflow, state: State) -> State:
        callee = self.model.subflow(stmt.target)
        if callee is None:
            return state
        if callee.is_global:
            self.entry[callee.name] = join(self.entry.get(callee.name, {}), state)
            return join(state, self.exit.get(callee.name, {}))
        entry: State = {k: v for k, v in state.items() if "::" not in k}
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
        self.entry[callee.name] = join(self.entry.get(callee.name, {}), entry)
        out = self.exit.get(callee.name, {})
        for arg in stmt.args:
            if arg.output:
                taint = out.get(callee.key(arg.name), {})
                state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of subflow {callee.name}")
        # globals written by the callee through GLOBAL.x
        return join(state, {k: v for k, v in out.items() if "::" not in k})

    def exec_action(self, sf: Subflow, action: n.Action, state: State) -> State:
        if action.disabled:
            return state
        spec = self.catalogue.lookup(action.name)
        lits = literal_args(action)
        child = self._child_flow(action, lits)
        inputs: dict[str, Taint] = {}
        all_in: Taint = {}
        for arg in action.args:
            if arg.output:
                continue
            taint = self.eval(sf, arg.value, state)
            inputs[arg.name] = taint
            all_in = _join_taint(all_in, taint)
            kind = spec.sink_kind(arg.name, arg.dynamic, lits)
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
            if kind is not None and arg.dynamic and _names_a_secret(arg.name, self.names):
                kind = None  # @secretName: the name of a secret to look up, not the secret
            if kind is not None and taint:
                self.sink(sf, arg.value, state, arg.span, action.name, arg.name, kind, action.span, taint)
            if spec.is_secret_param(arg.name, arg.dynamic, lits):
                root = root_name(arg.value)
                if root is not None:
                    key = sf.key(root.name, force_global=root.is_global)
                    if key not in self.model.sensitive and key not in self.credential_vars:
                        self._event(Event("secret-param", sf.name, arg.span, key, tuple(taint.values()),
                                          action.name, arg.name, None, action.span))
        if all_in:
            state = dict(state)
            state[ERROR_VAR] = _join_taint(state.get(ERROR_VAR, {}), {
                k: lab.then(_step(action.span, f"handled by {action.name}; its error message may contain it"),
                            via_error=True)
                for k, lab in all_in.items()
            })
        for arg in action.args:
            updated = None if arg.output else spec.update_sources(arg.name, arg.dynamic)
            if updated is None:
                continue
            gained: Taint = all_in if updated == "*" else {}
            if updated != "*":
                for src in updated:
                    gained = _join_taint(gained, inputs.get(src, {}))
            if gained and root_name(arg.value) is not None:
                state = self.assign(sf, arg.value, gained, state, arg.span, f"updated by {action.name}", weak=True)
        is_credential = action.module == "PowerAutomateSecretVariables"
        for arg in action.args:
            if not arg.output:
                continue
            sources = spec.output_sources(arg.name, arg.dynamic)
            taint = {}
            if sources == "*":
                taint = all_in
            else:
                for src in sources:
                    taint = _join_taint(taint, inputs.get(src, {}))
            root = root_name(arg.value)
            if spec.is_secret_output(arg.name, arg.dynamic, lits):
                target_key = sf.key(root.name, force_global=root.is_global) if root is not None else None
                origin = Origin(
                    f"output:{action.span.start}:{arg.name}", "secret-output",
                    f"{arg.name} of {action.name} (a secret source)",
                    arg.span, sf.name, target_key,
                )
                taint = _join_taint({origin.key: Label(origin)}, taint)
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
        *, weak: bool = False,
    ) -> State:
        root = root_name(target)
        if root is None:
            return state
        key = sf.key(root.name, force_global=root.is_global)
        step = _step(span, f"stored in {root.name} ({how})")
        new = {k: lab.then(step) for k, lab in taint.items()}
        state = dict(state)
        if isinstance(target, n.Name) and not weak:
            state[key] = new  # strong update
        else:
            state[key] = _join_taint(state.get(key, {}), new)
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
        if isinstance(expr, n.Attribute):
            if expr.attr in NON_SECRET_PROPERTIES:
                return {}
            base = self.eval(sf, expr.value, state)
            if self.names.is_secret_key(expr.attr):
                origin = self._property_origin(sf, expr, expr.attr)
                base = _join_taint(base, {origin.key: Label(origin)})
            return base
        if isinstance(expr, n.Index):
            base = self.eval(sf, expr.value, state)
            idx = expr.index
            if isinstance(idx, n.StringLit) and idx.literal is not None and self.names.is_secret_key(idx.literal):
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

    def _union(self, sf: Subflow, exprs: Iterable[n.Expr], state: State) -> Taint:
        out: Taint = {}
        for e in exprs:
            out = _join_taint(out, self.eval(sf, e, state))
        return out

    def _name_origin(self, sf: Subflow, expr: n.Name, key: str) -> Origin | None:
        if key in self.model.sensitive:
            return Origin(f"sens:{key}", "sensitive", f"{expr.name} (sensitive variable)", expr.span, sf.name, key)
        if key in self.credential_vars:
            return None  # a credential variable is enforced sensitive; its .Password is the secret
        used = self.secret_used.get(key)
        if used is not None:
            return used
        if self.names.is_secret(expr.name) and key not in self.model.inputs:
            return Origin(f"name:{key}", "secret-name", f"{expr.name} (secret by its name)", expr.span, sf.name, key)
        return None

    def _property_origin(self, sf: Subflow, expr: n.Expr, prop: str) -> Origin:
        root = root_name(expr)
        rname = root.name if root is not None else "value"
        key = sf.key(rname, force_global=bool(root and root.is_global))
        return Origin(f"prop:{key}.{prop}", "secret-property", f"{rname}.{prop} (a secret property)",
                      expr.span, sf.name, key)


def _names_a_secret(param: str, names: NamePolicy) -> bool:
    """``secretName``, ``passwordPolicy``: a parameter about a secret, not holding one."""
    from .names import NON_SECRET_WORDS, SECRET_WORDS, words

    ws = words(param)
    return any(w in SECRET_WORDS for w in ws) and any(w in NON_SECRET_WORDS for w in ws)


def _actions_of(stmt: n.Stmt) -> Iterator[n.Action]:
    if isinstance(stmt, n.Action):
        yield stmt
    elif isinstance(stmt, n.If):
        for b in stmt.branches:
            if isinstance(b.cond, n.Action):
                yield b.cond
    elif isinstance(stmt, (n.While, n.Wait)) and isinstance(stmt.cond, n.Action):
        yield stmt.cond


def analyse(model: FlowModel, catalogue: Catalogue, names: NamePolicy) -> tuple[Analysis, list[Event]]:
    analysis = Analysis(model, catalogue, names)
    return analysis, analysis.run()


__all__ = ["Analysis", "ActionSpec", "Event", "Label", "Origin", "analyse", "root_name", "literal_args"]
