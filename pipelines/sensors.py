"""A sensor that starts an ingest when pages in the landing folder are new or changed.

It fingerprints the folder from file metadata only (path, size, mtime): no page is read, so a
check costs one directory walk. The cursor holds the last fingerprint that started a run.
"""

import hashlib

import dagster as dg

from assets.resources import WarehouseResource
from ingest.landing import scan
from pipelines.jobs import ingest_job


def landing_fingerprint(warehouse: WarehouseResource) -> tuple[str, int]:
    digest = hashlib.sha256()
    count = 0
    for item in scan(warehouse.source):
        digest.update(f"{item.path}\0{item.size}\0{item.mtime_ns}\n".encode())
        count += 1
    return digest.hexdigest(), count


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def landing_folder_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    if not warehouse.source.is_dir():
        return dg.SkipReason(f"landing folder {warehouse.source} does not exist")
    fingerprint, count = landing_fingerprint(warehouse)
    if fingerprint == context.cursor:
        return dg.SkipReason(f"no new or changed pages among {count} files")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)
