"""`Record` -> a registry API v2 study (JSON): the inverse of `formats.ctgov_json`, for benchmarks.

The same synthetic record can then be ingested as a page and as JSON and the two compared on
speed: `render_study(record)` holds what the page shows, placed where the API puts it, so the
JSON parser gives the page parser's rows. What only the registry's JSON carries (outcomes,
keywords, MeSH terms with their ancestors and browse leaves, date types, officials) is drawn
from a generator seeded by the NCT ID, so the file is about as big and as nested as a real
one and the page corpus, drawn before, stays byte for byte the same.
"""

from __future__ import annotations

import json
import random
from typing import Any

from bench.synthetic.words import GENERAL, SURNAMES
from recordpage.model import Criterion, Record

# Display names the API uses in an arm's `interventionNames` (`Drug: Aspirin`).
_TYPE_NAMES = {"DIETARY_SUPPLEMENT": "Dietary Supplement", "COMBINATION_PRODUCT": "Combination Product",
               "DIAGNOSTIC_TEST": "Diagnostic Test", "GENETIC": "Genetic"}  # fmt: skip


def render_study(record: Record) -> dict[str, Any]:
    """One API v2 study object for `record` (JSON-ready: strings, numbers, lists, dicts)."""
    rng = random.Random(f"trial-warehouse-json:{record.nct_id}")
    protocol: dict[str, Any] = {
        "identificationModule": _identification(record),
        "statusModule": _status(record, rng),
        "sponsorCollaboratorsModule": _sponsors(record),
        "oversightModule": {"oversightHasDmc": rng.random() < 0.4, "isFdaRegulatedDrug": rng.random() < 0.2},
        "descriptionModule": _drop_none(
            {"briefSummary": record.brief_summary, "detailedDescription": record.detailed_description}
        ),
        "conditionsModule": {"conditions": record.conditions, "keywords": _words(rng, rng.randint(0, 6))},
        "designModule": _design(record, rng),
        "armsInterventionsModule": _arms(record),
        "outcomesModule": _outcomes(rng),
        "eligibilityModule": _eligibility(record),
        "contactsLocationsModule": _locations(record, rng),
    }
    if rng.random() < 0.35:
        protocol["referencesModule"] = {"references": [_reference(rng) for _ in range(rng.randint(1, 5))]}
    study: dict[str, Any] = {"protocolSection": protocol}
    if record.has_results:
        study["resultsSection"] = _results(rng)
    study["derivedSection"] = _derived(record, rng)
    if record.has_results is not None:
        study["hasResults"] = record.has_results
    return study


def render_json(record: Record) -> str:
    """The study as the bulk download writes one file: compact JSON, UTF-8 characters kept."""
    return json.dumps(render_study(record), ensure_ascii=False)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != []}


def _identification(record: Record) -> dict[str, Any]:
    org = [i for i in record.identifiers if i.identifier_source == "org_study_id"]
    secondary = [i for i in record.identifiers if i.identifier_source != "org_study_id"]
    return _drop_none(
        {
            "nctId": record.nct_id,
            # The page's title line is the brief title (acronym included): kept whole, no acronym.
            "briefTitle": record.title,
            "officialTitle": record.official_title or f"A Study of {record.title}",
            "orgStudyIdInfo": _identifier(org[0]) if org else None,
            "secondaryIdInfos": [_identifier(i) for i in secondary],
        }
    )


def _identifier(ident: Any) -> dict[str, Any]:
    return _drop_none({"id": ident.identifier, "type": ident.identifier_type})


def _date(value: str | None, kind: str | None = None) -> dict[str, Any] | None:
    return None if value is None else _drop_none({"date": value, "type": kind})


def _status(record: Record, rng: random.Random) -> dict[str, Any]:
    actual = record.overall_status in ("COMPLETED", "TERMINATED", "WITHDRAWN")
    kind = "ACTUAL" if actual else "ESTIMATED"
    first = record.start_date or record.last_updated
    return _drop_none(
        {
            "statusVerifiedDate": record.last_updated[:7] if record.last_updated else None,
            "overallStatus": record.overall_status,
            "whyStopped": "Sponsor decision" if record.overall_status in ("TERMINATED", "WITHDRAWN") else None,
            "startDateStruct": _date(record.start_date, "ACTUAL"),
            "primaryCompletionDateStruct": _date(record.completion_date, kind),
            "completionDateStruct": _date(record.completion_date, kind),
            "studyFirstSubmitDate": first if first and len(first) == 10 else None,
            "studyFirstPostDateStruct": _date(first, "ACTUAL") if first and len(first) == 10 else None,
            "lastUpdatePostDateStruct": _date(record.last_updated, "ACTUAL"),
        }
    )


