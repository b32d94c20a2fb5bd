"""Semantic model of a flow: subflows, scopes, declarations, sensitivity.

PAD variables are global across the Main flow and ``GLOBAL`` subflows. A local subflow (one
declared with parameters, without ``GLOBAL``) has its own scope and reaches globals as
``GLOBAL.x``. Variable keys are ``name`` for globals and ``Subflow::name`` for locals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, cast

from pafix.findings import Confidence, ValueKind
from pafix.syntax import nodes as n
from pafix.syntax.displaced import Displaced, DisplacedFunction, split_functions, top_level


@dataclass(frozen=True, slots=True)
class Subflow:
    name: str
    #: its top-level statements: a :class:`~pafix.syntax.displaced.Displaced` view for the Main,
    #: or a function below the edit, of a flow the editor's re-parse made (the statements below
    #: the edit not moved yet)
    body: Sequence[n.Stmt]
    is_global: bool
    params: tuple[str, ...]
    node: n.Function | None  #: ``None`` for Main
    #: the subflows it ``CALL``s, in order of first call, each once
    calls: tuple[str, ...] = field(compare=False, repr=False)
    #: the declarations among ``body``'s top-level statements (``@SENSITIVE``, ``@INPUT``,
    #: ``@OUTPUT``, ``IMPORT``), in order: what the model, the analysis' set-up and the credential
    #: fix's index look for in a body of ~17,000 top-level statements (20,001 lines), each
    #: with its own loop of type tests before
    decls: tuple[n.Stmt, ...] = field(default=(), compare=False, repr=False)
    #: ``statements`` and ``actions`` once walked (empty: a body whose displaced statements
    #: have not been moved is walked only when they are asked for)
    walk: list[Any] = field(default_factory=list, compare=False, repr=False)

    @property
    def statements(self) -> tuple[n.Stmt, ...]:
        """Every statement of ``body`` and of its nested bodies, in the order of
        :func:`pafix.syntax.nodes.walk_statements`: walked once here, read by the analysis's
        set-up and by the rules (a flow used to be walked a dozen times)."""
        return self._walked()[0]

    @property
    def actions(self) -> tuple[n.Action, ...]:
        """Every action call of ``statements``, the actions of ``IF``/``WHILE``/``WAIT``
        conditions included, in the same order (disabled ones too)."""
        return self._walked()[1]

    @property
    def walked(self) -> bool:
        """Whether ``statements`` and ``actions`` are known (asking would not walk the body)."""
        return len(self.walk) == 2

    def _walked(self) -> tuple[tuple[n.Stmt, ...], tuple[n.Action, ...]]:
        if len(self.walk) != 2:
            statements, actions = _walk(tuple(self.body))
            self.walk[:] = [statements, actions]
        return self.walk[0], self.walk[1]

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

_Walk = tuple[tuple[n.Stmt, ...], tuple[n.Action, ...]]


def _walk(body: n.Body) -> _Walk:
    """A subflow's statements and action calls (see :class:`Subflow`), from one walk of its
    body (the editor's keystroke used to take the walk above the edit over from the last model;
    it now walks only when asked, which its passes do not: they read the last check's results
    by blocks of top-level statements)."""
    walked = tuple(n.walk_statements(body))
    found: list[n.Action] = []
    for stmt in walked:
        if type(stmt) is not n.CallSubflow:
            found.extend(n.statement_actions(stmt))
    return walked, tuple(found)


def _calls(stmts: Iterable[n.Stmt]) -> tuple[str, ...]:
    """The subflows some statement of ``stmts`` (top-level) ``CALL``s, in order of first call.
    Reads no position: asked of a displaced body's old nodes (see :meth:`Displaced.raw_items
    <pafix.syntax.displaced.Displaced.raw_items>`); only compound statements are walked."""
    calls: dict[str, None] = {}  # an ordered set
    compound = n.COMPOUND
    for stmt in stmts:
        kind = type(stmt)
        if kind is n.CallSubflow:
            calls[cast(n.CallSubflow, stmt).target] = None
        elif kind in compound:
            for inner in n.walk_statements((stmt,)):
                if type(inner) is n.CallSubflow:
                    calls[inner.target] = None
    return tuple(calls)


def _decls(body: Sequence[n.Stmt]) -> tuple[n.Stmt, ...]:
    """The declarations among ``body``'s top-level statements (a displaced body's are found
    by their old nodes' types and only they are moved)."""
    if isinstance(body, Displaced):
        return tuple(body[i] for i, s in enumerate(body.raw_items()) if type(s) in DECL_TYPES)
    return tuple(s for s in body if type(s) in DECL_TYPES)


def _subflow(name: str, body: Sequence[n.Stmt], is_global: bool, params: tuple[str, ...],
             node: n.Function | None, last: Subflow | None) -> Subflow:
    """The subflow, walked now (a scan: the walk also gives its calls) or on first use of its
    statements (the editor, ``last`` given: a keystroke's passes read the last check's results
    by blocks, not the walk; and a displaced body is not moved for it, see :class:`Subflow`)."""
    if last is not None or isinstance(body, Displaced):  # the editor: walked if asked
        raw = body.raw_items() if isinstance(body, Displaced) else body
        return Subflow(name, body, is_global, params, node, _calls(raw), _decls(body), [])
    statements, actions = _walk(tuple(body))
    calls = dict.fromkeys(s.target for s in statements if type(s) is n.CallSubflow)  # an ordered set
    return Subflow(name, body, is_global, params, node, tuple(calls), _decls(body), [statements, actions])


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
    top = top_level(flow)
    functions: tuple[n.Function, ...]
    main_body: Sequence[n.Stmt]
    if isinstance(top, Displaced):  # (displaced statements stay so, in Main and in functions: see Subflow)
        main_body, functions = split_functions(top)
    else:
        functions = flow.functions
        # (no FUNCTION: Main is the whole body, not the copy ``flow.main`` makes)
        main_body = flow.main if functions else flow.body
    old = {sf.name: sf for sf in last.subflows} if last is not None else {}
    main = _subflow("Main", main_body, True, (), None, old.get("Main"))
    subflows = [main]
    for fn in functions:
        local = not fn.is_global and bool(fn.params)
        body = fn.view if isinstance(fn, DisplacedFunction) else fn.body  # (not moved: see Subflow)
        subflows.append(_subflow(fn.name, body, not local, tuple(p.name for p in fn.params), fn, old.get(fn.name)))
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
    is_snippet = not any(_is_header(s) for s in (main_body.raw_items() if isinstance(main_body, Displaced) else main_body))
    return FlowModel(
        flow, tuple(subflows), frozenset(sensitive), decls, inputs, outputs, stmts, is_snippet,
        io_schema, solution,
    )
