"""Loading and validating the action catalogue.

The shipped catalogue lives in ``pafix/analysis/catalogue.toml``; users add or override entries
through their configuration (see ``docs/catalogue.md``). This module reads the TOML, checks
every field (unknown keys, patterns, parameter names, sink kinds, glob references,
the Get credential template) and builds a :class:`~pafix.analysis.catalogue.spec.Catalogue`.
Conditions are stored with their globs expanded (``$name`` references) and case-folded.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from pafix.analysis.catalogue.spec import (
    EVIDENCE,
    Evidence,
    SINK_KINDS,
    TEXT_FORMS,
    TextForm,
    ActionSpec,
    Catalogue,
    CatalogueError,
    Clause,
    Condition,
    OutputRule,
    SinkKind,
    SinkRule,
    Sources,
    VALUE_KINDS,
    ValueKind,
)
from pafix.packaged import load_toml

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATTERN_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*(?:\.?\*)?\Z")
_GLOB_REF_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\Z")
_TEMPLATE_FIELDS = frozenset(("credential", "variable"))

_ENTRY_FIELDS = frozenset(
    (
        "pattern",
        "secret_params",
        "sinks",
        "outputs",
        "secret_outputs",
        "updates",
        "action_sinks",
        "error_echoes",
        "path_params",
        "evidence",
        "note",
        "text_forms",
    )
)
_DEFAULT_FIELDS = frozenset(("sinks", "outputs", "action_sinks", "note"))


# --------------------------------------------------------------------------- loading


def load_catalogue(
    extra: Sequence[Mapping[str, object]] = (), credential_template: str | None = None
) -> Catalogue:
    """Load the shipped catalogue, then apply ``extra`` entries (from user configuration,
    same schema as a TOML ``[[action]]`` entry). An extra entry whose ``pattern`` equals a
    shipped one replaces it; others are added. ``credential_template`` overrides the shipped
    Get credential template. Raises :class:`CatalogueError` on any malformed entry."""
    data = _read_shipped()
    return build_catalogue(data, extra, credential_template)


@functools.cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once."""
    return load_catalogue()


def build_catalogue(
    data: Mapping[str, object],
    extra: Sequence[Mapping[str, object]] = (),
    credential_template: str | None = None,
    source: str = "catalogue.toml",
) -> Catalogue:
    """Build a catalogue from parsed TOML ``data`` (the shipped file's schema) plus ``extra``."""
    unknown = set(data) - {"schema_version", "defaults", "credential", "globs", "action"}
    if unknown:
        raise CatalogueError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    if data.get("schema_version", 1) != 1:
        raise CatalogueError(f"{source}: unsupported schema_version {data.get('schema_version')!r}")

    globs = _parse_globs(data.get("globs", {}), source)
    default = _parse_defaults(data.get("defaults", {}), globs, source)
    cred_template, cred_props, cred_secret, cred_verified = _parse_credential(data.get("credential"), source)
    if credential_template is not None:
        cred_template = _check_template(credential_template, "credential template override")

    raw_entries = data.get("action", [])
    if not isinstance(raw_entries, list):
        raise CatalogueError(f"{source}: 'action' must be an array of tables")
    shipped = _parse_entries(raw_entries, globs, source, default.default_outputs)
    extra_items: object = extra
    if not isinstance(extra_items, (list, tuple)):
        raise CatalogueError("extra catalogue entries: expected a list of tables")
    added = _parse_entries(list(extra_items), globs, "extra catalogue", default.default_outputs)

    merged = list(shipped)
    position = {spec.pattern: i for i, spec in enumerate(merged)}
    for spec in added:
        if spec.pattern in position:
            merged[position[spec.pattern]] = spec
        else:
            position[spec.pattern] = len(merged)
            merged.append(spec)

    return Catalogue(
        entries=tuple(merged),
        default=default,
        credential_template=cred_template,
        credential_properties=cred_props,
        credential_secret_properties=cred_secret,
        credential_verified=cred_verified,
        globs=tuple(sorted(globs.items())),
    )


