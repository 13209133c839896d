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


_HEADING_SET = frozenset(SECTION_DESCRIPTIONS)
_RESULT_LINES = (RESULTS_PENDING, RESULTS_AVAILABLE)
_UNKNOWN_SECTION = re.compile(
    r"(?:^|\n\n)(?P<heading>[A-Z][A-Za-z]*(?: (?:[A-Z][A-Za-z]*|of|and|the|for|in|to|&)){0,5})"
    r"\n\n(?P<description>[A-Z][a-z]+ [^\n]{30,300}\.)(?=\n\n|\n?$)"
)


def _section_starts(lines: list[str]) -> list[tuple[int, int]]:
    """(heading line index, first content line index) of every known section."""
    starts = []
    n = len(lines)
    # A set lookup per line is the only per-line Python work; the rest runs on ~15 candidates.
    for i in [i for i, line in enumerate(lines) if line in _HEADING_SET]:
        j = i + 1
        while j < n and not lines[j].strip():
            j += 1
        description = SECTION_DESCRIPTIONS[lines[i]]
        if description and j < n and lines[j].rstrip() == description:
            starts.append((i, j + 1))
        elif not description and j < n and lines[j] in _RESULT_LINES:
            starts.append((i, j))
        elif description and j >= n and lines[i] == "More Related Trials":
            starts.append((i, n))
    return starts


def split_page(text: str) -> Page:
    lines = text.split("\n")
    starts = _section_starts(lines)
    header_end = starts[0][0] if starts else len(lines)
    title, nct_id, last_updated, header_extra = _header(lines[:header_end])
    sections: list[Section] = []
    if header_extra:
        sections.append(Section("header", False, 2, header_extra))
    for k, (heading_at, body_at) in enumerate(starts):
        body_end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        sections.extend(_with_unknown_sections(lines[heading_at], body_at + 1, lines[body_at:body_end]))
    return Page(title, nct_id, last_updated, sections)


def _header(lines: list[str]) -> tuple[str, str | None, str | None, list[str]]:
    content = [s for line in lines if (s := line.strip())]
    if not content:
        raise RecordError("header", "title", "the page is empty")
    title, nct_id, last_updated, extra = content[0], None, None, []
    for line in content[1:]:
        if line.startswith("NCT ID:"):
            nct_id = line[len("NCT ID:") :].strip() or None
        elif line.startswith("Last Updated:"):
            last_updated = line[len("Last Updated:") :].strip() or None
        else:
            extra.append(line)  # header lines the layout does not know are kept
    return title, nct_id, last_updated, extra


def _with_unknown_sections(heading: str, first_line: int, body_lines: list[str]) -> list[Section]:
    """The known section, split further where an unknown heading of the same shape starts."""
    if heading in _FREE_TEXT:
        return [Section(heading, True, first_line, body_lines)]
    body = "\n".join(body_lines)
    if "." not in body:  # no sentence, so no unknown section description: the common case
        return [Section(heading, True, first_line, body_lines)]
    out: list[Section] = []
    current, start, line_no = heading, 0, first_line
    for m in _UNKNOWN_SECTION.finditer(body):
        name, description = m["heading"], m["description"]
        # Layout descriptions are whole sentences (8+ words); `Central Kentucky Research
        # Associates, Inc.` after a facility line is not.
        if name in KNOWN_LABELS or description.count(" ") < 7:
            continue
        head_start = m.start("heading")
        out.append(Section(current, current == heading, line_no, body[start:head_start].split("\n")))
        line_no += body.count("\n", start, m.end()) + 1
        current, start = name, m.end() + 1
    out.append(Section(current, current == heading, line_no, body[start:].split("\n") if start <= len(body) else []))
    return out
