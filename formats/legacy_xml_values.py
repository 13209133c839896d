"""Legacy XML values -> the contract's codes (the registry's API v2 enumerations, `schemas.enums`).

The retired `<clinical_study>` XML spells values for people (`Phase 1/Phase 2`, `Active, not
recruiting`, `None (Open Label)`); the warehouse keeps the API v2 codes the page and JSON give.
One function per enumeration. A value no table knows is kept, upper-snake-cased
(`Some New Value` -> `SOME_NEW_VALUE`), never dropped: if it is not a contract code the
warehouse's validation rejects the record and names the value, instead of storing NULL.
"""

from __future__ import annotations

import datetime as dt
import re

from recordpage.values import check_age

_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


def upper_snake(value: str) -> str:
    """`Active, not recruiting` -> `ACTIVE_NOT_RECRUITING`: the fallback for values no table knows."""
    return _NON_WORD.sub("_", value.strip()).strip("_").upper()


def _lookup(table: dict[str, str], value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    v = " ".join(value.split())
    return table.get(v.lower()) or upper_snake(v)


_STATUS = {
    "unknown status": "UNKNOWN",
    "active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "enrolling by invitation": "ENROLLING_BY_INVITATION",
    "not yet recruiting": "NOT_YET_RECRUITING",
    "no longer available": "NO_LONGER_AVAILABLE",
    "temporarily not available": "TEMPORARILY_NOT_AVAILABLE",
    "approved for marketing": "APPROVED_FOR_MARKETING",
}


def map_status(value: str | None) -> str | None:
    """Overall or site recruitment status: `Unknown status` -> `UNKNOWN`, `Recruiting` -> `RECRUITING`."""
    return _lookup(_STATUS, value)


_PHASE = {"n/a": "NA", "early phase 1": "EARLY_PHASE1"}
_PHASE_N = re.compile(r"^phase ?(\d)$")


def map_phases(value: str | None) -> list[str]:
    """`Phase 1/Phase 2` -> `['PHASE1', 'PHASE2']`; `N/A` -> `['NA']`; absent -> `[]`."""
    if value is None or not value.strip():
        return []
    whole = " ".join(value.split()).lower()
    if whole in _PHASE:  # `N/A` holds a slash of its own
        return [_PHASE[whole]]
    out: list[str] = []
    for part in whole.split("/"):
        p = part.strip()
        m = _PHASE_N.match(p)
        out.append(f"PHASE{m[1]}" if m else _PHASE.get(p) or upper_snake(p))
    return out


_STUDY_TYPE = {
    "observational [patient registry]": "OBSERVATIONAL",  # API v2: OBSERVATIONAL + patientRegistry
    "expanded access": "EXPANDED_ACCESS",
}


def map_study_type(value: str | None) -> str | None:
    return _lookup(_STUDY_TYPE, value)


_ALLOCATION = {"n/a": "NA", "non-randomized": "NON_RANDOMIZED", "randomized": "RANDOMIZED"}


def map_allocation(value: str | None) -> str | None:
    return _lookup(_ALLOCATION, value)


_INTERVENTION_MODEL = {
    "single group assignment": "SINGLE_GROUP",
    "parallel assignment": "PARALLEL",
    "crossover assignment": "CROSSOVER",
    "factorial assignment": "FACTORIAL",
    "sequential assignment": "SEQUENTIAL",
}


def map_intervention_model(value: str | None) -> str | None:
    return _lookup(_INTERVENTION_MODEL, value)


_PRIMARY_PURPOSE = {"educational/counseling/training": "ECT"}


def map_primary_purpose(value: str | None) -> str | None:
    """`Basic Science` -> `BASIC_SCIENCE`; `Educational/Counseling/Training` -> `ECT` as in API v2."""
    return _lookup(_PRIMARY_PURPOSE, value)


_MASKING = {"none (open label)": "NONE"}


def map_masking(value: str | None) -> str | None:
    """`Double (Participant, Investigator)` -> `DOUBLE`: who is masked is not a contract column."""
    if value is None or not value.strip():
        return None
    v = " ".join(value.split())
    if v.lower() in _MASKING:
        return _MASKING[v.lower()]
    return upper_snake(v.split("(")[0]) or upper_snake(v)


def map_observational_model(value: str | None) -> str | None:
    """`Case-Control` -> `CASE_CONTROL`, `Ecologic or Community` -> `ECOLOGIC_OR_COMMUNITY`."""
    return _lookup({}, value)


def map_time_perspective(value: str | None) -> str | None:
    """`Cross-Sectional` -> `CROSS_SECTIONAL`."""
    return _lookup({}, value)


def map_intervention_type(value: str | None) -> str | None:
    """`Dietary Supplement` -> `DIETARY_SUPPLEMENT`, `Diagnostic Test` -> `DIAGNOSTIC_TEST`."""
    return _lookup({}, value)


def map_arm_type(value: str | None) -> str | None:
    """`Placebo Comparator` -> `PLACEBO_COMPARATOR`, `No Intervention` -> `NO_INTERVENTION`."""
    return _lookup({}, value)


_SEX = {"both": "ALL"}  # older records spelled ALL as `Both`


def map_sex(value: str | None) -> str | None:
    return _lookup(_SEX, value)


_AGENCY_CLASS = {"u.s. fed": "FED", "other u.s. federal agency": "FED", "ambig": "AMBIG"}


def map_agency_class(value: str | None) -> str | None:
    """`Industry` -> `INDUSTRY`, `U.S. Fed` -> `FED`, `NIH` -> `NIH`."""
    return _lookup(_AGENCY_CLASS, value)


def map_responsible_party_type(value: str | None) -> str | None:
    """`Principal Investigator` -> `PRINCIPAL_INVESTIGATOR`, `Sponsor-Investigator` -> `SPONSOR_INVESTIGATOR`."""
    return _lookup({}, value)


_DATE_TYPE = {"actual": "ACTUAL", "anticipated": "ESTIMATED", "estimate": "ESTIMATED", "estimated": "ESTIMATED"}


def map_date_type(value: str | None) -> str | None:
    """The `type` of a date or an enrollment: `Actual` -> `ACTUAL`; `Anticipated`/`Estimate` -> `ESTIMATED`."""
    return _lookup(_DATE_TYPE, value)


map_enrollment_type = map_date_type  # the same attribute and values on <enrollment>


_HEALTHY = {"accepts healthy volunteers": True, "yes": True, "no": False}


def map_healthy_volunteers(value: str | None) -> bool | None:
    """`Accepts Healthy Volunteers` -> True, `No` -> False. ValueError for anything else (a bool has no verbatim)."""
    if value is None or not value.strip():
        return None
    v = " ".join(value.split()).lower()
    if v not in _HEALTHY:
        raise ValueError(f"'{value}' is neither 'Accepts Healthy Volunteers' nor 'No'")
    return _HEALTHY[v]


def map_age(value: str | None) -> str | None:
    """`18 Years` stays as written; `N/A` (no limit) -> None. ValueError for a value that is no age."""
    if value is None or not value.strip() or value.strip().upper() == "N/A":
        return None
    v = " ".join(value.split())
    return check_age(v)


_MONTHS = {
    m.lower(): k
    for k, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
_LEGACY_DATE = re.compile(r"^([A-Za-z]+)\.? (?:(\d{1,2}), )?(\d{4})$")


def map_date(value: str | None) -> str | None:
    """`January 2020` -> `2020-01`, `January 5, 2020` -> `2020-01-05`; the precision given is kept.

    ValueError for a date that is not one (`February 30, 2020`, `Spring 2020`).
    """
    if value is None or not value.strip():
        return None
    v = " ".join(value.split())
    if re.fullmatch(r"\d{4}", v):
        return v
    m = _LEGACY_DATE.match(v)
    month = _MONTHS.get(m[1].lower()) if m else None
    if m is None or month is None:
        raise ValueError(f"'{value}' is not a date (expected e.g. 'January 2020' or 'January 5, 2020')")
    year = int(m[3])
    if m[2] is None:
        return f"{year:04d}-{month:02d}"
    try:
        dt.date(year, month, int(m[2]))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a real calendar date ({exc})") from None
    return f"{year:04d}-{month:02d}-{int(m[2]):02d}"
