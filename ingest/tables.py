"""Parsed records -> one polars DataFrame per core table, typed as the pandera models say.

Per-record Python is limited to copying parsed values into column lists; derived columns
(dates, precisions, ages in years, lead sponsor) are polars expressions over whole batches.
Every frame carries `_rec`, the record's row in its batch, so a failed row can be traced to
its page; loading drops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from recordpage import Record, split_title
from schemas import CORE_TABLES, WarehouseTable

REC = "_rec"
_TRIAL_TEXT_FIELDS = (
    "overall_status", "study_type", "brief_summary", "detailed_description", "allocation",
    "intervention_model", "primary_purpose", "masking", "observational_model", "time_perspective",
    "minimum_age", "maximum_age", "sex", "responsible_party_type",
)  # fmt: skip


def polars_schema(model: type[WarehouseTable]) -> dict[str, pl.DataType]:
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def empty_frame(model: type[WarehouseTable]) -> pl.DataFrame:
    return pl.DataFrame(schema={REC: pl.Int32, **polars_schema(model)})


def build_tables(records: Sequence[tuple[int, str, str, Record]]) -> dict[str, pl.DataFrame]:
    """(rec, sha256, source path, Record) tuples -> {table name: frame with `_rec` + the model's columns}."""
    cols: dict[str, dict[str, list]] = {m.__table__.name: {} for m in CORE_TABLES}

    def add(table: str, **values: object) -> None:
        target = cols[table]
        for key, value in values.items():
            target.setdefault(key, []).append(value)

    raw: dict[str, list] = {f: [] for f in ("start_raw", "completion_raw", "last_updated_raw")}
    for rec, sha256, source_path, r in records:
        brief_title, acronym = split_title(r.title)
        add("trials", _rec=rec, nct_id=r.nct_id, brief_title=brief_title, acronym=acronym,
            has_results=r.has_results, phases=r.phases, enrollment=r.enrollment,
            healthy_volunteers=r.healthy_volunteers, title=r.title, sha256=sha256, source_path=source_path,
            **{f: getattr(r, f) for f in _TRIAL_TEXT_FIELDS})  # fmt: skip
        lead = next((s for s in r.sponsors if s.role == "lead"), None)
        add("trials", lead_sponsor=lead.name if lead else None, lead_sponsor_class=lead.agency_class if lead else None)
        raw["start_raw"].append(r.start_date)
        raw["completion_raw"].append(r.completion_date)
        raw["last_updated_raw"].append(r.last_updated)
        for i, c in enumerate(r.conditions, 1):
            add("conditions", _rec=rec, nct_id=r.nct_id, condition_ordinal=i, condition=c)
        index_of = {}
        for i, iv in enumerate(r.interventions, 1):
            index_of.setdefault(iv.name, i)
            add("interventions", _rec=rec, nct_id=r.nct_id, intervention_ordinal=i, name=iv.name,
                intervention_type=iv.intervention_type, description=iv.description)  # fmt: skip
        for a, arm in enumerate(r.arms, 1):
            add("arms", _rec=rec, nct_id=r.nct_id, arm_ordinal=a, label=arm.label, arm_type=arm.arm_type,
                description=arm.description)  # fmt: skip
            linked: set[int] = set()
            for name in arm.intervention_names:
                # An arm naming an intervention the Interventions section lacks points at
                # ordinal 0, which the arm_interventions rules reject with the name in the reason.
                i = index_of.get(name, 0)
                if i in linked:
                    continue
                linked.add(i)
                add("arm_interventions", _rec=rec, nct_id=r.nct_id, arm_ordinal=a, intervention_ordinal=i)
        for i, c in enumerate(r.criteria, 1):
            add("criteria", _rec=rec, nct_id=r.nct_id, criterion_ordinal=i, kind=c.kind, marker=c.marker,
                text=c.text, depth=c.depth, parent_ordinal=c.parent)  # fmt: skip
        for i, s in enumerate(r.sites, 1):
            add("sites", _rec=rec, nct_id=r.nct_id, site_ordinal=i, facility=s.facility, city=s.city,
                state=s.state, country=s.country, status=s.status)  # fmt: skip
        for i, s in enumerate(r.sponsors, 1):
            add("sponsors", _rec=rec, nct_id=r.nct_id, sponsor_ordinal=i, name=s.name,
                agency_class=s.agency_class, role=s.role)  # fmt: skip
        for i, x in enumerate(r.identifiers, 1):
            add("identifiers", _rec=rec, nct_id=r.nct_id, identifier=x.identifier, identifier_type=x.identifier_type,
                identifier_source=x.identifier_source, identifier_ordinal=i)  # fmt: skip
        for i, c in enumerate(r.countries, 1):
            add("countries", _rec=rec, nct_id=r.nct_id, country_ordinal=i, country=c)
        for i, e in enumerate(r.extras, 1):
            add("extra_sections", _rec=rec, nct_id=r.nct_id, extra_ordinal=i, section=e.section, label=e.label,
                content=e.content)  # fmt: skip

    frames = {}
    for model in CORE_TABLES:
        name = model.__table__.name
        schema = {REC: pl.Int32, **polars_schema(model)}
        data = cols[name]
        if name == "trials":
            frames[name] = _trials_frame(data, raw, schema)
        elif data:
            frames[name] = pl.DataFrame(data, schema={k: schema[k] for k in data}).select(list(schema))
        else:
            frames[name] = pl.DataFrame(schema=schema)
    return frames


def _trials_frame(data: dict[str, list], raw: dict[str, list], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    given = {k: v for k, v in schema.items() if k in data}
    frame = pl.DataFrame(data, schema=given) if data else pl.DataFrame(schema=given)
    frame = frame.with_columns(pl.DataFrame(raw, schema={k: pl.Utf8 for k in raw}))
    return frame.with_columns(
        last_updated=_to_date(pl.col("last_updated_raw")),
        start_date=_to_date(pl.col("start_raw")),
        start_date_precision=_precision(pl.col("start_raw")),
        completion_date=_to_date(pl.col("completion_raw")),
        completion_date_precision=_precision(pl.col("completion_raw")),
        minimum_age_years=age_years(pl.col("minimum_age")),
        maximum_age_years=age_years(pl.col("maximum_age")),
    ).select([pl.col(k).cast(v) for k, v in schema.items()])


def _to_date(raw: pl.Expr) -> pl.Expr:
    """`2020`, `2020-01`, `2020-01-07` -> a DATE on the first day of what is given."""
    padded = pl.when(raw.str.len_chars() == 4).then(raw + "-01-01")
    padded = padded.when(raw.str.len_chars() == 7).then(raw + "-01").otherwise(raw)
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
