"""The unsafe fix of PAF103: a secret input variable becomes a Get credential action.

For a secret input ``X`` the fix

* removes the whole ``@INPUT X ...`` declaration (every line of it, with its line break),
* removes ``X`` from the top-level ``@SENSITIVE`` list (``X, `` or ``, X``, so the other
  names keep their spacing; a list left empty loses its whole line),
* inserts one Get credential action, rendered by
  :meth:`~pafix.analysis.catalogue.Catalogue.render_credential`, as the first statement of the Main
  flow (after the header lines, in the file's newline style), bound to ``X`` + the
  configured suffix (``X_Credential``),
* replaces every read of ``X`` -- bare, in ``%...%`` holes, in every subflow; ``GLOBAL.X``
  in local subflows -- with ``X_Credential.Password``.

A matching user-name input (``SmtpPassword`` ↔ ``SmtpUser``/``SmtpUsername``/``SmtpLogin``)
goes the same way and becomes ``X_Credential.Username``.

The fix is only offered when it can be complete: no fix for a clipboard snippet, for an
input that is not text (``'Type': 'List'``...), for an input that the flow assigns
(``SET X TO``, ``=> X``, a loop variable), for an input that a
Power Fx or unparsed parameter text, or an ``@@`` annotation, mentions (those are opaque:
a reference there would be left dangling), or when the credential variable's name is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from pafix.syntax import nodes as n
from pafix.syntax.displaced import top_level
from pafix.analysis.catalogue import Catalogue
from pafix.analysis.model import FlowModel, Subflow
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint import Analysis, root_name
from pafix.config import Config, DEFAULT
from pafix.findings import Edit, Fix
from pafix.syntax.statement_memo import Memos, Recall

#: suffixes of a password input whose stem names the matching user-name input
PASSWORD_SUFFIXES = ("password", "pwd", "secret")
#: what follows the stem in the user-name input's name (compared case-insensitively)
USER_SUFFIXES = ("user", "username", "login")

#: ``'Type'`` values of an input that a credential's user name or password can replace
TEXT_TYPES = frozenset({"string", "text"})

HEADER_TYPES = (n.Annotation, n.Import, n.Sensitive, n.IODecl)


class Context(Protocol):
    """What the fix reads of a checked flow: :class:`pafix.rules.base.Context` has it. Named
    here, not imported, so that this builder sits below the rules that offer it (PAF103)."""

    @property
    def flow(self) -> n.Flow: ...
    @property
    def model(self) -> FlowModel: ...
    @property
    def analysis(self) -> Analysis: ...
    @property
    def catalogue(self) -> Catalogue: ...
    @property
    def names(self) -> NamePolicy: ...
    @property
    def options(self) -> dict[str, object]: ...
    @property
    def memos(self) -> Memos | None: ...


def build_credential_fix(ctx: Context, input_name: str) -> Fix | None:
    """The unsafe Get credential fix for the secret input ``input_name``, or ``None``."""
    model = ctx.model
    flow = ctx.flow
    if model.is_snippet or input_name not in model.inputs:
        return None
    config = ctx.options.get("config")
    if not isinstance(config, Config):
        config = DEFAULT
    if _is_user_half(ctx, input_name):
        return None  # the password input's fix replaces this one too
    if not (ctx.names.is_secret(input_name) or input_name in ctx.analysis.secret_used):
        # sensitive, but not a credential by its name or use (a recipient, a config path):
        # turning it into a credential's Password would be wrong; the finding stays
        return None
    refs = global_refs(ctx)
    password = _Replacement.plan(refs, input_name)
    if password is None:
        return None
    variable = input_name + config.credential_suffix
    if _name_taken(model, variable, ctx.memos):
        return None
    user_name = user_input_for(model, input_name)
    user = _Replacement.plan(refs, user_name) if user_name is not None else None

    catalogue = ctx.catalogue
    props = catalogue.credential_properties
    secret_prop = catalogue.credential_secret_properties[0]
    user_prop = next((p for p in props if p not in catalogue.credential_secret_properties), None)
    if user_prop is None:
        user = None

    edits: list[Edit] = []
    removed = [input_name] + ([user.name] if user is not None else [])
    for name in removed:
        decl_edit = _remove_decl(flow.source, model.inputs[name].decl)
        if decl_edit is None:
            return None
        edits.append(decl_edit)
    edits.extend(_remove_from_sensitive(flow, refs.sensitive, set(removed)))
    credential = config.credential_names.get(input_name, input_name)
    line = catalogue.render_credential(credential, variable)
    edits.append(_insert_first_statement(flow, line, refs.newline))
    edits.extend(password.edits(f"{variable}.{secret_prop}"))
    if user is not None:
        assert user_prop is not None
        edits.extend(user.edits(f"{variable}.{user_prop}"))

    also = f" and input {user.name} (now {variable}.{user_prop})" if user is not None else ""
    if config.credential_template is not None:
        template = "the one from your configuration ([credentials] template)"
    elif catalogue.credential_verified:
        template = "verified (configurable: [credentials] template)"
    else:
        template = "UNVERIFIED (set [credentials] template in the configuration)"
    description = (
        f"get credential '{credential}' into {variable} instead of input {input_name}{also}: "
        f"callers must stop passing {' and '.join(removed)}, the credential must exist, and the "
        f"Get credential action text is {template}"
    )
    return Fix(tuple(sorted(edits, key=lambda e: (e.start, e.end))), "unsafe", description)


# ---- pairing ------------------------------------------------------------------------------


def _stem(name: str) -> str | None:
    lowered = name.lower()
    for suffix in PASSWORD_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: len(name) - len(suffix)]
    return None


def user_input_for(model: FlowModel, password_input: str) -> str | None:
    """The user-name input that goes with ``password_input`` (one match only), or ``None``."""
    stem = _stem(password_input)
    if stem is None:
        return None
    wanted = {(stem + s).lower() for s in USER_SUFFIXES}
    hits = [
        name for name, var in model.inputs.items()
        if name != password_input and var.kind == "INPUT" and name.lower() in wanted
    ]
    return hits[0] if len(hits) == 1 else None


def _is_user_half(ctx: Context, name: str) -> bool:
    for other in ctx.analysis.secret_inputs:
        if other != name and user_input_for(ctx.model, other) == name:
            return True
    return False


# ---- references ---------------------------------------------------------------------------


def _refers(sf: Subflow, name: n.Name) -> bool:
    """Whether ``name``, where it is written, is a global variable (an input can only be one)."""
    return sf.is_global or name.is_global


#: a read of a global variable: (name, start, end, written ``GLOBAL.name``)
Read = tuple[str, int, int, bool]
#: the reads of some statements, by variable: its reads in walk order (never changed once made)
_Reads = dict[str, tuple[Read, ...]]
#: what one top-level statement holds of :class:`_GlobalRefs`: its reads, the globals it
#: writes, its opaque texts
_Part = tuple[_Reads, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _GlobalRefs:
    """Every reference to a global variable in one flow, gathered in a single walk.

    :meth:`_Replacement.plan` runs once per secret input (and once more for its user-name
    half); walking the whole flow each time made the fix the slowest part of checking a
    large flow. The index is built once per flow (:func:`global_refs`) and answers every
    input's plan. In the editor, the part of each top-level statement is taken over from the
    last check when the statement's text is unchanged (:mod:`pafix.syntax.statement_memo`):
    a keystroke no longer walks every expression of the flow."""

    model: FlowModel
    #: the reads of global variables, in walk order: each part's reads by variable, with how
    #: far to move them (the editor takes a block's part over from the last check; moving
    #: every read of the flow on each keystroke was half of PAF103's time, and merging every
    #: part's reads by variable as much again, when a fix needs the reads of one or two
    #: inputs: :meth:`reads_of` gathers one variable's)
    reads: tuple[tuple[_Reads, int], ...]
    #: global variables the flow assigns (``SET X TO``, ``=> X``, a loop variable)
    written: frozenset[str]
    #: text a reference cannot be rewritten in: ``@@`` annotations, Power Fx and unparsed
    #: literals
    opaque: tuple[str, ...]
    #: the ``@INPUT``/``@OUTPUT`` declarations of each name in Main
    decls: dict[str, list[n.IODecl]]
    #: the ``@SENSITIVE`` statements of the global scope
    sensitive: tuple[n.Sensitive, ...]
    #: the flow's newline (counted over the whole text: once, not once per input)
    newline: str
    #: the groups of reads of each input, once made (see :meth:`_groups`)
    by_input: list[dict[str, list[tuple[tuple[Read, ...], int]]]] = field(default_factory=list, compare=False,
                                                                            repr=False)

    @classmethod
    def build(cls, model: FlowModel, memos: Memos | None = None) -> _GlobalRefs:
        reads: list[tuple[_Reads, int]] = []
        written: set[str] = set()
        opaque: list[str] = []
        recall = memos.recall(_REFS_OPTION, None, _moved_part, _joined_parts) if memos is not None else None
        for sf in model.subflows:
            parts: Iterable[tuple[_Part, int]]
            if recall is None:  # a scan: the subflow's statements, walked once by the model
                parts = ((_collect(sf, sf.statements), 0),)
            else:
                parts = _parts_by_statement(sf, recall)
            for part, delta in parts:
                if part[0]:
                    reads.append((part[0], delta))
                written.update(part[1])
                opaque.extend(part[2])
        decls: dict[str, list[n.IODecl]] = {}
        sensitive: list[n.Sensitive] = []
        for sf in model.subflows:
            if not sf.is_global:
                continue
            for stmt in sf.decls:  # (not every top-level statement: see ``Subflow.decls``)
                if isinstance(stmt, n.IODecl) and sf.node is None:
                    decls.setdefault(stmt.name.name, []).append(stmt)
                elif isinstance(stmt, n.Sensitive) and not stmt.disabled:
                    sensitive.append(stmt)
        return cls(model, tuple(reads), frozenset(written), tuple(opaque), decls, tuple(sensitive), model.flow.newline)

    def reads_of(self, var: str) -> list[Read]:
        """The reads of the global ``var``, in walk order, where they are in this flow."""
        out: list[Read] = []
        for group, delta in self._groups(var):
            if delta:
                out.extend((name, start + delta, end + delta, is_global) for name, start, end, is_global in group)
            else:
                out.extend(group)
        return out

    def _groups(self, var: str) -> list[tuple[tuple[Read, ...], int]]:
        """The groups of reads of ``var``, each with how far to move it. For an input (what
        the fixes ask about), from an index of every input's groups made on first use in one
        pass, each part's names met with the inputs' (a set intersection): asking each of
        the ~1,400 parts of a 20,001-line flow for each input and its user-name half was
        ~3 ms a keystroke."""
        inputs = self.model.inputs
        if var not in inputs:
            return [(part[var], delta) for part, delta in self.reads if var in part]
        if not self.by_input:
            names = inputs.keys()
            index: dict[str, list[tuple[tuple[Read, ...], int]]] = {name: [] for name in names}
            for part, delta in self.reads:
                for name in part.keys() & names:
                    index[name].append((part[name], delta))
            self.by_input.append(index)
        return self.by_input[0][var]

    def mentioned_opaquely(self, var: str) -> bool:
        """Whether ``var`` occurs as a whole word (not after a dot) in opaque text."""
        word = re.compile(rf"(?<![\w.]){re.escape(var)}(?!\w)")
        return any(word.search(text) for text in self.opaque)


def _parts_by_statement(sf: Subflow, recall: Recall[_Part, _Part]) -> Iterator[tuple[_Part, int]]:
    """The parts of ``sf``'s top-level statements, gathered per block (the editor), with how
    far their reads are to be moved: taken over from the last check when the text is unchanged."""
    for part, delta, _dline in recall.blocks((sf.name, sf.is_global), sf.body, lambda top: (_part(sf, top), True)):
        yield part, delta


def _moved_part(part: _Part, delta: int, _dline: int) -> _Part:
    """``part`` with its reads moved by ``delta`` (they hold offsets, no lines)."""
    if not delta:
        return part
    reads = {name: tuple((v, start + delta, end + delta, g) for v, start, end, g in group)
             for name, group in part[0].items()}
    return reads, part[1], part[2]


def _joined_parts(parts: Sequence[_Part]) -> _Part:
    """The part of consecutive statements: each name's reads in walk order."""
    if len(parts) == 1:
        return parts[0]
    reads: dict[str, list[Read]] = {}
    written: list[str] = []
    opaque: list[str] = []
    for part in parts:
        for name, group in part[0].items():
            reads.setdefault(name, []).extend(group)
        written.extend(part[1])
        opaque.extend(part[2])
    return {name: tuple(group) for name, group in reads.items()}, tuple(written), tuple(opaque)


