"""A warehouse folder (the DuckDB file with its raw store beside it) moved or copied keeps every
table and view working, and each copy reads its own raw store."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from staging.raw_files import COLUMNS
from tests.integration.conftest import SEED, landing_with_shared, run
from warehouse.ddl import source_records_select
from warehouse.shell import shell_command
from warehouse.store import connect, open_for_write, raw_store, writer_lock


def _relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view of the warehouse file, as its own catalog lists them."""
    rows = con.execute("""
        SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = current_database()
        UNION ALL
        SELECT schema_name || '.' || view_name FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal AND NOT temporary
        ORDER BY 1
    """).fetchall()
    return [row[0] for row in rows]


def _contents(database: Path) -> dict[str, int]:
    """Rows of every relation, each read whole (a view reading a missing file raises here)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {name: len(con.execute(f"SELECT * FROM {name}").fetchall()) for name in _relations(con)}


def _texts(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(path, page text) of every page `source_records` holds, each version of a page apart."""
    return set(con.execute("SELECT source_path, record_text FROM source_records").fetchall())


def _ingest(tmp_path: Path) -> tuple[Path, Path]:
    """The seed and the shared pages, then the seed changed: two runs, so `trial_changes` has rows."""
    landing = landing_with_shared(tmp_path / "landing")
    folder = tmp_path / "original"
    run(landing, folder)
    page = landing / SEED.name
    page.write_text(page.read_text(encoding="utf-8").replace("31 participants", "40 participants"), encoding="utf-8")
    run(landing, folder)
    return landing, folder


def _pages(landing: Path) -> set[tuple[str, str]]:
    """(path in the landing folder, text) of its pages as they are now."""
    return {(p.name, p.read_bytes().decode("utf-8")) for p in landing.glob("*.txt")}


def test_a_moved_then_copied_warehouse_reads_its_own_raw_store(tmp_path: Path, monkeypatch) -> None:
    landing, original = _ingest(tmp_path)
    before = _contents(original / "trials.duckdb")
    assert before["main.source_records"] == 240 and before["main.trial_changes"] == 1
    assert before["main.trial_calculated_values"] == before["main.trials"] == 239

    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(original, moved)
    monkeypatch.chdir(tmp_path / "elsewhere")  # a plain connect by relative path, from another folder
    assert _contents(Path("moved/trials.duckdb")) == before
    with connect(moved / "trials.duckdb", read_only=True) as con:
        assert _pages(landing) <= _texts(con)
        assert con.execute("SELECT field, old_value, new_value FROM trial_changes").fetchall() == [
            ("enrollment", "31", "40")
        ]

    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)
    _rewrite_raw_store(raw_store(moved / "trials.duckdb"), lambda text: text.upper())
    with duckdb.connect(str(moved / "trials.duckdb"), read_only=True) as con:
        assert all(text == text.upper() for _, text in _texts(con))
    with duckdb.connect(str(copy / "trials.duckdb"), read_only=True) as con:
        assert _pages(landing) <= _texts(con)
    assert _contents(copy / "trials.duckdb") == before


def _rewrite_raw_store(store: Path, change) -> None:
    """Every raw file's page text changed in place (the files are read-only, the folder is not)."""
    for file in store.rglob("*.parquet"):
        frame = pl.read_parquet(file).with_columns(pl.col("record_text").map_elements(change, return_dtype=pl.Utf8))
        file.unlink()
        frame.select(COLUMNS.keys()).write_parquet(file)


def test_an_ingest_into_a_moved_warehouse_keeps_reading_its_store(tmp_path: Path) -> None:
    landing, original = _ingest(tmp_path)
    moved = tmp_path / "moved"
    os.rename(original, moved)
    page = landing / SEED.name
    page.write_text(page.read_text(encoding="utf-8").replace("40 participants", "55 participants"), encoding="utf-8")
    summary = run(landing, moved)
    assert summary.load.pages_changed == 1 and all(summary.checks.values())
    with connect(moved / "trials.duckdb", read_only=True) as con:
        texts = con.execute("SELECT record_text FROM source_records WHERE source_path = ?", [page.name]).fetchall()
        assert len(texts) == 3
        assert sorted(n for n in ("31", "40", "55") for (t,) in texts if f"{n} participants" in t) == ["31", "40", "55"]
    assert not original.exists()


def test_a_warehouse_made_with_absolute_paths_is_mended(tmp_path: Path) -> None:
    """An older version wrote the raw files' absolute paths into the view; moved, it found none.
    `store.connect` read-only hides it with a TEMP view; opening for writing replaces it."""
    landing, original = _ingest(tmp_path)
    database = original / "trials.duckdb"
    with duckdb.connect(str(database)) as con:
        files = [row[0] for row in con.execute("SELECT DISTINCT raw_file FROM source_pages").fetchall()]
        con.execute(f"CREATE OR REPLACE VIEW source_records AS {source_records_select(raw_store(database), files)}")
    moved = tmp_path / "moved"
    os.rename(original, moved)
    with (
        duckdb.connect(str(moved / "trials.duckdb"), read_only=True) as con,
        pytest.raises(duckdb.IOException, match="No files found"),
    ):
        con.execute("SELECT count(record_text) FROM source_records").fetchall()
    with connect(moved / "trials.duckdb", read_only=True) as con:  # a TEMP view hides the stale one
        assert _pages(landing) <= _texts(con)
    with writer_lock(moved / "trials.duckdb"), open_for_write(moved / "trials.duckdb"):
        pass  # opening for writing brings the schema up to date
    with duckdb.connect(str(moved / "trials.duckdb"), read_only=True) as con:
        assert _pages(landing) <= _texts(con)


def test_the_shell_reads_source_records_of_a_moved_warehouse(tmp_path: Path) -> None:
    landing, original = _ingest(tmp_path)
    moved = tmp_path / "moved"
    os.rename(original, moved)
    command = shell_command(
        moved / "trials.duckdb", f"SELECT record_text FROM source_records WHERE nct_id = '{SEED.stem}'"
    )
    command[1:1] = ["-csv", "-noheader", "-bail"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={"HOME": str(tmp_path)}, cwd="/")
    assert done.returncode == 0, done.stderr
    texts = [row[0] for row in csv.reader(io.StringIO(done.stdout))]
    assert sorted(texts) == sorted(
        [SEED.read_text(encoding="utf-8"), (landing / SEED.name).read_text(encoding="utf-8")]
    )
