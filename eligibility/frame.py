"""`criteria_facts` rows from `criteria` rows, with a vectorised prefilter before any Python per line.

Most criterion lines state no threshold: a polars regex over the whole column keeps only lines
with a number (or "ULN") and a concept keyword, identical texts are read once, and the facts are
joined back to every row that carries the text.
"""

from __future__ import annotations

import polars as pl

from eligibility.extract import extract_facts
from eligibility.units import conversion

# Loose on purpose: a line kept here is only a candidate; extract_facts decides. Word boundaries
# are ASCII ones (`(?-u:\b)`): the Unicode-aware kind makes the scan over twenty times slower.
_HAS_NUMBER = r"[0-9]|(?i:uln|upper\s+limit)"
_B = r"(?-u:\b)"
_HAS_KEYWORD = (
    rf"(?i){_B}age[sd]?{_B}|{_B}adults?{_B}|{_B}children{_B}|years?[\s-]*old|years? of age|{_B}yrs?{_B}|ecog|zubrod|karnofsky|lansky"
    rf"|performance|{_B}ps{_B}|{_B}kps{_B}|life\s+expectancy|surviv|{_B}bmi{_B}|body\s+mass|weight|ha?emoglobin|{_B}hg?b{_B}|neutro"
    rf"|granulo|{_B}anc{_B}|{_B}agc{_B}|platelet|{_B}plts?{_B}|{_B}wbcc?{_B}|white\s+blood|leu[ck]ocyte|{_B}tlc{_B}|lympho|{_B}alc{_B}|cd4"
    rf"|creatinin|{_B}s?cr{_B}|{_B}ccr{_B}|crcl|clcr|gfr|filtration|bili|{_B}ast{_B}|{_B}alt{_B}|sgot|sgpt|{_B}g[op]t{_B}|transam"
    rf"|aminotrans|transferase|phosphatase|{_B}alp{_B}|albumin|{_B}alb{_B}|{_B}inr{_B}|normali[sz]ed|ptt{_B}|thromboplastin"
    rf"|prothrombin|ejection|lvef|{_B}qt|a1c|glyc|systolic|diastolic|{_B}sbp{_B}|{_B}dbp{_B}|blood\s+pressure|{_B}bp{_B}|uln{_B}"
    rf"|upper\s+limit"
)
# Heading lines whose concept the lines under them take ("Age:" over "* 18 and over").
_CONTEXT_HEADINGS = {
    "age": r"(?i)^\s*age\s*:?\s*$",
    "life_expectancy": r"(?i)^\s*life\s+expectancy\s*:?\s*$",
    "ecog": r"(?i)^\s*performance\s+status\s*:?\s*$",
}
_OTHER_HEADING = r"^[^\d]{1,60}:\s*$"
_ANY_CONTEXT_HEADING = r"(?i)^\s*(?:age|life\s+expectancy|performance\s+status)\s*:?\s*$"

FACT_SCHEMA: dict[str, pl.DataType] = {
    "concept": pl.Utf8(), "low": pl.Float64(), "high": pl.Float64(), "low_inclusive": pl.Boolean(),
    "high_inclusive": pl.Boolean(), "unit": pl.Utf8(), "condition": pl.Utf8(), "source_text": pl.Utf8(),
    "canonical_low": pl.Float64(), "canonical_high": pl.Float64(), "canonical_unit": pl.Utf8(), "or_group": pl.Int32(),
}  # fmt: skip
COLUMNS: tuple[str, ...] = (
    "nct_id", "criterion_ordinal", "fact_ordinal", "concept", "low", "high", "low_inclusive", "high_inclusive",
    "unit", "condition", "source_text", "canonical_low", "canonical_high", "canonical_unit", "kind", "or_group",
)  # fmt: skip


