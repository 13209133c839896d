"""Dagster assets (thin wrappers over `ingest/` and `warehouse/`) and the checks that guard them."""
