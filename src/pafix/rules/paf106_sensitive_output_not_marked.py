"""PAF106."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.analysis.taint import State
from pafix.rules.base import Context, Rule, best_label


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
            if taint:
                label = best_label(list(taint.values()))
                message = f"output variable {name} carries a secret ({label.origin.label}) but is not marked sensitive"
                trace = label.trace()
            elif ctx.names.is_secret(name) or var.password_format:
                message = f"output variable {name} is named like a secret but is not marked sensitive"
                trace = ()
            else:
                continue
            yield self.finding(ctx, var.decl.name.span, message, variable=name, trace=trace,
                               fix=ctx.mark_fix([name]))
