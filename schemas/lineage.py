"""Pandera models of the lineage and quarantine tables; DDL is derived from them too."""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

from schemas.core import NCT_PATTERN, WarehouseTable, table

Text = pl.Utf8
# `Annotated` so type checkers read a type; pandera builds the same Datetime(us, UTC) from it.
Timestamp = Annotated[pl.Datetime, "us", "UTC"]
SHA256 = r"^[0-9a-f]{64}$"


@table(
    "source_records",
    "Every page ever read, valid or not, with its raw text. A view: the text lives in the raw "
    "store (immutable parquet files beside the warehouse file), the rest in `source_pages`. "
    "first_seen / last_seen: the start of the first / last run that read the page's bytes at that path. "
    "The raw store is found when a query runs, beside the DuckDB file opened (`trials.raw/` for "
    "`trials.duckdb`) unless the variable `trial_warehouse_raw_store` names another folder, so a "
    "moved or copied warehouse folder reads its own.",
    is_view=True,
)
class SourceRecords(WarehouseTable):
    class Config:
        unique = ["sha256", "source_path"]  # the primary key

    sha256: Text = pa.Field(str_matches=SHA256)
    source_path: Text = pa.Field()
    nct_id: Text = pa.Field(nullable=True)
    first_seen: Timestamp = pa.Field()
    last_seen: Timestamp = pa.Field()
    record_text: Text = pa.Field(nullable=True)
    # Beyond the contract: how the bytes were read.
    size_bytes: pl.Int64 = pa.Field(ge=0)
    encoding: Text = pa.Field(nullable=True)
    raw_bytes: pl.Binary = pa.Field(nullable=True)  # only when the bytes are not text
    raw_file: Text = pa.Field()  # the raw store file holding the bytes; also the export partition


@table("source_pages", "What is known of every page read; its bytes are in the raw store file `raw_file`.")
class SourcePages(WarehouseTable):
    class Config:
        unique = ["sha256", "source_path"]  # the primary key

    sha256: Text = pa.Field(str_matches=SHA256)
    source_path: Text = pa.Field()
    nct_id: Text = pa.Field(nullable=True)
    first_seen: Timestamp = pa.Field()
    last_seen: Timestamp = pa.Field()
    size_bytes: pl.Int64 = pa.Field(ge=0)
    encoding: Text = pa.Field(nullable=True)
    raw_file: Text = pa.Field()  # relative to the raw store folder


@table("landing_files", "What each landing file looked like when last read, to skip unchanged ones.")
class LandingFiles(WarehouseTable):
    class Config:
        unique = ["path"]  # the primary key

    path: Text = pa.Field()
    size: pl.Int64 = pa.Field(ge=0)
    mtime_ns: pl.Int64 = pa.Field()
    sha256: Text = pa.Field(nullable=True)  # NULL for an archive: its members carry their own
    last_seen: Timestamp = pa.Field()


@table("rejected_records", "Why a page did not reach the core tables.")
class RejectedRecords(WarehouseTable):
    class Config:
        unique = ["sha256", "source_path"]  # the primary key

    sha256: Text = pa.Field(str_matches=SHA256)
    source_path: Text = pa.Field()
    nct_id: Text = pa.Field(nullable=True)
    stage: Text = pa.Field(isin=["extract", "parse", "validate"])
    reason: Text = pa.Field(str_length={"min_value": 1})
    rejected_at: Timestamp = pa.Field()
    # Beyond the contract: set when a fixed page for the same path or trial loads in a later
    # run; cleared when the same bytes are rejected again.
    resolved_at: Timestamp = pa.Field(nullable=True)
    run_id: Text = pa.Field()


@table("trial_versions", "Every version of every trial seen; the current one has no superseded_at.")
class TrialVersions(WarehouseTable):
    class Config:
        unique = ["nct_id", "sha256"]  # the primary key

    nct_id: Text = pa.Field(str_matches=NCT_PATTERN)
    sha256: Text = pa.Field(str_matches=SHA256)
    last_updated: pl.Date = pa.Field(nullable=True)
    first_seen: Timestamp = pa.Field()
    superseded_at: Timestamp = pa.Field(nullable=True)
    source_path: Text = pa.Field()
    # The version's trials row as JSON, taken when it is superseded, so `trial_changes` can diff
    # versions; NULL for the current version, whose row is in `trials`.
    fields_json: Text = pa.Field(nullable=True)


