"""The Dagster resource that tells the assets where the landing folder, warehouse and exports
are, and how to run (the settings of `staging.settings`, with their defaults)."""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import duckdb

from ingest.extract import Known
from staging import settings as s
from warehouse.store import configure

_DEFAULTS = s.Settings()


class WarehouseResource(dg.ConfigurableResource):
    source_dir: str = s.default_source()
    warehouse_path: str = s.default_warehouse()
    exports_dir: str = s.default_exports()
    batch_size: int = _DEFAULTS.batch_size
    workers: int = _DEFAULTS.workers
    wait_seconds: float = _DEFAULTS.wait_seconds
    max_page_mb: int = _DEFAULTS.limits.max_page_bytes // s.MIB
    max_archive_mb: int = _DEFAULTS.limits.max_archive_bytes // s.MIB

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

    def settings(self) -> s.Settings:
        limits = s.Limits(max_page_bytes=self.max_page_mb * s.MIB, max_archive_bytes=self.max_archive_mb * s.MIB)
        return s.Settings(
            batch_size=self.batch_size, workers=self.workers, limits=limits, wait_seconds=self.wait_seconds
        )

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
