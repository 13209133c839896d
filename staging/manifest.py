"""The typed hand-offs between the stages: each stage returns a manifest holding the one
before it, so the run's identity (`RunInfo`) travels with every step and nothing is looked
up again. Small by design: the data itself is in the staging folder (`staging.layout`)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from staging.layout import FORMAT_VERSION


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str  # the id extract staged under: it names the run's raw store files
    started_at: dt.datetime  # UTC; also the first_seen / last_seen of every page the run reads
    staging: Path
    source: Path
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True, slots=True)
class ExtractManifest:
    run: RunInfo
    batches: list[int]
    files_seen: int
    files_read: int
    files_unchanged: int  # same size and mtime as the last run: not read at all
    pages_unchanged: int  # the pages those files hold (an archive holds several)
    unreadable: int
    seconds: float
    files_ignored: int = 0  # files no input format reads (`.csv`, `.md`): not pages, left alone
    ignored_sample: list[str] = field(default_factory=list)  # the first of them by path


@dataclass(frozen=True, slots=True)
class ParseManifest:
    extract: ExtractManifest
    pages: int
    parsed: int
    unchanged: int
    rejected: int
    extra_sections: int
    seconds: float

    @property
    def run(self) -> RunInfo:
        return self.extract.run

    @property
    def batches(self) -> list[int]:
        return self.extract.batches


@dataclass(frozen=True, slots=True)
class ValidateManifest:
    parse: ParseManifest
    to_load: int
    duplicates: int
    rejected: int  # in this stage; parse/extract rejections are counted by ParseManifest
    seconds: float
    reasons: list[str] = field(default_factory=list)  # a sample, for the run summary

    @property
    def run(self) -> RunInfo:
        return self.parse.run

    @property
    def batches(self) -> list[int]:
        return self.parse.batches

    def summary_json(self) -> str:
        """The stage figures as one JSON document for `ingest_runs.summary_json`."""
        x, p = self.parse.extract, self.parse
        stages = {
            "extract": {
                "run_id": x.run.run_id, "started_at": x.run.started_at.isoformat(), "files_seen": x.files_seen, "files_ignored": x.files_ignored,
                "files_read": x.files_read, "files_unchanged": x.files_unchanged,
                "pages_unchanged": x.pages_unchanged, "unreadable": x.unreadable, "seconds": x.seconds,
            },
            "parse": {
                "pages": p.pages, "parsed": p.parsed, "unchanged": p.unchanged, "rejected": p.rejected,
                "extra_sections": p.extra_sections, "seconds": p.seconds,
            },
            "validate": {
                "to_load": self.to_load, "duplicates": self.duplicates, "rejected": self.rejected,
                "seconds": self.seconds, "reasons": self.reasons,
            },
        }  # fmt: skip
        return json.dumps(stages, default=str)
