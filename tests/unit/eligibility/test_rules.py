"""One test per reading rule of criteria-facts.md, on real criterion lines of the shared records.

Gold lines are compared with their hand labels; lines outside the gold carry the expected facts
written here from the rule they illustrate.
"""

from __future__ import annotations

import re

import pytest

from eligibility import extract_facts
from tests.unit.eligibility.gold import SHARED, gold_line, key, record_line


def keys(text: str, context: str | None = None) -> list[tuple]:
    return [(f.concept, f.low, f.low_inclusive, f.high, f.high_inclusive, f.unit) for f in extract_facts(text, context)]


def assert_as_gold(nct_id: str, line: int) -> None:
    g = gold_line(nct_id, line)
    assert sorted(keys(g["text"]), key=repr) == sorted((key(f) for f in g["facts"]), key=repr), g["text"]


@pytest.mark.parametrize(
    ("nct_id", "line"),
    [
        ("NCT00003497", 16),  # "no greater than" -> inclusive high
        ("NCT00005825", 12),  # "greater than" -> exclusive low, /mm^3 -> /uL
        ("NCT02227251", 2),  # "greater than or equal to (≥)"
        ("NCT00000410", 9),  # "less than"
        ("NCT05636150", 5),  # "more than"
        ("NCT00003497", 12),  # "at least"
        ("NCT03908762", 1),  # postfix "or above"
        ("NCT00779168", 6),  # "=\<" as escaped in the registry text
        ("NCT06429761", 0),  # "> 18 years of age inclusive": the word wins
    ],
)
def test_rule_2_comparator_words(nct_id: str, line: int) -> None:
    assert_as_gold(nct_id, line)


@pytest.mark.parametrize(
    ("nct_id", "line"),
    [
        ("NCT00220935", 0),  # "Age 21 - 55": no unit written
        ("NCT01339377", 0),  # "18 to 70 years of age"
        ("NCT05847673", 1),  # "between 18 and 30 years of age"
        ("NCT03067181", 2),  # ">= 11 and < 25 years": one fact, inclusive low, exclusive high
        ("NCT04892173", 5),  # ">= 30 and less than (<) 50 milliliters/minute", then ECOG 2 exact
        ("NCT01481870", 7),  # signs lost in transit ("count4,000/mm3"): the exact value
    ],
)
def test_rule_2_ranges_and_exact_values(nct_id: str, line: int) -> None:
    assert_as_gold(nct_id, line)


@pytest.mark.parametrize(
    ("nct_id", "line"), [("NCT00779168", 4), ("NCT07447570", 2), ("NCT03067181", 17), ("NCT04446663", 5)]
)
def test_rule_3_lists_on_a_scale(nct_id: str, line: int) -> None:
    assert_as_gold(nct_id, line)


def test_rule_3_performance_status_on_0_100_is_no_ecog() -> None:
    text = record_line("Karnofsky Performance Status (KPS) of \\> 80% on the modified")
    assert keys(text) == [("karnofsky", 80.0, False, None, None, None)]


@pytest.mark.parametrize(
    ("nct_id", "line"),
    [
        ("NCT00003497", 17),  # "SGOT and SGPT no greater than 5 times upper limit of normal": two facts
        ("NCT06060704", 6),  # "... (≤5xULN if liver metastasis present)": four, then bilirubin
        ("NCT02227251", 27),  # conditions in brackets and sentences, "3*ULN"
        ("NCT02513394", 18),  # "≤ ULN" is 1 x ULN; the Gilbert's alternative
        ("NCT07447570", 9),  # "in patients without liver metastasis, or ≤5 x ULN in those with"
        ("NCT06194448", 11),  # "transaminases levels below ULN": AST and ALT
    ],
)
def test_rule_4_one_fact_per_concept_and_uln_conditions(nct_id: str, line: int) -> None:
    assert_as_gold(nct_id, line)


def test_rule_4_conditions_are_kept() -> None:
    facts = extract_facts(gold_line("NCT06060704", 6)["text"])
    conditional = {(f.concept, f.high) for f in facts if f.condition and "liver metastasis" in f.condition}
    assert conditional == {("ast", 5.0), ("alt", 5.0)}


def test_rule_5_mixed_units_in_one_range() -> None:
    # The definition's own example, read from the shared file.
    spec = (SHARED / "criteria-facts.md").read_text(encoding="utf-8")
    example = re.search(r"\*\*Mixed units in one range\*\* \(\"([^\"]+)\"\)", spec)
    assert example
    assert keys(f"Age {example.group(1)}") == [("age", 6.0, True, None, None, "months"),
                                               ("age", None, None, 12.0, True, "years")]  # fmt: skip


@pytest.mark.parametrize(
    ("nct_id", "line"),
    [
        ("NCT00003497", 36),  # "At least 4 weeks since prior chemotherapy": a time window
        ("NCT00766480", 3),  # "Tumor diameter < 8 cm"
        ("NCT01518517", 4),  # "the 2 parents need to consent when children are below 18"
        ("NCT02177773", 5),  # "Hepatic enzymes 5 times ...": only the creatinine, once (the µmol/L restatement)
        ("NCT06194448", 36),  # "sudden death under 40 years of age in first-degree relatives"
        ("NCT03067181", 17),  # ages that pick Karnofsky or Lansky are conditions, not facts
        ("NCT02227251", 49),  # "≤7 days prior to Day 1 dosing"
        ("NCT07014449", 6),  # "at least 5 half-lives" after a WBC threshold
        ("NCT03067181", 31),  # "the ULN for SGPT is 45 U/L" is a reference value
    ],
)
def test_rule_6_numbers_that_are_not_thresholds(nct_id: str, line: int) -> None:
    assert_as_gold(nct_id, line)


