"""The sample shipped with the project (what `make run` ingests): real registry records copied
from the shared records, which load whole, in every format, and answer the README's queries."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from schemas import CORE_TABLES
from staging.settings import DEFAULT_SOURCE
from tests.integration.conftest import PROJECT, SHARED, run

# Where each sample folder was copied from (sample/README.md).
ORIGINS = {"": SHARED / "seed", "text": SHARED / "text", "ctgov-json": SHARED / "ctgov-json", "xml": SHARED / "xml"}
FORMATS = {".txt": "page", ".json": "ctgov_json", ".xml": "legacy_xml"}


def _sample_files() -> list[Path]:
    return sorted(p for p in DEFAULT_SOURCE.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory, shared_records: Path):
    work = tmp_path_factory.mktemp("sample")
    return work, run(DEFAULT_SOURCE, work)


def test_the_sample_is_shared_records_byte_for_byte(shared_records: Path) -> None:
    files = _sample_files()
    assert files, "sample/landing is empty"
    for file in files:
        folder = "" if file.parent == DEFAULT_SOURCE else file.parent.name
        assert file.read_bytes() == (ORIGINS[folder] / file.name).read_bytes(), file
    readme = (PROJECT / "sample" / "README.md").read_text(encoding="utf-8")
    assert sorted(re.findall(r"NCT\d{8}", readme.split("NCT IDs:")[1])) == sorted(f.stem for f in files)


def test_the_sample_loads_whole_in_every_format(sample_run) -> None:
    work, summary = sample_run
    files = _sample_files()
    assert summary.load.pages_rejected == 0, summary.load.rejections
    assert summary.load.trials_loaded == len(files)
    assert all(summary.checks.values()) and len(summary.checks) == 3
    with duckdb.connect(str(work / "trials.duckdb"), read_only=True) as con:
        loaded = dict(con.execute("SELECT nct_id, source_format FROM trials").fetchall())
        texts = con.execute("SELECT count(*) FROM source_records WHERE record_text IS NOT NULL").fetchone()
    assert loaded == {f.stem: FORMATS[f.suffix] for f in files}
    assert set(Counter(loaded.values())) == {"page", "ctgov_json", "legacy_xml"}
    assert texts == (len(files),)


def _readme_queries() -> dict[str, str]:
    """The README's analyst queries, by their leading comment's first line."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## For analysts", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    queries = [q.strip() for q in re.split(r";\s*$", block, flags=re.MULTILINE) if q.strip()]
    return {q.splitlines()[0].removeprefix("-- "): q for q in queries}


def test_the_readme_queries_run_and_count_trials_without_a_phase(sample_run) -> None:
    work, _ = sample_run
    queries = _readme_queries()
    phase = next(q for title, q in queries.items() if title.startswith("trials by phase and status"))
    with duckdb.connect(str(work / "trials.duckdb"), read_only=True) as con:
        for query in queries.values():
            con.execute(query).fetchall()
        by_phase = Counter[str]()
        for name, _, trials in con.execute(phase).fetchall():
            by_phase[name] += trials
        total, no_phase, null = con.execute(
            "SELECT count(*), count(*) FILTER (len(phases) = 0), count(*) FILTER (phases IS NULL) FROM trials"
        ).fetchone()
        observational = con.execute("SELECT count(*) FROM trials WHERE study_type = 'OBSERVATIONAL'").fetchone()
    assert sum(by_phase.values()) == total  # every trial counted once
    assert by_phase["none given"] == no_phase > 0 and null == 0  # the dictionary: [] when none, never NULL
    assert observational == (no_phase,)
    assert {"PHASE1/PHASE2", "PHASE2/PHASE3", "NA", "PHASE4"} <= set(by_phase)


def test_prose_columns_are_stored_as_the_models_declare(sample_run) -> None:
    """The models' `compression` metadata reaches DuckDB's storage (the DDL is derived)."""
    work, _ = sample_run
    declared = {
        (m.__table__.name, name): col.metadata["compression"].upper()
        for m in CORE_TABLES
        for name, col in m.to_schema().columns.items()
        if col.metadata and "compression" in col.metadata
    }
    assert ("criteria", "text") in declared and ("trials", "detailed_description") in declared
    with duckdb.connect(str(work / "trials.duckdb"), read_only=True) as con:
        used = {
            key: {row[0] for row in con.execute(
                "SELECT compression FROM pragma_storage_info(?) WHERE column_name = ? AND segment_type <> 'VALIDITY'",
                list(key),
            ).fetchall()}
            for key in declared
        }  # fmt: skip
    assert used[("criteria", "text")] == {"ZSTD"}
    # Every declared column with rows in the sample is stored that way (extra_sections has none).
    assert all(used[key] in ({declared[key]}, set()) for key in declared), used
