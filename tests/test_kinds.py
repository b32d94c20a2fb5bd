"""Kinds of sensitive value (credential / sensitive data) and the confidence of findings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pafix.analysis.kinds import (
    connection_string_kind, connection_texts, is_connection_string, labels_confidence, labels_kind,
    marked_origin,
)
from pafix.analysis.model import build_model
from pafix.analysis.names import DEFAULT_POLICY
from pafix.analysis.taint import Label, Origin
from pafix.config import DEFAULT
from pafix.core import check_source
from pafix.findings import Finding, confidence_at_least
from pafix.fixes.audit import append_audit_record
from pafix.solutions.io_edits import allowed_io, audit_entries, describe, render, summary
from pafix.syntax import nodes as n
from pafix.syntax.parser import parse

EVERY = replace(DEFAULT, min_confidence="low")
HEADER = "@@ConnectionString: ''\n@@Type: 'Local'\n"
SPAN = n.Span(0, 0, 1, 1, 1, 1)


def findings(text: str, config: object = EVERY) -> list[Finding]:
    return list(check_source(text, "t.robin", config).findings)  # type: ignore[arg-type]


# ---- classification -------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("Provider=SQLOLEDB.1;Integrated Security=SSPI;Initial Catalog=Reports;Data Source=db01", None),
    ("Provider=Microsoft.ACE.OLEDB.12.0;Data Source=C:\\x.xlsx;Extended Properties=\"Excel 12.0\"", None),
    ("Server=db01;Database=Reports;User Id=report;Password=%Pw%;", "credential"),
    ("Data Source=db;Pwd=abc", "credential"),
    ("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==", "credential"),
    ("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b", "credential"),
    ("grant_type=client_credentials&client_secret=abc", "credential"),
])
def test_connection_string_kind(text: str, kind: str | None) -> None:
    assert connection_string_kind(text) == kind


def test_what_reads_as_a_connection_string() -> None:
    assert is_connection_string("Provider=SQLOLEDB.1;Data Source=db01")
    assert not is_connection_string("hunter2")
    assert not is_connection_string("C:\\Temp\\file.txt")


@pytest.mark.parametrize("name, use, expected", [
    ("SmtpPassword", None, ("credential", "high")),  # credential-shaped name
    ("Input_EmailRecipient", None, ("data", "high")),  # author-marked, not credential-shaped
    ("Input_ConfigAddress", "medium", ("credential", "medium")),  # used as a connection string
    ("Input_Secret", "high", ("credential", "high")),
    # status / result / error text the author marked by habit: weak evidence
    ("Output_Message", None, ("data", "low")),
    ("Output_ErrorMessageList", None, ("data", "low")),
    ("WorkItem_Message", None, ("data", "low")),
    ("Output_Result", None, ("data", "low")),
    # the content of a mail is real data, whatever its name says besides
    ("Input_EmailMessage", None, ("data", "high")),
    ("HTML_EmailMessage", None, ("data", "high")),
    ("Input_EmailSubject", None, ("data", "high")),
])
def test_marked_origin(name: str, use: str | None, expected: tuple[str, str]) -> None:
    assert marked_origin(name, DEFAULT_POLICY, use) == expected  # type: ignore[arg-type]


def test_connection_texts_sorts_variables_by_their_literals() -> None:
    flow = parse(HEADER + (
        "SET Sspi TO $'''Provider=SQLOLEDB.1;Integrated Security=SSPI;Data Source=db'''\n"
        "SET WithPw TO $'''Server=db;User Id=u;Password=%Pw%'''\n"
        "SET Mixed TO $'''Provider=SQLOLEDB.1;Data Source=db'''\n"
        "File.ReadTextFromFile.ReadText File: $'''c:\\\\a.txt''' Encoding: File.TextFileEncoding.UTF8 Content=> Mixed\n"
        "SET Password TO $'''hunter2'''\n"
    ))
    texts = connection_texts(build_model(flow))
    assert texts.plain == {"Sspi"}  # Mixed is also read from a file; Password is no connection string
    assert texts.with_credential == {"WithPw"}


def _label(value: str, confidence: str, **kw: bool) -> Label:
    origin = Origin(f"k:{value}{confidence}", "sensitive", "X (sensitive variable)", SPAN, "Main", "X",
                    value, confidence)  # type: ignore[arg-type]
    return Label(origin, (), kw.get("via_error", False), kw.get("via_unknown", False))


def test_labels_kind_and_confidence() -> None:
    data_high, cred_medium = _label("data", "high"), _label("credential", "medium")
    assert labels_kind([data_high]) == "data"
    assert labels_kind([data_high, cred_medium]) == "credential"
    # the finding's kind decides which paths count: a credential finding is as sure as its
    # surest credential path, not as the sensitive data next to it
    assert labels_confidence([data_high, cred_medium]) == "medium"
    assert labels_confidence([_label("credential", "high", via_error=True)]) == "low"
    assert labels_confidence([_label("credential", "high", via_unknown=True)]) == "low"
    assert labels_confidence([_label("credential", "high")], snippet=True) == "low"


def test_confidence_order() -> None:
    assert confidence_at_least("high", "medium") and confidence_at_least("medium", "medium")
    assert not confidence_at_least("low", "medium") and confidence_at_least("low", "low")


# ---- findings -------------------------------------------------------------------------------

def test_sspi_connection_string_is_not_a_secret() -> None:
    text = HEADER + (
        "SET ConnString TO $'''Provider=SQLOLEDB.1;Integrated Security=SSPI;Initial Catalog=R;Data Source=db01'''\n"
        "Database.Connect ConnectionString: ConnString Connection=> SQLConnection\n"
    )
    assert findings(text) == []


def test_credential_connection_string_is_high_confidence() -> None:
    text = HEADER + (
        "SET DbConnection TO $'''Data Source=db01;User Id=report;Password=%DbPassword%'''\n"
        "Database.Connect ConnectionString: DbConnection Connection=> SQLConnection\n"
    )
    [paf105] = [f for f in findings(text) if f.rule == "PAF105"]
    assert (paf105.kind, paf105.confidence) == ("credential", "high")


def test_sensitive_data_gets_data_words_and_no_get_credential_advice() -> None:
    text = HEADER + (
        "@SENSITIVE: [Input_EmailRecipient]\n"
        "@INPUT Input_EmailRecipient : { 'Description': '', 'FriendlyName': 'R', 'Type': 'String', 'IsOptional': False, 'DefaultValue': '' }\n"
        "SET Copy TO Input_EmailRecipient\n"
        "Outlook.SendEmailThroughOutlook.SendEmail Instance: O Account: $'''a@b.c''' SendTo: Input_EmailRecipient Subject: $'''s''' Body: $'''b''' IsBodyHtml: True IsDraft: False\n"
    )
    found = findings(text)
    assert [f.rule for f in found] == ["PAF101"]  # no PAF103, no PAF102 at the mail's intended use
    (f,) = found
    assert "sensitive data" in f.message and "secret" not in f.message
    assert (f.kind, f.confidence) == ("data", "medium")


def test_unknown_action_path_is_low() -> None:
    text = HEADER + "@SENSITIVE: [ApiKey]\nContoso.Unknown.Thing In: ApiKey Out=> Copy\n"
    [f] = [f for f in findings(text) if f.rule == "PAF101"]
    assert f.confidence == "low"
    assert not [f for f in findings(text, DEFAULT) if f.rule == "PAF101"]


def test_a_per_action_annotation_does_not_make_a_flow() -> None:
    snippet = "@@copilotGeneratedAction: 'False'\nDisplay.InputDialog Title: $'''L''' Message: $'''pw''' InputType: Display.InputType.Password IsTopMost: True UserInput=> Pw ButtonPressed=> B\n"
    assert {f.confidence for f in findings(snippet)} == {"low"}
    assert {f.confidence for f in findings(HEADER + snippet)} == {"high"}


# ---- solution Inputs/Outputs ---------------------------------------------------------------

IO = {"schema": {"type": "object", "properties": {
    "Input_ApiKey": {"type": "string", "format": None, "value": "sample-key-0000", "default": ""},
    "Input_List": {"type": "array", "format": None, "value": "[\r\n]\r\n"},
}}}


def test_allowed_io_keeps_sensitive_data_out_of_the_json() -> None:
    allowed, held = allowed_io({"Input_ApiKey", "Input_Message", "Input_Marked"},
                               frozenset({"Input_ApiKey"}), frozenset({"Input_Marked"}))
    assert allowed == {"Input_ApiKey", "Input_Marked"} and held == {"Input_Message"}


def test_io_edits_say_what_they_drop_without_the_value(tmp_path: Path) -> None:
    edits = describe(IO, None, frozenset({"Input_ApiKey", "Input_List"}), frozenset())
    by_name = {e.name: e for e in edits}
    assert by_name["Input_ApiKey"].drops_default and by_name["Input_ApiKey"].old_default == "<redacted>"
    assert not by_name["Input_List"].drops_default  # an empty list is no loss
    before, after = render(edits)
    assert "sample-key" not in before + after and '"format": "password"' in after
    assert "default dropped" in after
    notes = summary(edits)
    assert any("default value dropped" in x and "Inputs.Input_ApiKey" in x for x in notes)
    log = tmp_path / "audit.jsonl"
    append_audit_record(log, path="s.zip", before=b"a", after=b"b", fixes=[("PAF105", "Input_ApiKey")],
                        io=audit_entries(edits))
    record = json.loads(log.read_text(encoding="utf-8"))
    assert "sample-key" not in log.read_text(encoding="utf-8")
    assert {e["name"] for e in record["io"]} == {"Input_ApiKey", "Input_List"}


def test_audit_refuses_a_default_that_is_not_redacted(tmp_path: Path) -> None:
    entry = {"section": "Inputs", "name": "Input_ApiKey", "change": "format password", "format_before": None,
             "default_dropped": True, "default_before": '"sample-key-0000"'}
    with pytest.raises(ValueError):
        append_audit_record(tmp_path / "a.jsonl", path="s", before=b"", after=b"", fixes=[], io=[entry])
    assert not (tmp_path / "a.jsonl").exists()
