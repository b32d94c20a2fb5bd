"""The builder reads spans two ways: inline from its children in the parse of a whole file
(``_Positions.whole``), and through the generic helpers of :mod:`pafix.syntax.positions`, which
move token positions, when a parse starts elsewhere (a re-parsed region, a ``%...%`` hole). Both
must give the same spans: a region's statements are the whole file's, spans included."""

from __future__ import annotations

from pathlib import Path

import pytest

from pafix.errors import ParseError
from pafix.syntax import parser as P
from trees import deep

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"

#: every rule whose span the builder reads inline (arg, set, action, call, if with and without
#: a body, object entries, names, one-token expressions), at the top of a file and below it
_TEXT = """SET a TO 1
Excel.Close Instance: a
Clipboard.Clear _
Display.Msg
SET b TO {'k': $'''%a% x''', 'n': [True, 2, c]}
IF b['k'] = 'x' THEN
    CALL Sub In: $'''%b.k%''' Out=> d
END
IF a > 1 THEN
END
IF (File.Exists Path: 'p') THEN
    SET e TO c.d
ELSE IF a = 2 THEN
ELSE
    SET f TO $'''%''% %a[0]%'''
END
"""


def _regions(text: str) -> list[tuple[object, object]]:
    """(the whole file's statements from a top-level line on, the re-parse of that region)
    for every top-level statement after the first that starts a line."""
    flow = P.parse(text)
    end = flow.trailers[0].span.start if flow.trailers else len(text)  # the code before any trailer
    out: list[tuple[object, object]] = []
    for i, stmt in enumerate(flow.body[1:], 1):
        start = stmt.span.start
        if start == 0 or text[start - 1] != "\n" or stmt.span.end > end:
            continue
        region = P.parse_region(text, start, end)
        if region is not None:
            out.append((deep(tuple(s for s in flow.body[i:] if s.span.end <= end)), deep(region)))
    return out


def test_inline_spans_are_the_moved_ones() -> None:
    pairs = _regions(_TEXT)
    assert len(pairs) == 7
    for whole, region in pairs:
        assert region == whole


@pytest.mark.corpus
def test_inline_spans_are_the_moved_ones_on_real_flows() -> None:
    if not REAL.is_dir():
        pytest.skip("no ../shared corpus")
    checked = 0
    for path in sorted(REAL.glob("*.robin"))[:20]:
        try:
            text = path.read_text(encoding="utf-8-sig")
            pairs = _regions(text)
        except (UnicodeDecodeError, ParseError):
            continue
        for whole, region in pairs[:5]:  # a few regions a flow: each re-parses to the end
            assert region == whole, path.name
            checked += 1
    assert checked > 30