def test_rule_6_direct_bilirubin_is_not_bilirubin() -> None:
    text = record_line("Serum total bilirubin =\\< 1.5 X ULN OR direct bilirubin =\\< ULN")
    assert keys(text) == [("bilirubin", None, None, 1.5, True, "xULN")]


def test_rule_7_a_parent_line_gives_no_fact_and_its_children_theirs() -> None:
    assert_as_gold(
        "NCT03061188", 14
    )  # "adequate organ and bone marrow function =< 14 days prior ..., as defined below"
    assert_as_gold("NCT03061188", 15)  # its child "Absolute neutrophil count >= 1.5 x 10^9/L"


def test_settled_lost_superscript_and_comma_decimal() -> None:
    assert_as_gold("NCT03666559", 8)  # "Leucocytes ≥ 3,0 x 109/L"
    assert_as_gold("NCT04638790", 4)  # "absolute neutrophil count >1,0 x109/L, platelets >75 x109/L"


def test_settled_thresholds_per_sex() -> None:
    assert_as_gold("NCT04638790", 16)  # ">450 msec in males; >470 msec in women"
    text = record_line("QTc interval \\>450 ms for men or 470 ms for women")
    assert keys(text) == [("qtc", 450.0, False, None, None, "ms"), ("qtc", 470.0, False, None, None, "ms")]


def test_settled_blood_pressure_pair() -> None:
    text = record_line("blood pressure (BP) \\> 140/90")
    assert keys(text) == [("systolic_bp", 140.0, False, None, None, None),
                          ("diastolic_bp", 90.0, False, None, None, None)]  # fmt: skip


def test_heading_context_reads_the_lines_under_it() -> None:
    # PDQ-style records: "Age:" then "* 18 and over"; the line alone has no concept.
    g = gold_line("NCT00003497", 6)
    assert keys(g["text"]) == []
    assert keys(g["text"], context="age") == [key(f) for f in g["facts"]]


def test_settled_restated_in_a_second_unit_is_one_fact() -> None:
    assert_as_gold("NCT02177773", 5)  # "> 3.0 mg/dL (270 Micromole per liter ...": a bare restatement
    text = record_line("≥750/mm\\^3 (≥0.75 x 10\\^9/L)")  # a restatement with its own sign, equal once converted
    assert keys(text) == [("anc", 750.0, True, None, None, "/uL")]
    text = record_line("Hemoglobin count greater than or equal to 9 g/dL or greater than or equal to 5.6 mmol/L")
    assert keys(text) == [("hemoglobin", 9.0, True, None, None, "g/dL")]
    # alternatives in the same unit are two facts
    text = record_line("Hemoglobin ≥ 9.0 g/dL (no prior transfusion) OR ≥ 10.0 g/dL")
    assert keys(text) == [("hemoglobin", 9.0, True, None, None, "g/dL"), ("hemoglobin", 10.0, True, None, None, "g/dL")]


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("* Age over 18", [("age", 18.0, False, None, None, None)]),  # "over": exclusive low
        ("* Equal to or older than 22 years of age.", [("age", 22.0, True, None, None, "years")]),
        ("* Age under 18", [("age", None, None, 18.0, False, None)]),  # "under": exclusive high
        ("* Age 18 or older", [("age", 18.0, True, None, None, None)]),  # postfix "or older"
        ("Minimum life expectancy of \\> 12 weeks", [("life_expectancy", 12.0, False, None, None, "weeks")]),
        (
            "* Serum creatinine of 2.0 mg/dl or less, total bilirubin",  # postfix "or less", two concepts
            [("creatinine", None, None, 2.0, True, "mg/dL"), ("bilirubin", None, None, 2.0, True, "mg/dL")],
        ),
    ],
)
def test_rule_2_more_comparator_words_on_real_lines(fragment: str, expected: list[tuple]) -> None:
    assert keys(record_line(fragment))[: len(expected)] == expected


def test_rule_2_above_with_conditions_per_age() -> None:
    text = record_line("Systolic blood pressure (SBP) above 140 mmHg if")
    facts = extract_facts(text)
    assert [(f.concept, f.low, f.low_inclusive, f.unit) for f in facts] == [
        ("systolic_bp", 140.0, False, "mmHg"),
        ("systolic_bp", 150.0, False, "mmHg"),
    ]
    assert all(f.condition and "years of age" in f.condition for f in facts)


def test_rule_6_a_duration_after_a_threshold_is_no_second_threshold() -> None:
    # "aged more than 50 years and amenorrhoeic for at least 12 months": the 12 months is how long
    text = record_line("Post-menopausal defined as aged more than 50 years and amenorrhoeic for at least 12")
    read = keys(text)
    assert ("age", 50.0, False, None, None, "years") in read
    assert not [k for k in read if k[5] == "months"]


def test_alternatives_joined_by_or_share_a_group() -> None:
    # Inclusion: "creatinine <= 1.5 x ULN or creatinine clearance >= 60" is met by either (the query reads or_group).
    text = record_line("Serum creatinine =\\< 1.5 x ULN, or calculated creatinine clearance \\> 50 mL/min")
    assert [(f.concept, f.or_group) for f in extract_facts(text)] == [("creatinine", 1), ("creatinine_clearance", 1)]
    # an "or" inside the ANC clause does not reach across the semicolon to the platelets
    text = record_line("ANC ≥1.5 \u00d7 10⁹/L or within normal range; platelet count ≥100 \u00d7 10⁹/L")
    assert [(f.concept, f.or_group) for f in extract_facts(text)] == [("anc", 1), ("platelets", 2), ("hemoglobin", 3)]
