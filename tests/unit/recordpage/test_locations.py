"""Location lines `City, State, Country`: the sites of every real page equal truth.jsonl, and a
city holding commas of its own (`Bogota, D.C.`) stays the city when the state slot is empty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recordpage import parse_page
from recordpage.values import split_location
from tests.conftest import SEED, SHARED


@pytest.mark.parametrize(
    ("line", "countries", "expected"),
    [
        # Unseen real pages: the empty state slot is the last `, , ` before the country.
        ("Bogota, D.C., , Colombia", ["Colombia"], ("Bogota, D.C.", None, "Colombia")),
        ("Taipei, Taiwan, 100, , Taiwan", ["Taiwan"], ("Taipei, Taiwan, 100", None, "Taiwan")),
        # The shared pages (their JSON's city is `Nishinomiya, Hyogo`, `Seoul,`, `Barcelona,`).
        ("Nishinomiya, Hyogo, , Japan", ["Japan"], ("Nishinomiya, Hyogo", None, "Japan")),
        ("Seoul,, , Korea, Republic of", ["Korea, Republic of"], ("Seoul,", None, "Korea, Republic of")),
        ("Seoul,, , Korea, Republic of", [], ("Seoul,", None, "Korea, Republic of")),
        ("Barcelona,, , Spain", ["Spain"], ("Barcelona,", None, "Spain")),
        # A state given: extra middle parts stay in the state, as before.
        ("Boston, Massachusetts, United States", [], ("Boston", "Massachusetts", "United States")),
        (
            "Seoul, Bundang-gu, Seongnam-si, Korea, Republic of",
            ["Korea, Republic of"],
            ("Seoul", "Bundang-gu, Seongnam-si", "Korea, Republic of"),
        ),
        ("Ancona, , Italy", ["Italy"], ("Ancona", None, "Italy")),
        (", , Italy", ["Italy"], (None, None, "Italy")),
        ("Italy", ["Italy"], (None, None, "Italy")),
    ],
)
def test_split_location(line: str, countries: list[str], expected: tuple) -> None:
    assert split_location(line, countries) == expected


def _pages_and_truth() -> list[tuple[str, Path, list]]:
    out = []
    for root in (SHARED, SHARED / "oncology"):
        for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines():
            t = json.loads(line)
            page = SEED if t["nct_id"] == SEED.stem else root / "text" / f"{t['nct_id']}.txt"
            out.append((t["nct_id"], page, t["sites"]))
    return out


def test_the_sites_of_every_real_page_equal_truth() -> None:
    cases = _pages_and_truth()
    assert len(cases) == 354
    wrong = []
    for nct_id, page, sites in cases:
        record = parse_page(page.read_text(encoding="utf-8"))
        got = [[s.facility, s.city, s.state, s.country, s.status] for s in record.sites]
        wrong += [(nct_id, g, t) for g, t in zip(got, sites, strict=False) if g != t]
        if len(got) != len(sites):
            wrong.append((nct_id, len(got), len(sites)))
    assert sum(len(s) for _, _, s in cases) > 4000
    assert not wrong, wrong[:5]
