"""``rewrite_text`` and the Get credential fix: fixtures, stability, properties, the real corpus."""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pafix import core
from pafix.syntax import nodes as n
from pafix.config import DEFAULT, Config
from pafix.core import check_flow, check_source
from pafix.fixes.get_credential import build_credential_fix, user_input_for
from pafix.rules import paf103_secret_input_variable as paf103
from pafix.findings import Edit, Fix
from pafix.syntax.parser import parse
from pafix.fixes.rewrite import MAX_PASSES, RewriteResult, rewrite_text
from pafix.syntax.textio import decode, encode

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "rewrite"
CORPUS_FIXTURES = ROOT / "fixtures" / "corpus"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "corpus" / "real"
UNPARSABLE_REAL = "kimseunghwa102__"

HEADER = (
    "@@ConnectionString: ''\n@@Type: 'Local'\n@@DesktopType: 'local'\n@@DisplayName: 'Local computer'\n"
)


def _input(name: str, kind: str = "String") -> str:
    return (
        f"@INPUT {name} : {{ 'Description': '', 'FriendlyName': '{name}', 'Type': '{kind}', "
        f"'IsOptional': False, 'DefaultValue': '' }}\n"
    )


def _inputs() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.robin") if not p.name.endswith(".fixed.robin"))


def _stem(path: Path) -> str:
    return path.name[: -len(".robin")]


#: the fixtures show the fixes' mechanics: every finding's fix, snippets' low ones included
EVERY_CONFIDENCE = replace(DEFAULT, min_confidence="low")


def _rewrite_bytes(raw: bytes, name: str, *, unsafe: bool) -> tuple[bytes, RewriteResult]:
    decoded = decode(raw, name)
    result = rewrite_text(decoded.text, name, EVERY_CONFIDENCE, unsafe=unsafe)
    return encode(result.text, decoded), result


def assert_stable(text: str, name: str, *, unsafe: bool) -> None:
    """Black's ``assert_stable``: rewriting the fixed text changes nothing."""
    again = rewrite_text(text, name, EVERY_CONFIDENCE, unsafe=unsafe)
    assert again.error is None, again.error
    assert again.text == text
    assert not again.changed and again.applied == () and again.passes == 0


# ---- fixtures --------------------------------------------------------------------------------


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("src", _inputs(), ids=_stem)
def test_fixture(src: Path, unsafe: bool) -> None:
    raw = src.read_bytes()
    fixed = FIXTURES / f"{_stem(src)}.fixed.robin"
    unsafe_fixed = FIXTURES / f"{_stem(src)}.unsafe.fixed.robin"
    out, result = _rewrite_bytes(raw, src.name, unsafe=unsafe)
    if not fixed.exists():  # a file that must not be rewritten
        assert result.error is not None and not result.changed and result.applied == ()
        assert out == raw
        return
    assert result.error is None, result.error
    expected = unsafe_fixed if unsafe and unsafe_fixed.exists() else fixed
    assert out == expected.read_bytes()
    assert result.changed == (out != raw)
    assert_stable(decode(out).text, src.name, unsafe=unsafe)
    before, after = decode(raw), decode(out)
    assert (after.encoding, after.newline, after.final_newline) == (
        before.encoding, before.newline, before.final_newline,
    )


def test_fixture_set_covers_the_issue() -> None:
    names = {_stem(p) for p in _inputs()}
    assert {"append_to_list", "create_after_imports", "snippet", "two_in_one_pass", "local_subflow",
            "credential_smtp", "crlf_bom", "utf16_le_bom", "unparsable"} <= names
    assert (FIXTURES / "credential_smtp.unsafe.fixed.robin").exists()
    assert (FIXTURES / "crlf_bom.robin").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in (FIXTURES / "crlf_bom.robin").read_bytes()
    assert (FIXTURES / "utf16_le_bom.robin").read_bytes().startswith(b"\xff\xfe")


def test_two_variables_in_one_pass_make_one_line() -> None:
    text = (FIXTURES / "two_in_one_pass.robin").read_text(encoding="utf-8")
    result = rewrite_text(text, "t.robin", EVERY_CONFIDENCE)
    assert result.passes == 1
    assert result.text.count("@SENSITIVE") == 1
    assert "@SENSITIVE: [MasterPassword, ConnectionText]\n" in result.text