def _part(sf: Subflow, top: n.Stmt) -> _Part:
    """What the top-level statement ``top`` of ``sf`` (nested ones included) holds of the index."""
    return _collect(sf, n.walk_statements((top,)))


def _collect(sf: Subflow, stmts: Iterable[n.Stmt]) -> _Part:
    """What the statements ``stmts`` of ``sf`` hold of the index."""
    reads: dict[str, list[Read]] = {}
    written: list[str] = []
    opaque: list[str] = []
    for stmt in stmts:
        if isinstance(stmt, n.Annotation):
            opaque.append(stmt.value)
        for expr, is_written in n.statement_exprs(stmt):
            if is_written:
                root = root_name(expr)
                if root is not None and _refers(sf, root):
                    written.append(root.name)
            for e in (expr,) if n.is_leaf(expr) else n.walk_expr(expr):
                if isinstance(e, n.Name):
                    if _refers(sf, e):
                        reads.setdefault(e.name, []).append((e.name, e.span.start, e.span.end, e.is_global))
                elif isinstance(e, n.StringLit) and e.kind in ("fx", "invalid"):
                    opaque.append(e.raw)
    return {name: tuple(group) for name, group in reads.items()}, tuple(written), tuple(opaque)


_REFS_OPTION = "credential_fix.global_refs"


