"""Pandera models of the core tables: the one place their columns, types and rules live.

DuckDB DDL (`warehouse/ddl.py`), batch validation (`schemas/validation.py`) and the Dagster asset
checks are all derived from these classes. `primary_key` and `references` are read by the
same code to check keys and referential integrity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, TypeVar

import pandera.polars as pa
import polars as pl

from schemas import enums

NCT_PATTERN = r"^NCT\d{8}$"
Text = pl.Utf8
# Prose columns are stored with zstd in DuckDB (`warehouse/ddl.py` reads this). DuckDB's own
# choice is FSST, or for long values no compression at all. Measured on 580,000 pages: the
# warehouse file 1.9 GB -> 1.0 GB, the load a little faster (less to write), and a criteria
# ILIKE scan 12% faster (less to read). Tables created before this keep DuckDB's choice
# (`CREATE TABLE IF NOT EXISTS` leaves them as they are); a rebuilt warehouse gets zstd.
ZSTD = {"compression": "zstd"}
# Which input formats fill a column that not every format carries (the data dictionary prints it).
_JSON_XML = {"formats": ("ctgov_json", "legacy_xml")}
_JSON_ONLY = {"formats": ("ctgov_json",)}
# `formats.InputFormat.name` of each format, stored as trials.source_format.
SOURCE_FORMAT = ("page", "ctgov_json", "legacy_xml")
# The registry's ACTUAL / ESTIMATED type of a date or of the enrollment count.
DATE_TYPE = ("ACTUAL", "ESTIMATED")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What pandera has no slot for: the table's name, key and the rows it points to."""

    name: str
    description: str
    # own column(s) -> (table, its column(s)): each row must point to an existing row there
    references: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # Declare the key as a DuckDB PRIMARY KEY too. Off for the big child tables, where an index
    # would slow every load; their keys are checked by the asset checks instead.
    key_constraint: bool = False
    # A view is declared here for its columns and rules; `warehouse/ddl.py` builds its query.
    is_view: bool = False


class WarehouseTable(pa.DataFrameModel):
    """Base for every table: strict columns in declared order, dtypes coerced.

    A table's primary key is its `Config.unique` column list (see `primary_key`).
    """

    __table__: ClassVar[TableSpec]

    class Config:
        strict = True
        coerce = True


def primary_key(model: type[WarehouseTable]) -> tuple[str, ...]:
    return tuple(model.to_schema().unique or ())


M = TypeVar("M", bound=type[WarehouseTable])
TRIAL_REF: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {("nct_id",): ("trials", ("nct_id",))}


def table(
    name: str,
    description: str,
    references: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] | None = None,
    key_constraint: bool = False,
    is_view: bool = False,
) -> Callable[[M], M]:
    def attach(model: M) -> M:
        model.__table__ = TableSpec(name, description, references or {}, key_constraint, is_view)
        return model

    return attach


