"""Spacing typed differently on real pages (spaces at line ends, tabs, no-break spaces,
loose commas in a location) must not change what the parser reads. Each edit here once moved
or lost data silently: a heading with a trailing space merged its section into the one before,
a no-break space after `Site Status` merged two sites."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from recordpage import parse_page
from tests.conftest import SEED, SHARED

PAGES = [SEED, *sorted((SHARED / "text").glob("*.txt"))]
_LABEL = re.compile(r"^(Site Status|Group Type|Intervention Type|Identifier Source:) ", re.M)

EDITS: dict[str, Callable[[str], str]] = {
    "a space at every line end": lambda text: text.replace("\n", " \n"),
    "spaces and a tab after each heading line": lambda text: re.sub(
        r"^([A-Z][A-Za-z ]+)$", "\\1 \t ", text, flags=re.M
    ),
    "a tab after each one-line label": lambda text: _LABEL.sub("\\1\t", text),
    "a no-break space after each one-line label": lambda text: _LABEL.sub("\\1\u00a0", text),
}


@pytest.mark.parametrize("edit", EDITS)
def test_spacing_changes_nothing_the_parser_reads(edit: str) -> None:
    changed = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        edited = EDITS[edit](text)
        changed += edited != text
        assert parse_page(edited) == parse_page(text), (page.name, edit)
    assert changed >= len(PAGES) // 2, f"the edit touched only {changed} pages"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ancona,, Italy", ("Ancona", None, "Italy")),
        ("Ancona, , Italy,", ("Ancona", None, "Italy")),
        # An empty state slot ends the city, which may hold a comma (`Bogota, D.C., , Colombia`).
        ("Ancona , AN, , Italy", ("Ancona, AN", None, "Italy")),
    ],
)
def test_loosely_typed_commas_in_a_location_split_as_written_properly(typed: str, expected: tuple) -> None:
    text = SEED.read_text(encoding="utf-8")
    assert "\nAncona, , Italy\n" in text
    record = parse_page(text.replace("\nAncona, , Italy\n", f"\n{typed}\n"))
    site = next(s for s in record.sites if s.city and s.city.startswith("Ancona"))
    assert (site.city, site.state, site.country) == expected


def test_the_shared_pages_are_read_from_their_folder() -> None:
    assert len(PAGES) == 239 and all(isinstance(p, Path) and p.is_file() for p in PAGES)


@pytest.mark.parametrize(
    "typed", ["Inclusion Criteria.", "Inclusion Criteria -", "Inclusion Criteria\uff1a", "INCLUSION CRITERIA :"]
)
def test_an_inclusion_heading_typed_with_other_punctuation_still_heads_its_items(typed: str) -> None:
    text = SEED.read_text(encoding="utf-8")
    assert "\nInclusion Criteria\n" in text
    as_typed = parse_page(text.replace("\nInclusion Criteria\n", f"\n{typed}\n"))
    assert as_typed.criteria == parse_page(text).criteria
    assert {c.kind for c in as_typed.criteria} == {"inclusion", "exclusion"}
