"""PAF104."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import cast

from pafix.syntax import nodes as n
from pafix.analysis.catalogue.spec import ActionSpec
from pafix.analysis.command_lines import command_secrets
from pafix.analysis.literals import (
    HOLE,
    Confidence,
    SecretText,
    assignment_secrets,
    comment_secrets,
    entropy,
    header_secrets,
    is_placeholder,
    looks_secret,
    pair_secrets,
)
from pafix.analysis.model import Subflow
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint import root_name
from pafix.findings import Finding, Severity
from pafix.redact import redact
from pafix.rules.base import Context, StatementRule, fingerprint

CONN_SECRET_RE = re.compile(
    r"(?i)(?:^|[;\s])(password|pwd|accountkey|sharedaccesssignature|sharedaccesskey|client_secret|clientsecret)\s*=\s*([^;]*)"
)
#: (label, the length of its shortest match, a piece of text every match contains, pattern):
#: a literal shorter than the shortest match or without the piece (most literals: names,
#: paths, selectors) is not searched for the pattern; tests/test_scan_fast_paths.py checks
#: both against the pattern
TOKEN_PATTERNS: tuple[tuple[str, int, str, re.Pattern[str]], ...] = (
    ("GitHub token", 40, "_", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}")),
    ("OpenAI API key", 23, "sk-", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    ("Slack token", 15, "xox", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("AWS access key", 20, "IA", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("Google API key", 39, "AIza", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("JSON web token", 38, "eyJ", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("private key", 27, "-----BEGIN ", re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----")),
    ("Azure storage key", 88, "==", re.compile(r"\b[A-Za-z0-9+/]{86}==")),
)
MIN_ENTROPY = 3.0
#: a message and how sure it is
Hit = tuple[str, Confidence]
#: (literal text, form, program) -> the hits in it
#: what :func:`text_secrets` said of a literal: by its raw text alone outside a text form
#: (most literals: the key is the string, no tuple to build), else by (raw text, form, program)
Scanned = dict[str | tuple[str, str | None, str | None], tuple[Hit, ...]]
#: expressions that hold no text
_NO_TEXT: frozenset[type] = frozenset({n.Name, n.Number, n.Bool})
#: a literal of a statement that holds a secret: the message, and "note" for an encrypted one
StmtHit = tuple[n.StringLit, str, Severity | None]
ENCRYPTED_NOTE = "encrypted (P'...') literal: a secret stored in the flow, protected only by the machine's DPAPI key"


def _literal(expr: n.Expr) -> n.StringLit | None:
    if isinstance(expr, n.StringLit) and expr.kind in ("plain", "triple", "interpolated") and expr.literal is not None:
        return expr
    return None


class HardcodedSecret(StatementRule):
    """A secret is written into the flow as a literal.

    ## What it does
    Reports literals in secret-bearing parameters (`Password:`, `EncryptionKey:`...),
    literals assigned to secret-named variables or secret-looking literals (one word, six
    characters or more, not a plain word) assigned to sensitive ones,
    `Password=`/`Pwd=`/`AccountKey=`/`SharedAccessSignature=` inside connection-string
    literals (a `ConnectionString:` literal without one, such as Windows authentication, is
    not a secret), well-known token formats (GitHub, OpenAI, Slack, AWS, Google, JWT, private keys)
    with enough entropy, non-empty `DefaultValue`s of sensitive or secret inputs, and, as notes,
    `P'...'` encrypted literals.

    It also reads credentials where real flows write them inside text:
    `…&client_secret=…` in form bodies and query strings (`?api_key=`, and in a URL also `key=`,
    `code=`, `sig=`), `"password": "…"` in JSON, `<wsse:Password>…</wsse:Password>` in XML,
    `user:password@` in URLs, `Authorization: Bearer …`, `x-api-key: …`,
    `Ocp-Apim-Subscription-Key: …` header lines, command lines of scripts and programs
    (`--password=`, `-Password 'x'`, `/pass:`, `sqlcmd -P`, `mysql -px`, `net use \\\\srv\\share x`,
    `curl -u user:x`, `qpdf --encrypt user owner`, `pdftk … owner_pw x`,
    `ConvertTo-SecureString 'x' -AsPlainText`), `$Password = 'x'` in script code, and comments
    that hold a password or key (`# password: Hunter2!`). Which parameter holds a URL, a body,
    headers, a command line or a script is said by the action catalogue (`text_forms`); how each
    program takes a password is the `[commands]` table of `secret_forms.toml`.

    Placeholders (empty, `XXXXXXXX`, `********`, `<password>`, `[your-token]`, `changeme`,
    `your_password`, `$Variable`, `%Var%`) are not reported. Messages show at most the first
    two characters of a value.

    ## Why is this bad?
    Microsoft: "You shouldn't hardcode critical data in plain text ... even if the said
    variables are marked as sensitive." Default values are not protected in the flow
    definition, and `P'...'` values are only protected by the machine's DPAPI key. A password
    on a command line is also visible to every process of the machine and to process auditing.

    ## Example
    ```
    Email.SendEmail.AuthenticateAndSend SMTPServer: $'''smtp.contoso.com''' Password: $'''Summer2024!''' ...
    ```

    ## Use instead
    A credential read with Get credential, and `Password: SmtpCredential.Password`.

    ## Fix safety
    No automatic fix: the secret must be moved to a credential store and rotated.
    """

    code = "PAF104"
    name = "hardcoded-secret"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        """A scan: every statement of the model's flat lists, in one go."""
        scanned = _scanned(ctx.names)
        found: list[Finding] = []
        for sf in ctx.model.subflows:
            self._check_statements(ctx, sf, sf.statements, scanned, found)
        return found

    def facts(self, ctx: Context) -> Hashable:
        return (ctx.model.sensitive, frozenset(ctx.analysis.secret_inputs))

    def check_statement(self, ctx: Context, sf: Subflow, top: n.Stmt) -> Iterable[Finding]:
        """The editor: one top-level statement and those nested in it (see ``StatementRule``)."""
        found: list[Finding] = []
        self._check_statements(ctx, sf, n.walk_statements((top,)), _scanned(ctx.names), found)
        return found

    def _check_statements(self, ctx: Context, sf: Subflow, stmts: Iterable[n.Stmt], scanned: Scanned,
                          found: list[Finding]) -> None:
        for stmt in stmts:
            if type(stmt) is n.Comment:
                found.extend(self._check_comment(ctx, sf, stmt))
                continue
            hits = self._stmt_hits(ctx, sf, stmt, scanned)
            if not hits:  # most statements: no finding object, no set of reported literals
                continue
            reported: set[int] = set()  # one finding a literal, the first reason wins
            for lit, message, severity in hits:
                if lit.span.start not in reported:
                    reported.add(lit.span.start)
                    # TODO(kinds): the hit's confidence once findings carry it
                    found.append(self.finding(ctx, lit.span, message, subflow=sf.name, severity=severity,
                                              kind="credential"))

    def _check_comment(self, ctx: Context, sf: Subflow, stmt: n.Comment) -> Iterator[Finding]:
        for hit in comment_secrets(stmt.text, ctx.names):
            value = stmt.text[hit.start:hit.end]
            # TODO(kinds): kind "credential", confidence hit.confidence ("medium") once findings carry them
            found = self.finding(ctx, stmt.span, f"comment holds a hard-coded {hit.what} {redact(value)!r}",
                                 subflow=sf.name)
            # the comment is not a quoted literal: hash it with the secret taken out
            masked = stmt.text[:hit.start] + "''" + stmt.text[hit.end:]
            yield replace(found, fingerprint=fingerprint(self.code, sf.name, None, masked))
            return  # one finding a comment

    def _stmt_hits(self, ctx: Context, sf: Subflow, stmt: n.Stmt, scanned: Scanned) -> list[StmtHit]:
        """The literals of one statement that hold a secret, each with its message (and "note"
        for an encrypted literal), in the order the reasons are tried; a literal may come more
        than once (the caller reports its first). Called for every statement of a flow: kept to
        a few type tests and dictionary look-ups for the statements with nothing to report:
        an action's arguments (a third of the statements) and a SET's value are read directly,
        not through ``statement_exprs``' pairs, and a plain text argument (a third of the
        arguments) goes to the memo without a call."""
        hits: list[StmtHit] = []
        kind = type(stmt)
        if kind is n.Action:  # a third of the statements: its arguments are its expressions
            action = cast(n.Action, stmt)
            self._action_hits(ctx, action, scanned, hits)
            names = ctx.names
            for arg in action.args:
                arg_value = arg.value
                value_kind = type(arg_value)
                if value_kind in _NO_TEXT:  # names, numbers, flags: no text (as in _literal_hits)
                    continue
                if value_kind is n.StringLit:
                    text = cast(n.StringLit, arg_value)
                    piece = text.parts[0] if len(text.parts) == 1 else None
                    if type(piece) is str and text.kind != "encrypted":
                        # one piece of plain text, the other half of the arguments: its memo
                        # at once (what _literal_hits does with it)
                        said = scanned.get(text.raw)
                        if said is None:
                            said = scanned[text.raw] = text_secrets(piece, None, None, names)
                        for message, _confidence in said:
                            hits.append((text, message, None))
                        continue
                _literal_hits(arg_value, scanned, names, hits)
            return hits
        if kind is n.If or kind is n.While or kind is n.Wait:  # conditions may be action calls
            for action in n.statement_actions(stmt):
                self._action_hits(ctx, action, scanned, hits)
        elif kind is n.Set:
            assign = cast(n.Set, stmt)
            root = root_name(assign.target)
            if root is not None:
                # the name first (a memo): most assignments are to plain variables, and the
                # placeholder test runs a dozen patterns
                secret_name = ctx.names.is_secret(root.name)
                sensitive = ctx.model.sensitive  # (empty in most flows: then no key to make)
                if secret_name or (sensitive and sf.key(root.name, force_global=root.is_global) in sensitive):
                    lit = _literal(assign.value)
                    value = (lit.literal or "") if lit is not None else ""
                    if lit is not None and (secret_name or looks_secret(value)) and not is_placeholder(value):
                        hits.append((lit, f"hard-coded secret {redact(value)!r} assigned to {root.name}", None))
            if type(assign.target) is not n.Name:  # an index's text (obj['a']) is read too
                _literal_hits(assign.target, scanned, ctx.names, hits)
            _literal_hits(assign.value, scanned, ctx.names, hits)
            return hits
        elif kind is n.IODecl:
            decl = cast(n.IODecl, stmt)
            if decl.kind == "INPUT" and isinstance(decl.props, n.ObjectLit):
                name = decl.name.name
                default = decl.props.get("DefaultValue")
                lit = _literal(default) if default is not None else None
                if lit is not None and not is_placeholder(lit.literal or "") and (
                    name in ctx.model.sensitive or name in ctx.analysis.secret_inputs
                ):
                    hits.append((lit, f"secret input {name} has a hard-coded default value {redact(lit.literal or '')!r}",
                                 None))
        names = ctx.names
        for expr, _written in n.statement_exprs(stmt):
            _literal_hits(expr, scanned, names, hits)
        return hits

    def _action_hits(self, ctx: Context, action: n.Action, scanned: Scanned, hits: list[StmtHit]) -> None:
        """Literals in the secret parameters of ``action``, and credentials inside the text of
        the parameters that hold a URL, a body, headers, a command line or a script."""
        spec = ctx.catalogue.lookup(action.name)
        for arg in ctx.analysis.secret_params(action):
            if arg.name.lower().endswith("connectionstring") or spec.text_form(arg.name) is not None:
                continue  # only the secret written inside it counts (read below)
            lit = _literal(arg.value)
            if lit is not None and not is_placeholder(lit.literal or ""):
                hits.append((lit, f"hard-coded secret {redact(lit.literal or '')!r} in {arg.name} of {action.name}",
                             None))
        if spec.text_forms:
            hits.extend(self._check_forms(ctx, action, spec, scanned))

    def _check_forms(
        self, ctx: Context, action: n.Action, spec: ActionSpec, scanned: Scanned
    ) -> Iterator[StmtHit]:
        """Credentials inside the text of the parameters the catalogue says hold a URL, a
        body, headers, a command line or a script."""
        program: str | None = None
        for key, kind in spec.text_forms:
            if kind == "program":
                value = action.param(key)
                lit = _literal(value) if value is not None else None
                program = lit.literal if lit is not None else None
        for arg in action.args:
            form = None if arg.output else spec.text_form("@" + arg.name if arg.dynamic else arg.name)
            if form is None or form == "program":
                continue
            for lit in _string_literals(arg.value):
                if lit.kind == "encrypted":
                    continue
                for message, _confidence in _scan(scanned, lit, form, program if form == "arguments" else None, ctx.names):
                    yield lit, f"{message} in {arg.name} of {action.name}", None


