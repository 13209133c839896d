"""The HTML report rendered in a real headless Chromium: every chart drew its bars, offline.

Chromium runs with a proxy that refuses every connection, so a chart that needed anything from
the network would not draw. The DOM is read after the page's scripts ran (`--dump-dom` with a
virtual time budget) and each chart's drawn bars are counted against the data queried for it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest_run import ingest
from report import write_report
from report.queries import CHARTS, tables

pytestmark = pytest.mark.integration

# A bar plotly drew: a rectangle path "Mx0,y0Vy1Hx1V..Z". A zero value is drawn too, as a
# rectangle of no width or no height, so only rectangles with an area count as bars.
BAR = re.compile(r'<g class="point"><path d="M([-\d.]+),([-\d.]+)V([-\d.]+)H([-\d.]+)V[-\d.]+Z"')


def _bars(dom: str) -> int:
    return sum(1 for x0, y0, y1, x1 in BAR.findall(dom) if x0 != x1 and y0 != y1)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    pytest.fail("chromium not found: `.ci/run` installs Debian's chromium (apt-get install -y chromium)")


def _browser(page: Path, *args: str, work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",  # tests run as root in CI
            "--disable-gpu",
            "--hide-scrollbars",
            "--proxy-server=127.0.0.1:9",  # nothing listens there: no network
            f"--user-data-dir={work / 'chromium-profile'}",
            "--virtual-time-budget=15000",
            "--window-size=1200,4600",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


def _sections(dom: str) -> dict[str, str]:
    """Chart key -> that chart's part of the rendered DOM (sections do not nest)."""
    parts = re.split(r'<section class="chart" data-chart="', dom)[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def _expected_bars(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    have = tables(con)
    charts = [make(con, have) for make in CHARTS.values()]
    return {c.key: sum(1 for s in c.series for v in s.values if v) for c in charts if c is not None}


def _ingest(landing: Path, work: Path) -> None:
    summary = ingest(source=landing, warehouse=work / "trials.duckdb", exports=work / "exports", quiet=True, workers=1)
    assert all(summary.checks.values()), summary.checks


@pytest.fixture(scope="module")
def two_run_warehouse(tmp_path_factory: pytest.TempPathFactory, shared_records: Path) -> Path:
    """The seed and the shared pages, then a second run adding two broken copies of the seed: rejections, two runs."""
    work = tmp_path_factory.mktemp("report")
    landing = work / "landing"
    landing.mkdir()
    seed = next((shared_records / "seed").glob("*.txt"))
    for page in [seed, *sorted((shared_records / "text").glob("*.txt"))]:
        shutil.copy(page, landing / page.name)
    _ingest(landing, work)
    text = seed.read_text(encoding="utf-8")
    (landing / "no_id.txt").write_text(re.sub(r"(?m)^NCT ID:.*\n", "", text), encoding="utf-8")
    (landing / "bad_date.txt").write_text(
        re.sub(r"(?m)^Last Updated:.*$", "Last Updated: soon", text.replace("NCT04227327", "NCT99999901")),
        encoding="utf-8",
    )
    _ingest(landing, work)
    return work


def test_every_chart_draws_in_chromium(two_run_warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(two_run_warehouse / "trials.duckdb"), read_only=True)
    page = tmp_path / "report.html"
    summary = write_report(con, page)
    expected = _expected_bars(con)
    assert summary.charts == list(expected) and summary.empty == []
    assert summary.skipped == ([] if "criteria_facts" in tables(con) else ["facts"])

    dom = _browser(page, "--dump-dom", work=tmp_path).stdout
    sections = _sections(dom)
    assert list(sections) == summary.charts
    for key, part in sections.items():
        assert part.count('<svg class="main-svg"') >= 1, f"{key}: plotly drew no svg"
        bars = _bars(part)
        assert bars == expected[key] > 0, f"{key}: {bars} bars drawn, {expected[key]} values"
        assert "no data" not in part.split("</h2>", 1)[1]

    # The page as a reader sees it, kept for a look (the closing note of issue 18 describes it).
    shot = Path("/tmp/trial-warehouse-report.png")
    _browser(page, f"--screenshot={shot}", work=tmp_path)
    assert shot.stat().st_size > 50_000


def test_empty_warehouse_draws_no_data(tmp_path: Path) -> None:
    """A run over an empty landing folder: every table exists, none holds a trial."""
    (tmp_path / "landing").mkdir()
    _ingest(tmp_path / "landing", tmp_path)
    con = duckdb.connect(str(tmp_path / "trials.duckdb"), read_only=True)
    summary = write_report(con, tmp_path / "report.html")
    assert summary.trials == 0
    # The run itself is recorded, and so are its checks; everything about trials is empty.
    assert {
        "phase-status",
        "start-years",
        "enrollment",
        "conditions",
        "interventions",
        "countries",
        "rejections",
    } <= set(summary.empty)

    sections = _sections(_browser(tmp_path / "report.html", "--dump-dom", work=tmp_path).stdout)
    assert list(sections) == summary.charts
    for key, part in sections.items():
        assert '<svg class="main-svg"' in part, f"{key}: plotly drew no svg"
        drawn = _bars(part)
        if key in summary.empty:
            assert ">no data</text>" in part and not drawn, key
        else:
            assert drawn and ">no data</text>" not in part, key
