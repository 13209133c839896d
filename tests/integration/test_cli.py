"""The command line as a user meets it: bad numbers, flags and paths answered in one line
before any work, ignored files named, the run recorded in the Dagster home as the `ingest`
job, and the tools around the warehouse (search, report, sql, fetch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli import USAGE_ERROR, main
from tests.integration.conftest import PROJECT, SEED, SHARED, landing_with_shared
from warehouse.search import refresh_search_index
from warehouse.store import connect as connect_for_write


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    """Exit code, stdout lines and stderr lines of one in-process command."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's exits: usage errors, --version, --help
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--workers", "0"), ("--workers", "-3"), ("--workers", "two"), ("--batch-size", "-1"), ("--wait", "-5")],
)
def test_a_bad_number_is_refused_naming_its_flag(capsys: pytest.CaptureFixture[str], flag: str, value: str) -> None:
    code, _, err = _cli(capsys, "ingest", flag, value)
    assert code == USAGE_ERROR
    assert err[0].startswith(f"python -m pipelines ingest: error: argument {flag}: ")
    assert value in err[0]
    assert err[1].startswith("usage: python -m pipelines ingest ")


@pytest.mark.parametrize("command", ["ingest", "search", "report", "sql", "fetch"])
def test_an_unknown_flag_shows_the_subcommands_usage(capsys: pytest.CaptureFixture[str], command: str) -> None:
    argv = [command, "--no-such-flag"] + (["term"] if command == "search" else [])
    code, _, err = _cli(capsys, *argv)
    assert code == USAGE_ERROR
    assert err[0] == f"python -m pipelines {command}: error: unrecognized arguments: --no-such-flag"
    assert err[1].startswith(f"usage: python -m pipelines {command} ")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "--version")
    assert code == 0
    assert out[0].startswith("trial-warehouse 0.1.0 (duckdb 1.5.5, dagster ")


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in. Root ignores permission bits, so as root
    (CI) it is /sys, which refuses new files to anyone."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    folder = Path("/sys")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return folder
    pytest.skip("no unwritable folder on this machine")


def _ingest_args(tmp_path: Path, **paths: Path) -> list[str]:
    source = paths.get("source", tmp_path / "landing")
    if "source" not in paths:
        source.mkdir(exist_ok=True)
        shutil.copy(SEED, source / SEED.name)
    warehouse = paths.get("warehouse", tmp_path / "wh" / "trials.duckdb")
    exports = paths.get("exports", tmp_path / "exports")
    return ["ingest", "--quiet", "--source", str(source), "--warehouse", str(warehouse), "--exports", str(exports)]


def test_a_missing_landing_folder_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    code, out, err = _cli(capsys, *_ingest_args(tmp_path, source=missing))
    assert code == 1 and out == []
    assert err == [f"ingest: landing folder {missing} does not exist: create it, or pass --source DIR (or set "
                   "TRIAL_WAREHOUSE_SOURCE)"]  # fmt: skip
    assert not (tmp_path / "wh").exists()  # checked before any work


def test_an_unwritable_warehouse_is_one_line_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = _unwritable_folder(tmp_path)
    warehouse = folder / "wh" / "trials.duckdb"
    code, out, err = _cli(capsys, *_ingest_args(tmp_path, warehouse=warehouse))
    assert code == 1 and out == []
    assert len(err) == 1
    assert err[0].startswith(f"ingest: warehouse {warehouse}: cannot write in {folder} (")
    assert err[0].endswith("pass --warehouse FILE in a folder you can write (or set TRIAL_WAREHOUSE_DB)")
    assert not (tmp_path / "exports").exists()