def test_crlf_lines_inserted_with_crlf() -> None:
    raw = (FIXTURES / "crlf_bom.robin").read_bytes()
    out, result = _rewrite_bytes(raw, "crlf_bom.robin", unsafe=True)
    assert result.error is None
    text = out.decode("utf-8-sig")
    assert "\n" not in text.replace("\r\n", "")
    assert "PowerAutomateSecretVariables.GetCredential Credential: 'ApiPassword' Timeout: 0 Credential=> ApiPassword_Credential\r\n" in text


def test_unparsable_is_an_error_and_unchanged() -> None:
    text = "// not Robin\nSET Password TO 'canary-Zx9!'\n"
    result = rewrite_text(text, "bad.robin", EVERY_CONFIDENCE)
    assert result == RewriteResult(text, False, (), result.error)
    assert result.error is not None and result.error.startswith("cannot parse (line 1, column 1")
    assert "canary" not in result.error


def test_suppressed_finding_is_not_fixed() -> None:
    text = (FIXTURES / "suppressed.robin").read_text(encoding="utf-8")
    result = rewrite_text(text, "s.robin", EVERY_CONFIDENCE)
    assert result.applied == (("PAF101", "ProdConnection"),)
    assert "TestConnection" not in result.text.splitlines()[4]


def test_select_limits_the_fixes() -> None:
    text = (FIXTURES / "two_in_one_pass.robin").read_text(encoding="utf-8")
    only_105 = EVERY_CONFIDENCE.with_overrides(["PAF105"], None)
    result = rewrite_text(text, "t.robin", only_105)
    assert {rule for rule, _ in result.applied} == {"PAF105"}
    ignored = EVERY_CONFIDENCE.with_overrides(None, ["PAF1"])
    assert rewrite_text(text, "t.robin", ignored).changed is False


# ---- the loop's guards ---------------------------------------------------------------------


@pytest.fixture
def fake_credential_fix(monkeypatch: pytest.MonkeyPatch) -> object:
    """Replace the Get credential builder that PAF103 calls for one test (put back after it)."""

    def install(builder: object) -> None:
        monkeypatch.setattr(paf103, "build_credential_fix", builder)

    return install


SECRET_INPUT_FLOW = HEADER + "@SENSITIVE: [ApiToken]\n" + _input("ApiToken") + "SET X TO 1\n"


def test_did_not_converge(fake_credential_fix) -> None:  # type: ignore[no-untyped-def]
    def forever(ctx, name):  # type: ignore[no-untyped-def]
        return Fix((Edit(len(ctx.flow.source), len(ctx.flow.source), "# again\n"),), "unsafe", "loop")

    fake_credential_fix(forever)
    result = rewrite_text(SECRET_INPUT_FLOW, "t.robin", EVERY_CONFIDENCE, unsafe=True)
    assert result.error == f"did not converge after {MAX_PASSES} passes; not rewritten"
    assert result.text == SECRET_INPUT_FLOW and not result.changed and result.applied == ()
    # without --unsafe-fixes the bad fix is never applied
    assert rewrite_text(SECRET_INPUT_FLOW, "t.robin", EVERY_CONFIDENCE).error is None


def test_fix_that_breaks_the_syntax_is_rejected(fake_credential_fix) -> None:  # type: ignore[no-untyped-def]
    def breaks(ctx, name):  # type: ignore[no-untyped-def]
        return Fix((Edit(0, 0, "IF THEN\n"),), "unsafe", "broken")

    fake_credential_fix(breaks)
    result = rewrite_text(SECRET_INPUT_FLOW, "t.robin", EVERY_CONFIDENCE, unsafe=True)
    assert result.error is not None and "does not parse" in result.error
    assert result.text == SECRET_INPUT_FLOW


def test_fix_that_changes_nothing_is_rejected(fake_credential_fix) -> None:  # type: ignore[no-untyped-def]
    def no_op(ctx, name):  # type: ignore[no-untyped-def]
        return Fix((Edit(0, 2, ctx.flow.source[:2]),), "unsafe", "no-op")

    fake_credential_fix(no_op)
    result = rewrite_text(SECRET_INPUT_FLOW, "t.robin", EVERY_CONFIDENCE, unsafe=True)
    assert result.error is not None and "changed nothing" in result.error


