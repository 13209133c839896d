"""Who can enter this trial, in SQL: table macros over `criteria_facts` (issue 17).

`eligibility_checks(age := 67, sex := 'female', ecog := 1, platelets := 90, ...)` compares a
patient's values with every fact and returns one row per criterion line it decided, with the
outcome; `eligible_trials(...)` (same arguments) returns every trial none of whose lines
excludes the patient, with the lines that were checked. The reading, in short:

- Values are given in each concept's canonical unit (`eligibility.units.CANONICAL`: ages in
  years, counts in x10^9/L, creatinine and bilirubin in mg/dL, ...) and compared with the
  facts' canonical columns. A fact in `xULN` is compared only with `<concept>_xuln` (the
  patient's value as a multiple of the upper limit of normal): an absolute value cannot be
  placed against another laboratory's normal range, so such a line is `undecided`.
- A value not given, a fact without a known conversion, or a fact under a condition the
  patient's values cannot settle ("with liver metastases") excludes nothing. A condition naming
  a sex applies to that sex only.
- An inclusion line excludes when the value falls outside it; alternatives for one concept
  ("≤ 2.5 x ULN, or ≤ 5 x ULN with liver metastases") admit if any admits. An exclusion line
  excludes when the value falls inside it. Several concepts on one line are read as
  alternatives when the line says "or" (an inclusion line then excludes only when every
  alternative fails) and as a conjunction otherwise; an exclusion line joining concepts with
  "and" excludes only when all of them hit. Lines of `unspecified` kind decide nothing.
- The trial's own `sex` and `minimum_age`/`maximum_age` fields decide too (rows with a NULL
  `criterion_ordinal`).
"""

from __future__ import annotations

from eligibility.concepts import ALLOWED_UNITS
from eligibility.units import CANONICAL
from schemas.facts import FACT_CONCEPTS

# Concepts a criterion may state relative to the upper limit of normal.
XULN_CONCEPTS: tuple[str, ...] = tuple(c for c in FACT_CONCEPTS if "xULN" in ALLOWED_UNITS[c])
PARAMETERS: tuple[str, ...] = ("sex", *FACT_CONCEPTS, *(f"{c}_xuln" for c in XULN_CONCEPTS))

_SEX_WORDS = r"^(?:in |for |among )?(?:(males?|men|man|boys?)|(females?|women|woman|girls?))$"
# "and" that joins no two conditions: "and/or", "between 18 and 65".
_NOT_AND = r"\band/or\b|\bbetween\s+\S+\s+and\b"


def _signature() -> str:
    return ", ".join(f"{p} := NULL" for p in PARAMETERS)


def _patient_rows() -> str:
    rows = []
    for c in FACT_CONCEPTS:
        xuln = f"CAST({c}_xuln AS DOUBLE)" if c in XULN_CONCEPTS else "CAST(NULL AS DOUBLE)"
        rows.append(f"('{c}', CAST({c} AS DOUBLE), {xuln})")
    return ",\n            ".join(rows)


def _fact_status() -> str:
    """Each fact against the patient: not_applicable, not_given, undecided, in or out."""
    inside = (
        "(f.canonical_low IS NULL OR v > f.canonical_low OR (f.low_inclusive AND v = f.canonical_low)) AND "
        "(f.canonical_high IS NULL OR v < f.canonical_high OR (f.high_inclusive AND v = f.canonical_high))"
    )
    return f"""
    facts AS (
        SELECT f.*, CASE WHEN f.condition_sex IS NOT NULL AND f.condition_sex = pt.sex THEN false
                         ELSE f.condition IS NOT NULL END AS conditioned,
               CASE WHEN f.condition_sex IS NOT NULL AND pt.sex IS NOT NULL AND f.condition_sex <> pt.sex
                         THEN 'not_applicable'
                    WHEN f.given_value IS NULL AND f.given_xuln IS NULL THEN 'not_given'
                    WHEN v IS NULL OR (f.canonical_low IS NULL AND f.canonical_high IS NULL) THEN 'undecided'
                    WHEN {inside} THEN 'in' ELSE 'out' END AS status
        FROM (
            SELECT f.nct_id, f.criterion_ordinal, f.fact_ordinal, f.kind, f.concept, f.source_text,
                   f.or_group, f.condition, f.canonical_low, f.canonical_high, f.low_inclusive, f.high_inclusive,
                   f.canonical_unit, p.value AS given_value, p.xuln AS given_xuln,
                   CASE WHEN f.canonical_unit = 'xULN' THEN p.xuln ELSE p.value END AS v,
                   CASE WHEN regexp_matches(lower(f.condition), '{_SEX_WORDS}')
                        THEN CASE WHEN regexp_extract(lower(f.condition), '{_SEX_WORDS}', 1) <> ''
                                  THEN 'MALE' ELSE 'FEMALE' END END AS condition_sex
            FROM criteria_facts f JOIN patient p ON p.concept = f.concept
            WHERE f.kind <> 'unspecified'
        ) f, sex_given pt
    )"""


