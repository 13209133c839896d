"""The raw store's files: the bytes of every page read, kept for good, one parquet file per
batch under `<warehouse>.raw/<run_id>/`.

A file is written in the layout of the `source_records` export: that table's columns, one
row per page, as the run that read it saw it. The export can then hard-link a file the run
just wrote as its part of `source_records` instead of encoding the page text a second time
(22 of the 43 CPU-seconds of a 580,000-page export; see warehouse/export.py). Warehouses
made before that hold files in an older layout (`b<batch>.parquet`: path, text, raw, ...);
the `source_records` view reads both (warehouse/ddl.py).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from schemas.lineage import SourceRecords

RECORDS_PREFIX = "r"  # files in the `source_records` layout
PAGES_PREFIX = "b"  # the older layout


def file_name(batch: int) -> str:
    return f"{RECORDS_PREFIX}{batch:06d}.parquet"


def in_records_layout(raw_file: str) -> bool:
    """`raw_file` as `source_pages` names it (`<run_id>/<file>`)."""
    return raw_file.rsplit("/", 1)[-1].startswith(RECORDS_PREFIX)


COLUMNS: dict[str, pl.DataType] = {name: col.dtype.type for name, col in SourceRecords.to_schema().columns.items()}


def records(pages: pl.DataFrame, nct_ids: pl.Series, run_id: str, batch: int, read_at: str) -> pl.DataFrame:
    """A batch's pages (staging.layout.PAGE_SCHEMA plus `known_sha256`) as the rows of its
    raw file. A page whose bytes the warehouse already holds for its path (a file
    touched, not changed) is left out: `source_pages` keeps pointing at the file that stored
    it first. Storing it again made every run over a folder of touched files keep another
    copy of the pages that shared a batch with a changed one."""
    stored = pages.with_columns(nct_id=nct_ids).filter(
        pl.col("known_sha256").is_null() | (pl.col("known_sha256") != pl.col("sha256"))
    )
    seen = pl.lit(dt.datetime.fromisoformat(read_at))
    values = {
        "sha256": pl.col("sha256"),
        "source_path": pl.col("path"),
        "nct_id": pl.col("nct_id"),
        "first_seen": seen,
        "last_seen": seen,
        "record_text": pl.col("text"),
        "size_bytes": pl.col("size"),
        "encoding": pl.col("encoding"),
        "raw_bytes": pl.col("raw"),
        "raw_file": pl.lit(f"{run_id}/{file_name(batch)}"),
    }
    return stored.select(values[name].cast(dtype).alias(name) for name, dtype in COLUMNS.items())