def test_a_mark_look_alike_is_not_merged(fake_credential_fix) -> None:  # type: ignore[no-untyped-def]
    """Only fixes whose edits are exactly ``mark_sensitive_edit`` are merged into the
    pass's single mark edit; the description does not matter."""

    def impostor(ctx, name):  # type: ignore[no-untyped-def]
        if "# marked" in ctx.flow.source:
            return None
        pos = ctx.flow.source.index("SET X")
        return Fix((Edit(pos, pos, "# marked\n"),), "unsafe", f"mark {name} as sensitive")

    fake_credential_fix(impostor)
    result = rewrite_text(SECRET_INPUT_FLOW, "t.robin", EVERY_CONFIDENCE, unsafe=True)
    assert result.error is None and "# marked\nSET X TO 1\n" in result.text


# ---- the Get credential fix ----------------------------------------------------------------


def _fix_for(text: str, name: str, config: Config = DEFAULT) -> Fix | None:
    checked = check_flow(parse(text), config)
    found = [f for f in checked.findings if f.rule == "PAF103" and f.variable == name]
    assert found, [f.rule for f in checked.findings]
    return found[0].fix


def _apply_unsafe(text: str, config: Config = DEFAULT) -> str:
    result = rewrite_text(text, "t.robin", config, unsafe=True)
    assert result.error is None, result.error
    return result.text


def test_credential_fix_description_and_safety() -> None:
    text = (FIXTURES / "credential_smtp.robin").read_text(encoding="utf-8")
    fix = _fix_for(text, "SmtpPassword")
    assert fix is not None and fix.safety == "unsafe"
    assert "'SmtpPassword'" in fix.description
    assert "callers must stop passing SmtpPassword and SmtpUser" in fix.description
    assert "UNVERIFIED" in fix.description and "[credentials] template" in fix.description


def test_credential_fix_is_shown_by_scan() -> None:
    text = (FIXTURES / "credential_smtp.robin").read_text(encoding="utf-8")
    result = check_source(text, "c.robin")
    paf103 = [f for f in result.findings if f.rule == "PAF103"]
    assert paf103 and paf103[0].fix is not None and paf103[0].fix.safety == "unsafe"


def test_credential_names_and_suffix_from_config() -> None:
    text = HEADER + "@SENSITIVE: [ApiToken]\n" + _input("ApiToken") + "SET Header TO $'''Bearer %ApiToken%'''\n"
    config = replace(DEFAULT, credential_names={"ApiToken": "Contoso API"}, credential_suffix="Cred")
    out = _apply_unsafe(text, config)
    assert "Credential: 'Contoso API' Timeout: 0 Credential=> ApiTokenCred\n" in out
    assert "%ApiTokenCred.Password%" in out
    assert "@INPUT" not in out


def test_credential_template_from_config() -> None:
    text = HEADER + _input("ApiToken") + "SET Header TO ApiToken\n"
    config = replace(DEFAULT, credential_template="PowerAutomateSecretVariables.GetCredentialV2 Name: '{credential}' Credential=> {variable}")
    out = _apply_unsafe(text, config)
    assert "PowerAutomateSecretVariables.GetCredentialV2 Name: 'ApiToken' Credential=> ApiToken_Credential\n" in out
    fix = _fix_for(text, "ApiToken", config)
    assert fix is not None


def test_credential_name_is_escaped() -> None:
    text = HEADER + _input("ApiToken") + "SET Header TO ApiToken\n"
    config = replace(DEFAULT, credential_names={"ApiToken": "O'Brien\\key"})
    out = _apply_unsafe(text, config)
    assert "Credential: 'O\\'Brien\\\\key'" in out
    parse(out)


@pytest.mark.parametrize(
    ("password", "user", "paired"),
    [
        ("SmtpPassword", "SmtpUser", True),
        ("SmtpPassword", "SmtpUsername", True),
        ("SmtpPassword", "SmtpUserName", True),
        ("Smtp_Pwd", "Smtp_Login", True),
        ("VaultSecret", "VaultUser", True),
        ("Password", "UserName", True),
        ("SmtpPassword", "MailUser", False),
        ("SmtpToken", "SmtpUser", False),
    ],
)
def test_user_input_pairing(password: str, user: str, paired: bool) -> None:
    text = HEADER + f"@SENSITIVE: [{password}]\n" + _input(user) + _input(password) + f"SET A TO {user}\nSET B TO {password}\n"
    model = check_flow(parse(text)).model
    assert (user_input_for(model, password) == user) is paired
    out = _apply_unsafe(text)
    assert f"SET B TO {password}_Credential.Password\n" in out
    if paired:
        assert f"SET A TO {password}_Credential.Username\n" in out and f"@INPUT {user}" not in out
    else:
        assert f"SET A TO {user}\n" in out and f"@INPUT {user}" in out


