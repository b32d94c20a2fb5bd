"""PAF104."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import replace

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
from pafix.findings import Finding
from pafix.redact import redact
from pafix.rules.base import Context, StatementRule, fingerprint

CONN_SECRET_RE = re.compile(
    r"(?i)(?:^|[;\s])(password|pwd|accountkey|sharedaccesssignature|sharedaccesskey|client_secret|clientsecret)\s*=\s*([^;]*)"
)
TOKEN_PATTERNS = (
    ("GitHub token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----")),
    ("Azure storage key", re.compile(r"\b[A-Za-z0-9+/]{86}==")),
)
MIN_ENTROPY = 3.0
#: a message and how sure it is
Hit = tuple[str, Confidence]
#: (literal text, form, program) -> the hits in it
Scanned = dict[tuple[str, str | None, str | None], tuple[Hit, ...]]
Report = Callable[[n.StringLit, str], Iterator[Finding]]


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

    def __init__(self) -> None:
        #: (literal text, form, program) -> what :func:`text_secrets` says of it, for this
        #: flow: the same literals ('', paths, selectors) recur throughout a flow
        self._scanned: Scanned = {}

    def facts(self, ctx: Context) -> Hashable:
        return (ctx.model.sensitive, frozenset(ctx.analysis.secret_inputs))

    def check_statement(self, ctx: Context, sf: Subflow, top: n.Stmt) -> Iterable[Finding]:
        for stmt in n.walk_statements((top,)):
            if isinstance(stmt, n.Comment):
                yield from self._check_comment(ctx, sf, stmt)
            else:
                yield from self._check_stmt(ctx, sf, stmt, self._scanned)

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

    def _check_stmt(
        self, ctx: Context, sf: Subflow, stmt: n.Stmt, scanned: Scanned
    ) -> Iterator[Finding]:
        reported: set[int] = set()

        def report(lit: n.StringLit, message: str, severity: str | None = None) -> Iterator[Finding]:
            if lit.span.start in reported:
                return
            reported.add(lit.span.start)
            # TODO(kinds): kind "credential" and the hit's confidence once findings carry them
            yield self.finding(ctx, lit.span, message, subflow=sf.name,
                               severity="note" if severity == "note" else None, kind="credential")

        actions: list[n.Action] = []
        if isinstance(stmt, n.Action):
            actions.append(stmt)
        elif isinstance(stmt, n.If):
            actions.extend(b.cond for b in stmt.branches if isinstance(b.cond, n.Action))
        elif isinstance(stmt, (n.While, n.Wait)) and isinstance(stmt.cond, n.Action):
            actions.append(stmt.cond)
        for action in actions:
            spec = ctx.catalogue.lookup(action.name)
            for arg in ctx.analysis.secret_params(action):
                if arg.name.lower().endswith("connectionstring") or spec.text_form(arg.name) is not None:
                    continue  # only the secret written inside it counts (read below)
                lit = _literal(arg.value)
                if lit is not None and not is_placeholder(lit.literal or ""):
                    yield from report(lit, f"hard-coded secret {redact(lit.literal or '')!r} in {arg.name} of {action.name}")
            if spec.text_forms:
                yield from self._check_forms(ctx, action, spec, scanned, report)
        if isinstance(stmt, n.Set):
            root = root_name(stmt.target)
            lit = _literal(stmt.value)
            if root is not None and lit is not None and not is_placeholder(lit.literal or ""):
                key = sf.key(root.name, force_global=root.is_global)
                value = lit.literal or ""
                if ctx.names.is_secret(root.name) or (key in ctx.model.sensitive and looks_secret(value)):
                    yield from report(lit, f"hard-coded secret {redact(lit.literal or '')!r} assigned to {root.name}")
        if isinstance(stmt, n.IODecl) and stmt.kind == "INPUT" and isinstance(stmt.props, n.ObjectLit):
            name = stmt.name.name
            default = stmt.props.get("DefaultValue")
            lit = _literal(default) if default is not None else None
            if lit is not None and not is_placeholder(lit.literal or "") and (
                name in ctx.model.sensitive or name in ctx.analysis.secret_inputs
            ):
                yield from report(lit, f"secret input {name} has a hard-coded default value {redact(lit.literal or '')!r}")
        for expr, _written in n.statement_exprs(stmt):
            for lit in _string_literals(expr):
                if lit.kind == "encrypted":
                    yield from report(lit, "encrypted (P'...') literal: a secret stored in the flow, protected only by the machine's DPAPI key", "note")
                    continue
                for message, _confidence in _scan(scanned, lit, None, None, ctx.names):
                    yield from report(lit, message)

    def _check_forms(
        self, ctx: Context, action: n.Action, spec: ActionSpec, scanned: Scanned, report: Report
    ) -> Iterator[Finding]:
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
                    yield from report(lit, f"{message} in {arg.name} of {action.name}")


def _string_literals(expr: n.Expr) -> Sequence[n.StringLit]:
    """The text literals in ``expr``, holes included (a leaf is answered without a walk)."""
    if n.is_leaf(expr):
        return (expr,) if isinstance(expr, n.StringLit) else ()
    return [e for e in n.walk_expr(expr) if isinstance(e, n.StringLit)]


def _text(lit: n.StringLit) -> str:
    """The literal's text, :data:`HOLE` where each ``%expr%`` stood."""
    return "".join(p if isinstance(p, str) else HOLE for p in lit.parts)


def _scan(
    scanned: Scanned,
    lit: n.StringLit, form: str | None, program: str | None, names: NamePolicy,
) -> tuple[Hit, ...]:
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
    for m in CONN_SECRET_RE.finditer(text):
        value = m.group(2).strip()
        if not is_placeholder(value) and "%" not in value:
            found.append((f"connection string with a hard-coded {m.group(1)}= value {redact(value)!r}", "high"))
            break
    for label, pattern in TOKEN_PATTERNS:
        tm = pattern.search(text)
        if tm and HOLE not in tm.group(0) and entropy(tm.group(0)) >= MIN_ENTROPY:
            found.append((f"hard-coded {label} {redact(tm.group(0))!r}", "high"))
            break
    if names is not None and not found:
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
