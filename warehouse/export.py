"""Parquet exports of every table, published atomically.

Each export is written in full to a new folder beside the target (`<exports>.d/<run_id>/`),
then the `<exports>` symlink is switched to it with one rename. A reader therefore sees the
complete previous export or the complete new one, never a mix or a half-written file; a run
killed mid-export leaves the previous export in place. The two newest exports are kept so a
reader that opened the old one can finish.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from schemas import ALL_TABLES
from warehouse.ddl import source_records_select

KEEP = 2
# Files written at once; more than a few would only share DuckDB's memory limit (store.py).
PART_WRITERS = max(2, min(4, os.cpu_count() or 1))
MANIFEST = "_manifest.json"


def versions_dir(exports: Path) -> Path:
    return exports.with_name(exports.name + ".d")


def current_run(exports: Path) -> str | None:
    try:
        return json.loads((exports / MANIFEST).read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        return None


def export_all(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    run_id: str,
    raw_root: Path,
    changed: set[str] | None = None,
) -> dict[str, int]:
    """Write the export for `run_id`. Tables not in `changed` (None: all changed) are hard-linked
    from the current export instead of rewritten: an incremental run rewrites only what moved.
    `source_records` (gigabytes of page text) is a folder with one file per raw store file, so
    a run rewrites only the parts holding pages it read."""
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
    rows = {}
    copies: list[tuple[str, Path]] = []
    for model in ALL_TABLES:
        name = model.__table__.name
        rows[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        if name == "source_records":
            copies += _source_records_copies(
                con, partial / name, previous / name if previous else None, raw_root, changed
            )
            continue
        out = partial / f"{name}.parquet"
        if changed is not None and name not in changed and previous and _link(previous / out.name, out):
            continue
        copies.append((f"SELECT * FROM {name}", out))
    # DuckDB writes a parquet file largely on one thread (a row group at a time, and one big
    # table dominates), so files are written side by side, one cursor (a connection to the
    # same database) per thread; the biggest table goes first so it does not finish last.
    copies.sort(key=lambda job: job[1].name != "trials.parquet")
    with ThreadPoolExecutor(max_workers=PART_WRITERS) as pool:
        futures = [pool.submit(_copy_on_own_cursor, con, *job) for job in copies]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()  # the export failed: do not start the rest
            raise
    (partial / MANIFEST).write_text(json.dumps({"run_id": run_id, "rows": rows}, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    link_tmp = exports.with_name(f".{exports.name}.{run_id}.link")
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(os.path.relpath(target, exports.parent))
    os.replace(link_tmp, exports)  # the atomic switch
    _prune(root, keep={target.name})
    return rows


def _copy(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> None:
    # Row groups bounded by bytes: 122,880 rows of page text would be a gigabyte in memory.
    # zstd level 1: a quarter faster than the default level 3 for 9% more bytes.
    con.execute(
        f"COPY ({query}) TO '{out.as_posix()}' "
        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE_BYTES '64MB')"
    )


def _source_records_copies(
    con: duckdb.DuckDBPyConnection, out: Path, previous: Path | None, raw_root: Path, changed: set[str] | None
) -> list[tuple[str, Path]]:
    """The `source_records` parts to write (query, file); parts the run did not touch are
    hard-linked from the previous export instead."""
    out.mkdir()
    files = [row[0] for row in con.execute("SELECT DISTINCT raw_file FROM source_pages ORDER BY 1").fetchall()]
    touched = set(files)
    if changed is not None and "source_records" not in changed:
        touched = set()
    elif changed is not None:
        # Parts whose rows this run wrote: pages read now carry the run's time as last_seen.
        touched = {row[0] for row in con.execute("""
            SELECT DISTINCT raw_file FROM source_pages WHERE last_seen = (SELECT max(finished_at) FROM ingest_runs)
        """).fetchall()}  # fmt: skip
    copies = []
    for raw_file in files:
        part = out / (raw_file.replace("/", "-"))
        if raw_file not in touched and previous is not None and _link(previous / part.name, part):
            continue
        copies.append((source_records_select(raw_root, [raw_file]) + f" WHERE i.raw_file = '{raw_file}'", part))
    return copies


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
