"""One batch's work order: written by extract, read by a parse worker. Plain JSON, so a staged
run can be inspected and a retried step does not depend on pickled classes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from staging.settings import Limits

ARCHIVE_SEPARATOR = "::"  # `landing/batch.zip::NCT01234567.txt`
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")


@dataclass(frozen=True, slots=True)
class LandingFile:
    """A file found under the landing folder: a page, or an archive holding pages."""

    path: str  # relative to the landing folder, '/'-separated
    size: int
    mtime_ns: int
    error: str | None = None  # set when the file cannot be used at all (permissions, loop)
    # Of a big zip: the range of its members to read, (first, end), and when given, where
    # their entries lie in its central directory, (first, end, from byte, to byte).
    members: tuple[int, ...] | None = None

    @property
    def is_archive(self) -> bool:
        return self.path.lower().endswith(ARCHIVE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Plan:
    source: str
    items: list[LandingFile]
    known_sha: dict[str, str]  # path -> sha256 the warehouse holds, for the items' pages
    limits: Limits
    run_id: str  # with the batch, names the raw store file: `<run_id>/<file>`
    read_at: str  # ISO: the pages' first_seen and last_seen in that file

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        plan = asdict(self)
        plan["items"] = [[i.path, i.size, i.mtime_ns, i.error, i.members] for i in self.items]
        path.write_text(json.dumps(plan))

    @classmethod
    def read(cls, path: Path) -> Plan:
        plan = json.loads(path.read_text())
        plan["items"] = [
            LandingFile(*cast("tuple[str, int, int, str | None]", item[:4]), tuple(item[4]) if item[4] else None)
            for item in plan["items"]
        ]
        plan["limits"] = Limits(**plan["limits"])
        return cls(**plan)
