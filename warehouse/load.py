"""Staged batches -> the warehouse, in one transaction.

Rows reach DuckDB here: DuckDB reads the staged parquet itself (no Python row loops), the
trials that changed are deleted from every core table and re-inserted, lineage tables are
updated, and the run is recorded. Either all of it commits or none of it does. `load` wraps
the transaction and the raw store's files; `_load_steps` lists the steps, each a function
of a `LoadContext` that a test can call on its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from schemas import CORE_TABLES, WarehouseTable
from schemas.core import Trials
from schemas.lineage import SourceRecords
from staging.fate import PageFate, format_rank_sql
from staging.layout import FATE_SCHEMA, final_fates_path, pages_path, rows_to_load, scanned_path, table_path
from staging.manifest import RunInfo, ValidateManifest
from warehouse import search
from warehouse.ddl import columns, duckdb_type, source_records_view
from warehouse.store import one_row, scalar, threads

LOAD, DUPLICATE, REJECTED, UNCHANGED = PageFate.LOAD, PageFate.DUPLICATE, PageFate.REJECTED, PageFate.UNCHANGED


class StepLog(Protocol):
    """Where the load says which step it is on: Dagster's `context.log`, or a `logging.Logger`."""

    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...


_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class LoadResult:
    run_id: str
    trials_loaded: int
    pages_new: int
    pages_changed: int
    pages_unchanged: int
    pages_rejected: int
    pages_duplicate: int
    pages_read: int
    rows: dict[str, int]
    core_changed: list[str]  # core tables whose rows this run changed (the export rewrites only those)
    rejections_resolved: int
    duplicates: list[str]  # "NCT...: kept <path>, version only <path>"
    rejections: list[str]  # "<path>: <reason>", for the summary
    seconds: float = 0.0  # the load's transaction, without the search index refresh after it
    search: str = ""  # what the search index refresh after the commit did, or why the index is stale
    search_seconds: float = 0.0
    search_stale: bool = False


@dataclass(slots=True)
class LoadContext:
    """What every step of one load works on: the open transaction and the staged run."""

    con: duckdb.DuckDBPyConnection
    run: RunInfo
    batches: list[int]
    raw_root: Path
    raw_files: list[Path]  # the run's staged pages, moved into the raw store
    now: dt.datetime
    log: StepLog = field(default=_LOGGER)
    superseded: int = 0  # this run's pages that lost to a newer page the warehouse holds
    winners: int = 0  # pages whose rows replace their trial's rows

    def step(self, name: str) -> None:
        """Say which step starts, so no long stretch of a load is silent."""
        self.log.info(f"load: {name}")

    @property
    def staging(self) -> Path:
        return self.run.staging

    def staged(self, path_of: Callable[[int], Path]) -> str:
        """The run's staged files, one per batch, as a DuckDB list."""
        return _paths([path_of(b) for b in self.batches])


def _paths(files: list[Path]) -> str:
    return "[" + ", ".join(f"'{p.as_posix()}'" for p in files) + "]"


