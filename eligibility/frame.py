"""`criteria_facts` rows from `criteria` rows, with a vectorised prefilter before any Python per line.

Most criterion lines state no threshold: a polars regex over the whole column keeps only lines
with a number (or "ULN") and a concept keyword, identical texts are read once, and the facts are
joined back to every row that carries the text.
"""

from __future__ import annotations

import polars as pl

from eligibility.extract import extract_facts
from eligibility.units import conversion

# Loose on purpose: a line kept here is only a candidate; extract_facts decides.
_HAS_NUMBER = r"\d|(?i:\buln\b|upper\s+limit)"
_HAS_KEYWORD = (
    r"(?i)\bage[sd]?\b|\badults?\b|\bchildren\b|years?[\s-]*old|years? of age|\byrs?\b|ecog|zubrod|karnofsky|lansky"
    r"|performance|\bps\b|\bkps\b|life\s+expectancy|surviv|\bbmi\b|body\s+mass|weight|ha?emoglobin|\bhg?b\b|neutro"
    r"|granulo|\banc\b|\bagc\b|platelet|\bplts?\b|\bwbcc?\b|white\s+blood|leu[ck]ocyte|\btlc\b|lympho|\balc\b|cd4"
    r"|creatinin|\bs?cr\b|\bccr\b|crcl|clcr|gfr|filtration|bili|\bast\b|\balt\b|sgot|sgpt|\bg[op]t\b|transam"
    r"|aminotrans|transferase|phosphatase|\balp\b|albumin|\balb\b|\binr\b|normali[sz]ed|ptt\b|thromboplastin"
    r"|prothrombin|ejection|lvef|\bqt|a1c|glyc|systolic|diastolic|\bsbp\b|\bdbp\b|blood\s+pressure|\bbp\b|uln\b"
    r"|upper\s+limit"
)
# Heading lines whose concept the lines under them take ("Age:" over "* 18 and over").
_CONTEXT_HEADINGS = {
    "age": r"(?i)^\s*age\s*:?\s*$",
    "life_expectancy": r"(?i)^\s*life\s+expectancy\s*:?\s*$",
    "ecog": r"(?i)^\s*performance\s+status\s*:?\s*$",
}
_OTHER_HEADING = r"^[^\d]{1,60}:\s*$"

FACT_SCHEMA: dict[str, pl.DataType] = {
    "concept": pl.Utf8(), "low": pl.Float64(), "high": pl.Float64(), "low_inclusive": pl.Boolean(),
    "high_inclusive": pl.Boolean(), "unit": pl.Utf8(), "condition": pl.Utf8(), "source_text": pl.Utf8(),
    "canonical_low": pl.Float64(), "canonical_high": pl.Float64(), "canonical_unit": pl.Utf8(),
}  # fmt: skip
COLUMNS: tuple[str, ...] = (
    "nct_id", "criterion_ordinal", "fact_ordinal", "concept", "low", "high", "low_inclusive", "high_inclusive",
    "unit", "condition", "source_text", "canonical_low", "canonical_high", "canonical_unit", "kind",
)  # fmt: skip


def with_context(criteria: pl.DataFrame) -> pl.DataFrame:
    """Adds `context`: the concept of the heading line a row sits under, within its trial."""
    text = pl.col("text")
    heading = pl.lit(None, dtype=pl.Utf8)
    for concept, pattern in reversed(_CONTEXT_HEADINGS.items()):
        heading = pl.when(text.str.contains(pattern)).then(pl.lit(concept)).otherwise(heading)
    marked = pl.when(heading.is_not_null()).then(heading).when(text.str.contains(_OTHER_HEADING)).then(pl.lit(""))
    return (
        criteria.sort("nct_id", "criterion_ordinal")
        .with_columns(_heading=marked)
        .with_columns(
            context=pl.when(pl.col("_heading").is_null())
            .then(pl.col("_heading").forward_fill().over("nct_id"))
            .replace("", None)
        )
        .drop("_heading")
    )


def candidates(criteria: pl.DataFrame) -> pl.Series:
    """Which rows may hold a threshold (vectorised; no Python per line)."""
    text = criteria.get_column("text")
    return text.str.contains(_HAS_NUMBER) & (
        text.str.contains(_HAS_KEYWORD) | criteria.get_column("context").is_not_null()
    )


def _facts_of(text: str, context: str | None) -> list[dict]:
    rows = []
    for f in extract_facts(text, context):
        canonical_unit, factor, offset = conversion(f.concept, f.unit)
        rows.append(
            {
                "concept": f.concept, "low": f.low, "high": f.high, "low_inclusive": f.low_inclusive,
                "high_inclusive": f.high_inclusive, "unit": f.unit, "condition": f.condition,
                "source_text": f.source_text, "canonical_unit": canonical_unit,
                "canonical_low": None if factor is None or f.low is None else f.low * factor + offset,
                "canonical_high": None if factor is None or f.high is None else f.high * factor + offset,
            }
        )  # fmt: skip
    return rows


def facts_frame(criteria: pl.DataFrame) -> pl.DataFrame:
    """`criteria_facts` rows (criteria-facts.md columns, then canonical values and the row's kind).

    `criteria` has the warehouse columns `nct_id`, `criterion_ordinal` (from 1), `kind`, `text`;
    each fact keeps its row's `criterion_ordinal`, and `fact_ordinal` counts from 1 within it.
    """
    rows = with_context(criteria.select("nct_id", "criterion_ordinal", "kind", "text"))
    rows = rows.filter(candidates(rows))
    distinct = rows.select("text", "context").unique()
    read = [_facts_of(t, c) for t, c in distinct.iter_rows()]
    per_text = distinct.with_columns(facts=pl.Series(read, dtype=pl.List(pl.Struct(FACT_SCHEMA))))
    out = (
        rows.join(per_text, on=["text", "context"], how="inner", nulls_equal=True)
        .filter(pl.col("facts").list.len() > 0)
        .with_columns(fact_ordinal=pl.int_ranges(1, pl.col("facts").list.len() + 1, dtype=pl.Int32))
        .explode("facts", "fact_ordinal")
        .unnest("facts")
    )
    return out.select(COLUMNS).sort("nct_id", "criterion_ordinal", "fact_ordinal")
