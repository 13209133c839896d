"""How the files to read are cut into batches: the unit of work of the parse and validate
workers, and what bounds their memory. No polars here, so the command line can show the
default without importing the heavy stack."""

from __future__ import annotations

# Each batch costs a fixed 0.2 s of pandera and some per-file overhead in every stage. At
# 10,000 pages a 100k ingest spent 10% less in parse and 20% less in validate than at 6,000.
# A parse worker holding one such batch peaks at 0.33 GiB (it turns records into frames as it
# goes: see FRAME_EVERY in stages.py).
DEFAULT_BATCH_SIZE = 10_000

# A batch holds about `batch_size` pages of PAGE_BYTES (the mean of the real pages is 7.4 KB):
# memory follows the bytes parsed (a page with 2,000 sites makes as many objects as a dozen
# plain ones), so batches are cut by bytes and a run of big pages cannot make a big batch.
# A page counts as at least half a typical one, so tiny pages cannot make a huge batch either.
PAGE_BYTES = 7500


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
