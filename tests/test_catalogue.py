"""The action catalogue: schema validation, lookup precedence, conditions, user entries and
coverage of every action used in the corpus."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from pafix.analysis.catalogue import (
    SINK_KINDS,
    ActionSpec,
    Catalogue,
    CatalogueError,
    default_catalogue,
    load_catalogue,
)
from pafix.analysis.catalogue.spec import _match_rank

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS_ACTIONS = Path(__file__).resolve().parent / "data" / "corpus_actions.txt"

PASSWORD_CONTROL = "appmask['Lab08 Login']['Txt_Password']"
USERNAME_CONTROL = "appmask['Lab08 Login']['Txt_Username']"
KEYVAULT = "/providers/Microsoft.PowerApps/apis/shared_keyvault"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return default_catalogue()


def shipped_toml() -> dict[str, object]:
    text = (resources.files("pafix.analysis") / "catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


# --------------------------------------------------------------------------- corpus extraction

_NAME = r"[A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*){1,3}"
#: an action statement: the line starts with the dotted name (after an optional DISABLE)
_STATEMENT = re.compile(r"^[ \t]*(?:DISABLE[ \t]+)?(" + _NAME + r")(?=[ \t]|$)", re.M)
#: an action used as a condition: IF (...) / WAIT (...) / LOOP WHILE (...); the name must be
#: followed by a parameter or an output, which rules out `IF (Browser.Handle) <> -1`
_CONDITION = re.compile(
    r"^[ \t]*(?:DISABLE[ \t]+)?(?:(?:ELSE[ \t]+)?IF|WAIT|LOOP[ \t]+WHILE)[ \t]*\([ \t]*("
    + _NAME
    + r")(?=[ \t]+@?(?:\w+|'')(?::|=>))",
    re.M,
)
_TRAILER = re.compile(r"^[ \t]*# \[(?:ControlRepository|ImageRepository)\]", re.M)


def _strip_literals(text: str) -> str:
    """Blank out comments and string literals so that their contents (multi-line scripts,
    `/# ... #/` comments) cannot look like statements. Newlines outside literals are kept."""
    out: list[str] = []
    i, n, line_start = 0, len(text), True
    while i < n:
        if line_start:
            j = i
            while j < n and text[j] in " \t":
                j += 1
            if text.startswith("/#", j):
                end = text.find("#/", j + 2)
                i, line_start = (n if end < 0 else end + 2), False
                continue
            if text.startswith("#", j):
                end = text.find("\n", j)
                i, line_start = (n if end < 0 else end), False
                continue
            line_start = False
        c = text[i]
        if c == "\n":
            out.append(c)
            i, line_start = i + 1, True
        elif text.startswith("'''", i):
            j = i + 3
            while j < n and not text.startswith("'''", j):
                j += 2 if text[j] == "\\" else 1
            out.append("''")
            i = j + 3
        elif c == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append("''")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def action_names(script: str) -> set[str]:
    """Every action name a Robin script uses (statements and conditions)."""
    trailer = _TRAILER.search(script)
    body = _strip_literals(script[: trailer.start()] if trailer else script)
    return {m.group(1) for rx in (_STATEMENT, _CONDITION) for m in rx.finditer(body)}


def corpus_scripts(shared: Path) -> Iterator[tuple[str, str]]:
    """(label, script) for every .robin file and every desktop-flow Definition in the zips."""
    for path in sorted((shared / "corpus" / "real").glob("*.robin")):
        yield path.name, path.read_text(encoding="utf-8", errors="replace")
    for archive in sorted((shared / "corpus" / "solutions").glob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            root = ET.fromstring(zf.read("customizations.xml"))
        for number, definition in enumerate(root.iter("Definition")):
            if definition.text and definition.text.startswith('"'):
                yield f"{archive.name}#{number}", json.loads(definition.text)


def corpus_action_names(shared: Path) -> dict[str, int]:
    """Action name -> number of scripts using it."""
    counts: dict[str, int] = {}
    for _, script in corpus_scripts(shared):
        for name in action_names(script):
            counts[name] = counts.get(name, 0) + 1
    return counts


def test_extraction_ignores_literals_comments_and_expressions() -> None:
    script = "\n".join(
        [
            "Text.ToNumber Text: $'''4''' Number=> N",
            "DISABLE File.Delete Files: F",
            "Scripting.RunDotNetScript Imports: $'''System.Security",
            "System.Text''' Language: System.DotNetActionLanguageType.CSharp",
            "/# Comment.Line mentions",
            "Fake.Action here #/",
            "# Comment.Action x",
            "IF (Folder.IfFolderExists.DoesNotExist Path: P) THEN",
            "IF (BrowserMain.Handle <> -1 AND BrowserMain.IsAlive = True) = True THEN",
            "IF (BrowserToClose.Handle) <> (-1) THEN",
            "LOOP WHILE (WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem WorkQueue: Q WorkQueueItem=> I)",
            "    WAIT (File.WaitForFile.Created File: F) FOR 10",
            "SET x TO Display.Icon.None",
            "# [ControlRepository][PowerAutomateDesktop]",
            "Trailer.Garbage x",
        ]
    )
    assert action_names(script) == {
        "Text.ToNumber",
        "File.Delete",
        "Scripting.RunDotNetScript",
        "Folder.IfFolderExists.DoesNotExist",
        "WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem",
        "File.WaitForFile.Created",
    }


# --------------------------------------------------------------------------- the shipped file


def test_shipped_catalogue_loads_and_validates(cat: Catalogue) -> None:
    assert len(cat.entries) > 150
    assert all(spec.known for spec in cat.entries)
    assert not cat.default.known


def test_shipped_toml_is_well_typed() -> None:
    data = shipped_toml()
    entries = data["action"]
    assert isinstance(entries, list)
    patterns = [e["pattern"] for e in entries]
    assert len(patterns) == len(set(patterns)), "duplicate patterns"
    for entry in entries:
        label = entry["pattern"]
        assert isinstance(label, str)
        assert entry.get("evidence") in ("corpus", "docs", "unverified"), label
        for param in entry.get("secret_params", []):
            assert isinstance(param, (str, dict)), label
        for key, rules in entry.get("sinks", {}).items():
            for rule in rules if isinstance(rules, list) else [rules]:
                kind = rule if isinstance(rule, str) else rule["kind"]
                assert kind in SINK_KINDS, (label, key, kind)
        for key, sources in entry.get("outputs", {}).items():
            assert sources == "*" or (isinstance(sources, list) and all(isinstance(s, str) for s in sources)), (
                label,
                key,
            )
        for kind in entry.get("action_sinks", []):
            assert kind in SINK_KINDS, label


def test_every_sink_kind_is_valid(cat: Catalogue) -> None:
    for spec in cat.entries:
        for _, rules in spec.sinks:
            assert all(rule.kind in SINK_KINDS for rule in rules), spec.pattern
        assert spec.action_sinks <= SINK_KINDS, spec.pattern


def test_no_ambiguous_patterns(cat: Catalogue) -> None:
    """'A.B' and 'A.B.*' would tie on 'A.B.C'; the shipped file must not rely on order."""
    patterns = set(cat.patterns)
    for pattern in patterns:
        if pattern.endswith(".*"):
            assert pattern[:-2] not in patterns, pattern


def test_defaults_are_conservative(cat: Catalogue) -> None:
    unknown = cat.lookup("Contoso.DoSomething.Variant")
    assert unknown is cat.default
    assert unknown.known is False
    assert not cat.is_known("Contoso.DoSomething")
    # taint propagates through unknown actions ...
    assert unknown.output_sources("Result", False) == "*"
    assert unknown.output_sources("Anything", True) == "*"
    # ... but they are not sinks and produce no secrets
    assert unknown.sink_kind("Text", False, {}) is None
    assert unknown.sink_kind("x", True, {}) is None
    assert not unknown.is_secret_output("Result", False, {})
    assert not unknown.secret_params
    assert unknown.action_sinks == frozenset()


def test_credential_table(cat: Catalogue) -> None:
    assert "{credential}" in cat.credential_template and "{variable}" in cat.credential_template
    assert cat.credential_template.startswith("PowerAutomateSecretVariables.")
    assert cat.credential_properties == ("Username", "Password")
    assert cat.credential_secret_properties == ("Password",)
    assert cat.credential_verified is False
    line = cat.render_credential("SAP 'prod'", "Cred_SAP")
    assert "'SAP \\'prod\\''" in line and line.endswith("Credential=> Cred_SAP")
    # the template's own action is known and produces secrets
    action = line.split(" ", 1)[0]
    assert cat.lookup(action).is_secret_output("Credential", False, {})


# --------------------------------------------------------------------------- lookup precedence


def test_lookup_precedence() -> None:
    cat = load_catalogue(
        extra=[
            {"pattern": "Contoso.*", "note": "module"},
            {"pattern": "Contoso.Act", "note": "action"},
            {"pattern": "Contoso.Act.Special", "note": "exact"},
            {"pattern": "Contoso.Ac*", "note": "text prefix"},
        ]
    )
    assert cat.lookup("Contoso.Act.Special").note == "exact"
    assert cat.lookup("Contoso.Act.Other").note == "action"  # "Contoso.Act." beats "Contoso.Ac"
    assert cat.lookup("Contoso.Act").note == "action"  # exact
    assert cat.lookup("Contoso.Acme").note == "text prefix"
    assert cat.lookup("Contoso.Other").note == "module"
    assert not cat.is_known("Contosox.Act")  # a prefix match needs the dot
    assert not cat.is_known("Contoso")


def test_shipped_precedence(cat: Catalogue) -> None:
    assert cat.lookup("Display.ShowMessageDialog.ShowMessage").pattern == "Display.ShowMessageDialog"
    assert cat.lookup("Display.SelectFileDialog.SelectFile").pattern == "Display.*"
    assert cat.lookup("Text.ToNumber").pattern == "Text.ToNumber"
    assert cat.lookup("Text.Pad").pattern == "Text.*"
    assert cat.lookup("Cryptography.HashTextWithKey").pattern == "Cryptography.HashTextWithKey"
    assert cat.lookup("Cryptography.HashText").pattern == "Cryptography.HashText"
    assert cat.lookup("PowerAutomateSecretVariables.GetCredential").known


def test_tie_between_equal_prefixes_goes_to_the_later_entry() -> None:
    cat = load_catalogue(extra=[{"pattern": "Contoso.Act", "note": "a"}, {"pattern": "Contoso.Act.*", "note": "b"}])
    assert cat.lookup("Contoso.Act.X").note == "b"
    assert cat.lookup("Contoso.Act").note == "a"


def test_lookup_tries_only_the_module_s_entries_and_the_wildcard_ones() -> None:
    """``lookup`` ranks only the entries of the name's module and those with a ``*`` in their
    first segment (``Cont*``); it answers as ranking every entry does, for every action of the corpus'
    list and names made to sit on the edges (no module, an empty one, a module's own name)."""
    cat = load_catalogue(extra=[{"pattern": "Cont*", "note": "any module"}, {"pattern": "C*", "note": "any C module"},
                                {"pattern": "Contoso", "note": "bare"}])
    names = {"Contoso", "Contoso.Act", "Contosox.Act", "Cont", "Cx.Act", "", ".", ".Act", "X", "Display.*", "Web"}
    names |= {line.strip() for line in CORPUS_ACTIONS.read_text(encoding="utf-8").splitlines() if line.strip()}
    for name in names:
        ranked = [((*rank, i), spec) for i, spec in enumerate(cat.entries)
                  if (rank := _match_rank(spec.pattern, name)) is not None]
        assert cat.lookup(name) is (max(ranked, key=lambda pair: pair[0])[1] if ranked else cat.default), name
    assert cat.lookup("Contosox.Act").note == "any module" and cat.lookup("Cx.Act").note == "any C module"


def test_a_lookup_made_while_the_module_index_is_being_made_answers_right() -> None:
    """Another thread may look a name up between two writes of the first lookup into the
    per-module index (``_by_module``): it must see all of it or none of it, not the entries
    of the modules met so far (a wrong answer, then kept in the cache) or no ``*`` list."""
    cat = load_catalogue(extra=[{"pattern": "Cont*", "note": "any module"}])
    inner: list[str | None] = []

    class Interleaved(dict[str, Any]):
        def _other_thread(self) -> None:
            if not inner:
                inner.append(None)
                try:
                    inner[0] = Catalogue.lookup(fresh, "Contosox.Act").note
                except KeyError as exc:  # the "*" list not there yet
                    inner[0] = f"KeyError {exc}"

        def setdefault(self, key: str, default: Any = None) -> Any:
            found = super().setdefault(key, default)
            self._other_thread()
            return found

        def update(self, *args: Any, **kwargs: Any) -> None:
            super().update(*args, **kwargs)
            self._other_thread()

    fresh = dataclasses.replace(cat)
    object.__setattr__(fresh, "_by_module", Interleaved())
    object.__setattr__(fresh, "_cache", {})
    assert fresh.lookup("Display.ShowMessageDialog.ShowMessage").known
    assert inner == ["any module"]


# --------------------------------------------------------------------------- semantics


def test_input_dialog_password_vs_single_line(cat: Catalogue) -> None:
    spec = cat.lookup("Display.InputDialog")
    password = {"InputType": "Display.InputType.Password", "Title": "Login"}
    single = {"InputType": "Display.InputType.SingleLine"}
    assert spec.is_secret_output("UserInput", False, password)
    assert not spec.is_secret_output("UserInput", False, single)
    assert not spec.is_secret_output("UserInput", False, {})  # non-literal InputType
    assert not spec.is_secret_output("ButtonPressed", False, password)
    assert spec.sink_kind("Message", False, password) == "display"
    assert spec.sink_kind("DefaultValue", False, single) == "display"
    assert spec.sink_kind("DefaultValue", False, password) is None  # masked; and a secret param
    assert spec.is_secret_param("DefaultValue", False, password)
    assert spec.output_sources("UserInput", False) == ("DefaultValue",)


def test_keyvault_get_secret_vs_other_operation(cat: Catalogue) -> None:
    spec = cat.lookup("External.InvokeCloudConnector")
    get_secret = {"Connection": "c", "ConnectorId": KEYVAULT, "OperationId": "GetSecret", "@secretName": "x"}
    metadata = {**get_secret, "OperationId": "GetSecretMetadata"}
    assert spec.is_secret_output("GetSecretResponse", True, get_secret)
    assert not spec.is_secret_output("GetSecretResponse", True, metadata)
    sharepoint = {"ConnectorId": "/providers/Microsoft.PowerApps/apis/shared_sharepointonline", "OperationId": "GetItems"}
    assert not spec.is_secret_output("GetItemsResponse", True, sharepoint)
    assert spec.output_sources("GetItemsResponse", True) == ()
    # Dataverse unbound action returning a secret environment variable
    dataverse = {
        "ConnectorId": "/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps",
        "OperationId": "PerformUnboundActionWithOrganization",
        "@actionName": "RetrieveEnvironmentVariableSecretValue",
    }
    assert spec.is_secret_output("PerformUnboundActionWithOrganizationResponse", True, dataverse)
    plain_keys = {**dataverse, "actionName": dataverse["@actionName"]}
    del plain_keys["@actionName"]
    assert spec.is_secret_output("PerformUnboundActionWithOrganizationResponse", True, plain_keys)
    listing = {**dataverse, "OperationId": "ListRecordsWithOrganization", "@actionName": "accounts"}
    assert not spec.is_secret_output("ListRecordsWithOrganizationResponse", True, listing)
    # arguments are network sinks, or mail for send operations of mail connectors
    assert spec.sink_kind("secretName", True, get_secret) == "network"
    outlook = {"ConnectorId": "/providers/Microsoft.PowerApps/apis/shared_office365", "OperationId": "SendEmailV2"}
    assert spec.sink_kind("emailMessage/Body", True, outlook) == "mail"
    assert spec.sink_kind("@emailMessage/Body", True, outlook) == "mail"
    assert spec.sink_kind("ConnectorId", False, outlook) is None


def test_populate_text_field_unless_password_control(cat: Catalogue) -> None:
    web = cat.lookup("WebAutomation.PopulateTextField.PopulateTextField")
    assert web.sink_kind("Text", False, {"Control": USERNAME_CONTROL}) == "keystrokes"
    assert web.sink_kind("Text", False, {}) == "keystrokes"  # control not literal: still a sink
    for control in (PASSWORD_CONTROL, "appmask['Login']['Txt_Pwd']", "appmask['Anmeldung']['PASSWORT']",
                    "appmask['Acceso']['Contraseña']", "appmask['Connexion']['Mot de passe']"):
        assert web.sink_kind("Text", False, {"Control": control}) is None, control
        assert web.is_secret_param("Text", False, {"Control": control}), control
    assert not web.is_secret_param("Text", False, {"Control": USERNAME_CONTROL})
    ui = cat.lookup("UIAutomation.PopulateTextField.SimulatePopulateTextField")
    assert ui.sink_kind("Text", False, {"TextField": "appmask['App']['Edit \\'Password\\'']"}) is None
    assert ui.sink_kind("Text", False, {"TextField": "appmask['App']['Txt_Account']"}) == "keystrokes"
    keys = cat.lookup("MouseAndKeyboard.SendKeys.FocusAndSendKeys")
    assert keys.sink_kind("TextToSend", False, {}) == "keystrokes"


def test_examples_from_the_brief(cat: Catalogue) -> None:
    def sink(action: str, param: str, dynamic: bool = False) -> str | None:
        return cat.lookup(action).sink_kind(param, dynamic, {})

    assert cat.lookup("Text.ConvertTextToNumber").output_sources("Number", False) == "*"
    assert cat.lookup("Text.ToNumber").output_sources("Number", False) == ("Text",)
    assert cat.lookup("File.ReadTextFromFile.ReadText").output_sources("Content", False) == ()
    assert sink("File.WriteText", "TextToWrite") == "file"
    for param in ("Url", "RequestBody", "CustomHeaders"):
        assert sink("Web.InvokeWebService.InvokeWebService", param) == "network"
    sql = cat.lookup("Database.ExecuteSqlStatement.ConnectAndExecute")
    assert sql.is_secret_param("ConnectionString") and sql.sink_kind("Statement", False, {}) == "network"
    assert sql.sink_kind("ConnectionString", False, {}) is None
    smtp = cat.lookup("Email.SendEmail.AuthenticateAndSend")
    assert "Password" in smtp.secret_params
    assert sink("Email.SendEmail.AuthenticateAndSend", "Subject") == "mail"
    assert sink("Email.SendEmail.AuthenticateAndSend", "Body") == "mail"
    assert sink("Exchange.SendMessage", "Body") == "mail"
    assert sink("Outlook.SendEmailThroughOutlook.SendEmail", "Body") == "mail"
    assert sink("Display.ShowMessageDialog.ShowMessage", "Title") == "display"
    assert sink("Display.ShowMessageDialog.ShowMessageWithTimeout", "Message") == "display"
    assert sink("Scripting.RunPowershellScript.RunPowershellScript", "Script") == "process"
    assert sink("Scripting.RunPythonScript", "PythonCode") == "process"
    assert sink("Scripting.RunDOSCommand.RunDOSCommand", "DOSCommandOrApplication") == "process"
    assert sink("Scripting.RunDotNetScript", "emailId", dynamic=True) == "process"
    assert sink("System.RunApplication.RunApplication", "CommandLineArguments") == "process"
    assert sink("FlowControl.ThrowCustomError", "CustomErrorMessage") == "log"
    assert sink("External.RunFlow", "Input_Password", dynamic=True) == "childflow"
    assert sink("External.RunFlow", "FlowId") is None
    assert sink("Clipboard.SetText", "Text") == "clipboard"
    assert sink("Logging.LogMessage", "Message") == "log"
    assert sink("WorkQueues.EnqueueWorkQueueItem.WithoutUniqueId", "Value") == "network"
    assert sink("WorkQueues.UpdateWorkQueueItem.UpdateWithProcessingNotes", "ProcessingResult") == "network"
    assert sink("WorkQueues.UpdateProcessingNotes.WithProcessingNotes", "ProcessingNotes") == "network"
    assert sink("Excel.WriteToExcel.WriteCell", "Value") == "file"
    assert sink("File.WriteToCSVFile.WriteCSV", "VariableToWrite") == "file"
    assert "screenshot" in cat.lookup("Workstation.TakeScreenshot.TakeScreenshotAndSaveToFile").action_sinks
    assert "screenshot" in cat.lookup("WebAutomation.TakeScreenshot.TakeScreenshotSaveToFile").action_sinks
    assert sink("Text.Replace", "Text") is None
    assert sink("Variables.AddItemToList", "Item") is None


def test_secret_producing_and_consuming_actions(cat: Catalogue) -> None:
    enc = cat.lookup("Cryptography.EncryptText.EncryptTextWithAES")
    assert enc.is_secret_param("EncryptionKey")
    assert enc.output_sources("EncryptedText", False) == ()
    assert not enc.is_secret_output("EncryptedText", False, {})
    dec = cat.lookup("Cryptography.DecryptText.DecryptTextWithAES")
    assert dec.is_secret_output("DecryptedText", False, {})
    assert cat.lookup("Cryptography.DecryptFromFile.DecryptFromFileWithAES").is_secret_output("DecryptedText", False, {})
    ark = cat.lookup("CyberArk.GetPassword.GetPasswordWithFileCertificate")
    assert ark.is_secret_output("CyberArkPassword", False, {})
    assert ark.is_secret_param("CertificatePassword")
    cred = cat.lookup("PowerAutomateSecretVariables.GetCredential")
    assert cred.is_secret_output("Credential", False, {}) and cred.output_sources("Credential", False) == ()
    assert not cat.lookup("WorkQueues.ProcessWorkQueueItem.ProcessWorkQueueItem").is_secret_output(
        "WorkQueueItem", False, {}
    )
    assert cat.lookup("Database.Connect").is_secret_param("ConnectionString")
    assert cat.lookup("Exchange.ConnectToExchangeServer.ConnectWithCredentials").is_secret_param("Password")


def test_web_service_literal_credentials(cat: Catalogue) -> None:
    spec = cat.lookup("Web.InvokeWebService.InvokeWebService")
    assert spec.is_secret_param("CustomHeaders", False, {"CustomHeaders": "Authorization: Bearer abc"})
    assert not spec.is_secret_param("CustomHeaders", False, {"CustomHeaders": "Authorization: "})  # [KS], key removed
    assert not spec.is_secret_param("CustomHeaders", False, {"CustomHeaders": "Accept: application/json"})
    assert spec.is_secret_param("Url", False, {"Url": "https://fn.azurewebsites.net/api/x?code=abc"})
    assert not spec.is_secret_param("Url", False, {"Url": "https://api.openai.com/v1/completions"})
    token = {"Url": "https://login.microsoftonline.com/t/oauth2/v2.0/token"}
    assert spec.is_secret_output("Response", False, token)
    assert not spec.is_secret_output("Response", False, {"Url": "https://example.com/api/items"})


def test_in_place_updates_and_output_derivation(cat: Catalogue) -> None:
    add = cat.lookup("Variables.AddItemToList")
    assert add.update_sources("List") == ("Item",)
    assert add.updated_params == ("List",)
    assert add.update_sources("Item") is None
    assert cat.lookup("Variables.ConvertJsonToCustomObject").output_sources("CustomObject", False) == ("Json",)
    assert cat.lookup("Variables.CreateNewList").output_sources("List", False) == ()
    assert cat.lookup("Text.Random").output_sources("GeneratedText", False) == ()
    assert cat.lookup("Scripting.RunDotNetScript").output_sources("hashResult", True) == "*"
    # an output an entry does not list falls back to the conservative default
    assert cat.lookup("Text.ToNumber").output_sources("Unlisted", False) == "*"


# --------------------------------------------------------------------------- user entries


def test_extra_entries_override_and_add() -> None:
    cat = load_catalogue(
        extra=[
            {"pattern": "Text.ToNumber", "outputs": {"Number": []}, "note": "mine"},
            {"pattern": "Contoso.Vault.Get", "secret_outputs": ["Secret"], "outputs": {"Secret": []}},
            {"pattern": "Contoso.Send", "sinks": {"Body": "network", "@*": [{"kind": "mail"}]}},
        ],
        credential_template="Custom.GetCred Name: '{credential}' Cred=> {variable}",
    )
    assert cat.lookup("Text.ToNumber").note == "mine"
    assert cat.lookup("Text.ToNumber").output_sources("Number", False) == ()
    assert cat.patterns.count("Text.ToNumber") == 1
    assert cat.lookup("Contoso.Vault.Get").is_secret_output("Secret", False, {})
    assert cat.lookup("Contoso.Send.Now").sink_kind("x", True, {}) == "mail"
    assert cat.credential_template.startswith("Custom.GetCred")
    assert default_catalogue().lookup("Text.ToNumber").note != "mine"  # the cached default is untouched


def test_extra_entries_can_use_shipped_glob_sets() -> None:
    cat = load_catalogue(
        extra=[{"pattern": "Contoso.Type", "sinks": {"Text": [{"kind": "keystrokes", "unless": {"Field": "$password_fields"}}]}}]
    )
    spec = cat.lookup("Contoso.Type")
    assert spec.sink_kind("Text", False, {"Field": "Kennwort"}) is None
    assert spec.sink_kind("Text", False, {"Field": "Name"}) == "keystrokes"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"pattern": "Contoso.Bad", "sinks": {"Text": "screen"}}, "sinks.Text"),
        ({"pattern": "Contoso.Bad", "sinks": {"Text": {"kind": "file", "if": {}}}}, "sinks.Text"),
        ({"pattern": "Contoso.Bad", "outputs": {"Result": "Text"}}, "outputs.Result"),
        ({"pattern": "Contoso.Bad", "outputs": {"Result": ["*"]}}, "outputs.Result"),
        ({"pattern": "Contoso.Bad", "secret_params": "Password"}, "secret_params"),
        ({"pattern": "Contoso.Bad", "secret_params": [{"param": "Text"}]}, "secret_params"),
        ({"pattern": "Contoso.Bad", "secret_outputs": {"X": {"when": {}}}}, "secret_outputs.X.when"),
        ({"pattern": "Contoso.Bad", "secret_outputs": {"X": {"when": {"A": "$nope"}}}}, "secret_outputs.X.when.A"),
        ({"pattern": "Contoso.Bad", "action_sinks": ["speaker"]}, "action_sinks"),
        ({"pattern": "Contoso.Bad", "evidence": "hearsay"}, "evidence"),
        ({"pattern": "Contoso.Bad", "sink": {}}, "sink"),
        ({"pattern": "Contoso.Bad", "sinks": {"bad name": "file"}}, "sinks"),
        ({"pattern": "Contoso.Bad", "secret_params": ["Password"], "sinks": {"Password": "network"}}, "sinks"),
        ({"pattern": "contoso bad"}, "pattern"),
        ({"pattern": "Contoso.*.Bad"}, "pattern"),
        ({"sinks": {}}, "pattern"),
    ],
)
def test_bad_extra_entry_raises_naming_entry_and_field(entry: dict[str, object], field: str) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(extra=[{"pattern": "Contoso.Good"}, entry])
    message = str(info.value)
    assert "extra catalogue entry #2" in message
    assert f"field {field!r}" in message
    if "pattern" in entry and isinstance(entry["pattern"], str):
        assert repr(entry["pattern"]) in message


