"""Fetch studies from the registry's API v2 (`/api/v2/studies`) into the landing folder.

Each response page lands as one JSON file, exactly as received (`{"studies": [...], ...}`), at
`<landing>/fetched/<fetch id>/<page number>.json`: the fetch id is its UTC start time, so names
never collide and sort in fetch order. Pages are written atomically and the cursor
(`ingest.fetch_cursor`) moves on only after a page is on disk, so a rerun after a crash or a
give-up continues from the next page. An incremental fetch asks for everything whose
LastUpdatePostDate is on or after the high-water date of the last completed one; the date
advances only when a fetch completes. No network at all unless `base_url` is set.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import fcntl
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from ingest.fetch_cursor import Cursor, InProgress, read_cursor, remove_stale_temps, write_atomic, write_cursor

REGISTRY_URL = "https://clinicaltrials.gov"
STUDIES_PATH = "/api/v2/studies"
FETCHED_DIR = "fetched"
# A Retry-After beyond this is clamped so a misbehaving server cannot park a run for hours.
MAX_RETRY_AFTER = 900.0
MAX_BACKOFF = 120.0


class FetchError(RuntimeError):
    """The fetch stopped; the cursor still points at the first page not yet written."""


@dataclass(frozen=True, slots=True)
class FetchSettings:
    base_url: str | None = None  # None: fetching is off, nothing touches the network
    page_size: int = 1000  # the API's maximum
    max_retries: int = 5  # retries per page after the first attempt
    backoff: float = 1.0  # seconds; doubled each retry, with jitter
    min_interval: float = 1.5  # seconds between requests: the registry asks for ~50 a minute
    timeout: float = 60.0
    user_agent: str = "trial-warehouse-fetch/0.1"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> FetchSettings:
        """Settings from `TRIAL_WAREHOUSE_FETCH_URL` (unset or empty: off), `..._PAGE_SIZE`,
        `..._MAX_RETRIES`, `..._BACKOFF`, `..._MIN_INTERVAL`, `..._TIMEOUT`."""
        env = os.environ if environ is None else environ
        base = cls()
        prefix = "TRIAL_WAREHOUSE_FETCH_"
        return cls(
            base_url=env.get(prefix + "URL") or None,
            page_size=int(env.get(prefix + "PAGE_SIZE", base.page_size)),
            max_retries=int(env.get(prefix + "MAX_RETRIES", base.max_retries)),
            backoff=float(env.get(prefix + "BACKOFF", base.backoff)),
            min_interval=float(env.get(prefix + "MIN_INTERVAL", base.min_interval)),
            timeout=float(env.get(prefix + "TIMEOUT", base.timeout)),
        )


@dataclass(frozen=True, slots=True)
class FetchResult:
    enabled: bool  # False: base_url unset, nothing was fetched
    fetch_id: str | None = None
    folder: Path | None = None
    files: list[Path] = field(default_factory=list)  # pages written by this call
    studies: int = 0  # studies in the pages written by this call
    total_pages: int = 0  # pages of the whole fetch, including those of an earlier, resumed call
    resumed: bool = False
    high_water: str | None = None  # the cursor's date after the fetch


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


def fetch_studies(
    settings: FetchSettings,
    landing: Path,
    cursor_path: Path,
    query: str | None,
    log: Callable[[str], None],
) -> FetchResult:
    """Fetch the studies matching `query` (API `query.term`), or with `query` None everything
    updated since the last completed incremental fetch (all studies the first time), into
    `landing/fetched/<fetch id>/`. Raises `FetchError` when a page still fails after
    `settings.max_retries` retries, or on an answer retrying cannot fix (a 4xx)."""
    if not settings.base_url:
        log("fetch: off (no base URL set), nothing fetched")
        return FetchResult(enabled=False)
    with _exclusive(cursor_path):
        cursor = read_cursor(cursor_path)
        params = _request_params(query, cursor.high_water)
        cursor, running, resumed = _begin(cursor_path, cursor, params, landing, query is None, log)
        folder = landing / FETCHED_DIR / running.fetch_id
        remove_stale_temps(folder)
        what = f"query {query!r}" if query is not None else f"updated since {cursor.high_water or 'the start'}"
        log(f"fetch {running.fetch_id}: {what}" + (f", resuming after page {running.pages}" if resumed else ""))
        with _Client(settings, log) as client:
            cursor, running, files, studies = _fetch_pages(client, settings, cursor_path, cursor, params, folder, log)
        log(f"fetch {running.fetch_id}: done, {running.pages} pages, {running.studies} studies")
        return FetchResult(
            enabled=True,
            fetch_id=running.fetch_id,
            folder=folder,
            files=files,
            studies=studies,
            total_pages=running.pages,
            resumed=resumed,
            high_water=cursor.high_water,
        )


def _begin(
    cursor_path: Path, cursor: Cursor, params: dict[str, str], landing: Path, incremental: bool,
    log: Callable[[str], None],
) -> tuple[Cursor, InProgress, bool]:  # fmt: skip
    """The fetch to run: the unfinished one when it asked the same, else a new one, saved in the
    cursor before any page is asked for. -> (cursor, the fetch, whether it resumes)."""
    running = cursor.in_progress
    if running is not None and running.params == params:
        return cursor, running, True
    if running is not None:
        log(f"fetch: abandoning unfinished fetch {running.fetch_id} (other parameters); its pages stay")
    running = InProgress(fetch_id=_new_fetch_id(landing), params=params, next_page_token=None, incremental=incremental)
    cursor = replace(cursor, in_progress=running)
    write_cursor(cursor_path, cursor)
    return cursor, running, False


def _fetch_pages(
    client: _Client, settings: FetchSettings, cursor_path: Path, cursor: Cursor, params: dict[str, str],
    folder: Path, log: Callable[[str], None],
) -> tuple[Cursor, InProgress, list[Path], int]:  # fmt: skip
    """Every page after the cursor's, each written before the cursor moves past it.
    -> (the cursor as left, the fetch, the files written, the studies in them)."""
    running = cursor.in_progress
    assert running is not None
    files: list[Path] = []
    studies = 0
    while True:
        page_no = running.pages + 1
        request = {**params, "pageSize": str(settings.page_size)}
        if running.next_page_token is None:
            request["countTotal"] = "true"
        else:
            request["pageToken"] = running.next_page_token
        body, page = client.get_page(request, page_no)
        if page_no == 1 and "totalCount" in page:
            log(f"fetch {running.fetch_id}: {page['totalCount']} studies to fetch")
        path = folder / f"{page_no:05d}.json"
        write_atomic(path, body)
        files.append(path)
        studies += len(page["studies"])
        token = page.get("nextPageToken") or None
        if token is not None and token == running.next_page_token:
            raise FetchError(f"page {page_no} gave its own page token back; stopping instead of looping")
        running = replace(
            running,
            next_page_token=token,
            pages=page_no,
            studies=running.studies + len(page["studies"]),
            max_update=_latest(running.max_update, _max_update(page["studies"])),
        )
        log(f"fetch {running.fetch_id}: page {page_no}, {len(page['studies'])} studies -> {path}")
        if token is None:
            cursor = _completed(cursor, running)
            write_cursor(cursor_path, cursor)
            return cursor, running, files, studies
        cursor = replace(cursor, in_progress=running)
        write_cursor(cursor_path, cursor)


def _request_params(query: str | None, high_water: str | None) -> dict[str, str]:
    """The parameters that identify a fetch; every page of it is asked with the same ones (the
    API allows only pageSize, pageToken and countTotal to change between pages)."""
    params = {"format": "json"}
    if query is not None:
        params["query.term"] = query
    elif high_water is not None:
        # Inclusive of the high-water day: studies posted later that same day are not missed;
        # those already fetched come again and the ingest skips them as unchanged.
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{high_water},MAX]"
        params["sort"] = "LastUpdatePostDate:asc"
    return params


def _completed(cursor: Cursor, running: InProgress) -> Cursor:
    high_water = cursor.high_water
    if running.incremental:
        high_water = _latest(high_water, running.max_update)
    done = {
        "fetch_id": running.fetch_id,
        "params": running.params,
        "pages": running.pages,
        "studies": running.studies,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return Cursor(high_water=high_water, in_progress=None, last_completed=done)


def _max_update(studies: list[dict]) -> str | None:
    return _latest(*(_update_date(study) for study in studies)) if studies else None


def _update_date(study: object) -> str | None:
    # The page is kept as received whatever a study holds; only a well-formed date counts.
    value: object = study
    for key in ("protocolSection", "statusModule", "lastUpdatePostDateStruct", "date"):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _latest(*dates: str | None) -> str | None:
    # ISO dates order as strings.
    return max((d for d in dates if d is not None), default=None)


def _new_fetch_id(landing: Path) -> str:
    """The UTC start time to the microsecond; a suffix in the unlikely case the folder exists."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    fetch_id, n = stamp, 1
    while (landing / FETCHED_DIR / fetch_id).exists():
        n += 1
        fetch_id = f"{stamp}-{n}"
    return fetch_id


