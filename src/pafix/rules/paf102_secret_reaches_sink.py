"""PAF102."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding, TraceStep
from pafix.rules.base import Context, Rule, best_label, only_heuristic

SINK_WORDS = {
    "display": "shows it on screen",
    "file": "writes it to a file",
    "clipboard": "puts it on the clipboard",
    "network": "sends it over the network",
    "mail": "sends it by mail",
    "process": "passes it to a script or command line",
    "log": "writes it to an error message or log",
    "keystrokes": "types it into a field that is not a password field",
    "screenshot": "captures it in a screenshot",
    "childflow": "passes it to a child flow",
}


class SecretReachesSink(Rule):
    """A secret reaches an action that reveals it.

    ## What it does
    Reports a sensitive value that arrives in a parameter that shows, stores or sends its
    value: message boxes, files, the clipboard, mail subject and body, web requests, error
    messages and `EXIT ... ErrorMessage`, screenshots, keystrokes into a field that is not a
    password field, and the inputs of a child flow (`External.RunFlow`). The finding shows
    the path from the secret's source to the sink.

    ## Why is this bad?
    Microsoft: "The value of a sensitive variable is visible when you send it outside desktop
    flows or displayed through the Display message action." Marking it sensitive does not
    protect a value that is written out.

    ## Example
    ```
    @SENSITIVE: [ApiKey]
    Display.ShowMessageDialog.ShowMessage Title: $'''Debug''' Message: $'''Key: %ApiKey%'''
    ```

    ## Use instead
    Remove the debug output, or show a masked hint (`%ApiKey.Length%` characters).

    ## Fix safety
    No automatic fix: only the author knows what the sink should show instead.
    """

    code = "PAF102"
    name = "secret-reaches-sink"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        for event in sorted(ctx.events, key=lambda e: e.span.start):
            if event.kind != "sink":
                continue
            label = best_label(event.labels)
            what = SINK_WORDS.get(event.sink_kind or "", "reveals it")
            source = label.origin.label
            message = f"{source} reaches {event.param} of {event.action}, which {what}"
            sink_step = TraceStep(event.span.line, event.span.column,
                                  f"sink: {event.param} of {event.action}", event.span.start, event.span.end)
            yield self.finding(
                ctx, event.span, message, subflow=event.subflow,
                variable=label.origin.variable and ctx.display(label.origin.variable),
                trace=label.trace() + (sink_step,),
                severity="warning" if only_heuristic(event.labels) else None,
            )
