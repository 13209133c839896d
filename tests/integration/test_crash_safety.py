"""SIGKILL an ingest at chosen moments: the warehouse and the exports must each be as before the
run or as after a clean run (never a mix), and the next ingest must finish the job.

No hook in the product: the moments are read from outside. The run's staging folder shows
parse (`tables/`) and validate (`final/`); `/proc/<pid>/fd` shows when the warehouse file is
open read-write (the load transaction) and, after that, read-only again (the asset checks);
`<exports>.d/.<run>.partial` shows the export being written, and the `exports` link changing
target shows it switched. Within parse and validate, the batch files written so far show how
far the phase has got; only inside the load transaction, which shows nothing, is the point a
fraction of the transaction's length in a clean run of the same folder.

Scenario: a warehouse already holds 3 copies of the shared pages (each copy under its own NCT
IDs); the run under test adds 5 more copies and finds every page of the first copy changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from schemas import ALL_TABLES, CORE_TABLES
from schemas.record_extras import RECORD_EXTRA_TABLES
from tests.integration.conftest import PROJECT, SEED, SHARED

# Big enough that every phase lasts a while, small enough for ~8 kills and reruns in < 3 min.
COPIES_BEFORE = 3  # in the warehouse before the run under test
COPIES_AFTER = 8  # in the landing folder for the run under test: 1,912 pages, 1,434 of them read
CLI_ARGS = ["--workers", "2", "--batch-size", "200"]
POLL = 0.002  # seconds between looks at the running ingest
PHASES = ["start", "extract", "parse", "validate", "load", "checks", "export", "switched"]

# Columns that differ between two runs that did the same work: ids, clocks, timings, and the
# raw store file a page's bytes went to (named after the run).
VOLATILE = {
    "first_seen", "last_seen", "rejected_at", "run_id", "started_at", "finished_at", "summary_json", "raw_file", "checked_at"
}  # fmt: skip
SET_OR_NOT = {"superseded_at", "resolved_at"}  # compared only as "is it set"


# --- the corpus -------------------------------------------------------------------------------


def write_copies(landing: Path, copies: range) -> None:
    """The seed and the 238 shared pages once per copy, each copy under NCT IDs of its own."""
    pages = [SEED, *sorted((SHARED / "text").glob("*.txt"))]
    for k in copies:
        folder = landing / f"copy{k:02d}"
        folder.mkdir(parents=True)
        for i, source in enumerate(pages):
            nct_id = f"NCT9{k * 1000 + i:07d}"
            text, found = re.subn(
                r"^NCT ID: NCT\d{8}$", f"NCT ID: {nct_id}", source.read_text("utf-8"), count=1, flags=re.M
            )
            assert found == 1, source
            (folder / f"{nct_id}.txt").write_text(text, encoding="utf-8")


def change_copy(landing: Path, k: int) -> None:
    """Every page of one copy edited: the run under test replaces those trials, not only adds."""
    for page in (landing / f"copy{k:02d}").glob("*.txt"):
        text = re.sub(r"^Last Updated: .*$", "Last Updated: 2026-01-01", page.read_text("utf-8"), count=1, flags=re.M)
        page.write_text(text, encoding="utf-8")


# --- states, compared by digest -------------------------------------------------------------


def table_digest(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """Order-free digest of a table's rows, without the columns that name a run or a time."""
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    kept = [f'"{c}" IS NOT NULL' if c in SET_OR_NOT else f'"{c}"' for c in columns if c not in VOLATILE]
    count, total = con.execute(f"SELECT count(*), sum(hash({', '.join(kept)})) FROM {source}").fetchone()
    return hashlib.sha256(f"{count}:{total}".encode()).hexdigest()[:16]


# The checks' outcomes, written after the load commits: a run killed during its checks has
# recorded none of them, and the next run then reads every row (test_check_scope.py).
CHECK_LOG = "check_results"


def warehouse_state(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            m.__table__.name: table_digest(con, m.__table__.name) for m in ALL_TABLES if m.__table__.name != CHECK_LOG
        }


def exports_state(exports: Path) -> dict[str, str]:
    """Digest per exported table: `<table>.parquet`, or a `<table>/` folder of parts."""
    folder = exports.resolve()
    with duckdb.connect() as con:
        state = {p.stem: table_digest(con, f"read_parquet('{p.as_posix()}')") for p in folder.glob("*.parquet")}
        for part in (p for p in folder.iterdir() if p.is_dir()):
            state[part.name] = table_digest(con, f"read_parquet('{part.as_posix()}/*.parquet', union_by_name = true)")
    return dict(sorted(state.items()))


