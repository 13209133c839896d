"""DuckDB DDL generated from the pandera models, so a table is declared in one place."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.datatypes import DataTypeClass

from schemas import ALL_TABLES, WarehouseTable, primary_key
from schemas.core import Trials
from schemas.record_extras import RECORD_EXTRA_TABLES
from staging.raw_files import in_records_layout
from warehouse.eligibility_query import eligibility_macros

_SCALARS: dict[DataTypeClass, str] = {
    pl.Utf8: "VARCHAR",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
    pl.Binary: "BLOB",
}


def duckdb_type(dtype: pl.DataType | DataTypeClass) -> str:
    if isinstance(dtype, pl.List):
        return duckdb_type(dtype.inner) + "[]"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    base = dtype if isinstance(dtype, type) else type(dtype)
    return _SCALARS[base]


def columns(model: type[WarehouseTable]) -> dict[str, str]:
    return {name: duckdb_type(col.dtype.type) for name, col in model.to_schema().columns.items()}


def create_table(model: type[WarehouseTable]) -> str:
    schema = model.to_schema()
    lines = []
    for name, col in schema.columns.items():
        not_null = "" if col.nullable else " NOT NULL"
        compression = (col.metadata or {}).get("compression")
        using = f" USING COMPRESSION {compression}" if compression else ""
        lines.append(f"    {name} {duckdb_type(col.dtype.type)}{using}{not_null}")
    if model.__table__.key_constraint:
        lines.append(f"    PRIMARY KEY ({', '.join(primary_key(model))})")
    body = ",\n".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {model.__table__.name} (\n{body}\n);"


def trial_changes_view() -> str:
    """`trial_changes`: for consecutive versions of a trial, each contract field whose value
    changed, old and new. A superseded version's values are its JSON snapshot; the current
    version's are its `trials` row. Field list comes from the Trials model; the values are
    given as plain text (`_plain`) and as the JSON they are compared in."""
    cols = columns(Trials)
    fields = [c for c in cols if c not in ("nct_id", "sha256", "source_path", "title")]
    types = ", ".join(f"('{f}', '{cols[f]}')" for f in fields)
    current = "to_json(struct_pack(" + ", ".join(f"{c} := t.{c}" for c in cols) + "))::VARCHAR"
    return f"""
CREATE OR REPLACE VIEW trial_changes AS
WITH versions AS (
    SELECT v.nct_id, v.sha256, v.first_seen, v.last_updated,
           coalesce(v.fields_json, CASE WHEN t.nct_id IS NOT NULL THEN {current} END) AS fields_json
    FROM trial_versions v
    LEFT JOIN trials t ON t.nct_id = v.nct_id AND v.superseded_at IS NULL
    WHERE v.nct_id IN (SELECT nct_id FROM trial_versions GROUP BY nct_id HAVING count(*) > 1)
),
ordered AS (
    SELECT *, lag(sha256) OVER w AS previous_sha256, lag(fields_json) OVER w AS previous_json
    FROM versions
    WINDOW w AS (PARTITION BY nct_id ORDER BY first_seen, last_updated NULLS FIRST, sha256)
),
fields AS (SELECT * FROM (VALUES {types}) f(field, value_type)),
pairs AS (
    SELECT o.nct_id, o.previous_sha256 AS old_sha256, o.sha256 AS new_sha256, o.first_seen AS changed_at,
           f.field, f.value_type,
           json_extract(o.previous_json, '$.' || f.field) AS old_json,
           json_extract(o.fields_json, '$.' || f.field) AS new_json
    FROM ordered o CROSS JOIN fields f
    WHERE o.previous_json IS NOT NULL
)
SELECT nct_id, old_sha256, new_sha256, changed_at, field, {_plain("old_json")} AS old_value,
       {_plain("new_json")} AS new_value, value_type, old_json::VARCHAR AS old_json, new_json::VARCHAR AS new_json
FROM pairs
WHERE old_json IS DISTINCT FROM new_json;
"""


def _plain(value: str) -> str:
    """A JSON value as the text an analyst casts: a string unquoted, a list as DuckDB writes a
    list (`[PHASE1, PHASE2]`, which `::VARCHAR[]` reads back), JSON null as NULL."""
    return (
        f"CASE json_type({value}) WHEN 'NULL' THEN NULL WHEN 'ARRAY' THEN {value}::VARCHAR[]::VARCHAR "
        f"ELSE json_extract_string({value}, '$') END"
    )


def calculated_values_view() -> str:
    """`trial_calculated_values`, like AACT's calculated_values (columns: schemas/record_extras.py).
    A view rather than a table so it can never disagree with the trials and sites it counts."""
    return """
CREATE OR REPLACE VIEW trial_calculated_values AS
WITH s AS (
    SELECT nct_id, count(*) AS number_of_sites, bool_or(country = 'United States') AS has_us_site
    FROM sites GROUP BY nct_id
)
SELECT t.nct_id,
       coalesce(s.number_of_sites, 0) AS number_of_sites,
       s.has_us_site,
       CASE WHEN t.start_date_type = 'ACTUAL' AND t.primary_completion_date_type = 'ACTUAL'
            THEN date_diff('month', t.start_date, t.primary_completion_date) END AS actual_duration_months,
       date_diff('month', t.primary_completion_date, t.results_first_posted) AS months_to_report_results
