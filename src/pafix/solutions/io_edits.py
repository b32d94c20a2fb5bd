"""What the solution rewrite does to a flow's ``Inputs``/``Outputs`` JSON, said out loud.

The rewrite brings the JSON in line with the script: an input or output newly marked sensitive
gets ``"format": "password"``, and -- as Power Automate Desktop writes every sensitive input --
``"value": null``, which drops the designer's default value. It does so only for a variable
that holds a **credential** (the finding that marked it said so) or that the author had already
marked sensitive in the script (the two places disagreed); sensitive data and everything else
is left as it is (:func:`allowed_io`).

Nothing of it is silent. :func:`describe` lists each entry's edit; the ``rewrite`` diff shows
the entries before and after (:func:`render`), the summary names every dropped default, and
the audit log records it (:func:`audit_entries`). A default is never printed or logged: it may
be a secret (a credential's default *is* the secret). Empty defaults (``""``, ``[]``, ``{}``)
are shown as they are; any other one as ``<redacted>``. A dropped default is
recoverable from the original export: ``--backup SUFFIX`` keeps it next to the solution, and
the audit record's ``sha256_before`` identifies the script it belonged to. A hash of the
default itself is deliberately not recorded: a short password's hash can be guessed back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class IOEdit:
    """One ``Inputs``/``Outputs`` entry the rewrite changes."""

    section: str  #: "Inputs" or "Outputs"
    name: str
    action: str  #: "format password" or "removed"
    old_format: str | None
    #: the default as it may be shown (empty, or a redaction marker); None when there was none
    old_default: str | None
    #: whether the designer's default is dropped (a non-empty one replaced by null)
    drops_default: bool


def allowed_io(
    newly_sensitive: Iterable[str], credentials: frozenset[str], already_marked: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """Split the inputs/outputs the new script marks sensitive into those that may get
    ``"format": "password"`` (credentials, or already marked by the author) and those left
    as they are (sensitive data the rewrite marked in the script only)."""
    allowed: set[str] = set()
    held: set[str] = set()
    for name in newly_sensitive:
        (allowed if name in credentials or name in already_marked else held).add(name)
    return frozenset(allowed), frozenset(held)


def _props(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    schema = doc.get("schema") if isinstance(doc, Mapping) else None
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    return dict(props) if isinstance(props, Mapping) else {}


def _shown_default(value: Any) -> str | None:
    """A default as it may be shown: empty ones as they are, anything else redacted."""
    if value is None:
        return None
    if isinstance(value, str):
        if "".join(value.split()) in ("", "[]", "{}"):
            return json.dumps(value)
        return "<redacted>"
    if value in ([], {}):
        return json.dumps(value)
    return "<redacted>"


def _is_empty(value: Any) -> bool:
    shown = _shown_default(value)
    return shown is None or not shown.startswith("<")


def describe(
    inputs: Mapping[str, Any] | None, outputs: Mapping[str, Any] | None,
    sensitive: frozenset[str], removed: frozenset[str],
) -> list[IOEdit]:
    """The entries a :class:`~pafix.solutions.export.FlowChange` edits, with what they held."""
    edits: list[IOEdit] = []
    for section, doc in (("Inputs", inputs), ("Outputs", outputs)):
        props = _props(doc)
        folded = {k.casefold(): k for k in props}
        for name in sorted(sensitive | (removed if section == "Inputs" else frozenset())):
            key = name if name in props else folded.get(name.casefold())
            entry = props.get(key) if key is not None else None
            if not isinstance(entry, Mapping):
                continue
            old_format = entry.get("format")
            value = entry.get("value")
            if section == "Inputs" and name in removed:
                edits.append(IOEdit(section, name, "removed", old_format, _shown_default(value), not _is_empty(value)))
            elif name in sensitive and (old_format != "password" or value is not None):
                edits.append(IOEdit(section, name, "format password", old_format, _shown_default(value),
                                    section == "Inputs" and not _is_empty(value)))
    return edits


def render(edits: Iterable[IOEdit]) -> tuple[str, str]:
    """The entries before and after, one comment line each, defaults redacted: text the
    rewrite's masked diff can show (it parses both sides as Robin)."""
    before: list[str] = []
    after: list[str] = []
    for e in edits:
        value = "null" if e.old_default is None else e.old_default
        before.append(f"# {e.section}.{e.name}: \"format\": {json.dumps(e.old_format)}, \"value\": {value}\n")
        if e.action != "removed":
            note = " (default dropped, as PAD writes sensitive inputs)" if e.drops_default else ""
            after.append(f"# {e.section}.{e.name}: \"format\": \"password\", \"value\": null{note}\n")
    return "".join(before), "".join(after)


def summary(edits: Iterable[IOEdit]) -> list[str]:
    """Notes for the rewrite's summary: what was set, and every default dropped."""
    notes: list[str] = []
    marked = [e for e in edits if e.action == "format password"]
    if marked:
        notes.append("\"format\": \"password\" set for "
                     + ", ".join(f"{e.section}.{e.name}" for e in marked))
    dropped = [e for e in edits if e.drops_default]
    if dropped:
        notes.append("default value dropped (PAD keeps none for a sensitive input) for "
                     + ", ".join(f"{e.section}.{e.name}" for e in dropped)
                     + "; the original export (--backup) still holds it")
    return notes


def audit_entries(edits: Iterable[IOEdit]) -> list[dict[str, str | bool | None]]:
    """What the audit log records of the edits: names and formats, never a default's text."""
    return [
        {"section": e.section, "name": e.name, "change": e.action, "format_before": e.old_format,
         "default_dropped": e.drops_default, "default_before": e.old_default}
        for e in edits
    ]
