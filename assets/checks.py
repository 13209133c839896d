"""Asset checks on the loaded warehouse. They are blocking: when one fails at error level the
export does not run, so analysts never receive parquet files that break the contract."""

from dataclasses import replace

import dagster as dg
import duckdb
import pandera.errors

from assets.ingest import warehouse_tables
from pipelines.resources import WarehouseResource
from schemas import ALL_TABLES, CORE_TABLES, primary_key
from warehouse.check_log import RUN_TRIALS, Scope, record, scope_for

# Trials whose rows the check validates again with pandera: this run's, at most SAMPLE of
# them, the first in NCT order. Every row was already validated before the load (the validate
# stage keeps invalid records out); this check catches what the load itself could break (types,
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


def _name(context: dg.AssetCheckExecutionContext) -> str:
    return context.check_specs[0].name


def _result(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    scope: Scope,
    problems: list[str],
    rows_checked: int | None = None,
    **metadata: object,
) -> dg.AssetCheckResult:
    """The check's result, also recorded in `check_results` for the next run's scope."""
    name = _name(context)
    not_recorded = record(
        warehouse.warehouse, name, scope, not problems, problems, rows_checked, warehouse.wait_seconds
    )
    if not_recorded:
        context.log.warning(
            f"{name}: result not recorded in check_results ({not_recorded}); the next run checks all rows"
        )
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:50]) or "none"),
            "scope": scope.label,
            "trials_loaded_by_run": scope.run_trials,
            **({"rows_checked": rows_checked} if rows_checked is not None else {}),
            **metadata,
        },
    )


# Views are left out: `source_records` is `source_pages` with the page text joined on, so its
# key is checked on that table without reading the raw store.
TABLES = [m for m in ALL_TABLES if not m.__table__.is_view]


@dg.asset_check(
    asset=warehouse_tables,
    blocking=True,
    description="Every table's primary key is unique (core tables: in the trials this run loaded, "
    "once the previous run's warehouse passed).",
)
def unique_keys(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    problems = []
    with warehouse.read() as con:
        scope = scope_for(con, _name(context))
        for model in TABLES:
            key = ", ".join(primary_key(model))
            name = model.__table__.name
            dupes = con.execute(
                f"SELECT count(*) FROM (SELECT {key} FROM {name} WHERE {scope.rows_of(model)} "
                "GROUP BY ALL HAVING count(*) > 1)"
            ).fetchone()[0]
            if dupes:
                problems.append(f"{name}: {dupes} key values ({key}) appear more than once")
    return _result(context, warehouse, scope, problems, tables=len(TABLES))


@dg.asset_check(
    asset=warehouse_tables,
    blocking=True,
    description="Every child row points to an existing parent row (in the trials this run loaded, "
    "once the previous run's warehouse passed).",
)
def referential_integrity(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    problems = []
    with warehouse.read() as con:
        scope = scope_for(con, _name(context))
        for model in CORE_TABLES:
            name = model.__table__.name
            for cols, (target, target_cols) in model.__table__.references.items():
                on = " AND ".join(f"c.{a} = p.{b}" for a, b in zip(cols, target_cols, strict=True))
                orphans = con.execute(
                    f"SELECT count(*) FROM {name} c WHERE {scope.rows_of(model, 'c.')} "
                    f"AND NOT EXISTS (SELECT 1 FROM {target} p WHERE {on})"
                ).fetchone()[0]
                if orphans:
                    problems.append(f"{name}: {orphans} rows with no matching {target} ({', '.join(cols)})")
    return _result(context, warehouse, scope, problems)


@dg.asset_check(
    asset=warehouse_tables,
    blocking=True,
    description="Rows of (up to 20,000) trials loaded by this run still satisfy the pandera models after the load.",
)
def pandera_rules(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    problems = []
    checked = 0
    with warehouse.read() as con:
        # Always this run's trials: every row was validated before the load (see SAMPLE).
        scope = replace(scope_for(con, _name(context)), label=RUN_TRIALS)
        latest = con.execute("SELECT max(finished_at) FROM ingest_runs").fetchall()[0][0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE check_trials AS {_RUN_TRIALS}", {"latest": latest})
        low, high = con.execute("SELECT min(nct_id), max(nct_id) FROM check_trials").fetchall()[0]
        # A run that loaded no trial has no rows to look at (low is NULL).
        for model in CORE_TABLES if low is not None else ():
            name = model.__table__.name
            frame = con.sql(
                f"SELECT * FROM {name} WHERE nct_id BETWEEN $low AND $high "
                "AND nct_id IN (SELECT nct_id FROM check_trials)",
                params={"low": low, "high": high},
            ).pl()
            checked += frame.height
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
    return _result(context, warehouse, scope, problems, rows_checked=checked, trials_sampled_at_most=SAMPLE)


CHECKS = [unique_keys, referential_integrity, pandera_rules]
