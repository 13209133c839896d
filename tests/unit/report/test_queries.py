"""The report's chart data against the shared records' truth (see truth_warehouse.py); no ingest here."""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from report.model import Chart
from report.queries import CHARTS, ENROLLMENT_BUCKETS, NONE_GIVEN, TOP, tables
from tests.unit.report.truth_warehouse import gold_facts, truth_records, truth_warehouse


def _charts(con: duckdb.DuckDBPyConnection) -> dict[str, Chart | None]:
    have = tables(con)
    return {key: make(con, have) for key, make in CHARTS.items()}


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    return truth_records()


@pytest.fixture(scope="module")
def charts(truth: list[dict]) -> dict[str, Chart | None]:
    return _charts(truth_warehouse(truth, facts=None))


def _values(chart: Chart | None) -> dict[tuple[str, str], float]:
    assert chart is not None
    return {(c, s.name): v for s in chart.series for c, v in zip(chart.categories, s.values, strict=True) if v}


def test_phase_and_status_count_each_trial_once(truth: list[dict], charts: dict[str, Chart | None]) -> None:
    expected = Counter(("/".join(t["phases"] or []) or NONE_GIVEN, t["overall_status"]) for t in truth)
    assert _values(charts["phase-status"]) == dict(expected)
    chart = charts["phase-status"]
    assert chart is not None and chart.categories[-2:] == ["NA", NONE_GIVEN]  # after the real phases


def test_start_years_every_year_between_first_and_last(truth: list[dict], charts: dict[str, Chart | None]) -> None:
    per_year = Counter(int(t["start_date"][:4]) for t in truth if t["start_date"])
    chart = charts["start-years"]
    assert chart is not None
    assert chart.categories == [str(y) for y in range(min(per_year), max(per_year) + 1)]
    assert chart.series[0].values == [per_year.get(int(y), 0) for y in chart.categories]


def test_enrollment_buckets(truth: list[dict], charts: dict[str, Chart | None]) -> None:
    sizes = [t["enrollment"] for t in truth if t["enrollment"] is not None]
    expected = [sum(1 for n in sizes if lo <= n and (hi is None or n <= hi)) for _, lo, hi in ENROLLMENT_BUCKETS]
    chart = charts["enrollment"]
    assert chart is not None and chart.series[0].values == expected
    assert sum(expected) == len(sizes)


@pytest.mark.parametrize(
    ("key", "field", "pick"), [("conditions", "conditions", None), ("interventions", "interventions", 0)]
)
def test_top_lists_count_trials(
    truth: list[dict], charts: dict[str, Chart | None], key: str, field: str, pick: int | None
) -> None:
    per_name = Counter(n for t in truth for n in {(v if pick is None else v[pick]) for v in t[field]})
    expected = sorted(per_name.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    chart = charts[key]
    assert chart is not None
    assert list(zip(chart.categories, chart.series[0].values, strict=True)) == expected


def test_sites_by_country(truth: list[dict], charts: dict[str, Chart | None]) -> None:
    sites = Counter(s[3] for t in truth for s in t["sites"])
    trials = Counter(c for t in truth for c in {s[3] for s in t["sites"]})
    chart = charts["countries"]
    assert chart is not None and chart.categories[0] == sites.most_common(1)[0][0]
    for country, n_sites, n_trials in zip(chart.categories, *(s.values for s in chart.series), strict=True):
        assert (n_sites, n_trials) == (sites[country], trials[country])


def test_facts_chart_only_when_the_table_exists(truth: list[dict], charts: dict[str, Chart | None]) -> None:
    assert charts["facts"] is None
    gold = gold_facts()
    chart = _charts(truth_warehouse(truth, facts=gold))["facts"]
    per_concept = Counter(c for c, _ in {(f["concept"], g["nct_id"]) for g in gold for f in g["facts"]})
    assert chart is not None and chart.has_data
    assert dict(zip(chart.categories, chart.series[0].values, strict=True)) == dict(per_concept)


def test_quality_charts_say_no_data_when_nothing_was_recorded(charts: dict[str, Chart | None]) -> None:
    for key in ("rejections", "runs", "checks"):
        chart = charts[key]
        assert chart is not None and not chart.has_data and chart.caption.startswith("no data")


def test_a_warehouse_without_tables_gives_every_chart_as_no_data() -> None:
    charts = _charts(duckdb.connect())
    assert charts.pop("facts") is None
    for chart in charts.values():
        assert chart is not None and not chart.has_data, chart.key
        assert chart.caption.startswith("no data: no table"), chart.caption
