"""PAF902."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import Context, Rule


class UnusedSuppression(Rule):
    """A `# pafix: ignore[...]` comment suppresses nothing.

    ## What it does
    Reports suppression comments whose codes match no finding on the statement after them
    (or, for `ignore-file`, anywhere in the file), and comments that name no known rule.

    ## Why is this bad?
    Stale suppressions hide the next real finding on that line and make reviews harder.

    ## Example
    ```
    # pafix: ignore[PAF102] debug output, removed before release
    SET Counter TO Counter + 1
    ```

    ## Use instead
    Remove the comment.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF902"
    name = "unused-suppression"
    severity = "warning"

    def check(self, ctx: Context) -> Iterable[Finding]:
        # Computed by the core after every other rule ran (it needs their findings).
        return ()
