"""The gold trials as a tiny warehouse (`criteria` + `criteria_facts`), scored by the shared scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from eligibility import facts_frame
from recordpage.criteria import split_marker

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
GOLD = SHARED / "records" / "facts-gold.jsonl"
SCORER = SHARED / "tools" / "score_facts.py"


def gold_lines() -> list[dict]:
    with GOLD.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def gold_criteria() -> pl.DataFrame:
    """The gold lines as warehouse `criteria` rows: ordinal from 1, the marker split off as the parser does."""
    rows = []
    for g in gold_lines():
        marker, text, _, _ = split_marker(g["text"])
        if marker is None or f"{marker} {text}".split() != g["text"].split():
            marker, text = None, g["text"]
        rows.append(
            {
                "nct_id": g["nct_id"],
                "criterion_ordinal": g["line"] + 1,
                "kind": g["kind"],
                "marker": marker,
                "text": text,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"criterion_ordinal": pl.Int32})


def build_warehouse(path: Path) -> pl.DataFrame:
    criteria = gold_criteria()
    facts = facts_frame(criteria)
    con = duckdb.connect(str(path))
    con.register("c", criteria.to_arrow())
    con.register("f", facts.to_arrow())
    con.execute("create table criteria as select * from c")
    con.execute("create table criteria_facts as select * from f")
    con.close()
    return facts


def score(path: Path, show: int = 0) -> tuple[dict, str]:
    """Runs the shared scorer on the warehouse at `path`: (its --json figures, its printed report)."""
    out = path.with_suffix(".json")
    proc = subprocess.run(
        [sys.executable, str(SCORER), str(GOLD), str(path), "--json", str(out), "--show", str(show)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.read_text()), proc.stdout


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        wh = Path(tmp) / "gold.duckdb"
        build_warehouse(wh)
        print(score(wh, int(sys.argv[1]) if len(sys.argv) > 1 else 0)[1])


def gold_line(nct_id: str, line: int) -> dict:
    """One labelled gold line: {"text", "kind", "facts", ...}."""
    return next(g for g in gold_lines() if g["nct_id"] == nct_id and g["line"] == line)


def record_line(fragment: str) -> str:
    """The one criterion line of the shared records (text/ and oncology/, with marker) containing `fragment`."""
    found = []
    for path in (SHARED / "records" / "truth.jsonl", SHARED / "records" / "oncology" / "truth.jsonl"):
        with path.open(encoding="utf-8") as fh:
            for row in fh:
                found += [text for _, text, _ in json.loads(row).get("criteria", []) if fragment in text]
    assert len(set(found)) == 1, f"{fragment!r} is in {len(set(found))} distinct lines"
    return found[0]


def key(f: dict) -> tuple:
    """What the shared scorer compares (strict)."""
    return (f["concept"], f["low"], f["low_inclusive"], f["high"], f["high_inclusive"], f["unit"])