def _read_shipped() -> dict[str, object]:
    try:
        return load_toml("pafix.analysis", "catalogue.toml")
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - guarded by the tests
        raise CatalogueError(f"catalogue.toml: {exc}") from exc


class _Ctx:
    """Names the entry and field in error messages."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def error(self, fld: str, message: str) -> CatalogueError:
        return CatalogueError(f"{self.label}: field {fld!r}: {message}")


def _parse_entries(
    raw: list[object], globs: Mapping[str, tuple[str, ...]], source: str, default_outputs: Sources
) -> list[ActionSpec]:
    specs: list[ActionSpec] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        pattern = item.get("pattern") if isinstance(item, Mapping) else None
        label = f"{source} entry #{number}" + (f" ({pattern!r})" if isinstance(pattern, str) else "")
        ctx = _Ctx(label)
        if not isinstance(item, Mapping):
            raise CatalogueError(f"{label}: expected a table, got {type(item).__name__}")
        spec = _parse_entry(item, globs, ctx, default_outputs)
        if spec.pattern in seen:
            raise ctx.error("pattern", f"duplicate pattern {spec.pattern!r}")
        seen.add(spec.pattern)
        specs.append(spec)
    return specs


def _parse_entry(
    item: Mapping[str, object], globs: Mapping[str, tuple[str, ...]], ctx: _Ctx, default_outputs: Sources
) -> ActionSpec:
    unknown = set(item) - _ENTRY_FIELDS
    if unknown:
        raise ctx.error(sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(_ENTRY_FIELDS))})")
    pattern = item.get("pattern")
    if not isinstance(pattern, str) or not _PATTERN_RE.match(pattern):
        raise ctx.error(
            "pattern",
            f"expected a dotted action name or prefix ('Module.Action', 'Module.*', 'Module.Act*'), got {pattern!r}",
        )
    plain, conditional = _parse_secret_params(item.get("secret_params", []), globs, ctx)
    sinks = _parse_sinks(item.get("sinks", {}), globs, ctx, "sinks")
    outputs = _parse_sources_table(item.get("outputs", {}), ctx, "outputs")
    secret_outputs = _parse_secret_outputs(item.get("secret_outputs", []), globs, ctx)
    updates = _parse_sources_table(item.get("updates", {}), ctx, "updates")
    action_sinks = _parse_kinds(item.get("action_sinks", []), ctx, "action_sinks")
    path_params = frozenset(_check_key(k, ctx, "path_params") for k in _str_list(item.get("path_params", []), ctx, "path_params"))
    error_echoes = frozenset(_check_key(k, ctx, "error_echoes") for k in _str_list(item.get("error_echoes", []), ctx, "error_echoes"))
    evidence = item.get("evidence", "unverified")
    if not isinstance(evidence, str) or evidence not in EVIDENCE:
        raise ctx.error("evidence", f"expected one of {sorted(EVIDENCE)}, got {evidence!r}")
    note = item.get("note", "")
    if not isinstance(note, str):
        raise ctx.error("note", "expected a string")
    text_forms = _parse_text_forms(item.get("text_forms", {}), ctx)
    for key, _ in sinks:
        if key in plain:
            raise ctx.error("sinks", f"{key!r} is both a secret parameter and a sink")
    return ActionSpec(
        pattern=pattern,
        known=True,
        secret_params=plain,
        conditional_secret_params=conditional,
        sinks=sinks,
        outputs=outputs,
        default_outputs=default_outputs,
        secret_outputs=secret_outputs,
        updates=updates,
        action_sinks=action_sinks,
        error_echoes=error_echoes,
        path_params=path_params,
        evidence=cast(Evidence, evidence),
        note=note,
        text_forms=text_forms,
    )


def _parse_text_forms(raw: object, ctx: _Ctx) -> tuple[tuple[str, TextForm], ...]:
    if not isinstance(raw, Mapping):
        raise ctx.error("text_forms", f"expected a table of parameter = form, got {raw!r}")
    out: list[tuple[str, TextForm]] = []
    for key, form in raw.items():
        key = _check_key(key, ctx, "text_forms", wildcard=False)
        if not isinstance(form, str) or form not in TEXT_FORMS:
            raise ctx.error("text_forms", f"{key!r}: unknown form {form!r} (allowed: {', '.join(sorted(TEXT_FORMS))})")
        out.append((key, cast(TextForm, form)))
    if sum(1 for _, f in out if f == "program") > 1:
        raise ctx.error("text_forms", "at most one parameter names the program")
    return tuple(out)


def _parse_defaults(raw: object, globs: Mapping[str, tuple[str, ...]], source: str) -> ActionSpec:
    ctx = _Ctx(f"{source} [defaults]")
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{source}: [defaults] must be a table")
    unknown = set(raw) - _DEFAULT_FIELDS
    if unknown:
        raise ctx.error(sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(_DEFAULT_FIELDS))})")
    outputs_raw = raw.get("outputs", "*")
    default_outputs = _parse_sources(outputs_raw, ctx, "outputs")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise ctx.error("note", "expected a string")
    return ActionSpec(
        pattern="*",
        known=False,
        secret_params=frozenset(),
        sinks=_parse_sinks(raw.get("sinks", {}), globs, ctx, "sinks"),
        default_outputs=default_outputs,
        action_sinks=_parse_kinds(raw.get("action_sinks", []), ctx, "action_sinks"),
        evidence="docs",
        note=note,
    )


def _parse_credential(raw: object, source: str) -> tuple[str, tuple[str, ...], tuple[str, ...], bool]:
    ctx = _Ctx(f"{source} [credential]")
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{source}: [credential] table is required")
    unknown = set(raw) - {"template", "properties", "secret_properties", "verified", "note"}
    if unknown:
        raise ctx.error(sorted(unknown)[0], "unknown field")
    template = raw.get("template")
    if not isinstance(template, str):
        raise ctx.error("template", "expected a string")
    template = _check_template(template, f"{source} [credential]")
    props = _str_list(raw.get("properties"), ctx, "properties")
    secret = _str_list(raw.get("secret_properties", ["Password"]), ctx, "secret_properties")
    if not props:
        raise ctx.error("properties", "must not be empty")
    if not set(secret) <= set(props):
        raise ctx.error("secret_properties", "must be a subset of 'properties'")
    verified = raw.get("verified", False)
    if not isinstance(verified, bool):
        raise ctx.error("verified", "expected a boolean")
    return template, tuple(props), tuple(secret), verified


def _check_template(template: str, label: str) -> str:
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise CatalogueError(f"{label}: field 'template': {exc}") from exc
    if not fields <= _TEMPLATE_FIELDS:
        raise CatalogueError(
            f"{label}: field 'template': unknown placeholder(s) {sorted(fields - _TEMPLATE_FIELDS)}"
            " (allowed: {credential}, {variable})"
        )
    if "variable" not in fields or "credential" not in fields:
        raise CatalogueError(f"{label}: field 'template': must contain {{credential}} and {{variable}}")
    if "\n" in template.strip():
        raise CatalogueError(f"{label}: field 'template': must be one Robin statement (one line)")
    return template.strip()


def _parse_globs(raw: object, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{source}: [globs] must be a table")
    out: dict[str, tuple[str, ...]] = {}
    for name, value in raw.items():
        ctx = _Ctx(f"{source} [globs]")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ctx.error(str(name), "glob set names must be identifiers")
        items = _str_list(value, ctx, name)
        if not items:
            raise ctx.error(name, "must not be empty")
        out[name] = tuple(items)
    return out


def _str_list(value: object, ctx: _Ctx, fld: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(fld, f"expected a list of strings, got {value!r}")
    return list(cast(list[str], value))


def _check_key(key: object, ctx: _Ctx, fld: str, wildcard: bool = True) -> str:
    if not isinstance(key, str):
        raise ctx.error(fld, f"parameter names must be strings, got {key!r}")
    if wildcard and key in ("*", "@*"):
        return key
    if key.startswith("@"):
        if len(key) > 1 and key[1:].strip() == key[1:] and "*" not in key:
            return key
    elif _NAME_RE.match(key):
        return key
    raise ctx.error(fld, f"invalid parameter name {key!r} (use Name, @name, '*' or '@*')")


def _parse_secret_params(
    raw: object, globs: Mapping[str, tuple[str, ...]], ctx: _Ctx
) -> tuple[frozenset[str], tuple[tuple[str, Condition], ...]]:
    if not isinstance(raw, list):
        raise ctx.error("secret_params", f"expected a list, got {raw!r}")
    plain: set[str] = set()
    conditional: list[tuple[str, Condition]] = []
    for item in raw:
        if isinstance(item, str):
            plain.add(_check_key(item, ctx, "secret_params", wildcard=False))
        elif isinstance(item, Mapping):
            if set(item) - {"param", "when"} or "param" not in item or "when" not in item:
                raise ctx.error("secret_params", "a conditional entry is { param = \"Name\", when = {...} }")
            name = _check_key(item["param"], ctx, "secret_params", wildcard=False)
            conditional.append((name, _parse_condition(item["when"], globs, ctx, "secret_params.when")))
        else:
            raise ctx.error("secret_params", f"expected a name or a table, got {item!r}")
    return frozenset(plain), tuple(conditional)


def _parse_sinks(
    raw: object, globs: Mapping[str, tuple[str, ...]], ctx: _Ctx, fld: str
) -> tuple[tuple[str, tuple[SinkRule, ...]], ...]:
    if not isinstance(raw, Mapping):
        raise ctx.error(fld, f"expected a table of parameter = kind, got {raw!r}")
    out: list[tuple[str, tuple[SinkRule, ...]]] = []
    for key, value in raw.items():
        key = _check_key(key, ctx, fld)
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ctx.error(fld, f"{key!r}: empty rule list")
        rules: list[SinkRule] = []
        for rule in items:
            if isinstance(rule, str):
                rules.append(SinkRule(_check_kind(rule, ctx, f"{fld}.{key}")))
            elif isinstance(rule, Mapping):
                extra = set(rule) - {"kind", "when", "unless", "intended", "unseen"}
                if extra or "kind" not in rule:
                    raise ctx.error(
                        f"{fld}.{key}", "a sink rule is { kind = \"...\", when = {...}, unless = {...}, intended = true, unseen = true }"
                    )
                flags = {flag: rule.get(flag, False) for flag in ("intended", "unseen")}
                for flag, flag_value in flags.items():
                    if not isinstance(flag_value, bool):
                        raise ctx.error(f"{fld}.{key}.{flag}", "expected a boolean")
                rules.append(
                    SinkRule(
                        _check_kind(rule["kind"], ctx, f"{fld}.{key}"),
                        _opt_condition(rule.get("when"), globs, ctx, f"{fld}.{key}.when"),
                        _opt_condition(rule.get("unless"), globs, ctx, f"{fld}.{key}.unless"),
                        flags["intended"],
                        flags["unseen"],
                    )
                )
            else:
                raise ctx.error(f"{fld}.{key}", f"expected a sink kind or a rule table, got {rule!r}")
        out.append((key, tuple(rules)))
    return tuple(out)


def _parse_secret_outputs(
    raw: object, globs: Mapping[str, tuple[str, ...]], ctx: _Ctx
) -> tuple[tuple[str, tuple[OutputRule, ...]], ...]:
    if isinstance(raw, list):
        return tuple((_check_key(k, ctx, "secret_outputs"), (OutputRule(),)) for k in raw)
    if not isinstance(raw, Mapping):
        raise ctx.error("secret_outputs", f"expected a list of outputs or a table, got {raw!r}")
    out: list[tuple[str, tuple[OutputRule, ...]]] = []
    for key, value in raw.items():
        key = _check_key(key, ctx, "secret_outputs")
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ctx.error("secret_outputs", f"{key!r}: empty rule list")
        rules: list[OutputRule] = []
        for rule in items:
            if not isinstance(rule, Mapping) or set(rule) - {"when", "unless", "kind"}:
                raise ctx.error(
                    f"secret_outputs.{key}", "a rule is { when = {...}, unless = {...}, kind = \"data\" } ({} = always)"
                )
            kind = rule.get("kind", "credential")
            if kind not in VALUE_KINDS:
                raise ctx.error(f"secret_outputs.{key}.kind", f"expected one of {sorted(VALUE_KINDS)}, got {kind!r}")
            rules.append(
                OutputRule(
                    _opt_condition(rule.get("when"), globs, ctx, f"secret_outputs.{key}.when"),
                    _opt_condition(rule.get("unless"), globs, ctx, f"secret_outputs.{key}.unless"),
                    cast(ValueKind, kind),
                )
            )
        out.append((key, tuple(rules)))
    return tuple(out)


def _parse_sources_table(raw: object, ctx: _Ctx, fld: str) -> tuple[tuple[str, Sources], ...]:
    if not isinstance(raw, Mapping):
        raise ctx.error(fld, f"expected a table of name = sources, got {raw!r}")
    return tuple((_check_key(k, ctx, fld), _parse_sources(v, ctx, f"{fld}.{k}")) for k, v in raw.items())


def _parse_sources(value: object, ctx: _Ctx, fld: str) -> Sources:
    if value == "*":
        return "*"
    if not isinstance(value, list):
        raise ctx.error(fld, f"expected '*' or a list of parameter names, got {value!r}")
    names = tuple(_check_key(v, ctx, fld) for v in value)
    if "*" in names:
        raise ctx.error(fld, "use the string '*' (not a list containing it) for every input")
    return names


def _parse_kinds(raw: object, ctx: _Ctx, fld: str) -> frozenset[SinkKind]:
    return frozenset(_check_kind(k, ctx, fld) for k in _str_list(raw, ctx, fld))


def _check_kind(kind: object, ctx: _Ctx, fld: str) -> SinkKind:
    if not isinstance(kind, str) or kind not in SINK_KINDS:
        raise ctx.error(fld, f"unknown sink kind {kind!r} (allowed: {', '.join(sorted(SINK_KINDS))})")
    return cast(SinkKind, kind)


def _opt_condition(
    raw: object, globs: Mapping[str, tuple[str, ...]], ctx: _Ctx, fld: str
) -> Condition | None:
    return None if raw is None else _parse_condition(raw, globs, ctx, fld)


def _parse_condition(raw: object, globs: Mapping[str, tuple[str, ...]], ctx: _Ctx, fld: str) -> Condition:
    tables = raw if isinstance(raw, list) else [raw]
    if not tables:
        raise ctx.error(fld, "empty condition list")
    clauses: list[Clause] = []
    for table in tables:
        if not isinstance(table, Mapping) or not table:
            raise ctx.error(fld, f"a condition is a non-empty table {{ Param = [globs] }}, got {table!r}")
        clause: list[tuple[str, tuple[str, ...]]] = []
        for key, value in table.items():
            # ``Name%``: the text of Name with its %holes% (see spec.TEMPLATE_SUFFIX)
            plain_key = key[:-1] if isinstance(key, str) and key.endswith("%") and len(key) > 1 else key
            key = _check_key(plain_key, ctx, fld) + ("%" if plain_key is not key else "")
            patterns = [value] if isinstance(value, str) else value
            items = _str_list(patterns, ctx, f"{fld}.{key}")
            if not items:
                raise ctx.error(f"{fld}.{key}", "empty glob list")
            clause.append((key, _expand_globs(items, globs, ctx, f"{fld}.{key}")))
        clauses.append(tuple(clause))
    return Condition(tuple(clauses))


def _expand_globs(
    items: Iterable[str], globs: Mapping[str, tuple[str, ...]], ctx: _Ctx, fld: str
) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        ref = _GLOB_REF_RE.match(item)
        if ref:
            if ref.group(1) not in globs:
                raise ctx.error(fld, f"unknown glob set {item!r} (defined: {', '.join(sorted(globs)) or 'none'})")
            out.extend(globs[ref.group(1)])
        else:
            out.append(item)
    return tuple(g.casefold() for g in out)
