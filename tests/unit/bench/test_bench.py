"""The benchmark's report: the ratio is taken to the mean of the floors timed before and after
the full ingest, and a floor that moved says so."""

from __future__ import annotations

from bench.run import render


def _report(floors: tuple[float, float]) -> str:
    run = {"wall": 150.0, "peak_rss": 2**30, "stage_seconds": {"extract": 1.0, "parse": 80.0}}
    return render(580_000, 4_250_000_000, floors, run, {**run, "wall": 4.5}, {**run, "wall": 14.0}, 1000, {}, 10**9)


def test_ratio_is_to_the_mean_floor_and_a_steady_floor_has_no_warning() -> None:
    report = _report((10.0, 11.0))
    assert "| 10.0 / 11.0 |" in report
    assert "Full ingest / floor (mean of the two): **14.3x**" in report
    assert "moved" not in report


def test_a_floor_that_moved_is_flagged() -> None:
    report = _report((10.0, 13.0))
    assert "**13.0x**" in report  # 150 s over the mean floor, 11.5 s
    assert "The floor moved by 30% during the full ingest" in report
