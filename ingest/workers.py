"""Worker processes, shared by the landing scan and the batch stages."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import repeat
from multiprocessing import get_context
from typing import TypeVar

T = TypeVar("T")


def process_pool(workers: int, jobs: int) -> ProcessPoolExecutor | None:
    """A pool of up to `workers` processes for `jobs` jobs; None when one process would do."""
    if workers <= 1 or jobs <= 1:
        return None
    hand_back_polars_memory()  # read by each worker as it starts
    # spawn: the parent may be a Dagster process with threads, where fork is unsafe.
    return ProcessPoolExecutor(max_workers=min(workers, jobs), mp_context=get_context("spawn"))


def hand_back_polars_memory() -> None:
    """Make polars return freed memory to the system at once, in processes started after this
    call, or in this one if polars is not imported yet.

    Polars allocates through its own jemalloc, which keeps freed pages for later and purges
    them only while it is busy: a parse worker carried the previous batch's frames into the
    next, and the main process kept the scan's memory through the whole parse, where it waits."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


def without_gc(fn: Callable[..., T], *args: object) -> T:
    """fn(*args) with Python's cycle collector paused, then one young-generation collection.

    A batch builds millions of small objects (lines, tuples, records) that all live until it
    ends, and every automatic collection walked them again: a fifth to a third of a parse
    worker's CPU time. It also runs
    in the main process when there is a single batch. Reference counting frees a batch's
    objects when it returns; the collection afterwards frees any cycle it made, which are all
    young since nothing was collected meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if enabled:
            gc.enable()
        gc.collect(0)
        _release_freed_memory()


def _libc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None


_MALLOC_TRIM = _libc_trim()


def _release_freed_memory() -> None:
    """Hand the heap a batch freed back to the system. glibc keeps it otherwise, and a parse
    worker's peak crept up over its first batches."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


Progress = Callable[[str, int, int], None]  # (stage, done, total)

# Extra listeners told of every batch done, besides the stage's own `progress`: the command
# line's progress bar hears the stages through this without them knowing about a terminal.
_LISTENERS: list[Progress] = []


@contextmanager
def listening(listener: Progress) -> Iterator[None]:
    """Tell `listener` of every batch done by `run_batches` in this process while inside."""
    _LISTENERS.append(listener)
    try:
        yield
    finally:
        _LISTENERS.remove(listener)


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    for listener in [progress, *_LISTENERS]:
        if listener:
            listener(stage, done, total)


def run_batches(
    fn: Callable[..., T], args: list[tuple], workers: int, stage: str, progress: Progress | None
) -> list[T]:
    """fn(*a) for every a, in worker processes when worthwhile; results in input order."""
    results: list[T] = []
    pool = process_pool(workers, len(args))
    try:
        mapped: Iterable[T] = (
            pool.map(without_gc, repeat(fn), *zip(*args, strict=True))
            if pool and args
            else (without_gc(fn, *a) for a in args)
        )
        for listener in _LISTENERS:  # the stage starts: a bar can show it before its first batch ends
            listener(stage, 0, len(args))
        for done, result in enumerate(mapped, 1):
            results.append(result)
            _report(progress, stage, done, len(args))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return results
