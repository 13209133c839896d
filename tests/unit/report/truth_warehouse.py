"""A small in-memory warehouse filled straight from the shared records' truth and gold facts.

It holds only the columns the report reads, under the contract's names and types, so the report
tests can count every expected figure independently in Python without running an ingest.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

RECORDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "records"


def truth_records() -> list[dict]:
    path = RECORDS / "truth.jsonl"
    if not path.is_file():
        pytest.fail(f"shared records not found at {RECORDS}: the tests need ../shared beside the project")
    return [json.loads(line) for line in path.read_text().splitlines()]


def gold_facts() -> list[dict]:
    return [json.loads(line) for line in (RECORDS / "facts-gold.jsonl").read_text().splitlines()]


def truth_warehouse(truth: list[dict], facts: list[dict] | None) -> duckdb.DuckDBPyConnection:
    """The columns the report reads, with the contract's names and types, from the truth records."""
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE trials (nct_id VARCHAR, phases VARCHAR[], overall_status VARCHAR, enrollment INTEGER,
                                start_date DATE)"""
    )
    con.executemany(
        "INSERT INTO trials VALUES (?, ?, ?, ?, ?)",
        [
            # A month or year-only date is stored as its first day, as the warehouse does.
            (t["nct_id"], t["phases"], t["overall_status"], t["enrollment"], _first_day(t["start_date"]))
            for t in truth
        ],
    )
    con.execute("CREATE TABLE conditions (nct_id VARCHAR, condition VARCHAR)")
    con.executemany("INSERT INTO conditions VALUES (?, ?)", [(t["nct_id"], c) for t in truth for c in t["conditions"]])
    con.execute("CREATE TABLE interventions (nct_id VARCHAR, name VARCHAR)")
    con.executemany(
        "INSERT INTO interventions VALUES (?, ?)", [(t["nct_id"], i[0]) for t in truth for i in t["interventions"]]
    )
    con.execute("CREATE TABLE sites (nct_id VARCHAR, country VARCHAR)")
    con.executemany("INSERT INTO sites VALUES (?, ?)", [(t["nct_id"], s[3]) for t in truth for s in t["sites"]])
    con.execute("CREATE TABLE criteria (nct_id VARCHAR)")
    con.executemany("INSERT INTO criteria VALUES (?)", [(t["nct_id"],) for t in truth for _ in t["criteria"]])
    con.execute(
        """CREATE TABLE rejected_records (stage VARCHAR, reason VARCHAR, resolved_at TIMESTAMPTZ);
           CREATE TABLE ingest_runs (started_at TIMESTAMPTZ, status VARCHAR, records_new BIGINT,
               records_changed BIGINT, records_unchanged BIGINT, records_rejected BIGINT);
           CREATE TABLE check_results (run_id VARCHAR, check_name VARCHAR, passed BOOLEAN, checked_at TIMESTAMPTZ)"""
    )
    if facts is not None:
        con.execute("CREATE TABLE criteria_facts (nct_id VARCHAR, concept VARCHAR)")
        con.executemany(
            "INSERT INTO criteria_facts VALUES (?, ?)", [(g["nct_id"], f["concept"]) for g in facts for f in g["facts"]]
        )
    return con


def _first_day(date: str | None) -> str | None:
    if date is None:
        return None
    return (date + "-01-01")[:10] if len(date) == 4 else (date + "-01")[:10]
