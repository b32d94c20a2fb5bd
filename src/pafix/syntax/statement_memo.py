"""Results worked out per top-level statement, carried from one check of a buffer to the next.

The editor checks the whole flow again after every keystroke, yet all but one or two of its
statements are unchanged: those above the edit are the very nodes of the last parse, those
below it are the same text on other lines (:mod:`pafix.syntax.incremental` moves them). A
result computed from one statement -- its node, the subflow it sits in and facts of the whole
flow that the caller names -- is therefore the last check's result, moved:

* a statement with the same text starting at the same column parses to an equal node (what
  :mod:`pafix.syntax.incremental` rests on: a statement parses the same wherever it starts),
  whose every offset is moved by the difference of the two start offsets and every line by the
  difference of the start lines; columns do not change (on its first line the text before it
  has the same length, on later lines columns count from the line's start);
* so a result whose positions all lie inside its statement is the same with its positions
  moved the same way.

Which statements have the same text is read off the two texts' common prefix and suffix
(found once per check by C-speed slice compares, as the incremental parser does): a statement
ending inside the common prefix has the same text as the statement at the same offsets in the
last check, one starting inside the common suffix as the statement as many characters from the
end. So a look-up is a dict look-up by offsets, with no text cut out and hashed per statement
(a 20,000-line flow has ~17,000 top-level statements, and a look-up runs for each, per user).

:class:`StatementMemo` holds one check's results by (start, end); :class:`Recall` looks a
statement up in the last check's memo and builds the memo of this check; :class:`Memos` hands
each user (a rule, an index a fix builds) its own, by name. Moving a result's positions is the
caller's (it knows where they are), and so is refusing to keep a result that reaches outside
its statement. Facts that differ (``facts``: a sensitive name added, a catalogue changed) void
the whole memo.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pafix.syntax import nodes as n
from pafix.syntax.incremental import common_prefix, common_suffix

T = TypeVar("T")

#: what is kept of a statement at (start, end): its scope, its column, and the result with
#: the start offset and line of the statement it was made for
Entry = tuple[Hashable, int, int, int, Any]


@dataclass(slots=True)
class StatementMemo(Generic[T]):
    """One check's results per statement, by the statement's (start, end) offsets."""

    facts: Hashable
    results: dict[tuple[int, int], Entry] = field(default_factory=dict)


class Recall(Generic[T]):
    """Look-ups in the last check's memo (``old``, ignored when its facts differ from
    ``facts``) while filling this check's (:attr:`memo`). ``same`` tells where the two texts
    agree: the length of their common prefix, of their common suffix, and the change in
    length (see :class:`Memos`)."""

    __slots__ = ("memo", "_old", "_prefix", "_suffix_from", "_delta")

    def __init__(self, old: StatementMemo[T] | None, facts: Hashable, same: tuple[int, int, int],
                 length: int) -> None:
        self.memo: StatementMemo[T] = StatementMemo(facts)
        self._old = old.results if old is not None and old.facts == facts else {}
        prefix, suffix, delta = same
        self._prefix = prefix
        self._suffix_from = length - suffix  # a statement starting here or later is in the suffix
        self._delta = delta

    def get(self, scope: Hashable, stmt: n.Stmt) -> tuple[T, int, int] | None:
        """The last check's result for a statement with ``stmt``'s text, column and scope, and
        how far to move it (offsets, lines); None when there is none. Kept for the next check."""
        span = stmt.span
        start, end = span.start, span.end
        if end <= self._prefix:
            found = self._old.get((start, end))
        elif start >= self._suffix_from:
            found = self._old.get((start - self._delta, end - self._delta))
        else:
            return None
        if found is None or found[0] != scope or found[1] != span.column:
            return None
        self.memo.results[(start, end)] = found
        return found[4], start - found[2], span.line - found[3]

    def put(self, scope: Hashable, stmt: n.Stmt, result: T) -> None:
        """Keep ``result`` of ``stmt`` (its positions as they are in this check)."""
        span = stmt.span
        self.memo.results[(span.start, span.end)] = (scope, span.column, span.start, span.line, result)


class Memos:
    """The memos of one check, by user name, made from those of the last check (``old``, made
    for the text ``old_source``)."""

    __slots__ = ("old", "new", "_same", "_length")

    def __init__(self, old: Mapping[str, StatementMemo[Any]], old_source: str, source: str) -> None:
        self.old = old
        self.new: dict[str, StatementMemo[Any]] = {}
        self._length = len(source)
        if old:
            # each on its own, not one edit's prefix and suffix: a line typed above a line it
            # repeats the start of ("SET ..." above "SET ...") leaves them overlapping, and
            # every character of each still equals its counterpart in the old text
            prefix = common_prefix(old_source, source)
            suffix = common_suffix(old_source, source, min(len(old_source), len(source)))
            self._same = (prefix, suffix, len(source) - len(old_source))
        else:
            self._same = (0, 0, 0)

    def recall(self, name: str, facts: Hashable) -> Recall[Any]:
        """Look-ups for ``name`` in the last check; its memo for this check is kept in :attr:`new`."""
        recall: Recall[Any] = Recall(self.old.get(name), facts, self._same, self._length)
        self.new[name] = recall.memo
        return recall


__all__ = ["Entry", "Memos", "Recall", "StatementMemo"]
