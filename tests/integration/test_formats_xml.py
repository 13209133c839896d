"""The 65 real legacy `<clinical_study>` XML records through the pipeline, checked against the XML
itself read with ElementTree: every file loads, the counts of sites, arms, interventions and
conditions are the XML's, the criteria rows joined back are its text block, and each value
mapping gives the contract's code (against a table written out here, not the format's own).
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET  # only on the shared records, which are trusted
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import SHARED, run

XML_DIR = SHARED / "xml"
PATHS = sorted(XML_DIR.glob("*.xml"))
HEADINGS = {p + h for h in ("inclusion criteria", "exclusion criteria") for p in ("", "key ")}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, shared_records: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    assert len(PATHS) == 65, f"expected the 65 legacy XML records in {XML_DIR}"
    root = tmp_path_factory.mktemp("xml")
    landing = root / "landing"
    landing.mkdir()
    for path in PATHS:
        shutil.copy(path, landing / path.name)
    run(landing, root)
    with duckdb.connect(str(root / "trials.duckdb"), read_only=True) as c:
        yield c


def study(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def text(path: Path, tag: str) -> str | None:
    el = study(path).find(tag)
    return " ".join(el.text.split()) if el is not None and el.text else None


def test_every_file_loads(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT nct_id, source_path, source_format FROM trials ORDER BY nct_id").fetchall()
    assert rows == [(p.stem, p.name, "legacy_xml") for p in PATHS]
    assert con.execute("SELECT count(*) FROM rejected_records").fetchone() == (0,)


COUNTED = {"sites": "location", "arms": "arm_group", "interventions": "intervention", "conditions": "condition"}


@pytest.mark.parametrize("table", COUNTED)
def test_counts_equal_the_xml(table: str, con: duckdb.DuckDBPyConnection) -> None:
    got = dict(con.execute(f"SELECT nct_id, count(*) FROM {table} GROUP BY nct_id").fetchall())
    expected = {p.stem: len(study(p).findall(COUNTED[table])) for p in PATHS}  # direct children only
    assert sum(expected.values()) > 0, table
    assert {n: got.get(n, 0) for n in expected} == expected


def _without_headings_and_space(block: str) -> str:
    kept = [line for line in block.splitlines() if line.strip().rstrip(" :.-").lower() not in HEADINGS]
    return re.sub(r"\s+", "", "".join(kept))


def test_criteria_rows_joined_back_are_the_text_block(con: duckdb.DuckDBPyConnection) -> None:
    rows: dict[str, str] = {}
    for nct_id, line in con.execute(
        "SELECT nct_id, coalesce(marker, '') || text FROM criteria ORDER BY nct_id, criterion_ordinal"
    ).fetchall():
        rows[nct_id] = rows.get(nct_id, "") + line
    checked = 0
    for path in PATHS:
        block = study(path).find("eligibility/criteria/textblock")
        if block is None or not block.text:
            assert path.stem not in rows
            continue
        assert re.sub(r"\s+", "", rows[path.stem]) == _without_headings_and_space(block.text), path.stem
        checked += 1
    assert checked == len(PATHS)
    # Hard-wrapped lines were joined back: no criterion keeps a line break.
    assert con.execute("SELECT count(*) FROM criteria WHERE text LIKE '%' || chr(10) || '%'").fetchone() == (0,)


# The registry's own mapping, written out independently of formats/legacy_xml_values.py.
STATUS = {"Completed": "COMPLETED", "Recruiting": "RECRUITING", "Not yet recruiting": "NOT_YET_RECRUITING",
          "Terminated": "TERMINATED", "Unknown status": "UNKNOWN", "Suspended": "SUSPENDED",
          "Active, not recruiting": "ACTIVE_NOT_RECRUITING", "Withdrawn": "WITHDRAWN",
          "Enrolling by invitation": "ENROLLING_BY_INVITATION"}  # fmt: skip
PHASE = {"N/A": ["NA"], "Early Phase 1": ["EARLY_PHASE1"], "Phase 1": ["PHASE1"], "Phase 2": ["PHASE2"],
         "Phase 3": ["PHASE3"], "Phase 4": ["PHASE4"], "Phase 1/Phase 2": ["PHASE1", "PHASE2"],
         "Phase 2/Phase 3": ["PHASE2", "PHASE3"], None: []}  # fmt: skip
DATE_TYPE = {"Actual": "ACTUAL", "Anticipated": "ESTIMATED", "Estimated": "ESTIMATED", None: None}


def _column(con: duckdb.DuckDBPyConnection, column: str) -> dict[str, object]:
    return dict(con.execute(f"SELECT nct_id, {column} FROM trials").fetchall())


def test_status_mapping(con: duckdb.DuckDBPyConnection) -> None:
    got = _column(con, "overall_status")
    assert got == {p.stem: STATUS[text(p, "overall_status")] for p in PATHS}
    sites = con.execute("SELECT nct_id, site_ordinal, status FROM sites ORDER BY ALL").fetchall()
    expected = sorted(
        (p.stem, k, STATUS[s.text] if (s := loc.find("status")) is not None else None)
        for p in PATHS
        for k, loc in enumerate(study(p).findall("location"), start=1)
    )
    assert sites == expected and any(s for _, _, s in sites)


def test_phase_mapping(con: duckdb.DuckDBPyConnection) -> None:
    got = _column(con, "phases")
    assert got == {p.stem: PHASE[text(p, "phase")] for p in PATHS}
    assert ["PHASE1", "PHASE2"] in got.values() and ["NA"] in got.values()


@pytest.mark.parametrize("tag", ["start_date", "primary_completion_date", "completion_date", "enrollment"])
def test_date_and_enrollment_type_mapping(tag: str, con: duckdb.DuckDBPyConnection) -> None:
    got = _column(con, f"{tag}_type")
    expected = {}
    for p in PATHS:
        el = study(p).find(tag)
        expected[p.stem] = DATE_TYPE[el.get("type") if el is not None else None]
    assert got == expected
    assert {"ACTUAL", "ESTIMATED"} <= set(expected.values())


def test_not_applicable_mapping(con: duckdb.DuckDBPyConnection) -> None:
    """`N/A` is a value for phase and allocation (`NA`), and no age at all (NULL)."""
    ages = {n: (lo, hi) for n, lo, hi in con.execute("SELECT nct_id, minimum_age, maximum_age FROM trials").fetchall()}
    allocation = _column(con, "allocation")
    seen = 0
    for p in PATHS:
        for tag, k in (("eligibility/minimum_age", 0), ("eligibility/maximum_age", 1)):
            if text(p, tag) == "N/A":
                assert ages[p.stem][k] is None, (p.stem, tag)
                seen += 1
            elif text(p, tag):
                assert ages[p.stem][k] == text(p, tag), (p.stem, tag)
        if text(p, "study_design_info/allocation") == "N/A":
            assert allocation[p.stem] == "NA"
            seen += 1
    assert seen > 30