def _concept_verdicts() -> str:
    """A threshold (the facts of one source_text: both halves of "6 months to 12 years") is out if
    any half is; a concept's thresholds on a line are alternatives, and so are the concepts of
    one `or_group`."""
    return """
    thresholds AS (
        SELECT nct_id, criterion_ordinal, kind, or_group, concept, source_text, conditioned,
               CASE WHEN bool_or(status = 'out') THEN 'out' WHEN bool_or(status = 'undecided') THEN 'undecided'
                    WHEN bool_or(status = 'not_given') THEN 'not_given' ELSE 'in' END AS status
        FROM facts WHERE status <> 'not_applicable'
        GROUP BY nct_id, criterion_ordinal, kind, or_group, concept, source_text, conditioned
    ),
    concepts AS (
        SELECT nct_id, criterion_ordinal, kind, or_group, concept,
               list(DISTINCT source_text ORDER BY source_text) AS thresholds,
               CASE WHEN bool_and(status = 'not_given') THEN 'not_given'
                    WHEN kind = 'inclusion' THEN
                        CASE WHEN bool_or(status = 'in') THEN 'meets'
                             WHEN bool_or(status = 'out' AND NOT conditioned) AND NOT bool_or(status = 'undecided')
                                  THEN 'fails'
                             ELSE 'undecided' END
                    ELSE
                        CASE WHEN bool_or(status = 'in' AND NOT conditioned) THEN 'hit'
                             WHEN NOT bool_or(status IN ('in', 'undecided')) THEN 'clear'
                             ELSE 'undecided' END
               END AS verdict
        FROM thresholds GROUP BY nct_id, criterion_ordinal, kind, or_group, concept
    ),
    alternatives AS (
        SELECT nct_id, criterion_ordinal, kind, or_group,
               CASE WHEN bool_and(verdict = 'not_given') THEN 'not_given'
                    WHEN bool_or(verdict = 'meets') THEN 'meets'
                    WHEN bool_or(verdict = 'hit') THEN 'hit'
                    WHEN kind = 'inclusion' AND bool_and(verdict = 'fails') THEN 'fails'
                    WHEN kind <> 'inclusion' AND bool_and(verdict IN ('clear', 'not_given')) THEN 'clear'
                    ELSE 'undecided' END AS verdict,
               list(struct_pack(concept := concept, verdict := verdict, thresholds := thresholds)
                    ORDER BY concept) AS facts
        FROM concepts GROUP BY nct_id, criterion_ordinal, kind, or_group
    )"""


def _line_outcomes() -> str:
    """Groups of alternatives on one line all apply; an exclusion line that joins them with "and"
    excludes only when every one hits (see the module doc)."""
    return f"""
    lines AS (
        SELECT a.nct_id, a.criterion_ordinal, a.kind,
               regexp_matches(regexp_replace(lower(cr.text), '{_NOT_AND}', ' ', 'g'), '\\band\\b') AS says_and,
               count(*) AS groups, count(*) FILTER (a.verdict <> 'not_given') AS given,
               count(*) FILTER (a.verdict IN ('meets', 'clear')) AS passed,
               count(*) FILTER (a.verdict IN ('fails', 'hit')) AS failed,
               flatten(list(a.facts ORDER BY a.or_group)) AS facts, cr.text
        FROM alternatives a JOIN criteria cr USING (nct_id, criterion_ordinal)
        GROUP BY a.nct_id, a.criterion_ordinal, a.kind, cr.text
        HAVING count(*) FILTER (a.verdict <> 'not_given') > 0
    ),
    line_outcomes AS (
        SELECT nct_id, criterion_ordinal, kind,
               CASE WHEN kind = 'exclusion' AND groups > 1 AND says_and THEN
                        CASE WHEN failed = groups THEN 'excludes' WHEN passed > 0 THEN 'clear' ELSE 'undecided' END
                    WHEN failed > 0 THEN 'excludes'
                    WHEN passed = given THEN CASE kind WHEN 'inclusion' THEN 'meets' ELSE 'clear' END
                    ELSE 'undecided' END AS outcome,
               text, facts
        FROM lines
    )"""


