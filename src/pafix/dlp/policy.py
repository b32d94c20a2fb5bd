"""Reading DLP policies exported as JSON, in the two shapes admins have.

* PowerShell ``Get-DlpPolicy``: ``{"value": [policy, ...]}`` where each policy carries
  ``defaultConnectorsClassification`` and ``connectorGroups`` directly (a single policy object
  is accepted too). Connector action and endpoint rules come from a separate call
  (``Get-PowerAppDlpPolicyConnectorConfigurations``); they are read when present on the policy,
  either under ``connectorConfigurationsDefinition`` or as ``connectorActionConfigurations`` /
  ``endpointConfigurations`` directly.
* BAP admin API v2 (``GET …/PowerPlatform.Governance/v2/policies/{name}``, as mocked by
  microsoft/terraform-provider-power-platform): ``{"policyDefinition": {...},
  "connectorConfigurationsDefinition": {"connectorActionConfigurations": [...],
  "endpointConfigurations": [...]}}``.

Keys are matched case-insensitively at every level (a real fixture spells ``endPoint``).
Classification names: ``Confidential`` = Business, ``General`` = Non-business, ``Blocked``.
Connector ids are compared without the leading ``/`` and case-insensitively: policies write
cloud connectors as ``/providers/Microsoft.PowerApps/apis/shared_x`` and the docs write
desktop-flow groups as ``providers/Microsoft.ProcessSimple/operationGroups/DesktopFlow.X``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pafix.errors import PafixError

Classification = Literal["Confidential", "General", "Blocked"]
ActionBehavior = Literal["Allow", "Block"]
EndpointBehavior = Literal["Allow", "Deny"]

#: what the portal calls each classification
CLASSIFICATION_LABEL: dict[Classification, str] = {
    "Confidential": "Business",
    "General": "Non-business",
    "Blocked": "Blocked",
}

_CLASSIFICATIONS: dict[str, Classification] = {
    "confidential": "Confidential",
    "business": "Confidential",
    "general": "General",
    "nonbusiness": "General",
    "non-business": "General",
    "blocked": "Blocked",
}


class DlpPolicyError(PafixError):
    """A policy file pafix cannot use (exit code 2). The message names the file."""


def normalize_id(connector_id: str) -> str:
    """The form connector ids are compared in: no leading ``/``, lower case."""
    return connector_id.strip().lstrip("/").lower()


@dataclass(frozen=True, slots=True)
class ActionConfig:
    """``actionRules`` of one connector: explicit behaviours plus the default for the rest."""

    rules: Mapping[str, ActionBehavior]  #: lower-case actionId -> behaviour
    default: ActionBehavior = "Allow"

    def behavior(self, action_id: str) -> tuple[ActionBehavior, bool]:
        """The behaviour for ``action_id`` and whether an explicit rule gave it."""
        explicit = self.rules.get(action_id.lower())
        return (explicit, True) if explicit is not None else (self.default, False)


@dataclass(frozen=True, slots=True)
class EndpointRule:
    order: int
    behavior: EndpointBehavior
    endpoint: str

    def matches(self, value: str) -> bool:
        return _wildcard(self.endpoint).fullmatch(value) is not None


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """``*`` matches any run of characters; everything else is literal; case-insensitive."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Policy:
    """One DLP policy, reduced to what a desktop-flow check needs."""

    name: str
    display_name: str
    source: str  #: the file it was read from
    default_classification: Classification = "General"
    #: normalized connector / action group id -> its classification
    groups: Mapping[str, Classification] = field(default_factory=dict)
    actions: Mapping[str, ActionConfig] = field(default_factory=dict)
    #: normalized connector id -> rules sorted by ``order``
    endpoints: Mapping[str, tuple[EndpointRule, ...]] = field(default_factory=dict)
    environment_type: str | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.name or Path(self.source).name

    def classify(self, group_id: str) -> Classification:
        return self.groups.get(normalize_id(group_id), self.default_classification)

    def action_config(self, group_id: str) -> ActionConfig | None:
        return self.actions.get(normalize_id(group_id))

    def endpoint_rule(self, group_id: str, value: str) -> EndpointRule | None:
        """The first rule (by ``order``) whose pattern matches ``value``; None when none does
        or the connector has no endpoint rules."""
        for rule in self.endpoints.get(normalize_id(group_id), ()):
            if rule.matches(value):
                return rule
        return None


