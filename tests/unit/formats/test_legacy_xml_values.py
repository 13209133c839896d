"""One test per legacy XML value mapping; every value the shared XML records use is covered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formats import legacy_xml_values as v
from schemas import enums

XML_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "records" / "xml"


def _values(tag: str) -> set[str]:
    """Every text of `<tag>` in the shared XML records (what the mappings meet in practice)."""
    found: set[str] = set()
    for path in XML_DIR.glob("*.xml"):
        found.update(m.strip() for m in re.findall(rf"<{tag}>([^<]*)</{tag}>", path.read_text(encoding="utf-8")))
    return found


def _covers(mapping, tag: str, allowed: list[str]) -> None:
    seen = _values(tag)
    assert seen, f"no <{tag}> in the shared records"
    assert {mapping(x) for x in seen} <= set(allowed), {x: mapping(x) for x in seen}


def test_status() -> None:
    assert v.map_status("Recruiting") == "RECRUITING"
    assert v.map_status("Active, not recruiting") == "ACTIVE_NOT_RECRUITING"
    assert v.map_status("Not yet recruiting") == "NOT_YET_RECRUITING"
    assert v.map_status("Unknown status") == "UNKNOWN"
    assert v.map_status("Enrolling by invitation") == "ENROLLING_BY_INVITATION"
    assert v.map_status("Approved for marketing") == "APPROVED_FOR_MARKETING"
    assert v.map_status(None) is None and v.map_status("  ") is None
    _covers(v.map_status, "overall_status", enums.OVERALL_STATUS)
    _covers(v.map_status, "status", enums.SITE_STATUS)


def test_phases() -> None:
    assert v.map_phases("Phase 1/Phase 2") == ["PHASE1", "PHASE2"]
    assert v.map_phases("Phase 2/Phase 3") == ["PHASE2", "PHASE3"]
    assert v.map_phases("N/A") == ["NA"]
    assert v.map_phases("Early Phase 1") == ["EARLY_PHASE1"]
    assert v.map_phases("Phase 4") == ["PHASE4"]
    assert v.map_phases(None) == []
    assert v.map_phases("Phase 5/Pilot") == ["PHASE5", "PILOT"]  # unknown: kept, upper-snake-cased
    seen = _values("phase")
    assert {p for x in seen for p in v.map_phases(x)} <= set(enums.PHASES)


def test_study_type() -> None:
    assert v.map_study_type("Interventional") == "INTERVENTIONAL"
    assert v.map_study_type("Observational [Patient Registry]") == "OBSERVATIONAL"
    assert v.map_study_type("Expanded Access") == "EXPANDED_ACCESS"
    _covers(v.map_study_type, "study_type", enums.STUDY_TYPE)


def test_allocation() -> None:
    assert v.map_allocation("Randomized") == "RANDOMIZED"
    assert v.map_allocation("Non-Randomized") == "NON_RANDOMIZED"
    assert v.map_allocation("N/A") == "NA"
    _covers(v.map_allocation, "allocation", enums.ALLOCATION)


def test_intervention_model() -> None:
    assert v.map_intervention_model("Single Group Assignment") == "SINGLE_GROUP"
    assert v.map_intervention_model("Parallel Assignment") == "PARALLEL"
    assert v.map_intervention_model("Crossover Assignment") == "CROSSOVER"
    _covers(v.map_intervention_model, "intervention_model", enums.INTERVENTION_MODEL)


def test_primary_purpose() -> None:
    assert v.map_primary_purpose("Basic Science") == "BASIC_SCIENCE"
    assert v.map_primary_purpose("Health Services Research") == "HEALTH_SERVICES_RESEARCH"
    assert v.map_primary_purpose("Educational/Counseling/Training") == "ECT"
    assert v.map_primary_purpose("Device Feasibility") == "DEVICE_FEASIBILITY"
    _covers(v.map_primary_purpose, "primary_purpose", enums.PRIMARY_PURPOSE)


def test_masking() -> None:
    assert v.map_masking("None (Open Label)") == "NONE"
    assert v.map_masking("Single") == "SINGLE"
    assert v.map_masking("Double (Participant, Investigator)") == "DOUBLE"
    assert v.map_masking("Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)") == "QUADRUPLE"
    _covers(v.map_masking, "masking", enums.MASKING)


def test_observational_model() -> None:
    assert v.map_observational_model("Case-Control") == "CASE_CONTROL"
    assert v.map_observational_model("Ecologic or Community") == "ECOLOGIC_OR_COMMUNITY"
    assert v.map_observational_model("Family-Based") == "FAMILY_BASED"
    _covers(v.map_observational_model, "observational_model", enums.OBSERVATIONAL_MODEL)


def test_time_perspective() -> None:
    assert v.map_time_perspective("Cross-Sectional") == "CROSS_SECTIONAL"
    assert v.map_time_perspective("Prospective") == "PROSPECTIVE"
    _covers(v.map_time_perspective, "time_perspective", enums.TIME_PERSPECTIVE)


def test_intervention_type() -> None:
    assert v.map_intervention_type("Dietary Supplement") == "DIETARY_SUPPLEMENT"
    assert v.map_intervention_type("Diagnostic Test") == "DIAGNOSTIC_TEST"
    assert v.map_intervention_type("Combination Product") == "COMBINATION_PRODUCT"
    _covers(v.map_intervention_type, "intervention_type", enums.INTERVENTION_TYPE)


def test_arm_type() -> None:
    assert v.map_arm_type("Placebo Comparator") == "PLACEBO_COMPARATOR"
    assert v.map_arm_type("No Intervention") == "NO_INTERVENTION"
    assert v.map_arm_type("Sham Comparator") == "SHAM_COMPARATOR"
    _covers(v.map_arm_type, "arm_group_type", enums.ARM_TYPE)


def test_sex() -> None:
    assert [v.map_sex(x) for x in ("All", "Female", "Male", "Both")] == ["ALL", "FEMALE", "MALE", "ALL"]
    _covers(v.map_sex, "gender", enums.SEX)


def test_agency_class() -> None:
    assert v.map_agency_class("Industry") == "INDUSTRY"
    assert v.map_agency_class("U.S. Fed") == "FED"
    assert v.map_agency_class("NIH") == "NIH"
    assert v.map_agency_class("Other") == "OTHER"
    _covers(v.map_agency_class, "agency_class", enums.AGENCY_CLASS)


def test_responsible_party_type() -> None:
    assert v.map_responsible_party_type("Principal Investigator") == "PRINCIPAL_INVESTIGATOR"
    assert v.map_responsible_party_type("Sponsor-Investigator") == "SPONSOR_INVESTIGATOR"
    _covers(v.map_responsible_party_type, "responsible_party_type", enums.RESPONSIBLE_PARTY)


def test_date_and_enrollment_type() -> None:
    assert v.map_date_type("Actual") == "ACTUAL"
    assert v.map_date_type("Anticipated") == "ESTIMATED"
    assert v.map_date_type("Estimate") == "ESTIMATED"
    assert v.map_date_type(None) is None
    assert v.map_enrollment_type("Anticipated") == "ESTIMATED"
    assert v.map_enrollment_type("Actual") == "ACTUAL"


def test_healthy_volunteers() -> None:
    assert v.map_healthy_volunteers("Accepts Healthy Volunteers") is True
    assert v.map_healthy_volunteers("No") is False
    assert v.map_healthy_volunteers(None) is None
    with pytest.raises(ValueError, match="Sometimes"):
        v.map_healthy_volunteers("Sometimes")
    assert {v.map_healthy_volunteers(x) for x in _values("healthy_volunteers")} == {True, False}


def test_age() -> None:
    assert v.map_age("18 Years") == "18 Years"
    assert v.map_age("6 Months") == "6 Months"
    assert v.map_age("N/A") is None
    assert v.map_age(None) is None
    with pytest.raises(ValueError, match="not an age"):
        v.map_age("adult")
    assert all(v.map_age(x) is None or x.endswith(("Years", "Months", "Weeks", "Days")) for x in _values("minimum_age"))


def test_date() -> None:
    assert v.map_date("January 2020") == "2020-01"
    assert v.map_date("January 5, 2020") == "2020-01-05"
    assert v.map_date("December 31, 1999") == "1999-12-31"
    assert v.map_date("2019") == "2019"
    assert v.map_date(None) is None
    with pytest.raises(ValueError, match="not a real calendar date"):
        v.map_date("February 29, 2021")
    with pytest.raises(ValueError, match="not a date"):
        v.map_date("2020-01-05")  # the legacy XML never writes ISO dates: a surprise, not a guess
    for tag in ("start_date", "completion_date", "primary_completion_date", "last_update_posted", "study_first_posted"):
        raw = {m for p in XML_DIR.glob("*.xml") for m in re.findall(rf"<{tag}[^>]*>([^<]*)<", p.read_text("utf-8"))}
        assert raw and all(re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", v.map_date(x) or "") for x in raw), tag


def test_unknown_values_are_kept_upper_snake_cased() -> None:
    assert v.upper_snake("Some New  Value, maybe") == "SOME_NEW_VALUE_MAYBE"
    assert v.map_status("Paused for review") == "PAUSED_FOR_REVIEW"
    assert v.map_intervention_type("Radiation") == "RADIATION"
    assert v.map_masking("Quintuple (Everyone)") == "QUINTUPLE"
