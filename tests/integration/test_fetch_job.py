"""The `fetch_and_ingest` job against a loopback registry serving recorded API v2 pages of the
shared records (tests/unit/ingest/registry_server.py): fetched pages land as JSON and load, a
second run asks only for what changed since, and a server error stops the run before the
ingest with the cursor where it was, so the next run resumes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.resources import WarehouseResource
from ingest.fetch_cursor import read_cursor
from pipelines.definitions import defs
from pipelines.jobs import fetch_and_ingest_job
from tests.unit.ingest.registry_server import Registry, nct_id, recorded_studies, serve, update_date


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would send loopback requests elsewhere; retries need no wait.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"BACKOFF": "0.001", "MAX_RETRIES": "2", "TIMEOUT": "5"}.items():
        monkeypatch.setenv(f"TRIAL_WAREHOUSE_FETCH_{name}", value)


@pytest.fixture
def registry() -> Iterator[tuple[Registry, str]]:
    registry = Registry(studies=copy.deepcopy(recorded_studies(10)))
    with serve(registry) as url:
        yield registry, url


def _resource(work: Path, url: str) -> WarehouseResource:
    return WarehouseResource(
        source_dir=str(work / "landing"),
        warehouse_path=str(work / "wh" / "trials.duckdb"),
        exports_dir=str(work / "exports"),
        report_path=str(work / "report.html"),
        workers=1,
        fetch_url=url,
        fetch_page_size=5,
        fetch_min_interval=0.0,
    )


def _run_job(resource: WarehouseResource) -> dg.ExecuteInProcessResult:
    """The project's `fetch_and_ingest` job with this resource, as the schedule runs it."""
    bound = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[fetch_and_ingest_job],
        resources={"warehouse": resource},
    )
    return bound.resolve_job_def("fetch_and_ingest").execute_in_process(raise_on_error=False)


def _trials(resource: WarehouseResource) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(resource.warehouse), read_only=True) as con:
        rows = con.execute("SELECT nct_id, brief_title, source_format FROM trials").fetchall()
    return {nct: (title, form) for nct, title, form in rows}


def _fetched(resource: WarehouseResource) -> list[Path]:
    return sorted((resource.source / "fetched").glob("*/*.json"))


def test_fetched_pages_land_as_json_and_load_then_only_changes_are_asked(
    tmp_path: Path, registry: tuple[Registry, str]
) -> None:
    server, url = registry
    resource = _resource(tmp_path, url)

    first = _run_job(resource)

    assert first.success
    assert [p.name for p in _fetched(resource)] == ["00001.json", "00002.json"]
    trials = _trials(resource)
    assert set(trials) == {nct_id(s) for s in server.studies}
    assert {form for _, form in trials.values()} == {"ctgov_json"}
    fetched = next(e for e in first.get_asset_materialization_events() if e.asset_key.path == ["registry_fetch"])
    assert fetched.materialization.metadata["studies"].value == 10
    high_water = read_cursor(resource.fetch_cursor).high_water
    assert high_water == max(update_date(s) for s in server.studies)

    # Two studies change in the registry after the first fetch: a new title and update date.
    for study in server.studies[:2]:
        ident = study["protocolSection"]["identificationModule"]
        ident["briefTitle"] = "Amended: " + ident["briefTitle"]
        study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-12-03"
    server.requests.clear()

    second = _run_job(resource)

    assert second.success
    assert server.requests[0].params["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{high_water},MAX]"
    newest = [p for p in _fetched(resource) if p.parent.name == max(q.parent.name for q in _fetched(resource))]
    landed = {nct_id(s) for p in newest for s in json.loads(p.read_bytes())["studies"]}
    assert landed == {nct_id(s) for s in server.studies if update_date(s) >= high_water}
    assert landed < set(trials)
    amended = {nct for nct, (title, _) in _trials(resource).items() if title.startswith("Amended: ")}
    assert amended == {nct_id(s) for s in server.studies[:2]}
    assert read_cursor(resource.fetch_cursor).high_water == "2026-12-03"


def test_a_server_error_stops_the_run_before_the_ingest_and_the_next_run_resumes(
    tmp_path: Path, registry: tuple[Registry, str]
) -> None:
    server, url = registry
    resource = _resource(tmp_path, url)
    server.faults = {2: ["500"] * 3}  # more than MAX_RETRIES=2 allows

    failed = _run_job(resource)

    assert not failed.success
    errors = [e.step_failure_data.error for e in failed.all_events if e.is_step_failure]
    assert [e.step_key for e in failed.all_events if e.is_step_failure] == ["registry_fetch"]
    assert "page 2 failed 3 times" in errors[0].message
    assert not resource.warehouse.exists()  # the ingest did not run
    cursor = read_cursor(resource.fetch_cursor)
    assert cursor.high_water is None and cursor.in_progress is not None
    assert (cursor.in_progress.pages, cursor.in_progress.next_page_token) == (1, "page-2")
    server.requests.clear()

    resumed = _run_job(resource)

    assert resumed.success
    assert server.requests[0].params["pageToken"] == "page-2"
    assert [p.name for p in _fetched(resource)] == ["00001.json", "00002.json"]
    assert set(_trials(resource)) == {nct_id(s) for s in server.studies}
    assert read_cursor(resource.fetch_cursor).in_progress is None


def test_without_a_base_url_the_job_ingests_what_is_there_and_asks_nothing(
    tmp_path: Path, registry: tuple[Registry, str]
) -> None:
    server, _ = registry
    resource = _resource(tmp_path, "")
    resource.source.mkdir(parents=True)
    (resource.source / "one.json").write_text(json.dumps(server.studies[0]), encoding="utf-8")

    result = _run_job(resource)

    assert result.success and not server.requests
    assert set(_trials(resource)) == {nct_id(server.studies[0])}
    assert not resource.fetch_cursor.exists() and not (resource.source / "fetched").exists()
