"""Benchmark: the whole pipeline on a synthetic corpus, compared with DuckDB's own text-read floor.

    python -m pipelines bench --count 100000 [--workdir bench/work] [--results bench/RESULTS.md]

Measures, on the same files in one run: the floor (DuckDB `read_text` over every page), a full
ingest into an empty warehouse, a second ingest with nothing changed, and an ingest after 1,000
pages changed; per-stage seconds, pages per second, peak resident memory of the ingest process
tree, and five analyst queries. Results for the count are written into RESULTS.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

QUERIES = {
    "trials by phase and status": """
        SELECT phase, overall_status, count(*) FROM (SELECT unnest(phases) AS phase, overall_status FROM trials)
        GROUP BY ALL ORDER BY 3 DESC""",
    "sites per country": "SELECT country, count(*) FROM sites GROUP BY country ORDER BY 2 DESC",
    "trials whose criteria mention a term": """
        SELECT count(DISTINCT nct_id) FROM criteria WHERE text ILIKE '%pregnan%'""",
    "the same through the search index (BM25 postings)": """
        SELECT count(DISTINCT nct_id) FROM search_documents_scored('pregnant') WHERE source = 'criterion'""",
    "search: the 20 best criteria lines for a term": "SELECT * FROM search_criteria('pregnant', max_lines := 20)",
    "arms per trial": """
        SELECT n_arms, count(*) FROM (SELECT t.nct_id, count(a.arm_ordinal) AS n_arms FROM trials t
        LEFT JOIN arms a USING (nct_id) GROUP BY t.nct_id) GROUP BY n_arms ORDER BY n_arms""",
    "enrollment by sponsor class": """
        SELECT lead_sponsor_class, count(*), sum(enrollment), median(enrollment) FROM trials
        GROUP BY lead_sponsor_class ORDER BY 3 DESC""",
}


def _tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run_ingest(corpus: Path, work: Path) -> dict:
    """One CLI ingest in a subprocess; -> its summary plus wall seconds and peak tree RSS."""
    summary_file = work / "summary.json"
    cmd = [sys.executable, "-m", "pipelines", "ingest", "--quiet", "--source", str(corpus),
           "--warehouse", str(work / "trials.duckdb"), "--exports", str(work / "exports"),
           "--summary-json", str(summary_file)]  # fmt: skip
    started = time.perf_counter()
    # Its own Dagster home: benchmark runs stay out of the project's UI (and its run history
    # out of the measurement, as on a fresh clone).
    env = {**os.environ, "DAGSTER_HOME": str((work / "dagster_home").resolve())}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ingest failed ({proc.returncode}): {err[-2000:]}")
    summary = json.loads(summary_file.read_text())
    return {"wall": wall, "peak_rss": peak, **summary}


def floor_seconds(corpus: Path) -> float:
    """DuckDB reading every page as raw text: the least any ingest must spend. Timed on the
    second pass, with the pages in the page cache as the ingests that follow find them: a cold
    first pass measures the disk, and made the ratio swing from 3x to 16x between runs."""
    con = duckdb.connect()
    query = f"SELECT count(*), sum(length(content)) FROM read_text('{corpus.as_posix()}/**/*.txt')"
    con.execute(query).fetchone()
    started = time.perf_counter()
    con.execute(query).fetchone()
    return time.perf_counter() - started


def change_pages(corpus: Path, count: int) -> int:
    """Edit `count` pages in place (the enrollment figure), as an amendment would."""
    changed = 0
    for page in sorted(corpus.rglob("*.txt")):
        text = page.read_text(encoding="utf-8")
        new = re.sub(r"^(\d+) participants$", lambda m: f"{int(m[1]) + 1} participants", text, count=1, flags=re.M)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
            if changed == count:
                break
    return changed


# Terms for `warehouse.search.search` (the CLI's `search TERM`): the 20 best trials with the text that matched.
SEARCHES = ("pregnant", "breast cancer")


def query_times(database: Path) -> dict[str, float]:
    from warehouse.search import load_fts, search

    con = duckdb.connect(str(database), read_only=True)
    load_fts(con)  # the search macros stem with the extension's `stem`
    out = {}
    for name, sql in QUERIES.items():
        con.execute(sql).fetchall()  # warm
        best = min(_timed(con, sql) for _ in range(3))
        out[name] = best
    for term in SEARCHES:
        search(con, term)
        out[f"search: the 20 best trials for '{term}'"] = min(_timed_call(search, con, term) for _ in range(3))
    return out


def _timed_call(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def _timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    started = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - started


def main(count: int, workdir: Path, results: Path) -> int:
    from bench.synthetic.synth import write_corpus

    corpus = workdir / f"corpus-{count}"
    if not (corpus / ".complete").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        print(f"generating {count:,} pages in {corpus} ...", flush=True)
        write_corpus(count, corpus, seed=0)
        (corpus / ".complete").write_text("ok")
    work = workdir / f"warehouse-{count}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    size = sum(p.stat().st_size for p in corpus.rglob("*.txt"))

    print("floor (DuckDB read_text) ...", flush=True)
    floor_before = floor_seconds(corpus)
    print("full ingest ...", flush=True)
    full = run_ingest(corpus, work)
    print("floor again ...", flush=True)
    floor_after = floor_seconds(corpus)
    print("second ingest, nothing changed ...", flush=True)
    same = run_ingest(corpus, work)
    print("ingest after 1,000 changed pages ...", flush=True)
    changed = change_pages(corpus, 1000)
    after = run_ingest(corpus, work)
    queries = query_times(work / "trials.duckdb")
    db_size = (work / "trials.duckdb").stat().st_size

    section = render(count, size, (floor_before, floor_after), full, same, after, changed, queries, db_size)
    print(section)
    write_section(results, count, section)
    return 0


def _stage_line(run: dict) -> str:
    # The search index refresh follows the load's commit; the load's seconds leave it out.
    stages = {"search index": (run.get("load") or {}).get("search_seconds", 0.0), **run["stage_seconds"]}
    return ", ".join(f"{k} {v:.1f}" for k, v in stages.items())


def render(
    count: int,
    size: int,
    floors: tuple[float, float],
    full: dict,
    same: dict,
    after: dict,
    changed: int,
    queries: dict[str, float],
    db_size: int,
) -> str:
    cores = os.cpu_count()
    # The floor is timed before and after the full ingest, and the ratio taken to their mean:
    # on a shared VM the speed moves within minutes, and a floor timed once can miss that.
    floor = sum(floors) / 2
    drift = max(floors) / min(floors)
    drift_note = (
        f" The floor moved by {drift - 1:.0%} during the full ingest: the machine's speed changed, so "
        "compare this ratio with care."
        if drift > 1.2
        else ""
    )
    lines = [
        f"## {count:,} pages",
        "",
        f"Machine: {cores} cores. Corpus: {count:,} synthetic pages, {size / 1e9:.2f} GB "
        f"(generated by `python -m pipelines synth`, seed 0). Warehouse file after the runs: {db_size / 1e9:.2f} GB.",
        "",
        "| run | wall s | pages/s | peak RSS (tree) | stages (s) |",
        "|---|---:|---:|---:|---|",
        f"| floor: DuckDB `read_text` of every page (warm cache), before / after the full ingest | "
        f"{floors[0]:.1f} / {floors[1]:.1f} | {count / floor:,.0f} | | |",
        f"| full ingest, empty warehouse | {full['wall']:.1f} | {count / full['wall']:,.0f} | "
        f"{full['peak_rss'] / 2**30:.2f} GiB | {_stage_line(full)} |",
        f"| second ingest, nothing changed | {same['wall']:.1f} | | {same['peak_rss'] / 2**30:.2f} GiB | {_stage_line(same)} |",
        f"| ingest after {changed:,} changed pages | {after['wall']:.1f} | | {after['peak_rss'] / 2**30:.2f} GiB | {_stage_line(after)} |",
        "",
        f"Full ingest / floor (mean of the two): **{full['wall'] / floor:.1f}x**. "
        f"Unchanged run / full ingest: **{same['wall'] / full['wall']:.1%}**.{drift_note}",
        "",
        "| analyst query (best of 3, warm) | ms |",
        "|---|---:|",
        *[f"| {name} | {seconds * 1000:.0f} |" for name, seconds in queries.items()],
        "",
    ]
    return "\n".join(lines)


def write_section(results: Path, count: int, section: str) -> None:
    """Replace this count's section in RESULTS.md, keeping the others."""
    text = (
        results.read_text()
        if results.exists()
        else "# Benchmark results\n\nWritten by `python -m pipelines bench`.\n\n"
    )
    pattern = re.compile(rf"^## {count:,} pages\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    results.write_text(text)
