"""The data dictionary (docs/data-dictionary.md), generated from the pandera models.

python -m warehouse.dictionary          # rewrite docs/data-dictionary.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandera.polars as pa

from schemas import ALL_TABLES, DERIVED_VIEWS, WarehouseTable, primary_key
from warehouse.ddl import duckdb_type
from warehouse.eligibility_query import dictionary_section
from warehouse.search import IX as SEARCH_SCHEMA

PATH = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"


def _rules(column: pa.Column) -> str:
    parts = []
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "isin":
            parts.append("one of " + ", ".join(f"`{v}`" for v in stats.get("allowed_values", [])))
        elif check.name == "str_matches":
            parts.append(f"matches `{stats.get('pattern')}`")
        elif check.name in ("greater_than_or_equal_to",):
            parts.append(f">= {stats.get('min_value')}")
        elif check.name == "less_than_or_equal_to":
            parts.append(f"<= {stats.get('max_value')}")
        elif check.name == "str_length":
            parts.append("not empty")
        else:
            parts.append(check.name or str(check))
    return "; ".join(parts)


# Tables and columns only the page fills: the other formats have no unknown sections to keep.
_PAGE_ONLY = {"extra_sections"}


def _filled_by(model: type[WarehouseTable], column: pa.Column) -> str:
    formats = (column.metadata or {}).get("formats")
    if formats:
        return ", ".join(f"`{f}`" for f in formats)
    if model.__table__.name in _PAGE_ONLY:
        return "`page`"
    return "all"


def render() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Generated from the pandera models in `schemas/` by `python -m warehouse.dictionary`; do not edit by hand.",
        "Every table is in DuckDB's `main` schema and exported as `<exports>/<table>.parquet`",
        "(`source_records`: a folder `<exports>/source_records/` of parquet parts), except the views "
        + " and ".join(f"`{m.__table__.name}`" for m in DERIVED_VIEWS)
        + ",",
        "which are computed from the tables when queried (in DuckDB only). Column `notes`: what the rules do not say.",
        "",
        "Input formats (`trials.source_format`): `page` (record pages, `.txt`), `ctgov_json` (API v2 JSON),",
        "`legacy_xml` (`<clinical_study>` XML). Column `filled by`: the formats that fill it; `all` for",
        "every format. A format that does not carry a column leaves it NULL (or the table empty).",
        "",
    ]
    for model in ALL_TABLES + DERIVED_VIEWS:
        spec = model.__table__
        schema = model.to_schema()
        lines += [f"## {spec.name}", "", spec.description, "", f"Key: `{', '.join(primary_key(model))}`."]
        for cols, (target, target_cols) in spec.references.items():
            lines.append(f"`{', '.join(cols)}` points to `{target}({', '.join(target_cols)})`.")
        checks = [c.name for c in schema.checks]
        if checks:
            lines.append("Row rules: " + ", ".join(f"`{c}`" for c in checks) + ".")
        lines += ["", "| column | type | null | rules | filled by | notes |", "|---|---|---|---|---|---|"]
        for name, column in schema.columns.items():
            null = "yes" if column.nullable else "no"
            filled = _filled_by(model, column)
            notes = column.description or ""
            lines.append(
                f"| {name} | {duckdb_type(column.dtype.type)} | {null} | {_rules(column)} | {filled} | {notes} |"
            )
        lines.append("")
    lines += [
        "## Not tables: the search index",
        "",
        f"The schema `{SEARCH_SCHEMA}` holds the full-text index (its own internal tables, rebuilt or updated by",
        "every load). Query it through the table macros `search_trials(term)`, `search_criteria(term)` and",
        "`search_documents_scored(term)`: see the README's Search section.",
        "",
    ]
    lines += dictionary_section()
    return "\n".join(lines)


if __name__ == "__main__":
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(render())
    print(f"wrote {PATH}", file=sys.stderr)
