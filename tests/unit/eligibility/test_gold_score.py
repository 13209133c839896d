"""The gold trials scored by the shared scorer itself, on a tiny warehouse built from their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.eligibility.gold import build_warehouse, score

# Targets of issue 17, asserted on the real yardstick.
MIN_PRECISION = 0.95
MIN_RECALL = 0.90
MIN_CONCEPT_RECALL = 0.80  # for every concept with at least 5 gold facts


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict:
    wh: Path = tmp_path_factory.mktemp("gold") / "gold.duckdb"
    build_warehouse(wh)
    return score(wh)[0]


def test_strict_precision_and_recall(figures: dict) -> None:
    assert figures["gold"] > 300  # the scorer matched the warehouse's lines to the gold's
    assert figures["precision"] >= MIN_PRECISION, figures
    assert figures["recall"] >= MIN_RECALL, figures


def test_every_frequent_concept_is_recalled(figures: dict) -> None:
    low = {
        concept: counts
        for concept, counts in figures["per_concept"].items()
        if counts["tp"] + counts["fn"] >= 5 and counts["tp"] / (counts["tp"] + counts["fn"]) < MIN_CONCEPT_RECALL
    }
    assert not low
