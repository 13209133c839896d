"""DuckDB side: DDL derived from the pandera models (`ddl.py`), opening the file safely
(`store.py`), loading staged batches in one transaction (`load.py`), the raw store's files,
laid out as the `source_records` export (`raw_files.py`), parquet exports (`export.py`)."""
