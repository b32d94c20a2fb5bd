"""PAF108."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.analysis.kinds import name_kind
from pafix.findings import Finding
from pafix.rules.base import Context, Rule


class SensitivityMismatch(Rule):
    """The script and the solution disagree about whether an input or output is sensitive.

    ## What it does
    In a solution export, an input or output variable is sensitive in one of the two places
    that record it and not in the other: the script's `@SENSITIVE` line, and
    `"format": "password"` in the workflow's `Inputs`/`Outputs` JSON.

    ## Why is this bad?
    The two are normally written together by the designer; a disagreement means one was edited
    by hand or by a tool, and callers may send the value in clear text (or the flow may log it).

    ## Example
    `@SENSITIVE: [Input_ApiKey]` in the script, but `"Input_ApiKey": {"format": null, …}` in
    `<Inputs>`.

    ## Use instead
    Mark it sensitive in both places (`pafix rewrite` keeps them in sync).

    ## Fix safety
    Safe when the script lacks it (marks it sensitive); a variable missing only from the JSON
    is fixed by `pafix rewrite` on the solution.
    """

    code = "PAF108"
    name = "sensitivity-mismatch"
    severity = "warning"
    fix_safety = "safe"

    def check(self, ctx: Context) -> Iterable[Finding]:
        model = ctx.model
        if model.io_schema is None:
            return
        password = ctx.options.get("password_io", frozenset())
        assert isinstance(password, frozenset)
        for name, var in sorted({**model.inputs, **model.outputs}.items(), key=lambda kv: kv[1].decl.span.start):
            if name not in model.io_schema:
                continue
            in_script = name in model.sensitive
            in_json = name in password
            kind = name_kind(name, ctx.names) or "data"
            if in_script and not in_json:
                yield self.finding(ctx, var.decl.name.span,
                                   f"{name} is sensitive in the script but not \"format\": \"password\" in the solution's {var.kind.title()}s",
                                   variable=name, kind=kind)
            elif in_json and not in_script:
                yield self.finding(ctx, var.decl.name.span,
                                   f"{name} is \"format\": \"password\" in the solution but missing from the script's @SENSITIVE line",
                                   variable=name, fix=ctx.mark_fix([name]), kind=kind)
