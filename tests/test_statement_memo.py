"""Findings of per-statement rules carried from one check of an editor buffer to the next.

``check_flow(remember=True)`` keeps the findings of each top-level statement of a
:class:`~pafix.rules.base.StatementRule` (PAF104); the next check takes them over, moved, for
every statement with the same text at the same column in the same subflow
(:mod:`pafix.syntax.statement_memo`). Whatever is taken over, the findings must be those of the
rules run on the whole flow (``rule.check``, the scan's path).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pafix.core import Checked, check_flow
from pafix.findings import Edit, Finding, Fix, TraceStep, finding_offsets, moved_finding
from pafix.lsp.lint import lint_text
from pafix.rules.base import Context
from pafix.rules.paf104_hardcoded_secret import HardcodedSecret
from pafix.analysis.model import Subflow
from pafix.syntax import nodes as n
from pafix.syntax.parser import parse
from pafix.syntax import statement_memo
from pafix.syntax.statement_memo import MAX_BLOCK, layout
from test_lsp_reuse import _edit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.robin"))
#: flows with many PAF104 findings (the rule that remembers)
PAF104_FLOWS = sorted((ROOT / "fixtures" / "rules" / "PAF104").glob("pos_*.robin"))
CORPUS = ROOT.parent / "shared" / "corpus" / "real"

FLOW = """@SENSITIVE: [Token]
SET ApiKey TO $'''sk-proj-abcdefghijklmnopqrstuvwx'''
IF ApiKey = $'''x''' THEN
    SET Password TO $'''Hunter2!xyz'''
END
# password: Hunter2!abc
FUNCTION Sub GLOBAL
    SET Secret TO $'''Zq8#kP2!wQ'''
END FUNCTION
"""


class Calls:
    """Counts the statements PAF104 works out itself (not taken from the memo)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = HardcodedSecret.check_statement

        def counted(rule: HardcodedSecret, ctx: Context, sf: Subflow, stmt: n.Stmt) -> Iterable[Finding]:
            self.count += 1
            return original(rule, ctx, sf, stmt)

        monkeypatch.setattr(HardcodedSecret, "check_statement", counted)


def _scan_path(text: str) -> tuple[Finding, ...]:
    """The findings of the rules run on the whole flow, with nothing remembered."""
    checked = check_flow(parse(text, "buffer.robin", recover=True))
    assert not checked.memos
    return checked.findings


def _lint(text: str, last: Checked | None) -> Checked:
    result = lint_text(text, "buffer.robin", previous=last.flow if last else None, reuse=last)
    assert result.checked is not None
    return result.checked


def _statements(checked: Checked) -> int:
    return sum(len(sf.body) for sf in checked.model.subflows)


