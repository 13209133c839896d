"""Measures facts_frame's CPU time on the shared criteria lines replicated to ~200,000 rows.

`python -m tests.unit.eligibility.speed`: once with the lines as they are (identical texts are
read once, as across a registry) and once with every line made distinct (the worst case).
"""

from __future__ import annotations

import json
import time

import polars as pl

from eligibility import extract_facts, facts_frame
from eligibility.frame import _HAS_NUMBER, candidates, with_context
from tests.unit.eligibility.gold import SHARED

TARGET_ROWS = 200_000


def shared_criteria() -> pl.DataFrame:
    rows = []
    for path in (SHARED / "records" / "truth.jsonl", SHARED / "records" / "oncology" / "truth.jsonl"):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                rows += [(record["nct_id"], i, kind, text) for i, (kind, text, _) in enumerate(record["criteria"], 1)]
    return pl.DataFrame(rows, schema=["nct_id", "criterion_ordinal", "kind", "text"], orient="row").with_columns(
        pl.col("criterion_ordinal").cast(pl.Int32)
    )


def _letters(k: int) -> str:
    return "".join(chr(ord("a") + int(d)) for d in str(k))


def main() -> None:
    base = shared_criteria()
    reps = TARGET_ROWS // base.height + 1
    same = pl.concat([base.with_columns(nct_id=pl.col("nct_id") + f"_{k}") for k in range(reps)])
    # a letter suffix makes each copy distinct without adding a digit the prefilter would see
    distinct = same.with_columns(text=pl.col("text") + " z" + pl.col("nct_id").str.extract(r"_(\d+)$").map_elements(
        lambda k: _letters(int(k)), return_dtype=pl.Utf8))  # fmt: skip
    facts_frame(base.head(100))  # regex compilation and pint's registry, paid once per process
    print(f"{base.height} shared criterion lines x {reps} = {same.height} rows")
    for name, frame in (("texts repeated", same), ("every text distinct", distinct)):
        start = time.process_time()
        rows = with_context(frame)
        kept = candidates(rows.filter(pl.col("text").str.contains(_HAS_NUMBER))).sum()
        prefilter = time.process_time() - start
        start = time.process_time()
        facts = facts_frame(frame)
        total = time.process_time() - start
        print(
            f"{name}: prefilter {prefilter:.2f} s CPU ({kept} candidates, {kept / frame.height:.1%}); facts_frame"
            f" {total:.2f} s CPU = {frame.height / total:,.0f} rows/s; {facts.height} facts"
        )
    texts = base.get_column("text").to_list()
    start = time.process_time()
    for text in texts:
        extract_facts(text)
    per_line = (time.process_time() - start) / len(texts)
    print(f"extract_facts on every line, no prefilter: {per_line * 1e6:.0f} us a line")


if __name__ == "__main__":
    main()
