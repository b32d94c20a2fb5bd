"""Hover texts: is this variable sensitive, and why? What does this rule mean?

Every text here is built from names (variables, actions, subflows), line numbers and rule
documentation -- never from a literal's value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from pafix.syntax import nodes as n
from pafix.core import Checked
from pafix.findings import Finding
from pafix.rules import BY_CODE


def _children(node: object) -> Iterator[object]:
    if isinstance(node, tuple):
        yield from node
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, n.Span):
        return
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, (str, int, bool, float, type(None), n.Span)):
            continue
        yield value


def name_at(flow: n.Flow, offset: int) -> tuple[n.Name, n.Function | None] | None:
    """The variable name under ``offset`` and the subflow (``FUNCTION``) it is written in."""
    best: tuple[n.Name, n.Function | None] | None = None
    stack: list[tuple[object, n.Function | None]] = [(s, None) for s in flow.body]
    while stack:
        node, fn = stack.pop()
        span = getattr(node, "span", None)
        if isinstance(span, n.Span) and not isinstance(node, tuple):
            # the cursor may sit right after a word (end is exclusive)
            if not span.start <= offset <= span.end:
                continue
        if isinstance(node, n.Name):
            if best is None or node.span.end - node.span.start < best[0].span.end - best[0].span.start:
                best = (node, fn)
            continue
        if isinstance(node, n.Function):
            fn = node
        for child in _children(node):
            stack.append((child, fn))
    return best


def _line(span: n.Span) -> str:
    return f"line {span.line}"


def variable_hover(checked: Checked, name: n.Name, fn: n.Function | None) -> str:
    """Markdown: whether the variable is sensitive and why."""
    model, analysis = checked.model, checked.analysis
    sf = model.subflow(fn.name) if fn is not None else model.subflows[0]
    if sf is None:
        sf = model.subflows[0]
    key = sf.key(name.name, force_global=name.is_global)
    shown = name.name
    scope = "" if "::" not in key else f" (local to subflow {sf.name})"
    reasons: list[str] = []
    declared = key in model.sensitive
    if declared:
        decl = model.sensitive_decls.get(key)
        reasons.append("declared in `@SENSITIVE`" + (f" ({_line(decl.span)})" if decl is not None else ""))
    is_credential = key in analysis.credential_vars
    if is_credential:
        reasons.append("credential variable: the output of Get credential, which Power Automate keeps sensitive")
    if key in analysis.secret_inputs and key in model.inputs:
        var = model.inputs[key]
        why: list[str] = []
        if declared:
            why.append("marked sensitive")
        if var.password_format:
            why.append('declared with `"format": "password"`')
        if analysis.names.is_secret(key):
            why.append("its name denotes a secret")
        used = analysis.secret_used.get(key)
        if used is not None:
            why.append(f"{used.description} ({_line(used.span)})")
        reasons.append(f"secret input variable (`@INPUT`, {_line(var.decl.span)})" + (": " + "; ".join(why) if why else ""))
    elif key in analysis.secret_used and not is_credential:
        used = analysis.secret_used[key]
        reasons.append(f"holds a secret: {used.description} ({_line(used.span)})")
    found: list[tuple[int, int, str, str]] = []
    for event in analysis.events.values():
        if event.variable != key or event.kind not in ("store", "call-param", "source-store"):
            continue
        for label in event.labels:
            origin = label.origin
            if origin.variable == key:
                continue
            text = f"{origin.label} ({_line(origin.span)}), stored at {_line(event.span)}"
            found.append((origin.span.start, event.span.start, origin.label, text))
    sources: dict[str, str] = {}
    for _start, _at, label_text, text in sorted(found):
        sources.setdefault(label_text, text)  # one line per source, its first mention
    for text in list(sources.values())[:5]:
        reasons.append(f"holds a secret from {text}")
    if len(sources) > 5:
        reasons.append(f"... and {len(sources) - 5} more sources")
    if not declared and not is_credential and analysis.names.is_secret(name.name) and key not in model.inputs:
        reasons.append("its name denotes a secret")

    sensitive = declared or is_credential
    if sensitive:
        head = f"**{shown}**{scope} is sensitive"
    elif reasons:
        head = f"**{shown}**{scope} is **not marked sensitive**, but"
    else:
        return f"**{shown}**{scope} is not sensitive: no secret reaches it"
    return head + "\n\n" + "\n".join(f"- {r}" for r in reasons)


def rule_hover(code: str, finding: Finding | None = None) -> str:
    rule = BY_CODE.get(code)
    if rule is None:
        return f"**{code}**"
    info = rule.info()
    fix = {"safe": "safe fix", "unsafe": "unsafe fix", None: "no automatic fix"}[info.fix_safety]
    head = f"### {info.code} {info.name}\n\n*Default severity: {info.severity}; {fix}.*"
    return f"{head}\n\n{info.doc}"


PARSE_ERROR_HOVER = (
    "### parse error\n\npafix cannot read these lines as Robin. The rest of the flow is still "
    "checked; the rewriter (fix all, fix on save) leaves a flow with parse errors alone."
)


__all__ = ["PARSE_ERROR_HOVER", "name_at", "rule_hover", "variable_hover"]
