"""The batch stages between the landing folder and the warehouse load, as plain functions.

extract:  landing folder -> the files to read (new, or changed by size or mtime), in batches
parse:    each batch read, hashed and decoded, its pages staged (they become the raw store)
          and parsed into core-table frames + one outcome row per page. Reading and parsing
          are one pass so page text does not go to disk and back between two stages.
validate: staged frames -> final outcome per page (load / duplicate / rejected)

Parse and validate work batch by batch in worker processes and write parquet under the run's
staging folder (extract writes one small JSON plan per batch), so memory stays bounded by the
batch size, not the corpus, and the Dagster assets pass only small manifests between them.
Validate also writes, for a batch that lost rows, the rows left to load (`rows_to_load`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from itertools import repeat
from pathlib import Path

import polars as pl

from ingest.batching import DEFAULT_BATCH_SIZE, PAGE_BYTES, batch_bounds
from ingest.landing import ARCHIVE_SEPARATOR, ARCHIVE_SUFFIXES, LandingFile, Limits, read_landing_item, scan_columns
from ingest.tables import REC, build_tables, to_date
from ingest.validate import validate_batch
from ingest.workers import process_pool, without_gc
from recordpage import Record, RecordError, parse_page
from schemas import CORE_TABLES
from warehouse import raw_files

Progress = Callable[[str, int, int], None]  # (stage, done, total)
_NCT_IN_TEXT = re.compile(r"^NCT ID:\s*(NCT\d{8})\s*$", re.M)

PAGE_SCHEMA = {
    "path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.Utf8, "text": pl.Utf8,
    "encoding": pl.Utf8, "raw": pl.Binary, "error": pl.Utf8,
}  # fmt: skip
OUTCOME_SCHEMA = {
    "batch": pl.Int32, REC: pl.Int32, "path": pl.Utf8, "sha256": pl.Utf8, "nct_id": pl.Utf8,
    "last_updated": pl.Utf8, "outcome": pl.Utf8, "stage": pl.Utf8, "reason": pl.Utf8, "extras": pl.Int32,
    "size": pl.Int64, "mtime_ns": pl.Int64,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Settings:
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int = max(1, os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)


@dataclass(slots=True)
class ExtractResult:
    staging: str
    run_id: str
    started_at: str  # ISO, UTC: also the first_seen / last_seen of every page this run reads
    batches: list[int]
    files_seen: int
    files_read: int
    files_unchanged: int  # same size and mtime as the last run: not read at all
    pages_unchanged: int  # the pages those files hold (an archive holds several)
    unreadable: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


KNOWN_SCHEMA = {"path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.Utf8}


@dataclass(frozen=True, slots=True)
class Known:
    """What the warehouse already holds about landing files (`landing_files`), to decide what
    to read. A frame, not a dictionary: at 580,000 files the comparison is one polars join."""

    files: pl.DataFrame  # KNOWN_SCHEMA

    @classmethod
    def nothing(cls) -> Known:
        return cls(pl.DataFrame(schema=KNOWN_SCHEMA))

    def compare(self, scanned: pl.DataFrame) -> tuple[list[bool], dict[str, str]]:
        """-> (per scanned file: unchanged by size and mtime, so not read at all; the known
        sha256 of each page in the files to read, archive members included), so a worker can
        tell a touched page from a changed one without the whole table."""
        joined = scanned.join(self.files, on="path", how="left", suffix="_known", maintain_order="left")
        unchanged = (
            (pl.col("size") == pl.col("size_known")) & (pl.col("mtime_ns") == pl.col("mtime_ns_known"))
        ).fill_null(False)
        joined = joined.with_columns(unchanged=unchanged)
        hashes = dict(
            joined.filter(~pl.col("unchanged") & pl.col("sha256").is_not_null()).select("path", "sha256").iter_rows()
        )
        archives = joined.filter(~pl.col("unchanged") & pl.col("is_archive")).get_column("path")
        if archives.len():
            hashes.update(self._members_of(archives).select("path", "sha256").iter_rows())
        return joined.get_column("unchanged").to_list(), hashes

    def pages_in(self, files: pl.DataFrame) -> int:
        """The pages these scanned files hold, as last read: one per page file, and an
        archive's members (a 3-page zip skipped as unchanged is 3 unchanged pages)."""
        archives = files.filter(pl.col("is_archive")).get_column("path")
        plain = files.height - archives.len()
        return plain + (self._members_of(archives).height if archives.len() else 0)

    def _members_of(self, archives: pl.Series) -> pl.DataFrame:
        """The known pages inside these archives (`<archive>::<member>`, with a hash)."""
        members = self.files.filter(pl.col("path").str.contains(ARCHIVE_SEPARATOR, literal=True))
        prefix = members.get_column("path").str.split(ARCHIVE_SEPARATOR).list.first()
        return members.filter(prefix.is_in(archives.implode()) & pl.col("sha256").is_not_null())


