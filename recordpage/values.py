"""Single-value readers: dates, ages, enrollment, locations. Each raises `ValueError` with a
message a person can act on; the caller adds the section and field."""

from __future__ import annotations

import datetime as dt
import re

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_AGE = re.compile(r"^(\d+(?:\.\d+)?) (Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$")
_ENROLLMENT = re.compile(r"^(\d+)(?: participants?)?$")
# Country names that themselves contain ", " in the registry's spelling.
COMMA_COUNTRY_TAILS = (
    "Republic of",
    "Islamic Republic of",
    "Democratic Republic of the",
    "Democratic People's Republic of",
    "The Democratic Republic of the",
    "Province of China",
    "United Republic of",
    "Plurinational State of",
    "Bolivarian Republic of",
    "Federated States of",
    "The Former Yugoslav Republic of",
    "U.S.",
    "British",
)


def check_date(value: str) -> str:
    """Return the date string unchanged if it is a real calendar date at some precision."""
    m = _DATE.match(value)
    if not m:
        raise ValueError(f"'{value}' is not a date (expected YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a real calendar date ({exc})") from None
    return value


def parse_enrollment(value: str) -> int:
    m = _ENROLLMENT.match(value)
    if not m:
        raise ValueError(f"'{value}' is not a participant count (expected e.g. '31 participants')")
    return int(m[1])


def check_age(value: str) -> str:
    if not _AGE.match(value):
        raise ValueError(f"'{value}' is not an age (expected e.g. '18 Years' or '6 Months')")
    return value


def parse_yes_no(value: str) -> bool:
    if value == "Yes":
        return True
    if value == "No":
        return False
    raise ValueError(f"'{value}' is neither 'Yes' nor 'No'")


def split_location(line: str, countries: list[str]) -> tuple[str | None, str | None, str | None]:
    """`City, State, Country` -> (city, state, country); an empty part is None.

    Countries may contain commas (`Korea, Republic of`): the record's own Countries list and a
    list of known comma-bearing names decide where the country starts. Cities may contain commas
    too (`Bogota, D.C.`, `Seoul,`): when the state slot is empty (`, , ` right before the
    country), everything before it is the city. Otherwise extra middle parts stay in the state
    (`Seoul, Bundang-gu, Seongnam-si, Korea, Republic of`).
    """
    country = _country(line, countries)
    empty_state = ", , " + country
    if country and not country.endswith(",") and line.endswith(empty_state) and line != empty_state:
        # The page writes `{city}, {state}, {country}`, so the slot after the city is the last
        # `, , `; a comma typed loosely inside the city (`Ancona , AN`) is still tidied.
        city = _LOOSE_COMMA.sub(", ", line[: -len(empty_state)])
        return _none_if_blank(city), None, _none_if_blank(country)
    if ",," in line or " ," in line or line.endswith(","):
        # Commas typed loosely (`Ancona,, Italy`, `Ancona, , Italy,`): one ", " between parts,
        # none at the end, or the comma lands in the city or the country.
        line = _LOOSE_COMMA.sub(", ", line).rstrip(" ,")
    parts = line.split(", ")
    country_parts = _country(line, countries).count(", ") + 1
    if len(parts) <= country_parts:
        return None, None, _none_if_blank(", ".join(parts))
    country = ", ".join(parts[-country_parts:])
    rest = parts[:-country_parts]
    city = rest[0]
    state = ", ".join(p for p in rest[1:] if p.strip()) if len(rest) > 1 else None  # `AN, , Italy`: AN
    return _none_if_blank(city), _none_if_blank(state), _none_if_blank(country)


def _country(line: str, countries: list[str]) -> str:
    """The country a location line ends with: one of the record's comma-bearing countries, a
    known comma-bearing name (`Korea, Republic of`), else the text after the last `, `."""
    for country in countries:
        if ", " in country and line.endswith(", " + country):
            return country
    parts = line.split(", ")
    if len(parts) >= 3 and parts[-1] in COMMA_COUNTRY_TAILS:
        return ", ".join(parts[-2:])
    return parts[-1]


_LOOSE_COMMA = re.compile(r" *, *")


def _none_if_blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
