"""Criteria nesting on real lines: notes inside numbered lists, marker styles changed in mid-count,
and depth from the indentation a source text keeps (API v2 JSON)."""

from __future__ import annotations

from pathlib import Path

from recordpage.criteria import parse_criteria, parse_criteria_text
from tests.conftest import SHARED

ONCOLOGY = SHARED / "oncology" / "text"


def _page_lines(path: Path, first: str, last: str) -> list[str]:
    """The page's lines from the one starting with `first` to the one starting with `last`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    a = next(i for i, line in enumerate(lines) if line.startswith(first))
    b = next(i for i, line in enumerate(lines) if i > a and line.startswith(last))
    return lines[a : b + 1]


def _depths(lines: list[str]) -> list[tuple[str, int]]:
    return [((c.marker or "") + "|" + c.text[:12], c.depth) for c in parse_criteria(lines)]


def test_a_note_after_a_nested_list_resumes_the_outer_list() -> None:
    # `7.` with a nested `1.`-`7.`, `Note: ...`, then `8.`: the note does not end the outer list,
    # and `8.` continues it (not the nested list, whose last item is also `7.`).
    lines = _page_lines(ONCOLOGY / "NCT01897571.txt", "7. Time between prior", "10. Male subjects")
    got = parse_criteria(lines)
    by_marker = [(c.marker, c.depth) for c in got]
    assert by_marker[:2] == [("7.", 0), ("1.", 1)]
    note = next(k for k, c in enumerate(got) if c.text.startswith("Note:"))
    assert (got[note].marker, got[note].depth) == (None, 0)
    assert [(c.marker, c.depth, c.parent) for c in got[note + 1 : note + 3]] == [("8.", 0, None), ("9.", 0, None)]
    assert [(c.marker, c.depth) for c in got[note + 3 : note + 6]] == [("1.", 1), ("2.", 1), ("3.", 1)]
    assert (got[-1].marker, got[-1].depth) == ("10.", 0)


def test_a_note_inside_a_nested_numbered_list_does_not_end_it() -> None:
    # Real lines of NCT01897571 in a nested list: `9.` then `1.`, `2.`, a note, `3.`.
    page = _page_lines(ONCOLOGY / "NCT01897571.txt", "9. Females must not", "Female subjects exempt")
    item9, one, two, three = (line for line in page if line[:2] in ("9.", "1.", "2.", "3."))
    note = page[-1]
    got = parse_criteria([item9, one, two, note, three])
    assert [(c.marker, c.depth, c.parent) for c in got] == [
        ("9.", 0, None), ("1.", 1, 1), ("2.", 1, 1), (None, 0, None), ("3.", 1, 1),
    ]  # fmt: skip


def test_a_new_marker_style_in_mid_count_keeps_the_list_it_interrupts() -> None:
    # `* Unstable cardiovascular function:` then `(i) Symptomatic ischemia, ...` (read as the
    # letter i: a new style in mid-count), then `* Participants with a BSA ...`: the bullet list
    # is still open, so the bullet after it keeps depth 0 (it used to nest under `(i)`).
    lines = _page_lines(ONCOLOGY / "NCT02227251.txt", "* Unstable cardiovascular", "* Any of the following")
    got = _depths(lines)
    assert got[0] == ("*|Unstable car", 0)
    assert got[1][0].startswith("(i)|")
    assert [d for _, d in got[2:]] == [0, 0]


def test_depth_from_indentation_one_level_per_deeper_indent_within_a_kind() -> None:
    # The registry text of NCT06855589 (oncology): indents 0, 2, 4, a flush-left note, then the
    # exclusion heading itself indented by 3: depth restarts under each heading.
    text = (
        "Inclusion Criteria:\n\n* 1\\. Histologically confirmed adenocarcinoma\n\n"
        "  2\\. Patient has been classified as unfavorable intermediate risk\n  * ≥ 2 of the following:\n"
        "* CT2b-cT2c\n\n  * Gleason Score 7 (4+3)\n\n    3\\. Imaging, including CT scan\n\n"
        "Any lymph node appearing \\> 1.5 cm\n\n   Exclusion Criteria:\n   * 1\\. Patients with a history\n\n"
        "     2\\. The presence of small-cell\n\n   Patients with congenital long QT syndrome\n"
    )
    got = [(c.kind, c.depth, c.parent) for c in parse_criteria_text(text)]
    assert got == [
        ("inclusion", 0, None), ("inclusion", 1, 1), ("inclusion", 1, 1), ("inclusion", 0, None),
        ("inclusion", 1, 4), ("inclusion", 2, 5), ("inclusion", 0, None),
        ("exclusion", 0, None), ("exclusion", 1, 8), ("exclusion", 0, None),
    ]  # fmt: skip
    # Markers and text are split as on a page.
    assert [(c.marker, c.text[:6]) for c in parse_criteria_text(text)][:2] == [("*", "1\\. Hi"), (None, "2\\. Pa")]