def _trial_fields() -> str:
    """The trial's own sex and age limits, as lines without an ordinal."""
    return """
    trial_fields AS (
        SELECT t.nct_id, NULL::INTEGER AS criterion_ordinal, 'trial' AS kind,
               CASE WHEN t.sex = pt.sex THEN 'meets' ELSE 'excludes' END AS outcome,
               'sex: ' || t.sex AS text, NULL AS facts
        FROM trials t, sex_given pt
        WHERE pt.sex IS NOT NULL AND t.sex IN ('FEMALE', 'MALE')
        UNION ALL
        SELECT t.nct_id, NULL::INTEGER, 'trial',
               CASE WHEN p.value >= t.minimum_age_years THEN 'meets' ELSE 'excludes' END,
               'minimum age: ' || t.minimum_age, NULL
        FROM trials t, patient p
        WHERE p.concept = 'age' AND p.value IS NOT NULL AND t.minimum_age_years IS NOT NULL
        UNION ALL
        SELECT t.nct_id, NULL::INTEGER, 'trial',
               CASE WHEN p.value <= t.maximum_age_years THEN 'meets' ELSE 'excludes' END,
               'maximum age: ' || t.maximum_age, NULL
        FROM trials t, patient p
        WHERE p.concept = 'age' AND p.value IS NOT NULL AND t.maximum_age_years IS NOT NULL
    )"""


def checks_macro() -> str:
    return f"""
CREATE OR REPLACE MACRO eligibility_checks({_signature()}) AS TABLE
WITH
    patient(concept, value, xuln) AS (
        VALUES
            {_patient_rows()}
    ),
    sex_given AS (
        SELECT CASE WHEN upper(CAST(sex AS VARCHAR)) IN ('F', 'FEMALE', 'WOMAN') THEN 'FEMALE'
                    WHEN upper(CAST(sex AS VARCHAR)) IN ('M', 'MALE', 'MAN') THEN 'MALE' END AS sex
    ),{_fact_status()},{_concept_verdicts()},{_line_outcomes()},{_trial_fields()}
SELECT nct_id, criterion_ordinal, kind, outcome, text, facts FROM line_outcomes
UNION ALL BY NAME
SELECT nct_id, criterion_ordinal, kind, outcome, text, facts FROM trial_fields
"""


def trials_macro() -> str:
    passed = ", ".join(f"{p} := {p}" for p in PARAMETERS)
    return f"""
CREATE OR REPLACE MACRO eligible_trials({_signature()}) AS TABLE
SELECT t.nct_id,
       count(c.outcome) FILTER (c.outcome IN ('meets', 'clear')) AS lines_met,
       count(c.outcome) FILTER (c.outcome = 'undecided') AS lines_undecided,
       coalesce(list(struct_pack(criterion_ordinal := c.criterion_ordinal, kind := c.kind, outcome := c.outcome,
                                 text := c.text) ORDER BY c.criterion_ordinal NULLS FIRST, c.text)
                     FILTER (c.outcome IS NOT NULL), []) AS lines
FROM trials t LEFT JOIN eligibility_checks({passed}) c ON c.nct_id = t.nct_id
GROUP BY t.nct_id
HAVING count(c.outcome) FILTER (c.outcome = 'excludes') = 0
"""


def eligibility_macros() -> list[str]:
    """The macros' DDL, run where the warehouse's views are created (warehouse/ddl.py)."""
    return [checks_macro(), trials_macro()]


def dictionary_section() -> list[str]:
    """The macros, their arguments and units, for the data dictionary (warehouse/dictionary.py)."""
    lines = [
        "## Not tables: the eligibility macros",
        "",
        "`eligibility_checks(...)` and `eligible_trials(...)` (DuckDB table macros over `criteria_facts`,",
        '`criteria` and `trials`; the README\'s "Who can enter this trial?" says how a line decides) take',
        "the patient's values as named arguments, each NULL (not given, excluding nothing) unless set.",
        "`eligibility_checks` returns one row per criterion line compared with a given value, and per",
        "trial field (`sex`, `minimum_age`, `maximum_age`: `criterion_ordinal` NULL, `kind` `trial`):",
        "`nct_id`, `criterion_ordinal`, `kind`, `outcome` (`meets`, `clear`, `excludes`, `undecided`),",
        "`text`, `facts` (per concept: its verdict and the thresholds read). `eligible_trials` returns",
        "every trial with no `excludes`: `nct_id`, `lines_met`, `lines_undecided`, `lines` (ordinal,",
        "kind, outcome, text of each line checked).",
        "",
        "| argument | unit |",
        "|---|---|",
        "| sex | `female` / `male` (or `F` / `M`) |",
    ]
    lines += [f"| {c} | {CANONICAL[c] or 'the scale as written'} |" for c in FACT_CONCEPTS]
    lines += [f"| {c}_xuln | multiple of the upper limit of normal |" for c in XULN_CONCEPTS]
    return [*lines, ""]
