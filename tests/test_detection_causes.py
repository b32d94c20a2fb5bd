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


# ---- child inputs used only as file paths ------------------------------------------------------

#: ../shared/corpus/solutions/PADFramework_1_1_12501_241.zip, flow ExcelCloser (lines 8, 24-35)
EXCEL_CLOSER = """@SENSITIVE: [Output_Message]
@INPUT Input_FilePath : { 'Description': '', 'FriendlyName': 'Input_FilePath', 'Type': 'String', 'IsOptional': True }
IF IsNotEmpty(Input_FilePath) THEN
    Excel.Attach DocumentName: Input_FilePath Instance=> ExcelToClose
    Excel.CloseExcel.Close Instance: ExcelToClose
    SET Output_Message TO $'''Successfully closed Excel instance for document %Input_FilePath%'''
END
"""


def _path_inputs(text: str, inputs: list[str]) -> frozenset[str]:
    from pafix.analysis.uses import path_only_inputs
    from pafix.core import catalogue_for
    from pafix.syntax.parser import parse

    return path_only_inputs(parse(HEADER + text), catalogue_for(DEFAULT), DEFAULT_POLICY, inputs)


def test_an_input_used_only_as_a_workbook_path_is_a_path() -> None:
    assert _path_inputs(EXCEL_CLOSER, ["Input_FilePath"]) == {"Input_FilePath"}


@pytest.mark.parametrize("extra", [
    # ../shared/corpus/solutions/.../ConfigReaderLocalConnectors line 97: the same kind of
    # address used as a connection string is no path
    "Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Input_FilePath Statement: $'''SELECT 1''' Timeout: 30 Result=> T\n",
    "SET Copy TO Input_FilePath\n",  # copied: pafix does not follow the copy here
    "Display.ShowMessageDialog.ShowMessage Message: $'''%Input_FilePath%'''\n",
])
def test_an_input_used_otherwise_is_not_a_path(extra: str) -> None:
    assert _path_inputs(EXCEL_CLOSER + extra, ["Input_FilePath"]) == frozenset()


def test_an_input_never_used_is_not_a_path() -> None:
    assert _path_inputs("@INPUT In : { 'Type': 'String' }\n", ["In"]) == frozenset()


def test_path_params_in_the_catalogue() -> None:
    from pafix.core import catalogue_for

    cat = catalogue_for(DEFAULT)
    assert cat.lookup("Excel.Attach").is_path_param("DocumentName")
    assert cat.lookup("Excel.CloseExcel.CloseAndSave").is_path_param("DocumentPath")  # an intended file sink
    assert not cat.lookup("File.WriteText").is_path_param("TextToWrite")  # a file sink, not a path


# ---- the reverse direction --------------------------------------------------------------------

def _reverse(text: str) -> list[tuple[int, str | None]]:
    return [(f.line - HEADER.count("\n"), f.variable) for f in findings(text)
            if f.rule == "PAF101" and "becomes" in f.message]


def test_raw_read_converted_into_a_sensitive_output() -> None:
    # ../shared/corpus/solutions/PADFramework_1_1_12501_241.zip, ConfigReaderLocalConnectors 59-61
    text = ("@SENSITIVE: [Output_ConfigObject]\n"
            "File.ReadTextFromFile.ReadText File: Path Encoding: File.TextFileEncoding.UTF8 Content=> ConfigData\n"
            "Variables.ConvertJsonToCustomObject Json: ConfigData CustomObject=> Output_ConfigObject\n")
    assert _reverse(text) == [(2, "ConfigData")]
    (f,) = [f for f in findings(text) if f.rule == "PAF101"]
    assert (f.kind, f.confidence) == ("data", "medium")


def test_rows_of_a_table_copied_field_by_field() -> None:
    # ../shared/corpus/solutions/PADFramework_1_1_12501_241.zip, ConfigReaderLocalConnectors 70, 111-118
    text = ("@SENSITIVE: [Output_ConfigObject]\n"
            "Excel.ReadFromExcel.ReadAllCells Instance: ExcelInstance ReadAsText: False FirstLineIsHeader: True RangeValue=> Table_ConfigData\n"
            "SET Output_ConfigObject TO {{ }}\n"
            "LOOP FOREACH CurrentItem IN Table_ConfigData\n"
            "    SET Output_ConfigObject[CurrentItem['Property Name']] TO CurrentItem['Value']\n"
            "END\n")
    assert _reverse(text) == [(2, "Table_ConfigData")]


