"""The run settings and their defaults, declared once for the command line, the Dagster
resource and the stages. No polars here, so the command line can show the defaults without
importing the heavy stack."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Each batch costs a fixed share of pandera and per-file overhead in every stage, so batches
# are large; a parse worker holding one is what bounds the run's memory (bench/RESULTS.md).
DEFAULT_BATCH_SIZE = 10_000

# A batch holds about `batch_size` pages of PAGE_BYTES (the mean of the real pages is 7.4 KB):
# memory follows the bytes parsed (a page with 2,000 sites makes as many objects as a dozen
# plain ones), so batches are cut by bytes and a run of big pages cannot make a big batch.
# A page counts as at least half a typical one, so tiny pages cannot make a huge batch either.
PAGE_BYTES = 7500

MIB = 1024 * 1024


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one landing file or archive may inflate to before it is rejected as a bomb."""

    max_page_bytes: int = 16 * MIB
    # A single file read as a stream of studies (a JSON array). Archives are held per member
    # and by compression ratio instead: the registry's full download inflates to gigabytes.
    max_archive_bytes: int = 2048 * MIB
    max_compression_ratio: int = 200


@dataclass(frozen=True, slots=True)
class Settings:
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int = field(default_factory=default_workers)
    limits: Limits = field(default_factory=Limits)
    wait_seconds: float = 0.0  # how long a run queues behind another writer before giving up


# Where things are: read from environment variables, with the same defaults for the command
# line and the Dagster resource.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ENV, WAREHOUSE_ENV, EXPORTS_ENV = "TRIAL_WAREHOUSE_SOURCE", "TRIAL_WAREHOUSE_DB", "TRIAL_WAREHOUSE_EXPORTS"
DEFAULT_SOURCE = PROJECT_ROOT / "sample" / "landing"
DEFAULT_WAREHOUSE = Path("warehouse") / "trials.duckdb"
DEFAULT_EXPORTS = Path("exports")


def default_source() -> str:
    return os.environ.get(SOURCE_ENV, str(DEFAULT_SOURCE))


def default_warehouse() -> str:
    return os.environ.get(WAREHOUSE_ENV, str(DEFAULT_WAREHOUSE))


def default_exports() -> str:
    return os.environ.get(EXPORTS_ENV, str(DEFAULT_EXPORTS))


# Fetching from the registry's API (ingest/fetch.py) is off unless a base URL is set, so no
# run touches the network by surprise. The cursor lives beside the warehouse file: it records
# what that warehouse's landing folder has been sent.
FETCH_URL_ENV = "TRIAL_WAREHOUSE_FETCH_URL"
REPORT_ENV = "TRIAL_WAREHOUSE_REPORT"


def default_fetch_url() -> str:
    """The registry's base URL (e.g. https://clinicaltrials.gov), or "" for no fetching."""
    return os.environ.get(FETCH_URL_ENV, "")


def fetch_cursor_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".fetch-cursor.json")


def default_report() -> str:
    """The HTML report's path; "" for `report.html` beside the exports folder."""
    return os.environ.get(REPORT_ENV, "")
