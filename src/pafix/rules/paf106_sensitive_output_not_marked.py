"""PAF106."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.analysis.taint import State
from pafix.analysis.kinds import credential_labels
from pafix.findings import Confidence, ValueKind
from pafix.rules.base import Context, Rule, best_label, judged, what_it_is


class SensitiveOutputNotMarked(Rule):
    """An output variable that carries a secret is not marked sensitive.

    ## What it does
    Reports an `@OUTPUT` variable that holds a secret when the flow ends (or is named like a
    secret) and is not in `@SENSITIVE`.

    ## Why is this bad?
    A desktop flow's outputs go back to the cloud flow or parent flow that ran it, and are
    kept in its run history in clear text unless the output is sensitive.

    ## Example
    ```
    @OUTPUT Token : { 'Description': '', 'FriendlyName': 'Token', 'Type': 'String' }
    ```

    ## Use instead
    ```
    @SENSITIVE: [Token]
    @OUTPUT Token : { 'Description': '', 'FriendlyName': 'Token', 'Type': 'String' }
    ```

    ## Fix safety
    Safe: marking an output sensitive masks it in run histories; callers still receive it.
    """

    code = "PAF106"
    name = "sensitive-output-not-marked"
    severity = "warning"
    fix_safety = "safe"

    def check(self, ctx: Context) -> Iterable[Finding]:
        exit_state: State = ctx.analysis.exit.get("Main") or State()
        for name, var in sorted(ctx.model.outputs.items(), key=lambda kv: kv[1].decl.span.start):
            if name in ctx.model.sensitive:
                continue
            taint = {k: lab for k, lab in exit_state.get(name, {}).items() if lab.origin.variable != name}
            kind: ValueKind
            confidence: Confidence
            if taint:
                labels = list(taint.values())
                kind, confidence = judged(labels)
                label = best_label(credential_labels(labels) or labels)
                message = f"output variable {name} carries {what_it_is(kind)} ({label.origin.label}) but is not marked sensitive"
                trace = label.trace()
            elif ctx.names.is_secret(name):
                message = f"output variable {name} is named like a secret but is not marked sensitive"
                trace = ()
                kind, confidence = "credential", "medium"
            elif var.password_format:
                message = f"output variable {name} is \"format\": \"password\" in the solution but not marked sensitive"
                trace = ()
                kind, confidence = "data", "high"
            else:
                continue
            yield self.finding(ctx, var.decl.name.span, message, variable=name, trace=trace,
                               fix=ctx.mark_fix([name]), kind=kind, confidence=confidence)