@table(
    "trial_changes",
    "A view: for each pair of consecutive versions of a trial (`trial_versions`, in the order first seen), "
    "each `trials` column whose value differs, old and new. `old_value` / `new_value` are plain text: a "
    "date `2025-07-29`, a number `31`, a boolean `true`, a list `[PHASE1, PHASE2]`, NULL for no value; "
    "cast them to `value_type` for typed values (`new_value::INTEGER`, `new_value::DATE`, "
    "`new_value::VARCHAR[]`). `old_json` / `new_json` hold the same values as JSON.",
    is_view=True,
)
class TrialChanges(WarehouseTable):
    class Config:
        unique = ["nct_id", "new_sha256", "field"]  # the primary key

    nct_id: Text = pa.Field(str_matches=NCT_PATTERN)
    old_sha256: Text = pa.Field(str_matches=SHA256, description="the earlier version (`trial_versions.sha256`)")
    new_sha256: Text = pa.Field(str_matches=SHA256, description="the later version")
    changed_at: Timestamp = pa.Field(description="when the later version was first seen")
    field: Text = pa.Field(description="the `trials` column that changed")
    old_value: Text = pa.Field(nullable=True, description="its earlier value as plain text")
    new_value: Text = pa.Field(nullable=True, description="its later value as plain text")
    value_type: Text = pa.Field(description="the column's type in `trials`, to cast the values to")
    old_json: Text = pa.Field(nullable=True, description='the earlier value as JSON text (`"2025-07-29"`, `31`)')
    new_json: Text = pa.Field(nullable=True, description="the later value as JSON text")


@table("ingest_runs", "One row per ingest run.", key_constraint=True)
class IngestRuns(WarehouseTable):
    class Config:
        unique = ["run_id"]  # the primary key

    run_id: Text = pa.Field()
    started_at: Timestamp = pa.Field()
    finished_at: Timestamp = pa.Field(nullable=True)
    files_seen: pl.Int64 = pa.Field(ge=0)
    records_new: pl.Int64 = pa.Field(ge=0)
    records_changed: pl.Int64 = pa.Field(ge=0)
    records_unchanged: pl.Int64 = pa.Field(ge=0)
    records_rejected: pl.Int64 = pa.Field(ge=0)
    status: Text = pa.Field(isin=["running", "succeeded", "failed"])
    # Beyond the contract.
    records_duplicate: pl.Int64 = pa.Field(ge=0)
    trials_loaded: pl.Int64 = pa.Field(ge=0)
    extra_sections: pl.Int64 = pa.Field(ge=0)
    source_dir: Text = pa.Field()
    summary_json: Text = pa.Field(nullable=True)


@table(
    "check_results",
    "The outcome of each asset check on the warehouse as an ingest run left it. A check that "
    "passed on the previous run's state lets the next one look only at what that run added: "
    "the trials it loaded, and the pages it stored (see warehouse/check_log.py).",
    key_constraint=True,
)
class CheckResults(WarehouseTable):
    class Config:
        unique = ["run_id", "check_name"]  # the primary key

    run_id: Text = pa.Field()  # the ingest run whose warehouse the check looked at
    check_name: Text = pa.Field()
    passed: pl.Boolean = pa.Field()
    scope: Text = pa.Field(isin=["all rows", "trials loaded by the run"])
    rows_checked: pl.Int64 = pa.Field(ge=0, nullable=True)
    problems: Text = pa.Field(nullable=True)
    checked_at: Timestamp = pa.Field()


LINEAGE_TABLES: tuple[type[WarehouseTable], ...] = (
    SourceRecords,
    SourcePages,
    RejectedRecords,
    TrialVersions,
    IngestRuns,
    LandingFiles,
    CheckResults,
)
