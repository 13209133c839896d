"""Asset checks on the loaded warehouse. They are blocking: when one fails at error level the
export does not run, so analysts never receive parquet files that break the contract.

The rules are plain functions in `warehouse/checks.py`; here they run as one Dagster step
(one read of the warehouse, one write of their outcomes to `check_results`), which shows in
the UI as one check per rule.
"""

from collections.abc import Iterator

import dagster as dg

from assets.ingest import warehouse_tables
from assets.resources import WarehouseResource
from warehouse import checks as rules


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(name, asset=warehouse_tables, blocking=True, description=description)
        for name, (_, description) in rules.CHECKS.items()
    ],
    can_subset=True,
)
def warehouse_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    selected = {key.name for key in context.selected_asset_check_keys}
    names = [name for name in rules.CHECKS if name in selected]
    results = rules.run_checks(warehouse.read, warehouse.warehouse, names, warehouse.wait_seconds)
    for name, checked in results.items():
        out = checked.outcome
        if checked.not_recorded:
            context.log.warning(
                f"{name}: result not recorded in check_results ({checked.not_recorded}); the next run checks all rows"
            )
        yield dg.AssetCheckResult(
            check_name=name,
            asset_key=warehouse_tables.key,
            passed=out.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in out.problems[:50]) or "none"),
                "scope": checked.scope.label,
                "trials_loaded_by_run": checked.scope.run_trials,
                **({"rows_checked": out.rows_checked} if out.rows_checked is not None else {}),
                **out.metadata,  # type: ignore[dict-item]  # dict[str, object] vs dagster's RawMetadataValue
            },
        )


CHECKS = [warehouse_checks]
