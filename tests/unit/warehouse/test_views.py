"""The views a warehouse holds match their models (what the data dictionary prints), and
`trial_changes` gives values an analyst can read and cast."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from schemas import DERIVED_VIEWS, TABLES_BY_NAME, WarehouseTable
from schemas.core import Trials
from warehouse.ddl import columns
from warehouse.store import connect, ensure_schema

VIEWS = [m for m in TABLES_BY_NAME.values() if m.__table__.is_view] + list(DERIVED_VIEWS)
# DESCRIBE spells some types out where the DDL uses DuckDB's short names.
_LONG_NAMES = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "trials.duckdb")
    ensure_schema(con)
    return con


@pytest.mark.parametrize("model", VIEWS, ids=lambda m: m.__table__.name)
def test_each_view_has_its_models_columns(con: duckdb.DuckDBPyConnection, model: type[WarehouseTable]) -> None:
    described = con.execute(f"DESCRIBE {model.__table__.name}").fetchall()
    assert {name: _LONG_NAMES.get(kind, kind) for name, kind, *_ in described} == columns(model)
    assert [row[0] for row in described] == list(columns(model))


def test_every_view_in_the_warehouse_is_in_the_dictionary(con: duckdb.DuckDBPyConnection) -> None:
    views = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert views == {m.__table__.name for m in VIEWS}


SEED_ROW = {
    "nct_id": "'NCT04227327'",
    "brief_title": "'A trial'",
    "last_updated": "DATE '2025-07-29'",
    "phases": "['PHASE2']",
    "enrollment": "31",
    "healthy_volunteers": "NULL",
    "minimum_age_years": "18.0",
    "title": "'A trial'",
    "source_path": "'NCT04227327.txt'",
    "source_format": "'page'",
}


def _version(con: duckdb.DuckDBPyConnection, sha: str, seen: str, values: dict[str, str], current: bool) -> None:
    """A trials row with `values`; kept as the current row, or snapshotted as the load does."""
    values = values | {"sha256": f"'{sha * 64}'"}
    names = ", ".join(values)
    con.execute(f"INSERT OR REPLACE INTO trials ({names}) VALUES ({', '.join(values.values())})")
    snapshot = "to_json(struct_pack(" + ", ".join(f"{c} := t.{c}" for c in columns(Trials)) + "))::VARCHAR"
    con.execute(
        f"""INSERT INTO trial_versions SELECT nct_id, ?, last_updated, TIMESTAMPTZ '{seen}',
            {"NULL" if current else "TIMESTAMPTZ '2026-01-01'"}, 'NCT04227327.txt',
            {"NULL" if current else snapshot} FROM trials t""",
        [sha * 64],
    )


def test_trial_changes_are_plain_text_that_casts_to_the_columns_type(con: duckdb.DuckDBPyConnection) -> None:
    _version(con, "a", "2025-08-01", SEED_ROW, current=False)
    later = SEED_ROW | {
        "last_updated": "DATE '2025-09-01'",
        "phases": "['PHASE2', 'PHASE3']",
        "enrollment": "40",
        "healthy_volunteers": "true",
        "brief_title": "'A trial, renamed'",
    }
    _version(con, "b", "2025-09-02", later, current=True)
    rows = con.execute(
        "SELECT field, old_value, new_value, value_type, old_json, new_json FROM trial_changes ORDER BY field"
    ).fetchall()
    assert rows == [
        ("brief_title", "A trial", "A trial, renamed", "VARCHAR", '"A trial"', '"A trial, renamed"'),
        ("enrollment", "31", "40", "INTEGER", "31", "40"),
        ("healthy_volunteers", None, "true", "BOOLEAN", "null", "true"),
        ("last_updated", "2025-07-29", "2025-09-01", "DATE", '"2025-07-29"', '"2025-09-01"'),
        ("phases", "[PHASE2]", "[PHASE2, PHASE3]", "VARCHAR[]", '["PHASE2"]', '["PHASE2","PHASE3"]'),
    ]
    typed = con.execute("""
        SELECT new_value::INTEGER - old_value::INTEGER,
               (SELECT new_value::DATE FROM trial_changes WHERE field = 'last_updated'),
               (SELECT new_value::VARCHAR[] FROM trial_changes WHERE field = 'phases')
        FROM trial_changes WHERE field = 'enrollment'
    """).fetchone()
    assert typed is not None and typed[0] == 9 and str(typed[1]) == "2025-09-01" and typed[2] == ["PHASE2", "PHASE3"]
