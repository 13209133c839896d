"""Full-text search on the shared records: BM25 from the pinned fts extension, rebuilt after a
load, the matching criteria lines returned with the trials."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb

from tests.integration.conftest import SEED, connect, landing_with_shared, run
from warehouse.search import load_fts, refresh_search_index, search
from warehouse.store import connect as connect_for_write


def _indexed(work: Path) -> None:
    with connect_for_write(work / "trials.duckdb") as con:
        refresh_search_index(con)


def test_a_trials_own_title_finds_it_first(tmp_path: Path) -> None:
    run(landing_with_shared(tmp_path / "landing"), tmp_path)
    _indexed(tmp_path)
    title = SEED.read_text(encoding="utf-8").splitlines()[0]
    with connect(tmp_path) as con:
        hits = search(con, title, limit=5)
        assert hits[0].nct_id == SEED.stem
        assert hits[0].title == title and hits[0].score > hits[1].score
        # Ranked: a trial mentioning the condition in its title scores above one mentioning
        # it only in a criterion line, and scores never rise down the list.
        ranked = search(con, "breast cancer", limit=50)
        assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
        assert ranked[0].matched_in in ("title", "condition", "summary")


def test_criteria_search_returns_every_matching_line(tmp_path: Path) -> None:
    run(landing_with_shared(tmp_path / "landing"), tmp_path)
    _indexed(tmp_path)
    word = re.compile(r"\bpregnant\b", re.IGNORECASE)
    with connect(tmp_path) as con:
        load_fts(con)  # the macros stem the query with the extension's `stem`
        expected = {
            (nct, ordinal)
            for nct, ordinal, text in con.execute("SELECT nct_id, criterion_ordinal, text FROM criteria").fetchall()
            if word.search(text)
        }
        found = con.execute("SELECT nct_id, criterion_ordinal, score, text FROM search_criteria('pregnant')").fetchall()
    assert len(expected) > 10
    assert {(nct, ordinal) for nct, ordinal, *_ in found} == expected
    assert all(word.search(text) and score > 0 for *_, score, text in found)


def _scored(database: Path, terms: list[str]) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        load_fts(con)
        return {
            term: con.execute(
                "SELECT nct_id, source, ordinal, round(score, 9), text FROM search_documents_scored(?) ORDER BY ALL",
                [term],
            ).fetchall()
            for term in terms
        }


def test_an_incremental_run_that_changes_a_page_changes_the_results(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    run(landing, tmp_path)
    _indexed(tmp_path)
    with connect(tmp_path) as con:
        assert search(con, "zanubrutinib") == []
    page = landing / SEED.name
    text = page.read_text(encoding="utf-8")
    item = "2. Patients with advanced"
    assert item in text
    page.write_text(text.replace(item, "2. Patients treated with zanubrutinib with advanced", 1), encoding="utf-8")
    run(landing, tmp_path)
    database = tmp_path / "trials.duckdb"
    with connect_for_write(database) as con:
        refresh_search_index(con, [SEED.stem])  # only the trial the run changed
    with connect(tmp_path) as con:
        hits = search(con, "zanubrutinib")
        lines = con.execute("SELECT nct_id, text FROM search_criteria('zanubrutinib')").fetchall()
    assert [h.nct_id for h in hits] == [SEED.stem]
    assert len(lines) == 1 and lines[0][0] == SEED.stem
    assert lines[0][1].startswith("Patients treated with zanubrutinib with advanced")
    # The update scores every document as a full rebuild of the same tables does.
    terms = ["zanubrutinib", "advanced breast cancer", "pregnant", "hepatitis B"]
    updated = _scored(database, terms)
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(database, rebuilt)
    with connect_for_write(rebuilt) as con:
        refresh_search_index(con)
    assert all(updated[term] for term in terms)
    assert updated == _scored(rebuilt, terms)
