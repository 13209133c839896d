"""One ingest, materialized in-process with Dagster (the CLI's engine), and its summary."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg

from assets.checks import CHECKS
from assets.ingest import INGEST_ASSETS, ExportManifest
from assets.resources import WarehouseResource
from staging.manifest import ExtractManifest, ParseManifest, ValidateManifest
from staging.settings import DEFAULT_BATCH_SIZE
from warehouse.load import LoadResult
from warehouse.store import WarehouseBusy, writer_lock


class IngestFailed(RuntimeError):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Summary:
    source: str
    warehouse: str
    exports: str
    seconds: float
    exported: ExportManifest
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def load(self) -> LoadResult:
        return self.exported.loaded.loaded

    @property
    def validated(self) -> ValidateManifest:
        return self.exported.loaded.validated

    @property
    def parsed(self) -> ParseManifest:
        return self.validated.parse

    @property
    def extracted(self) -> ExtractManifest:
        return self.parsed.extract

    @property
    def stage_seconds(self) -> dict[str, float]:
        return {
            "extract": self.extracted.seconds,
            "parse": self.parsed.seconds,
            "validate": self.validated.seconds,
            "load": self.load.seconds,
            "export": self.exported.seconds,
        }

    @property
    def pages_read(self) -> int:
        return self.extracted.files_read

    def to_dict(self) -> dict[str, object]:
        """The summary as the `--summary-json` file holds it."""
        extract = {k: v for k, v in asdict(self.extracted).items() if k != "run"}
        run = self.extracted.run
        extract |= {"run_id": run.run_id, "started_at": run.started_at.isoformat(), "staging": str(run.staging)}
        parse = {k: v for k, v in asdict(self.parsed).items() if k != "extract"}
        load = {**asdict(self.load), "extract": extract, "parse": parse, "validate_seconds": self.validated.seconds}
        return {
            "source": self.source,
            "warehouse": self.warehouse,
            "exports": self.exports,
            "seconds": self.seconds,
            "load": load,
            "export": {"rows": self.exported.rows, "seconds": self.exported.seconds},
            "checks": self.checks,
            "stage_seconds": self.stage_seconds,
        }

    def render(self) -> str:
        x, load = self.extracted, self.load
        lines = [
            f"ingest {load.run_id} finished in {self.seconds:.1f}s",
            f"  source     {self.source}: {x.files_seen:,} files seen, {x.files_read:,} read "
            f"({x.files_unchanged:,} skipped unchanged by size and mtime)",
            f"  pages      new {load.pages_new:,}, changed {load.pages_changed:,}, unchanged {load.pages_unchanged:,}, "
            f"rejected {load.pages_rejected:,}, duplicate {load.pages_duplicate:,}",
            f"  trials     {load.trials_loaded:,} loaded; extra (unknown) sections kept: {self.parsed.extra_sections:,}",
            f"  warehouse  {self.warehouse}",
            f"  exports    {self.exports}",
            "  rows       " + ", ".join(f"{k} {v:,}" for k, v in load.rows.items()),
            "  seconds    " + ", ".join(f"{k} {v:.1f}" for k, v in self.stage_seconds.items()),
            "  checks     "
            + (", ".join(f"{k} {'passed' if ok else 'FAILED'}" for k, ok in self.checks.items()) or "none run"),
        ]
        if load.duplicates:
            lines.append("  duplicates (later Last Updated wins, then later path):")
            lines += [f"    {d}" for d in load.duplicates[:20]]
        if load.rejections:
            lines.append(f"  rejected ({len(load.rejections)}), see table rejected_records:")
            lines += [f"    {r}" for r in load.rejections[:20]]
            if len(load.rejections) > 20:
                lines.append(f"    ... and {len(load.rejections) - 20} more")
        return "\n".join(lines)


def ingest(
    source: Path,
    warehouse: Path,
    exports: Path,
    wait_seconds: float = 0.0,
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    quiet: bool = False,
) -> Summary:
    if not source.is_dir():
        raise IngestFailed(f"landing folder {source} does not exist or is not a folder")
    # The whole run holds the writer lock: a second ingest stops at once (or queues with
    # --wait) instead of doing its work and finding the warehouse busy at the end.
    try:
        with writer_lock(warehouse, wait_seconds):
            return _materialize(source, warehouse, exports, workers, batch_size, quiet)
    except WarehouseBusy as exc:
        raise IngestFailed(str(exc), exit_code=2) from None


def _materialize(source: Path, warehouse: Path, exports: Path, workers: int, batch_size: int, quiet: bool) -> Summary:
    resource = WarehouseResource(
        source_dir=str(source),
        warehouse_path=str(warehouse),
        exports_dir=str(exports),
        workers=workers,
        batch_size=batch_size,
    )
    started = time.perf_counter()
    logging.getLogger("dagster").setLevel(logging.WARNING if quiet else logging.INFO)
    result = dg.materialize(
        [*INGEST_ASSETS, *CHECKS],
        resources={"warehouse": resource},
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING" if quiet else "INFO"}}}},
    )
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        message = (
            failure.step_failure_data.error.message.strip()
            if failure and failure.step_failure_data.error
            else "see the log above"
        )
        raise IngestFailed(message)
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    exported = result.output_for_node("parquet_exports", "export_manifest")
    return Summary(str(source), str(warehouse), str(exports), time.perf_counter() - started, exported, checks)
