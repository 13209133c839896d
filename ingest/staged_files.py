"""Writing the staged parquet files, the same way for every stage."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def write_staged(frame: pl.DataFrame, path: Path, row_group_size: int | None = None, statistics: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # zstd level 1 writes as fast as lz4 here (the cost is building the pages, not compressing
    # them) at 60% of the bytes, and the page batches become the raw store.
    frame.write_parquet(
        path, compression="zstd", compression_level=1, statistics=statistics, row_group_size=row_group_size
    )
