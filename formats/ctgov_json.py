"""ClinicalTrials.gov API v2 JSON: one study, an array of studies, or an API response page.

A file is one study (`{"protocolSection": ...}`), a JSON array of studies (a search's
`ctg-studies.json`), or an API page (`{"studies": [...], "nextPageToken": ...}`). `units`
splits any of them into one JSON text per study; `parse` turns one study into the `Record` the
page parser would produce for the page rendered from it, plus what only the JSON carries
(outcomes, keywords, MeSH terms, references, date types, coordinates).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

from formats.json_stream import iter_array, open_array
from recordpage.criteria import parse_criteria_text
from recordpage.model import (
    Arm,
    Identifier,
    Intervention,
    MeshTerm,
    Outcome,
    Record,
    RecordError,
    Reference,
    Site,
    Sponsor,
)
from recordpage.values import check_date

_NCT_ID = re.compile(r"^NCT\d{8}$")
_SECTION = "study"


class CtgovJsonFormat:
    name = "ctgov_json"
    rank = 3
    suffixes: tuple[str, ...] = (".json",)

    def units(self, text: str) -> Iterator[tuple[str | None, str]]:
        data = _loads(text, "file")
        if isinstance(data, dict) and "protocolSection" in data:
            yield None, text
            return
        studies = _studies(data)
        for k, study in enumerate(studies):
            yield _label(study, k), json.dumps(study, ensure_ascii=False)

    def iter_units(self, fh: BinaryIO, max_unit_bytes: int | None = None) -> Iterator[tuple[str | None, str]]:
        """`units` for a file read as bytes: an array is read one study at a time in bounded
        memory (a 1 GB `ctg-studies.json`), a study above `max_unit_bytes` ending the read with
        a RecordError; a single study or an API page is read whole."""
        is_array, reader = open_array(fh, max_unit_bytes)
        if not is_array:
            yield from self.units(_decode(reader.read()))
            return
        for k, study in enumerate(iter_array(reader)):
            yield _label(study, k), json.dumps(study, ensure_ascii=False)

    def parse(self, text: str) -> Record:
        study = _fast_study(text)
        if study is None:
            study = _loads(text, "study")
        if not isinstance(study, dict):
            raise RecordError(_SECTION, "study", f"a study is a JSON object, not {_kind(study)}")
        return study_record(study)


class _Browse(msgspec.Struct):
    meshes: Any = None


class _Derived(msgspec.Struct, rename="camel"):
    condition_browse_module: _Browse | None = None
    intervention_browse_module: _Browse | None = None


class _Study(msgspec.Struct, rename="camel"):
    """The parts of a study that `study_record` reads. Everything else (the results section,
    the MeSH trees, document and annotation sections) is skipped in C without building a
    Python object for it: decoding with json.loads was most of a JSON study's parse."""

    protocol_section: Any = None
    derived_section: _Derived | None = None
    has_results: Any = None


_DECODER = msgspec.json.Decoder(_Study)


def _fast_study(text: str) -> dict[str, Any] | None:
    """The study as the dict `json.loads` would give for the parts `study_record` reads, or
    None when it is not a study of the expected shape or not valid JSON: the json.loads path
    then says exactly what is wrong, as before."""
    try:
        # Decoded from the str, not re-encoded bytes: the UTF-8 form CPython caches for it
        # is the one polars copies into the raw store's frame.
        s = _DECODER.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    study: dict[str, Any] = {"protocolSection": s.protocol_section, "hasResults": s.has_results}
    d = s.derived_section
    if d is not None:
        modules = (
            ("conditionBrowseModule", d.condition_browse_module),
            ("interventionBrowseModule", d.intervention_browse_module),
        )
        study["derivedSection"] = {k: {"meshes": m.meshes} for k, m in modules if m is not None}
    return study


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(_SECTION, "file", f"not UTF-8 text (byte {exc.start}): JSON files are UTF-8") from None