def _is_property_path(expr: n.Attribute) -> bool:
    """``obj.a.b``: properties of a variable, which hold no text (an index may: ``obj['a']``)."""
    value = expr.value
    while type(value) is n.Attribute:
        value = value.value
    return type(value) is n.Name


def _literal_hits(expr: n.Expr, scanned: Scanned, names: NamePolicy, hits: list[StmtHit]) -> None:
    """The secrets the text literals of ``expr`` hold by their text alone (token formats,
    connection strings, key=value, JSON, XML, header forms), and the encrypted ones as notes."""
    expr_kind = type(expr)
    lits: Sequence[n.StringLit]
    if expr_kind is n.StringLit and n.is_leaf(expr):  # plain text: no walk
        lits = (cast(n.StringLit, expr),)
    elif expr_kind in _NO_TEXT:  # the most common arguments: nothing to read
        return
    elif expr_kind is n.Attribute and _is_property_path(cast(n.Attribute, expr)):
        return  # obj.a.b: a fifth of the other arguments, and no text in them
    else:
        lits = _string_literals(expr)
    for lit in lits:
        if lit.kind == "encrypted":
            hits.append((lit, ENCRYPTED_NOTE, "note"))
            continue
        # a literal outside any text form is memoised by its raw text alone (see Scanned)
        said = scanned.get(lit.raw)
        if said is None:
            said = scanned[lit.raw] = text_secrets(_text(lit), None, None, names)
        for message, _confidence in said:
            hits.append((lit, message, None))


