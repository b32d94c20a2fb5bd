"""PAF107."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding, TraceStep
from pafix.analysis.kinds import credential_labels
from pafix.rules.base import Context, Rule, best_label, judged, only_heuristic


class SecretIntoPlainChildInput(Rule):
    """A secret is passed into an input of a child desktop flow that is not sensitive.

    ## What it does
    In a solution, follows `External.RunFlow FlowId: '…'` to the child flow of the same
    solution and reports a secret passed into one of its inputs that the child does not mark
    sensitive (neither in its `@SENSITIVE` line nor with `"format": "password"`). The analysis
    then continues inside the child flow.

    ## Why is this bad?
    Sensitivity is not inherited across flows either: the child logs the input in clear text.
    Power Automate's own DLP check does not evaluate child flows; pafix does.

    ## Example
    ```
    External.RunFlow FlowId: '6d1c…' @Input_Password: SmtpPassword
    ```
    where the child declares `@INPUT Input_Password` but not `@SENSITIVE: [Input_Password]`.

    ## Use instead
    Mark the child's input sensitive (`pafix rewrite` on the child does it), or let the child
    read the secret itself with Get credential.

    ## Fix safety
    No fix in the parent; the child flow gets PAF105's safe fix for the input.
    """

    code = "PAF107"
    name = "secret-into-plain-child-input"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        for event in sorted(ctx.events, key=lambda e: e.span.start):
            if event.kind != "child-input":
                continue
            kind, confidence = judged(event.labels)
            label = best_label(credential_labels(event.labels) or event.labels)
            source = label.origin.label if kind == "credential" else f"sensitive data from {label.origin.label}"
            child = event.sink_kind or "the child flow"
            step = TraceStep(event.span.line, event.span.column,
                             f"input {event.param} of child flow {child} is not sensitive", event.span.start, event.span.end)
            yield self.finding(
                ctx, event.span,
                f"{source} is passed into input {event.param} of child flow {child!r}, which is not sensitive there",
                subflow=event.subflow, variable=event.param, trace=label.trace() + (step,),
                severity="warning" if only_heuristic(event.labels) else None,
                kind=kind, confidence=confidence,
            )
