"""A stand-in for the registry's `/api/v2/studies` on 127.0.0.1, serving recorded studies.

Pages are cut from real API v2 records (`../shared/records/ctgov-json/`) the way the API does:
`pageSize` studies per page, a `nextPageToken` on every page but the last, `totalCount` when
`countTotal=true`. It honours `query.term` (a case-insensitive match anywhere in the study) and
the `AREA[LastUpdatePostDate]RANGE[date,MAX]` advanced filter, records every request, and plays
scripted faults per page: "429" (with Retry-After), "500", "cut" (the body stops half-way),
"malformed" (not JSON) and "nostudies" (JSON without a studies list).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SHARED_JSON = Path(__file__).resolve().parents[3] / ".." / "shared" / "records" / "ctgov-json"
RANGE = re.compile(r"^AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]$")


def recorded_studies(count: int) -> list[dict]:
    """The first `count` shared API v2 records, by file name (NCT ID)."""
    files = sorted(SHARED_JSON.glob("NCT*.json"))[:count]
    if len(files) < count:
        raise FileNotFoundError(f"need {count} records in {SHARED_JSON}")
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def nct_id(study: dict) -> str:
    return study["protocolSection"]["identificationModule"]["nctId"]


def update_date(study: dict) -> str:
    return study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]


@dataclass
class Request:
    params: dict[str, str]
    at: float


@dataclass
class Registry:
    studies: list[dict]
    faults: dict[int, list[str]] = field(default_factory=dict)  # page number -> faults to play, in order
    retry_after: int = 1
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def matching(self, params: dict[str, str]) -> list[dict]:
        chosen = self.studies
        if term := params.get("query.term"):
            chosen = [s for s in chosen if term.lower() in json.dumps(s).lower()]
        if advanced := params.get("filter.advanced"):
            since = RANGE.match(advanced)
            if since is None:
                raise ValueError(f"unsupported filter {advanced!r}")
            chosen = [s for s in chosen if update_date(s) >= since.group(1)]
        if params.get("sort") == "LastUpdatePostDate:asc":
            chosen = sorted(chosen, key=lambda s: (update_date(s), nct_id(s)))
        return chosen

    def respond(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes, str | None]:
        """Status, headers, body, and a fault for the transport ("cut") if any."""
        with self.lock:
            self.requests.append(Request(params, time.monotonic()))
            token = params.get("pageToken")
            page_no = int(token.removeprefix("page-")) if token else 1
            pending = self.faults.get(page_no) or []
            fault = pending.pop(0) if pending else None
        if fault == "429":
            return 429, {"Retry-After": str(self.retry_after)}, b"rate limited", None
        if fault == "500":
            return 500, {}, b"internal error", None
        if fault == "malformed":
            return 200, {"Content-Type": "application/json"}, b'{"studies": [{"protocolSection": ', None
        if fault == "nostudies":
            return 200, {"Content-Type": "application/json"}, b'{"error": "try later"}', None
        size = int(params.get("pageSize", "10"))
        chosen = self.matching(params)
        start = (page_no - 1) * size
        page: dict[str, object] = {"studies": chosen[start : start + size]}
        if params.get("countTotal") == "true":
            page["totalCount"] = len(chosen)
        if start + size < len(chosen):
            page["nextPageToken"] = f"page-{page_no + 1}"
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode(), fault


class _Handler(BaseHTTPRequestHandler):
    registry: Registry

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/api/v2/studies":
            self.send_error(404)
            return
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        status, headers, body, fault = self.registry.respond(params)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault == "cut":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(registry: Registry) -> Iterator[str]:
    """The registry on 127.0.0.1 at a free port; yields its base URL."""
    handler = type("Handler", (_Handler,), {"registry": registry})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
