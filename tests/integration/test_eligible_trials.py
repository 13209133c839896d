"""The patient question in SQL (issue 17): `eligible_trials` / `eligibility_checks` on the shared records.

The shared pages (text/ and oncology/text/) are ingested once; the macros' answers are checked
against a reading of the same facts done here in Python, against hand-read lines, and concept
by concept for the direction of each comparison.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import SHARED, connect, run

# The README's question: which trials would take a 67-year-old woman with ECOG 1, platelets
# 90 x 10^9/L and creatinine clearance 45 mL/min?
PATIENT = {"age": 67, "sex": "female", "ecog": 1, "platelets": 90, "creatinine_clearance": 45}

# Read by hand (the criterion line, and why it decides for PATIENT).
HAND_CHECKED = [
    # included: every line with a threshold on the patient's values is met
    ("NCT05984147", "Platelet count ≥ 75,000/μL", "meets"),  # 90 >= 75
    ("NCT05984147", "Creatinine clearance (CrCl) ≥ 30 mL/min", "meets"),  # 45 >= 30
    ("NCT05984147", "Performance status of 0 or 1", "meets"),  # ECOG 1 in [0, 1]
    ("NCT06760702", "Platelet count ≥ 90,000/μL", "meets"),  # 90 >= 90: the bound itself is in
    ("NCT05278052", "ECOG performance status of 0-2", "meets"),
    ("NCT05278052", "Platelets ≥ 50,000 cells/mm3", "meets"),
    # excluded
    ("NCT03096054", "Platelet count ≥100 x 10\\^9/L", "excludes"),  # 90 < 100
    ("NCT03061188", "Cockcroft and Gault equation \\>= 50 mL/min", "excludes"),  # 45 < 50
    ("NCT06194448", "Platelet count \\<100 \u00d7 10\\^9/L", "excludes"),  # exclusion line: 90 < 100 hits
    ("NCT04817267", "18-65 years old", "excludes"),  # 67 > 65
]


def _args(patient: dict) -> str:
    return ", ".join(f"{name} := {value!r}" for name, value in patient.items())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eligible")
    landing = root / "landing"
    for folder, dest in ((SHARED / "text", landing), (SHARED / "oncology" / "text", landing / "oncology")):
        dest.mkdir(parents=True, exist_ok=True)
        for page in sorted(folder.glob("*.txt")):
            shutil.copy(page, dest / page.name)
    run(landing, root)
    return root


@pytest.fixture(scope="module")
def con(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return connect(warehouse)


def test_no_values_exclude_nothing(con: duckdb.DuckDBPyConnection) -> None:
    trials = con.execute("SELECT count(*) FROM trials").fetchone()
    rows = con.execute("SELECT count(*), max(len(lines)), max(lines_met) FROM eligible_trials()").fetchone()
    assert trials is not None and rows is not None
    assert trials[0] > 300 and rows == (trials[0], 0, 0)
    assert con.execute("SELECT count(*) FROM eligibility_checks()").fetchone() == (0,)


def test_the_readme_question_on_hand_read_lines(con: duckdb.DuckDBPyConnection) -> None:
    checks = con.execute(f"SELECT nct_id, outcome, text FROM eligibility_checks({_args(PATIENT)})").fetchall()
    eligible = {r[0] for r in con.execute(f"SELECT nct_id FROM eligible_trials({_args(PATIENT)})").fetchall()}
    for nct_id, words, outcome in HAND_CHECKED:
        found = [o for n, o, text in checks if n == nct_id and words in text]
        assert found == [outcome], (nct_id, words, found)
        assert (nct_id in eligible) == (outcome == "meets"), nct_id
    # the query of the README: recruiting ones, joined to trials
    recruiting = con.execute(
        f"SELECT e.nct_id FROM eligible_trials({_args(PATIENT)}) e JOIN trials t USING (nct_id) "
        "WHERE t.overall_status = 'RECRUITING'"
    ).fetchall()
    assert {"NCT05984147", "NCT06760702", "NCT05278052"} <= {r[0] for r in recruiting}
    assert "NCT06194448" not in {r[0] for r in recruiting}  # recruiting, but its exclusion line hits


def test_sex_and_the_trials_own_ages_decide(con: duckdb.DuckDBPyConnection) -> None:
    male_only = {r[0] for r in con.execute("SELECT nct_id FROM trials WHERE sex = 'MALE'").fetchall()}
    assert male_only
    women = {r[0] for r in con.execute("SELECT nct_id FROM eligible_trials(sex := 'F')").fetchall()}
    men = {r[0] for r in con.execute("SELECT nct_id FROM eligible_trials(sex := 'male')").fetchall()}
    assert not (male_only & women) and male_only <= men
    over_65 = con.execute(
        "SELECT nct_id FROM trials WHERE maximum_age_years < 67 EXCEPT SELECT nct_id FROM eligible_trials(age := 67)"
    ).fetchall()
    capped = con.execute("SELECT count(*) FROM trials WHERE maximum_age_years < 67").fetchone()
    assert capped is not None and len(over_65) == capped[0] > 0


def test_every_concepts_direction(con: duckdb.DuckDBPyConnection) -> None:
    """For a line with one fact, a value inside its range meets an inclusion line and hits an
    exclusion line; a value outside does the opposite. xULN facts take `<concept>_xuln`."""
    lone = con.execute(
        """SELECT nct_id, criterion_ordinal, kind, concept, canonical_low, canonical_high, canonical_unit
           FROM criteria_facts
           WHERE kind <> 'unspecified' AND condition IS NULL AND (canonical_low IS NOT NULL OR canonical_high IS NOT NULL)
           QUALIFY count(*) OVER (PARTITION BY nct_id, criterion_ordinal) = 1
           ORDER BY ALL"""
    ).fetchall()
    covered = set()
    for nct_id, ordinal, kind, concept, low, high, unit in lone:
        name = f"{concept}_xuln" if unit == "xULN" else concept
        if name in covered:
            continue
        inside = (
            (low + high) / 2 if low is not None and high is not None else (low + 1 if low is not None else high - 1)
        )
        outside = low - 1 if low is not None else high + 1
        for value, in_range in ((inside, True), (outside, False)):
            got = con.execute(
                f"SELECT outcome FROM eligibility_checks({name} := ?) WHERE nct_id = ? AND criterion_ordinal = ?",
                [value, nct_id, ordinal],
            ).fetchall()
            expected = {("inclusion", True): "meets", ("inclusion", False): "excludes"}.get(
                (kind, in_range), "excludes" if in_range else "clear"
            )
            assert got == [(expected,)], (nct_id, ordinal, name, value, low, high)
        covered.add(name)
    assert len(covered) >= 20, covered
    assert {"age", "ecog", "platelets", "creatinine_clearance", "ast_xuln"} <= covered


def test_an_absolute_value_does_not_decide_a_uln_multiple(con: duckdb.DuckDBPyConnection) -> None:
    uln_lines = con.execute(
        """SELECT nct_id, criterion_ordinal FROM criteria_facts WHERE kind = 'inclusion'
           GROUP BY ALL HAVING bool_and(concept = 'bilirubin' AND canonical_unit = 'xULN')"""
    ).fetchall()
    assert len(uln_lines) > 5
    rows = con.execute("SELECT nct_id, criterion_ordinal, outcome FROM eligibility_checks(bilirubin := 9)").fetchall()
    outcomes = {(n, o): outcome for n, o, outcome in rows}
    assert {outcomes[key] for key in uln_lines} == {"undecided"}


# --- the same reading done here, over the facts' rows -------------------------------------------

_SEX = re.compile(r"^(?:in |for |among )?(?:(males?|men|man|boys?)|(females?|women|woman|girls?))$")
_NOT_AND = re.compile(r"\band/or\b|\bbetween\s+\S+\s+and\b")


def _status(row: dict, patient: dict, sex: str | None) -> str:
    m = _SEX.match((row["condition"] or "").lower())
    condition_sex = None if not m else ("MALE" if m.group(1) else "FEMALE")
    if condition_sex and sex and condition_sex != sex:
        return "not_applicable"
    absolute, xuln = patient.get(row["concept"]), patient.get(f"{row['concept']}_xuln")
    if absolute is None and xuln is None:
        return "not_given"
    v = xuln if row["canonical_unit"] == "xULN" else absolute
    low, high = row["canonical_low"], row["canonical_high"]
    if v is None or (low is None and high is None):
        return "undecided"
    above = low is None or v > low or (row["low_inclusive"] and v == low)
    below = high is None or v < high or (row["high_inclusive"] and v == high)
    return "in" if above and below else "out"


def _concept_verdict(kind: str, thresholds: list[tuple[str, bool]]) -> str:
    statuses = [s for s, _ in thresholds]
    if all(s == "not_given" for s in statuses):
        return "not_given"
    if kind == "inclusion":
        if "in" in statuses:
            return "meets"
        firm_out = any(s == "out" and not c for s, c in thresholds)
        return "fails" if firm_out and "undecided" not in statuses else "undecided"
    if any(s == "in" and not c for s, c in thresholds):
        return "hit"
    return "clear" if not ({"in", "undecided"} & set(statuses)) else "undecided"


def _group_verdict(kind: str, verdicts: list[str]) -> str:
    if all(v == "not_given" for v in verdicts):
        return "not_given"
    for strong in ("meets", "hit"):
        if strong in verdicts:
            return strong
    if kind == "inclusion" and all(v == "fails" for v in verdicts):
        return "fails"
    if kind != "inclusion" and all(v in ("clear", "not_given") for v in verdicts):
        return "clear"
    return "undecided"


def _line_outcome(kind: str, text: str, groups: list[str]) -> str | None:
    given = [g for g in groups if g != "not_given"]
    if not given:
        return None
    failed = sum(g in ("fails", "hit") for g in groups)
    passed = sum(g in ("meets", "clear") for g in groups)
    if kind == "exclusion" and len(groups) > 1 and re.search(r"\band\b", _NOT_AND.sub(" ", text.lower())):
        return "excludes" if failed == len(groups) else "clear" if passed else "undecided"
    if failed:
        return "excludes"
    if passed == len(given):
        return "meets" if kind == "inclusion" else "clear"
    return "undecided"


def reference_outcomes(con: duckdb.DuckDBPyConnection, patient: dict) -> dict[tuple[str, int], str]:
    """(nct_id, criterion_ordinal) -> outcome, for the criterion lines, read in Python."""
    cur = con.execute(
        "SELECT f.*, c.text FROM criteria_facts f JOIN criteria c USING (nct_id, criterion_ordinal) "
        "WHERE f.kind <> 'unspecified'"
    )
    names = [d[0] for d in cur.description]
    sex = {"f": "FEMALE", "female": "FEMALE", "m": "MALE", "male": "MALE"}.get(str(patient.get("sex")).lower())
    thresholds: dict[tuple, list[tuple[str, bool]]] = defaultdict(list)
    lines: dict[tuple, tuple[str, str]] = {}
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        status = _status(row, patient, sex)
        if status == "not_applicable":
            continue
        m = _SEX.match((row["condition"] or "").lower())
        conditioned = row["condition"] is not None and not (m and sex == ("MALE" if m.group(1) else "FEMALE"))
        line = (row["nct_id"], row["criterion_ordinal"])
        lines[line] = (row["kind"], row["text"])
        thresholds[(*line, row["or_group"], row["concept"], row["source_text"], conditioned)].append(
            (status, conditioned)
        )
    concepts: dict[tuple, list[tuple[str, bool]]] = defaultdict(list)
    for (n, o, g, concept, _, conditioned), statuses in thresholds.items():
        s = [x for x, _ in statuses]
        merged = "out" if "out" in s else "undecided" if "undecided" in s else "not_given" if "not_given" in s else "in"
        concepts[(n, o, g, concept)].append((merged, conditioned))
    groups: dict[tuple, list[str]] = defaultdict(list)
    for (n, o, g, _), ts in concepts.items():
        groups[(n, o, g)].append(_concept_verdict(lines[(n, o)][0], ts))
    per_line: dict[tuple, list[str]] = defaultdict(list)
    for (n, o, _), verdicts in groups.items():
        per_line[(n, o)].append(_group_verdict(lines[(n, o)][0], verdicts))
    out = {}
    for line, group_verdicts in per_line.items():
        outcome = _line_outcome(*lines[line], group_verdicts)
        if outcome is not None:
            out[line] = outcome
    return out


@pytest.mark.parametrize(
    "patient",
    [
        PATIENT,
        {"age": 8, "sex": "male", "karnofsky": 60, "hemoglobin": 8.5, "anc": 1.2},
        {"age": 45, "bilirubin_xuln": 1.2, "ast_xuln": 3, "alt_xuln": 2, "creatinine": 1.4, "qtc": 460, "lvef": 45},
        {"bmi": 32, "systolic_bp": 150, "diastolic_bp": 95, "hba1c": 7.5, "egfr": 55, "life_expectancy": 0.5},
    ],
)
def test_the_macro_reads_the_facts_as_the_rules_say(con: duckdb.DuckDBPyConnection, patient: dict) -> None:
    expected = reference_outcomes(con, patient)
    got = {
        (n, o): outcome
        for n, o, outcome in con.execute(
            f"SELECT nct_id, criterion_ordinal, outcome FROM eligibility_checks({_args(patient)}) WHERE kind <> 'trial'"
        ).fetchall()
    }
    assert got == expected
    assert len({outcome for outcome in got.values()}) >= 3  # the patient is met, excluded and left undecided
    excluded = {n for (n, _), outcome in expected.items() if outcome == "excludes"}
    field_excluded = {
        r[0]
        for r in con.execute(
            f"SELECT nct_id FROM eligibility_checks({_args(patient)}) WHERE outcome = 'excludes' AND kind = 'trial'"
        ).fetchall()
    }
    eligible = {r[0] for r in con.execute(f"SELECT nct_id FROM eligible_trials({_args(patient)})").fetchall()}
    every = {r[0] for r in con.execute("SELECT nct_id FROM trials").fetchall()}
    assert eligible == every - excluded - field_excluded
