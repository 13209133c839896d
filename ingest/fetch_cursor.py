"""The fetch cursor: where the last fetch ended and where an unfinished one stands.

A small JSON file, rewritten atomically. `high_water` is the latest LastUpdatePostDate of the
last completed incremental fetch; `in_progress` is the fetch under way (its id, its request
parameters, the page token of the next page and the pages written so far), so a rerun after a
crash continues from the next page into the same folder instead of starting over.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InProgress:
    fetch_id: str
    params: dict[str, str]
    next_page_token: str | None
    pages: int = 0
    studies: int = 0
    max_update: str | None = None
    incremental: bool = False


@dataclass(frozen=True, slots=True)
class Cursor:
    high_water: str | None = None
    in_progress: InProgress | None = None
    last_completed: dict[str, object] = field(default_factory=dict)


def read_cursor(path: Path) -> Cursor:
    """The saved cursor, or an empty one when there is none yet."""
    if not path.exists():
        return Cursor()
    data = json.loads(path.read_text(encoding="utf-8"))
    running = data.get("in_progress")
    return Cursor(
        high_water=data.get("high_water"),
        in_progress=InProgress(**running) if running else None,
        last_completed=data.get("last_completed") or {},
    )


def write_cursor(path: Path, cursor: Cursor) -> None:
    payload = {
        "high_water": cursor.high_water,
        "in_progress": asdict(cursor.in_progress) if cursor.in_progress else None,
        "last_completed": cursor.last_completed,
    }
    write_atomic(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a reader (or a crash) sees the old file or the whole new one.

    The temporary name starts with a dot and ends in `.tmp`, so a landing scan never reads a
    half-written page; the directory is synced too so the rename itself survives a power cut.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> None:
    """Temporary files a crashed fetch left behind in its page folder."""
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