def test_ambiguous_user_input_is_not_paired() -> None:
    text = HEADER + "@SENSITIVE: [SmtpPassword]\n" + _input("SmtpUser") + _input("SmtpLogin") + _input("SmtpPassword") + "SET B TO SmtpPassword\n"
    model = check_flow(parse(text)).model
    assert user_input_for(model, "SmtpPassword") is None


def test_sensitive_user_input_is_converted_with_its_password() -> None:
    text = HEADER + "@SENSITIVE: [In_strAppUserName, In_strAppPassword]\n" + _input("In_strAppUserName") + _input("In_strAppPassword") + "SET U TO In_strAppUserName\n"
    # a user name is sensitive data, not a credential: no "use Get credential" for it (PAF103);
    # its password's fix moves it into the credential too
    found = check_flow(parse(text), DEFAULT).findings
    assert not [f for f in found if f.rule == "PAF103" and f.variable == "In_strAppUserName"]
    assert _fix_for(text, "In_strAppPassword") is not None
    out = _apply_unsafe(text)
    assert "@SENSITIVE" not in out and "@INPUT" not in out
    assert "SET U TO In_strAppPassword_Credential.Username\n" in out
    assert out.count("GetCredential") == 1


@pytest.mark.parametrize(
    "body",
    [
        "SET ApiToken TO 'x'\n",
        "SET ApiToken['a'] TO 'x'\n",
        "Text.Trim Text: ' a ' TrimOption: Text.TrimOption.Both TrimmedText=> ApiToken\n",
        "LOOP FOREACH ApiToken IN List\nEND\n",
        "LOOP ApiToken FROM 1 TO 3 STEP 1\nEND\n",
        "ERROR => ApiToken\n",
        "CALL Sub\nFUNCTION Sub GLOBAL\n    SET ApiToken TO 'x'\nEND FUNCTION\n",
        "CALL Sub A: 1\nFUNCTION Sub A\n    SET GLOBAL.ApiToken TO A\nEND FUNCTION\n",
        "SET X TO $fx'=Concat(ApiToken, \"!\")'\n",
        "@@secretName: '%ApiToken%'\nSET X TO 1\n",
        "SET ApiToken_Credential TO 1\n",
    ],
)
def test_no_credential_fix_when_incomplete(body: str) -> None:
    text = HEADER + "@SENSITIVE: [ApiToken]\n" + _input("ApiToken") + body
    parse(text)
    assert _fix_for(text, "ApiToken") is None


def test_each_input_of_one_flow_is_judged_on_its_own() -> None:
    # one reference index serves every input of the flow: one input's refusal or reads
    # must not leak into another's
    text = (
        HEADER + "@SENSITIVE: [ApiToken, ApiSecret]\n" + _input("ApiToken") + _input("ApiSecret")
        + "SET ApiToken TO 'x'\nSET A TO ApiSecret\n"
    )
    assert _fix_for(text, "ApiToken") is None
    fix = _fix_for(text, "ApiSecret")
    assert fix is not None
    assert [e.text for e in fix.edits].count("ApiSecret_Credential.Password") == 1


@pytest.mark.parametrize("kind", ["List", "CustomObject", "Numeric", "Bool", "Datatable"])
def test_no_credential_fix_for_inputs_that_are_not_text(kind: str) -> None:
    text = HEADER + "@SENSITIVE: [ApiToken]\n" + _input("ApiToken", kind) + "SET X TO ApiToken\n"
    assert _fix_for(text, "ApiToken") is None


def test_local_variable_of_the_same_name_is_not_replaced() -> None:
    text = (
        HEADER + "@SENSITIVE: [ApiToken]\n" + _input("ApiToken")
        + "CALL Sub ApiToken: ApiToken\n"
        + "FUNCTION Sub ApiToken\n    SET Y TO ApiToken\n    SET Z TO GLOBAL.ApiToken\nEND FUNCTION\n"
    )
    out = _apply_unsafe(text)
    assert "CALL Sub ApiToken: ApiToken_Credential.Password\n" in out
    assert "FUNCTION Sub ApiToken\n" in out
    assert "SET Y TO ApiToken\n" in out
    assert "SET Z TO GLOBAL.ApiToken_Credential.Password\n" in out


