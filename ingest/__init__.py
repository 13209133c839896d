"""Ingestion stages as plain functions (no Dagster): landing folder -> staged batches ->
validated batches. `warehouse/` loads the result; `assets/` wraps each stage as a Dagster asset."""
