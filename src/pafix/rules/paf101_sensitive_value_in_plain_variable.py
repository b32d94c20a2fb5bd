"""PAF101."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import SNIPPET_NOTE, Context, Rule, best_label, only_heuristic


class SensitiveValueInPlainVariable(Rule):
    """A sensitive value is stored in a variable that is not marked sensitive.

    ## What it does
    Follows secrets (sensitive variables, secret inputs, Get credential, Key Vault and password
    dialog outputs, secret properties such as `obj['Password']`) through `SET`, action outputs,
    loops and subflow calls, and reports the first statement that stores one in a variable
    that is not sensitive.

    ## Why is this bad?
    Sensitivity is not inherited in Power Automate Desktop: a password copied into a
    connection string or a message variable is stored and shown in run logs in clear text.

    ## Example
    ```
    @SENSITIVE: [Password]
    SET ConnString TO $'''Server=db;User Id=app;Password=%Password%'''
    ```

    ## Use instead
    ```
    @SENSITIVE: [Password, ConnString]
    SET ConnString TO $'''Server=db;User Id=app;Password=%Password%'''
    ```

    ## Fix safety
    Safe: marking a variable sensitive only masks its value in logs and the designer.
    """

    code = "PAF101"
    name = "sensitive-value-in-plain-variable"
    severity = "error"
    fix_safety = "safe"

    def check(self, ctx: Context) -> Iterable[Finding]:
        seen: set[str] = set()
        for event in sorted(ctx.events, key=lambda e: e.span.start):
            if event.kind not in ("store", "call-param") or event.variable is None:
                continue
            if event.variable in seen or event.variable in ctx.model.sensitive:
                continue
            seen.add(event.variable)
            label = best_label(event.labels)
            var = ctx.display(event.variable)
            message = (
                f"{var} receives a secret from {label.origin.label} "
                f"but is not marked sensitive; its value is logged in clear text"
            )
            if ctx.model.is_snippet:
                message += "." + SNIPPET_NOTE
            yield self.finding(
                ctx, event.span, message,
                subflow=ctx.subflow_of(event.variable) if "::" in event.variable else event.subflow,
                variable=var, trace=label.trace(), fix=ctx.mark_fix([event.variable]),
                severity="warning" if only_heuristic(event.labels) else None,
            )