def test_every_reference_kind_is_replaced() -> None:
    body = (
        "SET A TO ApiToken\n"
        "SET B TO $'''x %ApiToken% y %ApiToken.Length% z'''\n"
        "SET C[ApiToken] TO 1\n"
        "SET D TO [ApiToken, 'a']\n"
        "SET E TO { 'k': ApiToken }\n"
        "IF ApiToken = '' THEN\n    SET F TO Trim(ApiToken)\nELSE IF (NOT (ApiToken = '')) THEN\n    SET G TO 1\nEND\n"
        "SWITCH ApiToken\n    CASE = ApiToken\n        SET H TO 1\nEND\n"
        "LOOP WHILE (ApiToken) <> ('')\n    EXIT LOOP\nEND\n"
        "EXIT Code: 0 ErrorMessage: ApiToken\n"
    )
    text = HEADER + "@SENSITIVE: [ApiToken]\n" + _input("ApiToken") + body
    parse(text)
    out = _apply_unsafe(text)
    flow = parse(out)
    names = [x for stmt in n.walk_statements(flow.body) for x in _names_in(stmt)]
    assert "ApiToken" not in {x.name for x in names}
    assert len(re.findall(r"\bApiToken\b", body)) == 13
    assert len(re.findall(r"\bApiToken_Credential\.Password\b", out)) == 13


def _names_in(stmt: n.Stmt) -> list[n.Name]:
    return [
        e for expr, _ in n.statement_exprs(stmt) for e in n.walk_expr(expr) if isinstance(e, n.Name)
    ]


def test_sensitive_list_formatting_is_kept() -> None:
    def out_for(sensitive: str) -> str:
        text = HEADER + f"@SENSITIVE: [{sensitive}]\n" + _input("ApiToken") + "SET A TO ApiToken = ''\n"
        return _apply_unsafe(text).splitlines()[4]

    assert out_for("ApiToken, Other") == "@SENSITIVE: [Other]"
    assert out_for("Other, ApiToken") == "@SENSITIVE: [Other]"
    assert out_for("One,ApiToken,  Two") == "@SENSITIVE: [One,Two]"
    assert out_for("One ,  ApiToken") == "@SENSITIVE: [One]"


def test_snippet_has_no_credential_fix() -> None:
    # a clipboard snippet has no @INPUT, hence no PAF103 finding
    checked = check_flow(parse("SET Password TO Other\n"))
    assert all(f.rule != "PAF103" for f in checked.findings)
    assert checked.model.is_snippet


def test_build_credential_fix_ignores_unknown_names() -> None:
    checked = check_flow(parse(SECRET_INPUT_FLOW))
    from pafix.rules import Context

    ctx = Context(checked.flow, checked.model, checked.analysis, [], core.catalogue_for(DEFAULT),
                  core.names_for(DEFAULT), {"config": DEFAULT})
    assert build_credential_fix(ctx, "Nope") is None
    assert build_credential_fix(ctx, "ApiToken") is not None


def test_input_on_the_last_line_without_newline() -> None:
    text = HEADER + "@SENSITIVE: [Other]\nSET A TO 1\n" + _input("ApiToken").rstrip("\n")
    parse(text)
    out = _apply_unsafe(text)
    assert out == HEADER + "@SENSITIVE: [Other]\n" + (
        "PowerAutomateSecretVariables.GetCredential Credential: 'ApiToken' Timeout: 0 Credential=> ApiToken_Credential\n"
    ) + "SET A TO 1"


# ---- properties ----------------------------------------------------------------------------

VARS = ["Data", "Result", "Conn", "Message", "Pin", "Header"]
SECRET_INPUTS = ["ApiPassword", "ApiUser", "DbPwd", "Token"]


