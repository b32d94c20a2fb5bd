"""``pafix parse --tree``: the typed tree, one node a line, with positions."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from pafix.syntax import nodes as n


def format_tree(flow: n.Flow) -> str:
    lines: list[str] = []
    stack: list[tuple[object, int, str]] = [(s, 0, "") for s in reversed(flow.body)]
    while stack:
        node, depth, label = stack.pop()
        pad = "  " * depth
        if isinstance(node, tuple):
            lines.append(f"{pad}{label}[{len(node)}]")
            stack.extend((x, depth + 1, "") for x in reversed(node))
            continue
        if not is_dataclass(node):
            lines.append(f"{pad}{label}{node!r}")
            continue
        span = getattr(node, "span", None)
        where = f" @{span.line}:{span.column}" if isinstance(span, n.Span) else ""
        simple: list[str] = []
        children: list[tuple[object, int, str]] = []
        for f in fields(node):
            if f.name in ("span", "close"):
                continue
            value = getattr(node, f.name)
            if is_dataclass(value) or (isinstance(value, tuple) and value and any(is_dataclass(v) for v in value)):
                children.append((value, depth + 1, f"{f.name}: "))
            elif f.name == "disabled" and not value:
                continue
            elif f.name == "raw" or (f.name == "text" and isinstance(node, n.Comment)):
                simple.append(f"{f.name}=<{len(value)} chars>")  # literals and comments may hold secrets
            elif f.name == "parts":
                continue
            else:
                simple.append(f"{f.name}={value!r}")
        lines.append(f"{pad}{label}{type(node).__name__}{where} {' '.join(simple)}".rstrip())
        stack.extend(reversed(children))
    for trailer in flow.trailers or ((flow.trailer,) if flow.trailer is not None else ()):
        lines.append(f"Trailer @{trailer.span.line}:{trailer.span.column} <{trailer.span.end - trailer.span.start} chars, not parsed>")
    return "\n".join(lines)
