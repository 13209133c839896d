"""Benchmark per input format: the same synthetic trials ingested as pages, as API v2 JSON files
and as the bulk download's zip of JSON folders.

    python -m bench.formats --count 100000 [--workdir bench/work] [--rounds 2] [--layouts page,json,zip]

The corpora are written once (`bench.synthetic.synth.write_corpus`, seed 0: the page corpus is
the one `python -m pipelines bench` uses) and cached under the work folder. Each round ingests
every layout into an empty warehouse with the command line (`bench.run.run_ingest`), the
layouts alternating, so a machine whose speed drifts (other work on a shared VM) touches them
alike; the ratio to the pages of the same round is the figure to compare. Prints a markdown
table; the figures go to RESULTS.md by hand, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
import zipfile
from pathlib import Path

from bench.run import run_ingest


def corpus(workdir: Path, count: int, fmt: str) -> Path:
    """The cached corpus of `count` trials in format `fmt` (`page` or `json`), written if absent."""
    from bench.synthetic.synth import write_corpus

    out = workdir / f"corpus-{count}-{fmt}"
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        print(f"writing {count:,} trials as {fmt} in {out} ...", flush=True)
        write_corpus(count, out, seed=0, fmt=fmt)
        (out / ".complete").write_text("ok")
    return out


def bulk_zip(workdir: Path, count: int) -> Path:
    """The JSON corpus as the registry's bulk download: one zip, a folder of studies per shard."""
    out = workdir / f"corpus-{count}-zip"
    target = out / "ctg-studies.json.zip"
    if not (out / ".complete").exists():
        source = corpus(workdir, count, "json")
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        print(f"zipping {source} into {target} ...", flush=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(source.rglob("*.json")):
                zf.write(path, path.relative_to(source).as_posix())
        (out / ".complete").write_text("ok")
    return out


LAYOUTS = {
    "page": lambda w, n: corpus(w, n, "page"),
    "json": lambda w, n: corpus(w, n, "json"),
    "zip": bulk_zip,
}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name != ".complete")


def main(count: int, workdir: Path, rounds: int, layouts: list[str]) -> int:
    sources = {name: LAYOUTS[name](workdir, count) for name in layouts}
    rows = []
    for k in range(rounds):
        order = layouts if k % 2 == 0 else layouts[::-1]
        for name in order:
            work = workdir / f"formats-warehouse-{name}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            load = os.getloadavg()[0]
            print(f"round {k + 1}: {name} ...", flush=True)
            started = time.perf_counter()
            result = run_ingest(sources[name], work)
            rows.append((k + 1, name, time.perf_counter() - started, result, load))
    print(render(count, sources, rows))
    return 0


def render(count: int, sources: dict[str, Path], rows: list[tuple]) -> str:
    page_wall = {k: wall for k, name, wall, _, _ in rows if name == "page"}
    lines = [
        f"{count:,} trials, {os.cpu_count()} cores. Sizes: "
        + ", ".join(f"{name} {_size(path) / 1e9:.2f} GB" for name, path in sources.items()),
        "",
        "| round | layout | load avg before | wall s | trials/s | / pages | stages (s) | peak RSS |",
        "|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    for k, name, wall, result, load in rows:
        ratio = f"{page_wall[k] / wall:.2f}" if k in page_wall else ""
        stages = ", ".join(f"{s} {v:.1f}" for s, v in result["stage_seconds"].items())
        lines.append(f"| {k} | {name} | {load:.1f} | {wall:.1f} | {count / wall:,.0f} | {ratio} | {stages} | "
                     f"{result['peak_rss'] / 2**30:.2f} GiB |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path("bench/work"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--layouts", default="page,json,zip")
    args = parser.parse_args()
    raise SystemExit(main(args.count, args.workdir, args.rounds, args.layouts.split(",")))
