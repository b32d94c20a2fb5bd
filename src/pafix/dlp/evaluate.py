"""Checking one flow against DLP policies: what each PAF3xx rule reports.

Semantics (Microsoft, articles/desktop-flows/data-loss-prevention.md and prevent-data-loss.md):

* A flow may not use actions from a **Blocked** group, nor individually blocked actions
  (``actionRules`` with ``Block``, or ``defaultConnectorActionRuleBehavior: Block`` for the
  actions a connector configuration does not list).
* A flow may not combine **Business** (``Confidential``) and **Non-business** (``General``)
  groups. Groups a policy does not list fall in its ``defaultConnectorsClassification``.
* Endpoint filtering: the rules of a connector are tried in ``order``; the first whose pattern
  (``*`` wildcards) matches the literal URL decides ``Allow`` or ``Deny``. Only literal URLs are
  evaluated: a URL built from variables is not, as PAD itself bypasses them under ``Allow *``.
* Disabled statements do not count ("delete or disable actions from one of the two groups").
* Child flows started with Run desktop flow are not evaluated with the parent.

With several policies the most restrictive verdict wins: each policy is evaluated on its own
and every violation is reported once, naming the policies that raise it. A statement whose
group is Blocked by any policy is reported as such and not again for a blocked action.
pafix does not know which environment a flow runs in, so every policy given applies
(``environmentType`` / ``environments`` are not used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pafix.syntax import nodes as n
from pafix.analysis.action_sites import ActionSite, action_sites, literal_param
from pafix.dlp.groups import ActionIds, Group, ModuleMap, Unknown, module_map
from pafix.dlp.policy import EndpointRule, Policy

#: actions whose ``Url:`` endpoint filtering checks (prefixes of the Robin name, by segment)
URL_ACTIONS: tuple[str, ...] = (
    "WebAutomation.LaunchEdge",
    "WebAutomation.LaunchChrome",
    "WebAutomation.LaunchFirefox",
    "WebAutomation.GoToWebPage",
    "Web.InvokeWebService",
    "Web.DownloadFromWeb",
)
URL_PARAM = "Url"


@dataclass(frozen=True, slots=True)
class DlpSettings:
    """What ``scan --dlp-policy`` hands to the rules."""

    policies: tuple[Policy, ...]
    action_ids: ActionIds = field(default_factory=ActionIds)


@dataclass(frozen=True, slots=True)
class Use:
    """An enabled action that belongs to a DLP group."""

    site: ActionSite
    group: Group
    action_id: str | None

    @property
    def span(self) -> n.Span:
        return self.site.action.span


@dataclass(frozen=True, slots=True)
class BlockedGroup:
    use: Use
    policies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BlockedAction:
    use: Use
    policies: tuple[str, ...]
    #: True when every policy blocks it by an explicit rule, False when a default does
    explicit: bool


@dataclass(frozen=True, slots=True)
class Mix:
    """The first Business use and the first Non-business use of one policy."""

    later: Use
    earlier: Use
    later_label: str  #: "Business" or "Non-business"
    earlier_label: str
    policies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeniedEndpoint:
    use: Use
    url: str
    rule: EndpointRule
    policies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnknownModule:
    site: ActionSite
    unknown: Unknown


@dataclass(frozen=True, slots=True)
class FlowVerdicts:
    blocked_groups: tuple[BlockedGroup, ...] = ()
    blocked_actions: tuple[BlockedAction, ...] = ()
    mixes: tuple[Mix, ...] = ()
    endpoints: tuple[DeniedEndpoint, ...] = ()
    unknown: tuple[UnknownModule, ...] = ()


def collect_uses(
    flow: n.Flow, ids: ActionIds | None = None, modules: ModuleMap | None = None
) -> tuple[list[Use], list[UnknownModule]]:
    """Enabled actions with their group, and the first enabled use of each unknown module."""
    modules = modules or module_map()
    ids = ids or ActionIds()
    uses: list[Use] = []
    unknown: dict[str, UnknownModule] = {}
    for site in action_sites(flow):
        if site.disabled:
            continue
        found = modules.resolve(site.action)
        if isinstance(found, Group):
            uses.append(Use(site, found, modules.action_id(site.action, found, ids)))
        elif isinstance(found, Unknown):
            unknown.setdefault(found.module.lower(), UnknownModule(site, found))
    return uses, list(unknown.values())


def groups_used(flow: n.Flow) -> list[Group]:
    """The distinct groups ``flow`` uses (enabled statements), sorted by id."""
    uses, _ = collect_uses(flow)
    seen = {u.group.key: u.group for u in uses}
    return [seen[k] for k in sorted(seen)]


def _is_url_action(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in URL_ACTIONS)


def shown_url(url: str) -> str:
    """Scheme and host only: a URL may carry a token in its path, query or user info."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return "<unparsable URL>"
    if parts.scheme and host:
        return f"{parts.scheme}://{host}"
    return host or "<URL>"


