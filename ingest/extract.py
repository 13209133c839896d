"""Extract: the landing folder -> the files to read, in batches.

A file whose size and mtime match what the warehouse knows (`Known`) is not read at all; the
others are cut into batches by bytes (`ingest.batching`) and each gets a work order that a
parse worker reads (`staging.plan`). Nothing here reads a page's bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.batching import batch_bounds
from ingest.landing import scan_columns
from staging.layout import KNOWN_SCHEMA, OWNER, plan_path, scanned_path
from staging.manifest import ExtractManifest, RunInfo
from staging.plan import ARCHIVE_SEPARATOR, ARCHIVE_SUFFIXES, LandingFile, Plan
from staging.settings import Settings


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


def extract(source: Path, known: Known, staging: Path, settings: Settings, run_id: str) -> ExtractManifest:
    """The landing folder -> the files to read (new, or changed by size or mtime), cut into
    batches, one work order (`staging.plan.Plan`) each."""
    started = time.perf_counter()
    run = RunInfo(run_id=run_id, started_at=dt.datetime.now(dt.UTC), staging=staging, source=source)
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
        plan = Plan(
            str(source), chunk, _hashes_for(chunk, known_sha), settings.limits, run_id, run.started_at.isoformat()
        )
        plan.write(plan_path(staging, batch))
    return ExtractManifest(
        run=run,
        batches=list(range(len(bounds))),
        files_seen=scanned.height,
        files_read=read.height,
        files_unchanged=scanned.height - read.height,
        pages_unchanged=known.pages_in(scanned.filter(skipped)),
        unreadable=int(unreadable),
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
