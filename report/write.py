"""Entry point: query the warehouse, draw every chart, write the one HTML file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from report.model import Chart
from report.page import page
from report.queries import CHARTS, tables

TITLE = "Trial warehouse report"


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    bytes: int
    charts: list[str]  # keys of the charts drawn, in page order
    empty: list[str]  # keys of those drawn as "no data"
    skipped: list[str]  # charts left out because their table is absent (criteria_facts)
    trials: int


def _trials(con: duckdb.DuckDBPyConnection, have: set[str]) -> int:
    if "trials" not in have:
        return 0
    (n,) = con.execute("SELECT count(*) FROM trials").fetchone() or (0,)
    return int(n)


def write_report(con: duckdb.DuckDBPyConnection, out: Path) -> ReportSummary:
    """Write the report to `out` (an .html file; its folder is created) and say what it holds."""
    have = tables(con)
    charts: list[Chart] = []
    skipped: list[str] = []
    for key, make in CHARTS.items():
        chart = make(con, have)
        if chart is None:
            skipped.append(key)
        else:
            charts.append(chart)
    trials = _trials(con, have)
    text = page(charts, TITLE, f"{trials:,} trials.", datetime.now(UTC))
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed over, so a reader never opens half a report.
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return ReportSummary(
        path=out,
        bytes=out.stat().st_size,
        charts=[c.key for c in charts],
        empty=[c.key for c in charts if not c.has_data],
        skipped=skipped,
        trials=trials,
    )
