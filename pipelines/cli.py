"""Command line: the same assets as the Dagster UI, materialized in this process.

python -m pipelines ingest [--source DIR] [--warehouse FILE] [--exports DIR]
python -m pipelines synth --count N --out DIR
python -m pipelines bench --count N
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ingest.workers import hand_back_polars_memory
from staging import settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="landing folder -> warehouse -> parquet exports")
    ingest.add_argument(
        "--source",
        default=settings.default_source(),
        help=f"landing folder (env {settings.SOURCE_ENV}; default: the bundled sample)",
    )
    ingest.add_argument(
        "--warehouse",
        default=settings.default_warehouse(),
        help=f"DuckDB file (env {settings.WAREHOUSE_ENV}; default %(default)s)",
    )
    ingest.add_argument(
        "--exports",
        default=settings.default_exports(),
        help=f"parquet export folder (env {settings.EXPORTS_ENV}; default %(default)s)",
    )
    ingest.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="queue this long behind a running ingest instead of exiting",
    )
    ingest.add_argument(
        "--workers", type=int, default=settings.default_workers(), help="worker processes (default: all cores)"
    )
    ingest.add_argument(
        "--batch-size",
        type=int,
        default=settings.DEFAULT_BATCH_SIZE,
        help="pages per batch, counted as 7.5 KB each (bounds memory)",
    )
    ingest.add_argument("--quiet", action="store_true", help="print only the summary")
    ingest.add_argument("--summary-json", type=Path, help="also write the summary as JSON to this file")

    synth = sub.add_parser("synth", help="write N synthetic record pages for benchmarks")
    synth.add_argument("--count", type=int, required=True)
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--seed", type=int, default=0)

    bench = sub.add_parser("bench", help="benchmark the full pipeline on a synthetic corpus")
    bench.add_argument("--count", type=int, default=100_000)
    bench.add_argument("--workdir", type=Path, default=Path("bench/work"))
    bench.add_argument("--results", type=Path, default=Path("bench/RESULTS.md"))

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ingest":
        return run_ingest(args)
    if args.command == "synth":
        from bench.synthetic.synth import write_corpus

        started = time.perf_counter()
        write_corpus(args.count, args.out, seed=args.seed)
        print(f"wrote {args.count:,} pages to {args.out} in {time.perf_counter() - started:.1f}s")
        return 0
    from bench.run import main as bench_main

    return bench_main(args.count, args.workdir, args.results)


def run_ingest(args: argparse.Namespace) -> int:
    hand_back_polars_memory()  # before polars is imported
    if Path(args.source).is_dir():
        from ingest.landing import start_scan

        # While Dagster and the data stack import, on one core: see `start_scan`.
        start_scan(Path(args.source), args.workers)
    from pipelines.ingest_run import IngestFailed, ingest

    try:
        summary = ingest(
            source=Path(args.source),
            warehouse=Path(args.warehouse),
            exports=Path(args.exports),
            wait_seconds=args.wait,
            workers=args.workers,
            batch_size=args.batch_size,
            quiet=args.quiet,
        )
    except IngestFailed as exc:
        print(f"ingest failed: {exc}", file=sys.stderr)
        return exc.exit_code
    print(summary.render())
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary.to_dict(), default=str, indent=2))
    return 0