def evaluate(flow: n.Flow, settings: DlpSettings) -> FlowVerdicts:
    uses, unknown = collect_uses(flow, settings.action_ids)
    blocked_groups: dict[int, list[str]] = {}
    blocked_actions: dict[int, tuple[list[str], list[bool]]] = {}
    mixes: dict[tuple[int, int, str], tuple[Mix, list[str]]] = {}
    endpoints: dict[int, tuple[DeniedEndpoint, list[str]]] = {}
    for policy in settings.policies:
        first: dict[str, Use] = {}
        for i, use in enumerate(uses):
            cls = policy.classify(use.group.id)
            if cls == "Blocked":
                blocked_groups.setdefault(i, []).append(policy.label)
                continue
            first.setdefault(cls, use)
            config = policy.action_config(use.group.id)
            if config is not None and use.action_id is not None:
                behavior, explicit = config.behavior(use.action_id)
                if behavior == "Block":
                    names, how = blocked_actions.setdefault(i, ([], []))
                    names.append(policy.label)
                    how.append(explicit)
            if _is_url_action(use.site.action.name):
                url = literal_param(use.site.action, URL_PARAM)
                rule = policy.endpoint_rule(use.group.id, url) if url else None
                if url and rule is not None and rule.behavior == "Deny":
                    found = endpoints.setdefault(i, (DeniedEndpoint(use, url, rule, ()), []))
                    found[1].append(policy.label)
        if "Confidential" in first and "General" in first:
            business, other = first["Confidential"], first["General"]
            later, earlier = (business, other) if business.span.start > other.span.start else (other, business)
            labels = ("Business", "Non-business") if later is business else ("Non-business", "Business")
            key = (later.span.start, earlier.span.start, labels[0])
            mix = mixes.setdefault(key, (Mix(later, earlier, labels[0], labels[1], ()), []))
            mix[1].append(policy.label)
    return FlowVerdicts(
        blocked_groups=tuple(BlockedGroup(uses[i], _uniq(p)) for i, p in sorted(blocked_groups.items())),
        blocked_actions=tuple(
            BlockedAction(uses[i], _uniq(p), all(how))
            for i, (p, how) in sorted(blocked_actions.items()) if i not in blocked_groups
        ),
        mixes=tuple(_with(m, p) for _, (m, p) in sorted(mixes.items())),
        endpoints=tuple(
            DeniedEndpoint(d.use, d.url, d.rule, _uniq(p))
            for i, (d, p) in sorted(endpoints.items()) if i not in blocked_groups
        ),
        unknown=tuple(unknown),
    )


def _with(mix: Mix, policies: list[str]) -> Mix:
    return Mix(mix.later, mix.earlier, mix.later_label, mix.earlier_label, _uniq(policies))


def _uniq(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def policies_text(policies: tuple[str, ...]) -> str:
    """``DLP policy 'A'`` or ``DLP policies 'A', 'B'``, for "… by {policies_text}"."""
    quoted = ", ".join(f"'{p}'" for p in policies)
    return f"DLP policy {quoted}" if len(policies) == 1 else f"DLP policies {quoted}"

