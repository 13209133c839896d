"""Fetching from the registry's API v2 into the landing folder, upstream of the landing scan.

Off unless the resource's `fetch_url` is set (TRIAL_WAREHOUSE_FETCH_URL): then the asset
materializes without touching the network, so a schedule can always run fetch then ingest.
"""

import dagster as dg

from assets.resources import WarehouseResource
from ingest.fetch import FetchError, fetch_studies

GROUP = "ingest"


@dg.asset(
    group_name=GROUP,
    kinds={"json"},
    description="Studies from the registry's API v2 (/api/v2/studies), written into the landing folder as "
    "JSON pages: a query, or everything updated since the last completed fetch. Off without a base URL.",
)
def registry_fetch(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    try:
        result = fetch_studies(
            warehouse.fetch_settings(),
            warehouse.source,
            warehouse.fetch_cursor,
            warehouse.fetch_query or None,
            context.log.info,
        )
    except FetchError as exc:
        # The cursor still points at the first page not written: the next run resumes there.
        raise dg.Failure(f"fetch stopped: {exc}", metadata={"cursor": str(warehouse.fetch_cursor)}) from exc
    if not result.enabled:
        return dg.MaterializeResult(metadata={"enabled": False})
    return dg.MaterializeResult(
        metadata={
            "enabled": True,
            "fetch_id": result.fetch_id or "",
            "folder": dg.MetadataValue.path(str(result.folder)),
            "pages_written": len(result.files),
            "studies": result.studies,
            "pages_of_fetch": result.total_pages,
            "resumed": result.resumed,
            "high_water": result.high_water or "none",
        }
    )


FETCH_ASSETS = [registry_fetch]
