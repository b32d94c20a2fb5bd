"""PAF103."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.fixes.get_credential import build_credential_fix
from pafix.rules.base import Context, Rule


class SecretInputVariable(Rule):
    """A secret arrives as an input variable instead of through Get credential.

    ## What it does
    Reports `@INPUT` variables that carry a secret: marked sensitive, declared with
    `"format": "password"` in a solution, named like a secret, or used in a secret-bearing
    parameter such as `Password:`, when that secret is a credential. An input the author
    marked sensitive that is not credential-shaped by name or use (an e-mail recipient, a
    message body, a record) is sensitive data: Get credential does not fit it, and PAF105
    covers its masking.

    ## Why is this bad?
    Microsoft: "In desktop flows, use the Get credential action to retrieve sensitive values
    instead of passing them as input variables." An input's value passes through the cloud
    flow that starts the desktop flow, its run history and every caller.

    ## Example
    ```
    @SENSITIVE: [SmtpPassword]
    @INPUT SmtpPassword : { 'Description': '', 'FriendlyName': 'SmtpPassword', 'Type': 'String', 'IsOptional': False, 'DefaultValue': '' }
    ```

    ## Use instead
    A credential in Azure Key Vault or CyberArk, read with the Get credential action, and
    `%SmtpCredential.Password%` where the password is needed.

    ## Fix safety
    Unsafe: `pafix rewrite --unsafe-fixes` removes the input and inserts a Get credential
    action; callers that pass the input must be changed, and the credential must exist.
    """

    code = "PAF103"
    name = "secret-input-variable"
    severity = "warning"
    fix_safety = "unsafe"

    def check(self, ctx: Context) -> Iterable[Finding]:
        for name in sorted(ctx.analysis.secret_inputs, key=lambda x: ctx.model.inputs[x].decl.span.start):
            var = ctx.model.inputs[name]
            origin = ctx.analysis.input_origins[name]
            if origin.value_kind != "credential":
                continue
            fix = build_credential_fix(ctx, name)
            yield self.finding(
                ctx, var.decl.name.span,
                f"input variable {name} carries a secret; get it with the Get credential action instead",
                variable=name, fix=fix, kind="credential", confidence=origin.confidence,
            )
