"""Parquet exports of every table, published atomically.

Each export is written in full to a new folder beside the target (`<exports>.d/<run_id>/`),
then the `<exports>` symlink is switched to it with one rename. A reader therefore sees the
complete previous export or the complete new one, never a mix or a half-written file; a run
killed mid-export leaves the previous export in place. The two newest exports are kept so a
reader that opened the old one can finish.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from schemas import ALL_TABLES
from staging.raw_files import in_records_layout
from warehouse.ddl import source_records_select
from warehouse.load import LoadResult
from warehouse.store import MEMORY_LIMIT, MEMORY_LIMIT_MB, scalar, threads

log = logging.getLogger(__name__)

KEEP = 2
# Files written at once. Every COPY already runs on all of DuckDB's threads: more writers
# than two only took longer on 2 cores, for the same CPU.
PART_WRITERS = 2
# Each writer thread buffers a row group before writing it: bounded in bytes, since 122,880
# rows of page text would be a gigabyte. Smaller row groups than this read as fast as larger.
ROW_GROUP_MB = 32


def export_memory_mb(threads: int) -> int:
    """DuckDB's memory limit while exporting: the writers' row-group buffers plus room for
    the blocks being read, and at most the load's limit (store.py). At registry scale the
    export reads every table through the buffer pool, which then stays full to its limit: a
    higher limit made the export the run's peak, above the parse workers', in the same time
    (bench/RESULTS.md)."""
    return min(MEMORY_LIMIT_MB, 272 + PART_WRITERS * threads * ROW_GROUP_MB)


MANIFEST = "_manifest.json"


def versions_dir(exports: Path) -> Path:
    return exports.with_name(exports.name + ".d")


def current_run(exports: Path) -> str | None:
    try:
        return json.loads((exports / MANIFEST).read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        return None


def tables_to_rewrite(loaded: LoadResult) -> set[str]:
    """The tables whose rows the run changed: the others' files are linked from the previous
    export. The asset checks after the load add their rows to check_results."""
    changed = {"ingest_runs", "landing_files", "check_results", *loaded.core_changed}
    if loaded.trials_loaded or loaded.pages_duplicate:
        changed.add("trial_versions")
    if loaded.pages_read:
        changed |= {"source_records", "source_pages"}
    if loaded.pages_rejected or loaded.rejections_resolved:
        changed.add("rejected_records")
    return changed


def export_all(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    run_id: str,
    raw_root: Path,
    changed: set[str] | None = None,
) -> dict[str, int]:
    """Write the export for `run_id`. Tables not in `changed` (None: all changed) are hard-linked
    from the current export instead of rewritten: an incremental run rewrites only what moved.
    `source_records` (gigabytes of page text) is a folder with one part per raw store file: a
    run writes only the parts holding pages it read, and links a raw file it wrote as its part."""
    if exports.exists() and not exports.is_symlink():
        raise RuntimeError(
            f"{exports} is a real folder; exports are published as a symlink to {versions_dir(exports)}/<run>. "
            f"Move {exports} away (or pass another --exports path) and run again."
        )
    root = versions_dir(exports)
    target = root / run_id
    partial = root / f".{run_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    previous = exports.resolve() if exports.is_symlink() else None
    prior = con.execute("SELECT run_id FROM ingest_runs ORDER BY finished_at DESC LIMIT 1 OFFSET 1").fetchone()
    if current_run(exports) != (prior[0] if prior else None):
        # The published export is not the previous run's (that run was killed before its export,
        # or exports were moved): reusing its parts could publish stale rows, so rewrite all.
        changed = None
    rows, copies = _plan_copies(con, partial, previous, raw_root, changed)
    _write_copies(con, copies)
    (partial / MANIFEST).write_text(json.dumps({"run_id": run_id, "rows": rows}, indent=2))
    _publish(partial, target, exports, run_id)
    _prune(root, keep={target.name})
    return rows


def _plan_copies(
    con: duckdb.DuckDBPyConnection, partial: Path, previous: Path | None, raw_root: Path, changed: set[str] | None
) -> tuple[dict[str, int], list[tuple[str, Path]]]:
    """-> rows per table, and the files to write (query, path); unchanged tables are linked now."""
    rows = {}
    copies: list[tuple[str, Path]] = []
    for model in ALL_TABLES:
        name = model.__table__.name
        # `source_records` is `source_pages` left-joined to the page bytes, one row each:
        # counting the view read every raw file.
        counted = "source_pages" if name == "source_records" else name
        rows[name] = scalar(con.execute(f"SELECT count(*) FROM {counted}"))
        if name == "source_records":
            copies += _source_records_copies(
                con, partial / name, previous / name if previous else None, raw_root, changed
            )
            continue
        out = partial / f"{name}.parquet"
        if changed is not None and name not in changed and previous and _link(previous / out.name, out):
            continue
        copies.append((f"SELECT * FROM {name}", out))
    return rows, copies


def _write_copies(con: duckdb.DuckDBPyConnection, copies: list[tuple[str, Path]]) -> None:
    # Files are written side by side, one cursor (a connection to the same database) per
    # thread; the biggest table goes first so it does not finish last.
    copies.sort(key=lambda job: job[1].name != "trials.parquet")
    with _settings(con, memory_limit=f"{export_memory_mb(threads(con))}MB"):
        short = _write_side_by_side(con, copies)
    if short:
        # Pages far longer than the corpus measured, or many threads each buffering a row
        # group, can outgrow that limit: those files are written again one at a time, on one
        # thread (one row group in memory), under the load's limit.
        with _settings(con, memory_limit=MEMORY_LIMIT, threads=1):
            for query, out in short:
                log.warning("export of %s ran short of memory; writing it again alone, on one thread", out.name)
                _copy(con, query, out)


def _publish(partial: Path, target: Path, exports: Path, run_id: str) -> None:
    """The finished export folder in place, then the `exports` symlink switched to it at once."""
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    link_tmp = exports.with_name(f".{exports.name}.{run_id}.link")
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(os.path.relpath(target, exports.parent))
    os.replace(link_tmp, exports)  # the atomic switch


def _write_side_by_side(con: duckdb.DuckDBPyConnection, copies: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """-> the copies that ran out of memory (their partial files removed); any other error stops the export."""
    short = []
    with ThreadPoolExecutor(max_workers=PART_WRITERS) as pool:
        futures = [pool.submit(_copy_on_own_cursor, con, *job) for job in copies]
        try:
            for job, future in zip(copies, futures, strict=True):
                try:
                    future.result()
                except duckdb.OutOfMemoryException:
                    job[1].unlink(missing_ok=True)
                    short.append(job)
        except BaseException:
            for future in futures:
                future.cancel()  # the export failed: do not start the rest
            raise
    return short


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection, **settings: object) -> Iterator[None]:
    """DuckDB settings for the block, then back to the connection's own (store.configure)."""
    own_threads = threads(con)
    for name, value in settings.items():
        con.execute(f"SET {name} = '{value}'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"SET threads = {own_threads}")


def _copy(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> None:
    # zstd level 1: a quarter faster than the default level 3 for 9% more bytes.
    con.execute(
        f"COPY ({query}) TO '{out.as_posix()}' "
        f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE_BYTES '{ROW_GROUP_MB}MB')"
    )


def _source_records_copies(
    con: duckdb.DuckDBPyConnection, out: Path, previous: Path | None, raw_root: Path, changed: set[str] | None
) -> list[tuple[str, Path]]:
    """The `source_records` parts to write (query, file). A part the run did not touch is
    hard-linked from the previous export; a raw store file whose rows are still as it holds
    them is hard-linked as its own part (staging/raw_files.py)."""
    out.mkdir()
    files = [row[0] for row in con.execute("SELECT DISTINCT raw_file FROM source_pages ORDER BY 1").fetchall()]
    touched = set(files)
    if changed is not None and "source_records" not in changed:
        touched = set()
    elif changed is not None:
        # Parts whose rows this run wrote: pages read now carry the run's start as last_seen.
        touched = {row[0] for row in con.execute("""
            SELECT DISTINCT raw_file FROM source_pages
            WHERE last_seen = (SELECT started_at FROM ingest_runs ORDER BY finished_at DESC LIMIT 1)
        """).fetchall()}  # fmt: skip
    as_stored = _raw_files_as_stored(con, raw_root, [f for f in files if f in touched and in_records_layout(f)])
    copies = []
    for raw_file in files:
        part = out / (raw_file.replace("/", "-"))
        if raw_file not in touched and previous is not None and _link(previous / part.name, part):
            continue
        if raw_file in as_stored and _link(raw_root / raw_file, part):
            continue
        copies.append((source_records_select(raw_root, [raw_file]) + f" WHERE i.raw_file = '{raw_file}'", part))
    return copies


def _raw_files_as_stored(con: duckdb.DuckDBPyConnection, raw_root: Path, raw_files: list[str]) -> set[str]:
    """The raw files whose rows in `source_pages` are exactly the rows they hold. A file is
    written with its rows (first_seen = last_seen, the read time); it stops being its own
    part once one of its pages is read again (last_seen moves on), or when a row in it never
    reached the table (the same bytes already stored for that path, by an earlier run)."""
    if not raw_files:
        return set()
    root = raw_root.resolve().as_posix()
    listed = ", ".join(f"'{root}/{f}'" for f in raw_files)
    return {row[0] for row in con.execute(f"""
        SELECT s.raw_file FROM source_pages s JOIN parquet_file_metadata([{listed}]) m
          ON m.file_name = '{root}/' || s.raw_file
        GROUP BY s.raw_file, m.num_rows
        HAVING count(*) = m.num_rows AND bool_and(s.first_seen = s.last_seen)
    """).fetchall()}  # fmt: skip


def _copy_on_own_cursor(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> None:
    with con.cursor() as cursor:
        _copy(cursor, query, out)


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def _prune(root: Path, keep: set[str]) -> None:
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime
    )
    for old in versions[:-KEEP]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".*.partial"):
        shutil.rmtree(stale, ignore_errors=True)
