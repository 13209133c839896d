"""The Dagster resource that tells the assets where the landing folder, warehouse and exports are."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import duckdb

from ingest.batching import DEFAULT_BATCH_SIZE
from ingest.landing import Limits
from ingest.stages import Known, Settings
from pipelines import settings as s
from warehouse.store import configure


class WarehouseResource(dg.ConfigurableResource):
    source_dir: str = s.default_source()
    warehouse_path: str = s.default_warehouse()
    exports_dir: str = s.default_exports()
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int = max(1, os.cpu_count() or 1)
    wait_seconds: float = 0.0  # how long a run queues behind another writer before giving up
    max_page_mb: int = 16
    max_archive_mb: int = 2048

    @property
    def source(self) -> Path:
        return Path(self.source_dir)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def exports(self) -> Path:
        return Path(self.exports_dir)

    def staging(self, run_id: str) -> Path:
        return self.warehouse.parent / ".staging" / run_id

    def settings(self) -> Settings:
        limits = Limits(
            max_page_bytes=self.max_page_mb * 1024 * 1024, max_archive_bytes=self.max_archive_mb * 1024 * 1024
        )
        return Settings(batch_size=self.batch_size, workers=self.workers, limits=limits)

    def read(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection, retried briefly while a writer holds the file."""
        deadline = time.monotonic() + max(self.wait_seconds, 10.0)
        while True:
            try:
                return configure(duckdb.connect(str(self.warehouse), read_only=True))
            except duckdb.Error as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def known(self) -> Known:
        if not self.warehouse.exists():
            return Known.nothing()
        with self.read() as con:
            try:
                return Known(con.sql("SELECT path, size, mtime_ns, sha256 FROM landing_files").pl())
            except duckdb.CatalogException:
                return Known.nothing()
