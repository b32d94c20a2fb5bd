"""Two kinds of sensitive value, and how sure pafix is of each finding.

A **credential** is what opens something: a password, token, API/access/encryption key, client
secret, private key; the output of Get credential, Key Vault ``GetSecret`` or a password input
dialog; a variable used in a secret-bearing parameter (``Password:``); a name the
:class:`~pafix.analysis.names.NamePolicy` says is credential-shaped; a connection string that
carries a credential part (``Password=``, ``Pwd=``, ``AccountKey=``, ``SharedAccessKey=``,
``client_secret=``...) or has a credential interpolated in.

**Sensitive data** is what the author marked sensitive (``@SENSITIVE``, ``"format": "password"``)
that is not credential-shaped by name or use: an e-mail recipient, a message, a customer record.

Neither: file paths, log messages, OLEDB/Excel connection strings without a credential part
(``Integrated Security=SSPI`` is Windows authentication: no secret in the text).

Confidence (CodeQL's *precision*): **high** for a definite credential source, or an
author-marked variable, reaching the finding by a direct path; **medium** for a name heuristic,
a connection string whose text pafix cannot see, or author-marked sensitive *data* stored in a
plain variable; **low** for weak evidence: a header-less clipboard snippet (the flow it was
copied from may mark the variable sensitive), a value that reached the finding only through an
error message or through an action the catalogue does not know.

This module holds the classification only; the taint analysis tags each origin with a kind and
a confidence, and the rules combine them with :func:`labels_kind` and :func:`labels_confidence`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from pafix.analysis.names import NamePolicy
from pafix.findings import CONFIDENCES, Confidence, ValueKind
from pafix.syntax import nodes as n
from pafix.syntax.statement_memo import Memos, Recall

if TYPE_CHECKING:  # the taint package imports this module
    from pafix.analysis.model import FlowModel, Subflow
    from pafix.analysis.taint.state import Label

#: ``key=value`` parts of a connection string that carry a credential
CREDENTIAL_PART_RE = re.compile(
    r"(?i)(?:^|[;\s&?])(password|pwd|accountkey|sharedaccesssignature|sharedaccesskey|client_secret|"
    r"clientsecret|access_token|api_key|apikey)\s*="
)


#: keys that make a text a connection string (ADO.NET, OLEDB, ODBC)
CONNECTION_KEY_RE = re.compile(
    r"(?i)(?:^|;)\s*(provider|data source|server|driver|dsn|database|initial catalog|integrated security|"
    r"trusted_connection|extended properties|user id|uid|host|endpoint|accountname|defaultendpointsprotocol)\s*="
)


def is_connection_string(text: str) -> bool:
    """Whether ``text`` reads as a connection string (``Provider=...;Data Source=...``)."""
    # every key is followed by "=": most texts (names, paths, messages) are answered without the regex
    return "=" in text and CONNECTION_KEY_RE.search(text) is not None


def connection_string_kind(text: str) -> ValueKind | None:
    """``credential`` when a connection string's text has a credential part, else ``None``.

    ``Provider=Microsoft.ACE.OLEDB.12.0;Data Source=C:\\x.xlsx`` and ``Integrated
    Security=SSPI`` are neither; ``...;Password=%Pw%`` and ``AccountKey=...`` are credentials
    (a hole's value is judged by the taint analysis: ``Data Source=%Path%`` stays neither)."""
    return "credential" if "=" in text and CREDENTIAL_PART_RE.search(text) else None


def is_connection_string_param(param: str) -> bool:
    """A parameter that takes a whole connection string (``ConnectionString``)."""
    return param.lower().lstrip("@").endswith("connectionstring")


def name_kind(name: str, names: NamePolicy) -> ValueKind | None:
    """``credential`` for a credential-shaped name (``SmtpPassword``, ``ApiKey``), else ``None``."""
    return "credential" if names.is_secret(name) else None


def marked_kind(name: str, names: NamePolicy, *, used_as_secret: bool) -> ValueKind:
    """The kind of a variable the author marked sensitive: a credential when its name or its
    use (a secret-bearing parameter) says so, otherwise sensitive data."""
    return "credential" if used_as_secret or names.is_secret(name) else "data"


def marked_origin(name: str, names: NamePolicy, use: Confidence | None) -> tuple[ValueKind, Confidence]:
    """Kind and confidence of a variable the author marked sensitive. The mark is certain;
    that it is a *credential* is as certain as the evidence: a credential-shaped name, or its
    use in a secret-bearing parameter (``use``: that use's confidence, e.g. medium for a
    connection string whose text pafix cannot see), else it is sensitive data -- low confidence
    when its name says it is an error or log text, a status or a path (``ErrorMessage``)."""
    if names.is_secret(name):
        return "credential", "high"
    if use is not None:
        return "credential", use
    if names.is_neither(name):  # an error/log text, a status or a path the author marked anyway
        return "data", "low"
    return "data", "high"


@dataclass(frozen=True, slots=True)
class ConnectionTexts:
    """What the text written into each variable says of a credential."""

    #: every write is a connection-string literal with no credential part (``Integrated Security=SSPI``):
    #: no secret, whatever the variable's name (``ConnString``) or use (``ConnectionString:``)
    plain: frozenset[str]
    #: some write is a text literal with a credential part (``...;Password=%Pw%``)
    with_credential: frozenset[str]


NO_CONNECTION_TEXTS = ConnectionTexts(frozenset(), frozenset())


def connection_texts(model: FlowModel, memos: Memos | None = None) -> ConnectionTexts:
    """Sort variables by the literals written into them. A variable written by an action, a
    ``CALL``, a loop, or declared as an input has text pafix cannot see: in neither set. Holes
    are left to the taint analysis (a credential interpolated in taints the variable).

    A variable gets into a set only through a ``SET`` of a literal that reads as a connection
    string or has a credential part: a flow with none (every flow of the corpus and of the
    generated fleet) is answered without asking every statement what it writes, which was an
    eighth of the analysis.

    With ``memos`` (the editor), what each block of top-level statements writes is taken over
    from the last check when its text is unchanged (:mod:`pafix.syntax.statement_memo`): it
    names variables and holds no position. The answer is the same."""
    if memos is not None:
        return _texts_of(_by_block(model, memos), model)
    if not any(type(stmt) is n.Set and _names_a_connection(_set_text(stmt))
               for sf in model.subflows for stmt in sf.statements):
        return NO_CONNECTION_TEXTS
    return _texts_of(_joined_texts([_texts_written(sf, sf.statements) for sf in model.subflows]), model)


#: what some statements write: per variable, whether every write is a literal that reads as a
#: connection string; and the variables some literal with a credential part is written into
_Texts = tuple[dict[str, bool], frozenset[str]]
_NO_TEXTS: _Texts = ({}, frozenset())
_TEXTS_MEMO = "analysis.connection_texts"


def _by_block(model: FlowModel, memos: Memos) -> _Texts:
    """:func:`connection_texts`' walk, gathered per block of top-level statements."""
    recall: Recall[_Texts, _Texts] = memos.recall(_TEXTS_MEMO, None, _same_texts, _joined_texts)
    parts: list[_Texts] = []
    for sf in model.subflows:
        for part, _delta, _dline in recall.blocks((sf.name, sf.is_global), sf.body, partial(_top_texts, sf)):
            parts.append(part)
    return _joined_texts(parts)


def _top_texts(sf: Subflow, top: n.Stmt) -> tuple[_Texts, bool]:
    """What the top-level statement ``top`` (nested ones included) writes, and that it may be
    kept (it holds no position)."""
    return _texts_written(sf, n.walk_statements((top,))), True


def _texts_written(sf: Subflow, stmts: Iterable[n.Stmt]) -> _Texts:
    """What the statements ``stmts`` of ``sf`` write."""
    literal_only: dict[str, bool] = {}
    credential: set[str] = set()
    for stmt in stmts:
        for key, literal in _writes(sf, stmt):
            if literal is None:
                literal_only[key] = False
                continue
            if connection_string_kind(literal) is not None:
                credential.add(key)
            literal_only[key] = literal_only.get(key, True) and is_connection_string(literal)
    return (literal_only, frozenset(credential)) if literal_only else _NO_TEXTS


def _same_texts(texts: _Texts, _delta: int, _dline: int) -> _Texts:
    return texts  # names and flags: nothing to move


def _joined_texts(parts: Sequence[_Texts]) -> _Texts:
    literal_only: dict[str, bool] = {}
    credential: set[str] = set()
    for part in parts:
        if part is _NO_TEXTS:
            continue
        for key, ok in part[0].items():
            literal_only[key] = literal_only.get(key, True) and ok
        credential |= part[1]
    return (literal_only, frozenset(credential)) if literal_only else _NO_TEXTS


def _texts_of(texts: _Texts, model: FlowModel) -> ConnectionTexts:
    literal_only, credential = texts
    plain = frozenset(k for k, ok in literal_only.items() if ok and k not in credential and k not in model.inputs)
    return ConnectionTexts(plain, credential) if plain or credential else NO_CONNECTION_TEXTS


def _writes(sf: Subflow, stmt: n.Stmt) -> Sequence[tuple[str, str | None]]:
    """``(variable key, literal text or None)`` for each variable ``stmt`` writes. Asked of every
    statement of a flow: a list, not a generator, and nothing more than a type test for the
    statements that write nothing."""
    if type(stmt) is n.Set:
        root = n.root_name(stmt.target)
        if root is None:
            return ()
        return ((sf.key(root.name, force_global=root.is_global), _set_text(stmt)),)
    out: list[tuple[str, str | None]] = []
    for expr, written in n.statement_exprs(stmt):
        if written:
            root = n.root_name(expr)
            if root is not None:
                out.append((sf.key(root.name, force_global=root.is_global), None))
    return out


def _set_text(stmt: n.Set) -> str | None:
    """The text a ``SET`` writes when its value is a text literal (holes left out)."""
    value = stmt.value
    if type(value) is n.StringLit and value.kind != "encrypted":
        return "".join([p for p in value.parts if type(p) is str])
    return None


def _names_a_connection(text: str | None) -> bool:
    return text is not None and (connection_string_kind(text) is not None or is_connection_string(text))


# ---- combining the labels of a finding -----------------------------------------------------
def weaker(a: Confidence, b: Confidence) -> Confidence:
    return a if CONFIDENCES.index(a) >= CONFIDENCES.index(b) else b


def stronger(a: Confidence, b: Confidence) -> Confidence:
    return a if CONFIDENCES.index(a) <= CONFIDENCES.index(b) else b


def label_confidence(label: Label) -> Confidence:
    """An origin's confidence, low when the value got here only through an error message or
    an action the catalogue does not know."""
    if label.via_error or label.via_unknown:
        return "low"
    return label.origin.confidence


def labels_kind(labels: Iterable[Label]) -> ValueKind:
    """A finding is about a credential when any of its paths carries one."""
    return "credential" if any(lab.origin.value_kind == "credential" for lab in labels) else "data"


def labels_confidence(labels: Sequence[Label], *, snippet: bool = False) -> Confidence:
    """The strongest path of the finding's kind decides (a credential finding is as sure as
    its surest credential path); a snippet's "not marked sensitive" claims are low."""
    kind = labels_kind(labels)
    best: Confidence = "low"
    for lab in labels:
        if lab.origin.value_kind == kind:
            best = stronger(best, label_confidence(lab))
    return "low" if snippet else best


def credential_labels(labels: Sequence[Label]) -> tuple[Label, ...]:
    return tuple(lab for lab in labels if lab.origin.value_kind == "credential")
