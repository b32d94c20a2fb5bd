"""A content-hash cache of scan results, so that re-scanning an unchanged fleet is cheap.

The key of an entry is a SHA-256 over everything a result depends on:

* the flow's bytes (a loose file), or the text and metadata of every flow of a solution (the
  flows of one solution are checked together, so a solution is cached as one entry: a change
  in a parent flow can change what its children report);
* pafix's version and a fingerprint of its own code and data (every ``.py``, the shipped
  catalogue and the grammar), so that an upgrade or a local edit never reuses old results;
* :meth:`Config.cache_key` and any other setting of the scan (DLP policies).

The value is the serialized :class:`~pafix.findings.FileResult` list, as JSON. Findings never
hold a secret (messages name variables, fixes insert names and templates), and neither does an
entry: no source text is stored. The path of a result is not part of the entry (it is the
unit's path when loaded), so moving or copying a folder keeps its entries.

The folder is safe to delete at any time: ``$PAFIX_CACHE_DIR``, else ``$XDG_CACHE_HOME/pafix``,
else ``~/.cache/pafix``. Entries are written atomically (a temporary file, then a rename); an
entry that cannot be read or decoded is ignored and rewritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pafix import __version__
from pafix.cachedir import default_cache_dir
from pafix.config import Config
from pafix.cli.stat_index import StatIndex
from pafix.findings import Edit, FileResult, Finding, Fix, SourceError, TraceStep
from pafix.units import Unit

CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]
_CODE_SUFFIXES = (".py", ".toml", ".json", ".lark")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of pafix's own code and data: the shipped catalogue, the grammar, every module."""
    from pafix.syntax.grammar import grammar_text

    h = hashlib.sha256()
    h.update(__version__.encode())
    h.update(grammar_text().encode("utf-8"))
    for path in sorted(p for p in _PACKAGE.rglob("*") if p.suffix in _CODE_SUFFIXES and p.is_file()):
        if "__pycache__" in path.parts:
            continue
        h.update(str(path.relative_to(_PACKAGE)).encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


def canonical(value: object) -> object:
    """A deterministic, JSON-able picture of a settings object (sets sorted, dataclasses
    spelled out), so that its hash is the same in every process."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__qualname__] + [[f.name, canonical(getattr(value, f.name))]
                                              for f in dataclasses.fields(value)]
    if isinstance(value, dict):
        return sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def scan_key(config: Config, extra: object = None) -> str:
    """The part of every key that depends on the scan, not on the flow."""
    h = hashlib.sha256()
    h.update(f"pafix-cache-{CACHE_FORMAT}\0".encode())
    h.update(code_fingerprint().encode())
    h.update(config.cache_key().encode("utf-8", "surrogateescape"))
    h.update(b"\0")
    h.update(json.dumps(canonical(extra), sort_keys=True).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _text_bytes(text: str | None) -> bytes:
    return b"\xff<unreadable>" if text is None else text.encode("utf-8", "surrogatepass")


def unit_key(units: Sequence[Unit], scan: str) -> str:
    """The key of one task: a loose file, or all the flows of one solution, in order."""
    h = hashlib.sha256()
    h.update(scan.encode())
    for unit in units:
        h.update(b"\0unit\0")
        if unit.flow is None and unit.raw is not None:
            h.update(b"raw\0")
            h.update(unit.raw)
        else:
            h.update(b"text\0")
            h.update(_text_bytes(unit.text))
        meta = [unit.error, unit.flow, unit.workflow_id, sorted(unit.password_io),
                None if unit.io_names is None else sorted(unit.io_names)]
        h.update(json.dumps(meta).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


# ---- (de)serializing results ------------------------------------------------------------------


def _edit(d: dict[str, Any]) -> Edit:
    return Edit(int(d["start"]), int(d["end"]), str(d["text"]))


def _fix(d: dict[str, Any] | None) -> Fix | None:
    if d is None:
        return None
    return Fix(tuple(_edit(e) for e in d["edits"]), d["safety"], str(d["description"]))


def _step(d: dict[str, Any]) -> TraceStep:
    return TraceStep(int(d["line"]), int(d["column"]), str(d["message"]), int(d["start"]), int(d["end"]), d["flow"])


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(
        str(d["rule"]), str(d["name"]), d["severity"], str(d["message"]), int(d["line"]), int(d["column"]),
        int(d["end_line"]), int(d["end_column"]), int(d["start"]), int(d["end"]), str(d["subflow"]),
        d["variable"], tuple(_step(s) for s in d["trace"]), _fix(d["fix"]), str(d["fingerprint"]), d["flow"],
        d.get("kind"), d.get("confidence", "high"),
    )


def result_to_json(result: FileResult) -> dict[str, Any]:
    """A result without its path (the path is the unit's when it is loaded)."""
    d = dataclasses.asdict(result)
    del d["path"]
    return d


def result_from_json(d: dict[str, Any], path: str) -> FileResult:
    return FileResult(
        path,
        tuple(_finding(f) for f in d["findings"]),
        tuple(SourceError(str(e["message"]), int(e["line"]), int(e["column"]), e["flow"]) for e in d["errors"]),
        int(d["lines"]),
        d["flow"],
        tuple(_finding(f) for f in d["suppressed"]),
    )


# ---- the folder -------------------------------------------------------------------------------


class ResultCache:
    """Entries ``<dir>/v1/<2 hex>/<key>.json``. Counters tell what a scan did (for tests and
    for ``--stats``-style reporting): ``hits``, ``misses``, ``writes``, ``corrupt``."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self._root = os.path.join(self.directory, f"v{CACHE_FORMAT}")  # a string: joined per file
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self.corrupt = 0
        self.write_errors = 0

    def stat_index(self, scan: str) -> StatIndex:
        """The index of loose files' ``stat`` -> key for the scan setting ``scan`` (see
        :mod:`pafix.cli.stat_index`)."""
        return StatIndex(self._root, scan, self.write)

    def _file(self, key: str) -> str:
        return os.path.join(self._root, key[:2], f"{key}.json")

    def get(self, key: str, units: Sequence[Unit]) -> list[FileResult] | None:
        try:
            with open(self._file(key), "rb") as f:
                data = f.read()
        except OSError:
            self.misses += 1
            return None
        try:
            doc = json.loads(data)
            if doc.get("format") != CACHE_FORMAT or doc.get("key") != key or len(doc["results"]) != len(units):
                raise ValueError("stale entry")
            results = [result_from_json(d, u.path) for d, u in zip(doc["results"], units)]
        except (ValueError, KeyError, TypeError, AttributeError):
            self.corrupt += 1
            self.misses += 1
            return None
        self.hits += 1
        return results

    def put(self, key: str, results: Sequence[FileResult]) -> None:
        doc = {"format": CACHE_FORMAT, "key": key, "results": [result_to_json(r) for r in results]}
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        if self.write(self._file(key), data):
            self.writes += 1

    def write(self, file: str, data: bytes) -> bool:
        """Write a file of the cache folder atomically (a temporary file, then a rename).
        ``False`` when it cannot (a read-only or full disk: the scan goes on without caching)."""
        path = Path(file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            self.write_errors += 1
            return False
        return True


__all__ = ["ResultCache", "code_fingerprint", "default_cache_dir", "result_from_json", "result_to_json",
           "scan_key", "unit_key"]