def test_duplicate_extra_patterns_and_bad_shapes() -> None:
    with pytest.raises(CatalogueError, match="duplicate pattern"):
        load_catalogue(extra=[{"pattern": "Contoso.A"}, {"pattern": "Contoso.A"}])
    with pytest.raises(CatalogueError, match="expected a table"):
        load_catalogue(extra=["Contoso.A"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "template",
    [
        "X.GetCredential Credential: '{credential}'",  # no {variable}
        "X.Get Credential: '{name}' Credential=> {variable}",  # unknown placeholder
        "X.Get C: '{credential}' C=> {variable}\nY.Other",  # two statements
    ],
)
def test_bad_credential_template(template: str) -> None:
    with pytest.raises(CatalogueError, match="template"):
        load_catalogue(credential_template=template)


def test_action_spec_is_hashable_and_frozen(cat: Catalogue) -> None:
    spec = cat.lookup("Display.InputDialog")
    assert isinstance(spec, ActionSpec)
    hash(spec)
    with pytest.raises(AttributeError):
        spec.known = False  # type: ignore[misc]


# --------------------------------------------------------------------------- coverage


def test_corpus_action_list_is_known(cat: Catalogue) -> None:
    """The corpus action names (copied into tests/data) are all in the catalogue."""
    names = [line.strip() for line in CORPUS_ACTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert names == sorted(set(names)), "keep corpus_actions.txt sorted and unique"
    assert len(names) > 150
    unknown = [name for name in names if not cat.is_known(name)]
    assert unknown == []


@pytest.mark.corpus
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")
def test_corpus_coverage(cat: Catalogue) -> None:
    counts = corpus_action_names(SHARED)
    scripts = sum(1 for _ in corpus_scripts(SHARED))
    known = sorted(name for name in counts if cat.is_known(name))
    unknown = sorted(set(counts) - set(known))
    module_level = sorted(name for name in known if cat.lookup(name).pattern.endswith("*"))
    uses = sum(counts.values())
    print(
        f"\ncorpus: {scripts} scripts, {len(counts)} distinct actions ({uses} script-action pairs); "
        f"known {len(known)}/{len(counts)}; matched by an action-level entry {len(known) - len(module_level)}, "
        f"by a module-level entry {len(module_level)}; unknown: {unknown}"
    )
    assert unknown == []
    listed = set(CORPUS_ACTIONS.read_text(encoding="utf-8").split())
    assert set(counts) <= listed, f"refresh tests/data/corpus_actions.txt: {sorted(set(counts) - listed)}"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://login.microsoftonline.com/t/oauth2/v2.0/token", True),
        ("https://login.microsoftonline.com/t/oauth2/token?api-version=1.0", True),
        ("https://id.example.com/connect/token", True),
        ("https://example.com/oauth/token#frag", True),
        # SharePoint ACS (real form): matched by its own pattern, not by "/token" + any character
        ("https://accounts.accesscontrol.windows.net/00000000-0000-0000-0000-000000000000/tokens/OAuth/2", True),
        ("https://example.com/tokenizer/", False),
        ("https://example.com/api/tokens", False),
        ("https://example.com/token-info/x", False),
        ("https://example.com/oauth2/tokeninfo", False),
    ],
)
def test_token_endpoints_match_real_forms_only(cat: Catalogue, url: str, secret: bool) -> None:
    spec = cat.lookup("Web.InvokeWebService.InvokeWebService")
    assert spec.is_secret_output("Response", False, {"Url": url}) is secret