def _loads(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = "it is cut off" if exc.pos >= len(text.rstrip()) else f"{exc.msg}"
        raise RecordError(
            _SECTION, what, f"not valid JSON: {problem} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise RecordError(_SECTION, what, "not valid JSON: nested too deeply") from None


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
    return kinds.get(type(value), type(value).__name__)


def _studies(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        return data["studies"]
    if isinstance(data, dict):
        keys = ", ".join(sorted(data)[:5]) or "none"
        raise RecordError(
            _SECTION,
            "protocolSection",
            f"a JSON object with neither 'protocolSection' (one study) nor 'studies' (an API page); keys: {keys}",
        )
    raise RecordError(_SECTION, "file", f"expected a study, an array of studies or an API page, not {_kind(data)}")


def _label(study: Any, k: int) -> str:
    """The study's NCT ID when it has one, else its position (the parse will say what is wrong)."""
    if isinstance(study, dict):
        nct = study.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
        if isinstance(nct, str) and nct:
            return nct
    return f"#{k + 1}"


_NO: dict[str, Any] = {}


def study_record(study: dict[str, Any]) -> Record:
    """One API v2 study object -> Record. RecordError names the JSON field and problem."""
    try:
        return _study_record(study)
    except (AttributeError, TypeError) as exc:
        # Valid JSON of another shape (a list where the API has an object...): a reason, not a crash.
        raise RecordError(
            "protocolSection", "structure", f"a value of an unexpected JSON type, not an API v2 study ({exc})"
        ) from None


def _protocol(study: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """-> (the protocol section, its identification module, the NCT ID), or why there are none."""
    ps = study.get("protocolSection")
    if not isinstance(ps, dict):
        raise RecordError(_SECTION, "protocolSection", "no 'protocolSection' object: not an API v2 study")
    ident = ps.get("identificationModule") or _NO
    nct = ident.get("nctId")
    if not nct:
        raise RecordError("identificationModule", "nctId", "no NCT ID in the study")
    if not isinstance(nct, str) or not _NCT_ID.match(nct):
        raise RecordError("identificationModule", "nctId", f"'{nct}' is not NCT followed by 8 digits")
    return ps, ident, nct


def _study_record(study: dict[str, Any]) -> Record:
    ps, ident, nct = _protocol(study)
    status = ps.get("statusModule") or _NO
    design = ps.get("designModule") or _NO
    info = design.get("designInfo") or _NO
    enroll = design.get("enrollmentInfo") or _NO
    elig = ps.get("eligibilityModule") or _NO
    desc = ps.get("descriptionModule") or _NO
    sponsors = ps.get("sponsorCollaboratorsModule") or _NO

    brief = ident.get("briefTitle") or ""
    acronym = ident.get("acronym")
    start = status.get("startDateStruct") or _NO
    primary = status.get("primaryCompletionDateStruct") or _NO
    completion = status.get("completionDateStruct") or _NO
    r = Record(
        nct_id=nct,
        title=_title(brief, acronym),
        last_updated=_date(status.get("lastUpdatePostDateStruct"), "lastUpdatePostDateStruct"),
        has_results=study.get("hasResults"),
        overall_status=status.get("overallStatus"),
        phases=_strings(design, "phases", "designModule"),
        enrollment=_count(enroll.get("count")),
        study_type=design.get("studyType"),
        start_date=_date(start, "startDateStruct"),
        completion_date=_date(completion, "completionDateStruct"),
        brief_summary=_free_text(desc.get("briefSummary")),
        detailed_description=_free_text(desc.get("detailedDescription")),
        allocation=info.get("allocation"),
        intervention_model=info.get("interventionModel"),
        primary_purpose=info.get("primaryPurpose"),
        masking=(info.get("maskingInfo") or _NO).get("masking"),
        observational_model=info.get("observationalModel"),
        time_perspective=info.get("timePerspective"),
        minimum_age=elig.get("minimumAge"),
        maximum_age=elig.get("maximumAge"),
        sex=elig.get("sex"),
        healthy_volunteers=elig.get("healthyVolunteers"),
        responsible_party_type=(sponsors.get("responsibleParty") or _NO).get("type"),
        conditions=_strings(ps.get("conditionsModule") or _NO, "conditions", "conditionsModule"),
        official_title=ident.get("officialTitle"),
        why_stopped=status.get("whyStopped"),
        primary_completion_date=_date(primary, "primaryCompletionDateStruct"),
        start_date_type=start.get("type"),
        primary_completion_date_type=primary.get("type"),
        completion_date_type=completion.get("type"),
        enrollment_type=enroll.get("type"),
        first_posted=_date(status.get("studyFirstPostDateStruct"), "studyFirstPostDateStruct"),
        results_first_posted=_date(status.get("resultsFirstPostDateStruct"), "resultsFirstPostDateStruct"),
        keywords=_strings(ps.get("conditionsModule") or _NO, "keywords", "conditionsModule"),
        source_format="ctgov_json",
    )
    _add_lists(r, study, ps)
    return r


def _add_lists(r: Record, study: dict[str, Any], ps: dict[str, Any]) -> None:
    """The study's repeated parts: arms, criteria, sponsors, sites, identifiers, outcomes, MeSH
    terms and references."""
    _arms(r, ps.get("armsInterventionsModule") or _NO)
    criteria = (ps.get("eligibilityModule") or _NO).get("eligibilityCriteria")
    if criteria:
        r.criteria = parse_criteria_text(criteria)
    _sponsors(r, ps.get("sponsorCollaboratorsModule") or _NO)
    _locations(r, ps.get("contactsLocationsModule") or _NO)
    _identifiers(r, ps.get("identificationModule") or _NO)
    _outcomes(r, ps.get("outcomesModule") or _NO)
    _mesh(r, study.get("derivedSection") or _NO)
    r.references = [
        Reference(ref.get("pmid"), ref.get("type"), ref.get("citation"))
        for ref in (ps.get("referencesModule") or _NO).get("references") or ()
    ]


def _strings(module: dict[str, Any], key: str, where: str) -> list[str]:
    values = module.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RecordError(where, key, f"expected a list of strings, not {json.dumps(values)[:80]}")
    return values


def _count(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise RecordError("designModule", "enrollmentInfo.count", f"'{value}' is not a participant count")


def _title(brief: str, acronym: str | None) -> str:
    """The page's title line: the brief title, then the acronym in brackets unless it ends so."""
    if not acronym or brief.endswith(f"({acronym})"):
        return brief
    return f"{brief} ({acronym})"


def _free_text(text: str | None) -> str | None:
    """Free text as the page holds it: the source's line breaks kept, each line's indentation
    and trailing spaces not (the page cannot show them), blank lines at either end dropped."""
    if not text:
        return None
    if "\n " in text or " \n" in text or text[0] == " " or text[-1] == " ":
        text = "\n".join(line.strip() for line in text.split("\n"))
    return text.strip("\n") or None


def _date(struct: dict[str, Any] | None, field: str) -> str | None:
    if not struct:
        return None
    value = struct.get("date") if isinstance(struct, dict) else struct
    if value is None:
        return None
    try:
        return check_date(value)
    except (ValueError, TypeError) as exc:
        raise RecordError("statusModule", field, str(exc)) from None


def _arms(r: Record, module: dict[str, Any]) -> None:
    r.interventions = [
        Intervention(i.get("name") or "", i.get("type"), _free_text(i.get("description")))
        for i in module.get("interventions") or ()
    ]
    for group in module.get("armGroups") or ():
        names = [_strip_type(n) for n in group.get("interventionNames") or ()]
        r.arms.append(Arm(group.get("label") or "", group.get("type"), _free_text(group.get("description")), names))


def _strip_type(name: str) -> str:
    """`Drug: Aspirin` -> `Aspirin`: an arm names its interventions with their type in front."""
    _, sep, rest = name.partition(": ")
    return rest if sep else name


def _sponsors(r: Record, module: dict[str, Any]) -> None:
    lead = module.get("leadSponsor")
    if lead:
        r.sponsors.append(Sponsor(lead.get("name") or "", lead.get("class"), "lead"))
    for c in module.get("collaborators") or ():
        r.sponsors.append(Sponsor(c.get("name") or "", c.get("class"), "collaborator"))


def _locations(r: Record, module: dict[str, Any]) -> None:
    countries: list[str] = []
    for loc in module.get("locations") or ():
        geo = loc.get("geoPoint") or _NO
        country = loc.get("country")
        r.sites.append(
            Site(
                loc.get("facility"),
                loc.get("city"),
                loc.get("state"),
                country,
                loc.get("status"),
                loc.get("zip"),
                geo.get("lat"),
                geo.get("lon"),
            )
        )
        if country and country not in countries:
            countries.append(country)
    r.countries = countries


def _identifiers(r: Record, ident: dict[str, Any]) -> None:
    org = ident.get("orgStudyIdInfo")
    if org and org.get("id"):
        r.identifiers.append(Identifier(org["id"], org.get("type"), "org_study_id"))
    for sec in ident.get("secondaryIdInfos") or ():
        if sec.get("id"):
            r.identifiers.append(Identifier(sec["id"], sec.get("type"), "secondary_id"))


_OUTCOME_KINDS = (("primaryOutcomes", "primary"), ("secondaryOutcomes", "secondary"), ("otherOutcomes", "other"))


def _outcomes(r: Record, module: dict[str, Any]) -> None:
    for key, kind in _OUTCOME_KINDS:
        for o in module.get(key) or ():
            r.outcomes.append(Outcome(kind, o.get("measure") or "", o.get("timeFrame"), o.get("description")))


def _mesh(r: Record, derived: dict[str, Any]) -> None:
    for key, kind in (("conditionBrowseModule", "condition"), ("interventionBrowseModule", "intervention")):
        for m in (derived.get(key) or _NO).get("meshes") or ():
            r.mesh_terms.append(MeshTerm(kind, m.get("term") or "", m.get("id")))


FORMAT = CtgovJsonFormat()
