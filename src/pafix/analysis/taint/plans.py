"""What the catalogue says of one action call, worked out once per call text (:class:`ActionPlan`,
memoised by :class:`PlanMemo`), and the helpers that read a call's arguments (literal arguments for catalogue conditions, the
variable an argument's access path starts from, the field it names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, cast

from pafix.syntax import nodes as n
from pafix.syntax.nodes import root_name
from pafix.analysis.catalogue import ActionSpec, Catalogue, Sources, ValueKind
from pafix.analysis.catalogue.spec import HOLE, TEMPLATE_SUFFIX
from pafix.findings import TraceStep
from pafix.analysis.model import ChildFlow
from pafix.analysis.names import NamePolicy

#: the child flow a RunFlow call runs, from the call and its literal arguments
ChildLookup = Callable[[n.Action, dict[str, str]], ChildFlow | None]


def literal_args(action: n.Action) -> dict[str, str]:
    """Parameters whose value is a literal or an enum member, as text (for catalogue conditions),
    and under ``Name%`` the text of every text argument with each ``%hole%`` written ``%%``."""
    out: dict[str, str] = {}
    for arg in action.args:
        if arg.output:
            continue
        value = arg.value
        name = "@" + arg.name if arg.dynamic else arg.name
        if isinstance(value, n.StringLit) and value.kind != "encrypted":
            if value.literal is not None:
                out[name] = value.literal
            # the text with each %hole% written %% (conditions on where a variable goes: the
            # scheme of a URL, the header a token fills)
            out[name + TEMPLATE_SUFFIX] = "".join(p if isinstance(p, str) else HOLE for p in value.parts)
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


def step(span: n.Span, message: str) -> TraceStep:
    return TraceStep(span.line, span.column, message, span.start, span.end)



class Root(NamedTuple):
    """The variable an argument's access path starts from, without its position: what
    :func:`~pafix.syntax.nodes.root_name` gives, as the analysis reads it (a variable key)."""

    name: str
    is_global: bool


def _root(expr: n.Expr) -> Root | None:
    name = root_name(expr)
    return None if name is None else Root(name.name, name.is_global)


class ActionPlan:
    """What the catalogue says of one action call: computed once, used on every visit (loops
    and whole-program rounds run a statement many times). Everything here depends only on the
    call's text (its name, parameters and literal arguments), given the catalogue, the name
    policy and the solution's child flows: arguments are held by their index in
    ``action.args`` and root variables by name, never as nodes, so one plan serves every call
    with the same text, wherever it is (:class:`PlanMemo`). The editor moves the nodes of every
    statement below an edit to new positions (:mod:`pafix.syntax.incremental`): a plan tied to
    its nodes would be made anew for each of them on every keystroke."""

    __slots__ = ("spec", "child", "inputs", "updates", "outputs", "is_credential", "secret_param_roots")

    def __init__(self, action: n.Action, catalogue: Catalogue, names: NamePolicy, child_of: ChildLookup) -> None:
        spec = self.spec = catalogue.lookup(action.name)
        # The entry's answers that do not depend on the call's arguments are memoised per
        # parameter name (ActionSpec.param_facts); read the literal arguments only when a
        # condition (or the child flow lookup) needs them. The answers are those of the full
        # questions.
        lits = literal_args(action) if _reads_literals(spec) or action.name == "External.RunFlow" else _NO_LITERALS
        child = self.child = child_of(action, lits)
        #: (index of the arg, sink kind, is a secret parameter, its root variable,
        #: :func:`_never_tainted`, the sink is the action's purpose, the action's errors quote
        #: it, the sink is beyond what pafix sees) per input argument that a visit of the call
        #: can act on: one whose value is never tainted does nothing there (no taint to sink,
        #: pass on or echo) unless it is a secret parameter (its event) or an input of a child flow
        self.inputs: list[tuple[int, str | None, bool, Root | None, bool, bool, bool, bool]] = []
        #: (index of the arg, the inputs it is updated from, has a root variable) per updated input argument
        self.updates: list[tuple[int, Sources, bool]] = []
        #: (index of the arg, the inputs it derives from, its root variable, the kind of secret
        #: it always holds or None) per output
        self.outputs: list[tuple[int, Sources, Root | None, ValueKind | None]] = []
        #: (index of the arg, its root variable) per secret parameter
        self.secret_param_roots: list[tuple[int, Root | None]] = []
        for i, arg in enumerate(action.args):
            facts = spec.param_facts(arg.name, arg.dynamic)  # a memo of the entry's answers
            if arg.output:
                secret_output: ValueKind | None = None
                if child is not None and arg.dynamic:
                    if arg.name in child.sensitive_outputs:  # the child marks it sensitive
                        secret_output = "credential" if _is_credential_name(arg.name, names) else "data"
                elif spec.secret_outputs:
                    secret_output = spec.secret_output_kind(arg.name, arg.dynamic, lits)
                self.outputs.append((i, facts.output_sources, _root(arg.value), secret_output))
                continue
            secret_param = facts.secret
            if secret_param is None:  # a condition on the literal arguments decides
                secret_param = spec.is_secret_param(arg.name, arg.dynamic, lits)
            # a secret parameter is never a sink (where the secret is meant to go)
            rule = (None if secret_param else facts.sink if facts.sink_fixed
                    else spec.plain_sink_rule(arg.name, arg.dynamic, lits))
            kind = None if rule is None else rule.kind
            if child is not None and arg.dynamic:
                kind = None
            if kind is not None and arg.dynamic and _names_a_secret(arg.name, names):
                kind = None  # @secretName: the name of a secret to look up, not the secret
            root = _root(arg.value) if secret_param else None
            intended = rule is not None and rule.intended
            unseen = rule is not None and rule.unseen
            untainted = _never_tainted(arg.value)
            if not untainted or secret_param or (child is not None and arg.dynamic):
                self.inputs.append((i, kind, secret_param, root, untainted, intended, facts.echoes, unseen))
            if secret_param:
                self.secret_param_roots.append((i, root))
            if facts.updated is not None:
                self.updates.append((i, facts.updated, root_name(arg.value) is not None))
        self.is_credential = action.module == "PowerAutomateSecretVariables"


class PlanMemo:
    """The plans of one analysis by the text of their call (``flow.source[span.start:span.end]``),
    taking over those of an earlier analysis of the same buffer (``inherited``; the caller
    checks that they carry over: same catalogue and name policy, no solution, see
    ``engine.carries_over``).

    Why by text: a plan depends on the call's text alone (see :class:`ActionPlan`), and a
    call's text is what an edit leaves alone almost everywhere, while the editor's incremental
    parse gives every statement below the edit new nodes. Keyed by text, a keystroke in the
    middle of a 2,000-line flow plans only the call it touched instead of the ~360 below it;
    calls repeated within a flow (the same ``Display.ShowMessageDialog``, the same
    ``File.WriteText``) also share one plan in a scan. A slice and a string hash per call
    planned, once per analysis, is much cheaper than comparing nodes.

    Bounded: a memo holds the plans its own analysis asked for, at most one per call of the
    flow, and lets go of the inherited ones when the analysis is done (:meth:`drop_inherited`),
    so an editing session keeps one flow's plans, not every text it ever typed."""

    __slots__ = ("plans", "_inherited")

    def __init__(self, inherited: PlanMemo | None = None) -> None:
        self.plans: dict[str, ActionPlan] = {}
        self._inherited = inherited.plans if inherited is not None else _NO_PLANS

    def get(self, text: str) -> ActionPlan | None:
        """The plan of a call with this text, this analysis' or else the inherited one."""
        plan = self.plans.get(text)
        if plan is None:
            plan = self._inherited.get(text)
            if plan is not None:
                self.plans[text] = plan
        return plan

    def drop_inherited(self) -> None:
        self._inherited = _NO_PLANS


_NO_PLANS: dict[str, ActionPlan] = {}  #: never written: the plans an analysis inherits when none carry over


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
    """Whether :meth:`~pafix.analysis.taint.values.Values.eval` gives no taint for ``expr`` whatever the state: nothing in
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
