"""Issue 14 sec. 3, "follow the secret, not everything near it": value kinds, field-sensitive
taint and error messages, at the level of the analysis (the rule fixtures show the findings)."""

from __future__ import annotations

from pafix.analysis.catalogue import default_catalogue
from pafix.analysis.model import build_model
from pafix.analysis.names import NamePolicy
from pafix.analysis.taint import Analysis, State
from pafix.syntax.parser import parse


def run(src: str) -> tuple[Analysis, State]:
    model = build_model(parse(src))
    analysis = Analysis(model, default_catalogue(), NamePolicy())
    analysis.run()
    return analysis, analysis.exit["Main"]


def kinds(state: State, key: str) -> set[str]:
    return {lab.origin.value_kind for lab in state.get(key, {}).values()}


def test_decrypt_text_of_data_is_data_and_of_a_credential_is_a_credential() -> None:
    src = (
        "@SENSITIVE: [Key, SmtpPassword]\n"
        "Cryptography.DecryptText.DecryptWithAES Text: Cipher EncryptionKey: Key PaddingMode: Cryptography.PaddingMode.PKCS7 KeySize: Cryptography.KeySize.Bits256 DecryptedText=> Plain\n"
        "Cryptography.DecryptText.DecryptWithAES Text: SmtpPassword EncryptionKey: Key PaddingMode: Cryptography.PaddingMode.PKCS7 KeySize: Cryptography.KeySize.Bits256 DecryptedText=> Plain2\n"
    )
    _, state = run(src)
    # the key is a credential, but it is a secret parameter: the text decrypted decides
    assert "data" in kinds(state, "Plain")
    assert kinds(state, "Plain2") == {"credential"}


def test_sensitive_variable_kind_follows_name_and_use() -> None:
    src = (
        "@SENSITIVE: [Input_EmailMessage, Input_ExchangeObject]\n"
        "SET A TO Input_EmailMessage\n"
        "SET B TO Input_ExchangeObject\n"
        "Exchange.ConnectToExchangeServer.ConnectWithCredentials ServerVersion: Exchange.ServerVersion.Exchange2013_SP1 ServerAddress: $'''x''' Username: U Password: Input_ExchangeObject['Password'] Timeout: 30 Connection=> C\n"
    )
    _, state = run(src)
    assert kinds(state, "A") == {"data"}
    assert "credential" in kinds(state, "B")


def test_strong_update_forgets_fields() -> None:
    src = (
        "@SENSITIVE: [EncKey]\n"
        "SET Config['EncKey'] TO EncKey\n"
        "SET Config TO $'''plain'''\n"
        "SET K TO Config['EncKey']\n"
    )
    _, state = run(src)
    assert not state.get("K")
    assert "Config.EncKey" not in state and "Config." not in state


def test_update_of_whole_object_reaches_every_field() -> None:
    src = (
        "@SENSITIVE: [EncKey]\n"
        "SET Config['A'] TO $'''x'''\n"
        "Variables.AddItemToList Item: EncKey List: Config\n"
        "SET B TO Config['B']\n"
    )
    _, state = run(src)
    assert state.get("B")


def test_error_message_only_carries_echoed_inputs() -> None:
    src = (
        "@SENSITIVE: [Msg]\n"
        "Text.AppendLine Text: Msg LineToAppend: $'''x''' Result=> R\n"
        "ERROR => E1\n"
        "Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: $'''Data Source=a.db''' Statement: Msg Timeout: 30 Result=> Q\n"
        "ERROR => E2\n"
    )
    _, state = run(src)
    assert not state.get("E1")
    labels = state.get("E2", {}).values()
    assert labels and all(lab.via_error for lab in labels)
