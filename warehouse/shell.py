"""The DuckDB SQL shell on the warehouse: the CLI binary of the pinned `duckdb-cli` package,
read-only (a running ingest is never blocked by it), with the fts extension loaded from its
pinned package so the search macros work without a download.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import duckdb

from staging.settings import default_warehouse
from warehouse.ddl import RAW_STORE_VARIABLE, sql_string
from warehouse.search import fts_extension_path
from warehouse.store import WarehouseVersionError, check_storage_version, raw_store


def shell_binary() -> Path:
    """The `duckdb` executable inside the pinned `duckdb-cli` package (the package's own
    `bin/duckdb` wrapper would also work, but adds a Python start-up and its own settings)."""
    spec = importlib.util.find_spec("duckdb_cli")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the duckdb-cli package is not installed: install the project's requirements.lock")
    path = Path(next(iter(spec.submodule_search_locations))) / "duckdb"
    if not path.is_file():
        raise RuntimeError(f"duckdb-cli has no bundled binary at {path}")
    return path


def shell_command(warehouse: Path, sql: str | None = None) -> list[str]:
    """The command line opening `warehouse` read-only in the shell with fts loaded and
    `source_records` reading the raw store beside it; with `sql`, the shell runs it and exits
    instead of starting interactively."""
    raw = f"SET VARIABLE {RAW_STORE_VARIABLE} = {sql_string(raw_store(warehouse).resolve().as_posix())}"
    load = f"LOAD {sql_string(str(fts_extension_path()))}"
    command = [str(shell_binary()), "-readonly", "-cmd", load, "-cmd", raw, str(warehouse)]
    if sql is not None:
        command += ["-c", sql]
    return command


def check_shell_version() -> None:
    """The CLI must be the Python package's engine: the fts file is built for one version."""
    out = subprocess.run([str(shell_binary()), "-version"], capture_output=True, text=True, check=True).stdout
    if not out.startswith(f"v{duckdb.__version__} "):
        raise RuntimeError(f"duckdb-cli is {out.split()[0]}, duckdb is v{duckdb.__version__}: pin them to one version")


def open_shell(warehouse: Path, sql: str | None = None) -> int:
    """Run the shell on `warehouse` and return its exit code. A file of another DuckDB storage
    version raises `WarehouseVersionError` (one line, how to rebuild) before the shell starts."""
    if not warehouse.is_file():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run the ingest first")
    check_storage_version(warehouse)
    check_shell_version()
    return subprocess.call(shell_command(warehouse, sql))


def main(argv: list[str] | None = None) -> int:
    """`python -m warehouse.shell [WAREHOUSE [SQL]]`, for `make sql`: the warehouse defaults to
    `TRIAL_WAREHOUSE_DB` or `warehouse/trials.duckdb`. Problems are one line on stderr, exit 1."""
    args = sys.argv[1:] if argv is None else argv
    warehouse = Path(args[0] if args else default_warehouse())
    try:
        return open_shell(warehouse, args[1] if len(args) > 1 else None)
    except (WarehouseVersionError, FileNotFoundError, RuntimeError) as exc:
        print(f"sql: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
