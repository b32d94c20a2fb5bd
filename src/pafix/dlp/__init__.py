"""DLP policies for desktop flows: reading policy exports, mapping actions to action groups,
and the per-flow verdicts the PAF3xx rules report. See ``docs/dlp.md``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from .evaluate import DlpSettings, FlowVerdicts, collect_uses, evaluate, groups_used
from .groups import ActionIds, Group, ModuleMap, load_action_ids, module_map
from .policy import DlpPolicyError, Policy, load_policies, load_policy_file, parse_policies

_ACTIVE: ContextVar[DlpSettings | None] = ContextVar("pafix_dlp", default=None)


def load_settings(policy_paths: Sequence[str | Path], action_ids: str | Path | None = None) -> DlpSettings | None:
    """The settings for these policy files (None when there are none). Raises
    :class:`DlpPolicyError` for a file pafix cannot use."""
    if not policy_paths:
        return None
    ids = load_action_ids(action_ids) if action_ids else ActionIds()
    return DlpSettings(load_policies(policy_paths), ids)


@contextmanager
def dlp_scope(settings: DlpSettings | None) -> Iterator[None]:
    """Make ``settings`` the policies of every flow checked inside the block, for front ends
    whose path to ``check_flow`` has no ``dlp`` parameter. An explicit ``dlp=`` wins."""
    token = _ACTIVE.set(settings)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_settings() -> DlpSettings | None:
    return _ACTIVE.get()


__all__ = [
    "ActionIds", "DlpPolicyError", "DlpSettings", "FlowVerdicts", "Group", "ModuleMap", "Policy",
    "active_settings", "collect_uses", "dlp_scope", "evaluate", "groups_used", "load_action_ids",
    "load_policies", "load_policy_file", "load_settings", "module_map", "parse_policies",
]
