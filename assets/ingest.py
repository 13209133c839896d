"""The ingest assets: extract -> parse -> validate -> load -> export.

Each is a thin wrapper: the work lives in `ingest` and `warehouse`. Between assets only
typed manifests travel (`staging.manifest`: the run's identity and its counts); the data
itself is in parquet batches under the warehouse's `.staging/<run_id>/` folder. The load and
the export are multi-assets: beside their manifest, one asset per table (`assets/tables.py`).
"""

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import dagster as dg

from assets.fetch import registry_fetch
from assets.metadata import preview
from assets.resources import WarehouseResource
from assets.tables import EXPORT_SPECS, TABLE_SPECS, export_path, out_name, row_count, table_key, value_less_outs
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
    group_name=GROUP,
    # After a fetch when a job runs both; the `ingest` job alone scans what is there.
    deps=[registry_fetch],
    description="Files in the landing folder that are new or changed by size or mtime, in batches.",
)
def landing_pages(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.Output[ExtractManifest]:
    staging = warehouse.staging(context.run.run_id)
    result = extract(warehouse.source, warehouse.known(), staging, warehouse.settings(), context.run.run_id)
    batches = len(result.batches)
    context.log.info(
        f"extract: {result.files_seen:,} files seen, {result.files_read:,} to read "
        f"in {batches} batch{'' if batches == 1 else 'es'}"
    )
    if result.files_ignored:
        context.log.warning(
            f"extract: {result.files_ignored:,} files ignored, no input format reads them: "
            + ", ".join(result.ignored_sample)
            + (" ..." if result.files_ignored > len(result.ignored_sample) else "")
        )
    return dg.Output(
        result,
        metadata={
            "files_seen": result.files_seen,
            "files_read": result.files_read,
            "files_unchanged": result.files_unchanged,
            "unreadable": result.unreadable,
            "files_ignored": result.files_ignored,
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


LOAD_MANIFEST, EXPORT_MANIFEST = "load_manifest", "export_manifest"


@dg.multi_asset(
    name="warehouse_load",
    outs={
        LOAD_MANIFEST: dg.AssetOut(
            key=LOAD_MANIFEST,
            group_name=GROUP,
            description="What the load did: pages new, changed, unchanged, rejected and duplicate, rows per table.",
        ),
        **value_less_outs(TABLE_SPECS),
    },
)
def warehouse_load(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, validated_records: ValidateManifest
) -> Iterator[dg.MaterializeResult]:
    """Every warehouse table loaded in one transaction; each table's asset gets its row count."""
    with writer_lock(warehouse.warehouse, warehouse.wait_seconds), open_for_write(warehouse.warehouse) as con:
        # Under the run id extract staged with, which names the run's raw files: a Dagster
        # re-execution from a later step has its own run id but loads the pages read before.
        result = load(con, _staged_by_this_version(validated_records), raw_store(warehouse.warehouse), context.log)
        for spec in TABLE_SPECS:
            name = spec.key.path[-1]
            metadata: dict[str, int | dg.MetadataValue] = {"dagster/row_count": row_count(con, name)}
            if name == "trials":
                metadata["preview"] = preview(con, "trials")
            yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
    shutil.rmtree(validated_records.run.staging, ignore_errors=True)
    yield dg.MaterializeResult(
        asset_key=LOAD_MANIFEST,
        value=LoadManifest(validated_records, result),
        metadata={
            "trials_loaded": result.trials_loaded,
            "pages_new": result.pages_new,
            "pages_changed": result.pages_changed,
            "pages_unchanged": result.pages_unchanged,
            "pages_rejected": result.pages_rejected,
            "pages_duplicate": result.pages_duplicate,
            "seconds": round(result.seconds, 2),
        },
    )


@dg.multi_asset(
    name="parquet_exports",
    outs={
        EXPORT_MANIFEST: dg.AssetOut(
            key=EXPORT_MANIFEST,
            group_name=GROUP,
            description="What the export did: rows per table, the folder it published, seconds.",
        ),
        **value_less_outs(EXPORT_SPECS),
    },
    # Each export follows its table, so the table's blocking checks stop it when they fail.
    deps=[spec.key for spec in TABLE_SPECS],
    internal_asset_deps={
        EXPORT_MANIFEST: {dg.AssetKey(LOAD_MANIFEST), *(spec.key for spec in TABLE_SPECS)},
        **{out_name(spec.key): {dg.AssetKey(LOAD_MANIFEST), table_key(spec.key.path[-1])} for spec in EXPORT_SPECS},
    },
)
def parquet_exports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, load_manifest: LoadManifest
) -> Iterator[dg.MaterializeResult]:
    """Parquet (zstd) export of every table, switched in atomically."""
    started = time.perf_counter()
    loaded = load_manifest.loaded
    rewrite = tables_to_rewrite(loaded)
    with writer_lock(warehouse.warehouse, warehouse.wait_seconds), warehouse.read() as con:
        rows = export_all(con, warehouse.exports, loaded.run_id, raw_store(warehouse.warehouse), rewrite)
    seconds = time.perf_counter() - started
    context.log.info(f"exported {len(rows)} tables to {warehouse.exports} in {seconds:.1f}s")
    for spec in EXPORT_SPECS:
        name = spec.key.path[-1]
        path = export_path(warehouse.exports, name)
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "dagster/uri": path.as_uri(),
                "dagster/row_count": rows[name],
                "rewritten": name in rewrite,  # False: hard links to the previous export's file
            },
        )
    yield dg.MaterializeResult(
        asset_key=EXPORT_MANIFEST,
        value=ExportManifest(load_manifest, rows, seconds),
        metadata={"exports": dg.MetadataValue.path(str(warehouse.exports.absolute())), "seconds": round(seconds, 2)},
    )


INGEST_ASSETS = [landing_pages, parsed_records, validated_records, warehouse_load, parquet_exports]
