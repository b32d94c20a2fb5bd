"""PAF304."""

from __future__ import annotations

from collections.abc import Iterable

from pafix.findings import Finding
from pafix.rules.base import Context, Rule
from pafix.rules.dlp_support import dlp_verdicts


class DlpDeniedEndpoint(Rule):
    """A literal URL that a DLP policy's endpoint filtering denies.

    ## What it does
    With `--dlp-policy`, checks the literal `Url:` of browser actions
    (`WebAutomation.LaunchEdge`, `LaunchChrome`, `LaunchFirefox`, `GoToWebPage`) and HTTP actions
    (`Web.InvokeWebService…`, `Web.DownloadFromWeb…`) against the policy's
    `endpointConfigurations` for that group: the rules are tried in `order`, `*` matches any
    text (case-insensitive, whole URL), and the first match decides. `Deny` is reported.
    **URLs that are not literals (`%Url%`, `$'''https://%Host%/x'''`) are not evaluated.**

    ## Why is this bad?
    Power Automate blocks the action at run time in environments the policy covers.

    ## Example
    ```
    WebAutomation.LaunchEdge.LaunchEdge Url: $'''https://files.example.net/upload''' BrowserInstance=> Browser
    ```
    with `{"order": 1, "behavior": "Deny", "endpoint": "https://*.example.net*"}`.

    ## Use instead
    An allowed endpoint, or ask the administrator to allow this one.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF304"
    name = "dlp-denied-endpoint"
    severity = "error"

    def check(self, ctx: Context) -> Iterable[Finding]:
        verdicts = dlp_verdicts(ctx)
        if verdicts is None:
            return
        from pafix.dlp.evaluate import policies_text, shown_url  # (only with a DLP policy: see rules.dlp_support)

        for item in verdicts.endpoints:
            use = item.use
            yield self.finding(
                ctx, use.span,
                f"{use.site.action.name} goes to {shown_url(item.url)}…, denied for {use.group.name} by endpoint "
                f"rule {item.rule.order} ({item.rule.endpoint!r}: Deny) of {policies_text(item.policies)}",
                subflow=use.site.subflow,
            )
