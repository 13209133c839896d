"""Parse: each batch read, hashed and decoded, its pages staged (they become the raw store)
and parsed into core-table frames, plus one fate row per page (`staging.fate`). Reading and
parsing are one pass so page text does not go to disk and back between two stages; batches
run in worker processes, so memory is bounded by the batch size, not the corpus.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import polars as pl

from ingest.staged_files import write_staged
from ingest.tables import REC, build_tables, to_date
from ingest.units import format_of, read_units
from ingest.workers import Progress, run_batches
from recordpage import Record, RecordError
from schemas import CORE_TABLES
from staging import raw_files
from staging.fate import PageFate, RejectedAt
from staging.layout import BATCH, FATE_SCHEMA, PAGE_SCHEMA, pages_path, parsed_fates_path, plan_path, table_path
from staging.manifest import ExtractManifest, ParseManifest
from staging.plan import Plan
from staging.settings import PAGE_BYTES, Settings

# Where a page, a study's JSON or a legacy XML record names its trial: a page that cannot be
# parsed is still filed under its NCT ID when it has one.
_NCT_IN_TEXT = re.compile(
    r'^NCT ID:\s*(NCT\d{8})\s*$|"nctId"\s*:\s*"(NCT\d{8})"|<nct_id>\s*(NCT\d{8})\s*</nct_id>', re.M
)


def parse(extracted: ExtractManifest, settings: Settings, progress: Progress | None = None) -> ParseManifest:
    """Every batch read, hashed, decoded, staged and parsed, in worker processes."""
    started = time.perf_counter()
    args = [(str(extracted.run.staging), batch) for batch in extracted.batches]
    counts = run_batches(_parse_batch, args, settings.workers, "parse", progress)
    totals = [sum(c[k] for c in counts) for k in range(4)] if counts else [0, 0, 0, 0]
    return ParseManifest(
        extract=extracted,
        pages=sum(totals[:3]),
        parsed=totals[0],
        unchanged=totals[1],
        rejected=totals[2],
        extra_sections=totals[3],
        seconds=time.perf_counter() - started,
    )


# Parsed records become frames every this many pages' worth of text. A parsed page's objects
# (lines, dataclasses, tuples) take about twice the page's bytes and several times its columns
# in a frame; holding a whole batch of them made two-fifths of a parse worker's peak.
FRAME_EVERY = 1_000


def _parse_batch(staging: str, batch: int) -> tuple[int, int, int, int]:
    root = Path(staging)
    plan = Plan.read(plan_path(root, batch))
    pages = _read_batch(plan)
    parsed = _Parsed(batch)
    rows = zip(pages["path"], pages["sha256"], pages["text"], pages["error"], pages["known_sha256"], pages["size"],
               pages["mtime_ns"], strict=True)  # fmt: skip
    for rec, row in enumerate(rows):
        parsed.add(rec, *row)
    del rows  # it holds the page lists too
    parsed.write_tables(root)
    fates = parsed.fates_frame()
    write_staged(fates, parsed_fates_path(root, batch))
    # Written last, when it needs the pages' NCT IDs, and once the table frames are gone: the
    # worker then holds the page text twice (lists and frame), as it did before parsing.
    frame = pl.DataFrame(pages, schema={**PAGE_SCHEMA, "known_sha256": pl.Utf8})
    pages.clear()
    stored = raw_files.records(frame, fates.get_column("nct_id"), plan.run_id, batch, plan.read_at)
    del frame
    # Row groups of 1,000 pages: the writer holds a row group encoded, and one row group for a
    # whole batch raised the worker's peak. With min/max statistics, as DuckDB writes the
    # export's other parts: the file is one of them, and readers skip row groups by path or NCT ID.
    write_staged(stored, pages_path(root, batch), row_group_size=FRAME_EVERY, statistics=True)
    del stored
    get = dict(fates.get_column("fate").value_counts().iter_rows())
    return (
        get.get(PageFate.PARSED, 0),
        get.get(PageFate.UNCHANGED, 0),
        get.get(PageFate.REJECTED, 0),
        int(fates["extras"].sum()),
    )


class _Parsed:
    """A batch's pages as they are parsed: one fate row per page (FATE_SCHEMA), and the core
    tables' frames, built every FRAME_EVERY pages' worth of text from the records held."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.fates: dict[str, list[object]] = {k: [] for k in FATE_SCHEMA}
        self.parts: dict[str, list[pl.DataFrame]] = {m.__table__.name: [] for m in CORE_TABLES}
        self.records: list[tuple[int, str, str, Record]] = []
        self.held = 0  # text bytes of the records not yet in frames

    def add(
        self, rec: int, path: str, sha256: str, text: str | None, error: str | None, known: str | None, size: int,
        mtime_ns: int,
    ) -> None:  # fmt: skip
        nct_id = last_updated = reason = source_format = None
        stage: RejectedAt | None = None
        extras = 0
        if error is not None or text is None:
            # Stage "extract" names what failed, getting the page's text out of its file, though
            # the parse worker is the process that reads it.
            fate, stage, reason = PageFate.REJECTED, RejectedAt.EXTRACT, error
        elif known == sha256:
            fate = PageFate.UNCHANGED  # touched, not changed: the hash confirms the content
        else:
            try:
                fmt = format_of(path)
                if fmt is None:
                    raise RecordError("file", "name", "no input format reads a file of this name")
                record = fmt.parse(text)
            except RecordError as exc:
                fate, stage, reason = PageFate.REJECTED, RejectedAt.PARSE, str(exc)
            else:
                source_format = record.source_format
                fate, nct_id, last_updated, extras = (
                    PageFate.PARSED,
                    record.nct_id,
                    record.last_updated,
                    len(record.extras),
                )
                self._hold(rec, sha256, path, record, len(text))
        if nct_id is None and text:
            m = _NCT_IN_TEXT.search(text, 0, 4000)
            nct_id = (m[1] or m[2] or m[3]) if m else None
        for key, value in (("batch", self.batch), (REC, rec), ("path", path), ("sha256", sha256), ("nct_id", nct_id),
                           ("last_updated", last_updated), ("fate", fate), ("stage", stage), ("reason", reason),
                           ("extras", extras), ("size", size), ("mtime_ns", mtime_ns),
                           ("source_format", source_format)):  # fmt: skip
            self.fates[key].append(value)

    def _hold(self, rec: int, sha256: str, path: str, record: Record, text_bytes: int) -> None:
        self.records.append((rec, sha256, path, record))
        self.held += text_bytes
        if self.held >= FRAME_EVERY * PAGE_BYTES:
            self._to_frames()

    def _to_frames(self) -> None:
        for name, frame in build_tables(self.records).items():
            self.parts[name].append(frame)
        self.records, self.held = [], 0

    def write_tables(self, root: Path) -> None:
        if self.records or not self.parts["trials"]:  # the rest, or empty frames for a batch with no record
            self._to_frames()
        for name, frames in self.parts.items():
            frame = pl.concat(frames, rechunk=False).with_columns(pl.lit(self.batch, pl.Int32).alias(BATCH))
            write_staged(frame, table_path(root, name, self.batch))
        self.parts.clear()

    def fates_frame(self) -> pl.DataFrame:
        # Last Updated as the date `trials.last_updated` holds (`2025-07` -> `2025-07-01`):
        # duplicates are ranked by it, in this run and against the warehouse's trials.
        fates = pl.DataFrame(self.fates, schema=FATE_SCHEMA)
        return fates.with_columns(last_updated=to_date(pl.col("last_updated")).cast(pl.Utf8))


def _read_batch(plan: Plan) -> dict[str, list]:
    """The batch's pages as Python column lists (PAGE_SCHEMA + known_sha256)."""
    root = Path(plan.source)
    cols: dict[str, list] = {k: [] for k in PAGE_SCHEMA}
    for item in plan.items:
        for page in read_units(root, item, plan.limits):
            for key in PAGE_SCHEMA:
                cols[key].append(getattr(page, key))
    cols["known_sha256"] = [plan.known_sha.get(path) for path in cols["path"]]
    return cols
