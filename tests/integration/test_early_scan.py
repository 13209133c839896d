"""The command line scans the landing folder while Dagster imports; the run takes that scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import landing
from pipelines.cli import main
from tests.integration.conftest import landing_with_shared


def _sorted(cols: landing.Columns) -> list[tuple]:
    return sorted(zip(*(cols[key] for key in landing.SCAN_COLUMNS), strict=True))


def test_an_early_scan_is_taken_once_and_matches_a_fresh_one(tmp_path: Path) -> None:
    source = landing_with_shared(tmp_path / "landing")
    landing.start_scan(source, workers=2).result()
    (source / "NCT99999999.txt").write_text("arrived after the early scan\n")

    taken = landing.scan_columns(source, workers=2)
    # The run takes the early scan as it was: the page that arrived later is left to the next
    # run, and the scan after this one (nothing pending) sees it.
    assert "NCT99999999.txt" not in taken["path"]
    again = landing.scan_columns(source, workers=2)
    assert "NCT99999999.txt" in again["path"]
    assert _sorted(taken) == [row for row in _sorted(again) if row[0] != "NCT99999999.txt"]
    assert landing._EARLY_SCANS == {}


def test_a_stale_early_scan_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = landing_with_shared(tmp_path / "landing")
    landing.start_scan(source).result()
    (source / "NCT99999999.txt").write_text("arrived while the run waited for the writer lock\n")
    monkeypatch.setattr(landing, "EARLY_SCAN_MAX_AGE", -1.0)
    assert "NCT99999999.txt" in landing.scan_columns(source)["path"]


def test_the_command_line_run_uses_its_early_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = landing_with_shared(tmp_path / "landing")
    started = []
    start = landing.start_scan
    monkeypatch.setattr(landing, "start_scan", lambda root, workers=1: started.append(root) or start(root, workers))
    pages = len(list(source.glob("*.txt")))
    summary = tmp_path / "summary.json"
    code = main(
        ["ingest", "--quiet", "--source", str(source), "--warehouse", str(tmp_path / "w" / "trials.duckdb"),
         "--exports", str(tmp_path / "exports"), "--summary-json", str(summary)]
    )  # fmt: skip
    assert code == 0
    extract = json.loads(summary.read_text())["load"]["extract"]
    assert extract["files_seen"] == extract["files_read"] == pages
    assert started == [source]
    assert landing._EARLY_SCANS == {}  # taken by the run, not left behind
