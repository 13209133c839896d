"""Pandera model of `criteria_facts`: eligibility thresholds read from criterion lines.

The scored columns are exactly those of ../shared/criteria-facts.md; the canonical value columns
and the criterion's `kind` are this project's additions. The vocabularies are declared here
rather than imported from `eligibility` (a sibling in the same layer); a unit test keeps the two
equal.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas import enums
from schemas.core import TrialChild, table

Text = pl.Utf8

# The scored vocabulary (criteria-facts.md, "Concepts").
FACT_CONCEPTS = (
    "age", "ecog", "karnofsky", "lansky", "life_expectancy", "bmi", "body_weight", "hemoglobin", "anc",
    "platelets", "wbc", "lymphocytes", "cd4", "creatinine", "creatinine_clearance", "egfr", "bilirubin", "ast",
    "alt", "alkaline_phosphatase", "albumin", "inr", "aptt", "lvef", "qtc", "hba1c", "systolic_bp", "diastolic_bp",
)  # fmt: skip
# The only unit spellings scored (criteria-facts.md, "Units").
FACT_UNITS = (
    "years", "months", "weeks", "days", "kg", "lb", "kg/m2", "g/dL", "g/L", "mg/dL", "mmol/L", "mmol/mol",
    "umol/L", "mL/min", "mL/min/1.73m2", "x10^9/L", "/uL", "U/L", "xULN", "%", "ms", "mmHg", "seconds",
)  # fmt: skip

CRITERION_REF: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {
    ("nct_id", "criterion_ordinal"): ("criteria", ("nct_id", "criterion_ordinal"))
}


@table(
    "criteria_facts",
    "Eligibility thresholds: one row per threshold a criterion line states (age, performance status, labs, vitals).",
    references=CRITERION_REF,
)
class CriteriaFacts(TrialChild):
    class Config:
        unique = ["nct_id", "criterion_ordinal", "fact_ordinal"]  # the primary key

    criterion_ordinal: pl.Int32 = pa.Field(ge=1)
    fact_ordinal: pl.Int32 = pa.Field(ge=1)
    concept: Text = pa.Field(isin=FACT_CONCEPTS)
    # The range as written: NULL is unbounded on that side.
    low: pl.Float64 = pa.Field(nullable=True, description="the range as written; NULL: unbounded below")
    high: pl.Float64 = pa.Field(nullable=True, description="NULL: unbounded above")
    low_inclusive: pl.Boolean = pa.Field(nullable=True)
    high_inclusive: pl.Boolean = pa.Field(nullable=True)
    unit: Text = pa.Field(nullable=True, isin=FACT_UNITS)
    condition: Text = pa.Field(
        nullable=True, description='a qualifier under which this threshold applies instead ("if liver metastases")'
    )
    source_text: Text = pa.Field(str_length={"min_value": 1}, description="the words the fact was read from")
    # Beyond the scored columns: the range in one unit per concept (xULN stays relative), and
    # whether the line includes or excludes.
    canonical_low: pl.Float64 = pa.Field(
        nullable=True, description="`low` in `canonical_unit`; NULL with `high` when no conversion is known"
    )
    canonical_high: pl.Float64 = pa.Field(nullable=True)
    canonical_unit: Text = pa.Field(
        nullable=True,
        isin=FACT_UNITS,
        description="one per concept (years, x10^9/L, mg/dL, g/dL, U/L, mL/min, ...; `xULN` kept apart); "
        "NULL for a scale (ECOG, Karnofsky, Lansky, INR)",
    )
    kind: Text = pa.Field(isin=enums.CRITERION_KIND, description="the criterion line's kind, copied for joins")
    # Facts of one line with the same or_group are alternatives ("creatinine <= 1.5 x ULN or
    # creatinine clearance >= 60 mL/min"); different groups all apply. Declared as filled by every
    # format so that a warehouse made before the column gets it (warehouse/ddl.py added_columns).
    or_group: pl.Int32 = pa.Field(
        ge=1,
        metadata={"formats": ("page", "ctgov_json", "legacy_xml")},
        description='facts of one line with the same number are alternatives ("... or ...")',
    )

    @pa.dataframe_check(name="low_not_above_high")
    def _bounds_in_order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        lo, hi = pl.col("low"), pl.col("high")
        return data.lazyframe.select(lo.is_null() | hi.is_null() | (lo <= hi))

    @pa.dataframe_check(name="canonical_low_not_above_high")
    def _canonical_in_order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        lo, hi = pl.col("canonical_low"), pl.col("canonical_high")
        return data.lazyframe.select(lo.is_null() | hi.is_null() | (lo <= hi))

    @pa.dataframe_check(name="some_bound")
    def _bounded(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("low").is_not_null() | pl.col("high").is_not_null())

    @pa.dataframe_check(name="inclusive_iff_bound")
    def _inclusive_with_bound(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("low").is_null() == pl.col("low_inclusive").is_null())
            & (pl.col("high").is_null() == pl.col("high_inclusive").is_null())
        )
