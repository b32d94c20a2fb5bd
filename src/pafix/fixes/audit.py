"""An append-only JSON Lines log of the rewrites pafix made.

One line per rewritten file (or solution workflow)::

    {"time": "2026-01-31T12:00:00.123Z", "path": "flows/Main.robin", "flow": null,
     "sha256_before": "...", "sha256_after": "...",
     "fixes": [{"rule": "PAF101", "variable": "Password"}],
     "tool": "pafix", "version": "0.1.0"}

The record holds hashes, rule codes and variable names only -- never a secret value, a
message or a snippet of the flow. As a guard against a value passed by mistake, rule
codes and variable names must look like identifiers (no spaces, quotes or ``%``),
otherwise :class:`ValueError` is raised and nothing is written.

A solution workflow whose ``Inputs``/``Outputs`` JSON was edited also gets ``"io"``: one entry
per edited entry (section, name, change, format before, whether its default was dropped, and
the default as ``"<redacted>"`` or, when empty, as its JSON). A default's text is never logged
(a credential's default is the secret, and a hash of a short one can be guessed back); the
original export (``--backup``) keeps it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Final

import pafix

__all__ = ["append_audit_record"]

_RULE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_VARIABLE: Final = re.compile(r"[^\W\d][\w.\[\]-]{0,255}")


def _harmless_default(default: object) -> bool:
    """A default the log may hold: a redaction marker, or the JSON of an empty value."""
    if not isinstance(default, str):
        return False
    if default == "<redacted>":
        return True
    try:
        value = json.loads(default)
    except ValueError:
        return False
    if isinstance(value, str):
        value = "".join(value.split())
        return value in ("", "[]", "{}")
    return value in ([], {})


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def append_audit_record(
    log_path: str | os.PathLike[str],
    *,
    path: str,
    before: bytes,
    after: bytes,
    fixes: Sequence[tuple[str, str | None]],
    flow: str | None = None,
    io: Sequence[Mapping[str, str | bool | None]] = (),
) -> None:
    """Append one JSON line describing a rewrite of ``path`` to ``log_path``.

    ``fixes`` are ``(rule code, variable name or None)`` pairs. The line is written with a
    single write on a file opened for appending, then flushed and fsynced, so concurrent
    pafix runs appending to one log do not interleave within a line.
    """
    entries: list[dict[str, str | None]] = []
    for rule, variable in fixes:
        if not isinstance(rule, str) or not _RULE.fullmatch(rule):
            raise ValueError("audit: a fix's rule is not a rule code (value not logged)")
        if variable is not None and (
            not isinstance(variable, str) or not _VARIABLE.fullmatch(variable)
        ):
            raise ValueError("audit: a fix's variable is not a variable name (value not logged)")
        entries.append({"rule": rule, "variable": variable})
    io_entries = [dict(e) for e in io]
    for e in io_entries:  # names only: a default's text never reaches the log
        name = e.get("name")
        default = e.get("default_before")
        if not isinstance(name, str) or not _VARIABLE.fullmatch(name):
            raise ValueError("audit: an Inputs/Outputs entry's name is not a variable name (value not logged)")
        if default is not None and not _harmless_default(default):
            raise ValueError("audit: an Inputs/Outputs default is not redacted (value not logged)")
    record: dict[str, object] = {
        "time": _utc_now(),
        "path": path,
        "flow": flow,
        "sha256_before": hashlib.sha256(before).hexdigest(),
        "sha256_after": hashlib.sha256(after).hexdigest(),
        "fixes": entries,
        **({"io": io_entries} if io_entries else {}),
        "tool": "pafix",
        "version": pafix.__version__,
    }
    # ASCII-only JSON: paths that are not valid Unicode (surrogate escapes) still serialise
    line = (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")
    with open(log_path, "ab") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
