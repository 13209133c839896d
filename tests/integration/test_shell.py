"""The pinned DuckDB shell opens the warehouse the pinned Python package wrote, read-only, with
the fts extension loaded from its package (no download)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from tests.integration.conftest import SEED, connect, landing_with_shared, run
from warehouse.search import load_fts, refresh_search_index
from warehouse.shell import shell_command
from warehouse.store import connect as connect_for_write


def _shell(warehouse: Path, sql: str) -> list[list[str]]:
    command = shell_command(warehouse, sql)
    command[1:1] = ["-csv", "-bail"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={"HOME": str(warehouse.parent)})
    assert done.returncode == 0, done.stderr
    return list(csv.reader(io.StringIO(done.stdout)))


def test_the_shell_reads_the_warehouse_and_searches_it(tmp_path: Path) -> None:
    run(landing_with_shared(tmp_path / "landing"), tmp_path)
    database = tmp_path / "trials.duckdb"
    with connect_for_write(database) as con:
        refresh_search_index(con)
    with connect(tmp_path) as con:
        load_fts(con)  # the macros stem the query with the extension's `stem`
        trials = con.execute("SELECT count(*), max(nct_id) FROM trials").fetchone()
        top = con.execute("SELECT nct_id FROM search_trials('abemaciclib') LIMIT 1").fetchone()
    rows = _shell(
        database, "SELECT count(*), max(nct_id) FROM trials; SELECT nct_id FROM search_trials('abemaciclib') LIMIT 1;"
    )
    assert rows == [["count_star()", "max(nct_id)"], [str(trials[0]), trials[1]], ["nct_id"], [top[0]]]
    assert top[0] == SEED.stem


def test_the_shell_is_read_only(tmp_path: Path) -> None:
    run(landing_with_shared(tmp_path / "landing"), tmp_path)
    command = shell_command(tmp_path / "trials.duckdb", "DELETE FROM trials")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={"HOME": str(tmp_path)})
    assert done.returncode != 0 and "read-only" in done.stderr
