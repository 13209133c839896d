"""Copies of one trial, and pages that go bad and good again, over several runs: which page
is current, what is kept as a version, and what stays in quarantine. Each case here was a
defect found by a review (the run's results depended on how the pages were split over runs)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from tests.integration.conftest import SEED, connect, run
from tests.integration.test_exports import assert_exports_match

SEED_TEXT = SEED.read_text(encoding="utf-8")


def page(updated: str = "2025-07-29", enrollment: int = 31, status: str = "TERMINATED") -> str:
    """The seed page with its Last Updated, enrollment and recruitment status replaced."""
    text = (
        SEED_TEXT.replace("Last Updated: 2025-07-29", f"Last Updated: {updated}")
        .replace("31 participants", f"{enrollment} participants")
        .replace("Recruitment Status\n\nTERMINATED", f"Recruitment Status\n\n{status}")
    )
    assert status == "TERMINATED" or status in text
    return text


def put(path: Path, text: str) -> None:
    """Write a page with an mtime of its own, so the next scan sees the change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    mtime = max(path.stat().st_mtime_ns, before + 10**9)
    os.utime(path, ns=(mtime, mtime))


def rows(work: Path, sql: str) -> list[tuple]:
    with connect(work) as con:
        return con.execute(sql).fetchall()


def test_a_held_trial_whose_page_changed_does_not_supersede_a_newer_page(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    put(landing / "m.txt", page("2023-06-01", enrollment=10))
    run(landing, tmp_path)
    # m.txt now holds an older version, and n.txt, newer than that, appears: the 2023 text is
    # no longer in any file, so it cannot keep n.txt out.
    put(landing / "m.txt", page("2020-01-01", enrollment=20))
    put(landing / "n.txt", page("2022-01-01", enrollment=30))
    second = run(landing, tmp_path)
    assert second.load.trials_loaded == 1
    assert rows(tmp_path, "SELECT source_path, enrollment FROM trials") == [("n.txt", 30)]
    assert rows(tmp_path, "SELECT source_path FROM trial_versions WHERE superseded_at IS NULL") == [("n.txt",)]
    assert_exports_match(tmp_path)


def test_a_held_trial_whose_file_is_now_empty_still_keeps_an_older_page_out(tmp_path: Path) -> None:
    # An empty file (a download cut short) says nothing of the page it held.
    landing = tmp_path / "landing"
    put(landing / "m.txt", page("2023-06-01", enrollment=10))
    run(landing, tmp_path)
    put(landing / "m.txt", "")
    put(landing / "n.txt", page("2022-01-01", enrollment=30))
    second = run(landing, tmp_path)
    assert (second.load.pages_rejected, second.load.pages_duplicate) == (1, 1)
    assert rows(tmp_path, "SELECT source_path, enrollment FROM trials") == [("m.txt", 10)]
    assert_exports_match(tmp_path)


def test_an_invalid_older_copy_beside_a_newer_one_is_quarantined(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    put(landing / "new.txt", page("2025-07-29"))
    put(landing / "old.txt", page("2020-01-01", status="BOGUSSTATUS"))
    first = run(landing, tmp_path)
    assert (first.load.pages_rejected, first.load.pages_duplicate) == (1, 0)
    rejected = rows(tmp_path, "SELECT source_path, stage, reason, resolved_at FROM rejected_records")
    assert [(path, stage, resolved) for path, stage, _, resolved in rejected] == [("old.txt", "validate", None)]
    assert "BOGUSSTATUS" in rejected[0][2]
    # Not kept as a version of the trial: its fields break the rules.
    assert rows(tmp_path, "SELECT source_path FROM trial_versions") == [("new.txt",)]
    assert rows(tmp_path, "SELECT count(*) FROM source_records WHERE source_path = 'old.txt'") == [(1,)]
    assert_exports_match(tmp_path)


def test_a_page_rejected_again_after_a_fix_is_not_resolved(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    bad, good = page(status="BOGUSSTATUS"), page()
    put(landing / "a.txt", bad)
    run(landing, tmp_path)
    put(landing / "a.txt", good)
    run(landing, tmp_path)
    assert rows(tmp_path, "SELECT resolved_at IS NOT NULL FROM rejected_records") == [(True,)]
    put(landing / "a.txt", bad)  # the same bytes as the first time
    third = run(landing, tmp_path)
    assert third.load.pages_rejected == 1
    with connect(tmp_path) as con:
        resolved, rejected_at, run_id = con.execute(
            "SELECT resolved_at, rejected_at, run_id FROM rejected_records"
        ).fetchone()
        latest, started = con.execute(
            "SELECT run_id, started_at FROM ingest_runs ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
    assert resolved is None and run_id == latest and rejected_at >= started
    assert_exports_match(tmp_path)


def test_month_only_last_updated_is_its_first_day_in_versions_and_in_ranking(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    put(landing / "a.txt", page("2025-07", enrollment=1))
    run(landing, tmp_path)
    assert rows(tmp_path, "SELECT last_updated::VARCHAR FROM trial_versions") == [("2025-07-01",)]
    # A copy with the same month: the later path wins, in one run or over two.
    put(landing / "b.txt", page("2025-07", enrollment=2))
    run(landing, tmp_path)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run(landing, fresh)
    assert rows(tmp_path, "SELECT source_path FROM trials") == rows(fresh, "SELECT source_path FROM trials")
    assert rows(fresh, "SELECT source_path FROM trials") == [("b.txt",)]


def test_a_file_named_like_an_archive_member_is_rejected_and_later_runs_go_on(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    with zipfile.ZipFile(landing / "z.zip", "w") as archive:
        archive.writestr("m.txt", page())
    put(landing / "z.zip::m.txt", page("2020-01-01"))
    first = run(landing, tmp_path)
    assert first.load.pages_rejected == 1
    assert [r for r in first.load.rejections if "z.zip::m.txt" in r and "rename it" in r]
    assert rows(tmp_path, "SELECT count(*) FROM landing_files WHERE path = 'z.zip::m.txt'") == [(1,)]
    put(landing / "other.txt", page().replace("NCT ID: NCT04227327", "NCT ID: NCT00000001"))
    second = run(landing, tmp_path)  # used to fail its checks, then crash every run after
    assert second.load.trials_loaded == 1
    assert_exports_match(tmp_path)


def test_an_archive_skipped_as_unchanged_counts_its_pages(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    with zipfile.ZipFile(landing / "z.zip", "w") as archive:
        for i in range(3):
            archive.writestr(f"p{i}.txt", page().replace("NCT ID: NCT04227327", f"NCT ID: NCT0000000{i + 1}"))
    put(landing / "plain.txt", page())
    run(landing, tmp_path)
    second = run(landing, tmp_path)
    assert second.pages_read == 0 and second.load.pages_unchanged == 4
    counts = rows(tmp_path, "SELECT records_new, records_unchanged FROM ingest_runs ORDER BY started_at")
    assert counts == [(4, 0), (0, 4)]
