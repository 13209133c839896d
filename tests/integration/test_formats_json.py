"""The 353 real API v2 JSON records through the pipeline, in the three layouts the registry
publishes them: one file per study, one array (a search's `ctg-studies.json`), and a zip of
folders of studies (the bulk download). Each warehouse is compared field by field with
truth.jsonl, and row by row with the same records ingested as pages.

Each layout is ingested once (module fixtures); the tests only read the warehouses.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from schemas import CORE_TABLES, TABLES_BY_NAME
from schemas.record_extras import RECORD_EXTRA_TABLES
from tests.integration.conftest import SHARED, run
from tests.integration.test_truth import field_scores, warehouse_as_truth

SETS = (SHARED, SHARED / "oncology")
RECORDS = 353
# Columns that say where a row came from, not what the trial is: they differ between layouts.
LINEAGE = ("sha256", "source_path", "source_format")


def json_files() -> list[Path]:
    return [p for root in SETS for p in sorted((root / "ctgov-json").glob("*.json"))]


def page_files() -> list[Path]:
    return [root / "text" / f"{p.stem}.txt" for p in json_files() for root in [p.parent.parent]]


def single_files(landing: Path) -> None:
    for p in json_files():
        folder = landing / p.parent.parent.name  # `records` or `oncology`: two folders, as copied
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, folder / p.name)


def one_array(landing: Path) -> None:
    """A search download: one JSON array holding every study, each as the registry wrote it."""
    landing.mkdir(parents=True)
    parts = [p.read_text(encoding="utf-8").strip() for p in json_files()]
    (landing / "ctg-studies.json").write_text("[\n" + ",\n".join(parts) + "\n]\n", encoding="utf-8")


def bulk_zip(landing: Path) -> None:
    """The bulk download's layout: one zip, a folder per 10,000 NCT numbers (`NCT0441xxxx/`)."""
    landing.mkdir(parents=True)
    with zipfile.ZipFile(landing / "ctg-studies.json.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for p in json_files():
            zf.write(p, f"{p.stem[:7]}xxxx/{p.name}")


def pages(landing: Path) -> None:
    landing.mkdir(parents=True)
    for p in page_files():
        shutil.copy(p, landing / p.name)


# A batch of 100 pages makes the zip bigger than a batch, so it is read as the bulk download
# is: in ranges of its members, a batch each (ingest.extract.zip_member_chunks).
LAYOUTS = {"single": (single_files, {}), "array": (one_array, {}), "zip": (bulk_zip, {"batch_size": 100}),
           "pages": (pages, {})}  # fmt: skip


@pytest.fixture(scope="module")
def warehouses(
    tmp_path_factory: pytest.TempPathFactory, shared_records: Path
) -> Iterator[dict[str, duckdb.DuckDBPyConnection]]:
    assert len(json_files()) == RECORDS, "expected the 353 shared JSON records"
    cons: dict[str, duckdb.DuckDBPyConnection] = {}
    try:
        for name, (build, options) in LAYOUTS.items():
            root = tmp_path_factory.mktemp(name)
            build(root / "landing")
            summary = run(root / "landing", root, **options)
            assert summary.load.pages_rejected == 0, summary.load
            cons[name] = duckdb.connect(str(root / "trials.duckdb"), read_only=True)
        yield cons
    finally:
        for con in cons.values():
            con.close()


JSON_LAYOUTS = ["single", "array", "zip"]


def truth() -> list[dict]:
    wanted = {p.stem for p in json_files()}
    lines = [line for root in SETS for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    return [t for t in map(json.loads, lines) if t["nct_id"] in wanted]


@pytest.mark.parametrize("layout", JSON_LAYOUTS)
def test_every_study_loads_once_under_its_layout_path(layout: str, warehouses: dict) -> None:
    con = warehouses[layout]
    rows = con.execute("SELECT nct_id, source_path, source_format FROM trials ORDER BY nct_id").fetchall()
    assert len(rows) == RECORDS
    assert {f for _, _, f in rows} == {"ctgov_json"}
    expected = {
        "single": lambda n: {f"records/{n}.json", f"oncology/{n}.json"},
        "array": lambda n: {f"ctg-studies.json::{n}"},
        "zip": lambda n: {f"ctg-studies.json.zip::{n[:7]}xxxx/{n}.json"},
    }[layout]
    assert all(path in expected(nct) for nct, path, _ in rows), rows[:3]
    assert con.execute("SELECT count(*) FROM rejected_records").fetchone() == (0,)


@pytest.mark.parametrize("layout", JSON_LAYOUTS)
def test_fields_match_truth(layout: str, warehouses: dict) -> None:
    expected = truth()
    assert len(expected) == RECORDS
    got = warehouse_as_truth(warehouses[layout])
    scores = field_scores(expected, got)
    print(f"\n{layout}: share of the {RECORDS} trials exactly right, per field")
    for field, share in scores.items():
        print(f"  {field:<20} {share:7.1%}")
    assert scores["criteria_text"] == 1.0, "criteria text must be complete: nothing lost"
    assert scores["criteria_depth"] >= 0.98
    low = {f: s for f, s in scores.items() if f not in ("criteria_text", "criteria_depth") and s < 0.995}
    assert not low, f"fields below 99.5%: {low}"


def _columns(table: str, *, page_only: bool) -> list[str]:
    cols = TABLES_BY_NAME[table].to_schema().columns
    return [
        c for c, col in cols.items()
        if c not in LINEAGE and not (page_only and "formats" in (col.metadata or {}))
    ]  # fmt: skip


def _rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[tuple]:
    return con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()


PAGE_TABLES = [m.__table__.name for m in CORE_TABLES if m not in RECORD_EXTRA_TABLES]


@pytest.mark.parametrize("layout", JSON_LAYOUTS)
@pytest.mark.parametrize("table", PAGE_TABLES)
def test_same_rows_as_the_pages(layout: str, table: str, warehouses: dict) -> None:
    """Every contract row the page gives, the JSON gives identically: only the criteria's
    nesting may differ (the JSON keeps the indentation the page has lost)."""
    columns = _columns(table, page_only=True)
    if table == "criteria":
        columns = [c for c in columns if c not in ("depth", "parent_ordinal")]
    from_pages, from_json = _rows(warehouses["pages"], table, columns), _rows(warehouses[layout], table, columns)
    if from_pages != from_json:
        pages, jsons = set(map(repr, from_pages)), set(map(repr, from_json))
        pytest.fail(
            f"{table}: only from the pages {sorted(pages - jsons)[:3]}, only from the JSON {sorted(jsons - pages)[:3]}"
        )
    assert from_json or table == "extra_sections"


@pytest.mark.parametrize("layout", ["array", "zip"])
@pytest.mark.parametrize("table", [m.__table__.name for m in CORE_TABLES])
def test_every_layout_gives_the_same_warehouse(layout: str, table: str, warehouses: dict) -> None:
    """An array or a zip of the studies holds exactly what their single files hold, the record
    beyond the page and the criteria's nesting included."""
    columns = _columns(table, page_only=False)
    assert _rows(warehouses[layout], table, columns) == _rows(warehouses["single"], table, columns)


def test_the_record_beyond_the_page_is_filled_from_json_only(warehouses: dict) -> None:
    for table in (m.__table__.name for m in RECORD_EXTRA_TABLES):
        assert warehouses["pages"].execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        assert warehouses["single"].execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    filled = (
        warehouses["single"]
        .execute("SELECT count(official_title), count(first_posted), count(start_date_type) FROM trials")
        .fetchone()
    )
    studies = [json.loads(p.read_text(encoding="utf-8"))["protocolSection"] for p in json_files()]
    assert filled == (
        sum("officialTitle" in s["identificationModule"] for s in studies),
        sum("studyFirstPostDateStruct" in s["statusModule"] for s in studies),
        sum("type" in s["statusModule"].get("startDateStruct", {}) for s in studies),
    )
    assert min(filled) > RECORDS // 2
