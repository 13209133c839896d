"""Pandera models of the record beyond the page: outcomes, keywords, MeSH terms, references, and
the calculated-values view. The page format fills none of these; API v2 JSON and legacy XML do.

Each column's `metadata["formats"]` names the input formats that fill it (the data dictionary
prints it); a column without it is filled by every format that carries the table's data.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.core import TRIAL_REF, TrialChild, WarehouseTable, table

Text = pl.Utf8
# The formats that carry the record beyond the page (names as `formats.InputFormat.name`).
JSON_XML = {"formats": ("ctgov_json", "legacy_xml")}
JSON_ONLY = {"formats": ("ctgov_json",)}

OUTCOME_TYPE = ("primary", "secondary", "other")
MESH_KIND = ("condition", "intervention")
# API v2 ReferenceType; legacy XML's <reference> is BACKGROUND and <results_reference> RESULT.
REFERENCE_TYPE = ("BACKGROUND", "RESULT", "DERIVED")


@table("outcomes", "Outcome measures: primary, secondary and other, in record order.", references=TRIAL_REF)
class Outcomes(TrialChild):
    class Config:
        unique = ["nct_id", "outcome_ordinal"]  # the primary key

    outcome_ordinal: pl.Int32 = pa.Field(ge=1, metadata=JSON_XML)
    outcome_type: Text = pa.Field(isin=OUTCOME_TYPE, metadata=JSON_XML)
    measure: Text = pa.Field(str_length={"min_value": 1}, metadata=JSON_XML)
    time_frame: Text = pa.Field(nullable=True, metadata=JSON_XML)
    description: Text = pa.Field(nullable=True, metadata={"compression": "zstd", **JSON_XML})


@table("keywords", "Keywords the sponsor gave the trial.", references=TRIAL_REF)
class Keywords(TrialChild):
    class Config:
        unique = ["nct_id", "keyword_ordinal"]  # the primary key

    keyword_ordinal: pl.Int32 = pa.Field(ge=1, metadata=JSON_XML)
    keyword: Text = pa.Field(str_length={"min_value": 1}, metadata=JSON_XML)


@table(
    "mesh_terms",
    "MeSH terms the registry derived for the trial's conditions and interventions (its browse terms).",
    references=TRIAL_REF,
)
class MeshTerms(TrialChild):
    class Config:
        unique = ["nct_id", "mesh_ordinal"]  # the primary key

    mesh_ordinal: pl.Int32 = pa.Field(ge=1, metadata=JSON_XML)
    kind: Text = pa.Field(isin=MESH_KIND, metadata=JSON_XML)
    term: Text = pa.Field(str_length={"min_value": 1}, metadata=JSON_XML)
    # A descriptor (D...) or a supplementary concept (C..., drugs and rare diseases).
    mesh_id: Text = pa.Field(nullable=True, str_matches=r"^[CD]\d{6,9}$", metadata=JSON_ONLY)


@table(
    "study_references",
    "Publications the record cites (`references` is an SQL keyword).",
    references=TRIAL_REF,
)
class StudyReferences(TrialChild):
    class Config:
        unique = ["nct_id", "reference_ordinal"]  # the primary key

    reference_ordinal: pl.Int32 = pa.Field(ge=1, metadata=JSON_XML)
    pmid: Text = pa.Field(nullable=True, str_matches=r"^\d{1,9}$", metadata=JSON_XML)
    reference_type: Text = pa.Field(nullable=True, isin=REFERENCE_TYPE, metadata=JSON_XML)
    citation: Text = pa.Field(nullable=True, metadata={"compression": "zstd", **JSON_XML})


@table(
    "trial_calculated_values",
    "A view, like AACT's calculated_values: per trial, its number of sites, whether one is in the "
    "United States (NULL without sites), the months from start to primary completion when both "
    "dates are ACTUAL, and the months from primary completion to the first posting of results. "
    "Months are calendar months between the dates (a month-precision date counts as its first day).",
    references=TRIAL_REF,
    is_view=True,
)
class TrialCalculatedValues(WarehouseTable):
    class Config:
        unique = ["nct_id"]  # the primary key

    nct_id: Text = pa.Field()
    number_of_sites: pl.Int64 = pa.Field(ge=0)
    has_us_site: pl.Boolean = pa.Field(nullable=True)
    actual_duration_months: pl.Int64 = pa.Field(nullable=True, metadata=JSON_XML)
    months_to_report_results: pl.Int64 = pa.Field(nullable=True, metadata=JSON_XML)


RECORD_EXTRA_TABLES: tuple[type[WarehouseTable], ...] = (Outcomes, Keywords, MeshTerms, StudyReferences)
# Views derived from the tables: in the data dictionary and DDL, not loaded, checked or exported.
DERIVED_VIEWS: tuple[type[WarehouseTable], ...] = (TrialCalculatedValues,)