def with_context(criteria: pl.DataFrame) -> pl.DataFrame:
    """Adds `context`: the concept of the heading line a row sits under, within its trial.

    Only trials with such a heading (older records' "Age:" / "Life expectancy:" blocks) are
    sorted and filled; every other row gets NULL without one.
    """
    text = pl.col("text")
    heading = pl.lit(None, dtype=pl.Utf8)
    for concept, pattern in reversed(_CONTEXT_HEADINGS.items()):
        heading = pl.when(text.str.contains(pattern)).then(pl.lit(concept)).otherwise(heading)
    with_heads = criteria.filter(text.str.contains(_ANY_CONTEXT_HEADING)).get_column("nct_id").unique()
    inside = criteria.get_column("nct_id").is_in(with_heads.implode())
    rest = criteria.filter(~inside).with_columns(context=pl.lit(None, dtype=pl.Utf8))
    if rest.height == criteria.height:
        return rest
    marked = pl.when(heading.is_not_null()).then(heading).when(text.str.contains(_OTHER_HEADING)).then(pl.lit(""))
    filled = (
        criteria.filter(inside)
        .sort("nct_id", "criterion_ordinal")
        .with_columns(_heading=marked)
        .with_columns(
            context=pl.when(pl.col("_heading").is_null())
            .then(pl.col("_heading").forward_fill().over("nct_id"))
            .replace("", None)
        )
        .drop("_heading")
    )
    return pl.concat([rest, filled])


def candidates(criteria: pl.DataFrame) -> pl.Series:
    """Which rows may hold a threshold (vectorised; no Python per line)."""
    text = criteria.get_column("text")
    return text.str.contains(_HAS_NUMBER) & (
        text.str.contains(_HAS_KEYWORD) | criteria.get_column("context").is_not_null()
    )


def _read(texts: list[str], contexts: list[str | None]) -> pl.DataFrame:
    """Facts of each distinct (text, context), as flat columns keyed by the text's index `_t`.

    Column lists, not a list of structs: building nested values from Python objects costs
    more than reading the lines.
    """
    cols: dict[str, list] = {name: [] for name in ("_t", "fact_ordinal", *FACT_SCHEMA)}
    for t, (text, context) in enumerate(zip(texts, contexts, strict=True)):
        for n, f in enumerate(extract_facts(text, context), start=1):
            canonical_unit, factor, offset = conversion(f.concept, f.unit)
            cols["_t"].append(t)
            cols["fact_ordinal"].append(n)
            cols["concept"].append(f.concept)
            cols["low"].append(f.low)
            cols["high"].append(f.high)
            cols["low_inclusive"].append(f.low_inclusive)
            cols["high_inclusive"].append(f.high_inclusive)
            cols["unit"].append(f.unit)
            cols["condition"].append(f.condition)
            cols["source_text"].append(f.source_text)
            cols["canonical_unit"].append(canonical_unit)
            cols["canonical_low"].append(_canonical(f.low, factor, offset))
            cols["canonical_high"].append(_canonical(f.high, factor, offset))
            cols["or_group"].append(f.or_group)
    schema = {"_t": pl.UInt32(), "fact_ordinal": pl.Int32(), **FACT_SCHEMA}
    return pl.DataFrame(cols, schema=schema)


def _canonical(value: float | None, factor: float | None, offset: float) -> float | None:
    """The value in the canonical unit, to 10 significant digits: 100,000/uL is 100 x10^9/L, not
    the 100.00000000000001 a binary factor gives, so a patient's 100 meets ">= 100,000/uL"."""
    if value is None or factor is None:
        return None
    return float(f"{value * factor + offset:.10g}")


def facts_frame(criteria: pl.DataFrame) -> pl.DataFrame:
    """`criteria_facts` rows (criteria-facts.md columns, then canonical values and the row's kind).

    `criteria` has the warehouse columns `nct_id`, `criterion_ordinal` (from 1), `kind`, `text`;
    each fact keeps its row's `criterion_ordinal`, and `fact_ordinal` counts from 1 within it.
    """
    rows = with_context(criteria.select("nct_id", "criterion_ordinal", "kind", "text"))
    # the cheap test first: the keyword scan then runs only over lines with a number
    rows = rows.filter(pl.col("text").str.contains(_HAS_NUMBER))
    rows = rows.filter(candidates(rows))
    # Identical lines (frequent across a registry) are read once.
    distinct = rows.select("text", "context").unique().with_row_index("_t")
    facts = _read(distinct.get_column("text").to_list(), distinct.get_column("context").to_list())
    out = rows.join(distinct, on=["text", "context"], how="inner", nulls_equal=True).join(facts, on="_t")
    return out.select(COLUMNS).sort("nct_id", "criterion_ordinal", "fact_ordinal")
