"""One ingest, materialized in-process with Dagster (the CLI's engine), and its summary."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg

from assets.ingest import ExportManifest
from assets.resources import WarehouseResource
from pipelines.home import dagster_home
from staging.manifest import ExtractManifest, ParseManifest, ValidateManifest
from staging.settings import DEFAULT_BATCH_SIZE
from warehouse.load import LoadResult
from warehouse.store import WarehouseBusy, writer_lock

JOB_NAME = "ingest"  # pipelines.jobs.ingest_job: runs from here carry its name in the UI
WAREHOUSE_TAG = "trial_warehouse/warehouse"  # the DuckDB file a command-line run writes


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
            f"({x.files_unchanged:,} skipped unchanged by size and mtime)"
            + (f", {x.files_ignored:,} ignored (no input format reads them)" if x.files_ignored else ""),
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
        if x.files_ignored:
            lines.append(
                f"  WARNING: {x.files_ignored:,} files ignored: pages are .txt, .json, .xml (or .zip / .tar.gz):"
            )
            lines += [f"    {name}" for name in x.ignored_sample]
            if x.files_ignored > len(x.ignored_sample):
                lines.append(f"    ... and {x.files_ignored - len(x.ignored_sample):,} more")
        if load.duplicates:
            lines.append("  duplicates (later Last Updated wins, then later path):")
            lines += [f"    {d}" for d in load.duplicates[:20]]
        if load.rejections:
            lines.append(f"  rejected ({len(load.rejections)}), see table rejected_records:")
            lines += [f"    {r}" for r in load.rejections[:20]]
            if len(load.rejections) > 20:
                lines.append(f"    ... and {len(load.rejections) - 20} more")
        return "\n".join(lines)


def project_instance() -> dg.DagsterInstance:
    """The persistent instance in `dagster_home()`; Dagster reads the folder from the variable."""
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    return dg.DagsterInstance.get()


def ingest(
    source: Path,
    warehouse: Path,
    exports: Path,
    wait_seconds: float = 0.0,
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    quiet: bool = False,
    instance: dg.DagsterInstance | None = None,
    logger: dg.LoggerDefinition | None = None,
) -> Summary:
    """Run the `ingest` job in this process. `instance` records the run (None: a throwaway one,
    as tests use); `logger` replaces Dagster's console logger (the CLI's progress bar)."""
    if not source.is_dir():
        raise IngestFailed(f"landing folder {source} does not exist or is not a folder")
    # The whole run holds the writer lock: a second ingest stops at once (or queues with
    # --wait) instead of doing its work and finding the warehouse busy at the end.
    resource = WarehouseResource(
        source_dir=str(source),
        warehouse_path=str(warehouse),
        exports_dir=str(exports),
        workers=workers,
        batch_size=batch_size,
    )
    try:
        with writer_lock(warehouse, wait_seconds):
            return _materialize(resource, quiet, instance or dg.DagsterInstance.ephemeral(), logger)
    except WarehouseBusy as exc:
        raise IngestFailed(str(exc), exit_code=2) from None


def ingest_job(resource: WarehouseResource, logger: dg.LoggerDefinition | None) -> dg.JobDefinition:
    """The project's `ingest` job (pipelines.definitions) bound to this run's resource, so a run
    from the command line is the same job, by name, as one launched from the UI."""
    from pipelines.definitions import defs

    job_defs = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job for job in defs.jobs or [] if job.name == JOB_NAME],
        resources={**(defs.resources or {}), "warehouse": resource},
        loggers={"progress": logger} if logger else None,
    )
    return job_defs.resolve_job_def(JOB_NAME)


def _fail_abandoned_runs(instance: dg.DagsterInstance, warehouse_tag: str) -> None:
    """Mark failed the command-line runs of this warehouse that a killed process left STARTED:
    called under the warehouse's writer lock, so none of them can still be running, and the UI
    would otherwise show them in progress for ever (Dagster monitors only runs it launched)."""
    running = dg.RunsFilter(
        job_name=JOB_NAME, statuses=[dg.DagsterRunStatus.STARTED], tags={WAREHOUSE_TAG: warehouse_tag}
    )
    for run in instance.get_runs(filters=running):
        instance.report_run_failed(run, "the command-line process ended before the run finished (killed?)")


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """One line: the failed step and its own error (the innermost cause: Dagster wraps it),
    without the module path of the exception's class. The log above holds the traceback."""
    failure = next((e for e in result.all_events if e.is_step_failure), None)
    error = failure.step_failure_data.error if failure else None
    if failure is None or error is None:
        return "see the log above"
    while error.cause is not None:
        error = error.cause
    name = error.cls_name or "error"
    first = (error.message.strip().splitlines() or [name])[0]
    prefix, _, rest = first.partition(": ")
    if rest and prefix.endswith(name):
        first = f"{name}: {rest}"
    return f"step {failure.step_key} failed: {first}"


def _materialize(
    resource: WarehouseResource, quiet: bool, instance: dg.DagsterInstance, logger: dg.LoggerDefinition | None
) -> Summary:
    started = time.perf_counter()
    level = "WARNING" if quiet else "INFO"
    logging.getLogger("dagster").setLevel(level)
    warehouse_tag = str(resource.warehouse.resolve())
    _fail_abandoned_runs(instance, warehouse_tag)
    result = ingest_job(resource, logger).execute_in_process(
        instance=instance,
        raise_on_error=False,
        # Dagster uses only the loggers the run config names.
        run_config={"loggers": {"progress": {}} if logger else {"console": {"config": {"log_level": level}}}},
        tags={
            "trial_warehouse/launched_by": "command line",
            "trial_warehouse/source": resource.source_dir,
            WAREHOUSE_TAG: warehouse_tag,
        },
    )
    if not result.success:
        raise IngestFailed(_failure_message(result))
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    exported = result.output_for_node("parquet_exports", "export_manifest")
    return Summary(
        resource.source_dir,
        resource.warehouse_path,
        resource.exports_dir,
        time.perf_counter() - started,
        exported,
        checks,
    )
