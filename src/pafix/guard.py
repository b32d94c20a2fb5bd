"""Keeping one hostile flow from taking a run down: deep nesting, internal errors, error text.

* :func:`call_deep` runs a recursive pass over a flow (the taint analysis and the rules recurse
  once or twice per level of nesting, of blocks and of expressions alike) in a worker thread with
  a large stack and a raised recursion limit when the flow is nested deeper than the current
  limit allows. Parsing is LALR with an explicit stack and needs none of this. Flows nested
  deeper than :data:`MAX_NESTING` are refused with :class:`NestingTooDeep`.
* :func:`internal_error` is the one message front ends show for a bug in pafix while it handles
  one file: it names the exception's type only, never its text (which may quote the flow).
* :func:`public_message` keeps a parse error message from quoting source text: the token the
  parser found is shown only when it is a keyword or punctuation.

Set ``PAFIX_DEBUG=1`` to let internal errors propagate with their traceback (:func:`debugging`).
"""

from __future__ import annotations

import ast
import contextvars
import dataclasses
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

from pafix.errors import PafixError

R = TypeVar("R")

#: deepest nesting of the syntax tree pafix checks (an IF block is two levels: the branch and
#: the statement; ``(x)`` one); 10,000 nested blocks take about a second
MAX_NESTING = 200_000
#: deepest nesting of loops pafix checks: the taint analysis iterates each loop to a fixpoint,
#: which re-runs the loops inside it, so its time grows with the square of this depth (1,000
#: nested loops: about 5 s; 10,000: about 17 minutes)
MAX_LOOP_NESTING = 1_000
#: the direct call of :func:`call_deep` is tried only under a recursion limit this low, so that
#: it cannot reach the loop nesting that :data:`MAX_LOOP_NESTING` refuses (it would take minutes)
DIRECT_LIMIT = MAX_LOOP_NESTING
#: Python frames the recursive passes may use per level of nesting (2 measured, 3x margin)
FRAMES_PER_LEVEL = 6
#: frames kept free for the rules' own calls and the standard library
FRAME_MARGIN = 200
#: a worker thread gets this many frames more than the nesting needs
WORKER_MARGIN = 5_000
#: stack of the worker thread: per level, within these bounds (only touched pages are used)
STACK_PER_LEVEL = 8 * 1024
MIN_STACK = 64 * 1024 * 1024
MAX_STACK = 512 * 1024 * 1024
#: garbage-collector thresholds while scanning (``pafix scan``, its workers, the language
#: server). Parsing and analysing allocate millions of short-lived objects and almost no
#: reference cycles; with the default thresholds the collector keeps rescanning the growing set
#: of live nodes, which costs a third of the time of a 50,000-line flow.
SCAN_GC_THRESHOLDS = (100_000, 50, 100)

_LOCK = threading.Lock()
_LOCAL = threading.local()


class NestingTooDeep(PafixError):
    """A flow nested deeper than pafix checks. The message names numbers only."""

    def __init__(self, depth: int, line: int = 0, column: int = 0, *, loops: bool = False) -> None:
        self.depth = depth
        self.line = line
        self.column = column
        if loops:
            self.message = (f"loops nested {depth} deep; pafix checks flows with loops nested at most "
                            f"{MAX_LOOP_NESTING} deep")
        else:
            self.message = (f"blocks or expressions nested too deep to check ({depth} levels of syntax "
                            f"tree; the limit is {MAX_NESTING})")
        super().__init__(self.message)


def debugging() -> bool:
    """``PAFIX_DEBUG`` is set: internal errors propagate (with their traceback)."""
    return os.environ.get("PAFIX_DEBUG", "") not in ("", "0")


def internal_error(exc: BaseException, doing: str = "checking", what: str = "flow") -> str:
    """The message for a bug met while ``doing`` one flow (or ``what``): the exception's type,
    never its text, which may quote the flow."""
    return f"internal error ({type(exc).__name__}) while {doing} this {what}; please report it"


# ---- nesting --------------------------------------------------------------------------------

_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
        names = tuple(f.name for f in fields if f.name != "span")
        _FIELDS[cls] = names
    return names


@dataclass(frozen=True, slots=True)
class Nesting:
    depth: int  #: node objects inside node objects (a leaf counts 1)
    deepest: Any  #: a node at that depth
    loops: int  #: loop statements inside loop statements
    deepest_loop: Any  #: the innermost loop of the deepest chain (None without loops)


def nesting(root: Any) -> Nesting:
    """How deep ``root`` (a parsed flow, statement or expression) nests: node objects
    (dataclasses) inside node objects, looking through tuples, and loops inside loops.
    Iterative, so any depth is measured."""
    best, deepest, best_loops, deepest_loop = 0, root, 0, None
    stack: list[tuple[Any, int, int]] = [(root, 1, 0)]
    while stack:
        obj, depth, loops = stack.pop()
        if getattr(obj, "is_loop", False):  # a loop node (the syntax marks them; guard imports no syntax)
            loops += 1
            if loops > best_loops:
                best_loops, deepest_loop = loops, obj
        if depth > best:
            best, deepest = depth, obj
        for name in _node_fields(type(obj)):
            value = getattr(obj, name, None)
            if isinstance(value, tuple):
                for item in value:
                    if hasattr(item, "__dataclass_fields__"):
                        stack.append((item, depth + 1, loops))
                    elif isinstance(item, tuple):  # e.g. (key, value) pairs
                        stack.extend((x, depth + 1, loops) for x in item if hasattr(x, "__dataclass_fields__"))
            elif hasattr(value, "__dataclass_fields__"):
                stack.append((value, depth + 1, loops))
    return Nesting(best, deepest, best_loops, deepest_loop)


