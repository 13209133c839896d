"""write_report: one file, plotly.js inline once, a section per chart, nothing fetched from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from report import write_report
from report.queries import CHARTS
from tests.unit.report.truth_warehouse import gold_facts, truth_records, truth_warehouse


def test_report_is_one_self_contained_file(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "report.html"
    summary = write_report(truth_warehouse(truth_records(), facts=gold_facts()), out)
    text = out.read_text(encoding="utf-8")
    assert summary.path == out and summary.bytes == out.stat().st_size
    assert summary.charts == list(CHARTS) and summary.skipped == []
    assert summary.empty == ["rejections", "runs", "checks"]  # the truth holds no runs
    assert summary.trials == len(truth_records())
    # The library itself, once, and no script, stylesheet or image loaded from a URL.
    assert len(re.findall(r"<script type=\"text/javascript\">/\*\*\n\* plotly\.js v\d", text)) == 1
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)
    for key in CHARTS:
        assert f'id="chart-{key}"' in text
    assert list(tmp_path.joinpath("nested").iterdir()) == [out]  # no temporary file left behind


def test_empty_warehouse_report_skips_facts_and_marks_every_chart_empty(tmp_path: Path) -> None:
    summary = write_report(duckdb.connect(), tmp_path / "r.html")
    assert summary.skipped == ["facts"] and summary.trials == 0
    assert summary.empty == summary.charts == [k for k in CHARTS if k != "facts"]
    assert (tmp_path / "r.html").read_text(encoding="utf-8").count('data-has-data="false"') == len(summary.charts)
