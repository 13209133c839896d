"""Ingesting the same folder twice leaves byte-identical query results."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from schemas import CORE_TABLES
from tests.integration.conftest import connect, landing_with_shared, run


def table_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    digests = {}
    for model in CORE_TABLES:
        name = model.__table__.name
        rows = con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
        digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    first = run(landing, tmp_path)
    with connect(tmp_path) as con:
        before = table_digests(con)
    second = run(landing, tmp_path)
    with connect(tmp_path) as con:
        after = table_digests(con)
        runs = con.execute(
            "SELECT records_new, records_changed, records_unchanged FROM ingest_runs ORDER BY started_at"
        ).fetchall()
    assert before == after
    assert first.load.trials_loaded == 239
    assert second.load.trials_loaded == 0 and second.pages_read == 0
    assert runs == [(239, 0, 0), (0, 0, 239)]
