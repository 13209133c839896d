"""Splitting a record page into its header and sections.

A section starts at a known heading line whose next non-blank line is that heading's fixed
description (so a paragraph that happens to read "Interventions" inside free text does not
start a section). A heading the layout does not know is recognised by the same shape: a short
Title Case line, a blank line, then one descriptive sentence, then a blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recordpage.layout import (
    KNOWN_LABELS,
    RESULTS_AVAILABLE,
    RESULTS_PENDING,
    SECTION_DESCRIPTIONS,
)
from recordpage.model import RecordError

_UNKNOWN_HEADING = re.compile(r"^[A-Z][A-Za-z]*(?: (?:[A-Z][A-Za-z]*|of|and|the|for|in|to|&)){0,5}$")
_DESCRIPTION_SENTENCE = re.compile(r"^[A-Z][a-z]+ [^\n]{30,300}\.$")
# Sections whose content is free text: an unknown-heading lookalike there is just text.
_FREE_TEXT = frozenset(
    {"Brief Summary", "Detailed Description", "Eligibility Criteria", "Study Groups", "Interventions"}
)


@dataclass(slots=True)
class Section:
    heading: str
    known: bool
    first_line: int  # 1-based page line number of the first content line
    lines: list[str]  # content lines after the description line, blanks included


@dataclass(slots=True)
class Page:
    title: str
    nct_id: str | None
    last_updated: str | None
    sections: list[Section]


def _next_nonblank(lines: list[str], i: int) -> int:
    n = len(lines)
    while i < n and not lines[i].strip():
        i += 1
    return i


def _known_heading_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    description = SECTION_DESCRIPTIONS.get(line)
    if description is None:
        return False
    j = _next_nonblank(lines, i + 1)
    if j >= len(lines):
        return line == "More Related Trials" or not description
    if description:
        return lines[j] == description
    return lines[j] in (RESULTS_PENDING, RESULTS_AVAILABLE)


def _unknown_heading_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line in KNOWN_LABELS or not _UNKNOWN_HEADING.match(line) or (i > 0 and lines[i - 1].strip()):
        return False
    j = i + 1
    if j + 1 >= len(lines) or lines[j].strip():
        return False
    description = lines[j + 1]
    # Layout descriptions are whole sentences (10+ words); a facility such as
    # `Central Kentucky Research Associates, Inc.` is not.
    if not _DESCRIPTION_SENTENCE.match(description) or description.count(" ") < 7:
        return False
    return j + 2 >= len(lines) or not lines[j + 2].strip()


def split_page(text: str) -> Page:
    lines = text.split("\n")
    i = _next_nonblank(lines, 0)
    if i >= len(lines):
        raise RecordError("header", "title", "the page is empty")
    title = lines[i].strip()
    nct_id = last_updated = None
    i += 1
    # Header labels come before the first section; anything else there is kept as an extra.
    header_extra: list[str] = []
    while i < len(lines) and not _known_heading_at(lines, i):
        line = lines[i].strip()
        if line.startswith("NCT ID:"):
            nct_id = line[len("NCT ID:") :].strip() or None
        elif line.startswith("Last Updated:"):
            last_updated = line[len("Last Updated:") :].strip() or None
        elif line:
            header_extra.append(line)
        i += 1
    sections: list[Section] = []
    if header_extra:
        sections.append(Section("header", False, 2, header_extra))
    current: Section | None = None
    while i < len(lines):
        line = lines[i]
        if _known_heading_at(lines, i):
            description = SECTION_DESCRIPTIONS[line]
            start = _next_nonblank(lines, i + 1) + (1 if description else 0)
            current = Section(line, True, start + 1, [])
            sections.append(current)
            i = start
            continue
        if current is not None and current.heading not in _FREE_TEXT and _unknown_heading_at(lines, i):
            current = Section(line, False, i + 4, [])
            sections.append(current)
            i += 3
            continue
        if current is not None:
            current.lines.append(line)
        i += 1
    return Page(title, nct_id, last_updated, sections)
