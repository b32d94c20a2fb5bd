"""What the PAF3xx rules share: the flow's DLP verdicts, computed once per flow."""

from __future__ import annotations

from pafix.dlp import active_settings
from pafix.dlp.evaluate import DlpSettings, FlowVerdicts, evaluate
from pafix.dlp.evaluate import Use
from pafix.findings import TraceStep
from pafix.rules.base import Context

_KEY = "_dlp_verdicts"


def dlp_verdicts(ctx: Context) -> FlowVerdicts | None:
    """None when no DLP policy was given (the PAF3xx rules then report nothing)."""
    if _KEY in ctx.options:
        cached = ctx.options[_KEY]
        return cached if isinstance(cached, FlowVerdicts) else None
    settings = ctx.options.get("dlp")
    if settings is None:
        settings = active_settings()
    result = evaluate(ctx.flow, settings) if isinstance(settings, DlpSettings) and settings.policies else None
    ctx.options[_KEY] = result
    return result


def use_step(use: Use, message: str) -> TraceStep:
    """A trace step pointing at ``use``'s statement."""
    span = use.span
    return TraceStep(span.line, span.column, message, span.start, span.end)
