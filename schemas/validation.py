"""Batch validation: every core-table frame against its pandera model, plus referential
integrity from the models' `references`. Returns, per failing record, reasons a person can act
on (table, column, value, rule)."""

from __future__ import annotations

from collections import defaultdict

import pandera.errors
import pandera.polars as pa
import polars as pl
from pandera.api.checks import Check
from pandera.api.polars.types import PolarsData
from pandera.backends.polars.checks import PolarsCheckBackend
from pandera.constants import CHECK_OUTPUT_KEY

from schemas import CORE_TABLES, WarehouseTable

REC = "_rec"  # the record-number column of every staged table frame: rules ignore it, failures name it


def validate_batch(frames: dict[str, pl.DataFrame]) -> dict[int, list[str]]:
    """-> {rec: [reason, ...]} for every record with a row that breaks a rule."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for model in CORE_TABLES:
        name = model.__table__.name
        frame = frames[name]
        for rec, reason in _schema_failures(model, frame):
            reasons[rec].append(reason)
        for rec, reason in _reference_failures(model, frames):
            reasons[rec].append(reason)
    return dict(reasons)


def _schema_failures(model: type[WarehouseTable], frame: pl.DataFrame) -> list[tuple[int, str]]:
    rows = frame.drop(REC)
    if frame.is_empty() or rules_hold(model, rows):
        return []
    try:
        model.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _describe(model.__table__.name, frame, exc.failure_cases)
    return []


def rules_hold(model: type[WarehouseTable], frame: pl.DataFrame) -> bool:
    """Whether `frame` passes every rule `model` declares, in one polars query: its columns
    and dtypes as declared, non-null columns without nulls, each check (run by pandera's own
    backend, so with pandera's meaning) and the unique key. Never laxer than pandera; where it
    is unsure (another column order, a dtype to coerce) it says no, and pandera decides.

    pandera validates check by check, collecting each, about three times slower
    (bench/RESULTS.md). Only a table that breaks a rule is validated by pandera, for the
    failure cases its reasons are made of."""
    # Registers pandera's built-in checks for polars data; imported here, not at the top, so
    # a run that validates nothing (an unchanged folder) does not pay for it.
    import pandera.backends.polars.builtin_checks  # noqa: F401

    schema = model.to_schema()
    if frame.columns != list(schema.columns):
        return False
    if any(frame.schema[name] != column.dtype.type for name, column in schema.columns.items()):
        return False
    try:
        return all(_verdicts(schema, frame).collect().row(0))
    except (pl.exceptions.PolarsError, AttributeError, TypeError):
        return False  # a check this query cannot run (an eager result, a missing column): pandera's to judge


def _verdicts(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.LazyFrame:
    """One row, one boolean per rule."""
    rows = frame.lazy()
    verdicts: list[pl.LazyFrame] = []
    for name, column in schema.columns.items():
        value = pl.col(name)
        if not column.nullable:
            # pandera counts NaN as null in a float column
            present = value.is_not_null() & value.is_not_nan() if frame.schema[name].is_float() else value.is_not_null()
            verdicts.append(rows.select(present.all()))
        if column.unique:
            verdicts.append(rows.select(~value.is_duplicated().any()))
        verdicts += [_verdict(check, rows, name) for check in column.checks]
    verdicts += [_verdict(check, rows, "*") for check in schema.checks]
    unique = schema.unique or []
    for key in [unique] if unique and all(isinstance(c, str) for c in unique) else unique:
        verdicts.append(rows.select(~pl.struct(key).is_duplicated().any()))
    return pl.concat([verdict.select(pl.all().alias(f"v{i}")) for i, verdict in enumerate(verdicts)], how="horizontal")


def _verdict(check: Check, rows: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """One check's pass (one row, one boolean), as pandera's backend reads its output."""
    # As pandera's own `Check.__call__` does: a schema built before the polars built-ins were
    # registered holds a copy of the dispatcher without them.
    builtin = getattr(check._check_fn, "__name__", None)
    if builtin is not None and check.is_builtin_check(builtin):
        check._check_fn = check.get_builtin_check_fn(builtin)
    out = PolarsCheckBackend(check).apply(PolarsData(rows, key))
    if isinstance(out, bool):
        return pl.LazyFrame({CHECK_OUTPUT_KEY: [out]})
    passed = pl.col(CHECK_OUTPUT_KEY)
    passed = (passed | passed.is_null()) if check.ignore_na else passed.fill_null(False)
    return out.select(passed.all())


def _describe(table: str, frame: pl.DataFrame, cases: pl.DataFrame) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    recs = frame.get_column(REC)
    everyone = recs.unique().to_list()
    for case in cases.iter_rows(named=True):
        index, column, check = case.get("index"), case.get("column"), str(case.get("check"))
        value = case.get("failure_case")
        if len(check) > 120:
            check = check[:117] + "..."
        if case.get("schema_context") == "DataFrameSchema":
            # A row-level rule: the failure case is the whole row; the rule's name says it all.
            message = f"{table}: the row breaks rule '{check}'"
        else:
            message = f"{table}.{column}: value {_short(value)} breaks rule {check}"
        # A failure without a row index is about the whole frame (e.g. a missing column).
        targets = [recs[int(index)]] if index is not None else everyone
        out.extend((int(rec), message) for rec in targets)
    return out


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _reference_failures(model: type[WarehouseTable], frames: dict[str, pl.DataFrame]) -> list[tuple[int, str]]:
    frame = frames[model.__table__.name]
    out = []
    for columns, (target, target_columns) in model.__table__.references.items():
        if frame.is_empty():
            continue
        parents = frames[target].select([pl.col(t).alias(c) for c, t in zip(columns, target_columns, strict=True)])
        orphans = frame.join(parents.unique(), on=list(columns), how="anti")
        for row in orphans.select(REC, *columns).iter_rows():
            rec, *values = row
            pairs = ", ".join(f"{c}={v!r}" for c, v in zip(columns, values, strict=True))
            out.append((int(rec), f"{model.__table__.name}: row with {pairs} points to no row in {target}"))
    return out
