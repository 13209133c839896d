"""The one-query check of a batch (`schemas.validation.rules_hold`) never passes a frame that
pandera rejects, and passes the frames of real records, so pandera only runs where a rule breaks.

Frames come from the 238 shared records and the seed; each perturbation breaks at most one
value, row or column the way a faulty parser or page could."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandera.errors
import pandera.polars as pa
import polars as pl
import pytest

from ingest.tables import REC, build_tables
from recordpage import parse_page
from schemas import CORE_TABLES, WarehouseTable
from schemas.core import ExtraSections
from schemas.validation import rules_hold, validate_batch
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
    frames = {name: frame.drop(REC) for name, frame in build_tables(records).items()}
    # No shared page has a section the parser does not know: give that table rows too.
    extras = pl.DataFrame(
        {"nct_id": ["NCT04227327"] * 2, "extra_ordinal": [1, 2], "section": ["Other", "Other"],
         "label": ["A", None], "content": ["x", "y"]},
    ).cast(dict(frames["extra_sections"].schema))  # fmt: skip
    assert list(extras.columns) == list(ExtraSections.to_schema().columns)
    return {**frames, "extra_sections": extras}


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


# Hundreds of perturbations per table, each validated twice: the slowest unit test by far.
@pytest.mark.slow
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


class NonNullFloat(WarehouseTable):
    x: pl.Float64 = pa.Field()


class UniqueColumn(WarehouseTable):
    k: pl.Int32 = pa.Field(unique=True)


class TwoKeys(WarehouseTable):
    class Config:
        unique = [["a"], ["b"]]  # noqa: RUF012 - pandera reads it as a class attribute

    a: pl.Int32 = pa.Field()
    b: pl.Int32 = pa.Field()


class BrokenCheck(WarehouseTable):
    s: pl.Utf8 = pa.Field()

    @pa.dataframe_check
    def _reads_a_missing_column(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("nope").is_null())


@pytest.mark.parametrize(
    ("model", "frame"),
    [
        (NonNullFloat, pl.DataFrame({"x": [1.0, float("nan")]})),
        (UniqueColumn, pl.DataFrame({"k": [1, 1]}, schema={"k": pl.Int32})),
        (TwoKeys, pl.DataFrame({"a": [1, 1], "b": [1, 2]}, schema={"a": pl.Int32, "b": pl.Int32})),
        (BrokenCheck, pl.DataFrame({"s": ["x"]})),
    ],
    ids=["NaN in a non-null float", "column unique", "two keys", "a check that errors"],
)
def test_rules_the_core_models_do_not_use_yet_are_left_to_pandera(
    model: type[WarehouseTable], frame: pl.DataFrame
) -> None:
    """A model that adds one of these must not get a laxer check for it, nor a crash."""
    assert not pandera_passes(model, frame)
    assert rules_hold(model, frame) is False
