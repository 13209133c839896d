"""The parsed form of one record page: plain data, no I/O.

`recordpage.parse_page` produces a `Record`; `bench.synthetic.render.render_page` (tooling) turns one back
into page text. Dates stay as the strings the page gives (`2020-01`, `2020-01-07`) so their
precision survives until the table builder derives DATE + precision columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Arm:
    label: str
    arm_type: str | None
    description: str | None
    intervention_names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Intervention:
    name: str
    intervention_type: str | None
    description: str | None


@dataclass(slots=True)
class Criterion:
    kind: str  # inclusion | exclusion | unspecified
    marker: str | None
    text: str
    depth: int
    parent: int | None  # 1-based ordinal of the parent criterion within the record


@dataclass(slots=True)
class Site:
    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    status: str | None
    # Only the JSON and XML formats carry these; the page shows none of them.
    zip: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(slots=True)
class Sponsor:
    name: str
    agency_class: str | None
    role: str | None


@dataclass(slots=True)
class Identifier:
    identifier: str
    identifier_type: str | None
    identifier_source: str | None


@dataclass(slots=True)
class Outcome:
    kind: str  # primary | secondary | other
    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(slots=True)
class MeshTerm:
    kind: str  # condition | intervention
    term: str
    mesh_id: str | None = None


@dataclass(slots=True)
class Reference:
    pmid: str | None
    reference_type: str | None  # BACKGROUND | RESULT | DERIVED ...
    citation: str | None


@dataclass(slots=True)
class Extra:
    """Content the parser does not know: an unknown section, or an unknown label in a known one."""

    section: str
    label: str | None
    content: str


@dataclass(slots=True)
class Record:
    nct_id: str
    title: str
    last_updated: str | None = None
    has_results: bool | None = None
    overall_status: str | None = None
    phases: list[str] = field(default_factory=list)
    enrollment: int | None = None
    study_type: str | None = None
    start_date: str | None = None
    completion_date: str | None = None
    brief_summary: str | None = None
    detailed_description: str | None = None
    allocation: str | None = None
    intervention_model: str | None = None
    primary_purpose: str | None = None
    masking: str | None = None
    observational_model: str | None = None
    time_perspective: str | None = None
    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: str | None = None
    healthy_volunteers: bool | None = None
    responsible_party_type: str | None = None
    conditions: list[str] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    sponsors: list[Sponsor] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    extras: list[Extra] = field(default_factory=list)
    # The record beyond the page: filled by the JSON and XML formats, left empty by the page.
    official_title: str | None = None
    why_stopped: str | None = None
    primary_completion_date: str | None = None
    start_date_type: str | None = None  # ACTUAL | ESTIMATED
    primary_completion_date_type: str | None = None
    completion_date_type: str | None = None
    enrollment_type: str | None = None  # ACTUAL | ESTIMATED
    first_posted: str | None = None
    results_first_posted: str | None = None
    keywords: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    mesh_terms: list[MeshTerm] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    source_format: str = "page"  # the InputFormat.name that produced the record


class RecordError(ValueError):
    """A page that cannot be read as a record; the message says where and what, for a person."""

    def __init__(self, section: str, field: str, problem: str, line: int | None = None) -> None:
        where = f"section '{section}', field '{field}'"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {problem}")
        self.section = section
        self.field = field
        self.problem = problem
        self.line = line
