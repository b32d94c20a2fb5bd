"""Semantic model of a flow: subflows, scopes, declarations, sensitivity.

PAD variables are global across the Main flow and ``GLOBAL`` subflows. A local subflow (one
declared with parameters, without ``GLOBAL``) has its own scope and reaches globals as
``GLOBAL.x``. Variable keys are ``name`` for globals and ``Subflow::name`` for locals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def _contents(body: n.Body) -> tuple[tuple[n.Stmt, ...], tuple[n.Action, ...], tuple[str, ...]]:
    """A subflow's statements, action calls and called subflows (see :class:`Subflow`), from
    one walk of its body."""
    statements = tuple(n.walk_statements(body))
    actions: list[n.Action] = []
    calls: dict[str, None] = {}  # an ordered set
    for stmt in statements:
        if type(stmt) is n.CallSubflow:
            calls[stmt.target] = None
        else:
            actions.extend(n.statement_actions(stmt))
    return statements, tuple(actions), tuple(calls)


def build_model(
    flow: n.Flow,
    password_io: frozenset[str] = frozenset(),
    io_schema: frozenset[str] | None = None,
    solution: SolutionContext | None = None,
) -> FlowModel:
    main_body = flow.main
    main = Subflow("Main", main_body, True, (), None, *_contents(main_body))
    subflows = [main]
    for fn in flow.functions:
        local = not fn.is_global and bool(fn.params)
        subflows.append(Subflow(fn.name, fn.body, not local, tuple(p.name for p in fn.params), fn,
                                *_contents(fn.body)))
    sensitive: set[str] = set()
    decls: dict[str, n.Sensitive] = {}
    stmts: dict[str | None, n.Sensitive] = {}
    inputs: dict[str, IOVar] = {}
    outputs: dict[str, IOVar] = {}
    for sf in subflows:
        for stmt in sf.body:
            if isinstance(stmt, n.Sensitive) and not stmt.disabled:
                scope = None if sf.is_global else sf.name
                stmts.setdefault(scope, stmt)
                for name in stmt.names:
                    key = sf.key(name.name)
                    sensitive.add(key)
                    decls.setdefault(key, stmt)
    for stmt in main_body:
        if isinstance(stmt, n.IODecl) and not stmt.disabled:
            default = stmt.props.get("DefaultValue") if isinstance(stmt.props, n.ObjectLit) else None
            var = IOVar(stmt.name.name, stmt.kind, stmt, default, stmt.name.name in password_io)
            (inputs if stmt.kind == "INPUT" else outputs)[stmt.name.name] = var
    is_snippet = not any(_is_header(s) for s in main_body)
    return FlowModel(
        flow, tuple(subflows), frozenset(sensitive), decls, inputs, outputs, stmts, is_snippet,
        io_schema, solution,
    )
