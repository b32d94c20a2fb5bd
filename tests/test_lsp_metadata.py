"""The solution-metadata rules (PAF4xx) in the language server: the real server process driven
by pytest-lsp's client (as in test_lsp.py) on copies of the PAF401/PAF405 rule fixtures, which
are real role and table files (see fixtures/rules/SOURCES.md)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest.importorskip("pytest_lsp")

from lsprotocol import types as t  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402
# the module's server, as test_lsp.py starts it (a fixture imported is this module's own)
from test_lsp import by_code, client, replace_doc, wait_published  # noqa: E402,F401,F811

from pafix.config import DEFAULT, parse_config  # noqa: E402
from pafix.lsp.metadata import _tag_end, lint_metadata, solution_file  # noqa: E402

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
ROLE = Path("Roles") / "Apollo Admin.xml"
GLOBAL_READ = re.compile(r'name="prvReadWorkflow"\s+level="Global"')

asyncio_module = pytest.mark.asyncio(loop_scope="module")


def copy_case(tmp_path: Path, rule: str, case: str) -> Path:
    return Path(shutil.copytree(RULES / rule / case, tmp_path / case))


async def open_xml(client: LanguageClient, path: Path, text: str | None = None) -> tuple[str, list[t.Diagnostic]]:
    uri = str(from_fs_path(str(path)))
    body = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "xml", 1, body)))
    return uri, await wait_published(client, uri, 1)


# ---- end to end ----------------------------------------------------------------------------------


@asyncio_module
async def test_role_file_gets_paf401_and_an_unsaved_edit_clears_it(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(tmp_path, "PAF401", "pos_global_read_workflow")
    role = root / ROLE
    text = role.read_text(encoding="utf-8")
    uri, diags = await open_xml(client, role)
    [d] = diags
    # the CLI: Roles/Apollo Admin.xml:1118:5 (fixtures/rules/PAF401/pos_global_read_workflow.expected)
    assert (d.code, d.range.start) == ("PAF401", t.Position(1117, 4))
    assert text.splitlines()[1117].strip() == "<RolePrivilege"
    assert d.range.end == t.Position(1119, len(text.splitlines()[1119]))  # the whole start tag
    assert d.severity == t.DiagnosticSeverity.Error and d.source == "pafix"
    assert d.code_description is not None
    assert d.code_description.href == "https://github.com/pafix/pafix/blob/main/docs/rules.md#paf401"
    assert "'Apollo Admin' grants prvReadWorkflow at Global" in d.message
    # the disk still says Global: the buffer is what counts
    basic, count = GLOBAL_READ.subn('name="prvReadWorkflow"\n      level="Basic"', text)
    assert count == 1
    assert await replace_doc(client, uri, 2, basic) == []
    # and back
    assert by_code(await replace_doc(client, uri, 3, text), "PAF401")
    # an XML document gets no Robin fixes: no formatting edits, no code actions
    assert await client.text_document_formatting_async(t.DocumentFormattingParams(
        t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=2, insert_spaces=True))) is None
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d])))
    assert not actions


@asyncio_module
async def test_negative_role_file_has_no_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(tmp_path, "PAF401", "neg_basic_user_copy")
    _uri, diags = await open_xml(client, root / ROLE)
    assert diags == []


@asyncio_module
async def test_table_file_gets_paf405_at_its_audit_flag(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(tmp_path, "PAF405", "pos_work_queue_item_audit_off")
    _uri, diags = await open_xml(client, root / "Entities" / "workqueueitem" / "Entity.xml")
    [d] = diags
    # the CLI: Entities/workqueueitem/Entity.xml:859:7
    assert (d.code, d.range.start, d.range.end) == ("PAF405", t.Position(858, 6), t.Position(858, 22))
    assert d.severity == t.DiagnosticSeverity.Warning


@asyncio_module
async def test_a_finding_in_another_file_is_not_reported_here(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(tmp_path, "PAF401", "pos_global_read_workflow")
    _uri, diags = await open_xml(client, root / "Other" / "Customizations.xml")
    assert diags == []


@pytest.mark.parametrize("bad", [
    "<Role name='x'><RolePrivileges><RolePrivilege name='prvReadWorkflow' level='Global'>",
    "<?xml version='1.0'?>\n<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>\n<Role>&b;</Role>",
    "not xml at all \U0001F600",
], ids=["truncated", "entity-expansion", "text"])
@asyncio_module
async def test_invalid_xml_is_one_diagnostic(client: LanguageClient, tmp_path: Path, bad: str) -> None:
    root = copy_case(tmp_path, "PAF401", "pos_global_read_workflow")
    uri, diags = await open_xml(client, root / ROLE, bad)
    [d] = diags
    assert d.code == "parse-error" and d.severity == t.DiagnosticSeverity.Error
    assert d.message.startswith("cannot read the solution metadata: ")
    # the server is still answering: a repaired buffer is checked
    assert by_code(await replace_doc(client, uri, 2, (root / ROLE).read_text(encoding="utf-8")), "PAF401")


@asyncio_module
async def test_xml_outside_a_solution_is_not_checked_as_robin(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "Roles").mkdir()
    _uri, diags = await open_xml(client, tmp_path / "Roles" / "r.xml", "<Role><RolePrivilege name='prvReadWorkflow' level='Global'/>")
    assert diags == []


# ---- the pieces -----------------------------------------------------------------------------------


def test_solution_file_layouts(tmp_path: Path) -> None:
    root = copy_case(tmp_path, "PAF405", "pos_work_queue_item_audit_off")
    entity = root / "Entities" / "workqueueitem" / "Entity.xml"
    assert solution_file(entity) is not None and solution_file(entity).root == root  # type: ignore[union-attr]
    assert solution_file(root / "Roles" / "Some Role.XML") is not None
    assert solution_file(root / "Other" / "Customizations.xml").root == root  # type: ignore[union-attr]
    assert solution_file(tmp_path / "customizations.xml").root == tmp_path  # type: ignore[union-attr]
    assert solution_file(tmp_path / "Roles" / "r.xml") is None  # no customizations.xml: not a solution
    assert solution_file(root / "Entities" / "workqueueitem" / "Other.xml") is None
    assert solution_file(root / "flow.robin") is None
    assert solution_file(None) is None


def test_other_files_are_read_from_disk_and_a_broken_one_is_left_out(tmp_path: Path) -> None:
    root = copy_case(tmp_path, "PAF401", "pos_global_read_workflow")
    (root / "Roles" / "Broken.xml").write_text("<Role", encoding="utf-8")
    cust = root / "Other" / "Customizations.xml"
    sf = solution_file(cust)
    assert sf is not None
    result = lint_metadata(sf, cust.read_text(encoding="utf-8"), DEFAULT)
    assert result.error is None and result.findings == ()
    # the role file itself, from a buffer that differs from the disk
    role_sf = solution_file(root / ROLE)
    assert role_sf is not None
    text = (root / ROLE).read_text(encoding="utf-8")
    assert [f.rule for f in lint_metadata(role_sf, text, DEFAULT).findings] == ["PAF401"]
    assert lint_metadata(role_sf, GLOBAL_READ.sub('name="prvReadWorkflow" level="Local"', text), DEFAULT).findings == ()
    # the configuration counts, as in `pafix scan`
    assert lint_metadata(role_sf, text, DEFAULT.with_overrides(None, ["PAF401"])).findings == ()
    [severe] = lint_metadata(role_sf, text, parse_config({"severity": {"PAF401": "note"}})).findings
    assert severe.severity == "note"


def test_tag_end_respects_quotes() -> None:
    text = '  <RolePrivilege name="a>b"\n level=\'G\' />rest'
    assert text[_tag_end(text, 2) - 2:_tag_end(text, 2)] == "/>"
    assert _tag_end(text, 0) == 0  # not at a tag
    assert _tag_end("<Role name='unclosed", 0) == len("<Role")
