"""Opening the warehouse file: one writer at a time, readers never blocking a run, and a run
killed at any moment leaving the file as it was before or after that run.

- Writers take an exclusive `flock` on `<file>.lock`; a second run waits up to `wait_seconds`
  or stops with a message naming the holder.
- DuckDB commits are atomic through its WAL, so writing in place is crash-safe.
- If an analyst holds the file open (DuckDB then refuses a writer), the run writes a copy and
  renames it over the original: the analyst keeps the old, consistent snapshot (their open
  file handle), new connections see the new one. The rename is atomic; a kill before it
  leaves the original untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from warehouse.ddl import (
    RAW_STORE_VARIABLE,
    all_ddl,
    is_portable_source_records,
    placeholder_views,
    source_records_view,
)


class WarehouseBusy(RuntimeError):
    pass


class WarehouseVersionError(RuntimeError):
    """The file was written by a DuckDB this project's engine cannot read; the message is one
    line saying how to rebuild it."""


# New files are created in the storage format of DuckDB 1.5: under the default (0.10-compatible)
# format DuckDB 1.5 ignores `USING COMPRESSION zstd` on VARCHAR columns and stores prose
# uncompressed. The pinned shell reads this format; an older file keeps its own on reopening.
STORAGE_COMPATIBILITY = "v1.5.0"
# Storage version numbers the pinned DuckDB (1.5.x) reads: they are in the file header and in
# DuckDB's error when it refuses a file. Bump with the duckdb pin.
READABLE_STORAGE_VERSIONS = range(64, 69)
_MAGIC = b"DUCK"


def storage_version(path: Path) -> tuple[int, str] | None:
    """(storage version number, version of the DuckDB that created it) from a DuckDB file's
    header, or None when `path` is missing or not a DuckDB file. The main header follows an
    8-byte checksum: magic, a little-endian u64 version number, 32 bytes of flags, then the
    creating library's version string."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(84)
    except (FileNotFoundError, IsADirectoryError):
        return None
    if len(head) < 84 or head[8:12] != _MAGIC:
        return None
    number = int.from_bytes(head[12:20], "little")
    library = head[52:84].split(b"\0", 1)[0].decode("ascii", "replace")
    return number, library


def _rebuild_message(path: Path, detail: str) -> str:
    return (
        f"{path} {detail}, which duckdb {duckdb.__version__} cannot read: rebuild it by moving "
        f"{path.name} and {raw_store(path).name}/ aside and running the ingest again on the landing folder"
    )


def check_storage_version(path: Path) -> None:
    """Raise `WarehouseVersionError` when `path` was written by a DuckDB whose storage format
    this engine cannot read (for example 2.0). Checked before any work: DuckDB would refuse
    the file too, but with a multi-line error in the middle of a run."""
    found = storage_version(path)
    if found is None or found[0] in READABLE_STORAGE_VERSIONS:
        return
    number, library = found
    newer = "a newer" if number > READABLE_STORAGE_VERSIONS[-1] else "an older"
    raise WarehouseVersionError(
        _rebuild_message(path, f"was written by {newer} DuckDB ({library or 'unknown'}, storage version {number})")
    )


