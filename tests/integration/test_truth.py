"""The warehouse built from the shared records, compared field by field with truth.jsonl."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import duckdb

from tests.integration.conftest import SHARED, connect

SCALARS = [
    "last_updated", "overall_status", "phases", "enrollment", "study_type", "start_date", "completion_date",
    "has_results", "allocation", "intervention_model", "primary_purpose", "masking", "minimum_age",
    "maximum_age", "sex", "healthy_volunteers", "lead_sponsor", "lead_sponsor_class",
]  # fmt: skip


def _date_as_given(value, precision) -> str | None:
    if value is None:
        return None
    iso = value.isoformat()
    return {"day": iso, "month": iso[:7], "year": iso[:4]}[precision]


def warehouse_as_truth(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Rebuild, from the warehouse tables, records in the shape of truth.jsonl."""
    out: dict[str, dict] = {}
    cur = con.execute(f"""
        SELECT nct_id, brief_title, acronym, last_updated, start_date_precision, completion_date_precision,
               {", ".join(SCALARS)} FROM trials""")
    names = [d[0] for d in cur.description]
    for row in cur.fetchall():
        r = dict(zip(names, row, strict=True))
        r["title"] = r["brief_title"] + (f" ({r['acronym']})" if r["acronym"] else "")
        r["last_updated"] = r["last_updated"].isoformat() if r["last_updated"] else None
        r["start_date"] = _date_as_given(r["start_date"], r["start_date_precision"])
        r["completion_date"] = _date_as_given(r["completion_date"], r["completion_date_precision"])
        out[r["nct_id"]] = r | {
            k: [] for k in ("conditions", "arms", "interventions", "arm_interventions", "sites", "criteria")
        }
    queries = {
        "conditions": "SELECT nct_id, condition FROM conditions ORDER BY nct_id, condition_ordinal",
        "arms": "SELECT nct_id, label, arm_type FROM arms ORDER BY nct_id, arm_ordinal",
        "interventions": "SELECT nct_id, name, intervention_type FROM interventions ORDER BY nct_id, intervention_ordinal",
        "arm_interventions": """SELECT ai.nct_id, a.label, i.name FROM arm_interventions ai
            JOIN arms a USING (nct_id, arm_ordinal) JOIN interventions i USING (nct_id, intervention_ordinal)
            ORDER BY ai.nct_id, ai.arm_ordinal, ai.intervention_ordinal""",
        "sites": "SELECT nct_id, facility, city, state, country, status FROM sites ORDER BY nct_id, site_ordinal",
        "criteria": """SELECT nct_id, kind, CASE WHEN marker IS NULL THEN text ELSE marker || ' ' || text END, depth
            FROM criteria ORDER BY nct_id, criterion_ordinal""",
    }
    for field, sql in queries.items():
        for nct_id, *values in con.execute(sql).fetchall():
            out[nct_id][field].append(values[0] if field == "conditions" else list(values))
    return out


def field_scores(truth: list[dict], got: dict[str, dict]) -> dict[str, float]:
    right: dict[str, int] = defaultdict(int)
    fields = ["title", *SCALARS, "conditions", "arms", "interventions", "arm_interventions", "sites",
              "criteria_text", "criteria_depth"]  # fmt: skip
    for t in truth:
        g = got.get(t["nct_id"])
        if g is None:
            continue
        expected = t | {
            "criteria_text": [c[:2] for c in t["criteria"]],
            "criteria_depth": [c[2] for c in t["criteria"]],
        }
        actual = g | {"criteria_text": [c[:2] for c in g["criteria"]], "criteria_depth": [c[2] for c in g["criteria"]]}
        for f in fields:
            right[f] += expected[f] == actual[f]
    return {f: right[f] / len(truth) for f in fields}


def test_warehouse_matches_truth(shared_warehouse: Path) -> None:
    truth = [json.loads(line) for line in (SHARED / "truth.jsonl").read_text().splitlines()]
    with connect(shared_warehouse) as con:
        got = warehouse_as_truth(con)
    missing = sorted({t["nct_id"] for t in truth} - set(got))
    assert not missing, f"trials missing from the warehouse: {missing}"

    scores = field_scores(truth, got)
    print("\nshare of trials exactly right, per field")
    for field, share in scores.items():
        print(f"  {field:<20} {share:7.1%}")
    assert scores["criteria_text"] == 1.0, "criteria text must be complete: nothing lost"
    assert scores["criteria_depth"] >= 0.95
    low = {f: s for f, s in scores.items() if f not in ("criteria_text", "criteria_depth") and s < 0.99}
    assert not low, f"fields below 99%: {low}"


def test_seed_values(shared_warehouse: Path) -> None:
    with connect(shared_warehouse) as con:
        t = con.execute("""SELECT overall_status, phases, enrollment, start_date::VARCHAR, completion_date::VARCHAR,
                                  acronym, lead_sponsor, lead_sponsor_class, has_results
                           FROM trials WHERE nct_id = 'NCT04227327'""").fetchone()  # fmt: skip
        assert t == ("TERMINATED", ["PHASE2"], 31, "2020-01-07", "2024-07-25", "HERMIONE-7",
                     "University of Milano Bicocca", "OTHER", False)  # fmt: skip
        arms = con.execute("SELECT count(*) FROM arms WHERE nct_id = 'NCT04227327'").fetchone()[0]
        links = con.execute("SELECT count(*) FROM arm_interventions WHERE nct_id = 'NCT04227327'").fetchone()[0]
        assert (arms, links) == (1, 2)
        kinds = dict(
            con.execute("SELECT kind, count(*) FROM criteria WHERE nct_id = 'NCT04227327' GROUP BY kind").fetchall()
        )
        assert kinds == {"inclusion": 9, "exclusion": 14}
        nested = con.execute("""
            SELECT c.marker, c.depth, p.marker FROM criteria c JOIN criteria p
              ON p.nct_id = c.nct_id AND p.criterion_ordinal = c.parent_ordinal
            WHERE c.nct_id = 'NCT04227327' ORDER BY c.criterion_ordinal""").fetchall()  # fmt: skip
        assert nested == [("1.", 1, "8."), ("2.", 1, "8.")]
        sites = con.execute("""SELECT count(*), count(DISTINCT country), max(country), count(state), count(status)
                               FROM sites WHERE nct_id = 'NCT04227327'""").fetchone()  # fmt: skip
        assert sites == (39, 1, "Italy", 0, 0)
        ident = con.execute(
            "SELECT identifier, identifier_type, identifier_source FROM identifiers WHERE nct_id = 'NCT04227327'"
        ).fetchall()
        assert ident == [("HERMIONE-7", None, "org_study_id")]