def _position(node: Any) -> tuple[int, int]:
    span = getattr(node, "span", None)
    return (getattr(span, "line", 0), getattr(span, "column", 0)) if span is not None else (0, 0)


def call_deep(root: Any, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """``fn(*args, **kwargs)``, a recursive pass over ``root``: called directly, and when that
    runs out of recursion (``root`` nests deeper than the current limit allows), again in a
    worker thread with room for it. Raises :class:`NestingTooDeep` beyond :data:`MAX_NESTING`
    (or :data:`MAX_LOOP_NESTING` loops); ``fn``'s exceptions propagate (with their traceback).

    The nesting is measured only when the direct call fails: measuring walks every node, which
    cost about a tenth of a whole check, for the one flow in thousands that needs it. ``fn``
    must be pure (safe to run again): the passes it runs build new objects and change nothing.
    A flow with more than :data:`MAX_LOOP_NESTING` nested loops always lands in the measured
    path: each loop level takes at least one frame, more than the default limit holds."""
    if not getattr(_LOCAL, "deep", False) and sys.getrecursionlimit() <= DIRECT_LIMIT:
        try:
            return fn(*args, **kwargs)
        except RecursionError:
            pass  # nested deeper than this thread allows: measure, then a worker with room
    found = nesting(root)
    depth = found.depth
    if depth > MAX_NESTING:
        raise NestingTooDeep(depth, *_position(found.deepest))
    if found.loops > MAX_LOOP_NESTING:
        raise NestingTooDeep(found.loops, *_position(found.deepest_loop), loops=True)
    needed = depth * FRAMES_PER_LEVEL
    if getattr(_LOCAL, "deep", False):  # already in a worker: it has the stack, raise the limit
        if needed + WORKER_MARGIN > sys.getrecursionlimit():
            sys.setrecursionlimit(needed + WORKER_MARGIN)
        return fn(*args, **kwargs)
    if needed + FRAME_MARGIN + _frames_in_use() <= sys.getrecursionlimit():
        return fn(*args, **kwargs)
    stack = min(MAX_STACK, max(MIN_STACK, depth * STACK_PER_LEVEL))
    return _in_worker(needed + WORKER_MARGIN, stack, fn, args, kwargs)


def _frames_in_use() -> int:
    frame: FrameType | None = sys._getframe()
    count = 0
    while frame is not None and count < 100_000:
        frame, count = frame.f_back, count + 1
    return count


def _in_worker(limit: int, stack: int, fn: Callable[..., R], args: Any, kwargs: Any) -> R:
    outcome: dict[str, Any] = {}

    def work() -> None:
        _LOCAL.deep = True
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    # one deep run at a time: the recursion limit is per interpreter, the stack size setting too
    with _LOCK:
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, limit))
        try:
            try:
                old_stack = threading.stack_size(stack)
            except (ValueError, RuntimeError):  # the platform sets no thread stack size: try anyway
                old_stack = None
            try:
                # in the caller's context: settings travel in context variables (dlp_scope)
                context = contextvars.copy_context()
                worker = threading.Thread(target=context.run, args=(work,), name="pafix-deep", daemon=True)
                worker.start()
            finally:
                if old_stack is not None:
                    threading.stack_size(old_stack)
            worker.join()
        finally:
            sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


# ---- messages -------------------------------------------------------------------------------

#: the words of the grammar; a token made of them (``END``, ``ELSE IF``, ``END FUNCTION``) is shown
_KEYWORDS = frozenset(
    """SET TO IF THEN ELSE END LOOP FOREACH IN FROM STEP WHILE SWITCH CASE DEFAULT BLOCK ON ERROR
    REPEAT TIMES WAIT FOR EXIT FUNCTION GLOBAL CALL GOTO LABEL NEXT THROW DISABLE IMPORT AS AND
    OR NOT mod True False REGION ENDREGION""".split()
)
_FOUND = re.compile(r"""found ('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""")


def quotable(token: str) -> bool:
    """Whether an error message may quote this token: a keyword (``END``, ``ELSE IF``) or
    punctuation, which holds no data; never a name, number, string or comment."""
    if not token or len(token) > 40:
        return False
    if not any(c.isalnum() or c in "#'\"`%\\" for c in token):
        return True  # punctuation
    return all(word in _KEYWORDS for word in token.split())


def _found(m: re.Match[str]) -> str:
    quoted = m.group(1)
    try:
        token = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return "found a word"
    if not isinstance(token, str):
        return "found a word"
    if quotable(token):
        return m.group(0)
    if token.lstrip().startswith(("#", "/#")):
        return "found a comment"
    return "found a word"


def public_message(message: str) -> str:
    """A parse error message without source text: ``found 'word'`` becomes ``found a word`` (or
    ``found a comment``) unless the token is a keyword or punctuation, which say what is wrong
    and hold no data."""
    return _FOUND.sub(_found, message)


__all__ = [
    "MAX_LOOP_NESTING", "MAX_NESTING", "Nesting", "NestingTooDeep", "call_deep", "debugging", "internal_error",
    "nesting", "public_message", "quotable",
]
