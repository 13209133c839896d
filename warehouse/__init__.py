"""DuckDB side: DDL derived from the pandera models (`ddl.py`), opening the file safely
(`store.py`), loading staged batches in one transaction (`load.py`), parquet exports
(`export.py`)."""
