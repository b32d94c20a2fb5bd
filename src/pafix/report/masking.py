"""Masking string literals in flow text, for output channels that must show code (diffs).

``mask_literals(flow)`` returns the flow's source with the characters of every string literal's
content replaced by ``*``, except the ``%expr%`` holes of interpolated text (variable names, not
values), and the secret values written in comments (``# password: …``). Newlines are kept, so line numbers and the shape of a diff stay the same.
"""

from __future__ import annotations

from pafix.analysis.literals import comment_secrets
from pafix.analysis.names import DEFAULT_POLICY
from pafix.syntax import nodes as n


def literal_ranges(flow: n.Flow) -> list[tuple[int, int]]:
    """Offsets ``[start, end)`` of literal text inside string literals (holes excluded)."""
    ranges: list[tuple[int, int]] = []
    for stmt in n.walk_statements(flow.body):
        if isinstance(stmt, n.Comment):  # a password written in a comment (PAF104)
            base = flow.source.find(stmt.text, stmt.span.start, stmt.span.end) if stmt.text else -1
            if base >= 0:
                ranges.extend((base + h.start, base + h.end) for h in comment_secrets(stmt.text, DEFAULT_POLICY))
            continue
        for expr, _written in n.statement_exprs(stmt):
            keys: set[int] = set()  # object keys and index keys name things; they are shown
            for e in n.walk_expr(expr):
                if isinstance(e, n.ObjectLit):
                    keys.update(id(entry.key) for entry in e.entries)
                elif isinstance(e, n.Index):
                    keys.add(id(e.index))
                elif isinstance(e, n.StringLit) and id(e) not in keys:
                    ranges.extend(_content_ranges(e))
    return ranges


def _content_ranges(lit: n.StringLit) -> list[tuple[int, int]]:
    raw = lit.raw
    if lit.kind in ("triple", "interpolated"):
        head, tail = raw.index("'''") + 3, 3
    else:
        head, tail = raw.index("'") + 1 if "'" in raw else 1, 1
    start, end = lit.span.start + head, lit.span.end - tail
    if end <= start:
        return []
    out: list[tuple[int, int]] = []
    pos = start
    for hole in lit.holes:
        if hole.span.start > pos:
            out.append((pos, hole.span.start))
        pos = max(pos, hole.span.end)
    if pos < end:
        out.append((pos, end))
    return out


def mask_literals(flow: n.Flow) -> str:
    text = flow.source
    chars = list(text)
    for start, end in literal_ranges(flow):
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = "*"
    return "".join(chars)


#: what :func:`mask_values` shows in place of each masked value
VALUE_MASK = "***"


def value_ranges(flow: n.Flow) -> list[tuple[int, int]]:
    """Offsets of everything in ``flow`` that may hold a value rather than a name: the literal
    text of strings (:func:`literal_ranges`), numbers (a PIN is a number), comment text,
    annotation values and region titles."""
    ranges = literal_ranges(flow)
    for stmt in n.walk_statements(flow.body):
        start, end = stmt.span.start, stmt.span.end
        text = flow.source[start:end]
        if isinstance(stmt, n.Comment):
            head = text.find("/#" if stmt.block else "#")
            tail = end - 2 if stmt.block and text.endswith("#/") else end
            ranges.append((start + head + (2 if stmt.block else 1), tail))
        elif isinstance(stmt, n.Annotation):
            colon = text.find(":")
            quote = text.find("'", colon + 1)
            if colon >= 0 and quote >= 0 and text.endswith("'") and len(text) - 1 > quote:
                ranges.append((start + quote + 1, end - 1))  # @@key: '***'
            else:
                ranges.append((start + colon + 1 if colon >= 0 else start, end))
        elif isinstance(stmt, n.Region):
            word = text.find("REGION")
            ranges.append((start + word + len("REGION") if word >= 0 else start, end))
        for expr, _written in n.statement_exprs(stmt):
            ranges.extend((e.span.start, e.span.end) for e in n.walk_expr(expr) if isinstance(e, n.Number))
    return ranges


def mask_values(flow: n.Flow) -> str:
    """The flow's source with every range of :func:`value_ranges` shown as ``***`` (one mask
    per line a range covers, so line numbers stay; the length of a value is not shown).
    Whitespace-only pieces of a range (a comment's indentation) are kept as they are."""
    text = flow.source
    merged: list[list[int]] = []
    for start, end in sorted(r for r in value_ranges(flow) if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out.append(text[pos:start])
        pieces = text[start:end].splitlines(keepends=True)
        for piece in pieces:
            body = piece.rstrip("\r\n")
            out.append((VALUE_MASK if body.strip() else body) + piece[len(body):])
        pos = end
    out.append(text[pos:])
    return "".join(out)