FROM trials t LEFT JOIN s USING (nct_id);
"""


# The raw store's folder as SQL, worked out each time a query binds and never written into the
# database file, so a moved or copied warehouse reads the store beside it: the variable that
# `warehouse.store.connect` and the shell set, else the folder beside the file DuckDB opened,
# taken from DuckDB's default temp directory `<file>.tmp` (documented in "Files Created by
# DuckDB"), so a plain `duckdb.connect(path)` or `duckdb path` needs no setup.
RAW_STORE_VARIABLE = "trial_warehouse_raw_store"
RAW_STORE_SQL = (
    f"coalesce(getvariable('{RAW_STORE_VARIABLE}'), "
    r"regexp_replace(current_setting('temp_directory'), '(\.[^./]*)?\.tmp$', '.raw'))"
)


def sql_string(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def source_records_select(raw_root: Path | None, raw_files: list[str], portable: bool = False) -> str:
    """`source_pages` joined with the page bytes in the given raw store files, in either of
    their layouts (staging/raw_files.py). The files are read under `raw_root`, or, `portable`,
    under the folder `RAW_STORE_SQL` names when the query runs (what a stored view needs)."""
    pages = (
        "SELECT i.sha256, i.source_path, i.nct_id, i.first_seen, i.last_seen, {text} AS record_text, i.size_bytes, "
        "i.encoding, {raw} AS raw_bytes, i.raw_file FROM source_pages i"
    )
    if not raw_files or (raw_root is None and not portable):
        return pages.format(text="NULL::VARCHAR", raw="NULL::BLOB")
    root = sql_string(raw_root.resolve().as_posix()) if raw_root is not None and not portable else RAW_STORE_SQL
    joins, texts, raws = [], [], []
    layouts = (
        ("r", [f for f in raw_files if in_records_layout(f)], "source_path", "record_text", "raw_bytes"),
        ("p", [f for f in raw_files if not in_records_layout(f)], "path", "text", "raw"),
    )
    for alias, files, path, text, raw in layouts:
        if files:
            listed = f"list_transform([{', '.join(sql_string(f) for f in files)}], lambda f: {root} || '/' || f)"
            joins.append(
                f" LEFT JOIN read_parquet({listed}, filename = true) {alias} ON {alias}.filename = {root} || '/' || "
                f"i.raw_file AND {alias}.{path} = i.source_path AND {alias}.sha256 = i.sha256"
            )
            texts.append(f"{alias}.{text}")
            raws.append(f"{alias}.{raw}")
    text, raw = (t[0] if len(t) == 1 else f"coalesce({', '.join(t)})" for t in (texts, raws))
    return pages.format(text=text, raw=raw) + "".join(joins)


def source_records_view(raw_root: Path | None, raw_files: list[str]) -> str:
    """`source_records`: rebuilt by every load with the raw files committed so far, named
    relative to the raw store (`raw_root` is not written into the view: see `RAW_STORE_SQL`)."""
    return f"CREATE OR REPLACE VIEW source_records AS {source_records_select(raw_root, raw_files, portable=True)}"


def is_portable_source_records(view_sql: str) -> bool:
    """Whether a stored `source_records` view finds its raw store at query time. A warehouse
    made before named its raw files by absolute path: moved, it found none; copied, it read
    the original's."""
    return RAW_STORE_VARIABLE in view_sql or "read_parquet" not in view_sql


def all_ddl() -> list[str]:
    tables = [create_table(m) for m in ALL_TABLES if not m.__table__.is_view]
    return [*tables, *added_columns(), trial_changes_view(), calculated_values_view(), *eligibility_macros()]


def added_columns() -> list[str]:
    """A warehouse created before the record beyond the page has `trials` and `sites` without
    its columns (`CREATE TABLE IF NOT EXISTS` leaves a table as it is): add them, at the end as
    in the models, nullable; its trials were all read from pages."""
    out = []
    for model in ALL_TABLES:
        if model.__table__.is_view:
            continue
        for name, col in model.to_schema().columns.items():
            if name == "source_format":
                out.append(f"ALTER TABLE {model.__table__.name} ADD COLUMN IF NOT EXISTS {name} VARCHAR DEFAULT 'page'")
            elif "formats" in (col.metadata or {}) and model not in RECORD_EXTRA_TABLES:
                out.append(
                    f"ALTER TABLE {model.__table__.name} ADD COLUMN IF NOT EXISTS {name} {duckdb_type(col.dtype.type)}"
                )
    return out


def placeholder_views() -> list[str]:
    """Views a new warehouse needs before its first load fills them in."""
    return [source_records_view(None, []).replace("CREATE OR REPLACE VIEW", "CREATE VIEW IF NOT EXISTS")]
