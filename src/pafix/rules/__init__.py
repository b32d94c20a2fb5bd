"""The rule registry: one explicit tuple, in code order (like Ruff's ``codes.rs``)."""

from __future__ import annotations

from pafix.rules.base import Context, Rule
from pafix.rules.paf101_sensitive_value_in_plain_variable import SensitiveValueInPlainVariable
from pafix.rules.paf102_secret_reaches_sink import SecretReachesSink
from pafix.rules.paf103_secret_input_variable import SecretInputVariable
from pafix.rules.paf104_hardcoded_secret import HardcodedSecret
from pafix.rules.paf105_secret_variable_not_sensitive import SecretVariableNotSensitive
from pafix.rules.paf106_sensitive_output_not_marked import SensitiveOutputNotMarked
from pafix.rules.paf107_secret_into_plain_child_input import SecretIntoPlainChildInput
from pafix.rules.paf108_sensitivity_mismatch import SensitivityMismatch
from pafix.rules.paf301_dlp_blocked_action_group import DlpBlockedActionGroup
from pafix.rules.paf302_dlp_blocked_action import DlpBlockedAction
from pafix.rules.paf303_dlp_mixed_data_groups import DlpMixedDataGroups
from pafix.rules.paf304_dlp_denied_endpoint import DlpDeniedEndpoint
from pafix.rules.paf305_dlp_unclassified_module import DlpUnclassifiedModule
from pafix.rules.paf401_global_access_to_desktop_flows import GlobalAccessToDesktopFlows
from pafix.rules.paf402_global_access_to_credentials import GlobalAccessToCredentials
from pafix.rules.paf403_global_access_to_work_queues import GlobalAccessToWorkQueues
from pafix.rules.paf404_global_access_to_desktop_flow_modules import GlobalAccessToDesktopFlowModules
from pafix.rules.paf405_automation_table_not_audited import AutomationTableNotAudited
from pafix.rules.paf406_shared_flow_access_gap import SharedFlowAccessGap
from pafix.rules.metadata_base import MetadataRule
from pafix.rules.paf901_unbalanced_end import UnbalancedEnd
from pafix.rules.paf902_unused_suppression import UnusedSuppression

RULES: tuple[type[Rule], ...] = (
    SensitiveValueInPlainVariable,
    SecretReachesSink,
    SecretInputVariable,
    HardcodedSecret,
    SecretVariableNotSensitive,
    SensitiveOutputNotMarked,
    SecretIntoPlainChildInput,
    SensitivityMismatch,
    DlpBlockedActionGroup,
    DlpBlockedAction,
    DlpMixedDataGroups,
    DlpDeniedEndpoint,
    DlpUnclassifiedModule,
    GlobalAccessToDesktopFlows,
    GlobalAccessToCredentials,
    GlobalAccessToWorkQueues,
    GlobalAccessToDesktopFlowModules,
    AutomationTableNotAudited,
    SharedFlowAccessGap,
    UnbalancedEnd,
    UnusedSuppression,
)

BY_CODE: dict[str, type[Rule]] = {r.code: r for r in RULES}
#: the rules that read a solution's roles and table definitions, not Robin (PAF4xx)
METADATA_RULES: tuple[type[MetadataRule], ...] = tuple(r for r in RULES if issubclass(r, MetadataRule))
#: the rules the core runs on each flow
FLOW_RULES: tuple[type[Rule], ...] = tuple(r for r in RULES if not issubclass(r, MetadataRule))

__all__ = ["BY_CODE", "FLOW_RULES", "METADATA_RULES", "RULES", "Context", "MetadataRule", "Rule"]
