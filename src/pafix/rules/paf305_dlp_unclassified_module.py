"""PAF305."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import Context, Rule
from pafix.rules.dlp_support import dlp_verdicts


class DlpUnclassifiedModule(Rule):
    """A module whose DLP action group pafix does not know.

    ## What it does
    With `--dlp-policy`, notes once per flow each module (at its first enabled use) that is
    neither in pafix's list of desktop-flow DLP action groups (the list in Microsoft's
    "Desktop flow modules in DLP") nor one of the modules DLP cannot manage: newer modules
    such as Work queues, Word or SharePoint, custom actions, and
    `External.InvokeCloudConnector` whose `ConnectorId` is not a literal.

    ## Why is this bad?
    Its actions were not checked against the policy, so the DLP result for this flow may be
    incomplete. It is a note, not a violation.

    ## Example
    ```
    WorkQueues.EnqueueWorkQueueItem.WithoutUniqueId WorkQueue: $'''4b22c5ab-…''' Name: Item Value: Data
    ```

    ## Use instead
    Check the module's classification in the policy by hand.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF305"
    name = "dlp-unclassified-module"
    severity = "note"

    def check(self, ctx: Context) -> Iterable[Finding]:
        verdicts = dlp_verdicts(ctx)
        if verdicts is None:
            return
        for item in verdicts.unknown:
            yield self.finding(
                ctx, item.site.action.span,
                f"module {item.unknown.module} {item.unknown.reason}; its DLP classification was not checked",
                subflow=item.site.subflow,
            )
