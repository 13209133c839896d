"""Property: any well-formed record page, rendered from random parts, lands in the warehouse
exactly as it was put in the page (hypothesis builds the records)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic.render import render_page
from recordpage import layout as L
from recordpage import parse_page
from recordpage.model import Arm, Criterion, Extra, Identifier, Intervention, Record, Site, Sponsor
from schemas import enums
from tests.integration.conftest import connect, run

# Words with commas, unicode and punctuation; no line breaks, no leading/trailing spaces.
WORD = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüñ≥中β-'/&%")),
    min_size=1,
    max_size=10,
)
_RESERVED = set(L.SECTION_DESCRIPTIONS) | L.KNOWN_LABELS | set(L.SECTION_DESCRIPTIONS.values())
_MARKER_START = re.compile(r"^(?:\S{1,4}[.)]|[*\-•·o▪◦●■\u2013+]|\(\w{1,3}\))(?: |$)")


def phrase(min_words: int = 2, max_words: int = 8, commas: bool = True) -> st.SearchStrategy[str]:
    sep = st.sampled_from([" ", ", "] if commas else [" "])
    return (
        st.lists(st.tuples(WORD, sep), min_size=min_words, max_size=max_words)
        .map(lambda parts: "".join(w + s for w, s in parts)[: -len(parts[-1][1])] if parts else "")
        .filter(
            lambda s: (
                s not in _RESERVED and not _MARKER_START.match(s) and not s.startswith(("NCT ID:", "Last Updated:"))
            )
        )
    )


def paragraphs() -> st.SearchStrategy[str]:
    return st.lists(phrase(3, 12), min_size=1, max_size=3).map("\n\n".join)


def criteria() -> st.SearchStrategy[list[Criterion]]:
    """Top-level `*` or numbered items, some with a nested list in another style."""

    @st.composite
    def build(draw: st.DrawFn) -> list[Criterion]:
        out: list[Criterion] = []
        for kind in draw(st.sampled_from([["inclusion", "exclusion"], ["inclusion"], ["unspecified"]])):
            numbered = draw(st.booleans())
            for i in range(1, draw(st.integers(1, 4)) + 1):
                out.append(Criterion(kind, f"{i}." if numbered else "*", draw(phrase(2, 8)), 0, None))
                parent = len(out)
                if draw(st.integers(0, 3)) == 0:
                    for _ in range(draw(st.integers(1, 3))):
                        out.append(Criterion(kind, "-", draw(phrase(2, 6)), 1, parent))
        return out

    return build()


@st.composite
def records(draw: st.DrawFn, nct: int) -> Record:
    n_interventions = draw(st.integers(0, 3))
    interventions = [
        Intervention(
            f"{draw(phrase(1, 3, commas=False))} {k}",
            draw(st.sampled_from(enums.INTERVENTION_TYPE)),
            draw(st.one_of(st.none(), paragraphs())),
        )
        for k in range(n_interventions)
    ]
    arms = [
        Arm(
            f"{draw(phrase(1, 4))} arm {k}",
            draw(st.sampled_from(enums.ARM_TYPE)),
            draw(st.one_of(st.none(), paragraphs())),
            [iv.name for iv in interventions if draw(st.booleans())],
        )
        for k in range(draw(st.integers(0, 3)))
    ]
    sites = [
        Site(
            draw(phrase(1, 5)),
            draw(phrase(1, 2, commas=False)),
            draw(st.one_of(st.none(), phrase(1, 2, commas=False))),
            draw(st.sampled_from(["Italy", "United States", "Korea, Republic of", "Brazil"])),
            draw(st.one_of(st.none(), st.sampled_from(enums.SITE_STATUS))),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    year = draw(st.integers(1990, 2024))
    start = draw(st.sampled_from([f"{year}", f"{year}-03", f"{year}-03-15"]))
    end = draw(st.one_of(st.none(), st.sampled_from([f"{year + 1}-07", f"{year + 2}-01-31"])))
    title = draw(phrase(2, 8)) + draw(st.sampled_from(["", " (ACRO-1)"]))
    return Record(
        nct_id=f"NCT{nct:08d}",
        title=title,
        last_updated=f"{year + 3}-01-02",
        has_results=draw(st.booleans()),
        overall_status=draw(st.sampled_from(enums.OVERALL_STATUS)),
        phases=draw(st.lists(st.sampled_from(enums.PHASES[1:]), max_size=2, unique=True)),
        enrollment=draw(st.one_of(st.none(), st.integers(0, 10**6))),
        study_type="INTERVENTIONAL",
        start_date=start,
        completion_date=end,
        brief_summary=draw(paragraphs()),
        detailed_description=draw(st.one_of(st.none(), paragraphs())),
        allocation=draw(st.one_of(st.none(), st.sampled_from(enums.ALLOCATION))),
        masking=draw(st.one_of(st.none(), st.sampled_from(enums.MASKING))),
        minimum_age=draw(st.one_of(st.none(), st.sampled_from(["18 Years", "6 Months"]))),
        maximum_age=draw(st.one_of(st.none(), st.sampled_from(["65 Years", "99 Years"]))),
        sex=draw(st.sampled_from(enums.SEX)),
        healthy_volunteers=draw(st.booleans()),
        responsible_party_type=draw(st.sampled_from(enums.RESPONSIBLE_PARTY)),
        conditions=draw(st.lists(phrase(1, 4), min_size=1, max_size=3)),
        arms=arms,
        interventions=interventions,
        criteria=draw(criteria()),
        sites=sites,
        sponsors=[Sponsor(draw(phrase(1, 4)), draw(st.sampled_from(enums.AGENCY_CLASS)), "lead")]
        + [Sponsor(draw(phrase(1, 4)), "OTHER", "collaborator") for _ in range(draw(st.integers(0, 2)))],
        identifiers=[Identifier(draw(phrase(1, 1, commas=False)), None, "org_study_id")],
        countries=list(dict.fromkeys(s.country for s in sites if s.country)),
        extras=[Extra("Outcome Measures", None, draw(phrase(2, 6)))] if draw(st.booleans()) else [],
    )


@settings(max_examples=200, deadline=None)
@given(records(nct=12345678))
def test_page_round_trips_through_the_parser(record: Record) -> None:
    assert parse_page(render_page(record)) == record


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=5, unique=True).flatmap(
        lambda ids: st.tuples(*[records(nct=i) for i in ids])
    )
)
def test_warehouse_holds_what_the_pages_say(batch: tuple[Record, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        landing = work / "landing"
        landing.mkdir()
        for record in batch:
            (landing / f"{record.nct_id}.txt").write_text(render_page(record), encoding="utf-8")
        summary = run(landing, work)
        assert summary.load.pages_rejected == 0, summary.load.rejections
        with connect(work) as con:
            for r in batch:
                row = con.execute(
                    "SELECT title, overall_status, phases, enrollment, brief_summary, detailed_description, sex, "
                    "lead_sponsor FROM trials WHERE nct_id = ?",
                    [r.nct_id],
                ).fetchone()
                assert row == (
                    r.title,
                    r.overall_status,
                    r.phases,
                    r.enrollment,
                    r.brief_summary,
                    r.detailed_description,
                    r.sex,
                    r.sponsors[0].name,
                )
                got_criteria = con.execute(
                    "SELECT kind, marker, text, depth, parent_ordinal FROM criteria WHERE nct_id = ? ORDER BY criterion_ordinal",
                    [r.nct_id],
                ).fetchall()
                assert got_criteria == [(c.kind, c.marker, c.text, c.depth, c.parent) for c in r.criteria]
                got_sites = con.execute(
                    "SELECT facility, city, state, country, status FROM sites WHERE nct_id = ? ORDER BY site_ordinal",
                    [r.nct_id],
                ).fetchall()
                assert got_sites == [(s.facility, s.city, s.state, s.country, s.status) for s in r.sites]
                links = con.execute(
                    """SELECT a.label, i.name FROM arm_interventions x
                    JOIN arms a USING (nct_id, arm_ordinal) JOIN interventions i USING (nct_id, intervention_ordinal)
                    WHERE x.nct_id = ? ORDER BY x.arm_ordinal, x.intervention_ordinal""",
                    [r.nct_id],
                ).fetchall()
                assert links == [(a.label, n) for a in r.arms for n in a.intervention_names]
                extras = con.execute(
                    "SELECT section, content FROM extra_sections WHERE nct_id = ?", [r.nct_id]
                ).fetchall()
                assert extras == [(e.section, e.content) for e in r.extras]
