"""Legacy ClinicalTrials.gov XML (`<clinical_study>`, the retired AllPublicXML download) -> Record.

One study per file. Files are untrusted, so they are parsed with `defusedxml` over the standard
library's expat: a document declaring entities (the billion-laughs bomb) or reaching for
external resources is refused with a reason instead of being expanded. Human-readable values
are mapped to the contract's codes by `formats.legacy_xml_values`; hard-wrapped text blocks are
unwrapped by `formats.legacy_xml_text` before the criteria go through the shared criteria logic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml  # type: ignore[import-untyped]  # no stubs in the pinned tree
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from formats import legacy_xml_values as v
from formats.legacy_xml_text import free_text, logical_lines
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

_ROOT = "clinical_study"
_NCT_ID = re.compile(r"^NCT\d{8}$")
T = TypeVar("T")


class LegacyXmlFormat:
    name = "legacy_xml"
    rank = 2
    suffixes: tuple[str, ...] = (".xml",)

    def units(self, text: str) -> Iterator[tuple[str | None, str]]:
        # AllPublicXML holds one study per file; an archive of them is split by the archive reader.
        yield None, text

    def parse(self, text: str) -> Record:
        return study_record(parse_xml(text))


def parse_xml(text: str) -> Element:
    """Text -> the `<clinical_study>` element; RecordError for a bomb, a DTD trick or bad XML."""
    try:
        root = fromstring(text.lstrip("\ufeff"))
    except defusedxml.EntitiesForbidden as exc:
        raise RecordError(
            _ROOT, "xml", f"declares the entity '{exc.name}': entity expansion is refused (it can be an XML bomb)"
        ) from None
    except defusedxml.ExternalReferenceForbidden as exc:
        raise RecordError(_ROOT, "xml", f"refers to an external resource ('{exc.sysid}'): refused") from None
    except defusedxml.DefusedXmlException as exc:
        raise RecordError(_ROOT, "xml", f"refused as unsafe XML: {exc}") from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise RecordError(_ROOT, "xml", f"not well-formed XML: {reason} (line {line}, column {column + 1})") from None
    except ValueError as exc:  # expat refuses a str that declares a multi-byte encoding it cannot honour
        raise RecordError(_ROOT, "xml", f"not readable XML: {exc}") from None
    if root.tag != _ROOT:
        raise RecordError(_ROOT, "root", f"the root element is <{root.tag}>, not <{_ROOT}>: not a legacy study record")
    return root


def _text(el: Element | None, path: str) -> str | None:
    """Stripped text at `path`, None when absent or blank (the contract has no empty strings)."""
    found = el.find(path) if el is not None else None
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split()) or None


def _all(el: Element, path: str) -> list[str]:
    return [t for e in el.findall(path) if (t := " ".join((e.text or "").split()))]


def _block(el: Element, path: str) -> str | None:
    """A `<textblock>` as written, wrapping and `\\r\\n` included."""
    found = el.find(path)
    return found.text if found is not None and found.text and found.text.strip() else None


def _read(root: Element, path: str, reader: Callable[[str | None], T]) -> T:
    """Run a value reader on the text at `path`; its ValueError becomes a RecordError naming the element."""
    raw = _text(root, path)
    try:
        return reader(raw)
    except ValueError as exc:
        section, _, field = path.rpartition("/")
        raise RecordError(section or _ROOT, field, str(exc)) from None


def study_record(root: Element) -> Record:
    """`<clinical_study>` element -> Record. RecordError names the element and the problem."""
    nct = _text(root, "id_info/nct_id")
    if not nct:
        raise RecordError("id_info", "nct_id", "no NCT ID in the study (<id_info><nct_id> is missing or empty)")
    if not _NCT_ID.match(nct):
        raise RecordError("id_info", "nct_id", f"'{nct}' is not NCT followed by 8 digits")
    brief = _text(root, "brief_title") or ""
    acronym = _text(root, "acronym")
    enrollment_raw = _text(root, "enrollment")
    r = Record(
        nct_id=nct,
        title=f"{brief} ({acronym})" if acronym else brief,
        last_updated=_read(root, "last_update_posted", v.map_date),
        has_results=root.find("clinical_results") is not None,
        overall_status=v.map_status(_text(root, "overall_status")),
        phases=v.map_phases(_text(root, "phase")),
        enrollment=_enrollment(enrollment_raw),
        study_type=v.map_study_type(_text(root, "study_type")),
        start_date=_read(root, "start_date", v.map_date),
        completion_date=_read(root, "completion_date", v.map_date),
        brief_summary=free_text(_block(root, "brief_summary/textblock")),
        detailed_description=free_text(_block(root, "detailed_description/textblock")),
        allocation=v.map_allocation(_text(root, "study_design_info/allocation")),
        intervention_model=v.map_intervention_model(_text(root, "study_design_info/intervention_model")),
        primary_purpose=v.map_primary_purpose(_text(root, "study_design_info/primary_purpose")),
        masking=v.map_masking(_text(root, "study_design_info/masking")),
        observational_model=v.map_observational_model(_text(root, "study_design_info/observational_model")),
        time_perspective=v.map_time_perspective(_text(root, "study_design_info/time_perspective")),
        minimum_age=_read(root, "eligibility/minimum_age", v.map_age),
        maximum_age=_read(root, "eligibility/maximum_age", v.map_age),
        sex=v.map_sex(_text(root, "eligibility/gender")),
        healthy_volunteers=_read(root, "eligibility/healthy_volunteers", v.map_healthy_volunteers),
        responsible_party_type=v.map_responsible_party_type(_text(root, "responsible_party/responsible_party_type")),
        conditions=_all(root, "condition"),
        official_title=_text(root, "official_title"),
        why_stopped=_text(root, "why_stopped"),
        primary_completion_date=_read(root, "primary_completion_date", v.map_date),
        start_date_type=v.map_date_type(_attr(root, "start_date")),
        primary_completion_date_type=v.map_date_type(_attr(root, "primary_completion_date")),
        completion_date_type=v.map_date_type(_attr(root, "completion_date")),
        enrollment_type=v.map_enrollment_type(_attr(root, "enrollment")) if enrollment_raw else None,
        first_posted=_read(root, "study_first_posted", v.map_date),
        results_first_posted=_read(root, "results_first_posted", v.map_date),
        keywords=_all(root, "keyword"),
        source_format="legacy_xml",
    )
    criteria = _block(root, "eligibility/criteria/textblock")
    if criteria:
        # One line per item, each keeping its indentation, as the JSON's text block would be.
        r.criteria = parse_criteria_text("\n".join(logical_lines(criteria)))
    _arms(r, root)
    _sponsors(r, root)
    _locations(r, root)
    _identifiers(r, root)
    _outcomes(r, root)
    _mesh(r, root)
    _references(r, root)
    return r


def _attr(root: Element, path: str) -> str | None:
    found = root.find(path)
    return found.get("type") if found is not None else None


def _enrollment(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise RecordError(_ROOT, "enrollment", f"'{raw}' is not a participant count") from None


def _arms(r: Record, root: Element) -> None:
    """Arms and interventions; the XML links them from the intervention side (`<arm_group_label>`)."""
    linked: list[tuple[str, list[str]]] = []
    for el in root.findall("intervention"):
        name = _text(el, "intervention_name") or ""
        r.interventions.append(
            Intervention(
                name, v.map_intervention_type(_text(el, "intervention_type")), free_text(_block(el, "description"))
            )
        )
        linked.append((name, _all(el, "arm_group_label")))
    for el in root.findall("arm_group"):
        label = _text(el, "arm_group_label") or ""
        names = [name for name, labels in linked if label in labels]
        r.arms.append(
            Arm(label, v.map_arm_type(_text(el, "arm_group_type")), free_text(_block(el, "description")), names)
        )


def _sponsors(r: Record, root: Element) -> None:
    for el, role in [(e, "lead") for e in root.findall("sponsors/lead_sponsor")] + [
        (e, "collaborator") for e in root.findall("sponsors/collaborator")
    ]:
        r.sponsors.append(Sponsor(_text(el, "agency") or "", v.map_agency_class(_text(el, "agency_class")), role))


def _locations(r: Record, root: Element) -> None:
    countries: list[str] = []
    for el in root.findall("location"):
        address = el.find("facility/address")
        country = _text(address, "country")
        r.sites.append(
            Site(
                _text(el, "facility/name"),
                _text(address, "city"),
                _text(address, "state"),
                country,
                v.map_status(_text(el, "status")),
                _text(address, "zip"),
            )
        )
        if country and country not in countries:
            countries.append(country)
    # The record's own country list when it has one (it also covers sites it no longer lists).
    r.countries = _all(root, "location_countries/country") or countries


def _identifiers(r: Record, root: Element) -> None:
    for path, source in (("id_info/org_study_id", "org_study_id"), ("id_info/secondary_id", "secondary_id")):
        for value in _all(root, path):
            r.identifiers.append(Identifier(value, None, source))


_OUTCOME_KINDS = (("primary_outcome", "primary"), ("secondary_outcome", "secondary"), ("other_outcome", "other"))


def _outcomes(r: Record, root: Element) -> None:
    for path, kind in _OUTCOME_KINDS:
        for el in root.findall(path):
            r.outcomes.append(
                Outcome(kind, _text(el, "measure") or "", _text(el, "time_frame"), free_text(_block(el, "description")))
            )


def _mesh(r: Record, root: Element) -> None:
    # The legacy XML gives browse terms without MeSH ids; an `id` attribute is read if a file has one.
    for path, kind in (("condition_browse/mesh_term", "condition"), ("intervention_browse/mesh_term", "intervention")):
        for el in root.findall(path):
            term = " ".join((el.text or "").split())
            if term:
                r.mesh_terms.append(MeshTerm(kind, term, el.get("id")))


def _references(r: Record, root: Element) -> None:
    # `<reference>` is what API v2 calls BACKGROUND, `<results_reference>` its RESULT (as AACT reads them).
    for path, kind in (("reference", "BACKGROUND"), ("results_reference", "RESULT")):
        for el in root.findall(path):
            r.references.append(Reference(_text(el, "PMID"), kind, _text(el, "citation")))


FORMAT = LegacyXmlFormat()
