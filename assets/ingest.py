"""The ingest assets: extract -> parse -> validate -> load -> export.

Each is a thin wrapper: the work lives in `ingest.stages` and `warehouse.*`. Between assets
only small manifests travel (staging folder, batch numbers, counts); the data itself is in
parquet batches under the warehouse's `.staging/<run_id>/` folder.
"""

import datetime as dt
import shutil
import time
from pathlib import Path

import dagster as dg

from assets.metadata import preview
from ingest import stages
from pipelines.resources import WarehouseResource
from schemas import CORE_TABLES
from warehouse.export import export_all
from warehouse.load import load
from warehouse.store import open_for_write, raw_store, writer_lock

GROUP = "ingest"


def _progress(context: dg.AssetExecutionContext) -> stages.Progress:
    last: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        # Log about every 10% so a long run shows it is moving without flooding the log.
        step = max(1, total // 10)
        if done == total or done - last.get(stage, 0) >= step:
            last[stage] = done
            context.log.info(f"{stage}: batch {done}/{total}")

    return report


def _staged_by_this_version(extract_manifest: dict) -> dict:
    """A Dagster re-execution can resume a run that an older version staged, whose pages are
    in another layout (warehouse/raw_files.py) and whose manifest lacks the run id and start."""
    missing = {"run_id", "started_at", "pages_unchanged"} - extract_manifest.keys()
    if missing:
        raise dg.Failure(
            "this run was staged by an older version of trial-warehouse (its extract output has no "
            f"{', '.join(sorted(missing))}); start a new run instead of re-executing this one. Nothing was loaded."
        )
    return extract_manifest


@dg.asset(
    group_name=GROUP, description="Files in the landing folder that are new or changed by size or mtime, in batches."
)
def landing_pages(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.Output[dict]:
    staging = warehouse.staging(context.run.run_id)
    result = stages.extract(warehouse.source, warehouse.known(), staging, warehouse.settings(), context.run.run_id)
    batches = len(result.batches)
    context.log.info(
        f"extract: {result.files_seen:,} files seen, {result.files_read:,} to read "
        f"in {batches} batch{'' if batches == 1 else 'es'}"
    )
    return dg.Output(
        result.to_dict(),
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
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing_pages: dict
) -> dg.Output[dict]:
    extracted = stages.ExtractResult(**_staged_by_this_version(landing_pages))
    result = stages.parse(extracted, warehouse.settings(), _progress(context))
    return dg.Output(
        {**result.to_dict(), "extract": landing_pages},
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
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, parsed_records: dict
) -> dg.Output[dict]:
    parsed = stages.ParseResult(**{k: v for k, v in parsed_records.items() if k != "extract"})
    result = stages.validate(parsed, warehouse.settings(), _progress(context))
    return dg.Output(
        {**result.to_dict(), "parse": parsed_records},
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
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, validated_records: dict
) -> dg.Output[dict]:
    parse_info = validated_records["parse"]
    extract_info = _staged_by_this_version(parse_info["extract"])
    staging = Path(validated_records["staging"])
    with writer_lock(warehouse.warehouse, warehouse.wait_seconds), open_for_write(warehouse.warehouse) as con:
        result = load(
            con,
            staging=staging,
            batches=validated_records["batches"],
            scanned=stages.scanned_path(staging),
            # The id extract staged under, which names the run's raw files: a Dagster
            # re-execution from a later step has its own run id but loads the pages read before.
            run_id=extract_info["run_id"],
            started_at=dt.datetime.fromisoformat(extract_info["started_at"]),
            source_dir=str(warehouse.source),
            pages_unchanged_by_stat=extract_info["pages_unchanged"],
            extra_sections=parse_info["extra_sections"],
            summary_json=stages.summary_json_dict(extract_info, parse_info, validated_records),
            raw_root=raw_store(warehouse.warehouse),
        )
        metadata: dict[str, object] = {f"rows/{name}": count for name, count in result.rows.items()}
        metadata.update(
            trials_loaded=result.trials_loaded,
            pages_new=result.pages_new,
            pages_changed=result.pages_changed,
            pages_unchanged=result.pages_unchanged,
            pages_rejected=result.pages_rejected,
            pages_duplicate=result.pages_duplicate,
            preview=preview(con, "trials"),
        )
    shutil.rmtree(staging, ignore_errors=True)
    return dg.Output(
        {
            **result.to_dict(),
            "extract": extract_info,
            "parse": {k: v for k, v in parse_info.items() if k != "extract"},
            "validate_seconds": validated_records["seconds"],
        },
        metadata=metadata,
    )


@dg.asset(group_name=GROUP, description="Parquet (zstd) export of every table, switched in atomically.")
def parquet_exports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_tables: dict
) -> dg.Output[dict]:
    started = time.perf_counter()
    with writer_lock(warehouse.warehouse, warehouse.wait_seconds), warehouse.read() as con:
        run_id = con.execute("SELECT run_id FROM ingest_runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
        changed = set(warehouse_tables["changed_tables"])
        rows = export_all(con, warehouse.exports, run_id, raw_store(warehouse.warehouse), changed)
    seconds = time.perf_counter() - started
    context.log.info(f"exported {len(rows)} tables to {warehouse.exports} in {seconds:.1f}s")
    return dg.Output(
        {"rows": rows, "seconds": seconds},
        metadata={
            "path": str(warehouse.exports),
            "seconds": round(seconds, 2),
            **{f"rows/{k}": v for k, v in rows.items()},
        },
    )


INGEST_ASSETS = [landing_pages, parsed_records, validated_records, warehouse_tables, parquet_exports]
CORE_TABLE_NAMES = [m.__table__.name for m in CORE_TABLES]
