"""Eligibility thresholds read from criterion lines as facts (../shared/criteria-facts.md).

Plain Python, nothing from the rest of the project: `extract_facts` reads one line,
`facts_frame` turns `criteria` rows into `criteria_facts` rows.
"""

from eligibility.extract import Fact, extract_facts
from eligibility.frame import COLUMNS, facts_frame

__all__ = ["COLUMNS", "Fact", "extract_facts", "facts_frame"]
