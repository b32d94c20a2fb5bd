"""PAF901."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.syntax import nodes as n
from pafix.findings import Finding
from pafix.rules.base import Context, Rule


class UnbalancedEnd(Rule):
    """An `END` closes no block.

    ## What it does
    Reports an `END` at the top level of a flow that has no `IF`, `LOOP`, `SWITCH`, `BLOCK`
    or `ON ERROR` to close (seen in hand-edited flows published online).

    ## Why is this bad?
    Power Automate Desktop may refuse the paste, or the author's blocks are not nested the way
    they think, so the analysis may not match what runs.

    ## Example
    ```
    SET x TO 1
    END
    ```

    ## Use instead
    Remove the `END`, or add the block it was meant to close.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF901"
    name = "unbalanced-end"
    severity = "warning"

    def check(self, ctx: Context) -> Iterable[Finding]:
        for stmt in ctx.flow.body:
            if isinstance(stmt, n.StrayEnd):
                yield self.finding(ctx, stmt.span, "END closes no block")