def test_a_line_typed_above_moves_the_findings_below_without_checking_them(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _lint(FLOW, None)
    assert {f.rule for f in first.findings} >= {"PAF104"}
    calls = Calls(monkeypatch)
    edited = FLOW.replace("SET ApiKey", "SET Other TO 1\nSET ApiKey", 1)
    again = _lint(edited, first)
    assert calls.count == 1  # only the new statement
    assert again.findings == _scan_path(edited)
    moved = [f for f in again.findings if f.rule == "PAF104"]
    assert moved and all(f.line >= 3 for f in moved)
    # above the edit nothing moves: the very findings of the last check
    typed_below = edited + "SET Y TO 2\n"
    third = _lint(typed_below, again)
    assert [f for f in third.findings if f.rule == "PAF104"][0] is moved[0] or \
        [f for f in third.findings if f.rule == "PAF104"] == moved


def test_a_statement_moved_to_another_column_or_subflow_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _lint(FLOW, None)
    calls = Calls(monkeypatch)
    # the IF's body indented further: the IF's text changed, and so is checked again
    edited = FLOW.replace("    SET Password", "      SET Password")
    again = _lint(edited, first)
    assert calls.count == 1
    assert again.findings == _scan_path(edited)


def test_a_changed_fact_of_the_flow_voids_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _lint(FLOW, None)
    calls = Calls(monkeypatch)
    edited = FLOW.replace("@SENSITIVE: [Token]", "@SENSITIVE: [Token, ApiKey]")
    again = _lint(edited, first)
    assert calls.count == _statements(again)  # model.sensitive differs: nothing taken over
    assert again.findings == _scan_path(edited)


def test_nothing_is_taken_over_across_name_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from pafix.config import DEFAULT

    first = _lint(FLOW, None)
    calls = Calls(monkeypatch)
    flow = parse(FLOW, "buffer.robin", recover=True)
    remembered = check_flow(flow, DEFAULT, reuse=first, remember=True).findings  # taken over
    assert calls.count == 0
    assert remembered == check_flow(flow, DEFAULT).findings
    other = replace(DEFAULT, secret_names=("Token",))  # another name policy: checked again
    calls.count = 0
    remembered = check_flow(flow, other, reuse=first, remember=True).findings
    assert calls.count == _statements(first)
    assert remembered == check_flow(flow, other).findings


def test_moved_finding_moves_every_position_but_the_columns() -> None:
    f = Finding("PAF101", "x", "error", "m", 3, 5, 4, 2, 40, 60, trace=(TraceStep(3, 7, "s", 42, 45),),
                fix=Fix((Edit(41, 44, "y"),), "safe", "d"))
    g = moved_finding(f, 10, 2)
    assert (g.line, g.column, g.end_line, g.end_column, g.start, g.end) == (5, 5, 6, 2, 50, 70)
    assert (g.trace[0].line, g.trace[0].column, g.trace[0].start, g.trace[0].end) == (5, 7, 52, 55)
    assert g.fix is not None and g.fix.edits == (Edit(51, 54, "y"),)
    assert moved_finding(f, 0, 0) is f


def test_positions_no_offset_moves_are_named() -> None:
    placed = Finding("PAF101", "x", "error", "m", 3, 5, 3, 9, trace=(TraceStep(1, 1, "s", 5, 9, flow="Child"),))
    assert None in list(finding_offsets(placed))
    plain = Finding("PAF101", "x", "error", "m", 3, 5, 3, 9, 40, 44)
    assert list(finding_offsets(plain)) == [40, 44]


def _random_edits(text: str, seed: int, edits: int) -> Iterator[tuple[str, Checked]]:
    rng = random.Random(seed)
    last = _lint(text, None)
    for _ in range(edits):
        text = _edit(text, rng)
        last = _lint(text, last)
        yield text, last


@pytest.mark.parametrize("path", EXAMPLES + PAF104_FLOWS, ids=lambda p: p.name)
def test_random_edits_take_findings_over_and_match_the_rules_run_whole(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch)
    statements = 0
    for text, checked in _random_edits(path.read_text(encoding="utf-8"), seed=len(path.name) + 7, edits=25):
        counted = calls.count
        assert checked.findings == _scan_path(text)
        calls.count = counted  # the whole-flow check is not the editor's
        statements += _statements(checked)
    assert calls.count < statements  # some statements were taken over


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_random_edits_on_corpus_flows_match_the_rules_run_whole() -> None:
    flows = sorted(CORPUS.glob("*.robin"))
    for i, path in enumerate(random.Random(61).sample(flows, min(10, len(flows)))):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        for edited, checked in _random_edits(text, seed=i, edits=8):
            assert checked.findings == _scan_path(edited)


def test_the_credential_fix_index_takes_over_unchanged_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    from pafix.fixes import get_credential

    text = (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8")
    first = _lint(text, None)
    assert any(f.rule == "PAF103" and f.fix is not None for f in first.findings)
    parts: list[n.Stmt] = []
    original = get_credential._part

    def counted(sf: Subflow, top: n.Stmt) -> get_credential._Part:
        parts.append(top)
        return original(sf, top)

    monkeypatch.setattr(get_credential, "_part", counted)
    # a line typed above every read of SmtpPassword: the reads move, the fix's edits with them
    edited = text.replace("# Build a connection string", "SET Typed TO 1\n# Build a connection string", 1)
    again = _lint(edited, first)
    assert len(parts) == 1 and isinstance(parts[0], n.Set) and again.flow.text(parts[0]) == "SET Typed TO 1"
    assert again.findings == _scan_path(edited)
    fixed = [f for f in again.findings if f.rule == "PAF103" and f.fix is not None]
    assert fixed and fixed[0].fix != [f for f in first.findings if f.rule == "PAF103"][0].fix


def _long_flow() -> str:
    """~100 top-level statements (several blocks, see ``statement_memo.layout``), a subflow,
    and an input the Get credential fix rewrites (its index of reads is remembered too)."""
    pos = "".join(p.read_text(encoding="utf-8") for p in PAF104_FLOWS)
    return (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8") + pos * 2 + FLOW


def test_blocks_are_cut_by_the_statements_not_by_where_they_are() -> None:
    text = _long_flow()
    body = parse(text, "buffer.robin").body
    blocks = layout(body)
    assert len(blocks) > 3
    assert blocks[0][0] == 0 and blocks[-1][1] == len(body)
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    assert all(0 < after - first <= MAX_BLOCK for first, after, *_ in blocks)
    # a line typed above moves every statement: the same blocks, with the same shapes
    moved = parse("SET Typed TO 1\n" + text, "buffer.robin").body
    assert [b[4] for b in layout(moved[1:])] == [b[4] for b in blocks]


def _count_relayouts(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each call of ``statement_memo.relayout`` made the blocks (True) or gave up."""
    made: list[bool] = []
    original = statement_memo.relayout

    def counted(*args: Any) -> Any:
        blocks = original(*args)
        made.append(blocks is not None)
        return blocks

    monkeypatch.setattr(statement_memo, "relayout", counted)
    return made


def test_random_edits_cut_blocks_from_the_last_ones_as_a_whole_cut_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each check's blocks are made from the last check's (``relayout``) when the parser
    re-parsed a region and moved the rest: they must be the blocks cut from scratch."""
    made = _count_relayouts(monkeypatch)
    text = _long_flow() * 3
    for _edited, checked in _random_edits(text, seed=5, edits=60):
        kept = checked.memos
        assert kept is not None and kept.layouts
        for body, blocks in kept.layouts.values():
            assert blocks == layout(body)
    assert sum(made) > 30  # most checks cut only around the edit


def test_two_buffers_edited_in_turn_each_cut_blocks_from_their_own_last_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What a check keeps for the next (its blocks, the parser's record of the edit) is its
    buffer's: a check of another buffer in between does not hide it (with one record for
    all, each check found the other buffer's and cut every block from scratch)."""
    made = _count_relayouts(monkeypatch)
    rng = random.Random(3)
    texts = [_long_flow() * 2, FLOW * 40 + _long_flow()]
    lasts = [_lint(text, None) for text in texts]
    for _ in range(20):
        for i in (0, 1):
            texts[i] = _edit(texts[i], rng)
            lasts[i] = _lint(texts[i], lasts[i])
            assert lasts[i].findings == _scan_path(texts[i])
            kept = lasts[i].memos
            assert kept is not None and kept.layouts
            assert all(blocks == layout(body) for body, blocks in kept.layouts.values())
    assert sum(made) > 25  # most of the 40 checks cut only around the edit


def test_nothing_of_a_buffer_outlives_its_last_check() -> None:
    """The syntax modules keep nothing of a buffer's tree once the editor drops its last
    check (a closed document): not the flow, not its top-level statements (the blocks'
    record held them, until another check replaced it)."""
    import gc
    import sys
    import weakref

    text = _long_flow() * 2
    last = _lint(text, None)
    rng = random.Random(8)
    for _ in range(5):
        text = _edit(text, rng)
        last = _lint(text, last)
    flow = weakref.ref(last.flow)
    statement = last.flow.body[-1]  # (no weak referent: its references are counted instead)
    alone = sys.getrefcount(object())  # the count of an object held by nothing but the call
    del last
    gc.collect()
    assert flow() is None
    assert sys.getrefcount(statement) == alone + 1  # this test's own name for it


def test_random_edits_on_a_long_flow_take_blocks_over_and_match_a_check_from_scratch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pafix.fixes import get_credential

    built: list[get_credential._GlobalRefs] = []
    original = get_credential._GlobalRefs.build.__func__  # type: ignore[attr-defined]

    def recorded(cls: type[get_credential._GlobalRefs], model: Any, memos: Any = None) -> get_credential._GlobalRefs:
        refs: get_credential._GlobalRefs = original(cls, model, memos)
        if memos is not None:
            built.append(refs)
        return refs

    monkeypatch.setattr(get_credential._GlobalRefs, "build", classmethod(recorded))
    calls = Calls(monkeypatch)
    statements = 0
    compared = 0
    for text, checked in _random_edits(_long_flow(), seed=11, edits=25):
        counted = calls.count
        assert checked.findings == _scan_path(text)
        calls.count = counted
        statements += _statements(checked)
        if built and built[-1].model is checked.model:  # the editor's index, as a scan builds it
            refs, fresh = built[-1], original(get_credential._GlobalRefs, checked.model, None)
            assert (refs.written, refs.opaque, refs.decls, refs.sensitive) == \
                (fresh.written, fresh.opaque, fresh.decls, fresh.sensitive)
            names = {name for part, _delta in refs.reads + fresh.reads for name in part}
            assert names and all(refs.reads_of(name) == fresh.reads_of(name) for name in names)
            compared += 1
    assert compared > 15
    assert calls.count * 10 < statements  # whole blocks, and single statements, taken over


#: the reverse direction (PAF101, "... which its data becomes"), from
#: ../shared/corpus/solutions/PADFramework_1_1_12501_241.zip (ConfigReaderLocalConnectors 59-61,
#: 70, 111-118; WorkItemHandler 221, 244), as tests/test_detection_causes.py quotes them
REVERSE = """File.ReadTextFromFile.ReadText File: Path Encoding: File.TextFileEncoding.UTF8 Content=> ConfigData
Variables.ConvertJsonToCustomObject Json: ConfigData CustomObject=> Output_ConfigObject
Excel.ReadFromExcel.ReadAllCells Instance: ExcelInstance ReadAsText: False FirstLineIsHeader: True RangeValue=> Table_ConfigData
SET Output_ConfigObject TO {{ }}
LOOP FOREACH CurrentItem IN Table_ConfigData
    SET Output_ConfigObject[CurrentItem['Property Name']] TO CurrentItem['Value']
END
"""
#: one variable used first where it may be a secret (a connection string whose text is not
#: seen: medium), then where it surely is (a password: high), as in
#: fixtures/rules/PAF104/neg_connection_string_without_password.robin and
#: fixtures/rules/PAF103/pos_input_used_as_password.robin
USES = """Database.Connect ConnectionString: SharedSecret Connection=> SqlConn
Email.SendEmail.AuthenticateAndSend SMTPServer: $'''smtp.contoso.com''' Port: 587 EnableSSL: True Username: $'''robot@contoso.com''' Password: SharedSecret From: $'''robot@contoso.com''' SendTo: $'''ops@contoso.com''' Subject: $'''Daily report''' Body: $'''All good''' IsBodyHtml: False IgnoreInvalidCertificate: False
"""
REVERSE_SUBFLOWS = """FUNCTION Complete GLOBAL
Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Conn Statement: $'''EXEC a''' Timeout: 30 Result=> Table_SPResult
END FUNCTION
FUNCTION GetItem GLOBAL
Database.ExecuteSqlStatement.ConnectAndExecute ConnectionString: Conn Statement: $'''EXEC b''' Timeout: 30 Result=> Table_SPResult
    Variables.ConvertJsonToCustomObject Json: Table_SPResult[0]['DataContent'] CustomObject=> Output_WorkItemData
END FUNCTION
"""


def test_random_edits_keep_the_reverse_pass_prepass_and_connection_texts_of_a_check_from_scratch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pafix.analysis import kinds
    from pafix.analysis.taint import engine
    from pafix.analysis.taint.reverse import reverse_stores as reverse
    from pafix.core import catalogue_for, names_for
    from pafix.config import DEFAULT

    seen: list[tuple[Any, list[Any]]] = []

    def recorded(model: Any, plan_of: Any, names: Any, skip: Any = frozenset(), memos: Any = None) -> list[Any]:
        events = reverse(model, plan_of, names, skip, memos)
        seen.append((model, events))
        assert events == reverse(model, plan_of, names, skip)  # the same, worked out whole
        return events

    monkeypatch.setattr(engine, "reverse_stores", recorded)
    pos = "".join(p.read_text(encoding="utf-8") for p in PAF104_FLOWS)
    text = ("@SENSITIVE: [Output_ConfigObject, Output_WorkItemData]\n" + (REVERSE + USES + pos) * 2
            + (ROOT / "examples" / "smtp-report.robin").read_text(encoding="utf-8") + REVERSE_SUBFLOWS)
    reported = used = surely = 0
    for edited, checked in _random_edits(text, seed=23, edits=25):
        assert seen[-1][0] is checked.model
        assert checked.findings == _scan_path(edited)
        assert checked.analysis.connection_texts == kinds.connection_texts(checked.model)
        whole = engine.Analysis(checked.model, catalogue_for(DEFAULT), names_for(DEFAULT))  # a scan's
        assert checked.analysis.fields == whole.fields
        assert list(checked.analysis.secret_used.items()) == list(whole.secret_used.items())
        used += len(whole.secret_used)
        shared = whole.secret_used.get("SharedSecret")
        surely += shared is not None and shared.confidence == "high"
        reported += sum("becomes" in f.message for f in checked.findings)
    assert reported > 25 and used > 25 and surely > 10


PAF102_FLOWS = sorted((ROOT / "fixtures" / "rules" / "PAF102").glob("pos_*.robin"))


def _one_header(paths: list[Path]) -> str:
    """The flows' Main bodies one after the other, each after a comment line, below one
    header (their sensitive names, their first declaration of each input): an input declared
    below an edit would move, and with it the origin its value starts the analysis with."""
    sensitive: list[str] = []
    io: dict[str, str] = {}
    bodies: list[str] = []
    for i, path in enumerate(paths):
        flow = parse(path.read_text(encoding="utf-8", errors="replace"), path.name, recover=True)
        if flow.errors or flow.functions:
            continue
        body = [f"# note {i}"]
        for stmt in flow.body:
            if isinstance(stmt, n.Sensitive):
                sensitive.extend(x.name for x in stmt.names if x.name not in sensitive)
            elif isinstance(stmt, n.IODecl):
                io.setdefault(stmt.name.name, flow.text(stmt))
            elif not isinstance(stmt, (n.Annotation, n.Import)):
                body.append(flow.text(stmt))
        bodies.append("\n".join(body) + "\n")
    return f"@SENSITIVE: [{', '.join(sensitive)}]\n" + "".join(x + "\n" for x in io.values()) + "".join(bodies)


def test_typing_in_comments_takes_sink_findings_of_replayed_events_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """As an author types: letters typed into and deleted from comment lines (the analysis
    replays the chunks above each edit; random edits of any kind are tested above)."""
    from pafix.analysis.taint import Event
    from pafix.rules.paf102_secret_reaches_sink import SecretReachesSink

    worked: list[Event] = []
    original = SecretReachesSink.check_event

    def counted(rule: SecretReachesSink, ctx: Context, event: Event) -> Iterable[Finding]:
        worked.append(event)
        return original(rule, ctx, event)

    monkeypatch.setattr(SecretReachesSink, "check_event", counted)
    text = _one_header(PAF102_FLOWS * 2)
    rng = random.Random(31)
    last = _lint(text, None)
    sinks = worked_out = 0
    for _ in range(30):
        notes = [i for i in range(len(text)) if text.startswith("\n# note", i)]
        at = rng.choice(notes) + len("\n# note")
        text = text[:at] + rng.choice("abc ") + text[at:] if rng.random() < 0.6 else text[:at] + text[at + 1:]
        before = len(worked)
        last = _lint(text, last)
        worked_out += len(worked) - before
        sinks += sum(e.kind == "sink" for e in last.analysis.events.values())
        assert last.findings == _scan_path(text)
    assert sinks > 300
    assert worked_out * 4 < sinks * 3  # a quarter of the sink events (of chunks above the edits) taken over




def _count_sink_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter (its one item) of the sink events PAF102 works out itself."""
    from pafix.rules.paf102_secret_reaches_sink import SecretReachesSink

    original = SecretReachesSink.check_event
    calls = [0]

    def check_event(rule: SecretReachesSink, ctx: Context, event: Any) -> Iterable[Finding]:
        calls[0] += 1
        return original(rule, ctx, event)

    monkeypatch.setattr(SecretReachesSink, "check_event", check_event)
    return calls

def test_sink_findings_below_an_edit_are_the_last_ones_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Letters typed into the first comment line and deleted again: the sink events below the
    edit are the last keystroke's events moved as a whole (``Recorder.shifted``), and their
    findings are the last check's moved, not worked out again -- yet the same as a scan's."""
    calls = _count_sink_checks(monkeypatch)
    text = _one_header(PAF102_FLOWS * 2)
    at = text.index("\n# note") + len("\n# note")
    versions = [text[:at] + "abc"[:k] + text[at:] for k in (1, 2, 3, 2, 1, 0)] * 3
    last = _lint(text, None)
    sinks = worked_out = 0
    for version in versions:
        calls[0] = 0
        last = _lint(version, last)
        worked_out += calls[0]
        sinks += sum(e.kind == "sink" for e in last.analysis.events.values())
        assert last.findings == _scan_path(version)
    assert sinks > 200
    assert worked_out * 5 < sinks, (worked_out, sinks)  # the sinks lie below the edits, moved


def test_sink_findings_below_an_edit_keep_an_origin_above_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sink event below the edit whose origin lies above it (an input the header declares
    sensitive): the origin stays, the rest moves, and its findings are still the last
    check's with the ranges below the edit moved."""
    calls = _count_sink_checks(monkeypatch)
    # (the header of fixtures/rules/PAF101/pos_raw_data_before_sensitive_output.robin's form)
    text = ("@SENSITIVE: [Token]\n"
            "@INPUT Token : { 'Description': '', 'FriendlyName': 'Token', 'Type': 'String', 'IsOptional': True }\n"
            "# note\n" + "".join(
                f"Display.ShowMessageDialog.ShowMessage Title: $'''Step {i}''' Message: Token Icon: Display.Icon.None "
                "Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False "
                "ButtonPressed=> Pressed\n" for i in range(80)))
    at = text.index("# note") + len("# note")
    last = _lint(text, None)
    assert sum(f.rule == "PAF102" for f in last.findings) == 80
    sinks = worked_out = 0
    for k in (1, 2, 3, 2, 1, 0):
        version = text[:at] + "abc"[:k] + text[at:]
        calls[0] = 0
        last = _lint(version, last)
        worked_out += calls[0]
        sinks += sum(e.kind == "sink" for e in last.analysis.events.values())
        assert last.findings == _scan_path(version)
    assert worked_out * 2 < sinks, (worked_out, sinks)
