"""Typed, immutable syntax tree of a Robin flow.

Every node carries a :class:`Span` (offsets into the flow's source text plus 1-based line and
column). Spans do not take part in equality: two trees are equal when they have the same
structure and values, wherever they sit in a file. Text between nodes (indentation, blank
lines, newlines) is never stored: it is ``source[a:b]`` between two spans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple, Union, cast


class Span(NamedTuple):
    """Where a node is. A named tuple, not a dataclass like the nodes: a parse builds one per
    node and a keystroke in the editor moves thousands (:mod:`pafix.syntax.incremental`), and a tuple
    is built three times faster than a frozen dataclass."""

    start: int  #: offset of the first character
    end: int  #: offset after the last character
    line: int  #: 1-based line of ``start``
    column: int  #: 1-based column of ``start``
    end_line: int
    end_column: int  #: 1-based column after the last character (exclusive)


# ---- expressions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    span: Span = field(compare=False, repr=False)
    name: str
    #: written as ``GLOBAL.name`` (a local subflow reaching a Main/global variable)
    is_global: bool = False


@dataclass(frozen=True, slots=True)
class Attribute:
    span: Span = field(compare=False, repr=False)
    value: Expr
    attr: str


@dataclass(frozen=True, slots=True)
class Index:
    span: Span = field(compare=False, repr=False)
    value: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Call:
    span: Span = field(compare=False, repr=False)
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class BinOp:
    span: Span = field(compare=False, repr=False)
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class UnaryOp:
    span: Span = field(compare=False, repr=False)
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Paren:
    span: Span = field(compare=False, repr=False)
    expr: Expr


@dataclass(frozen=True, slots=True)
class Hole:
    """A ``%expr%`` inside ``$'''...'''`` text. ``span`` covers the percent signs too."""

    span: Span = field(compare=False, repr=False)
    expr: Expr


StringKind = Literal["plain", "triple", "interpolated", "encrypted", "fx", "invalid"]


@dataclass(frozen=True, slots=True)
class StringLit:
    """Any quoted literal. ``raw`` is the exact source text, quotes and prefix included.

    ``parts`` holds the unescaped literal pieces and, for interpolated text, the holes.
    ``encrypted`` is ``P'...'`` (a DPAPI blob), ``fx`` is Power Fx ``$fx'...'`` (opaque),
    ``invalid`` is a back-quoted value PAD writes for a parameter it could not parse.
    """

    span: Span = field(compare=False, repr=False)
    kind: StringKind
    raw: str
    parts: tuple[str | Hole, ...]

    @property
    def holes(self) -> tuple[Hole, ...]:
        parts = self.parts
        if len(parts) == 1 and type(parts[0]) is str:  # most texts: one piece (the analysis asks each)
            return ()
        return tuple([p for p in parts if isinstance(p, Hole)])

    @property
    def literal(self) -> str | None:
        """The text value when the literal has no interpolation, else ``None``."""
        parts = self.parts
        if len(parts) == 1 and type(parts[0]) is str:  # most texts: one piece, no join
            return parts[0]
        if any(isinstance(p, Hole) for p in parts):
            return None
        return "".join(p for p in parts if isinstance(p, str))


@dataclass(frozen=True, slots=True)
class Number:
    span: Span = field(compare=False, repr=False)
    raw: str


@dataclass(frozen=True, slots=True)
class Bool:
    span: Span = field(compare=False, repr=False)
    value: bool


@dataclass(frozen=True, slots=True)
class ListLit:
    span: Span = field(compare=False, repr=False)
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class DatatableLit:
    """``{ ^[header...], [row...], ... }``; ``has_header`` tells whether the first row is ``^[...]``."""

    span: Span = field(compare=False, repr=False)
    rows: tuple[Expr, ...]  #: list literals, or variables holding a row
    has_header: bool


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    span: Span = field(compare=False, repr=False)
    key: StringLit
    value: Expr


@dataclass(frozen=True, slots=True)
class ObjectLit:
    """A custom object ``{ 'k': v }``; the empty one is written ``{{ }}``."""

    span: Span = field(compare=False, repr=False)
    entries: tuple[ObjectEntry, ...]

    def get(self, key: str) -> Expr | None:
        for entry in self.entries:
            if entry.key.literal == key:
                return entry.value
        return None


Expr = Union[
    Name, Attribute, Index, Call, BinOp, UnaryOp, Paren, StringLit, Number, Bool,
    ListLit, DatatableLit, ObjectLit,
]

# ---- statements ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arg:
    """``Name: value``, ``Name=> Var``, ``@name: value``, ``@'quoted name'=> Var``."""

    span: Span = field(compare=False, repr=False)
    name: str
    value: Expr
    dynamic: bool = False
    output: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    """``Module.Action[.Variant] args...``; also the parenthesised action of a condition."""

    span: Span = field(compare=False, repr=False)
    name: str
    args: tuple[Arg, ...]
    disabled: bool = False
    #: written with the ``_`` placeholder of an action without arguments (``Clipboard.Clear _``)
    placeholder: bool = field(default=False, compare=False)

    @property
    def module(self) -> str:
        return self.name.split(".", 1)[0]

    def param(self, name: str) -> Expr | None:
        for arg in self.args:
            if not arg.output and arg.name == name:
                return arg.value
        return None


Cond = Union[Expr, Action]
Body = tuple["Stmt", ...]


@dataclass(frozen=True, slots=True)
class Comment:
    span: Span = field(compare=False, repr=False)
    text: str
    block: bool
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Annotation:
    """``@@key: 'value'``; ``value`` is unescaped."""

    span: Span = field(compare=False, repr=False)
    key: str
    value: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Import:
    span: Span = field(compare=False, repr=False)
    path: str
    alias: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Sensitive:
    """``@SENSITIVE: [a, b]``. ``close`` is the offset of the ``]``."""

    span: Span = field(compare=False, repr=False)
    names: tuple[Name, ...]
    close: int = field(default=0, compare=False)
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class IODecl:
    """``@INPUT name : {...}`` or ``@OUTPUT name : {...}``."""

    span: Span = field(compare=False, repr=False)
    kind: Literal["INPUT", "OUTPUT"]
    name: Name
    props: Expr
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Set:
    span: Span = field(compare=False, repr=False)
    target: Expr
    value: Expr
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class IfBranch:
    span: Span = field(compare=False, repr=False)
    cond: Cond
    body: Body


@dataclass(frozen=True, slots=True)
class If:
    span: Span = field(compare=False, repr=False)
    branches: tuple[IfBranch, ...]
    orelse: Body | None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    span: Span = field(compare=False, repr=False)
    op: str
    value: Expr | None
    body: Body


@dataclass(frozen=True, slots=True)
class Switch:
    span: Span = field(compare=False, repr=False)
    subject: Expr
    cases: tuple[Case, ...]
    default: Body | None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class LoopRange:
    is_loop: ClassVar[bool] = True  #: what :func:`pafix.guard.nesting` counts as a loop
    span: Span = field(compare=False, repr=False)
    var: Name | None  #: ``LOOP FROM 1 TO 10 STEP 1`` has no index variable
    start: Expr
    stop: Expr
    step: Expr
    body: Body
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class ForEach:
    is_loop: ClassVar[bool] = True  #: what :func:`pafix.guard.nesting` counts as a loop
    span: Span = field(compare=False, repr=False)
    var: Name
    iterable: Expr
    body: Body
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class While:
    is_loop: ClassVar[bool] = True  #: what :func:`pafix.guard.nesting` counts as a loop
    span: Span = field(compare=False, repr=False)
    cond: Cond
    body: Body
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class BlockHandler:
    span: Span = field(compare=False, repr=False)
    name: str | None
    args: tuple[Arg, ...]
    body: Body


@dataclass(frozen=True, slots=True)
class Block:
    span: Span = field(compare=False, repr=False)
    name: str | None
    handlers: tuple[BlockHandler, ...]
    body: Body
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class OnError:
    """``ON ERROR [Name]`` ... ``END``: the handlers of the statement before it. ``more`` holds
    the further ``ON ERROR [Name]`` clauses before the one ``END`` (each an ``OnError`` whose
    span is its clause)."""

    span: Span = field(compare=False, repr=False)
    name: str | None
    body: Body
    disabled: bool = False
    more: tuple[OnError, ...] = ()


@dataclass(frozen=True, slots=True)
class OnErrorRepeat:
    """``ON ERROR REPEAT n TIMES WAIT s``: retries of the statement before it, followed by its
    ``ON ERROR`` handlers, or (``closed``) by ``END`` alone: a retry-only policy."""

    span: Span = field(compare=False, repr=False)
    times: Expr
    wait: Expr
    disabled: bool = False
    closed: bool = False


@dataclass(frozen=True, slots=True)
class CallSubflow:
    """``CALL name [In: v ...] [Out=> v ...]``."""

    span: Span = field(compare=False, repr=False)
    target: str
    args: tuple[Arg, ...]
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Label:
    span: Span = field(compare=False, repr=False)
    name: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Goto:
    span: Span = field(compare=False, repr=False)
    name: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Exit:
    """``EXIT Code: n [ErrorMessage: ...]``."""

    span: Span = field(compare=False, repr=False)
    args: tuple[Arg, ...]
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Wait:
    span: Span = field(compare=False, repr=False)
    cond: Cond
    timeout: Expr | None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class GetLastError:
    """``ERROR => Var [Reset: True]``."""

    span: Span = field(compare=False, repr=False)
    target: Expr
    args: tuple[Arg, ...]
    disabled: bool = False


JumpKind = Literal["EXIT LOOP", "NEXT LOOP", "NEXT ACTION", "EXIT FUNCTION", "THROW ERROR", "REPEAT BLOCK"]


@dataclass(frozen=True, slots=True)
class Jump:
    span: Span = field(compare=False, repr=False)
    kind: JumpKind
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Region:
    span: Span = field(compare=False, repr=False)
    title: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class EndRegion:
    span: Span = field(compare=False, repr=False)
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    """A subflow: ``FUNCTION name GLOBAL`` or a local one with parameters."""

    span: Span = field(compare=False, repr=False)
    name: str
    is_global: bool
    #: every parameter of a local subflow, in order, inputs and outputs
    params: tuple[Name, ...]
    body: Body
    disabled: bool = False
    #: the names of ``params`` declared ``OUTPUT``
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StrayEnd:
    """An ``END`` at the top level that closes nothing."""

    span: Span = field(compare=False, repr=False)
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class ErrorStmt:
    """Lines the parser could not read (only with ``recover=True``)."""

    span: Span = field(compare=False, repr=False)
    message: str
    disabled: bool = False


Stmt = Union[
    Comment, Annotation, Import, Sensitive, IODecl, Set, Action, If, Switch, LoopRange,
    ForEach, While, Block, OnError, OnErrorRepeat, CallSubflow, Label, Goto, Exit, Wait,
    GetLastError, Jump, Region, EndRegion, Function, StrayEnd, ErrorStmt,
]

Node = Union[Stmt, Expr, Arg, IfBranch, Case, BlockHandler, Hole, ObjectEntry]


@dataclass(frozen=True, slots=True)
class Trailer:
    """An opaque part of a clipboard flow: a ``# [ControlRepository][PowerAutomateDesktop]``
    trailer with its JSON, and/or a ``=====>`` line between two copied subflows."""

    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Flow:
    """A parsed flow. ``code`` gives back the exact text that was parsed. (Weakly referable:
    what :func:`pafix.syntax.incremental.errors_of` knows of a flow dies with it.)"""

    source: str = field(compare=False, repr=False, default="")
    body: Body = ()
    #: the opaque part that ends the text, if any (also the last of ``trailers``)
    trailer: Trailer | None = field(default=None, compare=False)
    path: str | None = field(default=None, compare=False)
    #: every opaque part, in order: a copy of several subflows has one after each subflow
    trailers: tuple[Trailer, ...] = field(default=(), compare=False)

    @property
    def code(self) -> str:
        return self.source

    def text(self, node: Node | Trailer) -> str:
        return self.source[node.span.start : node.span.end]

    @property
    def functions(self) -> tuple[Function, ...]:
        return tuple(s for s in self.body if isinstance(s, Function))

    @property
    def main(self) -> Body:
        """The Main subflow: the top-level statements that are not ``FUNCTION``."""
        return tuple(s for s in self.body if not isinstance(s, Function))

    @property
    def newline(self) -> str:
        if "\r" not in self.source:  # (one scan, not two counts: asked on every keystroke)
            return "\n"
        crlf = self.source.count("\r\n")
        lf = self.source.count("\n") - crlf
        return "\r\n" if crlf >= lf and crlf else "\n"

    @property
    def has_bom(self) -> bool:
        return self.source.startswith("\ufeff")

    @property
    def final_newline(self) -> bool:
        return self.source.endswith(("\n", "\r"))

    @property
    def errors(self) -> tuple[ErrorStmt, ...]:
        return tuple(n for n in walk_statements(self.body) if isinstance(n, ErrorStmt))


def child_bodies(stmt: Stmt) -> Iterator[Body]:
    """The statement lists directly inside a compound statement, in source order."""
    if isinstance(stmt, If):
        for branch in stmt.branches:
            yield branch.body
        if stmt.orelse is not None:
            yield stmt.orelse
    elif isinstance(stmt, Switch):
        for case in stmt.cases:
            yield case.body
        if stmt.default is not None:
            yield stmt.default
    elif isinstance(stmt, Block):
        for handler in stmt.handlers:
            yield handler.body
        yield stmt.body
    elif isinstance(stmt, OnError):
        yield stmt.body
        for clause in stmt.more:
            yield clause.body
    elif isinstance(stmt, (LoopRange, ForEach, While, Function)):
        yield stmt.body


#: the statement types with nested bodies (those :func:`child_bodies` answers for)
COMPOUND: frozenset[type] = frozenset({If, Switch, Block, OnError, LoopRange, ForEach, While, Function})


def walk_statements(body: Body) -> Iterator[Stmt]:
    """Every statement in ``body`` and in nested bodies, in source order (iterative).

    Asks :func:`child_bodies` only of compound statements: most statements are not, and every
    walk of a flow (the model, the rules, suppressions) goes through here."""
    stack: list[Iterator[Stmt]] = [iter(body)]
    compound = COMPOUND
    while stack:
        for stmt in stack[-1]:
            yield stmt
            if type(stmt) in compound:
                nested = [s for b in child_bodies(stmt) for s in b]
                if nested:
                    stack.append(iter(nested))
                    break
        else:
            stack.pop()


def statement_exprs(stmt: Stmt) -> Sequence[tuple[Expr, bool]]:
    """``(expression, is_written)`` for the expressions of one statement, nested bodies excluded.

    ``is_written`` marks assignment targets (``SET x``, ``Out=> x``, loop variables).

    A tuple from a table by statement type, not a generator: the rules, the model and the fixes
    ask this of every statement of a flow, and most statements hold a few leaves."""
    exprs = _EXPRS.get(type(stmt))
    return exprs(stmt) if exprs is not None else ()


def statement_actions(stmt: Stmt) -> Sequence[Action]:
    """The action calls of one statement, nested bodies excluded: an action statement itself,
    or the actions of its conditions (``IF``/``ELSE IF``, ``WHILE``, ``WAIT``)."""
    kind = type(stmt)
    if kind is Action:
        return (cast(Action, stmt),)
    if kind is If:
        return [b.cond for b in cast(If, stmt).branches if isinstance(b.cond, Action)]
    if kind is While or kind is Wait:
        cond = cast("While | Wait", stmt).cond
        return (cond,) if isinstance(cond, Action) else ()
    return ()


def _arg_exprs(items: tuple[Arg, ...]) -> tuple[tuple[Expr, bool], ...]:
    return tuple([(arg.value, arg.output) for arg in items])


def _cond_exprs(c: Cond) -> tuple[tuple[Expr, bool], ...]:
    return _arg_exprs(c.args) if isinstance(c, Action) else ((c, False),)


def _if_exprs(stmt: If) -> tuple[tuple[Expr, bool], ...]:
    if len(stmt.branches) == 1:
        return _cond_exprs(stmt.branches[0].cond)
    return tuple([pair for branch in stmt.branches for pair in _cond_exprs(branch.cond)])


def _switch_exprs(stmt: Switch) -> tuple[tuple[Expr, bool], ...]:
    return ((stmt.subject, False), *[(case.value, False) for case in stmt.cases if case.value is not None])


def _loop_exprs(stmt: LoopRange) -> tuple[tuple[Expr, bool], ...]:
    bounds = ((stmt.start, False), (stmt.stop, False), (stmt.step, False))
    return bounds if stmt.var is None else ((stmt.var, True), *bounds)


def _wait_exprs(stmt: Wait) -> tuple[tuple[Expr, bool], ...]:
    cond = _cond_exprs(stmt.cond)
    return cond if stmt.timeout is None else (*cond, (stmt.timeout, False))


#: :func:`statement_exprs` by statement type, each in source order
_EXPRS: dict[type, Callable[[Any], tuple[tuple[Expr, bool], ...]]] = {
    Set: lambda s: ((s.target, True), (s.value, False)),
    Action: lambda s: _arg_exprs(s.args),
    CallSubflow: lambda s: _arg_exprs(s.args),
    Exit: lambda s: _arg_exprs(s.args),
    GetLastError: lambda s: ((s.target, True), *_arg_exprs(s.args)),
    If: _if_exprs,
    Switch: _switch_exprs,
    LoopRange: _loop_exprs,
    ForEach: lambda s: ((s.var, True), (s.iterable, False)),
    While: lambda s: _cond_exprs(s.cond),
    Wait: _wait_exprs,
    Block: lambda s: tuple([pair for handler in s.handlers for pair in _arg_exprs(handler.args)]),
    OnErrorRepeat: lambda s: ((s.times, False), (s.wait, False)),
    IODecl: lambda s: ((s.props, False),),
}


#: the expressions directly inside one, in reverse source order (the order a stack takes them);
#: a dictionary by type, not an isinstance chain: the rules and the analysis walk every
#: expression of a flow, and most of them are leaves (names, numbers, plain text)
_INNER: dict[type, Callable[[Any], Sequence[Expr]]] = {
    Attribute: lambda e: (e.value,),
    Index: lambda e: (e.index, e.value),
    Call: lambda e: e.args[::-1],
    BinOp: lambda e: (e.right, e.left),
    UnaryOp: lambda e: (e.operand,),
    Paren: lambda e: (e.expr,),
    StringLit: lambda e: [p.expr for p in e.parts[::-1] if isinstance(p, Hole)],
    ListLit: lambda e: e.items[::-1],
    DatatableLit: lambda e: e.rows[::-1],
    ObjectLit: lambda e: [x for entry in e.entries[::-1] for x in (entry.value, entry.key)],
}


#: the function giving the expressions directly inside one of a type (None: a leaf type), in
#: the reverse source order a stack takes them, for walks specialised to what they look for
inner_exprs = _INNER.get


def is_leaf(expr: Expr) -> bool:
    """Whether ``expr`` holds no other expression: a name, a number, a boolean, text without
    ``%...%`` holes (most arguments of a flow)."""
    kind = type(expr)
    if kind is StringLit:
        parts = cast(StringLit, expr).parts
        if len(parts) == 1 and type(parts[0]) is str:  # the usual text: one piece, no hole
            return True
        return not any(isinstance(p, Hole) for p in parts)
    return kind not in _INNER


def root_name(expr: Expr) -> Name | None:
    """The variable an access path starts from: ``obj['a'].b`` → ``obj`` (None when the path
    does not start from a variable)."""
    kind = type(expr)
    if kind is Name:  # the usual case (the analysis asks this of every target and operand)
        return cast(Name, expr)
    while kind is Attribute or kind is Index:
        expr = cast("Attribute | Index", expr).value
        kind = type(expr)
    return cast(Name, expr) if kind is Name else None


def walk_expr(expr: Expr) -> Iterator[Expr]:
    """``expr`` and every expression inside it, holes of interpolated text included (iterative)."""
    stack: list[Expr] = [expr]
    inner = _INNER.get
    while stack:
        e = stack.pop()
        yield e
        found = inner(type(e))
        if found is not None:
            stack.extend(found(e))
