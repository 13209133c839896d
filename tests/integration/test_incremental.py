"""Incremental runs: unchanged pages cost no parsing; an edited page is re-parsed alone and its
earlier version stays queryable; a fixed page resolves its rejection."""

from __future__ import annotations

import os
from pathlib import Path

from tests.integration.conftest import SEED, connect, landing_with_shared, run
from tests.integration.test_exports import assert_exports_match, inodes, raw_store_inodes


def test_unchanged_folder_parses_nothing_and_an_edit_adds_one_version(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    run(landing, tmp_path)

    second = run(landing, tmp_path)
    assert second.parsed.parsed == 0
    assert second.pages_read == 0 and second.load.pages_unchanged == 239

    page = landing / "NCT04227327.txt"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("31 participants", "40 participants"), encoding="utf-8")
    third = run(landing, tmp_path)
    assert third.pages_read == 1 and third.parsed.parsed == 1
    assert (third.load.pages_new, third.load.pages_changed, third.load.trials_loaded) == (0, 1, 1)

    with connect(tmp_path) as con:
        assert con.execute("SELECT enrollment FROM trials WHERE nct_id = 'NCT04227327'").fetchone() == (40,)
        versions = con.execute(
            "SELECT superseded_at IS NULL FROM trial_versions WHERE nct_id = 'NCT04227327' ORDER BY first_seen"
        ).fetchall()
        assert versions == [(False,), (True,)]
        assert con.execute("SELECT count(*) FROM trial_versions").fetchone()[0] == 240
        changes = con.execute(
            "SELECT field, old_value, new_value FROM trial_changes WHERE nct_id = 'NCT04227327'"
        ).fetchall()
        assert changes == [("enrollment", "31", "40")]
        old_text = con.execute("""SELECT s.record_text FROM trial_versions v JOIN source_records s
                                  ON s.sha256 = v.sha256 WHERE v.nct_id = 'NCT04227327' AND v.superseded_at IS NOT NULL""").fetchone()[
            0
        ]
        assert "31 participants" in old_text
        runs = con.execute(
            "SELECT records_new, records_changed, records_unchanged, records_rejected FROM ingest_runs ORDER BY started_at"
        ).fetchall()
        assert runs == [(239, 0, 0, 0), (0, 0, 239, 0), (0, 1, 238, 0)]


def test_touched_but_identical_page_is_not_parsed(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    page = landing / SEED.name
    page.write_bytes(SEED.read_bytes())
    run(landing, tmp_path)
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 10**9))
    second = run(landing, tmp_path)
    assert second.pages_read == 1  # mtime moved: the bytes are read and hashed ...
    assert second.parsed.parsed == 0  # ... and the hash says nothing changed
    assert second.load.pages_unchanged == 1


def test_touched_pages_beside_a_changed_one_are_not_stored_again(tmp_path: Path) -> None:
    """A sync tool that rewrites every file: the raw store keeps one copy of each page's bytes,
    and the next run skips the touched files by size and mtime again."""
    landing = landing_with_shared(tmp_path / "landing")
    run(landing, tmp_path)
    for page in landing.iterdir():
        os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 10**9))
    page = landing / "NCT04227327.txt"
    page.write_text(page.read_text(encoding="utf-8").replace("31 participants", "40 participants"), encoding="utf-8")

    second = run(landing, tmp_path)
    assert second.pages_read == 239 and second.parsed.parsed == 1
    with connect(tmp_path) as con:
        raw = tmp_path / "trials.raw"
        stored = con.execute(f"SELECT count(*) FROM read_parquet('{raw.as_posix()}/*/*.parquet')").fetchone()[0]
        assert stored == con.execute("SELECT count(*) FROM source_pages").fetchone()[0] == 240
        # Every page read keeps its text, the touched ones from their first run's raw file.
        assert con.execute("SELECT count(*) FROM source_records WHERE record_text IS NULL").fetchone()[0] == 0
        # Pages carry the start of the run that read them.
        latest = con.execute("SELECT started_at FROM ingest_runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
        first, last = con.execute(
            "SELECT count(*) FILTER (WHERE first_seen = $t), count(*) FILTER (WHERE last_seen = $t) FROM source_records",
            {"t": latest},
        ).fetchone()
        assert (first, last) == (1, 239)  # the changed page's new bytes are new; every page read was seen
    # The first run's raw file no longer matches its rows (their last_seen moved on): its
    # part is written from the table, not linked; the new page's file is its own part.
    assert_exports_match(tmp_path)
    parts, stored = inodes(tmp_path / "exports" / "source_records"), raw_store_inodes(tmp_path)
    assert len(parts) == len(stored) == 2 and len(parts.items() & stored.items()) == 1

    third = run(landing, tmp_path)
    assert third.pages_read == 0


def test_fixed_page_loads_and_resolves_its_rejection(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    page = landing / "fixme.txt"
    good = SEED.read_text(encoding="utf-8")
    page.write_text(good.replace("Study Start Date\n\n2020-01-07", "Study Start Date\n\n2020-13-45"), encoding="utf-8")
    first = run(landing, tmp_path)
    assert first.load.pages_rejected == 1
    with connect(tmp_path) as con:
        reason, resolved = con.execute("SELECT reason, resolved_at FROM rejected_records").fetchone()
    assert "Study Start Date" in reason and "2020-13-45" in reason and resolved is None

    page.write_text(good, encoding="utf-8")
    second = run(landing, tmp_path)
    assert second.load.trials_loaded == 1
    with connect(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM rejected_records WHERE resolved_at IS NOT NULL").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 1


def test_two_identical_copies_of_an_older_version_keep_one_version_row(tmp_path: Path) -> None:
    # Both copies lose to the trial's newer page already loaded; each is kept as a version,
    # but one version row per (trial, bytes): two would break trial_versions' key, and the
    # unchanged files would fail every later run's checks.
    landing = tmp_path / "landing"
    landing.mkdir()
    current = SEED.read_text(encoding="utf-8")
    (landing / SEED.name).write_text(current, encoding="utf-8")
    run(landing, tmp_path)
    older = current.replace("Last Updated: 2025-07-29", "Last Updated: 2020-01-01")
    assert older != current
    for name in ("a_old.txt", "b_old.txt"):
        (landing / name).write_text(older, encoding="utf-8")
    second = run(landing, tmp_path)
    assert second.load.pages_duplicate == 2
    with connect(tmp_path) as con:
        versions = con.execute(
            "SELECT source_path, superseded_at IS NOT NULL FROM trial_versions WHERE nct_id = 'NCT04227327' ORDER BY 1"
        ).fetchall()
        assert versions == [(SEED.name, False), ("a_old.txt", True)]
        assert con.execute("SELECT source_path FROM trials").fetchall() == [(SEED.name,)]
        # Both pages are still on record, with their bytes.
        assert con.execute("SELECT count(*) FROM source_records WHERE nct_id = 'NCT04227327'").fetchone()[0] == 3
    assert run(landing, tmp_path).load.pages_unchanged == 3
