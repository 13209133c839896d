"""Whatever a line holds, reading it raises nothing and every fact keeps the table's invariants."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility import extract_facts
from eligibility.concepts import ALLOWED_UNITS
from schemas.facts import FACT_CONCEPTS, FACT_UNITS
from tests.unit.eligibility.gold import SHARED

# Pieces of real thresholds, shuffled into lines no registry wrote.
PIECES = [
    "ECOG", "AST", "ALT", "ULN", "x", "\u00d7", "≥", "≤", "<", ">", "=<", "\\>=", "-", "to", "and", "or", "1.5", "0",
    "2,000", "3,0", "10^9/L", "109/L", "/mm3", "mg/dL", "years", "of age", "old", "months", "(", ")", ";", ".",
    "140/90", "mmHg", "between", "18", "65", "inclusive", "at least", "no greater than", "times", "upper limit of normal",
    "creatinine clearance", "bilirubin", "platelets", "age", "%", "Karnofsky", "QTc", "ms", "if", "liver metastases",
    "18-5", "0, 1 or 2", "under the age of", "+", "g/L", "mL/min/1.73 m2", "Age:", "direct bilirubin", "cells/µL",
]  # fmt: skip


def check(text: str) -> None:
    for f in extract_facts(text):
        assert f.concept in FACT_CONCEPTS
        assert f.unit is None or f.unit in FACT_UNITS
        assert f.unit in ALLOWED_UNITS[f.concept]
        assert f.low is not None or f.high is not None
        assert (f.low is None) == (f.low_inclusive is None)
        assert (f.high is None) == (f.high_inclusive is None)
        if f.low is not None and f.high is not None:
            assert f.low <= f.high, text
        assert f.source_text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map(" ".join))
def test_shuffled_threshold_pieces(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text(text: str) -> None:
    check(text)


def test_every_shared_criterion_line() -> None:
    for path in (SHARED / "records" / "truth.jsonl", SHARED / "records" / "oncology" / "truth.jsonl"):
        with path.open(encoding="utf-8") as fh:
            for row in fh:
                for _, text, _ in json.loads(row)["criteria"]:
                    check(text)