def _sponsors(record: Record) -> dict[str, Any]:
    lead = next((s for s in record.sponsors if s.role == "lead"), None)
    return _drop_none(
        {
            "responsibleParty": {"type": record.responsible_party_type} if record.responsible_party_type else None,
            "leadSponsor": _drop_none({"name": lead.name, "class": lead.agency_class}) if lead else None,
            "collaborators": [
                _drop_none({"name": s.name, "class": s.agency_class}) for s in record.sponsors if s.role != "lead"
            ],
        }
    )


def _design(record: Record, rng: random.Random) -> dict[str, Any]:
    info = _drop_none(
        {
            "allocation": record.allocation,
            "interventionModel": record.intervention_model,
            "primaryPurpose": record.primary_purpose,
            "observationalModel": record.observational_model,
            "timePerspective": record.time_perspective,
            "maskingInfo": {"masking": record.masking} if record.masking else None,
        }
    )
    enrollment = None
    if record.enrollment is not None:
        enrollment = {"count": record.enrollment, "type": "ACTUAL" if rng.random() < 0.6 else "ESTIMATED"}
    return _drop_none(
        {"studyType": record.study_type, "phases": record.phases, "designInfo": info, "enrollmentInfo": enrollment}
    )


def _arms(record: Record) -> dict[str, Any]:
    types = {i.name: i.intervention_type for i in record.interventions}
    groups = [
        _drop_none(
            {
                "label": a.label,
                "type": a.arm_type,
                "description": a.description,
                "interventionNames": [_named(n, types.get(n)) for n in a.intervention_names],
            }
        )
        for a in record.arms
    ]
    interventions = [
        _drop_none({"type": i.intervention_type, "name": i.name, "description": i.description})
        for i in record.interventions
    ]
    return _drop_none({"armGroups": groups, "interventions": interventions})


def _named(name: str, kind: str | None) -> str:
    if kind is None:
        return name if ": " not in name else f"Other: {name}"
    return f"{_TYPE_NAMES.get(kind, kind.title())}: {name}"


def _eligibility(record: Record) -> dict[str, Any]:
    return _drop_none(
        {
            "eligibilityCriteria": criteria_text(record.criteria) if record.criteria else None,
            "healthyVolunteers": record.healthy_volunteers,
            "sex": record.sex,
            "minimumAge": record.minimum_age,
            "maximumAge": record.maximum_age,
            "stdAges": ["ADULT"],
        }
    )


def criteria_text(criteria: list[Criterion]) -> str:
    """The criteria as the API writes them: markdown whose indentation carries the nesting
    (two spaces a level), headings where the kind changes, a blank line between blocks."""
    lines: list[str] = []
    kind = "unspecified"
    for item in criteria:
        if item.kind != kind:
            kind = item.kind
            if kind != "unspecified":
                heading = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
                lines += ["", heading, ""] if lines else [heading, ""]
        text = f"{item.marker} {item.text}" if item.marker else item.text
        lines.append("  " * item.depth + text)
    return "\n".join(lines)


def _locations(record: Record, rng: random.Random) -> dict[str, Any]:
    sites = [
        _drop_none(
            {
                "facility": s.facility,
                "status": s.status,
                "city": s.city,
                "state": s.state,
                "zip": f"{rng.randint(1000, 99999)}",
                "country": s.country,
                "contacts": [_contact(rng) for _ in range(rng.choice((1, 2, 3, 4)))],
                "geoPoint": {"lat": round(rng.uniform(-60, 70), 5), "lon": round(rng.uniform(-180, 180), 5)},
            }
        )
        for s in record.sites
    ]
    official = {"name": f"{rng.choice(SURNAMES)}, MD", "affiliation": record.sponsors[0].name if record.sponsors
                else None, "role": "PRINCIPAL_INVESTIGATOR"}  # fmt: skip
    return _drop_none({"overallOfficials": [_drop_none(official)], "locations": sites})


