"""The rule registry: one explicit tuple, in code order (like Ruff's ``codes.rs``)."""

from __future__ import annotations

from .base import Context, Rule
from .paf101_sensitive_value_in_plain_variable import SensitiveValueInPlainVariable
from .paf102_secret_reaches_sink import SecretReachesSink
from .paf103_secret_input_variable import SecretInputVariable
from .paf104_hardcoded_secret import HardcodedSecret
from .paf105_secret_variable_not_sensitive import SecretVariableNotSensitive
from .paf106_sensitive_output_not_marked import SensitiveOutputNotMarked
from .paf107_secret_into_plain_child_input import SecretIntoPlainChildInput
from .paf108_sensitivity_mismatch import SensitivityMismatch
from .paf301_dlp_blocked_action_group import DlpBlockedActionGroup
from .paf302_dlp_blocked_action import DlpBlockedAction
from .paf303_dlp_mixed_data_groups import DlpMixedDataGroups
from .paf304_dlp_denied_endpoint import DlpDeniedEndpoint
from .paf305_dlp_unclassified_module import DlpUnclassifiedModule
from .paf901_unbalanced_end import UnbalancedEnd
from .paf902_unused_suppression import UnusedSuppression

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
    UnbalancedEnd,
    UnusedSuppression,
)

BY_CODE: dict[str, type[Rule]] = {r.code: r for r in RULES}

__all__ = ["BY_CODE", "RULES", "Context", "Rule"]
