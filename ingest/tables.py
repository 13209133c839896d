"""Parsed records -> one polars DataFrame per core table, typed as the pandera models say.

Per-record Python is limited to copying parsed values into column lists; derived columns
(dates, precisions, ages in years, lead sponsor) are polars expressions over whole batches.
Every frame carries `_rec`, the record's row in its batch, so a failed row can be traced to
its page; loading drops it.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Mapping, Sequence

import polars as pl

from eligibility.frame import facts_frame
from recordpage import Record, split_title
from schemas import CORE_TABLES, WarehouseTable
from schemas.core import Trials
from schemas.facts import CriteriaFacts
from schemas.validation import REC

_TRIAL_TEXT_FIELDS = (
    "overall_status", "study_type", "brief_summary", "detailed_description", "allocation",
    "intervention_model", "primary_purpose", "masking", "observational_model", "time_perspective",
    "minimum_age", "maximum_age", "sex", "responsible_party_type",
    # The record beyond the page: None for a page.
    "source_format", "official_title", "why_stopped", "start_date_type", "primary_completion_date_type",
    "completion_date_type", "enrollment_type",
)  # fmt: skip
# Dates kept as given (`2020-01`) until polars derives DATE (+ precision) columns from them.
_TRIAL_RAW_DATES = ("primary_completion_date", "first_posted", "results_first_posted")


# For the benchmark only: set, the run reads no facts, so facts-on and facts-off runs of one
# corpus can be alternated (bench/RESULTS.md, issue 17). Not a user setting.
SKIP_FACTS_ENV = "TRIAL_WAREHOUSE_BENCH_SKIP_FACTS"

_trial_text = operator.attrgetter(*_TRIAL_TEXT_FIELDS)
_trial_raw_dates = operator.attrgetter(*_TRIAL_RAW_DATES)


def polars_schema(model: type[WarehouseTable]) -> dict[str, pl.DataType]:
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def build_tables(records: Sequence[tuple[int, str, str, Record]]) -> dict[str, pl.DataFrame]:
    """(rec, sha256, source path, Record) tuples -> {table name: frame with `_rec` + the model's columns}."""
    trials: list[tuple] = []
    rows: dict[str, list[tuple]] = {m.__table__.name: [] for m in CORE_TABLES if m.__table__.name != "trials"}
    conditions, arms, interventions, links = (
        rows["conditions"],
        rows["arms"],
        rows["interventions"],
        rows["arm_interventions"],
    )
    criteria, sites, sponsors, identifiers = rows["criteria"], rows["sites"], rows["sponsors"], rows["identifiers"]
    countries, extras = rows["countries"], rows["extra_sections"]
    outcomes, keywords = rows["outcomes"], rows["keywords"]
    mesh, references = rows["mesh_terms"], rows["study_references"]
    for rec, sha256, source_path, r in records:
        n = r.nct_id
        brief_title, acronym = split_title(r.title)
        lead = next((s for s in r.sponsors if s.role == "lead"), None)
        trials.append(
            (rec, n, brief_title, acronym, r.has_results, _joined(r.phases), r.enrollment, r.healthy_volunteers, r.title,
             sha256, source_path, lead.name if lead else None, lead.agency_class if lead else None,
             r.start_date, r.completion_date, r.last_updated, *_trial_text(r), *_trial_raw_dates(r))
        )  # fmt: skip
        conditions.extend((rec, n, i, c) for i, c in enumerate(r.conditions, 1))
        interventions.extend(
            (rec, n, i, x.name, x.intervention_type, x.description) for i, x in enumerate(r.interventions, 1)
        )
        arms.extend((rec, n, i, a.label, a.arm_type, a.description) for i, a in enumerate(r.arms, 1))
        if any(a.intervention_names for a in r.arms):
            links.extend(_arm_links(rec, r))
        criteria.extend((rec, n, i, c.kind, c.marker, c.text, c.depth, c.parent) for i, c in enumerate(r.criteria, 1))
        sites.extend(
            (rec, n, i, s.facility, s.city, s.state, s.country, s.status, s.zip, s.latitude, s.longitude)
            for i, s in enumerate(r.sites, 1)
        )
        sponsors.extend((rec, n, i, s.name, s.agency_class, s.role) for i, s in enumerate(r.sponsors, 1))
        identifiers.extend(
            (rec, n, x.identifier, x.identifier_type, x.identifier_source, i) for i, x in enumerate(r.identifiers, 1)
        )
        countries.extend((rec, n, i, c) for i, c in enumerate(r.countries, 1))
        extras.extend((rec, n, i, e.section, e.label, e.content) for i, e in enumerate(r.extras, 1))
        # The record beyond the page: a page fills none of these, so skip the work for it.
        if r.outcomes:
            outcomes.extend(
                (rec, n, i, o.kind, o.measure, o.time_frame, o.description) for i, o in enumerate(r.outcomes, 1)
            )
        if r.keywords:
            keywords.extend((rec, n, i, k) for i, k in enumerate(r.keywords, 1))
        if r.mesh_terms:
            mesh.extend((rec, n, i, m.kind, m.term, m.mesh_id) for i, m in enumerate(r.mesh_terms, 1))
        if r.references:
            references.extend((rec, n, i, x.pmid, x.reference_type, x.citation) for i, x in enumerate(r.references, 1))

    frames = {"trials": _trials_frame(trials)}
    for model in CORE_TABLES:
        name = model.__table__.name
        if name not in ("trials", CriteriaFacts.__table__.name):
            frames[name] = _frame(rows[name], {REC: pl.Int32, **polars_schema(model)})
    frames[CriteriaFacts.__table__.name] = criteria_facts(frames["criteria"])
    return {m.__table__.name: frames[m.__table__.name] for m in CORE_TABLES}


def criteria_facts(criteria: pl.DataFrame) -> pl.DataFrame:
    """The thresholds the criterion rows state (`eligibility`), each with its record's `_rec`.
    Records are told apart by `_rec` inside the key while the facts are read: a batch can hold
    two pages of one trial."""
    if os.environ.get(SKIP_FACTS_ENV):
        criteria = criteria.clear()
    keyed = criteria.with_columns(nct_id=pl.format("{}|{}", pl.col(REC), pl.col("nct_id")))
    facts = facts_frame(keyed)
    parts = pl.col("nct_id").str.split_exact("|", 1)
    facts = facts.with_columns(
        parts.struct.field("field_0").cast(pl.Int32).alias(REC), nct_id=parts.struct.field("field_1")
    )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {REC: pl.Int32, **polars_schema(CriteriaFacts)}
    return facts.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def _frame(rows: list[tuple], schema: Mapping[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    """Row tuples -> a frame. Transposed in Python first: polars builds columns from lists in
    half the time it takes to build them from rows."""
    columns = zip(*rows, strict=True) if rows else ([] for _ in schema)
    return pl.DataFrame(dict(zip(schema, columns, strict=True)), schema=schema)


def _arm_links(rec: int, r: Record) -> list[tuple]:
    """Arm -> intervention ordinals, matched by name. A name the Interventions section lacks
    points at ordinal 0, which the arm_interventions rules reject with the name in the reason."""
    index_of: dict[str, int] = {}
    for i, x in enumerate(r.interventions, 1):
        index_of.setdefault(x.name, i)
    out = []
    for a, arm in enumerate(r.arms, 1):
        for i in dict.fromkeys(index_of.get(name, 0) for name in arm.intervention_names):
            out.append((rec, r.nct_id, a, i))
    return out


_TRIAL_ROW = {
    REC: pl.Int32, "nct_id": pl.Utf8, "brief_title": pl.Utf8, "acronym": pl.Utf8, "has_results": pl.Boolean,
    "phases": pl.Utf8, "enrollment": pl.Int32, "healthy_volunteers": pl.Boolean, "title": pl.Utf8,
    "sha256": pl.Utf8, "source_path": pl.Utf8, "lead_sponsor": pl.Utf8, "lead_sponsor_class": pl.Utf8,
    "start_raw": pl.Utf8, "completion_raw": pl.Utf8, "last_updated_raw": pl.Utf8,
    **{f: pl.Utf8 for f in _TRIAL_TEXT_FIELDS},
    **{f"{f}_raw": pl.Utf8 for f in _TRIAL_RAW_DATES},
}  # fmt: skip


def _trials_frame(rows: list[tuple]) -> pl.DataFrame:
    schema: dict[str, pl.DataType | type[pl.DataType]] = {REC: pl.Int32, **polars_schema(Trials)}
    frame = _frame(rows, _TRIAL_ROW)
    return frame.with_columns(
        last_updated=to_date(pl.col("last_updated_raw")),
        start_date=to_date(pl.col("start_raw")),
        start_date_precision=_precision(pl.col("start_raw")),
        completion_date=to_date(pl.col("completion_raw")),
        completion_date_precision=_precision(pl.col("completion_raw")),
        # Phases travel joined by commas (the parser splits them on commas, so none holds one):
        # polars builds a list column from Python lists one Series per row, far slower than
        # the split.
        phases=pl.when(pl.col("phases") == "")
        .then(pl.lit([], pl.List(pl.Utf8)))
        .otherwise(pl.col("phases").str.split(",")),
        minimum_age_years=age_years(pl.col("minimum_age")),
        primary_completion_date=to_date(pl.col("primary_completion_date_raw")),
        primary_completion_date_precision=_precision(pl.col("primary_completion_date_raw")),
        first_posted=to_date(pl.col("first_posted_raw")),
        results_first_posted=to_date(pl.col("results_first_posted_raw")),
        maximum_age_years=age_years(pl.col("maximum_age")),
    ).select([pl.col(k).cast(v) for k, v in schema.items()])


def _joined(phases: list[str] | None) -> str | None:
    return None if phases is None else ",".join(phases)


def to_date(raw: pl.Expr) -> pl.Expr:
    """`2020`, `2020-01`, `2020-01-07` -> a DATE on the first day of what is given."""
    years = pl.when(raw.str.len_chars() == 4).then(raw + "-01-01")
    padded = years.when(raw.str.len_chars() == 7).then(raw + "-01").otherwise(raw)
    return padded.str.to_date("%Y-%m-%d", strict=False)


def _precision(raw: pl.Expr) -> pl.Expr:
    n = raw.str.len_chars()
    return pl.when(n == 10).then(pl.lit("day")).when(n == 7).then(pl.lit("month")).when(n == 4).then(pl.lit("year"))


_YEARS_PER_UNIT = {
    "Year": 1.0,
    "Month": 1 / 12,
    "Week": 7 / 365.25,
    "Day": 1 / 365.25,
    "Hour": 1 / 8766,
    "Minute": 1 / 525960,
}


def age_years(age: pl.Expr) -> pl.Expr:
    """`18 Years` -> 18.0, `6 Months` -> 0.5 (as a vectorised expression)."""
    parts = age.str.extract_groups(r"^(\d+(?:\.\d+)?) ([A-Za-z]+?)s?$")
    number = parts.struct.field("1").cast(pl.Float64)
    factor = parts.struct.field("2").replace_strict(_YEARS_PER_UNIT, default=None, return_dtype=pl.Float64)
    return number * factor
