"""Worker processes, shared by the landing scan and the batch stages."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def process_pool(workers: int, jobs: int) -> ProcessPoolExecutor | None:
    """A pool of up to `workers` processes for `jobs` jobs; None when one process would do."""
    if workers <= 1 or jobs <= 1:
        return None
    # spawn: the parent may be a Dagster process with threads, where fork is unsafe.
    return ProcessPoolExecutor(max_workers=min(workers, jobs), mp_context=get_context("spawn"))