def _string_literals(expr: n.Expr) -> Sequence[n.StringLit]:
    """The text literals in ``expr``, holes included (a leaf is answered without a walk)."""
    if n.is_leaf(expr):
        return (expr,) if isinstance(expr, n.StringLit) else ()
    # n.walk_expr's order (preorder, source order), without its generator and without
    # descending into the leaves that hold no text (names, numbers; a fifth of the nodes)
    found: list[n.StringLit] = []
    stack: list[n.Expr] = [expr]
    inner = n.inner_exprs
    while stack:
        e = stack.pop()
        kind = type(e)
        if kind is n.StringLit:
            found.append(cast(n.StringLit, e))
            # its holes, last first (as inner_exprs gives them), but for the plain names
            # (%Name%, most holes), which would only be pushed to be popped and skipped
            for part in reversed(cast(n.StringLit, e).parts):
                if type(part) is n.Hole and type(part.expr) not in _NO_TEXT:
                    stack.append(part.expr)
            continue
        if kind in _NO_TEXT:
            continue
        children = inner(kind)
        if children is not None:
            stack.extend(children(e))
    return found


def _text(lit: n.StringLit) -> str:
    """The literal's text, :data:`HOLE` where each ``%expr%`` stood."""
    parts = lit.parts
    if len(parts) == 1 and type(parts[0]) is str:  # one piece of text, no hole (most literals)
        return parts[0]
    return "".join(p if isinstance(p, str) else HOLE for p in parts)


