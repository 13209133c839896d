"""Record-page parser: plain Python, no Dagster, no I/O.

    from recordpage import parse_page
    record = parse_page(open("NCT04227327.txt", encoding="utf-8").read())

`sections.py` splits a page into sections, `parse.py` reads each section, `criteria.py` infers
criteria nesting, `values.py` reads single values (dates, ages, locations).
"""

from recordpage.model import Record, RecordError
from recordpage.parse import parse_page, split_title

__all__ = ["Record", "RecordError", "parse_page", "split_title"]
