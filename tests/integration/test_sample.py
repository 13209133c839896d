"""The sample shipped with the project (what `make run` ingests) loads whole."""

from pathlib import Path

from schemas import CORE_TABLES
from staging.settings import DEFAULT_SOURCE
from tests.integration.conftest import connect, run


def test_bundled_sample_loads_without_rejections(tmp_path: Path) -> None:
    pages = sorted(DEFAULT_SOURCE.rglob("*.txt"))
    summary = run(DEFAULT_SOURCE, tmp_path)
    assert summary.load.pages_rejected == 0, summary.load.rejections
    assert summary.load.trials_loaded == len(pages) > 1
    assert all(summary.checks.values()) and len(summary.checks) == 3


def test_prose_columns_are_stored_as_the_models_declare(tmp_path: Path) -> None:
    """The models' `compression` metadata reaches DuckDB's storage (the DDL is derived)."""

    run(DEFAULT_SOURCE, tmp_path)
    declared = {
        (m.__table__.name, name): col.metadata["compression"].upper()
        for m in CORE_TABLES
        for name, col in m.to_schema().columns.items()
        if col.metadata and "compression" in col.metadata
    }
    assert ("criteria", "text") in declared and ("trials", "detailed_description") in declared
    with connect(tmp_path) as con:
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