def load(
    con: duckdb.DuckDBPyConnection, validated: ValidateManifest, raw_root: Path, log: StepLog | None = None
) -> LoadResult:
    """The run's staged batches into the warehouse in one transaction, then the search index
    brought up to date; a failed index refresh leaves the load committed and the index stale."""
    clock = time.perf_counter()
    log = log or _LOGGER
    run, batches = validated.run, validated.batches
    _refuse_if_loaded_already(con, run.run_id)
    staged = [pages_path(run.staging, batch) for batch in batches]
    _refuse_if_staged_for_another_run(con, staged, run.run_id, run.started_at)
    # The staged page batches become the raw store's files for this run (a rename, no copy).
    # They are referenced only once the transaction commits; until then they are orphans that
    # the next load removes, so a crash here leaves nothing half-visible.
    raw_files = _move_into_raw_store(staged, raw_root, run.run_id)
    ctx = LoadContext(con, run, batches, raw_root, raw_files, now=dt.datetime.now(dt.UTC), log=log)
    # In insertion order, DuckDB writes each insert's row groups once; out of order, COMMIT
    # merged and rewrote them. The setting is the database's, not the connection's: fine under
    # the writer lock. Exports keep it off (store.py).
    order = scalar(con.execute("SELECT current_setting('preserve_insertion_order')"))
    own_threads = threads(con)  # see _one_thread
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("BEGIN TRANSACTION")
        result = _load_steps(ctx, validated)
        ctx.step("commit")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # no transaction open, or the database is gone
            con.execute("ROLLBACK")
        _move_back(raw_files, staged, raw_root / run.run_id)  # so the staged run can be loaded again
        raise
    finally:
        for setting in (f"preserve_insertion_order = {bool(order)}", f"threads = {own_threads}"):
            with contextlib.suppress(duckdb.Error):
                con.execute(f"SET {setting}")
    log.info("load: committed; removing raw files no row points to")
    _prune_raw_store(con, raw_root)
    result.seconds = time.perf_counter() - clock
    _refresh_search(con, result, log)
    return result


def _refresh_search(con: duckdb.DuckDBPyConnection, result: LoadResult, log: StepLog) -> None:
    """After the commit, so a failure here cannot undo the load: the trials it loaded stay
    noted as pending in the warehouse (`search.note_pending`), and the next run indexes them."""
    log.info("load: search index")
    refresh = search.after_load(con, log.info)
    result.search, result.search_seconds, result.search_stale = refresh.describe(), refresh.seconds, bool(refresh.error)
    (log.warning if refresh.error else log.info)(refresh.describe())


def _load_steps(ctx: LoadContext, validated: ValidateManifest) -> LoadResult:
    ctx.step("reading the run's page fates")
    open_run_tables(ctx)
    _refuse_if_warehouse_changed(ctx.con)
    changes = count_changes(ctx)
    ctx.step("choosing the pages that win")
    ctx.superseded = rank_superseded(ctx)
    ctx.winners = choose_winners(ctx)
    snapshot_superseded_versions(ctx)
    rows, core_changed = replace_core_rows(ctx)
    ctx.step("recording versions")
    record_versions(ctx)
    ctx.step("recording lineage (source pages, landing files)")
    record_lineage(ctx)
    ctx.step("recording rejections")
    resolved = record_rejections(ctx)
    # In the same transaction as the rows: the index cannot miss a committed trial.
    search.note_pending(ctx.con, "SELECT nct_id FROM winners")
    result = summarize(ctx, changes, rows, core_changed, resolved, validated.parse.extract.pages_unchanged)
    record_run(ctx, result, validated)
    return result


