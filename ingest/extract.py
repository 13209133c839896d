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
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ingest.batching import batch_bounds
from ingest.landing import scan_columns
from staging.layout import KNOWN_SCHEMA, OWNER, plan_path, scanned_path
from staging.manifest import ExtractManifest, RunInfo
from staging.plan import ARCHIVE_SEPARATOR, ARCHIVE_SUFFIXES, LandingFile, Plan
from staging.settings import PAGE_BYTES, Settings


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
        to_read = joined.filter(~pl.col("unchanged"))
        hashes = dict(to_read.filter(pl.col("sha256").is_not_null()).select("path", "sha256").iter_rows())
        # Archives and multi-study files (a JSON array) hold their pages as `<file>::<member>`.
        hashes.update(self._members_of(to_read.get_column("path")).select("path", "sha256").iter_rows())
        return joined.get_column("unchanged").to_list(), hashes

    def pages_in(self, files: pl.DataFrame) -> int:
        """The pages these scanned files hold, as last read: one per page file, and the
        members of an archive or a multi-study file (a 3-page zip skipped as unchanged is 3)."""
        members = self._members_of(files.get_column("path"))
        holders = members.get_column("path").str.split(ARCHIVE_SEPARATOR).list.first().n_unique()
        return files.height - holders + members.height

    def _members_of(self, files: pl.Series) -> pl.DataFrame:
        """The known pages inside these files (`<archive>::<member>`, `<file.json>::<NCT ID>`), with a hash."""
        members = self.files.filter(pl.col("path").str.contains(ARCHIVE_SEPARATOR, literal=True))
        prefix = members.get_column("path").str.split(ARCHIVE_SEPARATOR).list.first()
        return members.filter(prefix.is_in(files.implode()) & pl.col("sha256").is_not_null())


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
    scanned, ignored = scanned_frame(source, settings.workers)
    scanned.write_parquet(scanned_path(staging))
    unchanged, known_sha = known.compare(scanned)
    members = _members_by_file(known_sha)
    skipped = pl.Series(unchanged, dtype=pl.Boolean)
    read = scanned.filter(~skipped)
    unreadable = scanned.get_column("error").is_not_null().sum()
    # A zip bigger than a batch (the registry's bulk download) is read member by member in
    # batches of its own, so no worker holds more than a batch of it.
    big = read.get_column("path").str.to_lowercase().str.ends_with(".zip") & (
        read.get_column("size") > settings.batch_size * PAGE_BYTES // 4
    )
    batch = 0
    # Objects only for one batch at a time: a list of every file to read raised extract's own
    # peak at registry scale.
    small = read.filter(~big)
    bounds = batch_bounds(
        small.get_column("size").to_list(), small.get_column("is_archive").to_list(), settings.batch_size
    )
    for start, end in bounds:
        rows = small.slice(start, end - start).select("path", "size", "mtime_ns", "error").iter_rows()
        _write_plan(run, [LandingFile(*row) for row in rows], known_sha, members, settings, batch)
        batch += 1
    for row in read.filter(big).select("path", "size", "mtime_ns", "error").iter_rows():
        item = LandingFile(*row)
        known_members = members.get(item.path, {})
        for chunk, names in zip_member_chunks(source, item, settings.batch_size * PAGE_BYTES):
            # Only this range's known hashes: all of a re-downloaded bulk zip's in every plan
            # would be 580,000 hashes written per batch. (Repeated names are labelled `name#2`
            # by the worker: then every known hash goes.)
            own = known_members
            if chunk.members and len(chunk.members) == 4:
                prefix = f"{item.path}{ARCHIVE_SEPARATOR}"
                own = {p: known_members[p] for name in names if (p := prefix + name) in known_members}
            _write_plan(run, [chunk], known_sha, {item.path: own}, settings, batch)
            batch += 1
    return ExtractManifest(
        run=run,
        batches=list(range(batch)),
        files_seen=scanned.height,
        files_read=read.height,
        files_unchanged=scanned.height - read.height,
        pages_unchanged=known.pages_in(scanned.filter(skipped)),
        unreadable=int(unreadable),
        seconds=time.perf_counter() - started,
        files_ignored=len(ignored),
        ignored_sample=sorted(ignored)[:IGNORED_SAMPLE],
    )