@pytest.mark.parametrize("use", [
    "SET Output_Data TO $'''Rows: %Table.RowsCount%'''",  # a count in a text
    "SET Output_Data TO Table.RowsCount",  # a count
    "IF Table.IsEmpty = True THEN\n    SET Output_Data TO 1\nEND",  # a test
    "SET Output_Message TO Table[0]['Message']",  # a status text, marked by habit
    "SET Output_Data TO $'''Item %Table[0]['Id']%'''",  # interpolated, not the whole value
])
def test_a_count_a_flag_or_a_status_is_not_content(use: str) -> None:
    text = ("@SENSITIVE: [Output_Data, Output_Message]\n"
            "Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Conn Statement: $'''SELECT 1''' Timeout: 30 Result=> Table\n"
            + use + "\n")
    assert _reverse(text) == []


def test_reported_at_the_read_before_the_copy_in_the_same_subflow() -> None:
    # ../shared/corpus/solutions/PADFramework_1_1_12501_241.zip, WorkItemHandler: Table_SPResult is
    # written in CompleteWorkItem (221) and GetWorkItem (244); only the latter becomes the output
    text = ("@SENSITIVE: [Output_WorkItemData]\n"
            "FUNCTION Complete GLOBAL\n"
            "Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Conn Statement: $'''EXEC a''' Timeout: 30 Result=> Table_SPResult\n"
            "END FUNCTION\n"
            "FUNCTION GetItem GLOBAL\n"
            "Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Conn Statement: $'''EXEC b''' Timeout: 30 Result=> Table_SPResult\n"
            "    Variables.ConvertJsonToCustomObject Json: Table_SPResult[0]['DataContent'] CustomObject=> Output_WorkItemData\n"
            "END FUNCTION\n")
    assert _reverse(text) == [(6, "Table_SPResult")]


# ---- a credential used for its purpose --------------------------------------------------------

def _web(url: str, headers: str, body: str = "{}") -> list[tuple[str, str]]:
    text = ("@SENSITIVE: [ApiKey, ApiPassword]\n"
            f"Web.InvokeWebService.InvokeWebService Url: {url} Method: Web.Method.Post Accept: $'''application/json''' "
            f"ContentType: $'''application/json''' CustomHeaders: $'''{headers}''' RequestBody: $'''{body}''' "
            "Response=> WebServiceResponse\n")
    return [(f.message.split(" reaches ")[1].split(" of ")[0], f.confidence) for f in findings(text) if f.rule == "PAF102"]


HTTPS = "$'''https://api.openai.com/v1/completions'''"


def test_bearer_token_in_the_authorization_header_over_https_is_its_use() -> None:
    assert _web(HTTPS, "Authorization: Bearer %ApiKey%") == []
    assert _web(HTTPS, "x-api-key: %ApiKey%") == []


@pytest.mark.parametrize("url", ["$'''http://api.openai.com/v1/completions'''", "ApiUrl", "$'''%BaseUrl%/v1'''"])
def test_over_http_or_an_unknown_scheme_it_is_a_finding(url: str) -> None:
    assert _web(url, "Authorization: Bearer %ApiKey%") == [("CustomHeaders", "high")]


def test_a_token_in_another_header_line_is_a_finding() -> None:
    assert _web(HTTPS, "Authorization: Bearer %ApiKey%\nX-Debug: %ApiKey%") == [("CustomHeaders", "high")]


def test_password_in_a_login_body_over_https_is_its_use() -> None:
    assert _web(HTTPS, "Accept: json", '{\\"username\\": \\"me\\", \\"password\\": \\"%ApiPassword%\\"}') == []
    assert _web(HTTPS, "Accept: json", "grant_type=password&password=%ApiPassword%") == []
    # the same password in a body field that is not a login field is sent for no purpose
    assert _web(HTTPS, "Accept: json", '{\\"note\\": \\"%ApiPassword%\\"}') == [("RequestBody", "high")]


def test_template_conditions_match_every_hole_line() -> None:
    from pafix.analysis.catalogue.spec import Condition

    cond = Condition(((("Url%", ("https://*",)), ("H%", ("authorization:*%%*",))),))
    assert cond.holds({"Url%": "https://x/%%", "H%": "Accept: json\nAuthorization: Bearer %%"})
    assert not cond.holds({"Url%": "https://x", "H%": "Authorization: Bearer %%\nX-Debug: %%"})
    assert not cond.holds({"H%": "Authorization: Bearer %%"})  # no URL text: the scheme is unknown
    # "*" and "@*" keys see whole literals only, never the templates
    assert not Condition(((("*", ("*%%*",)),),)).holds({"H%": "Authorization: %%"})
