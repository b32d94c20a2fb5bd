"""Semantic model of a flow: subflows, scopes, declarations, sensitivity.

PAD variables are global across the Main flow and ``GLOBAL`` subflows. A local subflow (one
declared with parameters, without ``GLOBAL``) has its own scope and reaches globals as
``GLOBAL.x``. Variable keys are ``name`` for globals and ``Subflow::name`` for locals.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from operator import attrgetter

from pafix.findings import Confidence, ValueKind
from pafix.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class Subflow:
    name: str
    body: n.Body
    is_global: bool
    params: tuple[str, ...]
    node: n.Function | None  #: ``None`` for Main
    #: every statement of ``body`` and of its nested bodies, in the order of
    #: :func:`pafix.syntax.nodes.walk_statements`: walked once here, read by the analysis's
    #: set-up and by the rules (a flow used to be walked a dozen times)
    statements: tuple[n.Stmt, ...] = field(compare=False, repr=False)
    #: every action call of ``statements``, the actions of ``IF``/``WHILE``/``WAIT`` conditions
    #: included, in the same order (disabled ones too)
    actions: tuple[n.Action, ...] = field(compare=False, repr=False)
    #: the subflows it ``CALL``s, in order of first call, each once
    calls: tuple[str, ...] = field(compare=False, repr=False)
    #: the declarations among ``body``'s top-level statements (``@SENSITIVE``, ``@INPUT``,
    #: ``@OUTPUT``, ``IMPORT``), in order: what the model, the analysis' set-up and the credential
    #: fix's index look for in a body of ~17,000 top-level statements (20,001 lines), each
    #: with its own loop of type tests before
    decls: tuple[n.Stmt, ...] = field(default=(), compare=False, repr=False)

    def key(self, var: str, *, force_global: bool = False) -> str:
        if self.is_global or force_global:
            return var
        return f"{self.name}::{var}"


@dataclass(frozen=True, slots=True)
class IOVar:
    name: str
    kind: str  #: "INPUT" or "OUTPUT"
    decl: n.IODecl
    default: n.Expr | None
    #: declared ``"format": "password"`` in a solution's Inputs/Outputs JSON
    password_format: bool = False


@dataclass(frozen=True, slots=True)
class FlowModel:
    flow: n.Flow
    subflows: tuple[Subflow, ...]
    #: sensitive variable keys (globals by name, locals as ``Subflow::name``)
    sensitive: frozenset[str]
    #: where each sensitive key is declared: the ``@SENSITIVE`` statement
    sensitive_decls: dict[str, n.Sensitive] = field(hash=False)
    inputs: dict[str, IOVar] = field(hash=False)
    outputs: dict[str, IOVar] = field(hash=False)
    #: the top-level ``@SENSITIVE`` statement, if any, and each local subflow's own
    sensitive_stmts: dict[str | None, n.Sensitive] = field(hash=False)
    #: a clipboard snippet: no header lines at all (no @@, IMPORT, @SENSITIVE, @INPUT, @OUTPUT)
    is_snippet: bool = False
    #: names of the input/output variables in a solution's Inputs/Outputs JSON (None: not a solution)
    io_schema: frozenset[str] | None = None
    #: the other flows of the same solution, by workflow id (for External.RunFlow)
    solution: SolutionContext | None = None

    def subflow(self, name: str) -> Subflow | None:
        for sf in self.subflows:
            if sf.name == name:
                return sf
        return None

    def is_sensitive(self, key: str) -> bool:
        return key in self.sensitive


@dataclass(frozen=True, slots=True)
class ChildFlow:
    """What a parent flow needs to know of a child flow of the same solution."""

    workflow_id: str
    name: str
    inputs: frozenset[str]
    sensitive_inputs: frozenset[str]
    #: the outputs the child marks sensitive (``@SENSITIVE`` or ``"format": "password"``): a
    #: parent that stores one in a plain variable shows it in clear
    sensitive_outputs: frozenset[str] = frozenset()
    #: the inputs the child uses only as a file or folder path (see :mod:`pafix.analysis.uses`):
    #: what a parent passes there is a path, not a credential
    path_inputs: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SolutionContext:
    children: dict[str, ChildFlow] = field(hash=False)
    #: inputs of this flow that a parent passes a secret into: name -> description of the source
    tainted_inputs: dict[str, str] = field(default_factory=dict, hash=False)
    #: those of ``tainted_inputs`` that only ever receive sensitive data (no credential)
    data_inputs: frozenset[str] = frozenset()
    #: the same inputs: the kind and confidence of what the parent passes
    tainted_kinds: dict[str, tuple[ValueKind, Confidence]] = field(default_factory=dict, hash=False)


def normalize_flow_id(value: str) -> str:
    return value.strip().strip("{}").lower()


HEADER_TYPES = (n.Annotation, n.Import, n.Sensitive, n.IODecl)
#: the ``@@`` lines PAD writes at the top of a whole flow (robin-syntax.md, "Header"); other
#: annotations (``@@copilotGeneratedAction``, ``@@flowname``...) decorate the next action and
#: come in clipboard snippets too
HEADER_ANNOTATIONS = frozenset({"connectionstring", "type", "desktoptype", "displayname"})


def _is_header(stmt: n.Stmt) -> bool:
    if isinstance(stmt, n.Annotation):
        return stmt.key.lower() in HEADER_ANNOTATIONS
    return isinstance(stmt, HEADER_TYPES)


#: the statement types :attr:`Subflow.decls` holds
DECL_TYPES: frozenset[type] = frozenset({n.Sensitive, n.IODecl, n.Import})

_Contents = tuple[tuple[n.Stmt, ...], tuple[n.Action, ...], tuple[str, ...], tuple[n.Stmt, ...]]


def _contents(body: n.Body, last: Subflow | None = None) -> _Contents:
    """A subflow's statements, action calls, called subflows and declarations (see
    :class:`Subflow`), from one walk of its body. ``last``: the subflow of the same name in the
    model of an earlier parse of the same buffer (the editor): the top-level statements it
    shares with ``body`` at the start (the very nodes: the re-parse keeps those above an edit)
    hold the same statements and actions, which are taken from it instead of walked again
    (the walk was ~7 ms of a 20,001-line flow's keystroke, half of it above the edit). Any
    subflow will do: what is taken is the walk of the very nodes both bodies hold."""
    shared = 0
    statements: tuple[n.Stmt, ...] = ()
    actions: tuple[n.Action, ...] = ()
    if last is not None:
        if last.body is body:
            return last.statements, last.actions, last.calls, last.decls
        old = last.body
        top = min(len(body), len(old))
        while shared < top and body[shared] is old[shared]:
            shared += 1
        if shared:
            # where the old walk reached the first statement not shared: every statement and
            # action of a top-level statement lies in its span, and top-level spans follow
            # each other, so the split is by start offset (``bisect`` needs no more order)
            if shared < len(old):
                at = old[shared].span.start
                cut = bisect_left(last.statements, at, key=_START)
                cut_actions = bisect_left(last.actions, at, key=_START)
                if cut >= len(last.statements) or last.statements[cut] is not old[shared]:
                    shared = cut = cut_actions = 0  # (not the walk of ``old``: walk it all)
            else:
                cut, cut_actions = len(last.statements), len(last.actions)
            statements, actions = last.statements[:cut], last.actions[:cut_actions]
    rest = body[shared:] if shared else body
    walked = tuple(n.walk_statements(rest))
    found: list[n.Action] = []
    for stmt in walked:
        if type(stmt) is not n.CallSubflow:
            found.extend(n.statement_actions(stmt))
    statements = statements + walked if statements else walked
    actions = actions + tuple(found) if actions else tuple(found)
    calls = dict.fromkeys(s.target for s in statements if type(s) is n.CallSubflow)  # an ordered set
    decls = tuple(s for s in body if type(s) in DECL_TYPES)
    return statements, actions, tuple(calls), decls


_START = attrgetter("span.start")


def build_model(
    flow: n.Flow,
    password_io: frozenset[str] = frozenset(),
    io_schema: frozenset[str] | None = None,
    solution: SolutionContext | None = None,
    last: FlowModel | None = None,
) -> FlowModel:
    """The model of ``flow``. ``last``: the model of an earlier parse of the same buffer
    (the editor), whose subflows' walks are taken over for the statements both share."""
    functions = flow.functions
    # (no FUNCTION: Main is the whole body, not the copy ``flow.main`` makes)
    main_body = flow.main if functions else flow.body
    old = {sf.name: sf for sf in last.subflows} if last is not None else {}
    main = Subflow("Main", main_body, True, (), None, *_contents(main_body, old.get("Main")))
    subflows = [main]
    for fn in functions:
        local = not fn.is_global and bool(fn.params)
        subflows.append(Subflow(fn.name, fn.body, not local, tuple(p.name for p in fn.params), fn,
                                *_contents(fn.body, old.get(fn.name))))
    sensitive: set[str] = set()
    decls: dict[str, n.Sensitive] = {}
    stmts: dict[str | None, n.Sensitive] = {}
    inputs: dict[str, IOVar] = {}
    outputs: dict[str, IOVar] = {}
    for sf in subflows:
        for stmt in sf.decls:
            if type(stmt) is n.Sensitive and not stmt.disabled:
                scope = None if sf.is_global else sf.name
                stmts.setdefault(scope, stmt)
                for name in stmt.names:
                    key = sf.key(name.name)
                    sensitive.add(key)
                    decls.setdefault(key, stmt)
    for stmt in main.decls:
        if type(stmt) is n.IODecl and not stmt.disabled:
            default = stmt.props.get("DefaultValue") if isinstance(stmt.props, n.ObjectLit) else None
            var = IOVar(stmt.name.name, stmt.kind, stmt, default, stmt.name.name in password_io)
            (inputs if stmt.kind == "INPUT" else outputs)[stmt.name.name] = var
    is_snippet = not any(_is_header(s) for s in main_body)
    return FlowModel(
        flow, tuple(subflows), frozenset(sensitive), decls, inputs, outputs, stmts, is_snippet,
        io_schema, solution,
    )
