from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafix.fixes.edits import (
    EditConflict,
    EditRangeError,
    apply_edits,
    changed_outside,
    edits_overlap,
    merged_edits,
    select_non_overlapping,
    unified_diff,
)
from pafix.findings import Edit, Fix


def fix(*edits: Edit, description: str = "") -> Fix:
    return Fix(edits=edits, safety="safe", description=description)


# ---- apply_edits --------------------------------------------------------------------


def test_apply_replacement_insertion_deletion() -> None:
    src = "SET Password TO 'x'\n"
    out = apply_edits(
        src,
        [Edit(16, 19, "%P%"), Edit(0, 0, "# pafix\n"), Edit(4, 13, "")],
    )
    assert out == "# pafix\nSET TO %P%\n"


def test_apply_no_edits_and_empty_source() -> None:
    assert apply_edits("abc", []) == "abc"
    assert apply_edits("", [Edit(0, 0, "x")]) == "x"


def test_insertions_at_one_offset_keep_their_order() -> None:
    assert apply_edits("ab", [Edit(1, 1, "1"), Edit(1, 1, "2"), Edit(1, 1, "3")]) == "a123b"


def test_touching_edits() -> None:
    # insertion at the end of a span goes after it, at the start before it
    assert apply_edits("abcd", [Edit(3, 3, "!"), Edit(1, 3, "XY")]) == "aXY!d"
    assert apply_edits("abcd", [Edit(1, 3, "XY"), Edit(1, 1, "<")]) == "a<XYd"
    assert apply_edits("abcd", [Edit(2, 4, "2"), Edit(0, 2, "1")]) == "12"


@pytest.mark.parametrize(
    "edits",
    [
        [Edit(0, 3, "x"), Edit(2, 4, "y")],
        [Edit(0, 4, "x"), Edit(1, 2, "y")],
        [Edit(0, 4, "x"), Edit(2, 2, "ins")],
        [Edit(1, 3, "x"), Edit(1, 3, "x")],  # identical replacements: apply_edits won't merge
    ],
)
def test_overlap_raises(edits: list[Edit]) -> None:
    with pytest.raises(EditConflict, match="overlap"):
        apply_edits("abcdef", edits)


@pytest.mark.parametrize("edit", [Edit(-1, 0, ""), Edit(2, 1, ""), Edit(0, 7, "")])
def test_out_of_range_raises(edit: Edit) -> None:
    with pytest.raises(EditRangeError):
        apply_edits("abcdef", [edit])


def test_edits_overlap_definition() -> None:
    assert not edits_overlap(Edit(1, 1, "a"), Edit(1, 1, "b"))
    assert not edits_overlap(Edit(1, 3, "a"), Edit(3, 3, "b"))
    assert not edits_overlap(Edit(1, 3, "a"), Edit(1, 1, "b"))
    assert not edits_overlap(Edit(1, 3, "a"), Edit(3, 5, "b"))
    assert edits_overlap(Edit(1, 3, "a"), Edit(2, 2, "b"))
    assert edits_overlap(Edit(1, 3, "a"), Edit(2, 5, "b"))


# ---- select_non_overlapping ---------------------------------------------------------


def test_select_greedy_in_order() -> None:
    a = fix(Edit(0, 5, "A"))
    b = fix(Edit(3, 8, "B"))  # overlaps a
    c = fix(Edit(5, 5, "C"), Edit(10, 12, "c"))  # touches a
    d = fix(Edit(11, 11, "D"))  # inside c's span
    accepted, deferred = select_non_overlapping([a, b, c, d])
    assert accepted == [a, c]
    assert deferred == [b, d]


def test_select_merges_identical_edits() -> None:
    ins = Edit(4, 4, "SET X TO 1\n")
    rep = Edit(10, 12, "%Y%")
    a = fix(ins, description="a")
    b = fix(ins, rep, description="b")
    c = fix(rep, description="c")
    d = fix(Edit(10, 12, "other"), description="d")
    accepted, deferred = select_non_overlapping([a, b, c, d])
    assert accepted == [a, b, c]
    assert deferred == [d]
    assert merged_edits(accepted) == [ins, rep]
    src = "0123456789abcdef"
    assert apply_edits(src, merged_edits(accepted)) == "0123SET X TO 1\n456789%Y%cdef"


def test_merged_edits_keeps_duplicates_within_one_fix() -> None:
    e = Edit(0, 0, "\n")
    assert merged_edits([fix(e, e), fix(e)]) == [e, e]


def test_select_defers_self_overlapping_fix() -> None:
    bad = fix(Edit(0, 4, "x"), Edit(2, 6, "y"))
    good = fix(Edit(2, 3, "z"))
    assert select_non_overlapping([bad, good]) == ([good], [bad])


edit_st = st.builds(
    lambda a, b, t: Edit(min(a, b), max(a, b), t),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from(["", "x", "yz"]),
)
fix_st = st.lists(edit_st, min_size=1, max_size=3).map(lambda es: fix(*es))