def global_refs(ctx: Context) -> _GlobalRefs:
    """The flow's :class:`_GlobalRefs`, built on first use and kept in ``ctx.options`` (one
    ``Context`` per checked flow, so it never outlives the flow it describes)."""
    refs = ctx.options.get(_REFS_OPTION)
    if not isinstance(refs, _GlobalRefs) or refs.model is not ctx.model:
        refs = _GlobalRefs.build(ctx.model, ctx.memos)
        ctx.options[_REFS_OPTION] = refs
    return refs


@dataclass(frozen=True, slots=True)
class _Replacement:
    """The reads of one input variable, found where replacing them is safe."""

    name: str
    reads: tuple[Read, ...]

    @classmethod
    def plan(cls, refs: _GlobalRefs, var: str) -> _Replacement | None:
        """All reads of the global ``var``, or ``None`` when the flow assigns it, declares it
        twice, or mentions it where a reference cannot be rewritten."""
        io = refs.decls.get(var, [])
        if len(io) != 1 or not _is_text(io[0]):
            return None
        if var in refs.written or refs.mentioned_opaquely(var):
            return None
        reads = sorted(refs.reads_of(var), key=lambda x: x[1])
        return cls(var, tuple(reads))

    def edits(self, replacement: str) -> list[Edit]:
        return [
            Edit(start, end, ("GLOBAL." if is_global else "") + replacement)
            for _name, start, end, is_global in self.reads
        ]