def open_run_tables(ctx: LoadContext) -> None:
    """The run's page fates (`run_fates`) and stored pages (`run_pages`) as temp relations."""
    con = ctx.con
    con.execute("SET VARIABLE now = ?::TIMESTAMPTZ", [ctx.now])
    # When this run read its pages: their first_seen / last_seen. The parse workers wrote it
    # into the raw files, which are the `source_records` export's parts as they stand.
    con.execute("SET VARIABLE read_at = ?::TIMESTAMPTZ", [ctx.run.started_at])
    if ctx.batches:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE run_fates AS SELECT * FROM read_parquet({ctx.staged(lambda b: final_fates_path(ctx.staging, b))})"
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW run_pages AS SELECT * FROM read_parquet({_paths(ctx.raw_files)})")
        return
    no_fates = ", ".join(f"NULL::{duckdb_type(dtype)} AS {name}" for name, dtype in FATE_SCHEMA.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE run_fates AS SELECT {no_fates} WHERE false")
    nothing = ", ".join(f"NULL::{sql_type} AS {name}" for name, sql_type in columns(SourceRecords).items())
    con.execute(f"CREATE OR REPLACE TEMP VIEW run_pages AS SELECT {nothing} WHERE false")


def count_changes(ctx: LoadContext) -> dict[str, int]:
    """New / changed / unchanged pages, judged against what the warehouse knew before this run.
    Counted rather than kept as a table: a copy of every fate held memory the trials insert needs."""
    return dict(ctx.con.execute(f"""
        SELECT CASE WHEN lf.path IS NULL THEN 'new'
                    WHEN lf.sha256 IS NOT DISTINCT FROM o.sha256 THEN 'unchanged'
                    ELSE 'changed' END AS change, count(*)
        FROM run_fates o LEFT JOIN landing_files lf USING (path)
        WHERE o.fate <> '{REJECTED}' GROUP BY change
    """).fetchall())  # fmt: skip


def rank_superseded(ctx: LoadContext) -> int:
    """A page for a trial the warehouse already holds from another path wins only if it is
    newer (Last Updated, then format, then path), the same rule as duplicates within one run. A held row
    whose page this run read with other bytes stands for no page any more: it supersedes
    nothing. A file that could not be read, or is empty now (the empty hash), says nothing of
    its page, so the held row still stands. -> the pages that lost."""
    return scalar(ctx.con.execute(f"""
        UPDATE run_fates o SET fate = '{DUPLICATE}',
               reason = 'duplicate NCT ID: superseded by ' || t.source_path
        FROM trials t
        WHERE o.fate = '{LOAD}' AND o.nct_id = t.nct_id AND t.source_path <> o.path
          AND (coalesce(t.last_updated::VARCHAR, ''), {format_rank_sql("t.source_format")}, t.source_path)
              > (coalesce(o.last_updated, ''), {format_rank_sql("o.source_format")}, o.path)
          AND NOT EXISTS (SELECT 1 FROM run_fates r
                          WHERE r.path = t.source_path AND r.sha256 NOT IN (t.sha256, sha256('')))
    """))  # fmt: skip


def choose_winners(ctx: LoadContext) -> int:
    """The pages whose rows replace their trial's rows. A view, not a copy: run_fates no longer
    changes, and a copy held memory the trials insert needs."""
    ctx.con.execute(
        f"CREATE OR REPLACE TEMP VIEW winners AS SELECT batch, _rec, nct_id, path, sha256 FROM run_fates WHERE fate = '{LOAD}'"
    )
    return scalar(ctx.con.execute("SELECT count(*) FROM winners"))


def _snapshot() -> str:
    """A trials row `t` as JSON text: what `trial_changes` diffs between versions."""
    return "to_json(struct_pack(" + ", ".join(f"{c} := t.{c}" for c in columns(Trials)) + "))::VARCHAR"


def snapshot_superseded_versions(ctx: LoadContext) -> None:
    """Before the rows are replaced: the current version of each incoming trial is superseded
    and keeps a snapshot of its trials row. The current version needs none: its row is in `trials`."""
    ctx.con.execute(f"""
        UPDATE trial_versions v SET superseded_at = getvariable('now'), fields_json = {_snapshot()}
        FROM winners w, trials t
        WHERE v.nct_id = w.nct_id AND t.nct_id = w.nct_id AND v.superseded_at IS NULL AND v.sha256 <> w.sha256
    """)


def replace_core_rows(ctx: LoadContext) -> tuple[dict[str, int], list[str]]:
    """Every row of each incoming trial, replaced in every core table. -> rows per table, and
    the tables whose rows changed."""
    rows: dict[str, int] = {}
    changed: list[str] = []
    for model in CORE_TABLES:
        name = model.__table__.name
        ctx.step(f"replacing {name} rows of {ctx.winners:,} trials")
        if replace_table(ctx, model):
            changed.append(name)
        rows[name] = scalar(ctx.con.execute(f"SELECT count(*) FROM {name}"))
    return rows, changed


def replace_table(ctx: LoadContext, model: type[WarehouseTable]) -> bool:
    """One core table's rows of the incoming trials, deleted and inserted from the staged
    files. -> whether they differ from the rows they replaced."""
    con, name, names = ctx.con, model.__table__.name, columns(model)
    cols = ", ".join(names)
    types = _stored_types(con, name, names) if ctx.winners else {}
    incoming = f"{name} WHERE nct_id IN (SELECT nct_id FROM winners)"
    before = _fingerprint(con, incoming, types) if ctx.winners else (0, None)
    con.execute(f"DELETE FROM {name} WHERE nct_id IN (SELECT nct_id FROM winners)")
    if not ctx.batches:
        return False
    # The files hold exactly the winners' rows, unless pages lost to trials the warehouse
    # already held (rare): only then is a join needed to leave them out.
    keep = "WHERE (s._batch, s._rec) IN (SELECT (batch, _rec) FROM winners)" if ctx.superseded else ""
    staged = f"read_parquet({ctx.staged(lambda b: rows_to_load(ctx.staging, name, b))}) s {keep}"
    with _one_thread(con) if name == "trials" else contextlib.nullcontext():
        count = scalar(con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {staged}"))
    if name == "trials" and count != ctx.winners:
        raise RuntimeError(
            f"staged trials rows ({count:,}) do not match the {ctx.winners:,} trials to load: nothing was loaded"
        )
    # An amended trial often changes only a few of its tables; the rows just inserted are the
    # staged ones, so those are read, not the table.
    return count != before[0] or (count > 0 and _fingerprint(con, staged, types) != before)


def record_versions(ctx: LoadContext) -> None:
    """New versions after the core tables (580,000 version rows held in the transaction before
    the trials insert made it slower). Upserts are spelled as delete + insert: DuckDB's ON
    CONFLICT goes row by row through an index."""
    con = ctx.con
    con.execute("DELETE FROM trial_versions v USING winners w WHERE v.nct_id = w.nct_id AND v.sha256 = w.sha256")
    con.execute("""
        INSERT INTO trial_versions
        SELECT w.nct_id, w.sha256, TRY_CAST(o.last_updated AS DATE), getvariable('now'), NULL, w.path, NULL
        FROM winners w JOIN run_fates o USING (batch, _rec)
    """)
    if not ctx.batches:
        return
    # Duplicate losers never reach `trials`: their snapshot comes from the staged rows. One
    # row per (trial, bytes), from the first path: identical copies of a losing page would
    # otherwise repeat trial_versions' key.
    con.execute(f"""
        INSERT INTO trial_versions
        SELECT DISTINCT ON (t.nct_id, t.sha256)
               t.nct_id, t.sha256, t.last_updated, getvariable('now'), getvariable('now'), t.source_path, {_snapshot()}
        FROM read_parquet({ctx.staged(lambda b: table_path(ctx.staging, "trials", b))}) t JOIN run_fates o ON t._batch = o.batch AND t._rec = o._rec
        WHERE o.fate = '{DUPLICATE}'
          AND NOT EXISTS (SELECT 1 FROM trial_versions v WHERE v.nct_id = t.nct_id AND v.sha256 = t.sha256)
        ORDER BY t.nct_id, t.sha256, t.source_path
    """)


def record_lineage(ctx: LoadContext) -> None:
    """Every page read this run, with its raw text (`source_pages` + the raw store), and every
    landing file seen (`landing_files`)."""
    record_source_pages(ctx)
    record_landing_files(ctx)


def record_source_pages(ctx: LoadContext) -> None:
    """`last_seen` is the last run that read these bytes (the latest start: a run that started
    earlier may load later); pages skipped as unchanged by size and mtime are marked seen in
    landing_files instead, so an unchanged run does not rewrite the big text table."""
    con = ctx.con
    con.execute("""
        UPDATE source_pages s SET last_seen = greatest(last_seen, getvariable('read_at'))
        FROM run_fates o WHERE s.sha256 = o.sha256 AND s.source_path = o.path
    """)
    # Rows as the raw files hold them, so a file stays identical to its rows in the table
    # until one of them is seen again (what lets the export link it: warehouse/export.py).
    con.execute("""
        INSERT INTO source_pages
        SELECT sha256, source_path, nct_id, first_seen, last_seen, size_bytes, encoding, raw_file FROM run_pages p
        WHERE NOT EXISTS (SELECT 1 FROM source_pages s WHERE s.sha256 = p.sha256 AND s.source_path = p.source_path)
    """)
    files = [row[0] for row in con.execute("SELECT DISTINCT raw_file FROM source_pages ORDER BY 1").fetchall()]
    con.execute(source_records_view(ctx.raw_root, files))


def record_landing_files(ctx: LoadContext) -> None:
    con = ctx.con
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE scanned AS SELECT * FROM read_parquet('{scanned_path(ctx.staging).as_posix()}')"
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE landed AS
        SELECT sc.path, sc.size, sc.mtime_ns, NULL::VARCHAR AS sha256 FROM scanned sc
        -- Files that hold pages of their own (archives, JSON arrays) are known by size and mtime.
        WHERE sc.is_archive OR sc.path IN (SELECT DISTINCT split_part(path, '::', 1) FROM run_fates WHERE contains(path, '::'))
        UNION ALL
        -- From the fates, which list every page read: the raw store files hold only the
        -- pages whose bytes it did not hold yet.
        SELECT o.path, o.size, o.mtime_ns, o.sha256 FROM run_fates o
        -- Pages whose bytes were read are settled until they change, rejected or not; only a
        -- file that could not be read at all (no bytes, so the empty hash) is tried again.
        WHERE o.sha256 <> sha256('')
    """)
    con.execute("DELETE FROM landing_files WHERE path IN (SELECT path FROM landed)")
    con.execute("INSERT INTO landing_files SELECT *, getvariable('now') FROM landed")
    con.execute("UPDATE landing_files SET last_seen = getvariable('now') WHERE path IN (SELECT path FROM scanned)")


def record_rejections(ctx: LoadContext) -> int:
    """Quarantine: new rejections; earlier ones resolved when their path or trial loads now.
    Bytes rejected before and read again (A rejected, B loaded, A again) are rejected anew: a
    resolved row would say the page is fine while it is not. -> rejections resolved."""
    con, run_id = ctx.con, ctx.run.run_id
    con.execute(f"""
        UPDATE rejected_records r SET reason = o.reason, run_id = ?, resolved_at = NULL,
               rejected_at = CASE WHEN r.resolved_at IS NULL THEN r.rejected_at ELSE getvariable('now') END
        FROM run_fates o WHERE o.fate = '{REJECTED}' AND r.sha256 = o.sha256 AND r.source_path = o.path
    """, [run_id])  # fmt: skip
    con.execute(f"""
        INSERT INTO rejected_records
        SELECT sha256, path, nct_id, stage, reason, getvariable('now'), NULL, ?
        FROM run_fates o WHERE fate = '{REJECTED}'
          AND NOT EXISTS (SELECT 1 FROM rejected_records r WHERE r.sha256 = o.sha256 AND r.source_path = o.path)
    """, [run_id])  # fmt: skip
    # Only earlier runs' rejections: one made now is not fixed by a page loaded beside it.
    return scalar(con.execute("""
        UPDATE rejected_records SET resolved_at = getvariable('now')
        WHERE resolved_at IS NULL AND run_id <> ?
          AND (source_path IN (SELECT path FROM winners) OR nct_id IN (SELECT nct_id FROM winners))
    """, [run_id]))  # fmt: skip


def summarize(
    ctx: LoadContext,
    changes: dict[str, int],
    rows: dict[str, int],
    core_changed: list[str],
    resolved: int,
    pages_unchanged_by_stat: int,
) -> LoadResult:
    con = ctx.con
    fates = dict(con.execute("SELECT fate, count(*) FROM run_fates GROUP BY fate").fetchall())
    duplicates = [f"{nct}: kept {winner}, version only {loser}" for nct, winner, loser in con.execute(f"""
        SELECT o.nct_id, coalesce(w.path, t.source_path), o.path FROM run_fates o
        LEFT JOIN winners w USING (nct_id) LEFT JOIN trials t USING (nct_id)
        WHERE o.fate = '{DUPLICATE}' ORDER BY o.nct_id, o.path
    """).fetchall()]  # fmt: skip
    rejections = [f"{path}: {reason}" for path, reason in con.execute(
        f"SELECT path, reason FROM run_fates WHERE fate = '{REJECTED}' ORDER BY path").fetchall()]  # fmt: skip
    return LoadResult(
        run_id=ctx.run.run_id,
        trials_loaded=fates.get(LOAD, 0),
        pages_new=changes.get("new", 0),
        pages_changed=changes.get("changed", 0),
        pages_unchanged=changes.get("unchanged", 0) + pages_unchanged_by_stat,
        pages_rejected=fates.get(REJECTED, 0),
        pages_duplicate=fates.get(DUPLICATE, 0),
        pages_read=sum(fates.values()),
        rows=rows,
        core_changed=core_changed,
        rejections_resolved=resolved,
        duplicates=duplicates,
        rejections=rejections,
    )


def record_run(ctx: LoadContext, result: LoadResult, validated: ValidateManifest) -> None:
    run = ctx.run
    files_seen = scalar(ctx.con.execute("SELECT count(*) FROM scanned"))
    ctx.con.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, getvariable('now'), ?, ?, ?, ?, ?, 'succeeded', ?, ?, ?, ?, ?)",
        [run.run_id, run.started_at, files_seen, result.pages_new, result.pages_changed, result.pages_unchanged,
         result.pages_rejected, result.pages_duplicate, result.trials_loaded, validated.parse.extra_sections,
         str(run.source), validated.summary_json()],
    )  # fmt: skip


def _move_into_raw_store(staged: list[Path], raw_root: Path, run_id: str) -> list[Path]:
    """-> the raw store files, read-only: they are the export's `source_records` parts too
    (hard links), which no reader should be able to change under the warehouse."""
    target = raw_root / run_id
    moves = [(source, target / source.name) for source in staged]
    taken = [destination for _, destination in moves if destination.exists()]
    if taken:
        # Never over a committed file: its rows would point at other bytes, or none.
        raise RuntimeError(f"the raw store already holds {taken[0]}: nothing was loaded")
    target.mkdir(parents=True, exist_ok=True)
    for source, destination in moves:
        os.replace(source, destination)
        destination.chmod(0o444)
    return [destination for _, destination in moves]


def _move_back(raw_files: list[Path], staged: list[Path], folder: Path) -> None:
    for raw_file, source in zip(raw_files, staged, strict=True):
        if raw_file.exists():
            os.replace(raw_file, source)
    with contextlib.suppress(OSError):  # not empty (a committed run with this id), or none made
        folder.rmdir()


def _prune_raw_store(con: duckdb.DuckDBPyConnection, raw_root: Path) -> None:
    """Remove raw files no committed row points to (left by a crashed or failed run)."""
    if not raw_root.is_dir():
        return
    referenced = {row[0] for row in con.execute("SELECT DISTINCT raw_file FROM source_pages").fetchall()}
    for run_dir in raw_root.iterdir():
        for file in run_dir.glob("*.parquet"):
            if f"{run_dir.name}/{file.name}" not in referenced:
                file.unlink()
        if run_dir.is_dir() and not any(run_dir.iterdir()):
            run_dir.rmdir()


class WarehouseChanged(RuntimeError):
    pass


def _refuse_if_loaded_already(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A load run again for a run that committed (a Dagster re-execution of this step alone)
    would find its raw store folder taken and its staging gone."""
    done = con.execute("SELECT finished_at FROM ingest_runs WHERE run_id = ?", [run_id]).fetchone()
    if done is not None:
        raise RuntimeError(
            f"run {run_id} was loaded already (finished {done[0].isoformat()}): nothing to do. "
            "Start a new ingest run to load the landing folder again."
        )


def _refuse_if_staged_for_another_run(
    con: duckdb.DuckDBPyConnection, staged: list[Path], run_id: str, started_at: dt.datetime
) -> None:
    """The parse workers wrote the run's id and start into its raw files, which become the
    export's `source_records` parts as they are: a load under another id or start would leave
    `source_pages` and the files disagreeing. Checked before anything moves, so the staged
    run can still be loaded as the run it is."""
    if not staged:
        return
    gone = [path for path in staged if not path.exists()]
    if gone:
        raise RuntimeError(f"the run's staged pages are gone ({gone[0]}): nothing was loaded; run the ingest again")
    wrong = con.execute(
        f"SELECT raw_file, first_seen FROM read_parquet({_paths(staged)}, filename = true) "
        f"WHERE raw_file <> '{run_id}/' || parse_filename(filename) OR first_seen <> ?::TIMESTAMPTZ LIMIT 1",
        [started_at],
    ).fetchone()
    if wrong is not None:
        raise RuntimeError(
            f"the staged pages were read as {wrong[0]} at {wrong[1].isoformat()}, not by run {run_id} started "
            f"{started_at.isoformat()}: nothing was loaded. Load them with the run id and start their extract returned."
        )


def _refuse_if_warehouse_changed(con: duckdb.DuckDBPyConnection) -> None:
    """A page the run found unchanged (its hash the one `landing_files` held at extract) is
    neither parsed nor stored again: it must already be in this warehouse. It is not when the
    warehouse file was replaced or restored between the run's extract and its load (a Dagster
    run takes no lock across its steps); loading would then leave those pages out for good."""
    missing, example = one_row(con.execute(f"""
        SELECT count(*), any_value(o.path) FROM run_fates o
        WHERE o.fate = '{UNCHANGED}'
          AND NOT EXISTS (SELECT 1 FROM source_pages s WHERE s.sha256 = o.sha256 AND s.source_path = o.path)
    """))  # fmt: skip
    if missing:
        raise WarehouseChanged(
            f"{missing:,} pages this run found unchanged are not in the warehouse (for example {example}): the "
            "warehouse file changed after the run read what it held. Nothing was loaded; run the ingest again."
        )


@contextlib.contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The trials insert runs on one thread. Its rows hold the pages' long texts (2 KB a row),
    and under the memory limit two threads building row groups side by side ran out of room
    and slowed each other, so one thread is faster (bench/RESULTS.md). The other tables' rows
    are small, and their inserts gain from both threads."""
    own_threads = threads(con)
    con.execute("SET threads = 1")
    yield
    # Not in a `finally`: a failed insert aborts the transaction, which then refuses any SET
    # and would hide the insert's own error. `load` puts the threads back after its ROLLBACK.
    con.execute(f"SET threads = {own_threads}")


def _stored_types(con: duckdb.DuckDBPyConnection, table: str, names: dict[str, str]) -> dict[str, str]:
    """The table's columns as the database holds them: a warehouse made by an older version
    keeps its tables (`CREATE TABLE IF NOT EXISTS`), and the insert casts to these types."""
    stored = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
            "AND database_name = current_database()",
            [table],
        ).fetchall()
    )
    return {name: stored[name] for name in names}


def _fingerprint(con: duckdb.DuckDBPyConnection, rows: str, types: dict[str, str]) -> tuple[int, int | None]:
    """(count, sum of row hashes) of `rows` (a FROM clause). Each value is cast to its stored
    type, as the insert does, then to JSON: `hash` alone gives NULL, [] and [NULL] one value,
    and 0.0 and -0.0 another. Equal before the delete and after the insert when a table's
    rows came back unchanged; the sum does not depend on row order."""
    values = ", ".join(f"to_json(CAST({name} AS {sql_type}))" for name, sql_type in types.items())
    return one_row(con.execute(f"SELECT count(*), sum(hash({values})) FROM {rows}"))
