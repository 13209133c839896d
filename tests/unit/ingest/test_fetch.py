"""`ingest.fetch` against a loopback registry serving recorded API v2 pages of the shared records."""

from __future__ import annotations

import copy
import itertools
import json
import socket
from pathlib import Path

import pytest

from ingest.fetch import FetchError, FetchSettings, fetch_studies
from ingest.fetch_cursor import read_cursor
from tests.unit.ingest.registry_server import Registry, nct_id, recorded_studies, serve, update_date

FAST = {"backoff": 0.001, "min_interval": 0.0, "timeout": 5.0, "max_retries": 3}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would send loopback requests elsewhere.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


class Run:
    def __init__(self, tmp_path: Path, registry: Registry, base_url: str) -> None:
        self.landing = tmp_path / "landing"
        self.cursor = tmp_path / "state" / "fetch-cursor.json"
        self.registry = registry
        self.base_url = base_url
        self.lines: list[str] = []

    def fetch(self, query: str | None = None, **settings: object):
        options = {**FAST, "page_size": 4, **settings}
        return fetch_studies(FetchSettings(base_url=self.base_url, **options), self.landing, self.cursor, query,
                             self.lines.append)


@pytest.fixture
def studies() -> list[dict]:
    return recorded_studies(10)


@pytest.fixture
def run(tmp_path: Path, studies: list[dict]):
    registry = Registry(studies=copy.deepcopy(studies))
    with serve(registry) as url:
        yield Run(tmp_path, registry, url)


def landed_ids(files: list[Path]) -> list[str]:
    return [nct_id(s) for f in files for s in json.loads(f.read_bytes())["studies"]]


def all_pages(run: Run) -> list[Path]:
    return sorted((run.landing / "fetched").glob("*/*.json"))


def test_pages_land_as_json_files_with_the_studies_in_order(run: Run, studies: list[dict]) -> None:
    result = run.fetch(page_size=5)

    assert [f.name for f in result.files] == ["00001.json", "00002.json"]
    assert all(f.parent == run.landing / "fetched" / result.fetch_id for f in result.files)
    assert landed_ids(result.files) == [nct_id(s) for s in studies]
    # Each file is the response as received: a page of the API with the studies untouched.
    first = json.loads(result.files[0].read_bytes())
    assert first["studies"] == studies[:5] and first["nextPageToken"] == "page-2"
    assert "nextPageToken" not in json.loads(result.files[1].read_bytes())
    assert result.studies == 10 and result.total_pages == 2 and not result.resumed
    first_request, second_request = (r.params for r in run.registry.requests)
    assert first_request == {"format": "json", "pageSize": "5", "countTotal": "true"}
    assert second_request == {"format": "json", "pageSize": "5", "pageToken": "page-2"}
    cursor = read_cursor(run.cursor)
    assert cursor.in_progress is None
    assert cursor.high_water == max(update_date(s) for s in studies) == result.high_water
    assert not list(run.landing.rglob(".*.tmp"))


def test_second_fetch_asks_only_for_what_changed_since(run: Run, studies: list[dict]) -> None:
    first = run.fetch()
    high_water = first.high_water
    assert high_water is not None
    # Three studies are updated in the registry after the first fetch.
    for study in run.registry.studies[:3]:
        study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-12-03"
    run.registry.requests.clear()

    second = run.fetch()

    expected = {"format": "json", "pageSize": "4", "countTotal": "true",
                "filter.advanced": f"AREA[LastUpdatePostDate]RANGE[{high_water},MAX]",
                "sort": "LastUpdatePostDate:asc"}
    assert run.registry.requests[0].params == expected
    changed = {nct_id(s) for s in run.registry.studies if update_date(s) >= high_water}
    assert set(landed_ids(second.files)) == changed
    assert {nct_id(s) for s in studies[:3]} <= changed and len(changed) < len(studies)
    assert second.fetch_id > first.fetch_id  # folders sort in fetch order
    assert second.high_water == "2026-12-03" == read_cursor(run.cursor).high_water


def test_a_query_fetch_sends_the_term_and_leaves_the_high_water(run: Run, studies: list[dict]) -> None:
    term = studies[0]["protocolSection"]["conditionsModule"]["conditions"][0]
    result = run.fetch(query=term)

    assert run.registry.requests[0].params["query.term"] == term
    assert "filter.advanced" not in run.registry.requests[0].params
    assert nct_id(studies[0]) in landed_ids(result.files)
    assert read_cursor(run.cursor).high_water is None


def test_429_with_retry_after_is_honoured_then_succeeds(run: Run, studies: list[dict]) -> None:
    run.registry.faults = {1: ["429"]}
    result = run.fetch()

    first, retry = run.registry.requests[:2]
    assert retry.at - first.at >= run.registry.retry_after - 0.05
    assert first.params == retry.params
    assert landed_ids(result.files) == [nct_id(s) for s in studies]
    assert any("HTTP 429" in line for line in run.lines)


def test_a_server_error_mid_way_keeps_the_cursor_and_a_rerun_resumes(run: Run, studies: list[dict]) -> None:
    run.registry.faults = {2: ["500"] * 4}  # more than max_retries=3 allows
    with pytest.raises(FetchError, match="page 2 failed 4 times"):
        run.fetch()

    cursor = read_cursor(run.cursor)
    assert cursor.high_water is None
    assert cursor.in_progress is not None
    assert (cursor.in_progress.pages, cursor.in_progress.next_page_token) == (1, "page-2")
    assert [p.name for p in all_pages(run)] == ["00001.json"]
    run.registry.requests.clear()

    result = run.fetch()

    assert result.resumed and result.fetch_id == cursor.in_progress.fetch_id
    assert run.registry.requests[0].params["pageToken"] == "page-2"
    assert [p.name for p in all_pages(run)] == ["00001.json", "00002.json", "00003.json"]
    assert landed_ids(all_pages(run)) == [nct_id(s) for s in studies]
    assert read_cursor(run.cursor).in_progress is None
    assert result.high_water == max(update_date(s) for s in studies)


