"""The values side of the transfer functions: what an expression carries (:meth:`Values.eval`,
field-sensitive for custom objects, records and data tables), what an assignment does to a
:class:`~pafix.analysis.taint.state.State` (:meth:`Values.assign`), and where a secret becomes
a source by its name, a property or the author's mark. :class:`Values` also holds what one run
of the analysis of a flow records besides the states (events, credential variables, entry and
exit states of subflows...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from pafix.syntax import nodes as n
from pafix.analysis.catalogue import Catalogue
from pafix.analysis.model import FlowModel, Subflow
from pafix.analysis.kinds import connection_texts, marked_origin
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint.plans import ActionPlan, PlanMemo, step as _step
from pafix.syntax.nodes import root_name
from pafix.syntax.statement_memo import Memos
from pafix.analysis.taint.state import _EMPTY as _NONE
from pafix.analysis.taint.state import Event, Label, Origin, State, Taint, Variables, _join_taint
from pafix.analysis.taint.runs import Recorder

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


class Values:
    """The expression and assignment transfer functions, and what one run of the analysis of a flow
    reads and writes besides the states (events, credential variables, entry and exit states of
    subflows...)."""

    def __init__(self, model: FlowModel, catalogue: Catalogue, names: NamePolicy, memos: Memos | None = None) -> None:
        self.model = model
        self.catalogue = catalogue
        self.names = names
        self.events: dict[tuple[object, ...], Event] = {}
        #: the subflows by name (the first of a name, as ``FlowModel.subflow`` finds it)
        self.subflows: dict[str, Subflow] = {}
        for sf in model.subflows:
            self.subflows.setdefault(sf.name, sf)
        #: the variables of this flow, interned for its states (see :class:`State`)
        self.variables = Variables()
        self.entry: dict[str, State] = {}
        self.exit: dict[str, State] = {}
        self.credential_vars: set[str] = set()
        #: the keys a run of a subflow asked about and found no credential variable (see
        #: :meth:`is_credential_var`), per run
        self.cred_misses: set[str] = set()
        self.secret_used: dict[str, Origin] = {}
        #: (child workflow id, input name) -> labels of the secrets a RunFlow passes there
        self.child_taints: dict[tuple[str, str], tuple[Label, ...]] = {}
        # (the top-level IMPORTs are Main's declarations: a look at each top-level statement
        # was ~2 ms of a 20,001-line flow's keystroke)
        self.import_aliases = {s.alias for s in model.subflows[0].decls if type(s) is n.Import} | {"appmask", "imgrepo"}
        #: what the catalogue says of each action call (it depends on the call alone), by node id
        self._plans: dict[int, ActionPlan] = {}
        #: the same plans by the text of their call (replaced by one that inherits an earlier
        #: analysis' plans in the editor, see ``engine.Analysis``)
        self.plan_memo = PlanMemo()
        #: loop statement id -> the fixpoint it reached last (in this run of its subflow)
        self._loop_fixpoints: dict[int, State] = {}
        #: variable key -> the fields of it the flow writes (``SET obj['a'] TO``, ``SET obj TO
        #: {'a': ...}``): a strong update of the variable forgets their field entries
        self.fields: dict[str, set[str]] = {}
        #: expression node id -> the taint of the origin the node makes by itself (see eval)
        self._sources: dict[int, Taint] = {}
        #: name node id -> what :meth:`_name_info` says of it
        self._names: dict[int, tuple[str, Taint | None, bool]] = {}
        #: variables only ever set to connection-string text without a credential part
        #: (``Integrated Security=SSPI``): not secrets, whatever their name or use
        self.connection_texts = connection_texts(model, memos)
        self.plain_connections = self.connection_texts.plain
        #: the runs of chunks of top-level statements kept for the next analysis of the buffer,
        #: and those of the last one (the editor's: see :mod:`~pafix.analysis.taint.replay`)
        self.recorder: Recorder | None = None
        #: how many ``CALL`` statements were run so far
        self.calls_run = 0

    def new_state(self) -> State:
        """An empty state of this flow's variables."""
        return State(self.variables)

    def _event(self, event: Event) -> None:
        if self.recorder is not None and self.recorder.log is not None:
            self.recorder.log.append(event)  # what the chunk being run records (replay)
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
    # ---- assignments, sinks ---------------------------------------------------------------
    def assign(
        self, sf: Subflow, target: n.Expr, taint: Taint, state: State, span: n.Span, how: str,
        *, weak: bool = False, field: bool = False,
    ) -> State:
        root = root_name(target)
        if root is None:
            return state
        key = sf.key(root.name, force_global=root.is_global)
        new: Taint = _NONE
        if taint:  # the usual case is no taint: then no trace step to make
            step = _step(span, f"stored in {root.name} ({how})")
            new = {k: lab.then(step) for k, lab in taint.items()}
        if type(target) is n.Name and not weak:
            state[key] = new  # strong update
            fields = self.fields.get(key)
            if fields is not None:  # forget what was known of its fields
                state.remove(key + ".")
                for name in fields:
                    state.remove(f"{key}.{name}")
        else:
            state[key] = _join_taint(state.taint_of(key), new)
            rest = None if field or not new else state.get(key + ".")
            if rest is not None:  # updated as a whole: any field may hold it now
                state[key + "."] = _join_taint(rest, new)
        if new:
            foreign = tuple(lab for lab in new.values() if lab.origin.variable != key)
            if foreign and key not in self.model.sensitive and not self.is_credential_var(key):
                self._event(Event("store", sf.name, span, key, foreign, None, None, None, span))
        return state

    def is_credential_var(self, key: str) -> bool:
        """Whether ``key`` holds a credential of Get credential, as far as the run knows: the
        set grows during a run, so a later visit may answer yes. A no is noted in
        :attr:`cred_misses`, the keys whose answer the run read as no: a subflow need not be
        run again for credential variables it never asked about (``engine._same_inputs``)."""
        if key in self.credential_vars:
            return True
        self.cred_misses.add(key)
        return False

    def sink(
        self, sf: Subflow, value: n.Expr, state: State, span: n.Span, action: str, param: str,
        kind: str, stmt_span: n.Span, taint: Taint | None = None,
    ) -> None:
        if taint is None:
            taint = self.eval(sf, value, state)
        if taint:
            self._event(Event("sink", sf.name, span, None, tuple(taint.values()), action, param, kind, stmt_span))

    # ---- expressions ------------------------------------------------------------------------
    # ``eval`` dispatches on the node's exact type (no node class is subclassed); it has no
    # side effect, so the origins a node makes by itself (a sensitive variable, a secret name
    # or property, an encrypted literal) are made once per node (``_sources``: node id ->
    # taint; the flow's nodes live as long as the analysis). Taints are never changed in
    # place, so one dictionary can be handed out again.
    def eval(self, sf: Subflow, expr: n.Expr, state: State) -> Taint:
        if type(expr) is n.Name:
            info = self._names.get(id(expr))
            if info is None:
                info = self._name_info(sf, expr)
            key, extra, marked = info
            taint = state.taint.get(key, _NONE)  # (State.taint_of, inline: the most frequent read)
            if extra is None or (not marked and self.is_credential_var(key)):
                # a credential variable is enforced sensitive; its .Password is the secret
                return taint
            return _join_taint(taint, extra)
        handler = _EVAL.get(type(expr))
        return _NONE if handler is None else handler(self, sf, expr, state)

    def _name_info(self, sf: Subflow, expr: n.Name) -> tuple[str, Taint | None, bool]:
        """A name node's variable key, the origin it makes by itself (see :meth:`_name_origin`)
        as a taint, and whether the variable is marked sensitive; made once per node. Of what
        the origin depends on, only the credential variables change during a run (they only
        grow): :meth:`eval` tests them on every visit."""
        key = sf.key(expr.name, force_global=expr.is_global)
        origin = self._name_origin(sf, expr, key)
        info = self._names[id(expr)] = (key, None if origin is None else {origin.key: Label(origin)},
                                        key in self.model.sensitive)
        return info

    def _property_taint(self, sf: Subflow, expr: n.Expr, prop: str) -> Taint:
        """:meth:`_property_origin` as a taint, once per node (``prop`` is the node's own)."""
        hit = self._sources.get(id(expr))
        if hit is None:
            origin = self._property_origin(sf, expr, prop)
            hit = self._sources[id(expr)] = {origin.key: Label(origin)}
        return hit

    def _eval_attribute(self, sf: Subflow, expr: n.Attribute, state: State) -> Taint:
        root = root_name(expr)
        if root is not None and root.name in self.import_aliases:
            return _NONE  # appmask['Screen'].Txt is a UI element, not data
        if expr.attr in NON_SECRET_PROPERTIES:
            return _NONE
        value = expr.value
        # a field of a variable (field-sensitive), or a property of something else
        base = self._eval_field(sf, value, expr.attr, state) if type(value) is n.Name else self.eval(sf, value, state)
        if self.names.is_secret_key(expr.attr):
            base = _join_taint(base, self._property_taint(sf, expr, expr.attr))
        return base

    def _eval_index(self, sf: Subflow, expr: n.Index, state: State) -> Taint:
        root = root_name(expr)
        if root is not None and root.name in self.import_aliases:
            return _NONE  # appmask['Screen']['Txt_Password'] is a UI element, not data
        idx, value = expr.index, expr.value
        name = idx.literal if type(idx) is n.StringLit else None
        if name is not None and type(value) is n.Name:
            base = self._eval_field(sf, value, name, state)
        else:
            base = self.eval(sf, value, state)
        if name is not None and self.names.is_secret_key(name):
            base = _join_taint(base, self._property_taint(sf, expr, name))
        return base

    def _eval_call(self, sf: Subflow, expr: n.Call, state: State) -> Taint:
        return _NONE if expr.func in BOOLEAN_FUNCTIONS else self._union(sf, expr.args, state)

    def _eval_binop(self, sf: Subflow, expr: n.BinOp, state: State) -> Taint:
        if expr.op in COMPARISONS:
            return _NONE
        return _join_taint(self.eval(sf, expr.left, state), self.eval(sf, expr.right, state))

    def _eval_unary(self, sf: Subflow, expr: n.UnaryOp, state: State) -> Taint:
        return _NONE if expr.op == "NOT" else self.eval(sf, expr.operand, state)

    def _eval_paren(self, sf: Subflow, expr: n.Paren, state: State) -> Taint:
        return self.eval(sf, expr.expr, state)

    def _eval_text(self, sf: Subflow, expr: n.StringLit, state: State) -> Taint:
        if expr.kind == "encrypted":
            hit = self._sources.get(id(expr))
            if hit is None:
                origin = Origin(f"enc:{expr.span.start}", "encrypted-literal",
                                "an encrypted (P'…') literal", expr.span, sf.name)
                hit = self._sources[id(expr)] = {origin.key: Label(origin)}
            return hit
        out: Taint = _NONE
        for part in expr.parts:
            if type(part) is n.Hole:
                out = _join_taint(out, self.eval(sf, part.expr, state))
        return out

    def _eval_list(self, sf: Subflow, expr: n.ListLit, state: State) -> Taint:
        return self._union(sf, expr.items, state)

    def _eval_table(self, sf: Subflow, expr: n.DatatableLit, state: State) -> Taint:
        return self._union(sf, expr.rows, state)

    def _eval_object(self, sf: Subflow, expr: n.ObjectLit, state: State) -> Taint:
        return self._union(sf, [e.value for e in expr.entries], state)

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
        out: Taint = _NONE
        for e in exprs:
            out = _join_taint(out, self.eval(sf, e, state))
        return out

    def _name_origin(self, sf: Subflow, expr: n.Name, key: str) -> Origin | None:
        if self.recorder is not None and self.recorder.reads is not None:
            # what the chunk being run reads of the first uses (replay)
            self.recorder.reads[key] = self.secret_used.get(key)
        if key in self.model.sensitive:
            use = self.secret_used.get(key)
            kind, sure = marked_origin(expr.name, self.names, use.confidence if use is not None else None)
            return Origin(f"sens:{key}", "sensitive", f"{expr.name} (sensitive variable)", expr.span, sf.name, key,
                          kind, sure)
        # (a credential variable makes none: eval tests that, as it changes during a run)
        used = self.secret_used.get(key)
        if used is not None:
            return used
        if self.names.is_secret(expr.name) and key not in self.model.inputs and key not in self.plain_connections:
            return Origin(f"name:{key}", "secret-name", f"{expr.name} (secret by its name)", expr.span, sf.name, key,
                          "credential", "medium")
        return None

    def _property_origin(self, sf: Subflow, expr: n.Expr, prop: str) -> Origin:
        root = root_name(expr)
        rname = root.name if root is not None else "value"
        key = sf.key(rname, force_global=bool(root and root.is_global))
        return Origin(f"prop:{key}.{prop}", "secret-property", f"{rname}.{prop} (a secret property)",
                      expr.span, sf.name, key, "credential", "medium")


_Eval = Callable[[Values, Subflow, Any, State], Taint]
#: what :meth:`Values.eval` does per expression type besides names; others carry nothing
_EVAL: dict[type, _Eval] = {
    n.Attribute: Values._eval_attribute,
    n.Index: Values._eval_index,
    n.Call: Values._eval_call,
    n.BinOp: Values._eval_binop,
    n.UnaryOp: Values._eval_unary,
    n.Paren: Values._eval_paren,
    n.StringLit: Values._eval_text,
    n.ListLit: Values._eval_list,
    n.DatatableLit: Values._eval_table,
    n.ObjectLit: Values._eval_object,
}
