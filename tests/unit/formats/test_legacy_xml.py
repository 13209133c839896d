"""Legacy `<clinical_study>` XML: every shared record parses, counts and criteria text survive, bad input is refused."""

from __future__ import annotations

import re
import xml.etree.ElementTree as StdET  # only on the shared test records, which are trusted
from pathlib import Path

import pytest

from formats import InputFormat
from formats.legacy_xml import FORMAT
from formats.legacy_xml_text import logical_lines
from recordpage.model import Record, RecordError
from schemas import enums

XML_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "records" / "xml"
PATHS = sorted(XML_DIR.glob("*.xml"))
_HEADINGS = {p + h for h in ("inclusion criteria", "exclusion criteria") for p in ("", "key ")}


def _parse(path: Path) -> Record:
    return FORMAT.parse(path.read_text(encoding="utf-8"))


def _textblock(path: Path) -> str | None:
    el = StdET.parse(path).getroot().find("eligibility/criteria/textblock")
    return el.text if el is not None else None


def test_the_shared_xml_records_are_there() -> None:
    assert len(PATHS) == 65, f"expected the 65 legacy XML records in {XML_DIR}"


def test_it_is_an_input_format() -> None:
    assert isinstance(FORMAT, InputFormat)
    assert (FORMAT.name, FORMAT.rank, FORMAT.suffixes) == ("legacy_xml", 2, (".xml",))
    text = PATHS[0].read_text(encoding="utf-8")
    assert list(FORMAT.units(text)) == [(None, text)]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_every_file_parses_with_the_xml_counts(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    r = _parse(path)
    assert r.nct_id == path.stem
    assert r.source_format == "legacy_xml"
    # Direct children of <clinical_study> sit at two spaces of indentation in these files.
    for tag, got in (
        ("location", r.sites),
        ("arm_group", r.arms),
        ("intervention", r.interventions),
        ("condition", r.conditions),
        ("keyword", r.keywords),
        ("reference", [x for x in r.references if x.reference_type == "BACKGROUND"]),
        ("results_reference", [x for x in r.references if x.reference_type == "RESULT"]),
        ("primary_outcome", [o for o in r.outcomes if o.kind == "primary"]),
        ("secondary_outcome", [o for o in r.outcomes if o.kind == "secondary"]),
    ):
        assert len(got) == len(re.findall(rf"^  <{tag}>", raw, re.M)), tag
    assert len(r.mesh_terms) == raw.count("<mesh_term>")
    assert len(r.sponsors) == raw.count("<lead_sponsor>") + raw.count("<collaborator>")
    assert r.has_results == ("<clinical_results>" in raw)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_enumerations_are_contract_codes(path: Path) -> None:
    r = _parse(path)
    single = {
        "overall_status": (r.overall_status, enums.OVERALL_STATUS),
        "study_type": (r.study_type, enums.STUDY_TYPE),
        "allocation": (r.allocation, enums.ALLOCATION),
        "intervention_model": (r.intervention_model, enums.INTERVENTION_MODEL),
        "primary_purpose": (r.primary_purpose, enums.PRIMARY_PURPOSE),
        "masking": (r.masking, enums.MASKING),
        "observational_model": (r.observational_model, enums.OBSERVATIONAL_MODEL),
        "time_perspective": (r.time_perspective, enums.TIME_PERSPECTIVE),
        "sex": (r.sex, enums.SEX),
        "responsible_party_type": (r.responsible_party_type, enums.RESPONSIBLE_PARTY),
    }
    for field, (value, allowed) in single.items():
        assert value is None or value in allowed, (field, value)
    assert r.study_type is not None and r.overall_status is not None
    assert set(r.phases) <= set(enums.PHASES)
    assert {a.arm_type for a in r.arms} <= {*enums.ARM_TYPE, None}
    assert {i.intervention_type for i in r.interventions} <= {*enums.INTERVENTION_TYPE, None}
    assert {s.agency_class for s in r.sponsors} <= {*enums.AGENCY_CLASS, None}
    assert {s.status for s in r.sites} <= {*enums.SITE_STATUS, None}
    for kind in (r.start_date_type, r.primary_completion_date_type, r.completion_date_type, r.enrollment_type):
        assert kind in (None, "ACTUAL", "ESTIMATED")
    for date in (r.last_updated, r.start_date, r.completion_date, r.primary_completion_date, r.first_posted):
        assert date is None or re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", date), date
    assert r.last_updated is not None and r.first_posted is not None


def _without_headings_and_space(block: str) -> str:
    kept = [
        line for line in block.replace("\r", "\n").split("\n")
        if line.strip().rstrip(" :.-").lower() not in _HEADINGS
    ]  # fmt: skip
    return re.sub(r"\s+", "", "".join(kept))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_criteria_rows_joined_back_are_the_text_block(path: Path) -> None:
    block = _textblock(path)
    assert block is not None
    rows = _parse(path).criteria
    joined = "".join(f"{c.marker or ''}{c.text}" for c in rows)
    assert re.sub(r"\s+", "", joined) == _without_headings_and_space(block)
    # The writer put a blank line between items: one row per blank-separated block, none merged.
    chunks = [c for c in re.split(r"\n\s*\n", block.replace("\r", "")) if c.strip()]
    items = [c for c in chunks if c.strip().rstrip(" :.-").lower() not in _HEADINGS]
    assert len(rows) == len(items)
    assert all("\n" not in c.text and "\r" not in c.text for c in rows)


def test_wrapped_items_are_joined_and_kinds_and_nesting_read() -> None:
    r = _parse(XML_DIR / "NCT00739765.xml")
    texts = [(c.kind, c.text) for c in r.criteria]
    assert (
        "inclusion",
        "Meets DSM-IV (Diagnostic and Statistical Manual of Mental Disorders) criteria for primary, chronic PTSD",
    ) in texts
    assert texts[-1] == ("exclusion", "Inability to speak or read English")
    nested = _parse(XML_DIR / "NCT00739791.xml").criteria
    assert max(c.depth for c in nested) >= 2  # `-` items hung deeper than their parent `-` item


@pytest.mark.parametrize(
    ("block", "lines"),
    [
        # A wrap that looks like a marker (`(ACR)`) but hangs under the item's text is a wrap.
        (
            "          -  Evaluation of tests like Albumin to Creatinine Ratio of the patient and more\r\n"
            "             (ACR) Test, etc.\r\n",
            [
                "          -  Evaluation of tests like Albumin to Creatinine Ratio of the patient and more (ACR) Test, etc."
            ],
        ),
        # No blank line between items: each marker starts its own item, a dedent ends the list.
        (
            "        Inclusion Criteria:\n          -  one\n          -  two, wrapped over a line of its own here and here ok\n"
            "             more\n        Exclusion Criteria:\n          1. three",
            [
                "        Inclusion Criteria:",
                "          -  one",
                "          -  two, wrapped over a line of its own here and here ok more",
                "        Exclusion Criteria:",
                "          1. three",
            ],
        ),
        # A flush wrap of a bulleted paragraph; a short line was not wrapped, so the next is new.
        (
            "        • Male volunteers in good health aged 18-35 years were enrolled as participants\n"
            "        in this study.\n        Note:\n        read this",
            [
                "        • Male volunteers in good health aged 18-35 years were enrolled as participants in this study.",
                "        Note:",
                "        read this",
            ],
        ),
    ],
)
def test_logical_lines(block: str, lines: list[str]) -> None:
    assert [x for x in logical_lines(block) if x] == lines


def _study(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<clinical_study>{body}</clinical_study>'


_ID = "<id_info><nct_id>NCT01234567</nct_id></id_info><brief_title>t</brief_title>"
_BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE clinical_study [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">\n' for k in range(1, 10))
    + "]>\n<clinical_study><id_info><nct_id>NCT01234567</nct_id></id_info><brief_title>&lol9;</brief_title>"
    "</clinical_study>"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_study(_ID + "<brief_summary>"), "not well-formed XML"),
        ("", "not well-formed XML"),
        ('{"protocolSection": {}}', "not well-formed XML"),
        (_BOMB, "entity expansion is refused"),
        (
            '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<clinical_study>&x;</clinical_study>",
            "entity",
        ),
        (_study("<brief_title>t</brief_title>"), "no NCT ID"),
        (_study("<id_info><nct_id>  </nct_id></id_info>"), "no NCT ID"),
        (_study("<id_info><nct_id>NCT123</nct_id></id_info>"), "not NCT followed by 8 digits"),
        ("<study><nct_id>NCT01234567</nct_id></study>", "not <clinical_study>"),
        (_study(_ID + "<start_date>Spring 2020</start_date>"), "'Spring 2020' is not a date"),
        (_study(_ID + "<start_date>February 30, 2020</start_date>"), "not a real calendar date"),
        (_study(_ID + "<enrollment>many</enrollment>"), "not a participant count"),
        (_study(_ID + "<eligibility><minimum_age>adult</minimum_age></eligibility>"), "not an age"),
        (_study(_ID + "<eligibility><healthy_volunteers>Maybe</healthy_volunteers></eligibility>"), "Maybe"),
    ],
    ids=lambda x: x[:30] if isinstance(x, str) else None,
)
def test_bad_input_is_a_record_error_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(RecordError, match=re.escape(reason)):
        FORMAT.parse(text)


def test_a_minimal_study_parses_with_nulls_not_blanks() -> None:
    r = FORMAT.parse(_study(_ID + "<phase>Phase 2/Phase 3</phase><acronym>T1</acronym><minimum_age>N/A</minimum_age>"))
    assert (r.nct_id, r.title, r.phases) == ("NCT01234567", "t (T1)", ["PHASE2", "PHASE3"])
    assert r.minimum_age is None and r.criteria == [] and r.sites == [] and r.has_results is False
    assert r.enrollment is None and r.enrollment_type is None and r.last_updated is None
