"""The ingest assets: extract -> parse -> validate -> load -> export.

Each is a thin wrapper: the work lives in `ingest` and `warehouse`. Between assets only
typed manifests travel (`staging.manifest`: the run's identity and its counts); the data
itself is in parquet batches under the warehouse's `.staging/<run_id>/` folder.
"""

import shutil
import time
from dataclasses import dataclass
from typing import TypeVar

import dagster as dg

from assets.metadata import preview
from assets.resources import WarehouseResource
from ingest.extract import extract
from ingest.parse import parse
from ingest.validate import validate
from ingest.workers import Progress
from staging.layout import FORMAT_VERSION
from staging.manifest import ExtractManifest, ParseManifest, ValidateManifest
from warehouse.export import export_all, tables_to_rewrite
from warehouse.load import LoadResult, load
from warehouse.store import open_for_write, raw_store, writer_lock

GROUP = "ingest"


@dataclass(frozen=True, slots=True)
class LoadManifest:
    validated: ValidateManifest
    loaded: LoadResult


@dataclass(frozen=True, slots=True)
class ExportManifest:
    loaded: LoadManifest
    rows: dict[str, int]
    seconds: float


def _progress(context: dg.AssetExecutionContext) -> Progress:
    last: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        # Log about every 10% so a long run shows it is moving without flooding the log.
        step = max(1, total // 10)
        if done == total or done - last.get(stage, 0) >= step:
            last[stage] = done
            context.log.info(f"{stage}: batch {done}/{total}")

    return report


Manifest = TypeVar("Manifest", ExtractManifest, ParseManifest, ValidateManifest)


def _staged_by_this_version(manifest: Manifest) -> Manifest:
    """A Dagster re-execution can resume a run that another version staged, whose pages are in
    another layout and whose manifest has other fields: refuse it rather than misread it."""
    typed = isinstance(manifest, ExtractManifest | ParseManifest | ValidateManifest)
    version = manifest.run.format_version if typed else None
    if version != FORMAT_VERSION:
        found = f"staging format {version}" if typed else f"a {type(manifest).__name__}, not a manifest"
        raise dg.Failure(
            f"this run was staged by an older version of trial-warehouse (its extract output is {found}; this "
            f"version reads staging format {FORMAT_VERSION}); start a new run instead of re-executing this one. "
            "Nothing was loaded."
        )
    return manifest


@dg.asset(
    group_name=GROUP, description="Files in the landing folder that are new or changed by size or mtime, in batches."
)
def landing_pages(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.Output[ExtractManifest]:
    staging = warehouse.staging(context.run.run_id)
    result = extract(warehouse.source, warehouse.known(), staging, warehouse.settings(), context.run.run_id)
    batches = len(result.batches)
    context.log.info(
        f"extract: {result.files_seen:,} files seen, {result.files_read:,} to read "
        f"in {batches} batch{'' if batches == 1 else 'es'}"
    )
    return dg.Output(
        result,
        metadata={
            "files_seen": result.files_seen,
            "files_read": result.files_read,
            "files_unchanged": result.files_unchanged,
            "unreadable": result.unreadable,
            "seconds": round(result.seconds, 2),
        },
    )


@dg.asset(
    group_name=GROUP,
    description="Batches read, hashed and parsed into core-table frames; unparseable pages get a reason.",
)
def parsed_records(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing_pages: ExtractManifest
) -> dg.Output[ParseManifest]:
    result = parse(_staged_by_this_version(landing_pages), warehouse.settings(), _progress(context))
    return dg.Output(
        result,
        metadata={
            "pages": result.pages,
            "parsed": result.parsed,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "extra_sections": result.extra_sections,
            "seconds": round(result.seconds, 2),
        },
    )


@dg.asset(
    group_name=GROUP, description="Parsed batches checked against the pandera models; failing records quarantined."
)
def validated_records(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, parsed_records: ParseManifest
) -> dg.Output[ValidateManifest]:
    result = validate(_staged_by_this_version(parsed_records), warehouse.settings(), _progress(context))
    return dg.Output(
        result,
        metadata={
            "to_load": result.to_load,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in result.reasons) or "none"),
            "seconds": round(result.seconds, 2),
        },
    )


@dg.asset(
    group_name=GROUP,
    description="The DuckDB warehouse: core, lineage and quarantine tables, loaded in one transaction.",
)
def warehouse_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, validated_records: ValidateManifest
) -> dg.Output[LoadManifest]:
    with writer_lock(warehouse.warehouse, warehouse.wait_seconds), open_for_write(warehouse.warehouse) as con:
        # Under the run id extract staged with, which names the run's raw files: a Dagster
        # re-execution from a later step has its own run id but loads the pages read before.
        result = load(con, _staged_by_this_version(validated_records), raw_store(warehouse.warehouse))
        metadata: dict[str, int | dg.MetadataValue] = {f"rows/{name}": count for name, count in result.rows.items()}
        metadata.update(
            trials_loaded=result.trials_loaded,
            pages_new=result.pages_new,
            pages_changed=result.pages_changed,
            pages_unchanged=result.pages_unchanged,
            pages_rejected=result.pages_rejected,
            pages_duplicate=result.pages_duplicate,
            preview=preview(con, "trials"),
        )
    shutil.rmtree(validated_records.run.staging, ignore_errors=True)
    return dg.Output(LoadManifest(validated_records, result), metadata=metadata)


@dg.asset(group_name=GROUP, description="Parquet (zstd) export of every table, switched in atomically.")
def parquet_exports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_tables: LoadManifest
) -> dg.Output[ExportManifest]:
    started = time.perf_counter()
    loaded = warehouse_tables.loaded
    with writer_lock(warehouse.warehouse, warehouse.wait_seconds), warehouse.read() as con:
        rows = export_all(
            con, warehouse.exports, loaded.run_id, raw_store(warehouse.warehouse), tables_to_rewrite(loaded)
        )
    seconds = time.perf_counter() - started
    context.log.info(f"exported {len(rows)} tables to {warehouse.exports} in {seconds:.1f}s")
    return dg.Output(
        ExportManifest(warehouse_tables, rows, seconds),
        metadata={
            "path": str(warehouse.exports),
            "seconds": round(seconds, 2),
            **{f"rows/{k}": v for k, v in rows.items()},
        },
    )


INGEST_ASSETS = [landing_pages, parsed_records, validated_records, warehouse_tables, parquet_exports]
