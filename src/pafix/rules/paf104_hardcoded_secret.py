"""PAF104."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from pafix.syntax import nodes as n
from pafix.analysis.model import Subflow
from pafix.analysis.taint import root_name
from pafix.findings import Finding
from pafix.redact import redact
from pafix.rules.base import Context, Rule

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


def entropy(text: str) -> float:
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def is_placeholder(value: str) -> bool:
    """Empty, blank, or one character repeated (``XXXXXXXX``, ``********``): not a secret."""
    stripped = value.strip()
    return not stripped or len(set(stripped)) == 1 or stripped.startswith("%") and stripped.endswith("%")


def looks_secret(value: str) -> bool:
    """A literal that could be a password or key: one word, long enough, not a plain word."""
    v = value.strip()
    return len(v) >= 6 and not any(c.isspace() for c in v) and entropy(v) >= 2.5


def _literal(expr: n.Expr) -> n.StringLit | None:
    if isinstance(expr, n.StringLit) and expr.kind in ("plain", "triple", "interpolated") and expr.literal is not None:
        return expr
    return None


class HardcodedSecret(Rule):
    """A secret is written into the flow as a literal.

    ## What it does
    Reports literals in secret-bearing parameters (`Password:`, `EncryptionKey:`...),
    literals assigned to secret-named variables or secret-looking literals (one word, six
    characters or more, not a plain word) assigned to sensitive ones,
    `Password=`/`Pwd=`/`AccountKey=`/`SharedAccessSignature=` inside connection-string
    literals (a `ConnectionString:` literal without one, such as Windows authentication, is
    not a secret), well-known token formats (GitHub, OpenAI, Slack, AWS, Google, JWT, private keys)
    with enough entropy, non-empty `DefaultValue`s of sensitive or secret inputs, and, as notes,
    `P'...'` encrypted literals. Placeholders (empty, `XXXXXXXX`, `********`, `%Var%`) are not
    reported. Messages show at most the first two characters of a value.

    ## Why is this bad?
    Microsoft: "You shouldn't hardcode critical data in plain text ... even if the said
    variables are marked as sensitive." Default values are not protected in the flow
    definition, and `P'...'` values are only protected by the machine's DPAPI key.

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
        #: literal text -> what :func:`text_secrets` says of it, for this flow: the same
        #: literals ('', paths, selectors) recur throughout a flow
        scanned: dict[str, tuple[str, ...]] = {}
        for sf in ctx.model.subflows:
            for stmt in n.walk_statements(sf.body):
                yield from self._check_stmt(ctx, sf, stmt, scanned)

    def _check_stmt(
        self, ctx: Context, sf: Subflow, stmt: n.Stmt, scanned: dict[str, tuple[str, ...]]
    ) -> Iterator[Finding]:
        reported: set[int] = set()

        def report(lit: n.StringLit | n.Expr, message: str, severity: str | None = None) -> Iterator[Finding]:
            if lit.span.start in reported:
                return
            reported.add(lit.span.start)
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
            for arg in ctx.analysis.secret_params(action):
                if arg.name.lower().endswith("connectionstring"):
                    continue  # only its Password=/AccountKey=... value is a secret (checked below)
                lit = _literal(arg.value)
                if lit is not None and not is_placeholder(lit.literal or ""):
                    yield from report(lit, f"hard-coded secret {redact(lit.literal or '')!r} in {arg.name} of {action.name}")
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
                messages = scanned.get(lit.raw)  # the same raw text has the same text between holes
                if messages is None:
                    messages = scanned[lit.raw] = text_secrets("".join(p for p in lit.parts if isinstance(p, str)))
                for message in messages:
                    yield from report(lit, message)


def _string_literals(expr: n.Expr) -> Sequence[n.StringLit]:
    """The text literals in ``expr``, holes included (a leaf is answered without a walk)."""
    if n.is_leaf(expr):
        return (expr,) if isinstance(expr, n.StringLit) else ()
    return [e for e in n.walk_expr(expr) if isinstance(e, n.StringLit)]


def text_secrets(text: str) -> tuple[str, ...]:
    """Messages for the secrets in a literal's text (its holes left out): the first
    connection-string secret, then the first token format found."""
    found: list[str] = []
    for m in CONN_SECRET_RE.finditer(text):
        value = m.group(2).strip()
        if not is_placeholder(value) and "%" not in value:
            found.append(f"connection string with a hard-coded {m.group(1)}= value {redact(value)!r}")
            break
    for label, pattern in TOKEN_PATTERNS:
        tm = pattern.search(text)
        if tm and entropy(tm.group(0)) >= MIN_ENTROPY:
            found.append(f"hard-coded {label} {redact(tm.group(0))!r}")
            break
    return tuple(found)
