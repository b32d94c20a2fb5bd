"""PAF101."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.analysis.kinds import credential_labels
from pafix.rules.base import SNIPPET_NOTE, Context, Rule, best_label, judged, only_heuristic, what_it_is


class SensitiveValueInPlainVariable(Rule):
    """A sensitive value is stored in a variable that is not marked sensitive.

    ## What it does
    Follows secrets (sensitive variables, secret inputs, Get credential, Key Vault and password
    dialog outputs, secret properties such as `obj['Password']`) through `SET`, action outputs,
    loops and subflow calls, and reports the first statement that stores one in a variable
    that is not sensitive. A credential's finding says "receives a secret"; a value the
    author marked sensitive that is not credential-shaped (an e-mail recipient, a message,
    a record) says "receives sensitive data" and is at most medium confidence. The reverse
    direction is reported too: raw data read into a plain variable (a file, a workbook, a
    query result) whose content the flow then copies or converts into a variable the author
    marked sensitive (medium confidence; a status text such as `Output_Message` is not
    followed back, and a count, a flag or a test of the variable is not its content).

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
            kind, confidence = judged(event.labels, snippet=ctx.model.is_snippet)
            label = best_label(credential_labels(event.labels) or event.labels)
            var = ctx.display(event.variable)
            if label.origin.kind == "sensitive-later":  # the reverse direction
                message = (
                    f"{var} holds the data that becomes {label.origin.label}, which is marked sensitive, "
                    f"but is not marked sensitive itself; its value is logged in clear text"
                )
            else:
                message = (
                    f"{var} receives {what_it_is(kind)} from {label.origin.label} "
                    f"but is not marked sensitive; its value is logged in clear text"
                )
            if ctx.model.is_snippet:
                message += "." + SNIPPET_NOTE
            yield self.finding(
                ctx, event.span, message,
                subflow=ctx.subflow_of(event.variable) if "::" in event.variable else event.subflow,
                variable=var, trace=label.trace(), fix=ctx.mark_fix([event.variable]),
                severity="warning" if only_heuristic(event.labels) else None,
                kind=kind, confidence=confidence,
            )
