"""Command line: the same assets as the Dagster UI, materialized in this process, and the tools
around the warehouse.

python -m pipelines ingest [--source DIR] [--warehouse FILE] [--exports DIR] ...
python -m pipelines fetch [--url URL] [--query TERM] [--source DIR] [--warehouse FILE]
python -m pipelines sql [--warehouse FILE] [--command SQL]
python -m pipelines search TERM [--limit N] [--warehouse FILE]
python -m pipelines report [--out FILE] [--warehouse FILE]
python -m pipelines synth --count N --out DIR
python -m pipelines bench --count N
python -m pipelines --version

Exit codes: 0 done, 1 failed (a path, the warehouse or the run: one line on stderr), 2 another
ingest is writing the warehouse, 64 the command line itself is wrong (usage on stderr).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from pipelines import commands
from staging import settings

USAGE_ERROR = 64  # sysexits' EX_USAGE: apart from 2, which says another ingest holds the warehouse


class Parser(argparse.ArgumentParser):
    """argparse with the error first (the line a script or a person reads), then the usage of
    the subcommand that was given, and its own exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}  # the subcommands' own parsers

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n{self.format_usage()}")

    def parse_args(self, args=None, namespace=None):
        # argparse reports a flag no subcommand knows from the top-level parser, with the
        # top-level usage: report it from the subcommand given instead.
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            self.commands.get(getattr(parsed, "command", ""), self).error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed


def _number(kind: Callable[[str], float], least: float, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{text} is less than {least:g}: give {what}")
        return value

    return parse


positive_int = _number(int, 1, "a whole number of 1 or more")
seconds = _number(float, 0, "a number of seconds, 0 or more")


def version() -> str:
    def of(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return f"trial-warehouse {of('trial-warehouse')} (duckdb {of('duckdb')}, dagster {of('dagster')})"


def _warehouse_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        metavar="FILE",
        default=settings.default_warehouse(),
        help=f"DuckDB file (env {settings.WAREHOUSE_ENV}; default %(default)s)",
    )


def _source_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        metavar="DIR",
        default=settings.default_source(),
        help=f"landing folder (env {settings.SOURCE_ENV}; default: the bundled sample)",
    )


def _add_ingest(sub: argparse._SubParsersAction) -> None:
    ingest = sub.add_parser("ingest", help="landing folder -> warehouse -> parquet exports")
    _source_flag(ingest)
    _warehouse_flag(ingest)
    ingest.add_argument(
        "--exports",
        type=Path,
        metavar="DIR",
        default=settings.default_exports(),
        help=f"parquet export folder (env {settings.EXPORTS_ENV}; default %(default)s)",
    )
    ingest.add_argument(
        "--wait", type=seconds, default=0.0, metavar="SECONDS", help="queue this long behind a running ingest"
    )
    ingest.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        default=settings.default_workers(),
        help="worker processes (default: all cores)",
    )
    ingest.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        default=settings.DEFAULT_BATCH_SIZE,
        help="pages per batch, counted as 7.5 KB each (bounds memory; default %(default)s)",
    )
    ingest.add_argument("--quiet", action="store_true", help="print only warnings and the summary")
    ingest.add_argument("--summary-json", type=Path, metavar="FILE", help="also write the summary as JSON to this file")


def _add_tools(sub: argparse._SubParsersAction) -> None:
    fetch = sub.add_parser("fetch", help="pull studies from the registry's API v2 into the landing folder")
    fetch.add_argument(
        "--url",
        metavar="URL",
        default=settings.default_fetch_url(),
        help=f"the registry's base URL, e.g. https://clinicaltrials.gov (env {settings.FETCH_URL_ENV}; "
        "fetching is off until one is set)",
    )
    fetch.add_argument(
        "--query", metavar="TERM", help="fetch the studies matching this search (default: all updated since last time)"
    )
    _source_flag(fetch)
    _warehouse_flag(fetch)

    sql = sub.add_parser("sql", help="open the warehouse read-only in the pinned DuckDB shell")
    _warehouse_flag(sql)
    sql.add_argument(
        "--command", "-c", dest="statement", metavar="SQL", help="run this SQL and exit instead of a session"
    )

    search = sub.add_parser("search", help="trials ranked by full-text search, with the text that matched")
    search.add_argument("term", metavar="TERM", help="words to look for (criteria, summaries, titles, ...)")
    search.add_argument(
        "--limit", type=positive_int, metavar="N", default=20, help="trials to show (default %(default)s)"
    )
    _warehouse_flag(search)

    report = sub.add_parser("report", help="write the warehouse's HTML report (one self-contained file)")
    report.add_argument(
        "--out", type=Path, metavar="FILE", help=f"the HTML file (env {settings.REPORT_ENV}; default: beside exports)"
    )
    _warehouse_flag(report)
    report.add_argument("--exports", type=Path, default=settings.default_exports(), help=argparse.SUPPRESS)


def _add_bench(sub: argparse._SubParsersAction) -> None:
    synth = sub.add_parser("synth", help="write N synthetic record pages for benchmarks")
    synth.add_argument("--count", type=positive_int, required=True)
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--seed", type=int, default=0)

    bench = sub.add_parser("bench", help="benchmark the full pipeline on a synthetic corpus")
    bench.add_argument("--count", type=positive_int, default=100_000)
    bench.add_argument("--workdir", type=Path, default=Path("bench/work"))
    bench.add_argument("--results", type=Path, default=Path("bench/RESULTS.md"))


def build_parser() -> argparse.ArgumentParser:
    first, _, rest = (__doc__ or "").partition("\n\n")
    parser = Parser(
        prog="python -m pipelines",
        description=first,
        epilog=rest.rpartition("\n\n")[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version())
    # Subparsers made by this class, so an error in one shows that subcommand's usage.
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    _add_ingest(sub)
    _add_tools(sub)
    _add_bench(sub)
    parser.commands = dict(sub.choices)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "synth":
        from bench.synthetic.synth import write_corpus

        started = time.perf_counter()
        write_corpus(args.count, args.out, seed=args.seed)
        print(f"wrote {args.count:,} pages to {args.out} in {time.perf_counter() - started:.1f}s")
        return 0
    if args.command == "bench":
        from bench.run import main as bench_main

        return bench_main(args.count, args.workdir, args.results)
    return commands.run(args)


if __name__ == "__main__":
    sys.exit(main())
