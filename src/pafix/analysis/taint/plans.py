"""What the catalogue says of one action call, worked out once per call (:class:`ActionPlan`),
and the helpers that read a call's arguments (literal arguments for catalogue conditions, the
variable an argument's access path starts from, the field it names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

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



class ActionPlan:
    """What the catalogue says of one action call: computed once, used on every visit (loops
    and whole-program rounds run a statement many times). Everything here depends only on the
    call's text (its name, parameters and literal arguments)."""

    __slots__ = ("action", "spec", "child", "inputs", "updates", "outputs", "is_credential",
                 "secret_param_roots")

    def __init__(self, action: n.Action, catalogue: Catalogue, names: NamePolicy, child_of: ChildLookup) -> None:
        self.action = action  # keeps the node (and so its id) alive
        spec = self.spec = catalogue.lookup(action.name)
        # The entry's answers that do not depend on the call's arguments are memoised per
        # parameter name (ActionSpec.param_facts); read the literal arguments only when a
        # condition (or the child flow lookup) needs them. The answers are those of the full
        # questions.
        lits = literal_args(action) if _reads_literals(spec) or action.name == "External.RunFlow" else _NO_LITERALS
        child = self.child = child_of(action, lits)
        #: (arg, sink kind, is a secret parameter, its root variable, :func:`_never_tainted`,
        #: the sink is the action's purpose, the action's errors quote it, the sink is beyond
        #: what pafix sees) per input argument that a visit of the call can act on: one whose
        #: value is never tainted does nothing there (no taint to sink, pass on or echo)
        #: unless it is a secret parameter (its event) or an input of a child flow
        self.inputs: list[tuple[n.Arg, str | None, bool, n.Name | None, bool, bool, bool, bool]] = []
        #: (arg, the inputs it is updated from, has a root variable) per updated input argument
        self.updates: list[tuple[n.Arg, Sources, bool]] = []
        #: (arg, the inputs it derives from, its root variable, the kind of secret it always
        #: holds or None) per output
        self.outputs: list[tuple[n.Arg, Sources, n.Name | None, ValueKind | None]] = []
        self.secret_param_roots: list[tuple[n.Arg, n.Name | None]] = []
        for arg in action.args:
            facts = spec.param_facts(arg.name, arg.dynamic)  # a memo of the entry's answers
            if arg.output:
                secret_output: ValueKind | None = None
                if child is not None and arg.dynamic:
                    if arg.name in child.sensitive_outputs:  # the child marks it sensitive
                        secret_output = "credential" if _is_credential_name(arg.name, names) else "data"
                elif spec.secret_outputs:
                    secret_output = spec.secret_output_kind(arg.name, arg.dynamic, lits)
                self.outputs.append((arg, facts.output_sources, root_name(arg.value), secret_output))
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
            root = root_name(arg.value) if secret_param else None
            intended = rule is not None and rule.intended
            unseen = rule is not None and rule.unseen
            untainted = _never_tainted(arg.value)
            if not untainted or secret_param or (child is not None and arg.dynamic):
                self.inputs.append((arg, kind, secret_param, root, untainted, intended, facts.echoes, unseen))
            if secret_param:
                self.secret_param_roots.append((arg, root))
            if facts.updated is not None:
                self.updates.append((arg, facts.updated, root_name(arg.value) is not None))
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
