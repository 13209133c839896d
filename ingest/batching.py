"""How the files to read are cut into batches: the unit of work of the parse and validate
workers, and what bounds their memory (the sizes are settings: `staging.settings`)."""

from __future__ import annotations

from staging.settings import PAGE_BYTES


def batch_bounds(sizes: list[int], archives: list[bool], size: int) -> list[tuple[int, int]]:
    """(start, end) of batches of about `size` pages of PAGE_BYTES each; an archive counts
    as many pages as its bytes suggest."""
    bounds: list[tuple[int, int]] = []
    start = weight = 0
    limit = size * PAGE_BYTES
    for i, (nbytes, archive) in enumerate(zip(sizes, archives, strict=True)):
        weight += max(nbytes, PAGE_BYTES) if archive else max(nbytes, PAGE_BYTES // 2)
        if weight >= limit:
            bounds.append((start, i + 1))
            start, weight = i + 1, 0
    if start < len(sizes):
        bounds.append((start, len(sizes)))
    return bounds
