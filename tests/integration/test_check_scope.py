"""The checks read only the trials a run loaded once the previous run's warehouse passed, and
every row again after a check failed (warehouse/check_log.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest_run import IngestFailed
from tests.integration.conftest import connect, landing_with_shared, run
from warehouse import checks as rules
from warehouse.check_log import ALL_ROWS, RUN_TRIALS, scopes_for


def _results(work: Path, run_id: str) -> dict[str, tuple[bool, str]]:
    with connect(work) as con:
        rows = con.execute("SELECT check_name, passed, scope FROM check_results WHERE run_id = ?", [run_id]).fetchall()
    return {name: (passed, scope) for name, passed, scope in rows}


def _bump_enrollment(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    new, count = re.subn(r"^(\d+) participants$", lambda m: f"{int(m[1]) + 1} participants", text, count=1, flags=re.M)
    assert count == 1, page
    page.write_text(new, encoding="utf-8")
    return re.search(r"^NCT ID:\s*(NCT\d{8})", text, re.M)[1]


def test_a_check_after_a_passing_run_reads_that_runs_trials_and_after_a_failure_all(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    first = run(landing, tmp_path)
    assert {s for _, s in _results(tmp_path, first.load.run_id).values()} == {ALL_ROWS, RUN_TRIALS}
    assert _results(tmp_path, first.load.run_id)["unique_keys"] == (True, ALL_ROWS)

    page = next(p for p in sorted(landing.glob("NCT*.txt")) if re.search(r"^\d+ participants$", p.read_text(), re.M))
    changed = _bump_enrollment(page)
    second = run(landing, tmp_path)
    assert second.load.pages_changed == 1
    results = _results(tmp_path, second.load.run_id)
    assert results["unique_keys"] == (True, RUN_TRIALS)
    assert results["referential_integrity"] == (True, RUN_TRIALS)

    # A clock that stepped back makes the newest run look older: then every row is read.
    stepped = tmp_path / "stepped.duckdb"
    shutil.copy(tmp_path / "trials.duckdb", stepped)
    with duckdb.connect(str(stepped)) as con:
        assert scopes_for(con, ["unique_keys"])["unique_keys"].label == RUN_TRIALS
        con.execute(
            "UPDATE ingest_runs SET finished_at = finished_at - INTERVAL 1 DAY WHERE run_id = ?",
            [second.load.run_id],
        )
        con.execute(
            "UPDATE trial_versions SET first_seen = first_seen - INTERVAL 1 DAY WHERE first_seen = (SELECT max(first_seen) FROM trial_versions)"
        )
        assert scopes_for(con, ["unique_keys"])["unique_keys"].label == ALL_ROWS

    # Rows broken behind the pipeline's back in the trial the run loaded, and in the lineage
    # rows it added: the narrow check still reads them, and fails.
    database = tmp_path / "trials.duckdb"
    for table, rows_of_run in [
        ("trial_versions", f"nct_id = '{changed}'"),
        ("source_pages", "first_seen = (SELECT max(started_at) FROM ingest_runs)"),
    ]:
        copy = tmp_path / f"{table}.duckdb"
        shutil.copy(database, copy)
        with duckdb.connect(str(copy)) as con:
            assert con.execute(f"SELECT count(*) FROM {table} WHERE {rows_of_run}").fetchone()[0] >= 1
            con.execute(f"INSERT INTO {table} SELECT * FROM {table} WHERE {rows_of_run} LIMIT 1")
        narrow = rules.run_checks(rules.read_only(copy), copy, ["unique_keys"])["unique_keys"]
        assert not narrow.outcome.passed and narrow.scope.label == RUN_TRIALS
        assert [p.split(":")[0] for p in narrow.outcome.problems] == [table]
    with duckdb.connect(str(database)) as con:
        con.execute("INSERT INTO criteria SELECT * FROM criteria WHERE nct_id = ? LIMIT 1", [changed])
    narrow = rules.run_checks(rules.read_only(database), database, ["unique_keys"])["unique_keys"]
    assert not narrow.outcome.passed and narrow.scope.label == RUN_TRIALS
    assert any("criteria" in p for p in narrow.outcome.problems)

    # The failure is on record: the next run, with nothing new, reads every row and fails too.
    with pytest.raises(IngestFailed):
        run(landing, tmp_path)
    with connect(tmp_path) as con:
        third = con.execute("SELECT run_id FROM ingest_runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    results = _results(tmp_path, third)
    assert results["unique_keys"] == (False, ALL_ROWS)
