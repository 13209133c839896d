"""Pandera (polars) models: the one declaration of every warehouse table's columns and rules."""

from schemas.core import CORE_TABLES, WarehouseTable, primary_key
from schemas.lineage import LINEAGE_TABLES

ALL_TABLES: tuple[type[WarehouseTable], ...] = CORE_TABLES + LINEAGE_TABLES
TABLES_BY_NAME: dict[str, type[WarehouseTable]] = {m.__table__.name: m for m in ALL_TABLES}

__all__ = ["ALL_TABLES", "CORE_TABLES", "LINEAGE_TABLES", "TABLES_BY_NAME", "WarehouseTable", "primary_key"]
