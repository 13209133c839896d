"""Small helpers to show results in the Dagster UI."""

from __future__ import annotations

import dagster as dg
import duckdb


def preview(con: duckdb.DuckDBPyConnection, table: str, limit: int = 5) -> dg.MetadataValue:
    """The first rows of a table as markdown (long values cut so the table stays readable)."""
    cur = con.execute(f"SELECT * FROM {table} LIMIT {limit}")
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()

    def cell(value: object) -> str:
        text = "" if value is None else str(value).replace("\n", " ").replace("|", "\\|")
        return text if len(text) <= 40 else text[:37] + "..."

    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))