def connect(path: Path, read_only: bool = False, raw_root: Path | None = None) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect` with the version guard: a file of another storage version is refused
    with a one-line `WarehouseVersionError`, never opened. The connection's `source_records`
    reads `raw_root` (default: the raw store beside `path`)."""
    check_storage_version(path)
    # Only a new file takes the setting: passing it for an existing one changes nothing there but
    # makes DuckDB refuse a second connection to the file opened without it in this process.
    config: dict[str, str | bool | int | float | list[str]] = (
        {} if path.exists() else {"storage_compatibility_version": STORAGE_COMPATIBILITY}
    )
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "version number" in str(exc):
            raise WarehouseVersionError(_rebuild_message(path, str(exc).splitlines()[0].rstrip("."))) from None
        raise
    use_raw_store(con, raw_root or raw_store(path))
    if read_only:
        # A missing raw store fails the view's queries, not the whole connection.
        with contextlib.suppress(duckdb.IOException):
            mend_source_records(con, temporary=True)
    return con


def use_raw_store(con: duckdb.DuckDBPyConnection, raw_root: Path) -> None:
    """Point this connection's `source_records` at `raw_root` (warehouse/ddl.py, RAW_STORE_SQL)."""
    con.execute(f"SET VARIABLE {RAW_STORE_VARIABLE} = ?", [raw_root.resolve().as_posix()])


_held: dict[Path, int] = {}  # lock files this process holds -> nesting depth


@contextlib.contextmanager
def writer_lock(path: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Exclusive writer lock on `<path>.lock`, re-entrant within a process (the CLI holds it
    for a whole run while the load and export assets take it again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock").resolve()
    if lock_path in _held:
        _held[lock_path] += 1
        try:
            yield
        finally:
            _held[lock_path] -= 1
        return
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise WarehouseBusy(
                        f"another ingest is writing {path} ({holder}); "
                        f"try again when it finishes, or pass --wait SECONDS to queue behind it"
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        _held[lock_path] = 1
        try:
            yield
        finally:
            del _held[lock_path]
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


@contextlib.contextmanager
def open_for_write(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema in place. Call under `writer_lock`.
    Everything done on it is published when the block exits without an exception."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = connect(path)
        target = None
    except duckdb.Error as exc:
        if not _is_lock_conflict(exc):
            raise
        # A reader holds the file: write a copy and swap it in afterwards.
        target = path
        path = path.with_name(path.name + ".next")
        shutil.copyfile(target, path)
        # A commit not yet checkpointed lives in the WAL: the copy needs it too.
        wal = target.with_name(target.name + ".wal")
        next_wal = path.with_name(path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, next_wal)
        else:
            next_wal.unlink(missing_ok=True)
        con = connect(path, raw_root=raw_store(target))
    try:
        configure(con)
        ensure_schema(con)
        yield con
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if target is not None:
        _fsync(path)
        os.replace(path, target)
        _fsync(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# DuckDB would take up to 80% of RAM; the pipeline promises a bounded footprint instead, and
# spills to disk past this (large loads only get slower, never fail for memory). At this
# limit the load stays below the parse workers' peak and takes no longer than with more, so
# the run's peak is the parse workers' at any corpus size (bench/RESULTS.md). The export
# works under a lower limit still (export.py).
MEMORY_LIMIT_MB = 500
MEMORY_LIMIT = f"{MEMORY_LIMIT_MB}MB"


def one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """`result.fetchone()` for a query that always returns a row (an aggregate without GROUP
    BY, a setting, the count an INSERT or UPDATE returns): typed without its `None`."""
    row = result.fetchone()
    assert row is not None, "the query returned no row"
    return row


def scalar(result: duckdb.DuckDBPyConnection) -> Any:
    """The first value of `one_row(result)`: `scalar(con.execute("SELECT count(*) ..."))`."""
    return one_row(result)[0]


def threads(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's thread count on this connection, to put back after a block that changes it."""
    return int(scalar(con.execute("SELECT current_setting('threads')")))


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    # Off for exports and queries: an ordered COPY of a join buffers rows to keep their order.
    # The load turns it on for its own transaction (see warehouse/load.py).
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # the pipeline reports its own progress
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in all_ddl() + placeholder_views():
        con.execute(statement)
    mend_source_records(con)


def mend_source_records(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """A `source_records` view made by an older version names its raw files by absolute path:
    replace it with one naming them relative to the store; `temporary`, on a read-only
    connection, with a TEMP view that hides the stored one until the next ingest rewrites it."""
    view = con.execute(
        "SELECT sql FROM duckdb_views() WHERE view_name = 'source_records' AND schema_name = 'main' "
        "AND database_name = current_database()"
    ).fetchone()
    if view is None or is_portable_source_records(view[0]):
        return
    files = [row[0] for row in con.execute("SELECT DISTINCT raw_file FROM source_pages ORDER BY 1").fetchall()]
    statement = source_records_view(None, files)
    con.execute(statement.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW") if temporary else statement)


def raw_store(path: Path) -> Path:
    """The folder of immutable parquet files holding page bytes: `trials.duckdb` -> `trials.raw/`."""
    return path.with_suffix(".raw")
