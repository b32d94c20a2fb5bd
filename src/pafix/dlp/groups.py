"""Which DLP action group (or cloud connector) a Robin action belongs to, and its actionId.

The mapping is data (``pafix/data/dlp_modules.json``, sources in ``data/SOURCES.md``):

* ``Module.Action[.Variant]`` belongs to ``providers/Microsoft.ProcessSimple/operationGroups/
  DesktopFlow.<Module>`` when a module entry lists ``Module`` as a prefix; the longest matching
  prefix wins, so ``External.RunFlow`` maps to ``DesktopFlow.Runflow`` and
  ``External.ShutdownComputer`` to ``DesktopFlow.Workstation``.
* ``External.InvokeCloudConnector ConnectorId: '/providers/Microsoft.PowerApps/apis/shared_x'``
  is the cloud connector ``shared_x`` itself; its actionId is the ``OperationId`` literal.
* Modules DLP cannot manage (Variables, Text, DateTime, control flow) map to nothing.
* Anything else is *unknown*: pafix cannot tell how a policy classifies it.

**actionIds of desktop-flow actions are UNVERIFIED.** By default ``Module.Action.Variant`` has
actionId ``Action`` (the per-action ``Id`` of the RPA CLI catalogue, whose ``SelectorIds`` are
the Robin names). :class:`ActionIds` makes this configurable: another derivation (``style``) and
explicit ``overrides``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pafix.syntax import nodes as n
from pafix.analysis.action_sites import literal_param
from pafix.dlp.policy import DlpPolicyError, normalize_id
from pafix.packaged import read_packaged

GroupKind = Literal["desktop", "connector"]
IdStyle = Literal["action", "action-variant", "name"]
ID_STYLES: tuple[IdStyle, ...] = ("action", "action-variant", "name")


@dataclass(frozen=True, slots=True)
class Group:
    """A DLP action group of desktop flows, or a cloud connector used from a desktop flow."""

    id: str  #: as the docs / the script write it
    name: str  #: display name
    kind: GroupKind

    @property
    def key(self) -> str:
        return normalize_id(self.id)


@dataclass(frozen=True, slots=True)
class Unknown:
    """An action the DLP data does not cover; ``module`` is what the note names."""

    module: str
    reason: str  #: completes "module X …"


@dataclass(frozen=True, slots=True)
class ActionIds:
    """How a Robin action name becomes a DLP ``actionId`` (UNVERIFIED; see module docs).

    ``style``: ``action`` → ``RunPowershellScript`` for
    ``Scripting.RunPowershellScript.RunPowershellScript`` (default); ``action-variant`` →
    ``RunPowershellScript.RunPowershellScript``; ``name`` → the full Robin name.
    ``overrides`` map a Robin name, or a ``Module.Action`` prefix of one, to an actionId and win
    over ``style`` (the longest matching key wins; keys are case-insensitive).
    """

    style: IdStyle = "action"
    overrides: Mapping[str, str] = field(default_factory=dict)

    def action_id(self, robin_name: str) -> str:
        lowered = robin_name.lower()
        best: tuple[int, str] | None = None
        for key, value in self.overrides.items():
            k = key.lower()
            if (lowered == k or lowered.startswith(k + ".")) and (best is None or len(k) > best[0]):
                best = (len(k), value)
        if best is not None:
            return best[1]
        parts = robin_name.split(".")
        if self.style == "name" or len(parts) < 2:
            return robin_name
        if self.style == "action-variant":
            return ".".join(parts[1:])
        return parts[1]


def load_action_ids(path: str | Path) -> ActionIds:
    """``{"style": "action", "overrides": {"Scripting.RunPowershellScript": "RunPowerShell"}}``
    (keys case-insensitive, both optional)."""
    source = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DlpPolicyError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DlpPolicyError(f"{source}: cannot read DLP action id map: {exc}") from None
    if not isinstance(data, dict):
        raise DlpPolicyError(f"{source}: the DLP action id map must be a JSON object")
    folded = {str(k).lower(): v for k, v in data.items()}
    unknown = set(folded) - {"style", "overrides"}
    if unknown:
        raise DlpPolicyError(f"{source}: unknown key(s) {', '.join(sorted(unknown))} (known: style, overrides)")
    style = folded.get("style", "action")
    if style not in ID_STYLES:
        raise DlpPolicyError(f"{source}: style must be one of {', '.join(ID_STYLES)}")
    overrides = folded.get("overrides", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, str) and v for v in overrides.values()):
        raise DlpPolicyError(f"{source}: overrides must map Robin action names to actionId strings")
    return ActionIds(style, dict(overrides))


@dataclass(frozen=True, slots=True)
class ModuleMap:
    """The shipped DLP module data, ready for lookups."""

    #: (lower-case prefix, group), longest prefix first
    prefixes: tuple[tuple[str, Group], ...]
    unmanaged: frozenset[str]  #: lower-case module names
    standard: frozenset[str]  #: lower-case names of Microsoft modules (for the inventory)
    connector_action: str
    connector_arg: str
    operation_arg: str
    connection_arg: str

    def resolve(self, action: n.Action) -> Group | Unknown | None:
        """The group ``action`` belongs to, ``Unknown``, or None for a module DLP ignores."""
        name = action.name
        lowered = name.lower()
        if lowered == self.connector_action.lower():
            return self._connector(action)
        for prefix, group in self.prefixes:
            if lowered == prefix or lowered.startswith(prefix + "."):
                return group
        module = action.module
        if module.lower() in self.unmanaged:
            return None
        if module == "External":
            parts = name.split(".")
            module = ".".join(parts[:2])
        return Unknown(module, "is not in pafix's list of desktop-flow DLP action groups")

    def _connector(self, action: n.Action) -> Group | Unknown:
        literal = literal_param(action, self.connector_arg)
        if not literal:
            return Unknown(self.connector_action, f"has a {self.connector_arg} that is not a literal")
        return Group(literal.strip(), literal.strip().rstrip("/").rsplit("/", 1)[-1], "connector")

    def action_id(self, action: n.Action, group: Group, ids: ActionIds) -> str | None:
        """The actionId to look up in ``actionRules``: the ``OperationId`` literal of a cloud
        connector action, else the configured derivation of the Robin name."""
        if group.kind == "connector":
            return literal_param(action, self.operation_arg)
        return ids.action_id(action.name)

    def is_standard(self, module: str) -> bool:
        return module.lower() in self.standard


def _build(data: Mapping[str, Any]) -> ModuleMap:
    prefixes: list[tuple[str, Group]] = []
    for entry in data["modules"]:
        group = Group(entry["id"], entry["name"], "desktop")
        prefixes.extend((p.lower(), group) for p in entry["prefixes"])
    prefixes.sort(key=lambda item: -len(item[0]))
    cloud = data["cloudConnector"]
    return ModuleMap(
        tuple(prefixes),
        frozenset(m.lower() for m in data["unmanaged"]),
        frozenset(m.lower() for m in data["standardModules"]),
        cloud["action"],
        cloud["connectorIdArgument"],
        cloud["operationIdArgument"],
        cloud["connectionArgument"],
    )


@cache
def module_map() -> ModuleMap:
    """The shipped mapping (``pafix/data/dlp_modules.json``), loaded once."""
    text = read_packaged("pafix", "data", "dlp_modules.json")
    return _build(json.loads(text))