def test_unwritable_exports_are_one_line_before_any_work(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    exports = _unwritable_folder(tmp_path) / "exports"
    code, out, err = _cli(capsys, *_ingest_args(tmp_path, exports=exports))
    assert code == 1 and out == []
    assert len(err) == 1
    assert err[0].startswith(f"ingest: exports {exports}: cannot write in {exports.parent} (")
    assert err[0].endswith("pass --exports DIR in a folder you can write (or set TRIAL_WAREHOUSE_EXPORTS)")
    assert not (tmp_path / "wh").exists()  # the load never ran, so it cannot have committed


def test_a_warehouse_path_under_a_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = _cli(capsys, *_ingest_args(tmp_path, warehouse=blocker / "trials.duckdb"))
    assert code == 1
    assert err == [
        f"ingest: warehouse {blocker / 'trials.duckdb'}: {blocker} is a file, not a folder: "
        "pass --warehouse FILE in a folder you can write (or set TRIAL_WAREHOUSE_DB)"
    ]


def _mixed_landing(folder: Path) -> Path:
    """The seed page, a page and a registry JSON record with upper-case suffixes (read), and two
    files no format reads."""
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    page = sorted((SHARED / "text").glob("*.txt"))[0]
    shutil.copy(page, folder / (page.stem + ".TXT"))
    record = sorted((SHARED / "ctgov-json").glob("*.json"))[1]  # another trial than the page's
    shutil.copy(record, folder / (record.stem + ".JSON"))
    (folder / "sites.csv").write_text("nct_id,site\n")
    (folder / "notes" / "README.md").parent.mkdir()
    (folder / "notes" / "README.md").write_text("# where these pages came from\n")
    return folder


def test_ignored_files_are_counted_and_named_and_the_run_is_the_ingest_job_in_the_dagster_home(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, own_dagster_home: Path
) -> None:
    source = _mixed_landing(tmp_path / "landing")
    summary_file = tmp_path / "summary.json"
    code, out, _ = _cli(capsys, *_ingest_args(tmp_path, source=source), "--summary-json", str(summary_file))
    assert code == 0
    summary = json.loads(summary_file.read_text())
    extract = summary["load"]["extract"]
    assert (extract["files_seen"], extract["files_read"], extract["files_ignored"]) == (3, 3, 2)
    assert extract["ignored_sample"] == ["notes/README.md", "sites.csv"]
    assert summary["load"]["trials_loaded"] == 3
    assert "2 ignored (no input format reads them)" in out[1]
    warning = out.index("  WARNING: 2 files ignored: pages are .txt, .json, .xml (or .zip / .tar.gz):")
    assert out[warning + 1 : warning + 3] == ["    notes/README.md", "    sites.csv"]

    # The run is in the persistent home, under the job's name, with every asset it materialized.
    run_id = summary["load"]["run_id"]
    with dg.DagsterInstance.from_config(str(own_dagster_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.job_name == "ingest" and run.status == dg.DagsterRunStatus.SUCCESS
        for key in ("landing_pages", "validated_records", "warehouse/trials", "exports/trials"):
            event = instance.get_latest_materialization_event(dg.AssetKey.from_user_string(key))
            assert event is not None and event.run_id == run_id, key


def test_the_tools_read_the_warehouse(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = _cli(capsys, *_ingest_args(tmp_path, source=landing_with_shared(tmp_path / "landing")))
    assert code == 0
    warehouse = tmp_path / "wh" / "trials.duckdb"
    with connect_for_write(warehouse) as con:
        refresh_search_index(con)  # for as long as the load does not keep it itself

    code, out, _ = _cli(capsys, "search", "abemaciclib", "--limit", "3", "--warehouse", str(warehouse))
    assert code == 0
    assert out[0].split()[:2] == ["1.", SEED.stem]  # the seed trial is the abemaciclib one
    assert "abemaciclib" in out[1].lower()
    assert len(out) <= 6

    report = tmp_path / "out" / "report.html"
    code, out, _ = _cli(capsys, "report", "--out", str(report), "--warehouse", str(warehouse))
    assert code == 0 and out == [str(report)]
    assert report.read_text(encoding="utf-8").count("<html") == 1

    sql = [sys.executable, "-m", "pipelines", "sql", "--warehouse", str(warehouse)]
    done = subprocess.run([*sql, "--command", "SELECT count(*) AS n FROM trials"], capture_output=True, text=True,
                          cwd=PROJECT, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(len(list((tmp_path / "landing").glob("*.txt")))) in done.stdout


def test_the_tools_say_when_there_is_no_warehouse(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    for command in (["search", "x"], ["report", "--out", str(tmp_path / "r.html")], ["sql", "--command", "SELECT 1"]):
        code, out, err = _cli(capsys, *command, "--warehouse", str(missing))
        assert code == 1 and out == [], command
        assert len(err) == 1 and err[0].startswith(f"{command[0]}: ") and str(missing) in err[0], command


def test_fetch_is_refused_without_a_registry_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIAL_WAREHOUSE_FETCH_URL", raising=False)
    landing = tmp_path / "landing"
    code, out, err = _cli(capsys, "fetch", "--source", str(landing), "--warehouse", str(tmp_path / "t.duckdb"))
    assert code == 1 and out == []
    assert err == [
        "fetch: no registry URL set, so nothing is fetched: pass --url https://clinicaltrials.gov "
        "or set TRIAL_WAREHOUSE_FETCH_URL"
    ]
    assert not landing.exists()


def _run_on_a_terminal(argv: list[str]) -> str:
    """What a user's terminal would show: the command with a pseudo-terminal as its output."""
    import pty

    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "COLUMNS": "140", "TERM": "xterm"}
    proc = subprocess.Popen(argv, stdin=child_fd, stdout=child_fd, stderr=child_fd, cwd=PROJECT, env=env)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the command ended and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait(timeout=300) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_live_progress_bars(tmp_path: Path) -> None:
    source = landing_with_shared(tmp_path / "landing")
    argv = [sys.executable, "-m", "pipelines", *_ingest_args(tmp_path, source=source)]
    argv.remove("--quiet")
    shown = _run_on_a_terminal([*argv, "--batch-size", "40", "--workers", "2"])
    # Bars per stage with their batches and speed, redrawn in place; none of Dagster's log lines.
    assert "\x1b[" in shown and "\r" in shown
    for stage in ("extract", "parse", "validate", "load", "export"):
        assert f" {stage} " in shown, stage
    assert "batches" in shown and "pages/s" in shown
    assert " - dagster - " not in shown
    assert "finished in" in shown  # the summary follows


def test_off_a_terminal_progress_is_plain_log_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = _ingest_args(tmp_path, source=landing_with_shared(tmp_path / "landing"))
    argv.remove("--quiet")
    code, _, err = _cli(capsys, *argv, "--batch-size", "40", "--workers", "1")
    assert code == 0
    assert not any("\x1b[" in line or "\r" in line for line in err)
    assert any(" - dagster - INFO - ingest - " in line and "parse: batch" in line for line in err)


def test_fetch_lands_the_registry_pages_and_ingest_loads_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.ingest.registry_server import Registry, nct_id, recorded_studies, serve

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # loopback requests must not go to a proxy
    for setting, value in {"PAGE_SIZE": "4", "MIN_INTERVAL": "0", "BACKOFF": "0.001"}.items():
        monkeypatch.setenv(f"TRIAL_WAREHOUSE_FETCH_{setting}", value)
    studies = recorded_studies(10)
    landing, warehouse = tmp_path / "landing", tmp_path / "wh" / "trials.duckdb"
    with serve(Registry(studies=studies)) as url:
        code, out, err = _cli(capsys, "fetch", "--url", url, "--source", str(landing), "--warehouse", str(warehouse))
    assert code == 0, err
    pages = sorted((landing / "fetched").glob("*/*.json"))
    assert len(pages) == 3
    assert out == [f"fetched 10 studies in 3 pages into {pages[0].parent}"]
    assert (tmp_path / "wh" / "trials.duckdb.fetch-cursor.json").is_file()

    code, _, _ = _cli(capsys, *_ingest_args(tmp_path, source=landing, warehouse=warehouse))
    assert code == 0
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = {row[0] for row in con.execute("SELECT nct_id FROM trials").fetchall()}
    assert loaded == {nct_id(s) for s in studies}


def test_a_killed_runs_dagster_record_is_failed_by_the_next_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, own_dagster_home: Path
) -> None:
    import signal
    import time

    argv = _ingest_args(tmp_path, source=landing_with_shared(tmp_path / "landing"))
    command = [sys.executable, "-m", "pipelines", *argv, "--workers", "1", "--batch-size", "20"]
    proc = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    warehouse_tag = str((tmp_path / "wh" / "trials.duckdb").resolve())
    started = dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags={"trial_warehouse/warehouse": warehouse_tag})
    with dg.DagsterInstance.from_config(str(own_dagster_home)) as instance:
        deadline = time.monotonic() + 120
        while not instance.get_runs(filters=started) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, mid-way
        proc.wait(timeout=60)
        (killed,) = instance.get_runs(filters=started)

        code, _, _ = _cli(capsys, *argv)
        assert code == 0
        record = instance.get_run_by_id(killed.run_id)
        assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
        mine = dg.RunsFilter(tags={"trial_warehouse/warehouse": warehouse_tag})
        assert [run.status for run in instance.get_runs(filters=mine)] == [
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
        ]
