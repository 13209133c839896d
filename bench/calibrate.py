"""Compare the synthetic corpus with the real record pages: a markdown table of sizes.

    python bench/calibrate.py [--count 2000] [--seed 0] [--real ../shared/records/text]

Both sides are measured from page text alone, with the same functions, so the comparison
does not depend on the parser. The synthetic pages are rendered in memory: the same text
`write_corpus` would put on disk for that seed.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any directory

from bench.synthetic.render import render_page  # noqa: E402
from bench.synthetic.synth import SHARD_SIZE, shard_records  # noqa: E402
from recordpage.layout import ELIGIBILITY_LABELS, SECTION_DESCRIPTIONS  # noqa: E402

DEFAULT_REAL = ROOT.parent / "shared" / "records" / "text"
_ELIGIBILITY_DESCRIPTION = SECTION_DESCRIPTIONS["Eligibility Criteria"]
_CRITERIA_HEADING = re.compile(r"^(?:key )?(?:inclusion|exclusion) criteria:?$", re.IGNORECASE)
# Lines that end the criteria block: the eligibility labels or the next section.
_BLOCK_END = frozenset(ELIGIBILITY_LABELS) | frozenset(SECTION_DESCRIPTIONS)


def page_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def site_count(text: str) -> int:
    return sum(1 for line in text.split("\n") if line == "Site Status" or line.startswith("Site Status "))


def arm_count(text: str) -> int:
    return sum(1 for line in text.split("\n") if line == "Group Type" or line.startswith("Group Type "))


def criteria_lines(text: str) -> int:
    """Non-blank lines of the criteria block, without the Inclusion/Exclusion headings."""
    lines = text.split("\n")
    try:
        start = lines.index(_ELIGIBILITY_DESCRIPTION) + 1
    except ValueError:
        return 0
    count = 0
    for line in lines[start:]:
        if line in _BLOCK_END:
            break
        if line.strip() and not _CRITERIA_HEADING.match(line):
            count += 1
    return count


METRICS: dict[str, Callable[[str], int]] = {
    "page size (bytes)": page_bytes,
    "sites": site_count,
    "criteria lines": criteria_lines,
    "arms per trial": arm_count,
}


def real_pages(folder: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))]


def synthetic_pages(count: int, seed: int) -> list[str]:
    pages: list[str] = []
    for shard in range((count + SHARD_SIZE - 1) // SHARD_SIZE):
        size = min(SHARD_SIZE, count - shard * SHARD_SIZE)
        pages += [render_page(record) for record in shard_records(seed, shard, size)]
    return pages


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else math.nan


def percentile(values: list[int], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(real: list[str], synthetic: list[str]) -> str:
    rows = [
        "| metric | real mean | synthetic mean | real p99 | synthetic p99 | real max | synthetic max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, measure in METRICS.items():
        r = [measure(page) for page in real]
        s = [measure(page) for page in synthetic]
        cells = (mean(r), mean(s), percentile(r, 99), percentile(s, 99), max(r), max(s))
        rows.append(f"| {name} | " + " | ".join(_fmt(c) for c in cells) + " |")
    return "\n".join(rows)


def _share(pages: Iterable[str], test: Callable[[str], bool]) -> str:
    pages = list(pages)
    return f"{100 * sum(1 for page in pages if test(page)) / len(pages):.1f}%"


SHARES: dict[str, Callable[[str], bool]] = {
    "observational": lambda page: "\nOBSERVATIONAL\n" in page,
    "results available": lambda page: "\nResults available\n" in page,
    "several phases": lambda page: re.search(r"\nPHASE\d, PHASE\d\n", page) is not None,
    "month-only start date": lambda page: re.search(r"\nStudy Start Date\n\n\d{4}-\d{2}\n", page) is not None,
    "non-ASCII text": lambda page: not page.isascii(),
    "no Locations section": lambda page: "\nLocations\n" not in page,
    "nested criteria (blank line inside a list)": lambda page: re.search(r"[:]\n\n(?:1\.|a\.|[*-]) ", page) is not None,
}


def shares_table(real: list[str], synthetic: list[str]) -> str:
    rows = ["| share of pages | real | synthetic |", "|---|---:|---:|"]
    rows += [f"| {name} | {_share(real, test)} | {_share(synthetic, test)} |" for name, test in SHARES.items()]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="synthetic pages to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="folder of real page .txt files")
    args = parser.parse_args(argv)
    real = real_pages(args.real)
    if not real:
        parser.error(f"no .txt pages in {args.real}")
    synthetic = synthetic_pages(args.count, args.seed)
    print(f"Real: {len(real)} pages from {args.real}; synthetic: {len(synthetic)} pages, seed {args.seed}.\n")
    print(table(real, synthetic))
    print()
    print(shares_table(real, synthetic))


if __name__ == "__main__":
    main()
