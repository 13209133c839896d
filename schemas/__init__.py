"""Pandera (polars) models: the one declaration of every warehouse table's columns and rules."""

from schemas.core import CORE_TABLES as _PAGE_TABLES
from schemas.core import WarehouseTable, primary_key
from schemas.facts import CriteriaFacts
from schemas.lineage import LINEAGE_TABLES, TrialChanges
from schemas.record_extras import DERIVED_VIEWS as _EXTRA_VIEWS
from schemas.record_extras import RECORD_EXTRA_TABLES

# The tables one record fills, loaded, checked and exported per trial: the page's, then the
# record beyond the page (empty for trials read from pages), then the eligibility thresholds
# read from the criteria.
CORE_TABLES: tuple[type[WarehouseTable], ...] = _PAGE_TABLES + RECORD_EXTRA_TABLES + (CriteriaFacts,)
ALL_TABLES: tuple[type[WarehouseTable], ...] = CORE_TABLES + LINEAGE_TABLES
# Views derived from the tables: in the data dictionary, not loaded, checked or exported.
DERIVED_VIEWS: tuple[type[WarehouseTable], ...] = (*_EXTRA_VIEWS, TrialChanges)
TABLES_BY_NAME: dict[str, type[WarehouseTable]] = {m.__table__.name: m for m in ALL_TABLES}

__all__ = [
    "ALL_TABLES",
    "CORE_TABLES",
    "DERIVED_VIEWS",
    "LINEAGE_TABLES",
    "TABLES_BY_NAME",
    "WarehouseTable",
    "primary_key",
]
