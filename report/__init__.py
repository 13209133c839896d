"""One self-contained HTML report of a warehouse: charts of its trials and of its data quality.

Plain Python over a DuckDB connection the caller opens (read-only is enough); no Dagster.
"""

from report.write import ReportSummary, write_report

__all__ = ["ReportSummary", "write_report"]
