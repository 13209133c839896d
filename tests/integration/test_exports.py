"""Parquet exports hold exactly what the warehouse holds, and an incremental run rewrites only
the parts that changed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pytest

from schemas import ALL_TABLES, CORE_TABLES
from tests.integration.conftest import SEED, connect, landing_with_shared, run
from warehouse import export, load


def export_source(exports: Path, table: str) -> str:
    folder = exports / table
    return f"'{folder}/*.parquet'" if folder.is_dir() else f"'{exports / table}.parquet'"


def assert_exports_match(work: Path) -> None:
    exports = work / "exports"
    with connect(work) as con:
        for model in ALL_TABLES:
            name = model.__table__.name
            table_cols = [d[0] for d in con.execute(f"SELECT * FROM {name} LIMIT 0").description]
            exported = duckdb.sql(f"SELECT * FROM read_parquet({export_source(exports, name)}) LIMIT 0")
            assert exported.columns == table_cols, name
            difference = con.execute(f"""
                SELECT count(*) FROM (
                    (SELECT * FROM {name} EXCEPT ALL SELECT * FROM read_parquet({export_source(exports, name)}))
                    UNION ALL
                    (SELECT * FROM read_parquet({export_source(exports, name)}) EXCEPT ALL SELECT * FROM {name}))
            """).fetchone()[0]  # fmt: skip
            assert difference == 0, f"export of {name} differs from the table in {difference} rows"
        manifest = json.loads((exports / "_manifest.json").read_text())["rows"]
        counts = {
            m.__table__.name: con.execute(f"SELECT count(*) FROM {m.__table__.name}").fetchone()[0] for m in ALL_TABLES
        }
        assert manifest == counts


def test_exports_equal_tables_and_unchanged_parts_are_reused(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    run(landing, tmp_path)
    assert_exports_match(tmp_path)
    first = (tmp_path / "exports").resolve()
    # A first run's raw store files are its `source_records` parts, linked, not written again.
    assert inodes(first / "source_records") == raw_store_inodes(tmp_path)

    page = landing / "NCT04227327.txt"
    page.write_text(page.read_text(encoding="utf-8").replace("31 participants", "33 participants"), encoding="utf-8")
    run(landing, tmp_path)
    assert_exports_match(tmp_path)
    second = (tmp_path / "exports").resolve()
    assert second != first

    old_parts = {p.name: p.stat().st_ino for p in (first / "source_records").iterdir()}
    new_parts = {p.name: p.stat().st_ino for p in (second / "source_records").iterdir()}
    assert set(old_parts) < set(new_parts)  # one new part for the page read this run
    assert all(new_parts[name] == inode for name, inode in old_parts.items())  # the rest are hard links
    assert new_parts.items() - old_parts.items() <= raw_store_inodes(tmp_path).items()  # the new one too
    # Only the enrollment changed: of the core tables, only `trials` is written again.
    assert rewritten_core_tables(first, second) == {"trials"}

    text = page.read_text(encoding="utf-8")
    assert "regardless of menopausal status" in text
    page.write_text(text.replace("regardless of menopausal status", "whatever her menopausal status"), encoding="utf-8")
    run(landing, tmp_path)
    assert_exports_match(tmp_path)
    third = (tmp_path / "exports").resolve()
    assert rewritten_core_tables(second, third) == {"trials", "criteria"}


def inodes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.iterdir()}


def raw_store_inodes(work: Path) -> dict[str, int]:
    """Raw store files by the name of the export part they would be."""
    return {f"{p.parent.name}-{p.name}": p.stat().st_ino for p in (work / "trials.raw").glob("*/*.parquet")}


def rewritten_core_tables(old: Path, new: Path) -> set[str]:
    """Core tables whose export file in `new` is not a hard link of the one in `old`."""
    return {
        name
        for name in (m.__table__.name for m in CORE_TABLES)
        if (old / f"{name}.parquet").stat().st_ino != (new / f"{name}.parquet").stat().st_ino
    }


def test_a_file_that_outgrows_the_export_memory_limit_is_written_again_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # 1 MB cannot hold even one block of the biggest tables: those copies run short of
    # memory side by side and must be written again under the load's limit, not fail the run.
    monkeypatch.setattr(export, "export_memory_mb", lambda threads: 1)
    landing = landing_with_shared(tmp_path / "landing")
    with caplog.at_level(logging.WARNING, logger=export.__name__):
        run(landing, tmp_path)
    retried = [r.getMessage() for r in caplog.records if "ran short of memory" in r.getMessage()]
    assert any("trials.parquet" in message for message in retried), retried
    assert_exports_match(tmp_path)


@pytest.mark.parametrize(
    ("old", "new"),
    [("NULL", "[]::VARCHAR[]"), ("[]::VARCHAR[]", "[NULL]::VARCHAR[]"), ("['a, b']", "['a', 'b']")],
)
def test_rows_that_differ_only_where_hash_is_blind_still_count_as_changed(old: str, new: str) -> None:
    # DuckDB's hash() gives NULL, [] and [NULL] one value (and 0.0 and -0.0 another): the
    # fingerprint that decides whether a table is exported again must tell them apart.
    con = duckdb.connect()
    types = {"nct_id": "VARCHAR", "phases": "VARCHAR[]", "age": "DOUBLE"}

    def fingerprint(phases: str, age: str) -> tuple:
        rows = f"(SELECT 'NCT00000001' AS nct_id, {phases}::VARCHAR[] AS phases, {age}::DOUBLE AS age)"
        return load._fingerprint(con, rows, types)

    assert fingerprint(old, "1.0") != fingerprint(new, "1.0")
    assert fingerprint(old, "0.0") != fingerprint(old, "-0.0")
    assert fingerprint(old, "1.0") == fingerprint(old, "1.0")


def test_a_page_changed_and_changed_back_is_exported_once(tmp_path: Path) -> None:
    """X, then Y, then X again at one path: the third run's raw file holds X's bytes, which
    `source_pages` already holds from the first run; that file is not a part as it stands."""
    landing = tmp_path / "landing"
    landing.mkdir()
    page = landing / SEED.name
    original = SEED.read_text(encoding="utf-8")
    for text in (original, original.replace("31 participants", "32 participants"), original):
        page.write_text(text, encoding="utf-8")
        run(landing, tmp_path)
        assert_exports_match(tmp_path)
    with connect(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM source_pages").fetchone()[0] == 2


def test_raw_files_in_the_older_layout_are_still_read_and_exported(tmp_path: Path) -> None:
    """Warehouses made before the raw store took the `source_records` layout hold
    `b<batch>.parquet` files (path, text, raw, ...): their pages keep their text."""
    landing = landing_with_shared(tmp_path / "landing")
    run(landing, tmp_path)
    raw = tmp_path / "trials.raw"
    renamed = {}
    for file in raw.glob("*/r*.parquet"):
        older = file.with_name("b" + file.name[1:])
        duckdb.execute(f"""
            COPY (SELECT source_path AS path, size_bytes AS size, 0::BIGINT AS mtime_ns, sha256, record_text AS text,
                         encoding, raw_bytes AS raw, NULL::VARCHAR AS error FROM read_parquet('{file}'))
            TO '{older}' (FORMAT parquet)
        """)  # fmt: skip
        file.unlink()
        renamed[f"{file.parent.name}/{file.name}"] = f"{older.parent.name}/{older.name}"
    with duckdb.connect(str(tmp_path / "trials.duckdb")) as con:
        for new, old in renamed.items():
            con.execute("UPDATE source_pages SET raw_file = ? WHERE raw_file = ?", [old, new])
    page = landing / "NCT04227327.txt"
    page.write_text(page.read_text(encoding="utf-8").replace("31 participants", "33 participants"), encoding="utf-8")
    run(landing, tmp_path)  # a new-layout file beside the older ones
    assert_exports_match(tmp_path)
    with connect(tmp_path) as con:
        layouts = con.execute(
            "SELECT DISTINCT left(parse_filename(raw_file), 1) FROM source_pages ORDER BY 1"
        ).fetchall()
        assert layouts == [("b",), ("r",)]
        missing = con.execute("SELECT count(*) FROM source_records WHERE record_text IS NULL").fetchone()[0]
        assert missing == 0
        text = con.execute(
            "SELECT record_text FROM source_records WHERE source_path LIKE ? ORDER BY first_seen LIMIT 1",
            [f"%{page.name}"],
        ).fetchone()[0]
    assert "31 participants" in text
