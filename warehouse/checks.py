"""The rules the warehouse is checked against after every load, as plain functions of a DuckDB
connection and a scope (warehouse/check_log.py). `assets/checks.py` runs them as Dagster asset
checks; they run here without Dagster so they can be tested and reused alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import duckdb
import pandera.errors

from schemas import ALL_TABLES, CORE_TABLES, primary_key
from schemas.validation import rules_hold
from warehouse.check_log import RUN_TRIALS, Scope, record, scopes_for
from warehouse.store import configure, scalar

# Trials whose rows `pandera_rules` validates again: this run's, at most SAMPLE of them, the
# first in NCT order. Every row was already validated before the load (the validate stage
# keeps invalid records out); this check catches what the load itself could break (types,
# column order, truncation), which shows in any sample. Bounded, and read with an NCT range
# that lets DuckDB skip row groups by their min/max.
SAMPLE = 20_000
# The latest run's time is bound as a parameter: DuckDB 2.0.0 drops the LIMIT of a query whose
# WHERE holds a scalar subquery (`first_seen = (SELECT max(...))`), which made this "sample"
# every trial of a first run and took the process to 3.6 GB.
_RUN_TRIALS = f"""
    SELECT nct_id FROM trial_versions
    WHERE superseded_at IS NULL AND first_seen = $latest
    ORDER BY nct_id LIMIT {SAMPLE}
"""
# Views are left out: `source_records` is `source_pages` with the page text joined on, so its
# key is checked on that table without reading the raw store.
TABLES = [m for m in ALL_TABLES if not m.__table__.is_view]


class _Log(Protocol):
    def info(self, msg: str) -> None: ...


_QUIET = logging.getLogger(__name__)


@dataclass
class Outcome:
    problems: list[str]
    rows_checked: int | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems


def unique_keys(con: duckdb.DuckDBPyConnection, scope: Scope, log: _Log = _QUIET) -> Outcome:
    problems = []
    for model in TABLES:
        key = ", ".join(primary_key(model))
        name = model.__table__.name
        dupes = scalar(
            con.execute(
                f"SELECT count(*) FROM (SELECT {key} FROM {name} WHERE {scope.rows_of(model)} "
                "GROUP BY ALL HAVING count(*) > 1)"
            )
        )
        if dupes:
            problems.append(f"{name}: {dupes} key values ({key}) appear more than once")
    return Outcome(problems, metadata={"tables": len(TABLES)})


def referential_integrity(con: duckdb.DuckDBPyConnection, scope: Scope, log: _Log = _QUIET) -> Outcome:
    problems = []
    for model in CORE_TABLES:
        name = model.__table__.name
        for cols, (target, target_cols) in model.__table__.references.items():
            on = " AND ".join(f"c.{a} = p.{b}" for a, b in zip(cols, target_cols, strict=True))
            orphans = scalar(
                con.execute(
                    f"SELECT count(*) FROM {name} c WHERE {scope.rows_of(model, 'c.')} "
                    f"AND NOT EXISTS (SELECT 1 FROM {target} p WHERE {on})"
                )
            )
            if orphans:
                problems.append(f"{name}: {orphans} rows with no matching {target} ({', '.join(cols)})")
    return Outcome(problems)


def pandera_rules(con: duckdb.DuckDBPyConnection, scope: Scope, log: _Log = _QUIET) -> Outcome:
    problems: list[str] = []
    checked = 0
    latest = con.execute("SELECT max(finished_at) FROM ingest_runs").fetchall()[0][0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE check_trials AS {_RUN_TRIALS}", {"latest": latest})
    low, high = con.execute("SELECT min(nct_id), max(nct_id) FROM check_trials").fetchall()[0]
    # A run that loaded no trial has no rows to look at (low is NULL).
    for model in CORE_TABLES if low is not None else ():
        name = model.__table__.name
        log.info(f"check pandera_rules: {name}")
        frame = con.sql(
            f"SELECT * FROM {name} WHERE nct_id BETWEEN $low AND $high AND nct_id IN (SELECT nct_id FROM check_trials)",
            params={"low": low, "high": high},
        ).pl()
        checked += frame.height
        if rules_hold(model, frame):  # one query; pandera only for a table that breaks a rule
            continue
        try:
            model.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            problems += [
                f"{name}.{c['column']}: {c['check']} ({c['failure_case']!r})"
                for c in cases.head(20).iter_rows(named=True)
            ]
        except duckdb.Error as exc:  # pragma: no cover - surfaced in the check result
            problems.append(f"{name}: {exc}")
    return Outcome(problems, rows_checked=checked, metadata={"trials_sampled_at_most": SAMPLE})


CheckFn = Callable[[duckdb.DuckDBPyConnection, Scope, _Log], Outcome]
# name -> (rule, description); every run checks all of them, blocking the export on failure.
CHECKS: dict[str, tuple[CheckFn, str]] = {
    "unique_keys": (
        unique_keys,
        "Every table's primary key is unique (once the previous run's warehouse passed: core tables "
        "and trial_versions in the trials this run loaded, source_pages in the pages it stored).",
    ),
    "referential_integrity": (
        referential_integrity,
        "Every child row points to an existing parent row (in the trials this run loaded, "
        "once the previous run's warehouse passed).",
    ),
    "pandera_rules": (
        pandera_rules,
        f"Rows of (up to {SAMPLE:,}) trials loaded by this run still satisfy the pandera models after the load.",
    ),
}
# Always this run's trials: every row was validated before the load (see SAMPLE).
_ALWAYS_RUN_TRIALS = {"pandera_rules"}


@dataclass(frozen=True, slots=True)
class Checked:
    scope: Scope
    outcome: Outcome
    not_recorded: str | None  # why the outcome could not be kept in check_results, if so


def run_checks(
    connect: Callable[[], duckdb.DuckDBPyConnection],
    warehouse: Path,
    names: list[str],
    wait_seconds: float = 0.0,
    log: _Log | None = None,
) -> dict[str, Checked]:
    """Run the named checks on one read-only connection, then record their outcomes in
    `check_results` with one write, for the next run's scope. Each check says when it starts."""
    log = log or _QUIET
    with connect() as con:
        log.info("checks: scoping to the latest run")
        scopes = scopes_for(con, names)
        results = {}
        for name in names:
            scope = replace(scopes[name], label=RUN_TRIALS) if name in _ALWAYS_RUN_TRIALS else scopes[name]
            log.info(f"check {name}: {scope.label}")
            results[name] = (scope, CHECKS[name][0](con, scope, log))
    log.info("checks: recording outcomes in check_results")
    not_recorded = record(
        warehouse,
        [(name, scope, out.passed, out.problems, out.rows_checked) for name, (scope, out) in results.items()],
        wait_seconds,
    )
    log.info("checks: done" + (f" (outcomes not recorded: {not_recorded})" if not_recorded else ""))
    return {name: Checked(scope, out, not_recorded) for name, (scope, out) in results.items()}


def read_only(warehouse: Path) -> Callable[[], duckdb.DuckDBPyConnection]:
    """A connection factory for `run_checks` outside Dagster."""
    return lambda: configure(duckdb.connect(str(warehouse), read_only=True))
