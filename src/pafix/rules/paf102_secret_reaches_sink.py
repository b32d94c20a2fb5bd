"""PAF102."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.analysis.kinds import credential_labels
from pafix.analysis.taint import Event
from pafix.findings import Finding, TraceStep
from pafix.rules.base import Context, EventRule, best_label, judged, only_heuristic

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


class SecretReachesSink(EventRule):
    """A secret reaches an action that reveals it.

    ## What it does
    Reports a sensitive value that arrives in a parameter that shows, stores or sends its
    value: message boxes, files, the clipboard, mail subject and body, web requests, error
    messages and `EXIT ... ErrorMessage`, screenshots, keystrokes into a field that is not a
    password field, and the inputs of a child flow (`External.RunFlow`). The finding shows
    the path from the secret's source to the sink.

    The rule is about credentials (passwords, keys, tokens, connection strings with a
    credential part). Sensitive data that is not a credential (what the author marked
    sensitive: an e-mail recipient, a message, a customer record) is not reported where the
    catalogue says the parameter is the action's purpose (`intended = true`: the body of a
    send-mail action, the statement of a database call, the path of a file action, a child
    flow's input); elsewhere (on screen, on the clipboard, in a log) it is reported as
    "sensitive data from X", at most medium confidence.

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

    def events(self, ctx: Context) -> Iterable[Event]:
        return sorted((e for e in ctx.events if e.kind == "sink"), key=lambda e: e.span.start)

    def check_event(self, ctx: Context, event: Event) -> Iterable[Finding]:
        # (sensitive data never reaches a sink that is its intended use: the analysis keeps
        # only credentials there, see the catalogue's ``intended`` sinks)
        labels = credential_labels(event.labels) or event.labels
        kind, confidence = judged(labels)
        label = best_label(labels)
        what = SINK_WORDS.get(event.sink_kind or "", "reveals it")
        source = label.origin.label
        if kind == "data":
            source = f"sensitive data from {source}"
        message = f"{source} reaches {event.param} of {event.action}, which {what}"
        sink_step = TraceStep(event.span.line, event.span.column,
                              f"sink: {event.param} of {event.action}", event.span.start, event.span.end)
        yield self.finding(
            ctx, event.span, message, subflow=event.subflow,
            variable=label.origin.variable and ctx.display(label.origin.variable),
            trace=label.trace() + (sink_step,),
            severity="warning" if only_heuristic(labels) else None,
            kind=kind, confidence=confidence,
        )
