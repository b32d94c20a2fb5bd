"""Editor settings (``pafix.*``) and the per-folder ``[tool.pafix]`` / ``pafix.toml`` cache."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pafix.config import DEFAULT, Config, find_config, load_config
from pafix.errors import PafixError
from pafix.findings import CONFIDENCES

DEFAULT_DEBOUNCE_MS = 150
DEFAULT_FIX_ON_SAVE_TIMEOUT_MS = 500


@dataclass(frozen=True, slots=True)
class Settings:
    #: ``textDocument/willSaveWaitUntil`` returns the safe fixes
    fix_on_save: bool = False
    #: past this budget willSaveWaitUntil returns no edits rather than hold up the save
    fix_on_save_timeout_ms: int = DEFAULT_FIX_ON_SAVE_TIMEOUT_MS
    #: wait this long after the last change before checking (0: check every change)
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    #: diagnostics of at least this confidence (None: the configuration's, default medium);
    #: "fix all" and fix on save act on high-confidence findings only
    min_confidence: str | None = None


_KEYS: dict[str, tuple[str, type]] = {
    "fixOnSave": ("fix_on_save", bool),
    "fixOnSaveTimeoutMs": ("fix_on_save_timeout_ms", int),
    "debounceMs": ("debounce_ms", int),
    "minConfidence": ("min_confidence", str),
}


def _section(raw: Any) -> dict[str, Any]:
    """The ``pafix`` settings in any of the shapes clients send: ``{"pafix": {...}}``,
    ``{"pafix.fixOnSave": true}`` or the section itself (``{"fixOnSave": true}``)."""
    out: dict[str, Any] = {}
    if not isinstance(raw, Mapping):
        return out
    nested = raw.get("pafix")
    if isinstance(nested, Mapping):
        out.update(nested)
    for key, value in raw.items():
        if isinstance(key, str) and key.startswith("pafix.") and key[6:] in _KEYS:
            out[key[6:]] = value
        elif key in _KEYS:
            out[key] = value
    return out


def merge_settings(current: Settings, raw: Any) -> Settings:
    """``current`` with the values of ``raw`` that are present and well-typed."""
    section = _section(raw)
    if not section:
        return current
    changes: dict[str, Any] = {}
    for key, (attr, typ) in _KEYS.items():
        if key not in section or section[key] is None:
            continue
        value = section[key]
        if typ is bool and isinstance(value, bool):
            changes[attr] = value
        elif typ is int and isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            changes[attr] = int(value)
        elif typ is str and value in CONFIDENCES:
            changes[attr] = value
    return replace(current, **changes) if changes else current


@dataclass(frozen=True, slots=True)
class _Entry:
    config: Config
    source: Path | None
    mtime: int | None


def _mtime(path: Path | None) -> int | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class ConfigCache:
    """``find_config`` + ``load_config`` for a document's folder, cached per folder.

    An entry is reloaded when its configuration file changes (mtime) or after
    :meth:`clear` (the server calls it when a watched configuration file changes). A file that
    cannot be used is reported once through ``report`` and the defaults are used.
    """

    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._entries: dict[Path, _Entry] = {}
        self._reported: set[str] = set()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def for_path(self, path: Path | None) -> Config:
        if path is None:
            return DEFAULT
        folder = path.parent
        with self._lock:
            entry = self._entries.get(folder)
            if entry is not None and _mtime(entry.source) == entry.mtime:
                return entry.config
            entry = self._load(folder)
            self._entries[folder] = entry
            return entry.config

    def _load(self, folder: Path) -> _Entry:
        try:
            source = find_config(folder)
        except OSError:
            source = None
        if source is None:
            return _Entry(DEFAULT, None, None)
        mtime = _mtime(source)
        try:
            return _Entry(load_config(source), source, mtime)
        except PafixError as exc:
            message = f"pafix: {exc}; using the default configuration"
            key = f"{source}:{mtime}:{exc}"
            if key not in self._reported:
                self._reported.add(key)
                self._report(message)
            return _Entry(DEFAULT, source, mtime)


__all__ = ["ConfigCache", "DEFAULT_DEBOUNCE_MS", "DEFAULT_FIX_ON_SAVE_TIMEOUT_MS", "Settings", "merge_settings"]