def test_error_echoes_and_intended_sinks(cat: Catalogue) -> None:
    sql = cat.lookup("Database.ExecuteSqlStatement.ConnectAndExecute")
    assert sql.echoes_in_errors("Statement")
    assert not sql.echoes_in_errors("ConnectionString")
    rule = sql.sink_rule("Statement", False)
    assert rule is not None and rule.intended and rule.kind == "network"
    assert not cat.lookup("Text.AppendLine").echoes_in_errors("Text")  # the default: no
    body = cat.lookup("Email.SendEmail.AuthenticateAndSend").sink_rule("Body", False)
    assert body is not None and body.intended
    msg = cat.lookup("Display.ShowMessageDialog.ShowMessage").sink_rule("Message", False)
    assert msg is not None and not msg.intended
    assert cat.lookup("Cryptography.DecryptText.Decrypt").secret_output_kind("DecryptedText", False) == "data"
    assert cat.lookup("PowerAutomateSecretVariables.GetCredential").secret_output_kind("Credential", False) == "credential"


def test_new_fields_are_validated() -> None:
    base = {"pattern": "Contoso.Thing"}
    with pytest.raises(CatalogueError, match="intended"):
        load_catalogue([{**base, "sinks": {"Body": {"kind": "mail", "intended": "yes"}}}])
    with pytest.raises(CatalogueError, match="kind"):
        load_catalogue([{**base, "secret_outputs": {"Out": {"kind": "secretish"}}}])
    with pytest.raises(CatalogueError, match="error_echoes"):
        load_catalogue([{**base, "error_echoes": "Text"}])
    spec = load_catalogue([{**base, "error_echoes": ["@*"]}]).lookup("Contoso.Thing")
    assert spec.echoes_in_errors("x", True) and not spec.echoes_in_errors("x", False)


def test_a_condition_compiles_its_globs_when_first_tested() -> None:
    """Loading the catalogue compiles no condition (a one-flow scan tests a few of them); the
    first test of one compiles it, and it answers as its globs say."""
    from pafix.analysis.catalogue.loader import load_catalogue
    from pafix.analysis.catalogue.spec import Condition

    catalogue = load_catalogue()
    conditions = [rule.when for spec in catalogue.entries for _, rules in spec.sinks for rule in rules
                  if rule.when is not None]
    assert conditions and all(c._compiled is None for c in conditions)
    cond = Condition(((("Name", ("*pass*", "pwd")),),))
    assert cond._compiled is None
    assert cond.holds({"Name": "mypassword"}) and cond._compiled is not None
    assert cond.holds({"Name": "pwd"}) and not cond.holds({"Name": "user"}) and not cond.holds({})
