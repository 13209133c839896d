"""One Dagster asset per warehouse table and one per parquet export, generated from the pandera
models, so the catalog shows every table with its columns and a new model shows up by itself.

The load writes every table in one transaction and the export writes every file in one
switch, so each is one multi-asset step whose outputs are these specs: the tables carry no
value (they are in DuckDB, not in Dagster's storage); the run's manifest travels beside them.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandera.polars as pa

from schemas import ALL_TABLES, DERIVED_VIEWS, WarehouseTable, primary_key
from warehouse.ddl import duckdb_type
from warehouse.store import scalar

WAREHOUSE_GROUP = "warehouse"
EXPORTS_GROUP = "exports"
# Every table and view a load leaves in the warehouse; the export writes ALL_TABLES.
WAREHOUSE_MODELS: tuple[type[WarehouseTable], ...] = ALL_TABLES + DERIVED_VIEWS
EXPORTED_MODELS: tuple[type[WarehouseTable], ...] = ALL_TABLES
# Views whose rows are counted on what they are built over: `source_records` would read every
# raw store file, and `trial_calculated_values` holds one row per trial by construction.
_COUNTED_AS = {"source_records": "source_pages", "trial_calculated_values": "trials"}
# The folder of parts, not one file (warehouse/export.py).
_EXPORT_FOLDERS = {"source_records"}


def table_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", name])


def export_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["exports", name])


def _column(name: str, column: pa.Column) -> dg.TableColumn:
    rules = [check.error or check.name or str(check) for check in column.checks]
    return dg.TableColumn(
        name=name,
        type=duckdb_type(column.dtype.type),
        description=column.description,
        constraints=dg.TableColumnConstraints(nullable=column.nullable, unique=column.unique, other=rules),
    )


def column_schema(model: type[WarehouseTable]) -> dg.TableSchema:
    """The model's columns in table order, typed as DuckDB holds them, with their rules."""
    spec = model.__table__
    constraints = [f"key: {', '.join(primary_key(model))}"]
    constraints += [f"({', '.join(c)}) -> {t}({', '.join(tc)})" for c, (t, tc) in spec.references.items()]
    return dg.TableSchema(
        columns=[_column(name, column) for name, column in model.to_schema().columns.items()],
        constraints=dg.TableConstraints(other=constraints),
    )


def table_spec(model: type[WarehouseTable]) -> dg.AssetSpec:
    name = model.__table__.name
    return dg.AssetSpec(
        table_key(name),
        description=model.__table__.description,
        group_name=WAREHOUSE_GROUP,
        kinds={"duckdb"},
        metadata={
            "dagster/column_schema": column_schema(model),
            "dagster/table_name": f"main.{name}",
            "view": model.__table__.is_view,
        },
    )


def export_spec(model: type[WarehouseTable]) -> dg.AssetSpec:
    name = model.__table__.name
    form = "a folder of parquet parts" if name in _EXPORT_FOLDERS else "one parquet file"
    return dg.AssetSpec(
        export_key(name),
        description=f"`{name}` exported as {form} (zstd), published with every other table at once.",
        group_name=EXPORTS_GROUP,
        kinds={"parquet"},
        metadata={"dagster/column_schema": column_schema(model)},
    )


def out_name(key: dg.AssetKey) -> str:
    return key.to_python_identifier()


def value_less_outs(specs: list[dg.AssetSpec]) -> dict[str, dg.AssetOut]:
    """Outputs for assets the step writes itself: no value, so no IO manager and no pickle path."""
    return {out_name(spec.key): dg.AssetOut.from_spec(spec, dagster_type=dg.Nothing) for spec in specs}


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return scalar(con.execute(f"SELECT count(*) FROM {_COUNTED_AS.get(name, name)}"))


def export_path(exports: Path, name: str) -> Path:
    """Where analysts read the table: under the exports link, which always shows the latest export."""
    return exports.absolute() / (name if name in _EXPORT_FOLDERS else f"{name}.parquet")


TABLE_SPECS = [table_spec(m) for m in WAREHOUSE_MODELS]
EXPORT_SPECS = [export_spec(m) for m in EXPORTED_MODELS]
