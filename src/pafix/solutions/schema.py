"""The ``<Inputs>``/``<Outputs>`` JSON: which variables it declares and which are passwords, and
minimal edits of its text (``"format": "password"``, ``"value": null``, dropping a removed input)
that keep every other byte. The real exports write it compact (``,`` and ``:`` without spaces);
an edit follows the separators the text already uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

_MAX_JSON_DEPTH = 200

_JWS = re.compile(r"[ \t\n\r]*")

_JSTR = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')

_JSCALAR = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity"
)


@dataclass(slots=True, eq=False)
class _JVal:
    start: int
    end: int
    kind: Literal["object", "array", "string", "scalar"]
    #: object members: (key, key_start, key_end, value)
    members: list[tuple[str, int, int, _JVal]] = field(default_factory=list)
    items: list[_JVal] = field(default_factory=list)
    string: str | None = None


def _jparse(text: str) -> _JVal:
    def ws(pos: int) -> int:
        m = _JWS.match(text, pos)
        return m.end() if m else pos

    def value(pos: int, depth: int) -> _JVal:
        if depth > _MAX_JSON_DEPTH:
            raise ValueError("JSON nested too deeply")
        ch = text[pos : pos + 1]
        if ch == "{":
            node = _JVal(pos, -1, "object")
            pos = ws(pos + 1)
            if text.startswith("}", pos):
                node.end = pos + 1
                return node
            while True:
                km = _JSTR.match(text, pos)
                if km is None:
                    raise ValueError(f"expected a key at {pos}")
                key = json.loads(km.group())
                pos = ws(km.end())
                if not text.startswith(":", pos):
                    raise ValueError(f"expected ':' at {pos}")
                child = value(ws(pos + 1), depth + 1)
                node.members.append((key, km.start(), km.end(), child))
                pos = ws(child.end)
                if text.startswith(",", pos):
                    pos = ws(pos + 1)
                elif text.startswith("}", pos):
                    node.end = pos + 1
                    return node
                else:
                    raise ValueError(f"expected ',' or '}}' at {pos}")
        if ch == "[":
            node = _JVal(pos, -1, "array")
            pos = ws(pos + 1)
            if text.startswith("]", pos):
                node.end = pos + 1
                return node
            while True:
                child = value(pos, depth + 1)
                node.items.append(child)
                pos = ws(child.end)
                if text.startswith(",", pos):
                    pos = ws(pos + 1)
                elif text.startswith("]", pos):
                    node.end = pos + 1
                    return node
                else:
                    raise ValueError(f"expected ',' or ']' at {pos}")
        sm = _JSTR.match(text, pos)
        if sm is not None:
            return _JVal(pos, sm.end(), "string", string=json.loads(sm.group()))
        cm = _JSCALAR.match(text, pos)
        if cm is not None:
            return _JVal(pos, cm.end(), "scalar")
        raise ValueError(f"unexpected character at {pos}")

    start = ws(0)
    root = value(start, 0)
    if ws(root.end) != len(text):
        raise ValueError("extra data after the JSON value")
    return root


def _jmember(obj: _JVal, key: str) -> tuple[str, int, int, _JVal] | None:
    found = None
    for member in obj.members:
        if member[0] == key:
            found = member  # the last one wins, as in json.loads
    return found


def _find_property(props: _JVal, name: str) -> tuple[str, int, int, _JVal] | None:
    exact = _jmember(props, name)
    if exact is not None:
        return exact
    folded = [m for m in props.members if m[0].casefold() == name.casefold()]
    return folded[-1] if len({m[0] for m in folded}) == 1 else None


def _schema_props(root: _JVal) -> tuple[_JVal | None, _JVal | None]:
    """(schema object, schema.properties object) when they are objects."""
    if root.kind != "object":
        return None, None
    schema = _jmember(root, "schema")
    if schema is None or schema[3].kind != "object":
        return None, None
    props = _jmember(schema[3], "properties")
    return schema[3], (props[3] if props is not None and props[3].kind == "object" else None)


def _splice_text(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _set_member(text: str, obj: _JVal, key: str, value: str) -> str:
    """Set ``obj[key]`` to the JSON text ``value``, editing ``text`` minimally."""
    existing = _jmember(obj, key)
    if existing is not None:
        val = existing[3]
        if text[val.start : val.end] == value:
            return text
        return _splice_text(text, val.start, val.end, value)
    members = obj.members
    if not members:
        return _splice_text(text, obj.start + 1, obj.start + 1, json.dumps(key) + ":" + value)
    last = members[-1]
    keysep = text[last[2] : last[3].start]
    sep = text[members[-2][3].end : last[1]] if len(members) > 1 else ","
    return _splice_text(text, last[3].end, last[3].end, sep + json.dumps(key) + keysep + value)


def _remove_item(text: str, spans: list[tuple[int, int]], index: int) -> str:
    """Remove element ``index`` (given (start, end) of each element) and one separator."""
    if len(spans) == 1:
        return _splice_text(text, spans[0][0], spans[0][1], "")
    if index < len(spans) - 1:
        return _splice_text(text, spans[index][0], spans[index + 1][0], "")
    return _splice_text(text, spans[index - 1][1], spans[index][1], "")


def _edit_io_json(text: str, sensitive: frozenset[str], removed: frozenset[str]) -> str:
    """Mark ``sensitive`` properties as passwords and drop ``removed`` ones from the schema."""
    for name in sorted(sensitive - removed):
        _schema, props = _schema_props(_jparse(text))
        prop = _find_property(props, name) if props is not None else None
        if prop is None or prop[3].kind != "object":
            continue
        text = _set_member(text, prop[3], "format", '"password"')
        _schema, props = _schema_props(_jparse(text))
        assert props is not None
        prop = _find_property(props, name)
        assert prop is not None
        text = _set_member(text, prop[3], "value", "null")
    for name in sorted(removed):
        while True:
            schema, props = _schema_props(_jparse(text))
            if props is None:
                break
            prop = _jmember(props, name)
            if prop is None:
                break
            spans = [(m[1], m[3].end) for m in props.members]
            text = _remove_item(text, spans, props.members.index(prop))
        while True:
            schema, _props = _schema_props(_jparse(text))
            required = _jmember(schema, "required") if schema is not None else None
            if required is None or required[3].kind != "array":
                break
            items = required[3].items
            hit = next((i for i, it in enumerate(items) if it.string == name), None)
            if hit is None:
                break
            text = _remove_item(text, [(it.start, it.end) for it in items], hit)
    return text


def _io_needs_change(data: dict[str, Any] | None, sensitive: frozenset[str], removed: frozenset[str]) -> bool:
    """Whether the parsed Inputs/Outputs would change (used for read-only v1 flows)."""
    if not isinstance(data, dict) or not isinstance(data.get("schema"), dict):
        return False
    schema = data["schema"]
    props = schema.get("properties")
    if not isinstance(props, dict):
        return False
    folded = {k.casefold(): v for k, v in props.items()}
    for name in sensitive - removed:
        prop = props.get(name, folded.get(name.casefold()))
        if isinstance(prop, dict) and (prop.get("format") != "password" or prop.get("value") is not None):
            return True
    required = schema.get("required")
    return any(n in props or (isinstance(required, list) and n in required) for n in removed)


def _properties(schema: object) -> dict[str, object]:
    if not isinstance(schema, dict):
        return {}
    inner = schema.get("schema", schema)
    props = inner.get("properties", {}) if isinstance(inner, dict) else {}
    return props if isinstance(props, dict) else {}


def password_vars(*schemas: object) -> frozenset[str]:
    """Names declared ``"format": "password"`` in solution Inputs/Outputs JSON."""
    return frozenset(
        str(name) for schema in schemas for name, prop in _properties(schema).items()
        if isinstance(prop, dict) and prop.get("format") == "password"
    )


def schema_names(*schemas: object) -> frozenset[str]:
    """Every input/output variable named in solution Inputs/Outputs JSON."""
    return frozenset(str(name) for schema in schemas for name in _properties(schema))