@st.composite
def flows(draw: st.DrawFn) -> str:
    """Small flows with headers, @SENSITIVE, inputs, secret sources, sinks and subflows."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    snippet = draw(st.booleans())
    inputs: list[str] = []
    if not snippet:
        if draw(st.booleans()):
            lines += HEADER.splitlines()
        if draw(st.booleans()):
            lines.append("IMPORT 'controlRepo.appmask' AS appmask")
        inputs = draw(st.lists(st.sampled_from(SECRET_INPUTS + ["Folder"]), unique=True, max_size=4))
        sens = draw(st.lists(st.sampled_from(inputs + VARS), unique=True, max_size=3))
        empty_list: bool = draw(st.booleans())
        if sens or empty_list:
            lines.append(f"@SENSITIVE: [{', '.join(sens)}]")
        for name in inputs:
            if draw(st.booleans()):
                lines.append(
                    f"@INPUT {name} : {{ 'Description': '''About{nl}{name}''', 'FriendlyName': '{name}', "
                    f"'Type': 'String', 'IsOptional': False, 'DefaultValue': '' }} "
                )
            else:
                lines.append(_input(name).rstrip("\n"))
        if not lines:
            lines.append("@@DisplayName: 'x'")
    readable = VARS + inputs
    body: list[str] = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.integers(0, 6))
        a = draw(st.sampled_from(VARS))
        b = draw(st.sampled_from(readable))
        if kind == 0:
            body.append(f"SET {a} TO $'''x %{b}% y'''")
        elif kind == 1:
            body.append(f"SET {a} TO {b}")
        elif kind == 2:
            body.append(
                "Display.InputDialog Title: $'''T''' Message: $'''M''' InputType: Display.InputType.Password "
                f"IsTopMost: True UserInput=> {a} ButtonPressed=> Pressed"
            )
        elif kind == 3:
            body.append(f"Database.Connect ConnectionString: {b} Connection=> SQLConnection")
        elif kind == 4:
            body.append(f"IF {b} <> '' THEN{nl}    SET {a} TO {b}{nl}END")
        elif kind == 5:
            body.append(f"CALL Local In: {b}")
        else:
            body.append(f"# note about {b}")
    functions = []
    if any(s.startswith("CALL Local") for s in body):
        functions.append(f"FUNCTION Local In{nl}    SET Copy TO In{nl}    SET Other TO $'''%In%'''{nl}END FUNCTION")
    if draw(st.booleans()):
        body.append("CALL Glob")
        functions.append(f"FUNCTION Glob GLOBAL{nl}    SET Mirror TO {draw(st.sampled_from(readable))}{nl}END FUNCTION")
    text = nl.join(lines + body + functions)
    return text + nl if draw(st.booleans()) else text


def _check_properties(text: str, *, unsafe: bool) -> None:
    result = rewrite_text(text, "p.robin", EVERY_CONFIDENCE, unsafe=unsafe)
    if result.error is not None:  # only unparsable input may fail
        assert result.text == text and not result.changed
        with pytest.raises(Exception):
            parse(text)
        return
    parse(result.text)  # the output parses
    assert result.text.startswith("\ufeff") == text.startswith("\ufeff")
    assert_stable(result.text, "p.robin", unsafe=unsafe)  # rewrite(rewrite(x)) == rewrite(x)
    # nothing left that the same settings would fix
    left = check_flow(parse(result.text), EVERY_CONFIDENCE).findings
    assert not [f for f in left if f.fix is not None and (f.fix.safety == "safe" or unsafe)]
    if not unsafe:
        # bytes outside the edits are identical: only @SENSITIVE lines were added or changed
        def strip(t: str) -> list[str]:
            return [ln.lstrip("\ufeff") for ln in t.splitlines(keepends=True)
                    if not ln.lstrip("\ufeff \t").startswith("@SENSITIVE:")]

        assert strip(result.text) == strip(text)
        if result.text != text:
            assert (text.endswith(("\n", "\r")) == result.text.endswith(("\n", "\r")))
    else:
        removed = {v for rule, v in result.applied if rule == "PAF103" and v is not None}
        model = check_flow(parse(text), EVERY_CONFIDENCE).model
        removed |= {u for v in list(removed) if (u := user_input_for(model, v)) is not None}
        flow = parse(result.text)
        left_names = {x.name for stmt in n.walk_statements(flow.body) for x in _names_in(stmt)}
        assert not removed & left_names
        assert not [s for s in flow.body if isinstance(s, n.IODecl) and s.name.name in removed]
        # every other line is kept: all but @SENSITIVE, the removed inputs' declarations
        # and the lines that mention a removed input
        dropped = {
            i for s in model.flow.main if isinstance(s, n.IODecl) and s.name.name in removed
            for i in range(s.span.line, s.span.end_line + 1)
        }
        untouched = [
            ln.lstrip("\ufeff") for i, ln in enumerate(text.splitlines(), 1)
            if i not in dropped and not ln.lstrip("\ufeff \t").startswith("@SENSITIVE:")
            and not any(re.search(rf"\b{x}\b", ln) for x in removed)
        ]
        out_lines = {ln.lstrip("\ufeff") for ln in result.text.splitlines()}
        assert all(ln in out_lines for ln in untouched)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows(), st.booleans())
def test_properties_on_generated_flows(text: str, unsafe: bool) -> None:
    _check_properties(text, unsafe=unsafe)


grammar_flows: Callable[[], st.SearchStrategy[str]] | None
try:  # the shared grammar-covering strategy, when the suite has it
    from strategies import flows as grammar_flows
except ImportError:  # pragma: no cover - depends on the checkout
    grammar_flows = None


@pytest.mark.skipif(grammar_flows is None, reason="tests/strategies.py is absent")
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans())
def test_properties_on_grammar_flows(data: st.DataObject, unsafe: bool) -> None:
    """Every construct of the grammar, mixed line ends, BOMs, trailers: still verified,
    stable and confined to the fixes' lines."""
    assert grammar_flows is not None
    _check_properties(data.draw(grammar_flows()), unsafe=unsafe)


