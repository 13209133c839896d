"""Asset checks on the loaded warehouse, one per rule on each table asset it guards. They are
blocking: when one fails at error level the export does not run, so analysts never receive
parquet files that break the contract.

The rules are plain functions in `warehouse/checks.py`, each over every table it covers; here
they run as one Dagster step (one read of the warehouse, one write of their outcomes to
`check_results`), and each rule's problems, which name their table, go to that table's check.
"""

import re
from collections.abc import Iterator

import dagster as dg

from assets.resources import WarehouseResource
from assets.tables import table_key
from schemas import CORE_TABLES
from warehouse import checks as rules

# The tables each rule reads (warehouse/checks.py): keys of every stored table, references of
# the core tables that have some, the models' rules on the core tables' rows.
GUARDED: dict[str, list[str]] = {
    "unique_keys": [m.__table__.name for m in rules.TABLES],
    "referential_integrity": [m.__table__.name for m in CORE_TABLES if m.__table__.references],
    "pandera_rules": [m.__table__.name for m in CORE_TABLES],
}
# A problem starts with its table: "criteria: 3 key values ..." or "trials.overall_status: ...".
_TABLE = re.compile(r"^(\w+)[.:]")


def _problems_by_table(problems: list[str], tables: list[str]) -> dict[str, list[str]]:
    """Each problem under its table; one naming no known table goes to every table, so a
    failure is never lost."""
    out: dict[str, list[str]] = {t: [] for t in tables}
    for problem in problems:
        found = _TABLE.match(problem)
        for table in [found[1]] if found and found[1] in out else tables:
            out[table].append(problem)
    return out


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(name, asset=table_key(table), blocking=True, description=rules.CHECKS[name][1])
        for name, tables in GUARDED.items()
        for table in tables
    ],
    can_subset=True,
)
def warehouse_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    selected = context.selected_asset_check_keys
    names = [name for name in rules.CHECKS if any(key.name == name for key in selected)]
    results = rules.run_checks(warehouse.read, warehouse.warehouse, names, warehouse.wait_seconds, context.log)
    for name, checked in results.items():
        out = checked.outcome
        if checked.not_recorded:
            context.log.warning(
                f"{name}: result not recorded in check_results ({checked.not_recorded}); the next run checks all rows"
            )
        for table, problems in _problems_by_table(out.problems, GUARDED[name]).items():
            key = table_key(table)
            if dg.AssetCheckKey(key, name) not in selected:
                continue
            yield dg.AssetCheckResult(
                check_name=name,
                asset_key=key,
                passed=not problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:50]) or "none"),
                    "scope": checked.scope.label,
                    "trials_loaded_by_run": checked.scope.run_trials,
                    # Over every table the rule read, in the same query.
                    **({"rows_checked_all_tables": out.rows_checked} if out.rows_checked is not None else {}),
                    **out.metadata,  # type: ignore[dict-item]  # dict[str, object] vs dagster's RawMetadataValue
                },
            )


CHECKS = [warehouse_checks]
