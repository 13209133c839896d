"""Full-text search on the shared records: BM25 with the pinned fts extension's tokenizer and
stemmer, kept in step by the load itself (no manual refresh), the matching criteria lines
returned with the trials, and a failed refresh that loses nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import SEED, connect, landing_with_shared, run
from warehouse import search as search_module
from warehouse.search import has_search_index, load_fts, pending_trials, refresh_search_index, search
from warehouse.store import connect as connect_for_write

NEW_WORD = "zanubrutinib"
ITEM = "2. Patients with advanced"


def test_a_trials_own_title_finds_it_first(shared_warehouse: Path) -> None:
    title = SEED.read_text(encoding="utf-8").splitlines()[0]
    with connect(shared_warehouse) as con:
        hits = search(con, title, limit=5)
        assert hits[0].nct_id == SEED.stem
        assert hits[0].title == title and hits[0].score > hits[1].score
        # Ranked: a trial mentioning the condition in its title scores above one mentioning
        # it only in a criterion line, and scores never rise down the list.
        ranked = search(con, "breast cancer", limit=50)
        assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
        kinds = dict(
            con.execute(
                "SELECT nct_id, list(DISTINCT source) FROM search_documents_scored('breast cancer') GROUP BY 1"
            ).fetchall()
        )
        assert {"title", "condition"} <= set(kinds[ranked[0].nct_id])
        only_in_criteria = [rank for rank, h in enumerate(ranked) if kinds[h.nct_id] == ["criterion"]]
        assert only_in_criteria and min(only_in_criteria) > 5
        assert all(re.search(r"breast|cancer", h.matching_text, re.IGNORECASE) for h in ranked)


def test_criteria_search_returns_every_matching_line(shared_warehouse: Path) -> None:
    word = re.compile(r"\bpregnant\b", re.IGNORECASE)
    with connect(shared_warehouse) as con:
        load_fts(con)  # the macros stem the query with the extension's `stem`
        expected = {
            (nct, ordinal)
            for nct, ordinal, text in con.execute("SELECT nct_id, criterion_ordinal, text FROM criteria").fetchall()
            if word.search(text)
        }
        found = con.execute("SELECT nct_id, criterion_ordinal, score, text FROM search_criteria('pregnant')").fetchall()
        trials = con.execute("SELECT count(*) FROM search_trials('pregnant', max_results := 10000)").fetchall()[0][0]
    assert len(expected) > 10
    assert {(nct, ordinal) for nct, ordinal, *_ in found} == expected
    assert all(word.search(text) and score > 0 for *_, score, text in found)
    assert trials >= len({nct for nct, _ in expected})


def _scored(database: Path, terms: list[str]) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        load_fts(con)
        return {
            term: con.execute(
                "SELECT nct_id, source, ordinal, round(score, 9) FROM search_documents_scored(?) ORDER BY ALL",
                [term],
            ).fetchall()
            for term in terms
        }


def _change_seed(landing: Path) -> None:
    page = landing / SEED.name
    text = page.read_text(encoding="utf-8")
    assert ITEM in text
    page.write_text(text.replace(ITEM, f"2. Patients treated with {NEW_WORD} with advanced", 1), encoding="utf-8")


def test_an_incremental_run_that_changes_a_page_changes_the_results(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    first = run(landing, tmp_path)
    assert first.load.search.startswith("search index rebuilt") and not first.load.search_stale
    with connect(tmp_path) as con:
        assert search(con, NEW_WORD) == []
        before = search(con, "advanced breast cancer", limit=400)
    _change_seed(landing)
    second = run(landing, tmp_path)
    assert second.load.search.startswith("search index updated (1 trials)")
    with connect(tmp_path) as con:
        hits = search(con, NEW_WORD)
        lines = con.execute(f"SELECT nct_id, text FROM search_criteria('{NEW_WORD}')").fetchall()
        after = search(con, "advanced breast cancer", limit=400)
    assert [h.nct_id for h in hits] == [SEED.stem]
    assert len(lines) == 1 and lines[0][0] == SEED.stem
    assert lines[0][1].startswith(f"Patients treated with {NEW_WORD} with advanced")
    # The seed's criterion line changed, so its score for a term of that line changed too.
    seed_score = {h.nct_id: h.score for h in before}[SEED.stem]
    assert {h.nct_id: h.score for h in after}[SEED.stem] != seed_score
    # The update scores every document as a full rebuild of the same tables does.
    terms = [NEW_WORD, "advanced breast cancer", "pregnant", "hepatitis B"]
    database = tmp_path / "trials.duckdb"
    updated = _scored(database, terms)
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(database, rebuilt)
    with connect_for_write(rebuilt) as con:
        refresh_search_index(con)
    assert all(updated[term] for term in terms)
    assert updated == _scored(rebuilt, terms)


def _failing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refresh fails half-way, inside its transaction, as running out of memory would."""

    def fail(con: duckdb.DuckDBPyConnection) -> None:
        raise duckdb.OutOfMemoryException("injected: failed to pin block")

    monkeypatch.setattr(search_module, "_new_terms", fail)


def test_a_failed_refresh_keeps_the_load_and_the_next_run_catches_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    with monkeypatch.context() as patched:
        _failing(patched)
        first = run(landing, tmp_path)
    assert first.load.search_stale and "injected" in first.load.search and "next run" in first.load.search
    with connect(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM trials").fetchall()[0][0] == first.load.trials_loaded > 200
        assert not has_search_index(con)
    run(landing, tmp_path)  # nothing changed in the landing folder: the index is built anyway
    with connect(tmp_path) as con:
        assert has_search_index(con) and search(con, "pregnant")
    # Incremental: the update of a changed page fails, and the trial stays pending until a run succeeds.
    _change_seed(landing)
    with monkeypatch.context() as patched:
        _failing(patched)
        failed = run(landing, tmp_path)
    assert failed.load.trials_loaded == 1 and failed.load.search_stale
    with connect(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM criteria WHERE text LIKE ?", [f"%{NEW_WORD}%"]).fetchall() == [(1,)]
        assert search(con, NEW_WORD) == [] and pending_trials(con) == 1
        assert search(con, "pregnant")  # the rolled-back update left the index as it was
    caught_up = run(landing, tmp_path)
    assert caught_up.load.search.startswith("search index updated (1 trials)")
    with connect(tmp_path) as con:
        assert [h.nct_id for h in search(con, NEW_WORD)] == [SEED.stem] and pending_trials(con) == 0
