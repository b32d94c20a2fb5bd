"""PAF303."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import Context, Rule
from pafix.rules.dlp_support import dlp_verdicts, use_step


class DlpMixedDataGroups(Rule):
    """A flow combines Business and Non-business DLP groups.

    ## What it does
    With `--dlp-policy`, reports a flow whose enabled actions use both a group the policy
    classifies **Business** (`Confidential`) and one it classifies **Non-business** (`General`);
    groups a policy does not list take its `defaultConnectorsClassification`. The finding sits
    on the first use of whichever side comes second; its trace shows the first use of the
    other side. Each policy is evaluated on its own. Modules DLP cannot manage (Variables,
    Text, Date time, control flow) do not count, nor do `DISABLE`d actions; child flows
    started with Run desktop flow are evaluated on their own, as PAD does.

    ## Why is this bad?
    DLP "prevents users from using actions from the two categories on the same flow": the flow
    is suspended or cannot be saved, and the data moving between the two groups is what the
    administrator meant to keep apart.

    ## Example
    ```
    Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: ConnStr Statement: $'''SELECT * FROM Orders''' Timeout: 30 Result=> Orders
    File.WriteText File: OutputPath TextToWrite: Orders AppendNewLine: True IfFileExists: File.IfFileExists.Overwrite Encoding: File.FileEncoding.UTF8
    ```
    with `DesktopFlow.Database` Business and `DesktopFlow.File` Non-business.

    ## Use instead
    Split the work into flows that each stay within one group, remove or disable the actions
    of one side, or ask the administrator to reclassify one group.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF303"
    name = "dlp-mixed-data-groups"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        verdicts = dlp_verdicts(ctx)
        if verdicts is None:
            return
        from pafix.dlp.evaluate import policies_text  # (only with a DLP policy: see rules.dlp_support)

        for mix in verdicts.mixes:
            later, earlier = mix.later, mix.earlier
            step = use_step(
                earlier,
                f"first {mix.earlier_label} action: {earlier.site.action.name} ({earlier.group.name})",
            )
            yield self.finding(
                ctx, later.span,
                f"{later.site.action.name} uses {mix.later_label} group {later.group.name}, but line "
                f"{earlier.span.line} already uses {mix.earlier_label} group {earlier.group.name}; one flow may not "
                f"combine them under {policies_text(mix.policies)}",
                subflow=later.site.subflow, trace=(step,),
            )