def _is_text(decl: n.IODecl) -> bool:
    """A credential holds text: a ``List``, ``CustomObject``, ``Numeric``... input cannot
    become one. An input without a literal ``Type`` counts as text."""
    if not isinstance(decl.props, n.ObjectLit):
        return True
    kind = decl.props.get("Type")
    if isinstance(kind, n.StringLit) and kind.literal is not None:
        return kind.literal.lower() in TEXT_TYPES
    return True


def _name_taken(model: FlowModel, var: str, memos: Memos | None = None) -> bool:
    """Whether ``var`` already names anything in the flow (conservatively: any whole-word use).
    The plain substring test first: it settles the usual case (no such name) without the
    slower look-around search over the whole source. With ``memos`` (the editor): a name the
    last check's text did not hold is in this text only if it overlaps what changed, so only
    that stretch is searched (each search of a 20,001-line flow's text took ~0.5 ms, once per
    secret input on every keystroke)."""
    source = model.flow.source
    if memos is not None:
        last, now = memos.notes(_ABSENT_NOTE)
        if last.get(var):
            start, end = memos.changed()
            absent = var not in source[max(0, start - len(var) + 1) : end + len(var) - 1]
        else:
            absent = var not in source
        if absent:
            now[var] = True
            return False
    elif var not in source:
        return False
    return re.search(rf"(?<!\w){re.escape(var)}(?!\w)", source) is not None


