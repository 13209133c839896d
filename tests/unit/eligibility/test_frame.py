"""`facts_frame` on the gold trials' criteria rows: the table's columns, keys, canonical values and schema."""

from __future__ import annotations

import re

import polars as pl
import pytest
from pandera.errors import SchemaError

from eligibility import COLUMNS, facts_frame
from eligibility.concepts import ALLOWED_UNITS, CONCEPTS
from eligibility.frame import candidates, with_context
from eligibility.units import CANONICAL, SCORED_UNITS
from schemas.facts import FACT_CONCEPTS, FACT_UNITS, CriteriaFacts
from tests.unit.eligibility.gold import SHARED, gold_criteria


@pytest.fixture(scope="module")
def criteria() -> pl.DataFrame:
    return gold_criteria()


@pytest.fixture(scope="module")
def facts(criteria: pl.DataFrame) -> pl.DataFrame:
    return facts_frame(criteria)


def test_columns_are_the_definitions_then_the_extras(facts: pl.DataFrame) -> None:
    spec = (SHARED / "criteria-facts.md").read_text(encoding="utf-8")
    table = spec.split("## Columns", 1)[1].split("\n## ", 1)[0]
    defined = [name.strip() for row in re.findall(r"^\| ([a-z_, ]+) \|", table, re.M) for name in row.split(",")]
    defined = [d for d in defined if d != "column"]
    assert list(facts.columns) == list(COLUMNS)
    assert list(COLUMNS[: len(defined)]) == defined
    assert set(COLUMNS[len(defined) :]) == {"canonical_low", "canonical_high", "canonical_unit", "kind", "or_group"}


def test_rows_point_at_their_criterion_with_its_kind(criteria: pl.DataFrame, facts: pl.DataFrame) -> None:
    joined = facts.join(criteria, on=["nct_id", "criterion_ordinal"], how="left", suffix="_row")
    assert joined.get_column("text").null_count() == 0
    assert (joined.get_column("kind") == joined.get_column("kind_row")).all()
    ordinals = facts.group_by("nct_id", "criterion_ordinal").agg(pl.col("fact_ordinal").sort())
    assert all(o.to_list() == list(range(1, len(o) + 1)) for o in ordinals.get_column("fact_ordinal"))


def test_schema_accepts_the_frame_and_its_rules_bite(facts: pl.DataFrame) -> None:
    CriteriaFacts.validate(facts)
    row = facts.head(1)
    swapped = row.with_columns(low=pl.lit(5.0), high=pl.lit(1.0), low_inclusive=True, high_inclusive=True)
    with pytest.raises(SchemaError):
        CriteriaFacts.validate(swapped)
    with pytest.raises(SchemaError):
        CriteriaFacts.validate(row.with_columns(unit=pl.lit("mg")))
    with pytest.raises(SchemaError):
        CriteriaFacts.validate(pl.concat([row, row]))  # the key repeats


def test_schema_vocabulary_is_the_extractors() -> None:
    assert set(FACT_CONCEPTS) == set(CONCEPTS)
    assert set(FACT_UNITS) == set(SCORED_UNITS)
    assert all(u in FACT_UNITS for units in ALLOWED_UNITS.values() for u in units if u)
    assert all(u in FACT_UNITS for u in CANONICAL.values() if u)


def test_canonical_values_are_converted(facts: pl.DataFrame) -> None:
    def one(concept: str, unit: str) -> dict:
        rows = facts.filter(pl.col("concept") == concept, pl.col("unit") == unit, pl.col("low").is_not_null())
        assert rows.height, (concept, unit)
        return rows.row(0, named=True)

    per_ul = one("platelets", "/uL")  # "≥ 100,000/mm³" is 100 x10^9/L
    assert per_ul["canonical_unit"] == "x10^9/L"
    assert per_ul["canonical_low"] == pytest.approx(per_ul["low"] / 1000)
    grams = one("hemoglobin", "g/L")
    assert (grams["canonical_unit"], grams["canonical_low"]) == ("g/dL", pytest.approx(grams["low"] / 10))
    uln = facts.filter(pl.col("unit") == "xULN").row(0, named=True)
    assert uln["canonical_unit"] == "xULN"  # relative: kept apart, not converted
    assert (uln["canonical_low"], uln["canonical_high"]) == (uln["low"], uln["high"])
    years = facts.filter(pl.col("concept") == "life_expectancy", pl.col("unit") == "months").row(0, named=True)
    assert years["canonical_unit"] == "years"
    assert years["canonical_low"] == pytest.approx(years["low"] / 12)
    unitless = facts.filter(pl.col("concept") == "platelets", pl.col("unit").is_null()).row(0, named=True)
    assert unitless["canonical_low"] is None  # a number without a unit is not guessed


def test_prefilter_keeps_every_line_with_a_fact(criteria: pl.DataFrame, facts: pl.DataFrame) -> None:
    rows = with_context(criteria)
    kept = rows.filter(candidates(rows))
    assert kept.height < rows.height / 2
    with_facts = facts.select("nct_id", "criterion_ordinal").unique()
    assert with_facts.join(kept, on=["nct_id", "criterion_ordinal"], how="anti").is_empty()


def test_heading_context_reaches_the_lines_below(facts: pl.DataFrame) -> None:
    # NCT00003497: "Age:" (ordinal 6) over "* 18 and over" (7); "Life expectancy:" over "* At least 2 months".
    trial = facts.filter(nct_id="NCT00003497")
    assert trial.filter(criterion_ordinal=7).select("concept", "low").rows() == [("age", 18.0)]
    assert trial.filter(criterion_ordinal=11).select("concept", "low", "unit").rows() == [
        ("life_expectancy", 2.0, "months")
    ]


def test_unitless_ages_are_years_and_unitless_labs_stay_unconverted(facts: pl.DataFrame) -> None:
    ages = facts.filter(pl.col("concept") == "age", pl.col("unit").is_null())
    assert ages.height and (ages.get_column("canonical_unit") == "years").all()
    assert ages.select((pl.col("canonical_low").eq_missing(pl.col("low"))).all()).item()
    labs = facts.filter(pl.col("concept").is_in(["platelets", "wbc", "anc"]), pl.col("unit").is_null())
    assert labs.height and labs.get_column("canonical_unit").null_count() == labs.height
