"""What each subcommand does (pipelines/cli.py parses). Heavy imports (Dagster, polars, duckdb)
wait inside the commands, so `--help`, `--version` and a bad flag answer at once and the
ingest's early landing scan overlaps them.

A problem the user can fix is one line on stderr, `<command>: <what and what to do>`, exit 1."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.preflight import PathProblem, check_ingest_paths, probe_writable
from staging import settings

if TYPE_CHECKING:  # imported by the commands that need them, not at start-up
    from dagster import DagsterInstance, LoggerDefinition
    from duckdb import DuckDBPyConnection


class CommandFailed(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run(args: argparse.Namespace) -> int:
    handlers = {
        "ingest": ingest,
        "fetch": fetch,
        "sql": sql,
        "search": search,
        "report": report,
    }
    try:
        return handlers[args.command](args)
    except (CommandFailed, PathProblem) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)


def ingest(args: argparse.Namespace) -> int:
    check_ingest_paths(args.source, args.warehouse, args.exports)  # before any work
    from ingest.workers import hand_back_polars_memory

    hand_back_polars_memory()  # before polars is imported
    from ingest.landing import start_scan

    # While Dagster and the data stack import, on one core: see `start_scan`.
    start_scan(args.source, args.workers)
    from pipelines.ingest_run import IngestFailed
    from pipelines.ingest_run import ingest as run_ingest

    try:
        with _display(args.quiet) as logger:
            summary = run_ingest(
                source=args.source,
                warehouse=args.warehouse,
                exports=args.exports,
                wait_seconds=args.wait,
                workers=args.workers,
                batch_size=args.batch_size,
                quiet=args.quiet,
                instance=_instance(),
                logger=logger,
            )
    except IngestFailed as exc:
        raise CommandFailed(str(exc), exc.exit_code) from None
    print(summary.render())
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary.to_dict(), default=str, indent=2))
    return 0


def _instance() -> DagsterInstance:
    from pipelines.ingest_run import project_instance

    return project_instance()


def _display(quiet: bool) -> AbstractContextManager[LoggerDefinition | None]:
    """Live bars on a terminal; otherwise (a pipe, a log file, `--quiet`) Dagster's plain lines."""
    import contextlib

    if quiet or not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from pipelines.progress import LiveProgress

    return LiveProgress().running()


def fetch(args: argparse.Namespace) -> int:
    from ingest.fetch import FetchError, FetchSettings, fetch_studies

    try:
        fetch_settings = replace(FetchSettings.from_env(), base_url=args.url or None)
    except ValueError as exc:
        raise CommandFailed(f"a TRIAL_WAREHOUSE_FETCH_* setting is not a number ({exc})") from None
    if not fetch_settings.base_url:
        raise CommandFailed(
            f"no registry URL set, so nothing is fetched: pass --url https://clinicaltrials.gov "
            f"or set {settings.FETCH_URL_ENV}"
        )
    probe_writable(args.source, f"landing folder {args.source}", "pass --source DIR in a folder you can write")
    cursor = settings.fetch_cursor_path(args.warehouse)
    probe_writable(cursor.parent, f"fetch cursor {cursor}", "pass --warehouse FILE in a folder you can write")
    try:
        result = fetch_studies(
            fetch_settings, args.source, cursor, args.query, lambda line: print(line, file=sys.stderr)
        )
    except FetchError as exc:
        raise CommandFailed(f"{exc} (run fetch again to resume from there)") from None
    print(f"fetched {result.studies:,} studies in {len(result.files):,} pages into {result.folder}")
    return 0


def _open_warehouse(path: Path) -> DuckDBPyConnection:
    """A read-only connection, or one line saying why not (missing, another DuckDB version, locked)."""
    import duckdb

    from warehouse.store import WarehouseVersionError, connect

    if not path.is_file():
        raise CommandFailed(f"no warehouse at {path}: run `python -m pipelines ingest` first, or pass --warehouse FILE")
    try:
        return connect(path, read_only=True)
    except WarehouseVersionError as exc:
        raise CommandFailed(str(exc)) from None
    except duckdb.Error as exc:
        raise CommandFailed(f"cannot open {path}: {str(exc).splitlines()[0]}") from None


def sql(args: argparse.Namespace) -> int:
    from warehouse.shell import open_shell
    from warehouse.store import WarehouseVersionError

    try:
        return open_shell(args.warehouse, args.statement)
    except (WarehouseVersionError, FileNotFoundError, RuntimeError) as exc:
        raise CommandFailed(str(exc)) from None


def search(args: argparse.Namespace) -> int:
    from warehouse.search import has_search_index
    from warehouse.search import search as search_trials

    with _open_warehouse(args.warehouse) as con:
        if not has_search_index(con):
            raise CommandFailed(f"{args.warehouse} has no search index yet: run `python -m pipelines ingest` first")
        hits = search_trials(con, args.term, args.limit)
    if not hits:
        print(f"no trials match {args.term!r}", file=sys.stderr)
        return 0
    for rank, hit in enumerate(hits, 1):
        print(f"{rank:>3}. {hit.nct_id}  {hit.score:.2f}  {hit.title}")
        print(f"     {hit.matched_in}: {_clip(hit.matching_text)}")
    return 0


def _clip(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def report(args: argparse.Namespace) -> int:
    from report.write import write_report

    out = args.out or Path(settings.default_report() or args.exports.with_name("report.html"))
    probe_writable(out.parent, f"report {out}", "pass --out FILE in a folder you can write")
    started = time.perf_counter()
    with _open_warehouse(args.warehouse) as con:
        summary = write_report(con, out)
    empty = f", {len(summary.empty)} without data ({', '.join(summary.empty)})" if summary.empty else ""
    print(
        f"wrote {summary.path} ({summary.bytes / 1e6:.1f} MB, {len(summary.charts)} charts{empty}, "
        f"{summary.trials:,} trials) in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    print(summary.path)
    return 0
