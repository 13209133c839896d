"""`Record` -> record page text: the inverse of `parse_page`, in the style of the real pages.

A page is a sequence of blocks separated by one blank line: the title, the header labels, each
section heading, its fixed description line, and each label or value. Two places deviate:
the eligibility criteria keep their own line breaks (blank lines only where the source's
markdown would have them), and the line after the last criterion follows it directly.
The page has no trailing newline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from recordpage import layout as L
from recordpage.model import Arm, Criterion, Extra, Intervention, Record

# Description line for a section the layout does not know (kept from an `Extra`); shaped like
# the layout's own descriptions so the parser recognises the heading above it.
EXTRA_DESCRIPTION = "Additional information from the source record that has no standard section on this page."
HEADER_SECTION = "header"  # `Extra.section` of stray lines between the title and the first section
LAST_SECTION = "More Related Trials"

# Markdown list markers: consecutive items of one family form a list without blank lines.
_LIST_MARKER = re.compile(r"^(?:[*+-]|\d+[.)])$")


def render_page(record: Record) -> str:
    """The page text for `record`, byte-identical to the real pages for what they show."""
    extras = _extras_by_section(record.extras)
    blocks: list[str] = [record.title]
    if record.nct_id:
        blocks.append(f"NCT ID: {record.nct_id}")
    if record.last_updated:
        blocks.append(f"Last Updated: {record.last_updated}")
    blocks += [extra.content for extra in extras.pop(HEADER_SECTION, [])]
    for heading, body in _sections(record):
        kept = extras.pop(heading, [])
        if body or kept:
            blocks += _section(heading, body, kept)
    closing = extras.pop(LAST_SECTION, [])
    for heading, unknown in extras.items():
        # Sections the layout does not know go last, before the closing section.
        blocks += [heading, EXTRA_DESCRIPTION, *_extra_blocks(unknown)]
    blocks += _section(LAST_SECTION, [], closing)
    return "\n\n".join(blocks)


def _section(heading: str, body: list[str], extras: list[Extra]) -> list[str]:
    description = L.SECTION_DESCRIPTIONS[heading]
    head = [heading, description] if description else [heading]
    return head + body + _extra_blocks(extras)


def _extras_by_section(extras: Iterable[Extra]) -> dict[str, list[Extra]]:
    grouped: dict[str, list[Extra]] = {}
    for extra in extras:
        grouped.setdefault(extra.section, []).append(extra)
    return grouped


def _extra_blocks(extras: list[Extra]) -> list[str]:
    blocks: list[str] = []
    for extra in extras:
        if extra.label is not None:
            blocks.append(extra.label)
        if extra.content:
            blocks.append(extra.content)
    return blocks


def _sections(record: Record) -> list[tuple[str, list[str]]]:
    """(heading, blocks) for each known section in page order; empty blocks when the record lacks it."""
    return [
        ("Study Results", _results(record)),
        ("Basic Information", _basic(record)),
        ("Brief Summary", _text(record.brief_summary)),
        ("Detailed Description", _text(record.detailed_description)),
        ("Conditions", list(record.conditions)),
        ("Study Design", _labelled(record, L.DESIGN_LABELS)),
        ("Study Groups", _study_groups(record)),
        ("Interventions", [block for item in record.interventions for block in _intervention(item)]),
        ("Eligibility Criteria", _eligibility(record)),
        ("Sponsors", _sponsors(record)),
        ("Responsible Party", _one_line(L.RESPONSIBILITY_ROLE, record.responsible_party_type, omit_empty=True)),
        ("Locations", _locations(record)),
        ("Countries", list(record.countries)),
        ("Other Identifiers", _identifiers(record)),
    ]


def _one_line(label: str, value: str | None, omit_empty: bool = False) -> list[str]:
    """`Group Type EXPERIMENTAL`; the bare label when the value is missing (as the pages do)."""
    if value is None:
        return [] if omit_empty else [label]
    return [f"{label} {value}"]


def _text(value: str | None) -> list[str]:
    return [value] if value else []


def _results(record: Record) -> list[str]:
    if record.has_results is None:
        return []
    status = L.RESULTS_AVAILABLE if record.has_results else L.RESULTS_PENDING
    return [status, L.RESULTS_SENTENCES[status]]


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _labelled(record: Record, labels: dict[str, str]) -> list[str]:
    blocks: list[str] = []
    for label, attr in labels.items():
        value = getattr(record, attr)
        if value is None or value == []:
            continue
        if attr == "enrollment":
            blocks += [label, f"{value} participants"]
        else:
            blocks += [label, _format_value(value)]
    return blocks


def _basic(record: Record) -> list[str]:
    return _labelled(record, L.BASIC_LABELS)


def _study_groups(record: Record) -> list[str]:
    # Groups name their interventions; when two interventions share a name the real pages show
    # the last one under every group that names it, so the last one wins here too.
    by_name = {item.name: item for item in record.interventions}
    return [block for arm in record.arms for block in _arm(arm, by_name)]


def _arm(arm: Arm, by_name: dict[str, Intervention]) -> list[str]:
    blocks = [arm.label, *_text(arm.description), *_one_line(L.GROUP_TYPE, arm.arm_type)]
    for name in arm.intervention_names:
        item = by_name.get(name)
        if item is None:
            # A group naming an intervention the record does not list: the name alone.
            blocks.append(name)
            continue
        blocks += [item.name, *_one_line(L.INTERVENTION_TYPE, item.intervention_type), *_text(item.description)]
    return blocks


def _intervention(item: Intervention) -> list[str]:
    return [item.name, *_text(item.description), *_one_line(L.INTERVENTION_TYPE, item.intervention_type)]


def _eligibility(record: Record) -> list[str]:
    labels = _labelled(record, L.ELIGIBILITY_LABELS)
    if not record.criteria:
        return labels
    criteria = render_criteria(record.criteria)
    if not labels:
        return [criteria]
    # The pages put the first label right under the last criterion, without a blank line.
    return [f"{criteria}\n{labels[0]}", *labels[1:]]


def _sponsors(record: Record) -> list[str]:
    blocks: list[str] = []
    for sponsor in record.sponsors:
        blocks += [sponsor.name, *_text(sponsor.agency_class), *_one_line(L.SPONSOR_ROLE, sponsor.role)]
    return blocks


def _location_line(city: str | None, state: str | None, country: str | None) -> str:
    # Empty parts stay as empty slots (`Ancona, , Italy`) so the country is always last.
    return ", ".join(part or "" for part in (city, state, country))


def _locations(record: Record) -> list[str]:
    blocks: list[str] = []
    for site in record.sites:
        blocks += _text(site.facility)
        if site.city or site.state or site.country:
            blocks.append(_location_line(site.city, site.state, site.country))
        blocks += _one_line(L.SITE_STATUS, site.status)
    return blocks


def _identifiers(record: Record) -> list[str]:
    blocks: list[str] = []
    for ident in record.identifiers:
        blocks += [
            ident.identifier,
            f"{L.IDENTIFIER_TYPE} {ident.identifier_type or '-'}",
            f"{L.IDENTIFIER_SOURCE} {ident.identifier_source or '-'}",
        ]
    return blocks


def render_criteria(criteria: list[Criterion]) -> str:
    """The criteria block: headings where the kind changes, blank lines as the source's markdown has them."""
    lines: list[str] = []
    kind = "unspecified"
    previous: Criterion | None = None
    for item in criteria:
        if item.kind != kind:
            kind = item.kind
            if kind != "unspecified":
                if lines:
                    lines.append("")
                lines += [_heading(kind), ""]
                previous = None
        if previous is not None and _blank_between(previous, item):
            lines.append("")
        lines.append(f"{item.marker} {item.text}" if item.marker else item.text)
        previous = item
    return "\n".join(lines)


def _heading(kind: str) -> str:
    return L.INCLUSION_HEADING if kind == "inclusion" else L.EXCLUSION_HEADING


def _family(marker: str | None) -> str | None:
    """The markdown list an item belongs to (`1.` and `2.` alike), None for a paragraph line."""
    if marker is None or not _LIST_MARKER.match(marker):
        return None
    return re.sub(r"\d+", "N", marker)


def _blank_between(previous: Criterion, item: Criterion) -> bool:
    """Whether the source's markdown put a blank line between two criteria lines.

    A nested list opens after a blank line; closing one does not need one. Lines that are not
    markdown list items (free sentences, `a.` or `•` items) are paragraphs, set apart by blank
    lines, and so is the switch from one list family to another.
    """
    family = _family(item.marker)
    if item.depth > previous.depth:
        return True
    if item.depth < previous.depth:
        return family is None
    return family is None or family != _family(previous.marker)