IGNORED_SAMPLE = 20  # files no format reads, named in the run summary (all are counted)


def scanned_frame(source: Path, workers: int) -> tuple[pl.DataFrame, list[str]]:
    """The scan as a frame in path order, built from its column lists without an object per
    file; and the files no format reads."""
    cols = scan_columns(source, workers)
    ignored = cols.pop("ignored")
    frame = pl.DataFrame(cols, schema={"path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "error": pl.Utf8})
    lower = pl.col("path").str.to_lowercase()  # the rule of `LandingFile.is_archive`
    is_archive = pl.any_horizontal(lower.str.ends_with(suffix) for suffix in ARCHIVE_SUFFIXES)
    return frame.sort("path").with_columns(is_archive=is_archive), ignored


def _write_plan(
    run: RunInfo,
    items: list[LandingFile],
    known_sha: dict[str, str],
    members: dict[str, dict[str, str]],
    settings: Settings,
    batch: int,
) -> None:
    plan = Plan(str(run.source), items, _hashes_for(items, known_sha, members), settings.limits, run.run_id,
                run.started_at.isoformat())  # fmt: skip
    plan.write(plan_path(run.staging, batch))


def zip_member_chunks(source: Path, item: LandingFile, limit: int) -> list[tuple[LandingFile, list[str]]]:
    """A big zip as ranges of its members of about `limit` inflated bytes each (read from its
    central directory, nothing inflated), with the member names of each range; the whole zip
    when it cannot be listed (the worker then says why).

    When no name repeats, a range also carries the bytes of its entries in the central
    directory, so a worker parses those alone (`ingest.landing`): parsing all of it for every
    range grew as members x ranges (bench/RESULTS.md, "Formats (issue 16)")."""
    try:
        with zipfile.ZipFile(source / item.path) as zf:
            infos = zf.infolist()
            offset = zf.start_dir
    except (OSError, zipfile.BadZipFile, EOFError):
        return [(item, [])]
    names = [info.filename for info in infos]
    unique = len(set(names)) == len(names)
    chunks: list[tuple[LandingFile, list[str]]] = []
    start = weight = 0
    begin = offset  # where the range's first entry starts in the central directory
    for i, info in enumerate(infos):
        weight += max(info.file_size, PAGE_BYTES // 2)
        offset += _central_entry_size(info)
        if weight >= limit or i == len(infos) - 1:
            members = (start, i + 1, begin, offset) if unique else (start, i + 1)
            chunks.append((replace(item, members=members), names[start : i + 1]))
            start, weight, begin = i + 1, 0, offset
    return chunks or [(item, [])]


def _central_entry_size(info: zipfile.ZipInfo) -> int:
    """Bytes of the member's entry in the central directory: 46 fixed, then name, extra, comment."""
    name = info.orig_filename
    # An ASCII name is as many bytes as characters, in either encoding.
    size = len(name) if name.isascii() else len(name.encode("utf-8" if info.flag_bits & 0x800 else "cp437"))
    return 46 + size + len(info.extra) + len(info.comment)


def _members_by_file(known_sha: dict[str, str]) -> dict[str, dict[str, str]]:
    """The known hashes of members (`<file>::<member>`), grouped by the file holding them."""
    grouped: dict[str, dict[str, str]] = {}
    for path, sha in known_sha.items():
        if ARCHIVE_SEPARATOR in path:
            grouped.setdefault(path.split(ARCHIVE_SEPARATOR, 1)[0], {})[path] = sha
    return grouped


def _hashes_for(
    items: list[LandingFile], known_sha: dict[str, str], members: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The known hashes a batch needs: its files' and their members' (archives, JSON arrays)."""
    hashes = {item.path: known_sha[item.path] for item in items if item.path in known_sha}
    for item in items:
        hashes.update(members.get(item.path, {}))
    return hashes