@contextmanager
def _exclusive(cursor_path: Path) -> Iterator[None]:
    """One fetch per cursor at a time: two would write the same pages and race on the cursor."""
    cursor_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = cursor_path.with_name(cursor_path.name + ".lock")
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise FetchError(f"another fetch holds {lock_path}") from exc
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


class _Client:
    """GETs pages politely: at most one request per `min_interval`, retries with backoff."""

    def __init__(self, settings: FetchSettings, log: Callable[[str], None]) -> None:
        self.settings = settings
        self.log = log
        self.url = settings.base_url.rstrip("/") + STUDIES_PATH if settings.base_url else ""
        self.http = httpx.Client(
            timeout=settings.timeout,
            headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
            follow_redirects=True,
        )
        self.last_request = -float("inf")

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def get_page(self, params: dict[str, str], page_no: int) -> tuple[bytes, dict]:
        """The page's bytes as received and its parsed JSON."""
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            try:
                return self._attempt(params)
            except _Retryable as problem:
                if attempt + 1 == attempts:
                    raise FetchError(
                        f"page {page_no} failed {attempts} times, last: {problem}; "
                        "the cursor still points at this page, rerun to resume"
                    ) from problem
                wait = self._backoff(attempt, problem.wait)
                self.log(f"page {page_no}: {problem}; retry {attempt + 1}/{self.settings.max_retries} in {wait:.2f} s")
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _attempt(self, params: dict[str, str]) -> tuple[bytes, dict]:
        pause = self.last_request + self.settings.min_interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.last_request = time.monotonic()
        try:
            response = self.http.get(self.url, params=params)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # a wrong base_url: retrying cannot help
            raise FetchError(f"cannot fetch {self.url}: {exc}") from exc
        except httpx.TransportError as exc:  # refused, reset, cut mid-body, timed out
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after(response.headers.get("Retry-After")))
        if status != 200:
            raise FetchError(f"HTTP {status} from {response.url}: {response.text[:300]}")
        body = response.content
        try:
            page = json.loads(body)
        except ValueError as exc:
            raise _Retryable(f"malformed page: not JSON ({exc})") from exc
        if not isinstance(page, dict) or not isinstance(page.get("studies"), list):
            raise _Retryable('malformed page: no "studies" list')
        token = page.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise _Retryable("malformed page: nextPageToken not a string")
        return body, page

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        base = min(self.settings.backoff * 2**attempt, MAX_BACKOFF)
        # Jitter spreads the retries of several clients that failed together.
        wait = base / 2 + random.uniform(0, base / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return wait


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