@table("trials", "One row per trial: its latest version.", key_constraint=True)
class Trials(WarehouseTable):
    class Config:
        unique = ["nct_id"]  # the primary key

    nct_id: Text = pa.Field(str_matches=NCT_PATTERN)
    brief_title: Text = pa.Field(nullable=False)
    acronym: Text = pa.Field(nullable=True)
    last_updated: pl.Date = pa.Field(nullable=True)
    has_results: pl.Boolean = pa.Field(nullable=True)
    overall_status: Text = pa.Field(nullable=True, isin=enums.OVERALL_STATUS)
    # A parametrised dtype goes in `Annotated` so type checkers read a type, pandera the same List(String).
    phases: Annotated[pl.List, pl.Utf8] = pa.Field(
        description="never NULL: `[]` when the record gives no phase (observational studies), `['NA']` when it says not applicable"
    )
    enrollment: pl.Int32 = pa.Field(nullable=True, ge=0)
    study_type: Text = pa.Field(nullable=True, isin=enums.STUDY_TYPE)
    start_date: pl.Date = pa.Field(nullable=True)
    start_date_precision: Text = pa.Field(nullable=True, isin=enums.DATE_PRECISION)
    completion_date: pl.Date = pa.Field(nullable=True)
    completion_date_precision: Text = pa.Field(nullable=True, isin=enums.DATE_PRECISION)
    brief_summary: Text = pa.Field(nullable=True, metadata=ZSTD)
    detailed_description: Text = pa.Field(nullable=True, metadata=ZSTD)
    allocation: Text = pa.Field(nullable=True, isin=enums.ALLOCATION)
    intervention_model: Text = pa.Field(nullable=True, isin=enums.INTERVENTION_MODEL)
    primary_purpose: Text = pa.Field(nullable=True, isin=enums.PRIMARY_PURPOSE)
    masking: Text = pa.Field(nullable=True, isin=enums.MASKING)
    observational_model: Text = pa.Field(nullable=True, isin=enums.OBSERVATIONAL_MODEL)
    time_perspective: Text = pa.Field(nullable=True, isin=enums.TIME_PERSPECTIVE)
    minimum_age: Text = pa.Field(nullable=True)
    maximum_age: Text = pa.Field(nullable=True)
    minimum_age_years: pl.Float64 = pa.Field(nullable=True, ge=0)
    maximum_age_years: pl.Float64 = pa.Field(nullable=True, ge=0)
    sex: Text = pa.Field(nullable=True, isin=enums.SEX)
    healthy_volunteers: pl.Boolean = pa.Field(nullable=True)
    lead_sponsor: Text = pa.Field(nullable=True)
    lead_sponsor_class: Text = pa.Field(nullable=True, isin=enums.AGENCY_CLASS)
    responsible_party_type: Text = pa.Field(nullable=True, isin=enums.RESPONSIBLE_PARTY)
    # Beyond the contract: the title line as printed, and the page this row came from.
    title: Text = pa.Field(nullable=False)
    sha256: Text = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    source_path: Text = pa.Field()
    # The record beyond the page (`metadata["formats"]`: the input formats that fill the column).
    source_format: Text = pa.Field(isin=SOURCE_FORMAT)
    official_title: Text = pa.Field(nullable=True, metadata=_JSON_XML)
    why_stopped: Text = pa.Field(nullable=True, metadata=_JSON_XML)
    primary_completion_date: pl.Date = pa.Field(nullable=True, metadata=_JSON_XML)
    primary_completion_date_precision: Text = pa.Field(nullable=True, isin=enums.DATE_PRECISION, metadata=_JSON_XML)
    start_date_type: Text = pa.Field(nullable=True, isin=DATE_TYPE, metadata=_JSON_XML)
    primary_completion_date_type: Text = pa.Field(nullable=True, isin=DATE_TYPE, metadata=_JSON_XML)
    completion_date_type: Text = pa.Field(nullable=True, isin=DATE_TYPE, metadata=_JSON_XML)
    enrollment_type: Text = pa.Field(nullable=True, isin=DATE_TYPE, metadata=_JSON_XML)
    first_posted: pl.Date = pa.Field(nullable=True, metadata=_JSON_XML)
    results_first_posted: pl.Date = pa.Field(nullable=True, metadata=_JSON_XML)

    @pa.check("phases", name="phases_known")
    def _phases_known(cls, data: pa.PolarsData) -> pl.LazyFrame:
        allowed = pl.lit(enums.PHASES, dtype=pl.List(pl.Utf8))
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_null() | col.list.set_difference(allowed).list.len().eq(0))

    @pa.dataframe_check(name="start_not_after_completion")
    def _dates_in_order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        start, end = pl.col("start_date"), pl.col("completion_date")
        return data.lazyframe.select(start.is_null() | end.is_null() | (start <= end))

    @pa.dataframe_check(name="minimum_age_not_above_maximum")
    def _ages_in_order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        lo, hi = pl.col("minimum_age_years"), pl.col("maximum_age_years")
        return data.lazyframe.select(lo.is_null() | hi.is_null() | (lo <= hi))

    @pa.dataframe_check(name="precision_given_with_date")
    def _precision_with_date(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("start_date").is_null() == pl.col("start_date_precision").is_null())
            & (pl.col("completion_date").is_null() == pl.col("completion_date_precision").is_null())
        )


class TrialChild(WarehouseTable):
    """A core table whose rows belong to one trial: `nct_id` comes first in each."""

    nct_id: Text = pa.Field(str_matches=NCT_PATTERN)


@table(
    "conditions",
    "One row per line of the Conditions section.",
    references=TRIAL_REF,
)
class Conditions(TrialChild):
    class Config:
        unique = ["nct_id", "condition_ordinal"]  # the primary key

    condition_ordinal: pl.Int32 = pa.Field(ge=1)
    condition: Text = pa.Field(str_length={"min_value": 1})


@table(
    "arms",
    "Study Groups: one row per arm or cohort.",
    references=TRIAL_REF,
)
class Arms(TrialChild):
    class Config:
        unique = ["nct_id", "arm_ordinal"]  # the primary key

    arm_ordinal: pl.Int32 = pa.Field(ge=1)
    label: Text = pa.Field(str_length={"min_value": 1})
    arm_type: Text = pa.Field(nullable=True, isin=enums.ARM_TYPE)
    description: Text = pa.Field(nullable=True, metadata=ZSTD)


@table(
    "interventions",
    "Interventions section: one row per intervention.",
    references=TRIAL_REF,
)
class Interventions(TrialChild):
    class Config:
        unique = ["nct_id", "intervention_ordinal"]  # the primary key

    intervention_ordinal: pl.Int32 = pa.Field(ge=1)
    name: Text = pa.Field(str_length={"min_value": 1})
    intervention_type: Text = pa.Field(nullable=True, isin=enums.INTERVENTION_TYPE)
    description: Text = pa.Field(nullable=True, metadata=ZSTD)


