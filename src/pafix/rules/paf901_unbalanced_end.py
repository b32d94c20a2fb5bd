"""PAF901."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.syntax import nodes as n
from pafix.syntax.displaced import Displaced, top_level
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
        # (a type test in a list comprehension, the type looked up once: this looks at every
        # top-level statement of the flow on each keystroke in the editor, ~17,000 on 20,001 lines)
        # (the types of a displaced body's old nodes: only the stray ENDs are moved)
        stray = n.StrayEnd
        body = top_level(ctx.flow)
        raw = body.raw_items() if isinstance(body, Displaced) else body
        for stmt in [body[i] for i, s in enumerate(raw) if type(s) is stray]:
            yield self.finding(ctx, stmt.span, "END closes no block")
