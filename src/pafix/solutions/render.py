"""Rendering changes: the new bytes of each changed member, where only the texts of the changed
``<Definition>``/``<Inputs>``/``<Outputs>`` elements differ from the original bytes.

Before an element is rewritten, re-encoding its *unchanged* value must reproduce the original
text byte for byte; otherwise the rewrite is refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from pafix.solutions.definition import _definition_encoder
from pafix.solutions.model import EmbeddedFlow, FlowChange, Solution, SolutionError, _Member, _norm_id
from pafix.solutions.schema import _edit_io_json, _io_needs_change
from pafix.solutions.xmltext import _element_xml_style, _xml_escape, _xml_text


def _flow_edits(flow: EmbeddedFlow, member: _Member, change: FlowChange) -> list[tuple[int, int, str]]:
    loc = flow._loc
    where = f"{flow.container}: {flow.member}: workflow {flow.name!r} ({flow.workflow_id})"
    if loc is None:
        raise SolutionError(f"{where}: flow has no location information")
    text = member.text
    edits: list[tuple[int, int, str]] = []
    if loc.v1:
        if change.script != flow.script or _io_needs_change(
            flow.inputs, change.sensitive_io, change.removed_inputs
        ) or _io_needs_change(flow.outputs, change.sensitive_io, frozenset()):
            raise SolutionError(f"{where}: cannot rewrite a v1 clientdata flow")
        return edits
    if change.script != flow.script:
        assert loc.definition is not None
        start, end = loc.definition
        raw = text[start:end]
        encode = _definition_encoder(raw, member, where)
        if encode(flow.script) != raw:
            raise SolutionError(
                f"{where}: re-encoding <Definition> does not reproduce the original text; "
                "refusing to rewrite it"
            )
        edits.append((start, end, encode(change.script)))
    for span, label, removed in (
        (loc.inputs, "Inputs", change.removed_inputs),
        (loc.outputs, "Outputs", frozenset[str]()),
    ):
        if span is None or not (change.sensitive_io or removed):
            continue
        start, end = span
        raw = text[start:end]
        value = _xml_text(raw, where)
        try:
            new_value = _edit_io_json(value, change.sensitive_io, removed)
        except (ValueError, RecursionError) as exc:
            raise SolutionError(f"{where}: cannot edit <{label}> ({exc})") from None
        if new_value == value:
            continue
        style = _element_xml_style(raw, member)
        if _xml_escape(value, style, where) != raw:
            raise SolutionError(
                f"{where}: re-encoding <{label}> does not reproduce the original text; "
                "refusing to rewrite it"
            )
        edits.append((start, end, _xml_escape(new_value, style, where)))
    return edits


def _splice_member(member: _Member, edits: list[tuple[int, int, str]], where: str) -> bytes:
    if not member.splice_ok:
        raise SolutionError(
            f"{where}: the member text does not round-trip through {member.codec}; refusing to rewrite it"
        )
    edits = sorted(edits)
    for (_s1, e1, _t1), (s2, _e2, _t2) in zip(edits, edits[1:]):
        if e1 > s2:
            raise SolutionError(f"{where}: overlapping edits")
    text, raw, codec = member.text, member.raw, member.codec
    prev_char, prev_byte = 0, len(member.bom)
    parts: list[bytes] = [raw[:prev_byte]]
    for start, end, new in edits:
        byte_start = prev_byte + len(text[prev_char:start].encode(codec))
        byte_end = byte_start + len(text[start:end].encode(codec))
        parts.append(raw[prev_byte:byte_start])
        parts.append(new.encode(codec, errors="xmlcharrefreplace"))
        prev_char, prev_byte = end, byte_end
    parts.append(raw[prev_byte:])
    return b"".join(parts)


def render_changes(solution: Solution, changes: Mapping[str, FlowChange]) -> dict[str, bytes]:
    """New bytes of every member that changes, keyed by member name.

    ``changes`` is keyed by WorkflowId (braces and case are ignored). Only the texts of the
    changed ``<Definition>``/``<Inputs>``/``<Outputs>`` elements differ from the original bytes.
    """
    members = {m.name: m for m in solution._members}
    flows = {f.workflow_id: f for f in solution.flows}
    edits: dict[str, list[tuple[int, int, str]]] = {}
    given: set[str] = set()
    for key, change in changes.items():
        if _norm_id(key) in given:
            raise SolutionError(f"{solution.path}: WorkflowId {_norm_id(key)} is given twice")
        given.add(_norm_id(key))
        flow = flows.get(_norm_id(key))
        if flow is None:
            raise SolutionError(f"{solution.path}: no desktop flow with WorkflowId {_norm_id(key)}")
        member = members.get(flow.member)
        if member is None:
            raise SolutionError(f"{solution.path}: {flow.member}: member not loaded")
        found = _flow_edits(flow, member, change)
        if found:
            edits.setdefault(flow.member, []).extend(found)
    out: dict[str, bytes] = {}
    for member in solution._members:
        if member.name in edits:
            new = _splice_member(member, edits[member.name], f"{solution.path}: {member.name}")
            if new != member.raw:
                out[member.name] = new
    return out

