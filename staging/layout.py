"""Where each staged file of a run lives under its staging folder, and the schemas of the
staged frames that are not warehouse tables. Extract and the stages write these; the load
reads them. A run staged under another `FORMAT_VERSION` is refused, not misread."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from schemas.validation import REC
from staging import raw_files

# Raised whenever a staged file's layout or a manifest's fields change: a Dagster
# re-execution of a run staged by another version must fail clearly, not misread it.
FORMAT_VERSION = 3

BATCH = "_batch"  # the batch number column of a staged table frame
OWNER = "owner.pid"  # the process that stages here; a folder whose owner is gone is abandoned

PAGE_SCHEMA = {
    "path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.Utf8, "text": pl.Utf8,
    "encoding": pl.Utf8, "raw": pl.Binary, "error": pl.Utf8,
}  # fmt: skip
# One row per page read: what became of it (staging.fate) and why.
FATE_SCHEMA = {
    "batch": pl.Int32, REC: pl.Int32, "path": pl.Utf8, "sha256": pl.Utf8, "nct_id": pl.Utf8,
    "last_updated": pl.Utf8, "fate": pl.Utf8, "stage": pl.Utf8, "reason": pl.Utf8, "extras": pl.Int32,
    "size": pl.Int64, "mtime_ns": pl.Int64, "source_format": pl.Utf8,
}  # fmt: skip
# What the warehouse holds about landing files (`landing_files`), to decide what to read.
KNOWN_SCHEMA = {"path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.Utf8}


def _batch_file(batch: int, suffix: str = "parquet") -> str:
    return f"b{batch:06d}.{suffix}"


def plan_path(staging: Path, batch: int) -> Path:
    """A batch's work order (`staging.plan.Plan`), written by extract."""
    return staging / "plan" / _batch_file(batch, "json")


def scanned_path(staging: Path) -> Path:
    """Every file the scan found (read or not), for the load to mark as seen."""
    return staging / "scanned.parquet"


def pages_path(staging: Path, batch: int) -> Path:
    """A batch's pages, staged in the raw store's layout (`staging.raw_files`): the load
    moves the file into the raw store as it is."""
    return staging / "pages" / raw_files.file_name(batch)


def table_path(staging: Path, table: str, batch: int) -> Path:
    """A batch's parsed rows of one warehouse table."""
    return staging / "tables" / table / _batch_file(batch)


def rows_to_load_path(staging: Path, table: str, batch: int) -> Path:
    """A batch's rows that reach the warehouse: the parsed rows less those of records that
    failed validation or lost to a duplicate. Validate writes this file only for a batch that
    lost rows; otherwise the parsed file is it (see `rows_to_load`)."""
    return staging / "to_load" / table / _batch_file(batch)


def rows_to_load(staging: Path, table: str, batch: int) -> Path:
    """The file the load inserts for a batch: validate's reduced copy, or the parsed rows."""
    reduced = rows_to_load_path(staging, table, batch)
    return reduced if reduced.exists() else table_path(staging, table, batch)


def parsed_fates_path(staging: Path, batch: int) -> Path:
    """Each page's fate after parsing (FATE_SCHEMA)."""
    return staging / "fates" / _batch_file(batch)


def final_fates_path(staging: Path, batch: int) -> Path:
    """Each page's fate after validation: the load reads these (validate never rewrites its input)."""
    return staging / "final" / _batch_file(batch)
