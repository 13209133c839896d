"""The record beyond the page in the warehouse: the new tables load from JSON records, and the
calculated-values view computes from them."""

from __future__ import annotations

import json

import duckdb
import pytest

from formats.ctgov_json import FORMAT
from ingest.tables import build_tables
from schemas import CORE_TABLES
from tests.unit.formats.records import json_paths
from warehouse.ddl import all_ddl


@pytest.fixture(scope="module")
def con(shared_records) -> duckdb.DuckDBPyConnection:
    records = [(k, "0" * 64, p.name, FORMAT.parse(p.read_text(encoding="utf-8"))) for k, p in enumerate(json_paths())]
    frames = build_tables(records)
    db = duckdb.connect()
    for statement in all_ddl():
        db.execute(statement)
    for model in CORE_TABLES:
        name = model.__table__.name
        frame = frames[name].drop("_rec")  # noqa: F841  (read by DuckDB by name)
        db.execute(f"INSERT INTO {name} SELECT * FROM frame")
    return db


def test_calculated_values_from_the_json(con: duckdb.DuckDBPyConnection) -> None:
    rows = {r[0]: r[1:] for r in con.execute("SELECT * FROM trial_calculated_values").fetchall()}
    assert len(rows) == 353
    for path in json_paths():
        ps = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
        locations = ps.get("contactsLocationsModule", {}).get("locations", [])
        sites, us, duration, to_results = rows[path.stem]
        assert sites == len(locations)
        assert us == (any(x.get("country") == "United States" for x in locations) if locations else None)
        status = ps["statusModule"]
        start, primary = status.get("startDateStruct", {}), status.get("primaryCompletionDateStruct", {})
        if start.get("type") == "ACTUAL" and primary.get("type") == "ACTUAL":
            (y0, m0), (y1, m1) = (map(int, d["date"][:7].split("-")) for d in (start, primary))
            assert duration == (y1 - y0) * 12 + m1 - m0
        else:
            assert duration is None
        posted = status.get("resultsFirstPostDateStruct")
        assert (to_results is None) == (posted is None or "date" not in primary)
    assert sum(v[2] is not None for v in rows.values()) > 0 and sum(v[3] is not None for v in rows.values()) > 0


def test_new_tables_hold_what_the_json_holds(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute("""SELECT 'outcomes', count(*) FROM outcomes UNION ALL SELECT 'keywords', count(*) FROM keywords
            UNION ALL SELECT 'mesh', count(*) FROM mesh_terms UNION ALL SELECT 'refs', count(*) FROM study_references
            UNION ALL SELECT 'geo', count(latitude) FROM sites""").fetchall()
    )
    expected = dict.fromkeys(counts, 0)
    for path in json_paths():
        study = json.loads(path.read_text(encoding="utf-8"))
        ps, derived = study["protocolSection"], study.get("derivedSection", {})
        om = ps.get("outcomesModule", {})
        expected["outcomes"] += sum(
            len(om.get(k, [])) for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")
        )
        expected["keywords"] += len(ps.get("conditionsModule", {}).get("keywords", []))
        for module in ("conditionBrowseModule", "interventionBrowseModule"):
            expected["mesh"] += len(derived.get(module, {}).get("meshes", []))
        expected["refs"] += len(ps.get("referencesModule", {}).get("references", []))
        locations = ps.get("contactsLocationsModule", {}).get("locations", [])
        expected["geo"] += sum("geoPoint" in x for x in locations)
    assert counts == expected
    assert all(counts.values())