def which(state: dict[str, str], before: dict[str, str], after: dict[str, str]) -> str:
    if state == before:
        return "before"
    if state == after:
        return "after"
    mixed = sorted(t for t in state if state[t] != before.get(t) and state[t] != after.get(t))
    return f"neither: {mixed or 'a mix of before and after tables'}"


def without_runs(state: dict[str, str]) -> dict[str, str]:
    """A killed run that committed adds a row to ingest_runs (and its checks to check_results):
    every other table must match."""
    return {t: d for t, d in state.items() if t not in ("ingest_runs", CHECK_LOG)}


# --- watching a running ingest --------------------------------------------------------------


@dataclass
class Watch:
    """First time (seconds from start) each phase was seen in a running ingest."""

    work: Path
    pid: int
    link_before: str | None
    started: float = field(default_factory=time.perf_counter)
    seen: dict[str, float] = field(default_factory=lambda: {"start": 0.0})

    def look(self) -> None:
        for phase in self._visible():
            self.seen.setdefault(phase, round(time.perf_counter() - self.started, 3))

    def phase(self) -> str:
        return max(self.seen, key=PHASES.index)

    def since(self, phase: str) -> float:
        return time.perf_counter() - self.started - self.seen[phase] if phase in self.seen else -1.0

    def done(self, stage: str) -> float:
        """Share of the run's batches that `stage` ('fates': parse, 'final': validate) has
        written. Extract has planned every batch by the time parse starts."""
        batches = len(list(self.work.glob(".staging/*/plan/*.json")))
        return len(list(self.work.glob(f".staging/*/{stage}/*.parquet"))) / batches if batches else 0.0

    def _visible(self) -> Iterator[str]:
        for run in (self.work / ".staging").glob("*"):
            for sub, phase in (("plan", "extract"), ("tables", "parse"), ("final", "validate")):
                if (run / sub).exists():
                    yield phase
        modes = self._warehouse_modes()
        if "rw" in modes:
            yield "load"
        elif "ro" in modes and "load" in self.seen:
            yield "checks"  # read-only again after the load: the asset checks (or the export)
        versions = self.work / "exports.d"
        if versions.exists() and any(p.name.endswith(".partial") for p in versions.iterdir()):
            yield "export"
        link = self.work / "exports"
        if link.is_symlink() and os.readlink(link) != self.link_before:
            yield "switched"

    def reading_staged(self) -> bool:
        """Whether the process has a staged parquet file open: with the warehouse open
        read-write, only the load transaction reads those."""
        return any("/.staging/" in target for target, _ in self._open_files())

    def progress(self) -> str:
        if self.phase() not in ("parse", "validate"):
            return "reading staged files" if self.reading_staged() else ""
        return f"parsed {self.done('fates'):.0%}, validated {self.done('final'):.0%} of the batches"

    def _warehouse_modes(self) -> set[str]:
        """How the ingest process has the warehouse file open right now: 'rw', 'ro' or not."""
        return {mode for target, mode in self._open_files() if target.endswith("/trials.duckdb")}

    def _open_files(self) -> Iterator[tuple[str, str]]:
        """(path, 'rw' or 'ro') of the files the ingest process has open."""
        fds = Path(f"/proc/{self.pid}/fd")
        try:
            for fd in fds.iterdir():
                target = os.readlink(fd)
                if target.endswith(("/trials.duckdb", ".parquet")):
                    flags = int((fds.parent / "fdinfo" / fd.name).read_text().split("flags:")[1].split()[0], 8)
                    yield target, "rw" if flags & os.O_ACCMODE == os.O_RDWR else "ro"
        except (OSError, IndexError):
            return  # the process or the descriptor is gone: nothing open


