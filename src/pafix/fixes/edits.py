"""Applying span edits to flow text, choosing compatible fixes, verifying and showing the result.

Offsets are indexes into the decoded text (code points), as in :mod:`pafix.findings`.

Ordering and overlap rules, shared by every function here:

* edits are applied in order of ``(start, end)``; edits with equal ``(start, end)`` --
  in particular several insertions at one offset -- keep the order they were given in;
* an insertion at the start of another edit's span goes before that span's replacement,
  one at its end goes after it ("touching" is fine);
* two edits *overlap* when their spans share a code point (``a.start < b.end`` and
  ``b.start < a.end``), or when an insertion lies strictly inside another edit's span.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Final

from pafix.findings import Edit, Fix

__all__ = [
    "EditConflict",
    "EditRangeError",
    "apply_edits",
    "changed_outside",
    "edits_overlap",
    "merged_edits",
    "select_non_overlapping",
    "unified_diff",
]


class EditConflict(Exception):
    """Two edits overlap, so there is no well-defined result."""


class EditRangeError(ValueError):
    """An edit's span is not inside the source (or ends before it starts)."""


def edits_overlap(a: Edit, b: Edit) -> bool:
    """Whether ``a`` and ``b`` cannot both be applied (see the module docstring)."""
    if a.start == a.end and b.start == b.end:
        return False  # two insertions never overlap, even at one offset
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _sorted_checked(edits: Iterable[Edit], length: int) -> list[Edit]:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))  # stable
    cursor = 0
    previous: Edit | None = None
    for edit in ordered:
        if not 0 <= edit.start <= edit.end <= length:
            raise EditRangeError(
                f"edit span [{edit.start}, {edit.end}) is outside the text (length {length})"
            )
        if edit.start < cursor:
            assert previous is not None
            raise EditConflict(
                f"edits overlap: [{previous.start}, {previous.end}) and "
                f"[{edit.start}, {edit.end})"
            )
        if edit.end > cursor:
            cursor, previous = edit.end, edit
    return ordered


def apply_edits(source: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping ``edits`` to ``source`` and return the new text.

    Raises :class:`EditConflict` when two edits overlap and :class:`EditRangeError`
    when an edit's span lies outside ``source``; ``source`` is never partially edited.
    """
    pieces: list[str] = []
    pos = 0
    for edit in _sorted_checked(edits, len(source)):
        pieces.append(source[pos : edit.start])
        pieces.append(edit.text)
        pos = edit.end
    pieces.append(source[pos:])
    return "".join(pieces)


class _AcceptedEdits:
    """Accepted edits, indexed for overlap queries in O(log n)."""

    def __init__(self) -> None:
        # non-empty spans are pairwise disjoint, so sorted by start is sorted by end too
        self._span_starts: list[int] = []
        self._span_ends: list[int] = []
        self._points: list[int] = []  # insertion offsets, sorted, with repeats
        self.identical: set[Edit] = set()

    def conflicts(self, edit: Edit) -> bool:
        if edit in self.identical:
            return False  # the very same edit was accepted already: it will be merged
        s, e = edit.start, edit.end
        # the accepted span with the greatest start below e is the only candidate that can
        # reach past s (spans are disjoint); for an insertion at p this is "a < p < b"
        i = bisect.bisect_left(self._span_starts, e)
        if i and self._span_ends[i - 1] > s:
            return True
        if s < e:  # an accepted insertion strictly inside our span
            j = bisect.bisect_right(self._points, s)
            if j < len(self._points) and self._points[j] < e:
                return True
        return False

    def add(self, edit: Edit) -> None:
        if edit in self.identical:
            return
        self.identical.add(edit)
        if edit.start == edit.end:
            bisect.insort(self._points, edit.start)
        else:
            i = bisect.bisect_left(self._span_starts, edit.start)
            self._span_starts.insert(i, edit.start)
            self._span_ends.insert(i, edit.end)


def _self_overlapping(fix: Fix) -> bool:
    ordered = sorted(fix.edits, key=lambda e: (e.start, e.end))
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            return True
        cursor = max(cursor, edit.end)
    return False


def select_non_overlapping(fixes: Sequence[Fix]) -> tuple[list[Fix], list[Fix]]:
    """Greedily choose fixes, in the given order, whose edits can all be applied together.

    A fix is accepted when none of its edits overlaps an edit of an already accepted fix;
    an edit *identical* to an accepted one (same span, same text) is not a conflict,
    since :func:`merged_edits` applies it once. A fix whose own edits overlap each other
    is deferred. Returns ``(accepted, deferred)``, both in the given order; apply the
    accepted ones with ``apply_edits(text, merged_edits(accepted))`` and run the
    deferred ones again on the new text.
    """
    accepted: list[Fix] = []
    deferred: list[Fix] = []
    index = _AcceptedEdits()
    for fix in fixes:
        if _self_overlapping(fix) or any(index.conflicts(edit) for edit in fix.edits):
            deferred.append(fix)
            continue
        accepted.append(fix)
        for edit in fix.edits:
            index.add(edit)
    return accepted, deferred


def merged_edits(fixes: Iterable[Fix]) -> list[Edit]:
    """The edits of ``fixes`` in order, an edit identical to one of an earlier fix dropped.

    Identical edits *within* one fix are kept: the fix asked for both.
    """
    seen: set[Edit] = set()
    result: list[Edit] = []
    for fix in fixes:
        mine: list[Edit] = []
        for edit in fix.edits:
            if edit not in seen:
                result.append(edit)
                mine.append(edit)
        seen.update(mine)
    return result


def changed_outside(old: str, new: str, edits: Sequence[Edit]) -> bool:
    """Post-condition check: is ``new`` anything other than ``old`` with exactly ``edits``?

    Walks the edits in application order and compares every untouched slice of ``old``
    with the slice of ``new`` where it must have ended up. The slices of ``new`` that the
    edits produced must hold exactly each edit's text -- otherwise the untouched slices
    cannot be located and the answer is ``True`` (conservatively). Overlapping or
    out-of-range edits also give ``True``.
    """
    try:
        ordered = _sorted_checked(edits, len(old))
    except (EditConflict, EditRangeError):
        return True
    pos = 0  # in old
    npos = 0  # in new
    for edit in ordered:
        keep = edit.start - pos
        if new[npos : npos + keep] != old[pos : edit.start]:
            return True
        npos += keep
        if new[npos : npos + len(edit.text)] != edit.text:
            return True
        npos += len(edit.text)
        pos = edit.end
    return new[npos:] != old[pos:]


_LINES: Final = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _split_lines(text: str) -> list[str]:
    """Lines with their endings; only CRLF, LF and CR end a line (not U+2028 & co.)."""
    return _LINES.findall(text)


def unified_diff(old: str, new: str, path: str, *, context: int = 3) -> str:
    """A unified diff from ``a/path`` to ``b/path``; ``""`` when nothing changed.

    Lines keep their own endings, so a CRLF file's diff shows only the changed lines and
    applies with ``git apply``/``patch``; a changed line ending shows as a changed line.
    A line ending in a lone CR gets a ``\\n`` after it so the diff stays one line per
    line, and a last line without a line break is followed by
    ``\\ No newline at end of file``, as in git.
    """
    if old == new:
        return ""
    out: list[str] = []
    for line in difflib.unified_diff(
        _split_lines(old),
        _split_lines(new),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
        n=context,
    ):
        if line.endswith("\n"):  # headers, hunk lines, LF and CRLF lines
            out.append(line)
        elif line.endswith("\r"):
            out.append(line + "\n")
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
