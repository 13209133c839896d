"""The HTML report as an asset after the export: the charts of what analysts just received."""

import dagster as dg

from assets.ingest import EXPORT_MANIFEST
from assets.resources import WarehouseResource
from assets.tables import EXPORTS_GROUP
from report import write_report


@dg.asset(
    group_name=EXPORTS_GROUP,
    kinds={"html"},
    # After the export, so it never shows a load whose checks failed.
    deps=[EXPORT_MANIFEST],
    description="One self-contained HTML page of charts: trials by phase and status, start years, "
    "enrollment, top conditions and interventions, sites by country, eligibility facts, data quality.",
)
def warehouse_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.read() as con:
        summary = write_report(con, warehouse.report)
    path = summary.path.absolute()
    context.log.info(f"report: {len(summary.charts)} charts, {summary.trials:,} trials -> {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "dagster/uri": path.as_uri(),
            "bytes": summary.bytes,
            "trials": summary.trials,
            "charts": len(summary.charts),
            "charts_without_data": dg.MetadataValue.md(", ".join(summary.empty) or "none"),
        }
    )


REPORT_ASSETS = [warehouse_report]
