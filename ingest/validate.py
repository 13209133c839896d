"""Validate: staged frames -> each parsed page's final fate (`staging.fate`): load, duplicate
or rejected, checked against the pandera models (`schemas.validation`) batch by batch in
worker processes. Writes, for a batch that lost rows, the rows left to load.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from ingest.staged_files import write_staged
from ingest.workers import Progress, run_batches
from schemas import CORE_TABLES
from schemas.validation import REC, validate_batch
from staging.fate import FORMAT_RANK, PageFate, RejectedAt
from staging.layout import BATCH, final_fates_path, parsed_fates_path, rows_to_load_path, table_path
from staging.manifest import ParseManifest, ValidateManifest
from staging.settings import Settings


def validate(parsed: ParseManifest, settings: Settings, progress: Progress | None = None) -> ValidateManifest:
    """Each parsed page's final fate: load, duplicate (a newer page of its trial won) or
    rejected (a rule of the pandera models broken), and the rows left to load."""
    started = time.perf_counter()
    staging = parsed.run.staging
    invalid: dict[tuple[int, int], str] = {}  # (batch, rec) -> why it failed validation
    while True:
        losers = _duplicate_losers(staging, parsed.batches, set(invalid))
        args = [
            (str(staging), batch, losers.get(batch, {}), {r: why for (b, r), why in invalid.items() if b == batch})
            for batch in parsed.batches
        ]
        results = run_batches(_validate_batch, args, settings.workers, "validate", progress)
        # A duplicate's winner that fails validation must not cost the trial its valid older
        # page: pick the winners again without it (rare, so a second pass is affordable).
        failed = {
            (batch, rec): why for batch, r in zip(parsed.batches, results, strict=True) for rec, why in r[4].items()
        }
        if not losers or failed.keys() <= invalid.keys():
            break
        invalid |= failed
    return ValidateManifest(
        parse=parsed,
        to_load=sum(r[0] for r in results),
        duplicates=sum(r[1] for r in results),
        rejected=sum(r[2] for r in results),
        seconds=time.perf_counter() - started,
        reasons=[reason for r in results for reason in r[3]][:50],
    )


def _duplicate_losers(
    staging: Path, batches: list[int], invalid: set[tuple[int, int]] | None = None
) -> dict[int, dict[int, str]]:
    """Two pages with one NCT ID in a run: the later `Last Updated` wins, then the format that
    carries more (staging.fate.FORMAT_RANK), then the later path;
    pages known to fail validation (`invalid`, as (batch, rec)) cannot win.
    -> {batch: {rec: path of the winner}} for the losers, which are kept as versions only."""
    if not batches:
        return {}
    fates = pl.scan_parquet([parsed_fates_path(staging, b) for b in batches])
    parsed = fates.filter(pl.col("fate") == PageFate.PARSED).select(
        "batch",
        REC,
        "nct_id",
        "last_updated",
        "path",
        rank=pl.col("source_format").replace_strict(FORMAT_RANK, default=0),
    )
    if invalid:
        bad = pl.DataFrame(list(invalid), schema={"batch": pl.Int32, REC: pl.Int32}, orient="row").lazy()
        parsed = parsed.join(bad, on=["batch", REC], how="anti")
    ranked = parsed.with_columns(
        winner_path=pl.col("path").sort_by(["last_updated", "rank", "path"], nulls_last=False).last().over("nct_id"),
        n=pl.len().over("nct_id"),
    ).filter((pl.col("n") > 1) & (pl.col("path") != pl.col("winner_path")))
    losers: dict[int, dict[int, str]] = {}
    for batch, rec, winner in ranked.select("batch", REC, "winner_path").collect().iter_rows():
        losers.setdefault(batch, {})[rec] = winner
    return losers


def _validate_batch(
    staging: str, batch: int, losers: dict[int, str], invalid: dict[int, str]
) -> tuple[int, int, int, list[str], dict[int, str]]:
    root = Path(staging)
    frames = {
        m.__table__.name: pl.read_parquet(table_path(root, m.__table__.name, batch)).drop(BATCH) for m in CORE_TABLES
    }
    if invalid:
        frames = {k: v.filter(~pl.col(REC).is_in(list(invalid))) for k, v in frames.items()}
    winners = {k: v.filter(~pl.col(REC).is_in(list(losers))) for k, v in frames.items()} if losers else frames
    failures = validate_batch(winners)
    # Losers are validated too: an invalid page is quarantined, never kept as a version, even
    # beside a newer copy. Apart from the winners, whose keys they share (one NCT ID).
    failures.update(_loser_failures(frames, losers))
    failures.update({rec: [why] for rec, why in invalid.items()})
    removed = [*failures, *losers]
    for name, frame in frames.items():
        # The load then inserts whole files without a join: DuckDB keeps rows that arrive in
        # file order in its freshly written row groups, while joined rows made it rewrite them
        # all at COMMIT.
        reduced = rows_to_load_path(root, name, batch)
        if removed:
            write_staged(
                frame.filter(~pl.col(REC).is_in(removed)).with_columns(pl.lit(batch, pl.Int32).alias(BATCH)), reduced
            )
        else:
            reduced.unlink(missing_ok=True)  # a second pass may find nothing left to remove
    reasons = {rec: "; ".join(dict.fromkeys(msgs)) for rec, msgs in failures.items()}
    duplicate_note = {
        rec: f"duplicate NCT ID: superseded by {path}" for rec, path in losers.items() if rec not in reasons
    }
    fates = _final_fates(pl.read_parquet(parsed_fates_path(root, batch)), reasons, duplicate_note)
    write_staged(fates, final_fates_path(root, batch))
    get = dict(fates.get_column("fate").value_counts().iter_rows())
    sample = [
        f"{p}: {r}"
        for p, r in fates.filter(pl.col("stage") == RejectedAt.VALIDATE).select("path", "reason").iter_rows()
    ]
    return get.get(PageFate.LOAD, 0), get.get(PageFate.DUPLICATE, 0), len(reasons), sample[:10], reasons


def _final_fates(fates: pl.DataFrame, reasons: dict[int, str], duplicate_note: dict[int, str]) -> pl.DataFrame:
    """Parsed pages become rejected (with their reasons), duplicates, or loaded."""
    update = pl.DataFrame(
        {
            REC: list(reasons) + list(duplicate_note),
            "new_fate": [PageFate.REJECTED.value] * len(reasons) + [PageFate.DUPLICATE.value] * len(duplicate_note),
            "new_reason": list(reasons.values()) + list(duplicate_note.values()),
        },
        schema={REC: pl.Int32, "new_fate": pl.Utf8, "new_reason": pl.Utf8},
    )
    parsed = pl.col("fate") == PageFate.PARSED
    return (
        fates.join(update, on=REC, how="left")
        .with_columns(
            fate=pl.when(pl.col("new_fate").is_not_null() & parsed).then(pl.col("new_fate")).otherwise(pl.col("fate")),
            stage=pl.when(pl.col("new_fate") == PageFate.REJECTED)
            .then(pl.lit(RejectedAt.VALIDATE.value))
            .otherwise(pl.col("stage")),
            reason=pl.coalesce("new_reason", "reason"),
        )
        .with_columns(fate=pl.when(parsed).then(pl.lit(PageFate.LOAD.value)).otherwise(pl.col("fate")))
        .drop("new_fate", "new_reason")
    )


def _loser_failures(frames: dict[str, pl.DataFrame], losers: dict[int, str]) -> dict[int, list[str]]:
    """Validation failures of the duplicate losers, checked in layers with one page per NCT ID
    each (the first loser of every trial, then the second, ...), so copies of one trial do
    not break each other's keys. Usually one layer: most trials have at most one loser."""
    if not losers:
        return {}
    trials = frames["trials"].filter(pl.col(REC).is_in(list(losers)))
    layered = trials.select(REC, layer=pl.int_range(pl.len()).over("nct_id"))
    failures: dict[int, list[str]] = {}
    for _, recs in layered.group_by("layer"):
        keep = recs.get_column(REC).implode()
        failures.update(validate_batch({k: v.filter(pl.col(REC).is_in(keep)) for k, v in frames.items()}))
    return failures
