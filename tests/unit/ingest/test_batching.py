"""Batches are cut by bytes, so memory follows what is parsed rather than how many files."""

from __future__ import annotations

from pathlib import Path

from ingest.batching import batch_bounds
from staging.settings import PAGE_BYTES


def test_batches_cover_every_page_once_and_hold_about_the_same_bytes(shared_records: Path) -> None:
    sizes = [p.stat().st_size for p in sorted((shared_records / "text").glob("*.txt"))]
    bounds = batch_bounds(sizes, [False] * len(sizes), size=20)
    assert [i for start, end in bounds for i in range(start, end)] == list(range(len(sizes)))
    weights = [sum(max(s, PAGE_BYTES // 2) for s in sizes[start:end]) for start, end in bounds]
    # Every batch but the last reaches the limit and passes it by less than its last page;
    # the last holds what is left.
    for (_, end), weight in zip(bounds[:-1], weights[:-1], strict=True):
        assert 20 * PAGE_BYTES <= weight < 20 * PAGE_BYTES + max(sizes[end - 1], PAGE_BYTES // 2)
    assert 0 < weights[-1] < 20 * PAGE_BYTES + max(sizes)


def test_big_pages_make_smaller_batches_and_tiny_pages_count_half() -> None:
    big = batch_bounds([10 * PAGE_BYTES] * 10, [False] * 10, size=20)
    assert [end - start for start, end in big] == [2] * 5
    tiny = batch_bounds([100] * 100, [False] * 100, size=20)
    assert [end - start for start, end in tiny] == [40, 40, 20]
    # An archive counts by its bytes (at least one page), whatever it holds.
    assert batch_bounds([PAGE_BYTES * 30, 100], [True, False], size=20) == [(0, 1), (1, 2)]
