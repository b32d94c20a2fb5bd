"""PAF301."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import Context, Rule
from pafix.rules.dlp_support import dlp_verdicts


class DlpBlockedActionGroup(Rule):
    """An action of a DLP action group that a policy blocks.

    ## What it does
    With `pafix scan --dlp-policy FILE`, reports each enabled action whose desktop-flow action
    group (`DesktopFlow.<Module>`, e.g. `DesktopFlow.Scripting`) or cloud connector
    (`External.InvokeCloudConnector ConnectorId: …`) is classified **Blocked** by a policy,
    explicitly or through `defaultConnectorsClassification`. Several policies: Blocked in any
    of them is reported.

    ## Why is this bad?
    Power Automate refuses to save or run a desktop flow that uses a blocked group, so the flow
    fails in the environment the policy covers; the policy exists because the administrator
    does not want these actions used.

    ## Example
    ```
    Scripting.RunPowershellScript.RunPowershellScript Script: $'''Get-Process''' ScriptOutput=> Out
    ```
    with `DesktopFlow.Scripting` in the policy's Blocked group.

    ## Use instead
    An action of an allowed group, or ask the administrator to classify the group. `DISABLE`d
    actions do not count.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF301"
    name = "dlp-blocked-action-group"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        verdicts = dlp_verdicts(ctx)
        if verdicts is None:
            return
        from pafix.dlp.evaluate import policies_text  # (only with a DLP policy: see rules.dlp_support)

        for item in verdicts.blocked_groups:
            group = item.use.group
            yield self.finding(
                ctx, item.use.span,
                f"{item.use.site.action.name} belongs to {group.name} ({group.id}), which is Blocked by "
                f"{policies_text(item.policies)}",
                subflow=item.use.site.subflow,
            )
