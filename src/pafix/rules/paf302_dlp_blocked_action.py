"""PAF302."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import Context, Rule
from pafix.rules.dlp_support import dlp_verdicts


class DlpBlockedAction(Rule):
    """An individual action that a DLP policy's action rules block.

    ## What it does
    With `--dlp-policy`, reports each enabled action whose group is allowed but whose action is
    blocked by `connectorActionConfigurations`: an `actionRules` entry with `behavior: Block`,
    or no entry while `defaultConnectorActionRuleBehavior` is `Block`. A cloud connector
    action's actionId is its `OperationId`. A desktop-flow action's actionId is **UNVERIFIED**:
    by default `Module.Action.Variant` has actionId `Action` (`--dlp-action-ids FILE` changes
    this; see docs/dlp.md). An action whose whole group is blocked is reported by PAF301 instead.

    ## Why is this bad?
    Power Automate refuses the flow in the environments the policy covers.

    ## Example
    ```
    Scripting.RunPowershellScript.RunPowershellScript Script: $'''Get-Process''' ScriptOutput=> Out
    ```
    with `{"actionId": "RunPowershellScript", "behavior": "Block"}` for `DesktopFlow.Scripting`.

    ## Use instead
    An allowed action of the group, or ask the administrator to allow the action.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF302"
    name = "dlp-blocked-action"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        verdicts = dlp_verdicts(ctx)
        if verdicts is None:
            return
        from pafix.dlp.evaluate import policies_text  # (only with a DLP policy: see rules.dlp_support)

        for item in verdicts.blocked_actions:
            use = item.use
            how = "an action rule" if item.explicit else "default (defaultConnectorActionRuleBehavior: Block)"
            yield self.finding(
                ctx, use.span,
                f"action {use.action_id!r} of {use.group.name} ({use.group.id}) is blocked by {how} of "
                f"{policies_text(item.policies)}",
                subflow=use.site.subflow,
            )