# ---- parsing --------------------------------------------------------------------------------


def _fold(value: Any, depth: int = 0) -> Any:
    """A copy of parsed JSON with every object key lower-cased (values untouched)."""
    if depth > 100:
        raise ValueError("JSON nested too deeply")
    if isinstance(value, dict):
        return {str(k).lower(): _fold(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_fold(v, depth + 1) for v in value]
    return value


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> DlpPolicyError:
        return DlpPolicyError(f"{self.source}: {message}")

    def obj(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a JSON object")
        return value

    def items(self, parent: Mapping[str, Any], key: str, what: str) -> list[dict[str, Any]]:
        """``parent[key]`` as a list of objects; ``key`` is spelled as documented, looked up folded."""
        value = parent.get(key.lower())
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{what}.{key} must be a JSON array")
        return [self.obj(v, f"{what}.{key}[{i}]") for i, v in enumerate(value)]

    def text(self, parent: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str:
        value = parent.get(key.lower())
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{what}.{key} must be a non-empty string")
        return value

    def classification(self, value: Any, what: str) -> Classification:
        key = value.strip().lower().replace(" ", "") if isinstance(value, str) else None
        found = _CLASSIFICATIONS.get(key or "")
        if found is None:
            raise self.fail(f"{what}: unknown classification {value!r} (expected Confidential, General or Blocked)")
        return found

    def action_behavior(self, value: Any, what: str) -> ActionBehavior:
        key = value.strip().lower() if isinstance(value, str) else ""
        if key == "allow":
            return "Allow"
        if key == "block":
            return "Block"
        raise self.fail(f"{what}: unknown action behavior {value!r} (expected Allow or Block)")

    def endpoint_behavior(self, value: Any, what: str) -> EndpointBehavior:
        key = value.strip().lower() if isinstance(value, str) else ""
        if key == "allow":
            return "Allow"
        if key in ("deny", "block"):
            return "Deny"
        raise self.fail(f"{what}: unknown endpoint behavior {value!r} (expected Allow or Deny)")


def _policy(r: _Reader, definition: dict[str, Any], configs: dict[str, Any], what: str) -> Policy:
    default = r.classification(definition.get("defaultconnectorsclassification", "General"),
                               f"{what}.defaultConnectorsClassification")
    groups: dict[str, Classification] = {}
    for i, group in enumerate(r.items(definition, "connectorGroups", what)):
        gwhat = f"{what}.connectorGroups[{i}]"
        cls = r.classification(group.get("classification"), f"{gwhat}.classification")
        for j, connector in enumerate(r.items(group, "connectors", gwhat)):
            cid = r.text(connector, "id", f"{gwhat}.connectors[{j}]")
            # the same connector in two groups: keep the more restrictive one
            old = groups.get(normalize_id(cid))
            groups[normalize_id(cid)] = cls if old is None else _stricter(old, cls)
    actions: dict[str, ActionConfig] = {}
    for i, conf in enumerate(r.items(configs, "connectorActionConfigurations", what)):
        cwhat = f"{what}.connectorActionConfigurations[{i}]"
        cid = r.text(conf, "connectorId", cwhat)
        rules: dict[str, ActionBehavior] = {}
        for j, rule in enumerate(r.items(conf, "actionRules", cwhat)):
            rwhat = f"{cwhat}.actionRules[{j}]"
            rules[r.text(rule, "actionId", rwhat).lower()] = r.action_behavior(rule.get("behavior"), f"{rwhat}.behavior")
        raw_default = conf.get("defaultconnectoractionrulebehavior")
        behavior = r.action_behavior(raw_default, f"{cwhat}.defaultConnectorActionRuleBehavior") if raw_default else "Allow"
        actions[normalize_id(cid)] = ActionConfig(rules, behavior)
    endpoints: dict[str, tuple[EndpointRule, ...]] = {}
    for i, conf in enumerate(r.items(configs, "endpointConfigurations", what)):
        cwhat = f"{what}.endpointConfigurations[{i}]"
        cid = r.text(conf, "connectorId", cwhat)
        found: list[EndpointRule] = []
        for j, rule in enumerate(r.items(conf, "endpointRules", cwhat)):
            rwhat = f"{cwhat}.endpointRules[{j}]"
            order = rule.get("order", j + 1)
            if isinstance(order, bool) or not isinstance(order, int):
                raise r.fail(f"{rwhat}.order must be an integer")
            found.append(EndpointRule(order, r.endpoint_behavior(rule.get("behavior"), f"{rwhat}.behavior"),
                                      r.text(rule, "endpoint", rwhat)))
        endpoints[normalize_id(cid)] = tuple(sorted(found, key=lambda e: e.order))
    env = definition.get("environmenttype")
    return Policy(
        name=r.text(definition, "name", what, required=False),
        display_name=r.text(definition, "displayName", what, required=False),
        source=r.source,
        default_classification=default,
        groups=groups,
        actions=actions,
        endpoints=endpoints,
        environment_type=env if isinstance(env, str) else None,
    )


_RANK: dict[Classification, int] = {"General": 0, "Confidential": 0, "Blocked": 1}


def _stricter(a: Classification, b: Classification) -> Classification:
    return b if _RANK[b] > _RANK[a] else a


_POLICY_KEYS = ("connectorgroups", "defaultconnectorsclassification")
_CONFIG_KEYS = ("connectoractionconfigurations", "endpointconfigurations")


def _one(r: _Reader, doc: dict[str, Any], what: str) -> Policy:
    if "policydefinition" in doc:  # admin API v2
        definition = r.obj(doc["policydefinition"], f"{what}.policyDefinition")
        configs = doc.get("connectorconfigurationsdefinition") or {}
        return _policy(r, definition, r.obj(configs, f"{what}.connectorConfigurationsDefinition"), what)
    if any(k in doc for k in _POLICY_KEYS + _CONFIG_KEYS):  # PowerShell Get-DlpPolicy item
        configs = doc.get("connectorconfigurationsdefinition") or doc
        return _policy(r, doc, r.obj(configs, f"{what}.connectorConfigurationsDefinition"), what)
    raise r.fail(
        f"{what} is not a DLP policy: expected 'policyDefinition' (admin API v2) or "
        "'connectorGroups'/'defaultConnectorsClassification' (Get-DlpPolicy)"
    )


def parse_policies(data: Any, source: str = "<policy>") -> tuple[Policy, ...]:
    """The policies in one parsed JSON document (either shape, or a list of policies)."""
    r = _Reader(source)
    try:
        folded = _fold(data)
    except ValueError as exc:
        raise r.fail(str(exc)) from None
    if isinstance(folded, list):
        docs = [(r.obj(v, f"[{i}]"), f"[{i}]") for i, v in enumerate(folded)]
    elif isinstance(folded, dict) and isinstance(folded.get("value"), list):
        docs = [(r.obj(v, f"value[{i}]"), f"value[{i}]") for i, v in enumerate(folded["value"])]
    elif isinstance(folded, dict):
        docs = [(folded, "policy")]
    else:
        raise r.fail("a DLP policy file must hold a JSON object or array")
    if not docs:
        raise r.fail("holds no policy")
    return tuple(_one(r, doc, what) for doc, what in docs)


def load_policy_file(path: str | Path) -> tuple[Policy, ...]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DlpPolicyError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DlpPolicyError(f"{source}: cannot read DLP policy: {exc}") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DlpPolicyError(f"{source}: not valid JSON: {exc}") from None
    return parse_policies(data, source)


def load_policies(paths: Sequence[str | Path]) -> tuple[Policy, ...]:
    return tuple(p for path in paths for p in load_policy_file(path))
