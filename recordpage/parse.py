"""Record page text -> `Record`. One function per section; `parse_page` is the entry point."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import islice

from recordpage import layout as L
from recordpage.criteria import parse_criteria
from recordpage.model import (
    Arm,
    Extra,
    Identifier,
    Intervention,
    Record,
    RecordError,
    Site,
    Sponsor,
)
from recordpage.sections import Page, Section, split_page
from recordpage.values import (
    check_age,
    check_date,
    parse_enrollment,
    parse_yes_no,
    split_location,
)

NCT_ID = re.compile(r"^NCT\d{8}$")
_TITLE_ACRONYM = re.compile(r"^(?P<title>.*\S) \((?P<acronym>[^()]+)\)$")
# A page ends with this section; a page without it was cut off.
LAST_SECTION = "More Related Trials"
_READ_FIRST = frozenset({"Interventions", "Countries"})


def parse_page(text: str) -> Record:
    """Parse one record page. Raises `RecordError` naming the section, field and problem."""
    page = split_page(normalize(text))
    record = _header(page)
    seen: set[str] = set()
    # Study Groups are read with the Interventions' descriptions and Locations with the
    # Countries list, both of which come later on the page: parse those two first.
    for section in sorted(page.sections, key=lambda s: s.heading not in _READ_FIRST):
        if section.known and section.heading in seen:
            raise RecordError(
                section.heading, "heading", f"section appears twice (again at line {section.first_line - 2})"
            )
        seen.add(section.heading)
        parser = _SECTION_PARSERS.get(section.heading) if section.known else None
        if parser is None:
            _keep_unknown(record, section)
        else:
            parser(record, section)
    if LAST_SECTION not in seen:
        last = page.sections[-1] if page.sections else None
        where = f"inside section '{last.heading}'" if last else "before any section"
        raise RecordError(
            last.heading if last else "header",
            "page end",
            f"the page ends {where}: it looks cut off (a complete page ends with '{LAST_SECTION}')",
        )
    return record


def normalize(text: str) -> str:
    """Line ends, a leading BOM, tabs, no-break spaces and spaces at line ends are transport
    or typing details, not content. Left in, they hid what the layout marks: `Detailed
    Description ` was no heading (its section merged into the one before), and
    `Site Status\u00a0RECRUITING` no label (two sites merged into one). The page's own bytes
    are kept as read (`source_records`); this is only what the parser reads."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    # Substring tests first: a regex over every page would cost more than the rest of this.
    if " \n" in text or text.endswith(" "):
        text = _SPACES_AT_LINE_END.sub("", text)
    return text


_SPACES_AT_LINE_END = re.compile(r" +$", re.M)


def _header(page: Page) -> Record:
    if page.nct_id is None:
        raise RecordError("header", "NCT ID", "no 'NCT ID:' line in the page header")
    if not NCT_ID.match(page.nct_id):
        raise RecordError("header", "NCT ID", f"'{page.nct_id}' is not NCT followed by 8 digits")
    record = Record(nct_id=page.nct_id, title=page.title)
    if page.last_updated is not None:
        record.last_updated = _value(check_date, page.last_updated, "header", "Last Updated")
    return record


def split_title(title: str) -> tuple[str, str | None]:
    """Title line -> (brief_title, acronym): a trailing parenthesised acronym is split off."""
    m = _TITLE_ACRONYM.match(title)
    if m and len(m["acronym"]) <= 40 and m["acronym"].count(" ") <= 3:
        return m["title"], m["acronym"]
    return title, None


def _value(reader: Callable[[str], object], value: str, section: str, field: str):
    try:
        return reader(value)
    except ValueError as exc:
        raise RecordError(section, field, str(exc)) from None


def _nonblank(section: Section) -> list[tuple[int, str]]:
    """(page line number, stripped text) of every non-blank content line: for the sections
    that cut descriptions out of the original lines (see `_stripped` for the rest)."""
    first = section.first_line
    return [(first + k, s) for k, line in enumerate(section.lines) if line and (s := line.strip())]


def _stripped(section: Section) -> list[str]:
    """The stripped text of every non-blank content line. Without line numbers: a tuple per
    line made `_nonblank` three times as slow, a tenth of the time to parse a page."""
    return [s for line in section.lines if line and (s := line.strip())]


def _line_number(section: Section, nth: int) -> int:
    """Page line number of the section's `nth` non-blank line (0-based), for error messages."""
    return next(lineno for lineno, _ in islice(_nonblank(section), nth, None))


def _text_between(section: Section, first: int, last: int) -> str | None:
    """Original lines from page line `first` to `last` inclusive, blank edges trimmed."""
    lo, hi = first - section.first_line, last - section.first_line + 1
    text = "\n".join(line.rstrip() for line in section.lines[lo:hi]).strip("\n")
    return text or None


def _free_text(section: Section) -> str | None:
    # Only the first and last non-blank lines matter: their indices, not a tuple per line.
    nonblank = [k for k, line in enumerate(section.lines) if line and not line.isspace()]
    if not nonblank:
        return None
    return _text_between(section, section.first_line + nonblank[0], section.first_line + nonblank[-1])


