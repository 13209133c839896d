"""The Dagster resource that tells the assets where the landing folder, warehouse, exports and
report are, how to run, and whether to fetch from the registry (the settings of
`staging.settings`, with their defaults)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb

from ingest.extract import Known
from ingest.fetch import FetchSettings
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
    report_path: str = s.default_report()  # "": report.html beside the exports folder
    fetch_url: str = s.default_fetch_url()  # "": fetching is off, nothing touches the network
    fetch_query: str = ""  # "": everything updated since the last fetch; else the API's query.term
    fetch_page_size: int | None = None  # None: TRIAL_WAREHOUSE_FETCH_PAGE_SIZE or the API's maximum
    fetch_min_interval: float | None = None  # seconds between requests; None: the polite default

    @property
    def source(self) -> Path:
        return Path(self.source_dir)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def exports(self) -> Path:
        return Path(self.exports_dir)

    @property
    def report(self) -> Path:
        return Path(self.report_path) if self.report_path else self.exports.parent / "report.html"

    @property
    def fetch_cursor(self) -> Path:
        return s.fetch_cursor_path(self.warehouse)

    def fetch_settings(self) -> FetchSettings:
        """The environment's fetch settings (retries, backoff, timeout), with this resource's URL."""
        base = FetchSettings.from_env()
        return replace(
            base,
            base_url=self.fetch_url or None,
            page_size=self.fetch_page_size if self.fetch_page_size is not None else base.page_size,
            min_interval=self.fetch_min_interval if self.fetch_min_interval is not None else base.min_interval,
        )

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
