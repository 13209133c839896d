"""Where things are: the three settings shared by the CLI and the Dagster resources.

Each is read from an environment variable, with the same default everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

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