OWNER = "owner.pid"  # the process that stages here; a folder whose owner is gone is abandoned


def remove_abandoned_staging(root: Path) -> None:
    """Delete staging folders left by runs that died (kill -9, power loss): their owner process
    no longer exists. Folders of runs still in progress are left alone."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        try:
            pid = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            pid = None
        if pid is not None and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def scanned_path(staging: Path) -> Path:
    """Every file the scan found (read or not), for the load to mark as seen."""
    return staging / "scanned.parquet"


def pages_path(staging: Path, batch: int) -> Path:
    """A batch's pages, staged in the raw store's layout (`warehouse.raw_files`): the load
    moves the file into the raw store as it is."""
    return staging / "pages" / raw_files.file_name(batch)


def table_path(staging: Path, table: str, batch: int) -> Path:
    return staging / "tables" / table / f"b{batch:06d}.parquet"


def rows_to_load_path(staging: Path, table: str, batch: int) -> Path:
    """A batch's rows that reach the warehouse: the parsed rows less those of records that
    failed validation or lost to a duplicate. Validate writes this file only for a batch that
    lost rows; otherwise the parsed file is it (see `rows_to_load`)."""
    return staging / "to_load" / table / f"b{batch:06d}.parquet"


def rows_to_load(staging: Path, table: str, batch: int) -> Path:
    """The file the load inserts for a batch: validate's reduced copy, or the parsed rows."""
    reduced = rows_to_load_path(staging, table, batch)
    return reduced if reduced.exists() else table_path(staging, table, batch)


def outcome_path(staging: Path, batch: int) -> Path:
    return staging / "outcomes" / f"b{batch:06d}.parquet"


def final_path(staging: Path, batch: int) -> Path:
    """Outcomes after validation: the load reads these (validate never rewrites its input)."""
    return staging / "final" / f"b{batch:06d}.parquet"


def _run_batches(fn: Callable, args: list[tuple], settings: Settings, stage: str, progress: Progress | None) -> list:
    """fn(*a) for every a, in worker processes when worthwhile; results in input order."""
    results: list = []
    pool = process_pool(settings.workers, len(args))
    try:
        mapped: Iterable = (
            pool.map(without_gc, repeat(fn), *zip(*args, strict=True))
            if pool and args
            else (without_gc(fn, *a) for a in args)
        )
        for done, result in enumerate(mapped, 1):
            results.append(result)
            if progress:
                progress(stage, done, len(args))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return results


# --- extract -----------------------------------------------------------------------------


def extract(source: Path, known: Known, staging: Path, settings: Settings, run_id: str) -> ExtractResult:
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat()
    if not source.is_dir():
        raise FileNotFoundError(f"landing folder {source} does not exist or is not a folder")
    staging.mkdir(parents=True, exist_ok=True)
    (staging / OWNER).write_text(str(os.getpid()))
    remove_abandoned_staging(staging.parent)
    scanned = scanned_frame(source, settings.workers)
    scanned.write_parquet(scanned_path(staging))
    unchanged, known_sha = known.compare(scanned)
    skipped = pl.Series(unchanged, dtype=pl.Boolean)
    read = scanned.filter(~skipped)
    unreadable = scanned.get_column("error").is_not_null().sum()
    # Objects only for one batch at a time: a list of every file to read (580,000 objects in a
    # first run) took extract's own peak from 271 to 297 MiB.
    bounds = batch_bounds(
        read.get_column("size").to_list(), read.get_column("is_archive").to_list(), settings.batch_size
    )
    for batch, (start, end) in enumerate(bounds):
        rows = read.slice(start, end - start).select("path", "size", "mtime_ns", "error").iter_rows()
        chunk = [LandingFile(*row) for row in rows]
        plan = _Plan(str(source), chunk, _hashes_for(chunk, known_sha), settings.limits, run_id, started_at)
        plan.write(plan_path(staging, batch))
    return ExtractResult(
        staging=str(staging),
        run_id=run_id,
        started_at=started_at,
        batches=list(range(len(bounds))),
        files_seen=scanned.height,
        files_read=read.height,
        files_unchanged=scanned.height - read.height,
        pages_unchanged=known.pages_in(scanned.filter(skipped)),
        unreadable=unreadable,
        seconds=time.perf_counter() - started,
    )