#: (literal text, form, program) -> what :func:`text_secrets` says of it, by name policy: the
#: same literals ('', paths, selectors) recur throughout a flow and across the flows of a run.
#: A pure function's memo; emptied once it holds :data:`_SCANNED_MAX` texts, so that a long run
#: or the editor keeps no more than a few megabytes of old literals alive.
_SCANNED: dict[NamePolicy, Scanned] = {}
_SCANNED_MAX = 32_768


def _scanned(names: NamePolicy) -> Scanned:
    scanned = _SCANNED.get(names)
    if scanned is None or len(scanned) > _SCANNED_MAX:
        if len(_SCANNED) >= 4:  # policies of configs gone by
            _SCANNED.clear()
        scanned = _SCANNED[names] = {}
    return scanned


def _scan(
    scanned: Scanned,
    lit: n.StringLit, form: str, program: str | None, names: NamePolicy,
) -> tuple[Hit, ...]:
    """What the text of ``lit``, in a parameter of text form ``form``, holds (memoised)."""
    key = (lit.raw, form, program)  # the same raw text has the same text between holes
    hits = scanned.get(key)
    if hits is None:
        hits = scanned[key] = text_secrets(_text(lit), form, program, names)
    return hits


def text_secrets(text: str, form: str | None = None, program: str | None = None,
                 names: NamePolicy | None = None) -> tuple[Hit, ...]:
    """Messages for the secrets in a literal's text: the first connection-string secret, the
    first token format found, and the first credential its form carries (``form`` is the
    catalogue's ``text_forms`` kind of the parameter the literal is in, None elsewhere)."""
    found: list[Hit] = []
    if "=" in text:  # every connection-string secret is written key=value
        for m in CONN_SECRET_RE.finditer(text):
            value = m.group(2).strip()
            if not is_placeholder(value) and "%" not in value:
                found.append((f"connection string with a hard-coded {m.group(1)}= value {redact(value)!r}", "high"))
                break
    size = len(text)
    for label, shortest, piece, pattern in TOKEN_PATTERNS:
        if size < shortest or piece not in text:
            continue
        tm = pattern.search(text)
        if tm and HOLE not in tm.group(0) and entropy(tm.group(0)) >= MIN_ENTROPY:
            found.append((f"hard-coded {label} {redact(tm.group(0))!r}", "high"))
            break
    # Outside a text form only the pair, JSON, XML, user-info and header forms are read, and
    # each needs one of these characters (see pair_secrets, header_secrets): most literals
    # (names, paths, selectors, messages) have none, and skip making three generators.
    if names is not None and not found and (form is not None or "=" in text or ":" in text or "</" in text):
        hit = next(_form_secrets(text, form, program, names), None)
        if hit is not None:
            found.append((f"hard-coded {hit.what} {redact(text[hit.start:hit.end])!r}", hit.confidence))
    return tuple(found)


def _form_secrets(text: str, form: str | None, program: str | None, names: NamePolicy) -> Iterator[SecretText]:
    """The credentials written inside ``text``, by the kind of text it is: the key=value,
    JSON, XML, URL user-info and header forms anywhere; more keys in a URL, any secret-named
    header in a header block, command-line forms in commands and scripts."""
    if form in ("command", "script", "arguments"):
        yield from command_secrets(text, names, program)
    if form == "script":
        yield from assignment_secrets(text, names)
    yield from pair_secrets(text, names, url=form == "url")
    yield from header_secrets(text, names, any_name=form == "headers")
