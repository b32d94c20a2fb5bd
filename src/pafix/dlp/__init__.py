"""DLP policies for desktop flows: reading policy exports, mapping actions to action groups,
and the per-flow verdicts the PAF3xx rules report. See ``docs/dlp.md``."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pafix.dlp.policy import DlpPolicyError, Policy, load_policies, load_policy_file, parse_policies
    from pafix.dlp.evaluate import DlpSettings, FlowVerdicts, collect_uses, groups_used
    from pafix.dlp.groups import ActionIds, Group, ModuleMap, load_action_ids, module_map

#: names imported on first use: evaluating policies needs the syntax tree classes, which a
#: scan answered from the result cache (it only opens a dlp_scope) never does, and a scan
#: without ``--dlp-policy`` reads no policy. The function ``evaluate`` is
#: ``pafix.dlp.evaluate.evaluate``: here ``evaluate`` is that submodule.
_LAZY = {
    "DlpPolicyError": ".policy", "Policy": ".policy", "load_policies": ".policy",
    "load_policy_file": ".policy", "parse_policies": ".policy",
    "DlpSettings": ".evaluate", "FlowVerdicts": ".evaluate", "collect_uses": ".evaluate",
    "groups_used": ".evaluate", "ActionIds": ".groups", "Group": ".groups", "ModuleMap": ".groups",
    "load_action_ids": ".groups", "module_map": ".groups",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)

_ACTIVE: ContextVar[DlpSettings | None] = ContextVar("pafix_dlp", default=None)


def load_settings(policy_paths: Sequence[str | Path], action_ids: str | Path | None = None) -> DlpSettings | None:
    """The settings for these policy files (None when there are none). Raises
    :class:`DlpPolicyError` for a file pafix cannot use."""
    if not policy_paths:
        return None
    from pafix.dlp.evaluate import DlpSettings
    from pafix.dlp.groups import ActionIds, load_action_ids
    from pafix.dlp.policy import load_policies

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
    "active_settings", "collect_uses", "dlp_scope", "groups_used", "load_action_ids",
    "load_policies", "load_policy_file", "load_settings", "module_map", "parse_policies",
]
