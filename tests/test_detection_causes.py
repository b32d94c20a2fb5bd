"""Detection causes of issue 14 round 2: status text marked by habit, child flows pafix does not
see, file-path child inputs, credentials used for their purpose, and plain raw data copied into
an author-marked output. Each case is a real construct (see the fixtures' comments)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pafix.analysis.names import DEFAULT_POLICY
from pafix.config import DEFAULT
from pafix.core import check_source
from pafix.findings import Finding

EVERY = replace(DEFAULT, min_confidence="low")
HEADER = "@@ConnectionString: ''\n@@Type: 'Local'\n"


def findings(text: str) -> list[Finding]:
    return list(check_source(HEADER + text, "t.robin", EVERY).findings)


@pytest.mark.parametrize("name, status", [
    ("Output_Message", True), ("ErrorMessage", True), ("Log_Message", True), ("Output_Status", True),
    ("WorkItem_Message", True), ("Input_EmailMessage", False), ("MailBody", False),
    ("Input_EmailRecipient", False), ("Input_EmailSubject", False), ("Config_Object", False),
])
def test_status_text_names(name: str, status: bool) -> None:
    assert DEFAULT_POLICY.is_status_text(name) is status


def test_status_text_marked_sensitive_is_low_data() -> None:
    (f,) = [f for f in findings(
        "@SENSITIVE: [ErrorMessage]\nSET Log_Message TO $'''FATAL;;;%ErrorMessage%'''\n") if f.rule == "PAF101"]
    assert (f.kind, f.confidence) == ("data", "low")


def test_mail_message_marked_sensitive_stays_a_finding() -> None:
    (f,) = [f for f in findings(
        "@SENSITIVE: [Input_EmailMessage]\nSET HTMLEmailBody TO $'''<p>%Input_EmailMessage%</p>'''\n")
        if f.rule == "PAF101"]
    assert f.kind == "data" and f.confidence in ("high", "medium")


def test_credential_into_a_child_flow_pafix_does_not_see_is_low() -> None:
    text = ("@SENSITIVE: [DbPassword]\n"
            "External.RunFlow FlowId: 'b1b933bf-5746-4c79-9b99-12da65958023' @Input_Password: DbPassword\n")
    (f,) = [f for f in findings(text) if f.rule == "PAF102"]
    assert f.confidence == "low"
    # the same password into a message box is no guess
    shown = findings("@SENSITIVE: [DbPassword]\nDisplay.ShowMessageDialog.ShowMessage Message: DbPassword\n")
    assert [f.confidence for f in shown if f.rule == "PAF102"] == ["high"]
