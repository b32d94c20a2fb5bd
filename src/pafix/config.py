"""Configuration: ``[tool.pafix]`` in ``pyproject.toml`` or a ``pafix.toml``, found upward."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from pafix.errors import PafixError
from pafix.findings import CONFIDENCES, SEVERITIES, Confidence, Severity


class ConfigError(PafixError):
    """A configuration file pafix cannot use (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Config:
    select: frozenset[str] | None = None  #: rule codes or prefixes to run; None = all
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    secret_names: tuple[str, ...] = ()
    non_secret_names: tuple[str, ...] = ()
    catalogue: tuple[Mapping[str, object], ...] = ()
    credential_template: str | None = None
    #: input variable -> credential name for the Get credential rewrite
    credential_names: Mapping[str, str] = field(default_factory=dict)
    credential_suffix: str = "_Credential"
    source: str | None = None  #: the file it was read from
    #: findings below this confidence are not reported (``min-confidence``, ``--min-confidence``)
    min_confidence: Confidence = "medium"

    def enabled(self, code: str) -> bool:
        if any(code.startswith(p) for p in self.ignore):
            return False
        if self.select is None:
            return True
        return any(code.startswith(p) for p in self.select)

    def with_overrides(self, select: list[str] | None, ignore: list[str] | None) -> Config:
        from dataclasses import replace

        out = self
        if select:
            out = replace(out, select=frozenset(s.strip().upper() for s in select))
        if ignore:
            out = replace(out, ignore=out.ignore | frozenset(s.strip().upper() for s in ignore))
        return out

    def with_min_confidence(self, level: str | None) -> Config:
        from dataclasses import replace

        if level is None:
            return self
        if level not in CONFIDENCES:
            raise ConfigError(f"min-confidence must be one of {', '.join(CONFIDENCES)}, not {level!r}")
        return replace(self, min_confidence=level)

    def cache_key(self) -> str:
        return repr((sorted(self.select or []), sorted(self.ignore), sorted(self.severity.items()),
                     self.secret_names, self.non_secret_names, repr(self.catalogue),
                     self.credential_template, sorted(self.credential_names.items()), self.credential_suffix,
                     self.min_confidence))


DEFAULT = Config()


def find_config(start: Path) -> Path | None:
    """The nearest ``pafix.toml``, or ``pyproject.toml`` with a ``[tool.pafix]`` table."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pafix.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            if isinstance(data.get("tool"), dict) and "pafix" in data["tool"]:
                return pyproject
    return None


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("pafix", {}) if path.name == "pyproject.toml" else data
    return parse_config(table, str(path))


def _str_list(table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(cast(list[str], value))


KNOWN_KEYS = {"select", "ignore", "severity", "secret-names", "non-secret-names", "catalogue", "credentials",
              "min-confidence"}


def parse_config(table: Mapping[str, object], where: str = "<config>") -> Config:
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(KNOWN_KEYS))})")
    select = _str_list(table, "select", where) if "select" in table else None
    ignore = _str_list(table, "ignore", where)
    severity_raw = table.get("severity", {})
    if not isinstance(severity_raw, dict):
        raise ConfigError(f"{where}: 'severity' must be a table of CODE = \"error|warning|note\"")
    severity: dict[str, Severity] = {}
    for code, level in severity_raw.items():
        if level not in SEVERITIES:
            raise ConfigError(f"{where}: severity of {code} must be one of error, warning, note")
        severity[str(code).upper()] = cast(Severity, level)
    catalogue = table.get("catalogue", [])
    if not isinstance(catalogue, list) or not all(isinstance(e, dict) for e in catalogue):
        raise ConfigError(f"{where}: 'catalogue' must be an array of tables ([[tool.pafix.catalogue]])")
    creds = table.get("credentials", {})
    if not isinstance(creds, dict):
        raise ConfigError(f"{where}: 'credentials' must be a table")
    template = creds.get("template")
    if template is not None and not isinstance(template, str):
        raise ConfigError(f"{where}: credentials.template must be a string")
    names = creds.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise ConfigError(f"{where}: credentials.names must map input names to credential names")
    suffix = creds.get("suffix", "_Credential")
    if not isinstance(suffix, str) or not suffix.replace("_", "").isalnum():
        raise ConfigError(f"{where}: credentials.suffix must be an identifier suffix")
    level = table.get("min-confidence", "medium")
    if level not in CONFIDENCES:
        raise ConfigError(f"{where}: 'min-confidence' must be one of {', '.join(CONFIDENCES)}")
    return Config(
        frozenset(s.upper() for s in select) if select is not None else None,
        frozenset(s.upper() for s in ignore),
        severity,
        _str_list(table, "secret-names", where),
        _str_list(table, "non-secret-names", where),
        tuple(catalogue),
        template,
        dict(names),
        suffix,
        where,
        level,
    )