def scanned_frame(source: Path, workers: int) -> pl.DataFrame:
    """The scan as a frame in path order, built from its column lists without an object per file."""
    cols = scan_columns(source, workers)
    frame = pl.DataFrame(cols, schema={"path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "error": pl.Utf8})
    lower = pl.col("path").str.to_lowercase()  # the rule of `LandingFile.is_archive`
    is_archive = pl.any_horizontal(lower.str.ends_with(suffix) for suffix in ARCHIVE_SUFFIXES)
    return frame.sort("path").with_columns(is_archive=is_archive)


def _hashes_for(items: list[LandingFile], known_sha: dict[str, str]) -> dict[str, str]:
    """The known hashes a batch needs: its files' and, for an archive, its members'."""
    if not any(item.is_archive for item in items):
        return {item.path: known_sha[item.path] for item in items if item.path in known_sha}
    paths = {item.path for item in items}
    return {p: sha for p, sha in known_sha.items() if p in paths or p.split(ARCHIVE_SEPARATOR, 1)[0] in paths}


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one batch reads: written by extract, read by a parse worker. Plain JSON, so a
    staged run can be inspected and a retried step does not depend on pickled classes."""

    source: str
    items: list[LandingFile]
    known_sha: dict[str, str]  # path -> sha256 the warehouse holds, for the items' pages
    limits: Limits
    run_id: str  # with the batch, names the raw store file: `<run_id>/<file>`
    read_at: str  # ISO: the pages' first_seen and last_seen in that file

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        plan = asdict(self)
        plan["items"] = [[i.path, i.size, i.mtime_ns, i.error] for i in self.items]
        path.write_text(json.dumps(plan))

    @classmethod
    def read(cls, path: Path) -> _Plan:
        plan = json.loads(path.read_text())
        plan["items"] = [LandingFile(*item) for item in plan["items"]]
        plan["limits"] = Limits(**plan["limits"])
        return cls(**plan)


def plan_path(staging: Path, batch: int) -> Path:
    return staging / "plan" / f"b{batch:06d}.json"


def _read_batch(plan: _Plan) -> dict[str, list]:
    """The batch's pages as Python column lists (PAGE_SCHEMA + known_sha256)."""
    root = Path(plan.source)
    cols: dict[str, list] = {k: [] for k in PAGE_SCHEMA}
    for item in plan.items:
        for page in read_landing_item(root, item, plan.limits):
            for key in PAGE_SCHEMA:
                cols[key].append(getattr(page, key))
    cols["known_sha256"] = [plan.known_sha.get(path) for path in cols["path"]]
    return cols


def _write(frame: pl.DataFrame, path: Path, row_group_size: int | None = None, statistics: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # zstd level 1 writes as fast as lz4 here (the cost is building the pages, not compressing
    # them) at 60% of the bytes, and the page batches become the raw store.
    frame.write_parquet(
        path, compression="zstd", compression_level=1, statistics=statistics, row_group_size=row_group_size
    )


# --- parse -------------------------------------------------------------------------------


@dataclass(slots=True)
class ParseResult:
    staging: str
    batches: list[int]
    pages: int
    parsed: int
    unchanged: int
    rejected: int
    extra_sections: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def parse(extracted: ExtractResult, settings: Settings, progress: Progress | None = None) -> ParseResult:
    started = time.perf_counter()
    staging = Path(extracted.staging)
    args = [(str(staging), batch) for batch in extracted.batches]
    counts = _run_batches(_parse_batch, args, settings, "parse", progress)
    totals = [sum(c[k] for c in counts) for k in range(4)] if counts else [0, 0, 0, 0]
    return ParseResult(
        staging=str(staging),
        batches=extracted.batches,
        pages=sum(totals[:3]),
        parsed=totals[0],
        unchanged=totals[1],
        rejected=totals[2],
        extra_sections=totals[3],
        seconds=time.perf_counter() - started,
    )


# Parsed records become frames every this many pages' worth of text. A parsed page's objects
# (lines, dataclasses, tuples) take about twice the page's bytes and several times its columns
# in a frame; holding a whole batch of them made two-fifths of a parse worker's peak (a
# 10,000-page batch: 163 MiB of records, then 97 MiB more while its frames were built).
FRAME_EVERY = 1_000


def _parse_batch(staging: str, batch: int) -> tuple[int, int, int, int]:
    root = Path(staging)
    plan = _Plan.read(plan_path(root, batch))
    pages = _read_batch(plan)
    out: dict[str, list] = {k: [] for k in OUTCOME_SCHEMA}
    records: list[tuple[int, str, str, Record]] = []
    held = 0  # text bytes of the records not yet in frames
    parts: dict[str, list[pl.DataFrame]] = {m.__table__.name: [] for m in CORE_TABLES}
    rows = zip(pages["path"], pages["sha256"], pages["text"], pages["error"], pages["known_sha256"], pages["size"],
               pages["mtime_ns"], strict=True)  # fmt: skip
    for rec, (path, sha256, text, error, known_sha256, size, mtime_ns) in enumerate(rows):
        nct_id = last_updated = reason = stage = None
        extras = 0
        if error is not None:
            # Stage "extract" names what failed, getting the page's text out of its file, though
            # the parse worker is the process that reads it.
            outcome, stage, reason = "rejected", "extract", error
        elif known_sha256 == sha256:
            outcome = "unchanged"  # touched, not changed: the hash confirms the content
        else:
            try:
                record = parse_page(text)
            except RecordError as exc:
                outcome, stage, reason = "rejected", "parse", str(exc)
            else:
                outcome, nct_id, last_updated, extras = "parsed", record.nct_id, record.last_updated, len(record.extras)
                records.append((rec, sha256, path, record))
                held += len(text)
                if held >= FRAME_EVERY * PAGE_BYTES:
                    _add_frames(parts, records)
                    records, held = [], 0
        if nct_id is None and text:
            m = _NCT_IN_TEXT.search(text, 0, 2000)
            nct_id = m[1] if m else None
        for key, value in (("batch", batch), (REC, rec), ("path", path), ("sha256", sha256), ("nct_id", nct_id),
                           ("last_updated", last_updated), ("outcome", outcome), ("stage", stage), ("reason", reason),
                           ("extras", extras), ("size", size), ("mtime_ns", mtime_ns)):  # fmt: skip
            out[key].append(value)
    if records or not parts["trials"]:  # the rest, or empty frames for a batch with no record
        _add_frames(parts, records)
    for name, frames in parts.items():
        frame = pl.concat(frames, rechunk=False)
        _write(frame.with_columns(_batch=pl.lit(batch, pl.Int32)), table_path(root, name, batch))
    del parts, frames, frame, records, rows  # `rows` holds the page lists too
    # Last Updated as the date `trials.last_updated` holds (`2025-07` -> `2025-07-01`):
    # duplicates are ranked by it, in this run and against the warehouse's trials.
    outcomes = pl.DataFrame(out, schema=OUTCOME_SCHEMA).with_columns(
        last_updated=to_date(pl.col("last_updated")).cast(pl.Utf8)
    )
    _write(outcomes, outcome_path(root, batch))
    # Written last, when it needs the pages' NCT IDs, and once the table frames are gone: the
    # worker then holds the page text twice (lists and frame), as it did before parsing.
    frame = pl.DataFrame(pages, schema={**PAGE_SCHEMA, "known_sha256": pl.Utf8})
    del pages
    stored = raw_files.records(frame, outcomes.get_column("nct_id"), plan.run_id, batch, plan.read_at)
    del frame
    # Row groups of 1,000 pages: the writer holds a row group encoded, and a 10,000-page batch's
    # pages in one took the worker 101 MiB higher, against 53 MiB.
    # With min/max statistics, as DuckDB writes the export's other parts: the file is one of
    # them, and readers skip row groups by path or NCT ID (no slower to write: 0.11 s either way).
    _write(stored, pages_path(root, batch), row_group_size=FRAME_EVERY, statistics=True)
    del stored
    counts = outcomes.get_column("outcome").value_counts()
    get = dict(counts.iter_rows())
    return get.get("parsed", 0), get.get("unchanged", 0), get.get("rejected", 0), int(outcomes["extras"].sum())


def _add_frames(parts: dict[str, list[pl.DataFrame]], records: list[tuple[int, str, str, Record]]) -> None:
    for name, frame in build_tables(records).items():
        parts[name].append(frame)


# --- validate ----------------------------------------------------------------------------


@dataclass(slots=True)
class ValidateResult:
    staging: str
    batches: list[int]
    to_load: int
    duplicates: int
    rejected: int  # in this stage; parse/extract rejections are counted by ParseResult
    seconds: float
    reasons: list[str]  # a sample, for the run summary

    def to_dict(self) -> dict:
        return asdict(self)


def validate(parsed: ParseResult, settings: Settings, progress: Progress | None = None) -> ValidateResult:
    started = time.perf_counter()
    staging = Path(parsed.staging)
    invalid: dict[tuple[int, int], str] = {}  # (batch, rec) -> why it failed validation
    while True:
        losers = _duplicate_losers(staging, parsed.batches, set(invalid))
        args = [
            (str(staging), batch, losers.get(batch, {}), {r: why for (b, r), why in invalid.items() if b == batch})
            for batch in parsed.batches
        ]
        results = _run_batches(_validate_batch, args, settings, "validate", progress)
        # A duplicate's winner that fails validation must not cost the trial its valid older
        # page: pick the winners again without it (rare, so a second pass is affordable).
        failed = {
            (batch, rec): why for batch, r in zip(parsed.batches, results, strict=True) for rec, why in r[4].items()
        }
        if not losers or failed.keys() <= invalid.keys():
            break
        invalid |= failed
    return ValidateResult(
        staging=str(staging),
        batches=parsed.batches,
        to_load=sum(r[0] for r in results),
        duplicates=sum(r[1] for r in results),
        rejected=sum(r[2] for r in results),
        seconds=time.perf_counter() - started,
        reasons=[reason for r in results for reason in r[3]][:50],
    )


def _duplicate_losers(
    staging: Path, batches: list[int], invalid: set[tuple[int, int]] | None = None
) -> dict[int, dict[int, str]]:
    """Two pages with one NCT ID in a run: the later `Last Updated` wins, then the later path;
    pages known to fail validation (`invalid`, as (batch, rec)) cannot win.
    -> {batch: {rec: path of the winner}} for the losers, which are kept as versions only."""
    if not batches:
        return {}
    outcomes = pl.scan_parquet([outcome_path(staging, b) for b in batches])
    parsed = outcomes.filter(pl.col("outcome") == "parsed").select("batch", REC, "nct_id", "last_updated", "path")
    if invalid:
        bad = pl.DataFrame(list(invalid), schema={"batch": pl.Int32, REC: pl.Int32}, orient="row").lazy()
        parsed = parsed.join(bad, on=["batch", REC], how="anti")
    ranked = parsed.with_columns(
        winner_path=pl.col("path").sort_by(["last_updated", "path"], nulls_last=False).last().over("nct_id"),
        n=pl.len().over("nct_id"),
    ).filter((pl.col("n") > 1) & (pl.col("path") != pl.col("winner_path")))
    losers: dict[int, dict[int, str]] = {}
    for batch, rec, winner in ranked.select("batch", REC, "winner_path").collect().iter_rows():
        losers.setdefault(batch, {})[rec] = winner
    return losers


def _validate_batch(
    staging: str, batch: int, losers: dict[int, str], invalid: dict[int, str]
) -> tuple[int, int, int, list[str], dict[int, str]]:
    root = Path(staging)
    frames = {
        m.__table__.name: pl.read_parquet(table_path(root, m.__table__.name, batch)).drop("_batch") for m in CORE_TABLES
    }
    if invalid:
        frames = {k: v.filter(~pl.col(REC).is_in(list(invalid))) for k, v in frames.items()}
    winners = {k: v.filter(~pl.col(REC).is_in(list(losers))) for k, v in frames.items()} if losers else frames
    failures = validate_batch(winners)
    # Losers are validated too: an invalid page is quarantined, never kept as a version, even
    # beside a newer copy. Apart from the winners, whose keys they share (one NCT ID).
    failures.update(_loser_failures(frames, losers))
    failures.update({rec: [why] for rec, why in invalid.items()})
    removed = [*failures, *losers]
    for name, frame in frames.items():
        # The load then inserts whole files without a join: DuckDB keeps rows that arrive in
        # file order in its freshly written row groups, while joined rows made it rewrite them
        # all at COMMIT (~13 s of a 580,000-page load).
        reduced = rows_to_load_path(root, name, batch)
        if removed:
            _write(frame.filter(~pl.col(REC).is_in(removed)).with_columns(_batch=pl.lit(batch, pl.Int32)), reduced)
        else:
            reduced.unlink(missing_ok=True)  # a second pass may find nothing left to remove
    outcomes = pl.read_parquet(outcome_path(root, batch))
    reasons = {rec: "; ".join(dict.fromkeys(msgs)) for rec, msgs in failures.items()}
    duplicate_note = {
        rec: f"duplicate NCT ID: superseded by {path}" for rec, path in losers.items() if rec not in reasons
    }
    update = pl.DataFrame(
        {
            REC: list(reasons) + list(duplicate_note),
            "new_outcome": ["rejected"] * len(reasons) + ["duplicate"] * len(duplicate_note),
            "new_reason": list(reasons.values()) + list(duplicate_note.values()),
        },
        schema={REC: pl.Int32, "new_outcome": pl.Utf8, "new_reason": pl.Utf8},
    )
    outcomes = (
        outcomes.join(update, on=REC, how="left")
        .with_columns(
            outcome=pl.when(pl.col("new_outcome").is_not_null() & (pl.col("outcome") == "parsed"))
            .then(pl.col("new_outcome"))
            .otherwise(pl.col("outcome")),
            stage=pl.when(pl.col("new_outcome") == "rejected").then(pl.lit("validate")).otherwise(pl.col("stage")),
            reason=pl.coalesce("new_reason", "reason"),
        )
        .with_columns(outcome=pl.when(pl.col("outcome") == "parsed").then(pl.lit("load")).otherwise(pl.col("outcome")))
        .drop("new_outcome", "new_reason")
    )
    _write(outcomes, final_path(root, batch))
    get = dict(outcomes.get_column("outcome").value_counts().iter_rows())
    sample = [
        f"{p}: {r}" for p, r in outcomes.filter(pl.col("stage") == "validate").select("path", "reason").iter_rows()
    ]
    return get.get("load", 0), get.get("duplicate", 0), len(reasons), sample[:10], reasons


def _loser_failures(frames: dict[str, pl.DataFrame], losers: dict[int, str]) -> dict[int, list[str]]:
    """Validation failures of the duplicate losers, checked in layers with one page per NCT ID
    each (the first loser of every trial, then the second, ...), so copies of one trial do
    not break each other's keys. Usually one layer: most trials have at most one loser."""
    if not losers:
        return {}
    trials = frames["trials"].filter(pl.col(REC).is_in(list(losers)))
    layered = trials.select(REC, layer=pl.int_range(pl.len()).over("nct_id"))
    failures: dict[int, list[str]] = {}
    for _, recs in layered.group_by("layer"):
        keep = recs.get_column(REC).implode()
        failures.update(validate_batch({k: v.filter(pl.col(REC).is_in(keep)) for k, v in frames.items()}))
    return failures


def summary_json_dict(extract: dict, parse: dict, validate: dict) -> str:
    """The stage manifests as one JSON document for `ingest_runs.summary_json`."""
    strip = ("extract", "parse", "batches", "staging")
    return json.dumps(
        {name: {k: v for k, v in part.items() if k not in strip} for name, part in
         (("extract", extract), ("parse", parse), ("validate", validate))},
        default=str,
    )  # fmt: skip