def _corpus_inputs() -> list[Path]:
    found = sorted(CORPUS_FIXTURES.glob("*.robin")) if CORPUS_FIXTURES.is_dir() else []
    return found + _inputs()


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("path", _corpus_inputs(), ids=lambda p: p.name)
def test_properties_on_fixture_corpus(path: Path, unsafe: bool) -> None:
    _check_properties(decode(path.read_bytes()).text, unsafe=unsafe)


# ---- the real corpus -----------------------------------------------------------------------


def _real_files() -> list[Path]:
    return sorted(REAL.glob("*.robin")) if REAL.is_dir() else []


@pytest.mark.corpus
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus/real is absent")
def test_real_corpus_in_place(tmp_path: Path) -> None:
    from pafix.cli.main import main

    originals: dict[str, bytes] = {}
    for src in _real_files():
        dst = tmp_path / src.name
        shutil.copyfile(src, dst)
        os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR)
        originals[src.name] = src.read_bytes()
    runner = CliRunner()
    result = runner.invoke(main, ["rewrite", "--in-place", "--min-confidence", "low", str(tmp_path)])
    unparsable = [name for name in originals if name.startswith(UNPARSABLE_REAL)]
    assert len(unparsable) == 1
    assert result.exit_code == 2, result.output  # the one unparsable file
    errors = [ln for ln in result.stderr.splitlines() if ": error: " in ln]
    assert len(errors) == 1 and unparsable[0] in errors[0]

    changed = 0
    for name, before in originals.items():
        after = (tmp_path / name).read_bytes()
        if name == unparsable[0]:
            assert after == before
            continue
        changed += after != before
        decoded = decode(after, name)
        assert decode(before, name).encoding == decoded.encoding
        flow = parse(decoded.text, name)  # every output parses
        left = check_flow(flow, EVERY_CONFIDENCE).findings
        assert not [f for f in left if f.fix is not None and f.fix.safety == "safe"], name
        if b"@INPUT" in before:  # where the unsafe fix can apply
            _check_properties(decode(before).text, unsafe=True)
    assert changed > 0
    parsable = [str(tmp_path / name) for name in originals if name != unparsable[0]]
    check = runner.invoke(main, ["rewrite", "--check", *parsable])
    assert check.exit_code == 0, check.output


def test_adjacent_secret_inputs_converge() -> None:
    text = HEADER + "@SENSITIVE: [ApiToken, DbToken]\n" + _input("ApiToken") + _input("DbToken") + "SET A TO ApiToken = DbToken\n"
    result = rewrite_text(text, "t.robin", EVERY_CONFIDENCE, unsafe=True)
    assert result.error is None
    assert result.passes == 2  # the second fix waited: both edit the one @SENSITIVE list
    assert sorted(str(v) for _, v in result.applied) == ["ApiToken", "DbToken"]
    assert "@SENSITIVE" not in result.text and "@INPUT" not in result.text
    assert "SET A TO ApiToken_Credential.Password = DbToken_Credential.Password\n" in result.text
    assert result.text.count("GetCredential") == 2


def test_description_names_a_configured_template() -> None:
    text = HEADER + _input("ApiToken") + "SET Header TO ApiToken\n"
    config = replace(DEFAULT, credential_template="PowerAutomateSecretVariables.GetCredential Credential: '{credential}' Credential=> {variable}")
    fix = _fix_for(text, "ApiToken", config)
    assert fix is not None and "UNVERIFIED" not in fix.description
    assert "from your configuration" in fix.description
