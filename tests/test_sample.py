"""The sample shipped with the project (what `make run` ingests) loads whole."""

from pathlib import Path

from pipelines.settings import DEFAULT_SOURCE
from tests.conftest import run


def test_bundled_sample_loads_without_rejections(tmp_path: Path) -> None:
    pages = sorted(DEFAULT_SOURCE.rglob("*.txt"))
    summary = run(DEFAULT_SOURCE, tmp_path)
    assert summary.load["pages_rejected"] == 0, summary.load["rejections"]
    assert summary.load["trials_loaded"] == len(pages) > 1
    assert all(summary.checks.values()) and len(summary.checks) == 3