def _words(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choices(GENERAL, k=rng.randint(1, 3))) for _ in range(count)]


def _outcomes(rng: random.Random) -> dict[str, Any]:
    def one() -> dict[str, Any]:
        words = " ".join(rng.choices(GENERAL, k=rng.randint(4, 14)))
        described = " ".join(rng.choices(GENERAL, k=rng.randint(20, 80))) if rng.random() < 0.7 else None
        return _drop_none({"measure": words.capitalize(), "description": described,
                           "timeFrame": f"{rng.randint(1, 52)} weeks"})  # fmt: skip

    return _drop_none(
        {
            "primaryOutcomes": [one() for _ in range(rng.randint(1, 3))],
            "secondaryOutcomes": [one() for _ in range(rng.choice((0, 1, 2, 3, 5, 8)))],
        }
    )


def _mesh(rng: random.Random, names: list[str]) -> dict[str, Any]:
    def term(name: str) -> dict[str, Any]:
        return {"id": f"D{rng.randint(0, 999999):06d}", "term": name}

    ancestors = [term(" ".join(rng.choices(GENERAL, k=2)).title()) for _ in range(rng.randint(0, 6))]
    leaves = [{"id": f"M{rng.randint(1, 30000)}", "name": x["term"], "relevance": "LOW"} for x in ancestors]
    return _drop_none({"meshes": [term(n) for n in names], "ancestors": ancestors, "browseLeaves": leaves})


def _derived(record: Record, rng: random.Random) -> dict[str, Any]:
    derived = {
        "miscInfoModule": {"versionHolder": "2025-01-01"},
        "conditionBrowseModule": _mesh(rng, record.conditions[:2]),
    }
    if record.interventions:
        derived["interventionBrowseModule"] = _mesh(rng, [i.name for i in record.interventions[:2]])
    return derived


def _contact(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(SURNAMES)
    return {"name": f"{name}, MD", "role": "CONTACT", "phone": f"+1 {rng.randint(200, 999)}-555-{rng.randint(0, 9999):04d}",
            "email": f"{name.lower()}@example.org"}  # fmt: skip


def _reference(rng: random.Random) -> dict[str, Any]:
    authors = ", ".join(f"{rng.choice(SURNAMES)} {chr(65 + rng.randint(0, 25))}" for _ in range(rng.randint(1, 6)))
    title = " ".join(rng.choices(GENERAL, k=rng.randint(8, 20))).capitalize()
    return {"pmid": str(rng.randint(10_000_000, 39_999_999)), "type": rng.choice(("BACKGROUND", "RESULT", "DERIVED")),
            "citation": f"{authors}. {title}. J Clin Res. {rng.randint(1990, 2025)};{rng.randint(1, 99)}:1-9."}  # fmt: skip


def _results(rng: random.Random) -> dict[str, Any]:
    """A results section of the registry's shape (groups, measures, their values per group):
    never read by the warehouse, but parsed with the study, so its size counts (sized against
    the shared records: bench/RESULTS.md, "Formats (issue 16)")."""
    groups = [{"id": f"OG{k:03d}", "title": " ".join(rng.choices(GENERAL, k=3)).title(),
               "description": " ".join(rng.choices(GENERAL, k=rng.randint(10, 40)))}
              for k in range(rng.randint(1, 4))]  # fmt: skip

    def measure() -> dict[str, Any]:
        values = [{"groupId": g["id"], "value": f"{rng.uniform(0, 100):.1f}", "spread": f"{rng.uniform(0, 20):.2f}"}
                  for g in groups]  # fmt: skip
        categories = [{"title": " ".join(rng.choices(GENERAL, k=2)), "measurements": values}
                      for _ in range(rng.randint(1, 4))]  # fmt: skip
        return {"type": "PRIMARY", "title": " ".join(rng.choices(GENERAL, k=rng.randint(5, 15))).capitalize(),
                "description": " ".join(rng.choices(GENERAL, k=rng.randint(10, 60))), "paramType": "MEAN",
                "unitOfMeasure": "units on a scale", "timeFrame": f"{rng.randint(1, 52)} weeks",
                "groups": groups, "classes": [{"categories": categories}]}  # fmt: skip

    return {"outcomeMeasuresModule": {"outcomeMeasures": [measure() for _ in range(int(rng.lognormvariate(3.3, 0.8)))]}}