def test_a_cut_connection_is_retried(run: Run, studies: list[dict]) -> None:
    run.registry.faults = {1: ["cut"], 2: ["cut", "cut"]}
    result = run.fetch()

    assert len(run.registry.requests) == 3 + 3
    assert landed_ids(result.files) == [nct_id(s) for s in studies]


@pytest.mark.parametrize("fault", ["malformed", "nostudies"])
def test_a_malformed_page_is_retried_and_never_lands(run: Run, studies: list[dict], fault: str) -> None:
    run.registry.faults = {1: [fault]}
    assert landed_ids(run.fetch().files) == [nct_id(s) for s in studies]

    run.registry.faults = {1: [fault] * 4}
    run.cursor.unlink()
    with pytest.raises(FetchError, match="malformed page"):
        run.fetch()
    failed = read_cursor(run.cursor).in_progress
    assert failed is not None and failed.pages == 0
    assert not (run.landing / "fetched" / failed.fetch_id).exists()
    assert not list(run.landing.rglob(".*.tmp"))


def test_a_client_error_is_not_retried(run: Run) -> None:
    run.base_url += "/nowhere"
    with pytest.raises(FetchError, match="HTTP 404"):
        run.fetch()
    assert run.registry.requests == []


def test_requests_are_spaced_by_min_interval(run: Run) -> None:
    run.fetch(min_interval=0.15)
    times = [r.at for r in run.registry.requests]
    assert len(times) == 3
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.14


def test_no_base_url_touches_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    lines: list[str] = []
    result = fetch_studies(FetchSettings(), tmp_path / "landing", tmp_path / "cursor.json", None, lines.append)

    assert FetchSettings().base_url is None
    assert not result.enabled and result.files == []
    assert not (tmp_path / "landing").exists() and not (tmp_path / "cursor.json").exists()
    assert "off" in lines[0]
    assert FetchSettings.from_env({}).base_url is None
    assert FetchSettings.from_env({"TRIAL_WAREHOUSE_FETCH_URL": "http://127.0.0.1:1"}).base_url == "http://127.0.0.1:1"


def test_a_crash_after_a_page_is_written_refetches_that_page_into_the_same_name(
    run: Run, studies: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.fetch as fetch_module

    saves: list[int] = []
    real_write_cursor = fetch_module.write_cursor

    def crash_on_third_save(path: Path, cursor: object) -> None:
        saves.append(1)
        if len(saves) == 3:  # the start, page 1, then page 2's save: page 2 is on disk
            raise KeyboardInterrupt("killed")
        real_write_cursor(path, cursor)

    monkeypatch.setattr(fetch_module, "write_cursor", crash_on_third_save)
    with pytest.raises(KeyboardInterrupt):
        run.fetch()
    assert [p.name for p in all_pages(run)] == ["00001.json", "00002.json"]
    assert read_cursor(run.cursor).in_progress.pages == 1
    monkeypatch.setattr(fetch_module, "write_cursor", real_write_cursor)
    run.registry.requests.clear()

    result = run.fetch()

    assert result.resumed and run.registry.requests[0].params["pageToken"] == "page-2"
    assert landed_ids(all_pages(run)) == [nct_id(s) for s in studies]  # each study once


def test_a_fetch_with_other_parameters_starts_afresh(run: Run, studies: list[dict]) -> None:
    run.registry.faults = {2: ["500"] * 4}
    with pytest.raises(FetchError):
        run.fetch()
    abandoned = read_cursor(run.cursor).in_progress
    assert abandoned is not None

    term = nct_id(studies[0])
    result = run.fetch(query=term)

    assert not result.resumed and result.fetch_id != abandoned.fetch_id
    assert "pageToken" not in run.registry.requests[-1].params
    assert landed_ids(result.files) == [term]
    assert any("abandoning" in line for line in run.lines)


def test_a_second_fetch_on_the_same_cursor_is_refused_while_one_runs(run: Run) -> None:
    import fcntl

    run.cursor.parent.mkdir(parents=True)
    with open(run.cursor.with_name(run.cursor.name + ".lock"), "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(FetchError, match="another fetch"):
            run.fetch()
    assert run.registry.requests == []


def test_landed_pages_are_read_by_the_json_format(run: Run, studies: list[dict]) -> None:
    from formats import format_for

    records = []
    for page in run.fetch().files:
        fmt = format_for(str(page))
        assert fmt is not None and fmt.name == "ctgov_json"
        records += [fmt.parse(unit) for _, unit in fmt.units(page.read_text(encoding="utf-8"))]
    assert [r.nct_id for r in records] == [nct_id(s) for s in studies]


def test_a_base_url_without_http_fails_at_once(tmp_path: Path) -> None:
    settings = FetchSettings(base_url="ftp://127.0.0.1:9", **FAST)
    with pytest.raises(FetchError, match="cannot fetch"):
        fetch_studies(settings, tmp_path / "landing", tmp_path / "cursor.json", None, lambda _: None)
