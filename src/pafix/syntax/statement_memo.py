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

:class:`StatementMemo` holds one check's results by (scope, column, text); :class:`Recall`
looks a statement up in the last check's memo and builds the memo of this check;
:class:`Memos` hands each user (a rule, an index a fix builds) its own, by name. Moving a
result's positions is the caller's (it knows where they are), and so is refusing to keep a
result that reaches outside its statement. Facts that differ (``facts``: a sensitive name
added, a catalogue changed) void the whole memo.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pafix.syntax import nodes as n

T = TypeVar("T")

#: (scope, start column, text of the statement)
Key = tuple[Hashable, int, str]


@dataclass(slots=True)
class StatementMemo(Generic[T]):
    """One check's results per statement: ``key -> (start offset, start line, result)``."""

    facts: Hashable
    results: dict[Key, tuple[int, int, T]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    """A result of the last check for a statement like this one, and how far to move it."""

    result: T
    delta: int  #: offset of this statement minus that of the one the result was made for
    dline: int  #: likewise for lines


class Recall(Generic[T]):
    """Look-ups in the last check's memo (``old``, ignored when its facts differ from
    ``facts``) while filling this check's (:attr:`memo`)."""

    __slots__ = ("source", "memo", "_old")

    def __init__(self, old: StatementMemo[T] | None, source: str, facts: Hashable) -> None:
        self.source = source
        self.memo: StatementMemo[T] = StatementMemo(facts)
        self._old = old.results if old is not None and old.facts == facts else {}

    def key(self, scope: Hashable, stmt: n.Stmt) -> Key:
        span = stmt.span
        return (scope, span.column, self.source[span.start : span.end])

    def get(self, key: Key, stmt: n.Stmt) -> Hit[T] | None:
        """The last check's result for ``key`` (kept for the next check too), or None."""
        found = self._old.get(key)
        if found is None:
            return None
        self.memo.results[key] = found
        start, line, result = found
        return Hit(result, stmt.span.start - start, stmt.span.line - line)

    def put(self, key: Key, stmt: n.Stmt, result: T) -> None:
        """Keep ``result`` of ``stmt`` (its positions as they are in this check)."""
        self.memo.results[key] = (stmt.span.start, stmt.span.line, result)


class Memos:
    """The memos of one check, by user name, made from those of the last check (``old``)."""

    __slots__ = ("source", "old", "new")

    def __init__(self, old: Mapping[str, StatementMemo[Any]], source: str) -> None:
        self.source = source
        self.old = old
        self.new: dict[str, StatementMemo[Any]] = {}

    def recall(self, name: str, facts: Hashable) -> Recall[Any]:
        """Look-ups for ``name`` in the last check; its memo for this check is kept in :attr:`new`."""
        recall: Recall[Any] = Recall(self.old.get(name), self.source, facts)
        self.new[name] = recall.memo
        return recall


__all__ = ["Hit", "Key", "Memos", "Recall", "StatementMemo"]
