"""PAF105."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.analysis.kinds import weaker
from pafix.findings import Confidence
from pafix.rules.base import SNIPPET_NOTE, Context, Rule, what_it_is


class SecretVariableNotSensitive(Rule):
    """A variable holds a secret from a secret source, or feeds a secret-bearing parameter, but is not sensitive.

    ## What it does
    Reports a variable that receives a secret directly from a secret source (Get credential,
    a Key Vault `GetSecret` call, a password input dialog, a decrypt action), a secret input
    variable, or a variable passed to a secret-bearing parameter (`Password:`,
    `ConnectionString:`, `EncryptionKey:`...), when it is not marked sensitive. A
    connection string is a credential only when it can carry one: a variable only ever set to
    text without a credential part (`Provider=...;Integrated Security=SSPI`, an Excel OLEDB
    string) is not reported; one whose text pafix cannot see (an input, a value read from a
    file) is reported with medium confidence.

    ## Why is this bad?
    Values of variables that are not sensitive are shown in the run logs and the designer's
    Variables pane.

    ## Example
    ```
    Email.SendEmail.AuthenticateAndSend ... Username: SmtpUser Password: SmtpPassword ...
    ```

    ## Use instead
    ```
    @SENSITIVE: [SmtpPassword]
    ```

    ## Fix safety
    Safe: marking a variable sensitive only masks its value.
    """

    code = "PAF105"
    name = "secret-variable-not-sensitive"
    severity = "error"
    fix_safety = "safe"

    def check(self, ctx: Context) -> Iterable[Finding]:
        seen: set[str] = set()
        note = "." + SNIPPET_NOTE if ctx.model.is_snippet else ""
        for name in sorted(ctx.analysis.secret_inputs, key=lambda x: ctx.model.inputs[x].decl.span.start):
            if name in ctx.model.sensitive:
                continue
            seen.add(name)
            origin = ctx.analysis.input_origins[name]
            confidence: Confidence = origin.confidence if origin.value_kind == "credential" else weaker(origin.confidence, "medium")
            yield self.finding(
                ctx, ctx.model.inputs[name].decl.name.span,
                f"input variable {name} carries {what_it_is(origin.value_kind)} but is not marked sensitive{note}",
                variable=name, fix=ctx.mark_fix([name]), kind=origin.value_kind,
                confidence="low" if ctx.model.is_snippet else confidence,
            )
        for event in sorted(ctx.events, key=lambda e: e.span.start):
            if event.kind not in ("source-store", "secret-param") or event.variable is None:
                continue
            key = event.variable
            if key in seen or key in ctx.model.sensitive or key in ctx.analysis.credential_vars:
                continue
            seen.add(key)
            var = ctx.display(key)
            sure: Confidence = "high"
            if event.kind == "source-store":
                message = f"{var} receives a secret from {event.action} but is not marked sensitive{note}"
            else:
                message = f"{var} is used as the {event.param} of {event.action} but is not marked sensitive{note}"
                used = ctx.analysis.secret_used.get(key)
                sure = used.confidence if used is not None else "high"
            yield self.finding(
                ctx, event.span, message, subflow=event.subflow, variable=var,
                fix=ctx.mark_fix([key]), kind="credential", confidence="low" if ctx.model.is_snippet else sure,
            )
