"""Dagster definitions, job, schedule, sensor and the command line of trial-warehouse."""