def _labelled(
    record: Record, section: Section, labels: dict[str, str], readers: Mapping[str, Callable[[str], object]]
) -> None:
    lines = _stripped(section)
    i = 0
    while i < len(lines):
        at, label = i, lines[i]
        attr = labels.get(label)
        has_value = i + 1 < len(lines) and lines[i + 1] not in labels
        value = lines[i + 1] if has_value else None
        i += 2 if has_value else 1
        if attr is None:
            record.extras.append(Extra(section.heading, label, value or ""))
            continue
        if getattr(record, attr) not in (None, []):
            raise RecordError(section.heading, label, "label appears twice", _line_number(section, at))
        if value is not None:
            reader = readers.get(attr)
            setattr(record, attr, _value(reader, value, section.heading, label) if reader else value)


def _study_results(record: Record, section: Section) -> None:
    for line in _stripped(section):
        if line == L.RESULTS_PENDING:
            record.has_results = False
        elif line == L.RESULTS_AVAILABLE:
            record.has_results = True
        elif line not in L.RESULTS_SENTENCES.values():
            record.extras.append(Extra(section.heading, None, line))


def _phases(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def _basic(record: Record, section: Section) -> None:
    readers = {
        "phases": _phases,
        "enrollment": parse_enrollment,
        "start_date": check_date,
        "completion_date": check_date,
    }
    _labelled(record, section, L.BASIC_LABELS, readers)


def _brief_summary(record: Record, section: Section) -> None:
    record.brief_summary = _free_text(section)


def _detailed_description(record: Record, section: Section) -> None:
    record.detailed_description = _free_text(section)


def _conditions(record: Record, section: Section) -> None:
    record.conditions = _stripped(section)


def _design(record: Record, section: Section) -> None:
    _labelled(record, section, L.DESIGN_LABELS, {})


def _one_line_value(line: str, label: str) -> str | None:
    """`Group Type EXPERIMENTAL` -> 'EXPERIMENTAL'; `Group Type` -> None."""
    return line[len(label) :].strip() or None


def _is_label_line(line: str, label: str) -> bool:
    return line == label or line.startswith(label + " ")


def _interventions(record: Record, section: Section) -> None:
    """Blocks of: name, description paragraphs (optional), `Intervention Type X`."""
    block: list[tuple[int, str]] = []
    for lineno, line in _nonblank(section):
        if not _is_label_line(line, L.INTERVENTION_TYPE):
            block.append((lineno, line))
            continue
        if not block:
            raise RecordError(section.heading, "name", "'Intervention Type' line without an intervention name", lineno)
        description = _text_between(section, block[1][0], block[-1][0]) if len(block) > 1 else None
        record.interventions.append(Intervention(block[0][1], _one_line_value(line, L.INTERVENTION_TYPE), description))
        block = []
    for _, line in block:
        record.extras.append(Extra(section.heading, None, line))


def _study_groups(record: Record, section: Section) -> None:
    """Arms, each followed by the interventions it receives (name, type, description).

    Where the last intervention of one arm ends and the next arm's label begins is decided with
    the Interventions section: an intervention's description there is the same text.
    """
    lines = _nonblank(section)
    known = _intervention_descriptions(record)
    i = 0
    while i < len(lines):
        start = i
        while i < len(lines) and not _is_label_line(lines[i][1], L.GROUP_TYPE):
            i += 1
        if i >= len(lines):
            for _, line in lines[start:]:
                record.extras.append(Extra(section.heading, None, line))
            return
        label = lines[start][1]
        if i == start:
            raise RecordError(section.heading, "Group Type", "'Group Type' line without a group label", lines[i][0])
        description = _text_between(section, lines[start + 1][0], lines[i - 1][0]) if i - start > 1 else None
        arm = Arm(label, _one_line_value(lines[i][1], L.GROUP_TYPE), description)
        record.arms.append(arm)
        i += 1
        # The arm's interventions: name, `Intervention Type X`, then its description.
        while i + 1 < len(lines) and _is_label_line(lines[i + 1][1], L.INTERVENTION_TYPE):
            name = lines[i][1]
            arm.intervention_names.append(name)
            i += 2
            i = _skip_description(lines, i, known.get(name))


def _intervention_descriptions(record: Record) -> dict[str, list[str]]:
    """Intervention name -> its description's non-blank lines, from the Interventions section."""
    return {
        i.name: [s for line in i.description.split("\n") if (s := line.strip())] if i.description else []
        for i in record.interventions
    }


def _skip_description(lines: list[tuple[int, str]], i: int, expected: list[str] | None) -> int:
    if expected is not None:
        n = len(expected)
        if [line for _, line in lines[i : i + n]] == expected:
            return i + n
    # Unknown description: it runs up to the next intervention (a line followed by
    # `Intervention Type`) or the next arm (a label followed by its description and `Group Type`).
    j = i
    while j < len(lines):
        if j + 1 < len(lines) and _is_label_line(lines[j + 1][1], L.INTERVENTION_TYPE):
            return j
        if _is_label_line(lines[j][1], L.GROUP_TYPE):
            return max(i, j - 2) if j - 2 >= i else i
        j += 1
    return j


def _eligibility(record: Record, section: Section) -> None:
    lines = section.lines
    end = len(lines)
    for k, line in enumerate(lines):
        if line.strip() in L.ELIGIBILITY_LABELS:
            end = k
            break
    record.criteria = parse_criteria(lines[:end])
    rest = Section(section.heading, True, section.first_line + end, lines[end:])
    readers = {"minimum_age": check_age, "maximum_age": check_age, "healthy_volunteers": parse_yes_no}
    _labelled(record, rest, L.ELIGIBILITY_LABELS, readers)


def _blocks_ending_with(section: Section, label: str) -> tuple[list[tuple[list[str], str]], list[str]]:
    """Group non-blank lines into blocks closed by a `label ...` line -> ([(lines, closing line)], leftover)."""
    blocks: list[tuple[list[str], str]] = []
    block: list[str] = []
    for line in _stripped(section):
        if _is_label_line(line, label):
            blocks.append((block, line))
            block = []
        else:
            block.append(line)
    return blocks, block


def _keep_leftover(record: Record, section: Section, leftover: list[str]) -> None:
    if leftover:
        record.extras.append(Extra(section.heading, None, "\n".join(leftover)))


def _sponsors(record: Record, section: Section) -> None:
    blocks, leftover = _blocks_ending_with(section, L.SPONSOR_ROLE)
    for block, closing in blocks:
        if not block:
            raise RecordError(section.heading, "name", f"'{closing}' without a sponsor name")
        agency_class = block[1] if len(block) > 1 else None
        record.sponsors.append(Sponsor(block[0], agency_class, _one_line_value(closing, L.SPONSOR_ROLE)))
        for extra in block[2:]:
            record.extras.append(Extra(section.heading, block[0], extra))
    _keep_leftover(record, section, leftover)


def _responsible_party(record: Record, section: Section) -> None:
    for line in _stripped(section):
        if _is_label_line(line, L.RESPONSIBILITY_ROLE):
            record.responsible_party_type = _one_line_value(line, L.RESPONSIBILITY_ROLE)
        else:
            record.extras.append(Extra(section.heading, None, line))


def _locations(record: Record, section: Section) -> None:
    blocks, leftover = _blocks_ending_with(section, L.SITE_STATUS)
    for block, closing in blocks:
        facility = block[0] if len(block) >= 2 else None
        location = block[-1] if block else ""
        # A lone line is a facility unless it reads as a location ending in a known country.
        if len(block) == 1 and not any(location.endswith(c) for c in record.countries or [""] if c):
            facility, location = location, ""
        city, state, country = split_location(location, record.countries) if location else (None, None, None)
        if len(block) > 2:
            facility = ", ".join(block[:-1])  # a facility name broken over lines
        record.sites.append(Site(facility, city, state, country, _one_line_value(closing, L.SITE_STATUS)))
    _keep_leftover(record, section, leftover)


def _countries(record: Record, section: Section) -> None:
    record.countries = _stripped(section)


def _identifiers(record: Record, section: Section) -> None:
    blocks, leftover = _blocks_ending_with(section, L.IDENTIFIER_SOURCE)
    for block, closing in blocks:
        type_lines = [line for line in block if line.startswith(L.IDENTIFIER_TYPE)]
        values = [line for line in block if not line.startswith(L.IDENTIFIER_TYPE)]
        if not values:
            raise RecordError(section.heading, "identifier", f"'{closing}' without an identifier")
        id_type = _dash_none(type_lines[0][len(L.IDENTIFIER_TYPE) :]) if type_lines else None
        source = _dash_none(closing[len(L.IDENTIFIER_SOURCE) :])
        record.identifiers.append(Identifier("\n".join(values), id_type, source))
    _keep_leftover(record, section, leftover)


def _dash_none(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "-") else value


def _more_related(record: Record, section: Section) -> None:
    _keep_leftover(record, section, _stripped(section))


def _keep_unknown(record: Record, section: Section) -> None:
    text = _free_text(section)
    record.extras.append(Extra(section.heading, None, text or ""))


_SECTION_PARSERS: dict[str, Callable[[Record, Section], None]] = {
    "Study Results": _study_results,
    "Basic Information": _basic,
    "Brief Summary": _brief_summary,
    "Detailed Description": _detailed_description,
    "Conditions": _conditions,
    "Study Design": _design,
    "Study Groups": _study_groups,
    "Interventions": _interventions,
    "Eligibility Criteria": _eligibility,
    "Sponsors": _sponsors,
    "Responsible Party": _responsible_party,
    "Locations": _locations,
    "Countries": _countries,
    "Other Identifiers": _identifiers,
    "More Related Trials": _more_related,
}
