"""What the PAF3xx rules share: the flow's DLP verdicts, computed once per flow.

:mod:`pafix.dlp.evaluate` (and the action groups it loads) is imported when a DLP policy is
given, not by every scan that registers the rules: without a policy the rules report nothing,
and importing it was 4% of a one-flow scan's instructions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pafix.dlp import active_settings
from pafix.findings import TraceStep
from pafix.rules.base import Context

if TYPE_CHECKING:
    from pafix.dlp.evaluate import FlowVerdicts, Use

_KEY = "_dlp_verdicts"


def dlp_verdicts(ctx: Context) -> FlowVerdicts | None:
    """None when no DLP policy was given (the PAF3xx rules then report nothing)."""
    if _KEY in ctx.options:
        cached = ctx.options[_KEY]
        if cached is None:
            return None
        from pafix.dlp.evaluate import FlowVerdicts

        return cached if isinstance(cached, FlowVerdicts) else None
    settings = ctx.options.get("dlp")
    if settings is None:
        settings = active_settings()
    result = None
    if settings is not None:
        from pafix.dlp.evaluate import DlpSettings, evaluate

        result = evaluate(ctx.flow, settings) if isinstance(settings, DlpSettings) and settings.policies else None
    ctx.options[_KEY] = result
    return result


def use_step(use: Use, message: str) -> TraceStep:
    """A trace step pointing at ``use``'s statement."""
    span = use.span
    return TraceStep(span.line, span.column, message, span.start, span.end)
