"""Asset check outcomes kept in the warehouse (`check_results`), and the scope they allow the
next check.

A full check reads every row: about 5 s at 580,000 trials, which was most of a run that found
nothing new. Once a check has passed on the warehouse as one run left it, the next run can
only have broken the rows of the trials it loaded: every core table's key starts with
`nct_id`, and its references stay within one trial. So the next check reads those trials'
rows only. Of the lineage tables, `trial_versions` (keyed by `nct_id` too) is read for the
same trials and `source_pages` for the pages the run stored: every row a run inserts there
has the run's finish (versions) or start (pages) as first_seen, and its updates leave keys
alone, so only a row the run inserted can repeat a key. Read in full, they took 0.15 s of a
run that found nothing new. `landing_files`, whose every row a run updates, and the small
tables are read in full. A run whose check failed, or was never checked, or whose result
could not be recorded, makes the next check read all rows again: a bad state cannot hide
behind a later run's narrow check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from schemas import CORE_TABLES, WarehouseTable
from warehouse.store import WarehouseBusy, configure, ensure_schema, scalar, writer_lock

ALL_ROWS = "all rows"
RUN_TRIALS = "trials loaded by the run"
# Past this many trials, reading the scoped rows through a semi-join costs about as much as
# reading every row.
SCOPED_MAX_TRIALS = 50_000
# Tables whose key starts with `nct_id`, read for the trials the run loaded.
_BY_TRIAL = {m.__table__.name for m in CORE_TABLES} | {"trial_versions"}


@dataclass(frozen=True, slots=True)
class Scope:
    run_id: str | None  # the latest ingest run, whose warehouse is checked (None: no run yet)
    label: str  # ALL_ROWS or RUN_TRIALS
    run_trials: int  # trials that run loaded
    run_pages: int = 0  # `source_pages` rows that run added

    def rows_of(self, model: type[WarehouseTable], alias: str = "") -> str:
        """A WHERE condition keeping the rows this scope must read of `model` ('true': all;
        'false' when the run added none of them, which DuckDB answers without a scan)."""
        name = model.__table__.name
        if self.label != RUN_TRIALS:
            return "true"
        if name in _BY_TRIAL:
            return f"{alias}nct_id IN (SELECT nct_id FROM run_trials)" if self.run_trials else "false"
        if name == "source_pages":
            # Every row with an added row's hash, so every row sharing its key.
            return f"{alias}sha256 IN (SELECT sha256 FROM run_pages)" if self.run_pages else "false"
        return "true"


def scopes_for(con: duckdb.DuckDBPyConnection, check_names: list[str]) -> dict[str, Scope]:
    """The scope each named check needs now; leaves the temp table `run_trials` on `con`."""
    runs = con.execute("SELECT run_id, finished_at FROM ingest_runs ORDER BY finished_at DESC LIMIT 2").fetchall()
    latest = runs[0] if runs else (None, None)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE run_trials AS SELECT DISTINCT nct_id FROM trial_versions WHERE first_seen = $at",
        {"at": latest[1]},
    )
    loaded = scalar(con.execute("SELECT count(*) FROM run_trials"))
    # A run stores the pages it read with its start as first_seen (warehouse/load.py); `>=`
    # also takes in runs that started later but loaded first: more rows read, none missed.
    started = con.execute("SELECT started_at FROM ingest_runs WHERE run_id = ?", [latest[0]]).fetchall()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE run_pages AS SELECT sha256 FROM source_pages WHERE first_seen >= $at",
        {"at": started[0][0] if started else None},
    )
    pages = scalar(con.execute("SELECT count(*) FROM run_pages"))
    # Runs are ordered by their clock; if it stepped back (NTP, a restored VM), the newest run
    # inserted is not the newest by time, and every row is read.
    newest = con.execute("SELECT run_id FROM ingest_runs ORDER BY rowid DESC LIMIT 1").fetchone()
    passed: set[str] = set()
    if len(runs) == 2 and newest == (latest[0],):
        try:
            rows = con.execute(
                "SELECT check_name FROM check_results WHERE run_id = ? AND passed", [runs[1][0]]
            ).fetchall()
        except duckdb.CatalogException:  # a warehouse not loaded since check_results was added
            rows = []
        passed = {row[0] for row in rows}
    narrow = loaded <= SCOPED_MAX_TRIALS
    return {
        name: Scope(latest[0], RUN_TRIALS if narrow and name in passed else ALL_ROWS, loaded, pages)
        for name in check_names
    }


# One `check_results` row to write: (check name, scope, passed, problems, rows checked)
OutcomeRow = tuple[str, Scope, bool, list[str], int | None]


def record(warehouse: Path, outcomes: list[OutcomeRow], wait_seconds: float = 0.0) -> str | None:
    """Store the outcomes, with one write; -> None, or why they could not be stored (the next
    run then checks all rows, so a missing record costs time, never safety)."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        [scope.run_id, name, passed, scope.label, rows_checked, "\n".join(problems) or None, now]
        for name, scope, passed, problems, rows_checked in outcomes
        if scope.run_id is not None
    ]
    if not rows:
        return "no ingest run to record them against" if outcomes else None
    try:
        with writer_lock(warehouse, wait_seconds), contextlib.closing(duckdb.connect(str(warehouse))) as con:
            configure(con)
            ensure_schema(con)
            con.executemany("INSERT OR REPLACE INTO check_results VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    except (WarehouseBusy, duckdb.Error, OSError) as exc:  # e.g. no write access to the folder
        return str(exc).splitlines()[0]
    return None