def start_ingest(landing: Path, work: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipelines", "ingest", "--quiet", "--source", str(landing),
           "--warehouse", str(work / "trials.duckdb"), "--exports", str(work / "exports"), *CLI_ARGS]  # fmt: skip
    # Own session: the kill takes the worker processes with it, as a crash of the machine would.
    return subprocess.Popen(
        cmd, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def watched_run(landing: Path, work: Path) -> tuple[Watch, str]:
    """A complete ingest, watched: when each phase began, and its output."""
    proc = start_ingest(landing, work)
    watch = Watch(work, proc.pid, link_target(work))
    while proc.poll() is None:
        watch.look()
        time.sleep(POLL)
    output = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 0, output
    return watch, output


def link_target(work: Path) -> str | None:
    link = work / "exports"
    return os.readlink(link) if link.is_symlink() else None


# --- kill points ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    name: str
    phase: str  # where the kill must land
    trigger: Callable[[Watch, float], bool]  # (watch, clean transaction seconds) -> kill now
    commits: bool  # whether the load has committed by then


KILL_POINTS = [
    KillPoint("parse-early", "parse", lambda w, _: w.done("fates") > 0, commits=False),
    KillPoint("parse-late", "parse", lambda w, _: w.done("fates") >= 0.5, commits=False),
    KillPoint("validate", "validate", lambda w, _: w.done("final") >= 0.5, commits=False),
    KillPoint("load-begin", "load", lambda w, _: "load" in w.seen, commits=False),
    # Inside the transaction: a staged file being read proves it; failing that, 30% of the way.
    KillPoint(
        "load-mid",
        "load",
        lambda w, tx: "load" in w.seen and (w.reading_staged() or w.since("load") >= 0.3 * tx),
        False,
    ),
    KillPoint("checks", "checks", lambda w, _: "checks" in w.seen, commits=True),
    KillPoint("export", "export", lambda w, _: "export" in w.seen, commits=True),
    KillPoint("export-switched", "switched", lambda w, _: "switched" in w.seen, commits=True),
]


@dataclass
class Kill:
    point: KillPoint
    hit: bool  # the process was still running when killed
    phase: str  # the latest phase seen at the kill
    detail: str  # how far the run had got
    at: float  # seconds after start
    warehouse: str  # 'before', 'after' or what else
    exports: str
    rerun_rc: int
    rerun_output: str
    rerun_warehouse: dict[str, str]
    rerun_exports: dict[str, str]
    debris: list[str]  # files a finished run should not have left behind


def kill_at(point: KillPoint, transaction: float, landing: Path, work: Path) -> tuple[bool, str, str, float]:
    proc = start_ingest(landing, work)
    watch = Watch(work, proc.pid, link_target(work))
    while proc.poll() is None:
        watch.look()
        if point.trigger(watch, transaction):
            phase, at = watch.phase(), round(time.perf_counter() - watch.started, 3)
            detail = watch.progress()
            os.killpg(proc.pid, signal.SIGKILL)  # the group we started: the CLI and its workers
            proc.wait()
            return True, phase, detail, at
        time.sleep(POLL)
    return False, "done", "", round(time.perf_counter() - watch.started, 3)


@dataclass
class Scenario:
    root: Path
    landing: Path
    before_work: Path  # the warehouse and exports before the run under test
    before: dict[str, str]
    before_exports: dict[str, str]
    after: dict[str, str]  # after a clean run of the run under test
    after_exports: dict[str, str]
    transaction: float  # seconds from BEGIN to COMMIT in the clean run
    kills: dict[str, Kill] = field(default_factory=dict)

    def kill(self, point: KillPoint) -> Kill:
        if point.name not in self.kills:
            self.kills[point.name] = self._kill(point)
        return self.kills[point.name]

    def _kill(self, point: KillPoint) -> Kill:
        work = self.root / f"kill-{point.name}"
        shutil.copytree(self.before_work, work, symlinks=True)
        hit, phase, detail, at = kill_at(point, self.transaction, self.landing, work)
        warehouse = which(warehouse_state(work / "trials.duckdb"), self.before, self.after)
        exports = which(exports_state(work / "exports"), self.before_exports, self.after_exports)
        rerun = subprocess.run(
            [sys.executable, "-m", "pipelines", "ingest", "--quiet", "--source", str(self.landing),
             "--warehouse", str(work / "trials.duckdb"), "--exports", str(work / "exports"), *CLI_ARGS],
            cwd=PROJECT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        return Kill(
            point, hit, phase, detail, at, warehouse, exports, rerun.returncode, rerun.stdout + rerun.stderr,
            warehouse_state(work / "trials.duckdb") if rerun.returncode == 0 else {},
            exports_state(work / "exports") if rerun.returncode == 0 else {},
            debris(work) if rerun.returncode == 0 else [],
        )  # fmt: skip


def debris(work: Path) -> list[str]:
    """What a crash left that the next, complete run did not clear away: staging folders,
    raw store files no row refers to, half-written exports and temporary links."""
    with duckdb.connect(str(work / "trials.duckdb"), read_only=True) as con:
        referenced = {f for (f,) in con.execute("SELECT DISTINCT raw_file FROM source_pages").fetchall()}
    raw = work / "trials.raw"
    found = [p.relative_to(work).as_posix() for p in (work / ".staging").glob("*")]
    found += [
        p.relative_to(work).as_posix() for p in raw.glob("*/*") if p.relative_to(raw).as_posix() not in referenced
    ]
    found += [p.relative_to(work).as_posix() for p in (work / "exports.d").glob(".*")]
    found += [p.name for p in work.glob(".exports.*")]
    return sorted(found)


def transaction_seconds(output: str) -> float:
    """From the summary's `seconds` line: the load, BEGIN to COMMIT."""
    found = re.search(r"\bload ([\d.]+)", output)
    assert found, output
    return float(found[1])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    if not Path("/proc/self/fdinfo").is_dir():
        pytest.skip("watching the ingest needs Linux /proc")
    root = tmp_path_factory.mktemp("crash")
    landing = root / "landing"
    write_copies(landing, range(COPIES_BEFORE))
    before_work = root / "before"
    watched_run(landing, before_work)
    write_copies(landing, range(COPIES_BEFORE, COPIES_AFTER))
    change_copy(landing, 0)

    clean = root / "clean"
    shutil.copytree(before_work, clean, symlinks=True)
    _, output = watched_run(landing, clean)
    return Scenario(
        root, landing, before_work,
        warehouse_state(before_work / "trials.duckdb"), exports_state(before_work / "exports"),
        warehouse_state(clean / "trials.duckdb"), exports_state(clean / "exports"),
        transaction_seconds(output),
    )  # fmt: skip


# --- the tests --------------------------------------------------------------------------------

POINTS = [pytest.param(p, id=p.name) for p in KILL_POINTS]


def test_the_run_under_test_changes_every_table(scenario: Scenario) -> None:
    """Otherwise 'before or after' could not tell a half-done state from a finished one."""
    # Pages fill neither extra sections here nor the tables only the registry's formats fill.
    page_filled = [m for m in CORE_TABLES if m not in RECORD_EXTRA_TABLES]
    core = [m.__table__.name for m in page_filled if m.__table__.name != "extra_sections"]
    assert all(scenario.before[t] != scenario.after[t] for t in core)
    assert all(scenario.before_exports[t] != scenario.after_exports[t] for t in core)


@pytest.mark.parametrize("point", POINTS)
def test_kill_lands_in_its_phase(scenario: Scenario, point: KillPoint) -> None:
    kill = scenario.kill(point)
    assert kill.hit, f"the ingest finished before {point.name} was reached"
    assert kill.phase == point.phase, f"killed in {kill.phase} at {kill.at}s, wanted {point.phase}"


@pytest.mark.parametrize("point", POINTS)
def test_killed_warehouse_is_as_before_or_after(scenario: Scenario, point: KillPoint) -> None:
    kill = scenario.kill(point)
    assert kill.warehouse == ("after" if point.commits else "before")


@pytest.mark.parametrize("point", POINTS)
def test_killed_exports_are_as_before_or_after(scenario: Scenario, point: KillPoint) -> None:
    kill = scenario.kill(point)
    assert kill.exports == ("after" if point.phase == "switched" else "before")


@pytest.mark.parametrize("point", POINTS)
def test_next_run_completes_the_warehouse(scenario: Scenario, point: KillPoint) -> None:
    kill = scenario.kill(point)
    assert kill.rerun_rc == 0, kill.rerun_output
    assert without_runs(kill.rerun_warehouse) == without_runs(scenario.after)


@pytest.mark.parametrize("point", POINTS)
def test_next_run_completes_the_exports(scenario: Scenario, point: KillPoint) -> None:
    kill = scenario.kill(point)
    assert kill.rerun_rc == 0, kill.rerun_output
    assert without_runs(kill.rerun_exports) == without_runs(scenario.after_exports)


@pytest.mark.parametrize("point", POINTS)
def test_next_run_clears_what_the_crash_left(scenario: Scenario, point: KillPoint) -> None:
    kill = scenario.kill(point)
    assert kill.rerun_rc == 0, kill.rerun_output
    assert kill.debris == []


def test_report(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Where each kill landed (run with -s to read it)."""
    kills = [scenario.kill(p) for p in KILL_POINTS]
    with capsys.disabled():
        print(f"\nload transaction in the clean run: {scenario.transaction:.2f}s")
        for k in kills:
            print(f"  {k.point.name:16} killed at {k.at:5.2f}s in {k.phase:9} warehouse {k.warehouse:7} "
                  f"exports {k.exports:7} rerun rc {k.rerun_rc}; {k.detail or '-'}; left behind: {k.debris or 'nothing'}")  # fmt: skip
    assert all(k.hit for k in kills)
