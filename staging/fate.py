"""What became of a page in a run. One enumeration for the stages, the load's SQL and the
run summary, named "fate" so that "outcome" stays free for a trial's outcome measures."""

from __future__ import annotations

from enum import StrEnum

from formats import FORMATS


class PageFate(StrEnum):
    PARSED = "parsed"  # parsed, not yet validated: no page keeps this fate past validation
    LOAD = "load"  # its rows replace the trial's rows in the core tables
    DUPLICATE = "duplicate"  # another page of the same trial won: kept as a version only
    REJECTED = "rejected"  # quarantined in rejected_records with a reason
    UNCHANGED = "unchanged"  # the bytes the warehouse already holds for that path


class RejectedAt(StrEnum):
    """The stage that rejected a page (`rejected_records.stage`)."""

    EXTRACT = "extract"  # its text could not be got out of its file
    PARSE = "parse"
    VALIDATE = "validate"


def sql_in(*fates: PageFate) -> str:
    """`('load', 'duplicate')`: fates as an SQL list, for the load's queries."""
    return "(" + ", ".join(f"'{fate.value}'" for fate in fates) + ")"


# Two pages of one trial with the same Last Updated: the format that carries more of the
# record wins (API v2 JSON, then legacy XML, then the page), then the later path.
FORMAT_RANK = {fmt.name: fmt.rank for fmt in FORMATS}


def format_rank_sql(column: str) -> str:
    """An SQL expression ranking the format named in `column` (unknown or NULL: 0)."""
    cases = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in FORMAT_RANK.items())
    return f"(CASE {column} {cases} ELSE 0 END)"
