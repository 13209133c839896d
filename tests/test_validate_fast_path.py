"""The one-query check of a batch (`ingest.validate.rules_hold`) never passes a frame that
pandera rejects, and passes the frames of real records, so pandera only runs where a rule breaks.

Frames come from the 238 shared records and the seed; each perturbation breaks at most one
value, row or column the way a faulty parser or page could."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandera.errors
import polars as pl
import pytest

from ingest.tables import REC, build_tables
from ingest.validate import rules_hold, validate_batch
from recordpage import parse_page
from schemas import CORE_TABLES, WarehouseTable
from tests.conftest import SEED, SHARED

BAD_VALUES: dict[type[pl.DataType], list[object]] = {
    pl.String: ["", "x", "NOT_A_CODE", "NCT1234", " "],
    pl.Int32: [-5, 0],
    pl.Float64: [-1.0, float("nan")],
    pl.Date: [dt.date(1800, 1, 1), dt.date(2999, 12, 31)],
    pl.Boolean: [True],
    pl.List: [["BOGUS"], []],
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    pages = [SEED, *sorted((SHARED / "text").glob("*.txt"))]
    records = [(i, "0" * 64, p.name, parse_page(p.read_text(encoding="utf-8"))) for i, p in enumerate(pages)]
    return {name: frame.drop(REC) for name, frame in build_tables(records).items()}


def pandera_passes(model: type[WarehouseTable], frame: pl.DataFrame) -> bool:
    try:
        model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors:
        return False
    except pl.exceptions.PolarsError:  # pandera's coercion of a missing column fails in polars
        return False
    return True


def perturbed(frame: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    """One broken value per column and kind, a duplicated row, a missing and a reordered column."""
    if frame.is_empty():
        return
    for name, dtype in frame.schema.items():
        kind = pl.List if isinstance(dtype, pl.List) else type(dtype)
        for value in [None, *BAD_VALUES.get(kind, [])]:
            column = frame.get_column(name).to_list()
            column[-1] = value
            yield f"{name}={value!r}", frame.with_columns(pl.Series(name, column, dtype=dtype))
    yield "duplicate row", pl.concat([frame, frame.head(1)])
    yield "missing column", frame.drop(frame.columns[-1])
    yield "reordered columns", frame.select(reversed(frame.columns))
    yield "int as int64", frame.with_columns(pl.col(pl.Int32).cast(pl.Int64))


@pytest.mark.parametrize("model", CORE_TABLES, ids=lambda m: m.__table__.name)
def test_never_laxer_than_pandera(model: type[WarehouseTable], frames: dict[str, pl.DataFrame]) -> None:
    frame = frames[model.__table__.name]
    assert rules_hold(model, frame) and pandera_passes(model, frame)
    cases = list(perturbed(frame))
    laxer = [label for label, bad in cases if rules_hold(model, bad) and not pandera_passes(model, bad)]
    assert not laxer, laxer
    if cases:  # the perturbations do break rules, so the comparison means something
        assert sum(not pandera_passes(model, bad) for _, bad in cases) > len(cases) // 4


def test_a_batch_with_a_broken_row_gets_pandera_s_reason(frames: dict[str, pl.DataFrame]) -> None:
    """Where the fast check fails, the reasons are pandera's, naming table, column and rule."""
    batch = {
        name: frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int32).alias(REC)) for name, frame in frames.items()
    }
    assert validate_batch(batch) == {}
    batch["criteria"] = batch["criteria"].with_columns(
        depth=pl.when(pl.col(REC) == 3).then(pl.lit(-1, pl.Int32)).otherwise(pl.col("depth"))
    )
    reasons = validate_batch(batch)
    rec = batch["criteria"].get_column(REC)[3]
    assert any("criteria.depth: value '-1' breaks rule" in reason for reason in reasons[rec]), reasons