@settings(max_examples=300)
@given(st.lists(fix_st, max_size=12))
def test_select_matches_brute_force(fixes: list[Fix]) -> None:
    accepted, deferred = select_non_overlapping(fixes)
    # reference: pairwise check against every edit of every accepted fix
    ref_acc: list[Fix] = []
    ref_def: list[Fix] = []
    for f in fixes:
        own = sorted(f.edits, key=lambda e: (e.start, e.end))
        self_bad = any(
            edits_overlap(x, y) or (x == y and x.start < x.end)
            for i, x in enumerate(own)
            for y in own[i + 1 :]
        )
        clash = any(
            edits_overlap(x, y) and x != y for g in ref_acc for y in g.edits for x in f.edits
        )
        (ref_def if self_bad or clash else ref_acc).append(f)
    assert (accepted, deferred) == (ref_acc, ref_def)
    # and the accepted fixes always apply cleanly
    merged = merged_edits(accepted)
    src = "s" * 30
    new = apply_edits(src, merged)
    assert not changed_outside(src, new, merged)


# ---- changed_outside ----------------------------------------------------------------


def test_changed_outside_detects_stray_change() -> None:
    old = "abcdefgh"
    edits = [Edit(2, 4, "XY"), Edit(6, 6, "!")]
    new = apply_edits(old, edits)
    assert new == "abXYef!gh"
    assert not changed_outside(old, new, edits)
    assert changed_outside(old, "abXYeF!gh", edits)  # outside byte changed
    assert changed_outside(old, "abXYef!g", edits)  # truncated
    assert changed_outside(old, "abXYef!gh\n", edits)  # appended
    assert changed_outside(old, "abXZef!gh", edits)  # not the edit's text
    assert changed_outside(old, new, [Edit(2, 5, ""), Edit(3, 4, "")])  # overlapping
    assert changed_outside(old, new, [Edit(0, 99, "")])  # out of range


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    text = draw(st.text(st.sampled_from(list("ab\r\n€𝄞")), max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    edits: list[Edit] = []
    # consecutive cut pairs give non-overlapping spans (some empty: insertions)
    for i in range(0, len(cuts) - 1, 2):
        edits.append(Edit(cuts[i], cuts[i + 1], draw(st.text(st.sampled_from("XY\r\n"), max_size=4))))
    shuffled = draw(st.permutations(edits))
    return text, list(shuffled)


@settings(max_examples=500)
@given(text_and_edits())
def test_apply_edits_property(case: tuple[str, list[Edit]]) -> None:
    old, edits = case
    new = apply_edits(old, edits)
    assert not changed_outside(old, new, edits)
    # untouched slices appear verbatim, in order, at the recomputed positions
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    pos = npos = 0
    for e in ordered:
        assert new[npos : npos + e.start - pos] == old[pos : e.start]
        npos += e.start - pos + len(e.text)
        pos = e.end
    assert new[npos:] == old[pos:]
    assert len(new) == len(old) + sum(len(e.text) - (e.end - e.start) for e in edits)


@settings(max_examples=300)
@given(text_and_edits(), st.integers(0, 60), st.sampled_from("Zq\x00"))
def test_changed_outside_catches_any_single_change(
    case: tuple[str, list[Edit]], where: int, char: str
) -> None:
    old, edits = case
    new = apply_edits(old, edits)
    if not new:
        return
    i = where % len(new)
    tampered = new[:i] + char + new[i + 1 :]
    if tampered != new:
        assert changed_outside(old, tampered, edits)


# ---- unified_diff -------------------------------------------------------------------


def test_unified_diff_crlf_shows_only_changed_line() -> None:
    old = "".join(f"line {i}\r\n" for i in range(20))
    new = old.replace("line 10\r\n", "line TEN\r\n")
    diff = unified_diff(old, new, "flows/x.robin")
    lines = diff.splitlines(keepends=True)
    assert lines[0] == "--- a/flows/x.robin\n"
    assert lines[1] == "+++ b/flows/x.robin\n"
    assert lines[2] == "@@ -8,7 +8,7 @@\n"
    assert [l for l in lines if l[0] in "+-" and not l.startswith(("---", "+++"))] == [
        "-line 10\r\n",
        "+line TEN\r\n",
    ]
    assert sum(1 for l in lines if l.startswith(" ")) == 6
    assert all(l.endswith("\r\n") for l in lines[3:])


def test_unified_diff_no_change_is_empty() -> None:
    assert unified_diff("a\r\n", "a\r\n", "x") == ""


def test_unified_diff_line_ending_change_is_visible() -> None:
    diff = unified_diff("a\r\nb\r\n", "a\r\nb\n", "x")
    assert "-b\r\n" in diff and "+b\n" in diff


def test_unified_diff_no_final_newline_marker() -> None:
    diff = unified_diff("a\nb", "a\nc", "x")
    assert diff.endswith("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n")


def test_unified_diff_cr_only_and_unicode_separators() -> None:
    # a lone CR still ends a diff line; U+2028 does not split a line
    diff = unified_diff("a\rb\u2028c\r", "a\rB\u2028c\r", "x")
    assert "-b\u2028c\r\n" in diff
    assert "+B\u2028c\r\n" in diff
    assert "@@ -1,2 +1,2 @@" in diff
