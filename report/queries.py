"""The report's charts as SQL over the warehouse tables (names and columns of the warehouse contract).

Each function returns a `Chart` whose lists are empty when the warehouse holds nothing for it,
so an empty or partly built warehouse still gets every chart, drawn as "no data".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from report.model import Chart, Series

TOP = 15  # bars in a "top N" chart: more become unreadable labels
TOP_COUNTRIES = 20
NONE_GIVEN = "none given"
# Colours for series whose names carry a verdict (failed, rejected), so red always means a problem.
RED, GREEN, GREY, BLUE, ORANGE = "#d62728", "#2ca02c", "#9e9e9e", "#1f77b4", "#ff7f0e"

# Enrollment buckets, roughly logarithmic: trial sizes span 0 to tens of thousands.
ENROLLMENT_BUCKETS: list[tuple[str, int, int | None]] = [
    ("0", 0, 0),
    ("1-9", 1, 9),
    ("10-49", 10, 49),
    ("50-99", 50, 99),
    ("100-499", 100, 499),
    ("500-999", 500, 999),
    ("1,000-4,999", 1000, 4999),
    ("5,000+", 5000, None),
]


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables and views in the default schema: a chart whose source is missing says so instead of failing."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall()
    return {name for (name,) in rows}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def _missing(have: set[str], *needed: str) -> str | None:
    gone = [t for t in needed if t not in have]
    return f"no data: no table {', '.join(gone)} in this warehouse" if gone else None


def _pivot(
    rows: Sequence[tuple[str, str, int]], order: Callable[[str], Any] | None = None
) -> tuple[list[str], list[Series]]:
    """(category, series, count) rows -> categories and one series per name, zeros where a pair is absent."""
    cats = sorted({r[0] for r in rows}, key=order)
    names = sorted({r[1] for r in rows}, key=lambda n: -sum(r[2] for r in rows if r[1] == n))
    at = {(c, n): v for c, n, v in rows}
    return cats, [Series(n, [at.get((c, n), 0) for c in cats]) for n in names]


def _phase_order(phase: str) -> tuple[int, str]:
    # Phases in trial order; NA (not applicable) and trials without a phase after them.
    return ({"NA": 1, NONE_GIVEN: 2}.get(phase, 0), phase.replace("EARLY_", "0"))


def phase_status(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = "Trials by phase and status"
    if why := _missing(have, "trials"):
        return Chart("phase-status", title, why, "stacked")
    # A multi-phase trial ('PHASE1/PHASE2') is one bar of its own so each trial counts once.
    rows = _rows(
        con,
        f"""SELECT coalesce(nullif(array_to_string(phases, '/'), ''), '{NONE_GIVEN}'),
                   coalesce(overall_status, '{NONE_GIVEN}'), count(*)
            FROM trials GROUP BY ALL""",
    )
    cats, series = _pivot(rows, _phase_order)
    total = sum(r[2] for r in rows)
    no_phase = sum(r[2] for r in rows if r[0] == NONE_GIVEN)
    caption = (
        f"{total:,} trials by the phase(s) they give, coloured by recruitment status; {no_phase:,} give no phase."
        if total
        else "no data: the warehouse holds no trials"
    )
    return Chart("phase-status", title, caption, "stacked", cats, series, "phase", "trials")


def start_years(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = "Trials by start year"
    if why := _missing(have, "trials"):
        return Chart("start-years", title, why, "bar")
    rows = _rows(
        con, "SELECT year(start_date), count(*) FROM trials WHERE start_date IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    (undated,) = con.execute("SELECT count(*) FROM trials WHERE start_date IS NULL").fetchone() or (0,)
    if not rows:
        return Chart("start-years", title, "no data: no trial gives a start date", "bar")
    # Every year between the first and the last, so gaps show as gaps rather than closing up.
    per_year = dict(rows)
    years = list(range(rows[0][0], rows[-1][0] + 1))
    caption = (
        f"{sum(per_year.values()):,} trials by the year of their Study Start Date, {years[0]}-{years[-1]}; "
        f"{undated:,} without one."
    )
    return Chart(
        "start-years",
        title,
        caption,
        "bar",
        [str(y) for y in years],
        [Series("trials", [per_year.get(y, 0) for y in years])],
        "start year",
        "trials",
    )


def enrollment(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = "Enrollment distribution"
    if why := _missing(have, "trials"):
        return Chart("enrollment", title, why, "bar")
    cases = " ".join(
        f"WHEN enrollment >= {lo}" + (f" AND enrollment <= {hi}" if hi is not None else "") + f" THEN {i}"
        for i, (_, lo, hi) in enumerate(ENROLLMENT_BUCKETS)
    )
    per_bucket = dict(
        _rows(con, f"SELECT CASE {cases} END, count(*) FROM trials WHERE enrollment IS NOT NULL GROUP BY 1")
    )
    median, missing = con.execute(
        "SELECT median(enrollment), count(*) FILTER (WHERE enrollment IS NULL) FROM trials"
    ).fetchone() or (None, 0)
    if not per_bucket:
        return Chart("enrollment", title, "no data: no trial gives its enrollment", "bar")
    caption = (
        f"{sum(per_bucket.values()):,} trials by Total Enrollment (participants), median {median:,.0f}; "
        f"{missing:,} without one."
    )
    return Chart(
        "enrollment",
        title,
        caption,
        "bar",
        [b[0] for b in ENROLLMENT_BUCKETS],
        [Series("trials", [per_bucket.get(i, 0) for i in range(len(ENROLLMENT_BUCKETS))])],
        "participants",
        "trials",
    )


def _top(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[list[tuple[str, int]], int, int]:
    top = _rows(
        con,
        f"""SELECT {column}, count(DISTINCT nct_id) AS n FROM {table}
            GROUP BY 1 ORDER BY n DESC, 1 LIMIT {TOP}""",
    )
    distinct, trials = con.execute(
        f"SELECT count(DISTINCT {column}), count(DISTINCT nct_id) FROM {table}"
    ).fetchone() or (0, 0)
    return top, distinct, trials


def top_conditions(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    return _top_chart(
        con, have, "conditions", "condition", f"Top {TOP} conditions", "no data: no trial lists a condition",
        "Trials per condition as written on the page; {distinct:,} distinct conditions over {trials:,} trials.",
    )  # fmt: skip


def top_interventions(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    return _top_chart(
        con, have, "interventions", "name", f"Top {TOP} interventions", "no data: no trial lists an intervention",
        "Trials per intervention name as written; {distinct:,} distinct names over {trials:,} trials.",
    )  # fmt: skip


def _top_chart(
    con: duckdb.DuckDBPyConnection, have: set[str], table: str, column: str, title: str, empty: str, caption: str
) -> Chart:
    """A horizontal bar chart of the trials per most frequent value of `table.column`."""
    if why := _missing(have, table):
        return Chart(table, title, why, "bar")
    top, distinct, trials = _top(con, table, column)
    if not top:
        return Chart(table, title, empty, "bar")
    return Chart(
        table,
        title,
        caption.format(distinct=distinct, trials=trials),
        "bar",
        [t[0] for t in top],
        [Series("trials", [t[1] for t in top])],
        "trials",
        "",
        horizontal=True,
    )


def sites_by_country(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = f"Sites by country (top {TOP_COUNTRIES})"
    if why := _missing(have, "sites"):
        return Chart("countries", title, why, "grouped")
    rows = _rows(
        con,
        f"""SELECT coalesce(country, '{NONE_GIVEN}'), count(*) AS sites, count(DISTINCT nct_id)
            FROM sites GROUP BY 1 ORDER BY sites DESC, 1 LIMIT {TOP_COUNTRIES}""",
    )
    if not rows:
        return Chart("countries", title, "no data: no trial lists a site", "grouped")
    (countries, sites) = con.execute("SELECT count(DISTINCT country), count(*) FROM sites").fetchone() or (0, 0)
    caption = f"Study sites and the trials holding them, per country; {sites:,} sites in {countries:,} countries."
    return Chart(
        "countries",
        title,
        caption,
        "grouped",
        [r[0] for r in rows],
        [Series("sites", [r[1] for r in rows]), Series("trials", [r[2] for r in rows])],
        "country",
        "count",
    )


def facts_coverage(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart | None:
    """Eligibility facts per concept; None (the chart is left out) when the warehouse has no `criteria_facts`."""
    if "criteria_facts" not in have:
        return None
    title = "Eligibility facts coverage"
    rows = _rows(con, "SELECT concept, count(DISTINCT nct_id) AS n FROM criteria_facts GROUP BY 1 ORDER BY n DESC, 1")
    if not rows:
        return Chart("facts", title, "no data: criteria_facts holds no rows", "bar")
    (facts, with_facts) = con.execute("SELECT count(*), count(DISTINCT nct_id) FROM criteria_facts").fetchone() or (
        0,
        0,
    )
    with_criteria = 0
    if "criteria" in have:
        (with_criteria,) = con.execute("SELECT count(DISTINCT nct_id) FROM criteria").fetchone() or (0,)
    share = f" ({with_facts / with_criteria:.0%})" if with_criteria else ""
    caption = (
        f"Trials with at least one fact per concept; {facts:,} facts in {with_facts:,} of "
        f"{with_criteria:,} trials with criteria{share}."
    )
    return Chart(
        "facts",
        title,
        caption,
        "bar",
        [r[0] for r in rows],
        [Series("trials", [r[1] for r in rows])],
        "trials",
        "",
        horizontal=True,
    )


def rejections(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = "Rejected pages by reason"
    if why := _missing(have, "rejected_records"):
        return Chart("rejections", title, why, "stacked")
    # A reason names the section and field before its first ':', then the page's own value:
    # the part before it groups like problems together.
    rows = _rows(
        con,
        """SELECT left(stage || ': ' || regexp_replace(split_part(reason, ':', 1), ' \\(.*$', ''), 80),
                  CASE WHEN resolved_at IS NULL THEN 'unresolved' ELSE 'resolved' END, count(*)
           FROM rejected_records GROUP BY ALL""",
    )
    if not rows:
        return Chart("rejections", title, "no data: no page was ever rejected", "stacked")
    cats, series = _pivot(rows, lambda c: -sum(r[2] for r in rows if r[0] == c))
    open_ = sum(r[2] for r in rows if r[1] == "unresolved")
    caption = f"{sum(r[2] for r in rows):,} rejections by stage, section and field; {open_:,} not yet resolved by a fixed page."
    return Chart(
        "rejections",
        title,
        caption,
        "stacked",
        cats,
        series,
        "rejections",
        "",
        horizontal=True,
        colors={"unresolved": RED, "resolved": GREY},
    )


RUN_COUNTS = ("records_new", "records_changed", "records_unchanged", "records_rejected")


def runs(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = "Ingest runs over time"
    if why := _missing(have, "ingest_runs"):
        return Chart("runs", title, why, "stacked")
    rows = _rows(
        con,
        f"""SELECT strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S'), status, {", ".join(RUN_COUNTS)}
            FROM ingest_runs ORDER BY started_at""",
    )
    if not rows:
        return Chart("runs", title, "no data: no ingest run recorded", "stacked")
    failed = sum(1 for r in rows if r[1] != "succeeded")
    # Runs are categories (one bar each, in time order) rather than a time axis: runs minutes
    # apart and runs months apart both stay readable.
    series = [Series(col.removeprefix("records_"), [r[2 + i] for r in rows]) for i, col in enumerate(RUN_COUNTS)]
    caption = (
        f"Pages per run (UTC start) by outcome; {len(rows):,} runs from {rows[0][0][:10]} to {rows[-1][0][:10]}, "
        f"{failed:,} not succeeded."
    )
    return Chart(
        "runs",
        title,
        caption,
        "stacked",
        [r[0] for r in rows],
        series,
        "run started (UTC)",
        "pages",
        colors={"new": BLUE, "changed": ORANGE, "unchanged": GREY, "rejected": RED},
    )


def check_results(con: duckdb.DuckDBPyConnection, have: set[str]) -> Chart:
    title = "Asset check results"
    if why := _missing(have, "check_results"):
        return Chart("checks", title, why, "stacked")
    rows = _rows(
        con,
        "SELECT check_name, CASE WHEN passed THEN 'passed' ELSE 'failed' END, count(*) FROM check_results GROUP BY ALL",
    )
    if not rows:
        return Chart("checks", title, "no data: no check result recorded", "stacked")
    cats, series = _pivot(rows)
    last = con.execute(
        """SELECT count(*) FILTER (WHERE passed), count(*) FROM check_results
           WHERE run_id = (SELECT run_id FROM check_results ORDER BY checked_at DESC LIMIT 1)"""
    ).fetchone() or (0, 0)
    caption = f"Outcomes of each check over all runs; the latest checked run passed {last[0]} of {last[1]} checks."
    return Chart(
        "checks", title, caption, "stacked", cats, series, "check", "runs", colors={"passed": GREEN, "failed": RED}
    )


# In report order, by chart key; facts_coverage may return None (no criteria_facts table), which leaves it out.
CHARTS: dict[str, Callable[[duckdb.DuckDBPyConnection, set[str]], Chart | None]] = {
    "phase-status": phase_status,
    "start-years": start_years,
    "enrollment": enrollment,
    "conditions": top_conditions,
    "interventions": top_interventions,
    "countries": sites_by_country,
    "facts": facts_coverage,
    "rejections": rejections,
    "runs": runs,
    "checks": check_results,
}