#: the :meth:`~pafix.syntax.statement_memo.Memos.notes` of the names the text does not hold
_ABSENT_NOTE = "credential_fix.absent"


# ---- text edits ---------------------------------------------------------------------------


def _line_start(text: str, offset: int) -> int:
    start = text.rfind("\n", 0, offset) + 1
    if start == 0 and text.startswith("\ufeff"):
        start = 1
    return start


_LINE_REST = re.compile(r"[ \t]*(?:\r\n|\n|\r|\Z)")


def _after_line(text: str, offset: int) -> int | None:
    """The offset after the line break that ends the line holding ``offset`` (only blanks
    may come first), ``len(text)`` at the end of a last line, ``None`` if other text follows."""
    m = _LINE_REST.match(text, offset)
    if m is None:
        return None
    return m.end()


def _remove_decl(text: str, decl: n.IODecl) -> Edit | None:
    start = _line_start(text, decl.span.start)
    if text[start : decl.span.start].strip():
        return None  # something else on the same line: PAD never writes that
    end = _after_line(text, decl.span.end)
    if end is None:
        return None
    if end == len(text) and not text.endswith(("\n", "\r")) and start > 0:
        # the last line has no line break: take the one before it instead
        start -= 2 if text[start - 2 : start] == "\r\n" else 1
    return Edit(start, end, "")


def _remove_from_sensitive(flow: n.Flow, sensitive: tuple[n.Sensitive, ...], names: set[str]) -> list[Edit]:
    """Edits that drop ``names`` from every ``@SENSITIVE`` list of the global scope (the
    enabled ``sensitive`` statements, :attr:`_GlobalRefs.sensitive`)."""
    text = flow.source
    edits: list[Edit] = []
    for stmt in sensitive:
        items = stmt.names
        drop = [i for i, x in enumerate(items) if x.name in names]
        if not drop:
            continue
        if len(drop) == len(items):
            start = _line_start(text, stmt.span.start)
            end = _after_line(text, stmt.span.end)
            if not text[start : stmt.span.start].strip() and end is not None:
                edits.append(Edit(start, end, ""))
            else:
                edits.append(Edit(items[0].span.start, items[-1].span.end, ""))
            continue
        kept = [i for i in range(len(items)) if i not in drop]
        last_kept = kept[-1]
        spans: list[tuple[int, int]] = []
        for i in drop:
            if i < last_kept:  # "X, " up to the next name
                spans.append((items[i].span.start, items[i + 1].span.start))
            else:  # ", X" from the name before
                spans.append((items[i - 1].span.end, items[i].span.end))
        merged: list[list[int]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        edits.extend(Edit(s, e, "") for s, e in merged)
    return edits


def _insert_first_statement(flow: n.Flow, line: str, nl: str) -> Edit:
    """Insert ``line`` as the first statement of Main: after the header lines (``nl``: the
    flow's newline)."""
    text = flow.source
    last: n.Stmt | None = None
    body = top_level(flow)  # (by index: the loop stops at the header's end, above most edits)
    for i in range(len(body)):
        stmt = body[i]
        if isinstance(stmt, HEADER_TYPES):
            last = stmt
        elif not isinstance(stmt, n.Comment):
            break
    if last is None:
        pos = 1 if text.startswith("\ufeff") else 0
        return Edit(pos, pos, line + nl)
    end = _after_line(text, last.span.end)
    if end is None:  # cannot happen for a header line; be safe: next line break
        found = text.find("\n", last.span.end)
        end = len(text) if found < 0 else found + 1
    if end == len(text) and not text.endswith(("\n", "\r")):
        return Edit(end, end, nl + line)
    return Edit(end, end, line + nl)


__all__ = ["Context", "build_credential_fix", "user_input_for"]