@table(
    "arm_interventions",
    "Which intervention each study group receives.",
    references={
        ("nct_id", "arm_ordinal"): ("arms", ("nct_id", "arm_ordinal")),
        ("nct_id", "intervention_ordinal"): (
            "interventions",
            ("nct_id", "intervention_ordinal"),
        ),
    },
)
class ArmInterventions(TrialChild):
    class Config:
        unique = ["nct_id", "arm_ordinal", "intervention_ordinal"]  # the primary key

    arm_ordinal: pl.Int32 = pa.Field(ge=1)
    intervention_ordinal: pl.Int32 = pa.Field(ge=1)


@table(
    "criteria",
    "Eligibility criteria: one row per non-blank line, nesting read from markers.",
    references=TRIAL_REF,
)
class Criteria(TrialChild):
    class Config:
        unique = ["nct_id", "criterion_ordinal"]  # the primary key

    criterion_ordinal: pl.Int32 = pa.Field(ge=1)
    kind: Text = pa.Field(isin=enums.CRITERION_KIND)
    marker: Text = pa.Field(nullable=True)
    text: Text = pa.Field(str_length={"min_value": 1}, metadata=ZSTD)
    depth: pl.Int32 = pa.Field(ge=0)
    parent_ordinal: pl.Int32 = pa.Field(nullable=True, ge=1)

    @pa.dataframe_check(name="parent_iff_nested_and_earlier")
    def _parent_consistent(cls, data: pa.PolarsData) -> pl.LazyFrame:
        parent, depth, ordinal = (
            pl.col("parent_ordinal"),
            pl.col("depth"),
            pl.col("criterion_ordinal"),
        )
        return data.lazyframe.select(
            pl.when(depth == 0).then(parent.is_null()).otherwise(parent.is_not_null() & (parent < ordinal))
        )


@table(
    "sites",
    "Locations: one row per site.",
    references=TRIAL_REF,
)
class Sites(TrialChild):
    class Config:
        unique = ["nct_id", "site_ordinal"]  # the primary key

    site_ordinal: pl.Int32 = pa.Field(ge=1)
    facility: Text = pa.Field(nullable=True)
    city: Text = pa.Field(nullable=True)
    state: Text = pa.Field(nullable=True)
    country: Text = pa.Field(nullable=True)
    status: Text = pa.Field(nullable=True, isin=enums.SITE_STATUS)
    zip: Text = pa.Field(nullable=True, metadata=_JSON_XML)
    latitude: pl.Float64 = pa.Field(nullable=True, ge=-90, le=90, metadata=_JSON_ONLY)
    longitude: pl.Float64 = pa.Field(nullable=True, ge=-180, le=180, metadata=_JSON_ONLY)


@table(
    "sponsors",
    "Sponsors and collaborators.",
    references=TRIAL_REF,
)
class Sponsors(TrialChild):
    class Config:
        unique = ["nct_id", "sponsor_ordinal"]  # the primary key

    sponsor_ordinal: pl.Int32 = pa.Field(ge=1)
    name: Text = pa.Field(str_length={"min_value": 1})
    agency_class: Text = pa.Field(nullable=True, isin=enums.AGENCY_CLASS)
    role: Text = pa.Field(nullable=True, isin=enums.SPONSOR_ROLE)


@table(
    "identifiers",
    "Other Identifiers: registry numbers and institutional IDs.",
    references=TRIAL_REF,
)
class Identifiers(TrialChild):
    class Config:
        unique = ["nct_id", "identifier_ordinal"]  # the primary key

    identifier: Text = pa.Field(str_length={"min_value": 1})
    identifier_type: Text = pa.Field(nullable=True)
    identifier_source: Text = pa.Field(nullable=True)
    # Beyond the contract: the order on the page, so rows have a key.
    identifier_ordinal: pl.Int32 = pa.Field(ge=1)


@table(
    "countries",
    "Countries section (beyond the contract): every country the trial lists.",
    references=TRIAL_REF,
)
class Countries(TrialChild):
    class Config:
        unique = ["nct_id", "country_ordinal"]  # the primary key

    country_ordinal: pl.Int32 = pa.Field(ge=1)
    country: Text = pa.Field(str_length={"min_value": 1})


@table(
    "extra_sections",
    "Beyond the contract: sections or labels the parser does not know, kept verbatim.",
    references=TRIAL_REF,
)
class ExtraSections(TrialChild):
    class Config:
        unique = ["nct_id", "extra_ordinal"]  # the primary key

    extra_ordinal: pl.Int32 = pa.Field(ge=1)
    section: Text = pa.Field()
    label: Text = pa.Field(nullable=True)
    content: Text = pa.Field(metadata=ZSTD)


CORE_TABLES: tuple[type[WarehouseTable], ...] = (
    Trials, Conditions, Arms, Interventions, ArmInterventions, Criteria, Sites, Sponsors,
    Identifiers, Countries, ExtraSections,
)  # fmt: skip
