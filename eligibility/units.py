"""Unit spellings -> the scored unit names, and each concept's conversion to one canonical unit.

The scored columns keep the unit as written (criteria-facts.md, rule 1). The canonical columns put
every value of a concept on one scale so that a patient's value can be compared with any trial's
threshold; `xULN` stays apart (it is relative to each laboratory's normal range).
"""

from __future__ import annotations

import re
from functools import cache

# Longest spellings first: the first alternative that matches at the position wins.
_SPELLINGS: list[tuple[str, str]] = [
    (
        "xULN",
        r"(?:[x\u00d7*?]|times)?\s*(?:the\s+)?(?:institutional\s+|local\s+|laboratory\s+)?"
        r"(?:upper\s+limits?\s+of\s+(?:the\s+)?(?:institutional\s+|local\s+|laboratory\s+)?normal(?:\s+range)?(?:\s+value)?"
        r"(?:\s*\((?:ULN|IULN)\))?|upper\s+(?:normal\s+limit|limit\s+normal)|I?ULN\b)"
        r"|(?:[x\u00d7*]|times)\s*(?:above\s+)?(?:the\s+)?(?:institutional\s+)?normal(?:\s+range)?\b",
    ),
    (
        "x10^9/L",
        r"(?:(?:[x\u00d7*]|times)\s*)?10\s*(?:\^|\*\*)?\s*\(?9\)?\s*(?:cells\s*)?/\s*L\b|(?-i:G/L)|(?:[x\u00d7*]\s*)?10\s*(?:\^|\*\*)?\s*\(?3\)?"
        r"\s*/\s*(?:u|µ|μ|mc)L\b|(?:[x\u00d7*]\s*)?10\s*(?:\^|\*\*)?\s*\(?3\)?\s*/\s*mm\s*\^?\s*3|K\s*/\s*(?:u|µ|μ|mc)L\b",
    ),
    ("mL/min/1.73m2", r"m[lL]\s*/\s*min(?:ute)?\s*(?:/|per)\s*1\.73\s*m\s*\^?\s*2"),
    ("mL/min", r"m[lL]\s*/\s*min(?:ute)?\b|milliliters?\s*(?:/|per)\s*minute"),
    (
        "/uL",
        r"(?:cells?\s*)?(?:/|per)\s*(?:(?:cu\.?\s*)?mm\s*(?:\^?\s*3|\(3\))|cu\.?\s*mm\b|mm³|cumm|(?:u|µ|μ|mc)L\b|micro\s*lit(?:er|re)s?"
        r"|millimeter\s*\(mm\s*\^?\s*3\))",
    ),
    ("mg/dL", r"mg\s*/\s*dl\b|milligrams?\s+per\s+deciliters?"),
    ("g/dL", r"g(?:m|rams?)?\s*/\s*dl\b|grams?\s*/\s*dl\b|grams?\s+per\s+deciliters?(?:\s*\(g/dL\))?"),
    ("umol/L", r"(?:u|µ|μ|micro)\s*mol(?:e)?\s*/\s*L\b|micromoles?\s+per\s+lit(?:er|re)"),
    ("mmol/mol", r"mmol\s*/\s*mol\b"),
    ("mmol/L", r"mmol\s*/\s*L\b"),
    ("kg/m2", r"kg\s*/\s*m\s*\^?\s*2"),
    ("g/L", r"(?-i:g)\s*/\s*L\b|grams?\s*/\s*L\b|grams?\s+per\s+lit(?:er|re)"),
    ("U/L", r"I?U\s*/\s*L\b|units?\s*/\s*L\b"),
    ("mmHg", r"mm\s*hg\b"),
    ("ms", r"ms(?:ec)?\b|milliseconds?\b"),
    ("%", r"%|percent\b"),
    ("kg", r"kgs?\b|kilograms?\b"),
    ("lb", r"lbs?\b|pounds?\b"),
    ("years", r"years?\b|yrs?\b|y\.?o\.?\b"),
    ("months", r"months?\b|mos?\b"),
    ("weeks", r"weeks?\b|wks?\b"),
    ("days", r"days?\b"),
    ("seconds", r"seconds?\b|secs?\b"),
]

UNIT = re.compile(
    r"\s*(?:" + "|".join(f"(?P<u{i}>{pattern})" for i, (_, pattern) in enumerate(_SPELLINGS)) + ")",
    re.IGNORECASE,
)
_GROUP_UNIT = {f"u{i}": unit for i, (unit, _) in enumerate(_SPELLINGS)}
SCORED_UNITS: tuple[str, ...] = tuple(dict.fromkeys(unit for unit, _ in _SPELLINGS))


def read_unit(text: str, pos: int) -> tuple[str | None, int]:
    """The unit written at `pos` (spaces allowed before it) and where it ends; (None, pos) if none."""
    m = UNIT.match(text, pos)
    if not m or m.lastgroup is None:
        return None, pos
    return _GROUP_UNIT[m.lastgroup], m.end()


# Canonical unit per concept. Counts in x10^9/L except CD4 (always quoted per uL); creatinine and
# bilirubin in mg/dL; haemoglobin and albumin in g/dL; ages and life expectancy in years.
CANONICAL: dict[str, str | None] = {
    "age": "years", "life_expectancy": "years", "ecog": None, "karnofsky": None, "lansky": None,
    "bmi": "kg/m2", "body_weight": "kg", "hemoglobin": "g/dL", "anc": "x10^9/L", "platelets": "x10^9/L",
    "wbc": "x10^9/L", "lymphocytes": "x10^9/L", "cd4": "/uL", "creatinine": "mg/dL",
    "creatinine_clearance": "mL/min", "egfr": "mL/min/1.73m2", "bilirubin": "mg/dL", "ast": "U/L", "alt": "U/L",
    "alkaline_phosphatase": "U/L", "albumin": "g/dL", "inr": None, "aptt": "seconds", "lvef": "%", "qtc": "ms",
    "hba1c": "%", "systolic_bp": "mmHg", "diastolic_bp": "mmHg",
}  # fmt: skip

# How the scored spellings read for pint (10^9/L is one per nanolitre); molar masses turn substance concentrations into mass ones.
_PINT_NAME = {
    "years": "year", "months": "month", "weeks": "week", "days": "day", "kg": "kg", "lb": "lb",
    "g/dL": "g/dL", "g/L": "g/L", "mg/dL": "mg/dL", "umol/L": "umol/L", "mmol/L": "mmol/L",
    "x10^9/L": "1/nL", "/uL": "1/uL", "U/L": "U/L", "seconds": "s", "ms": "ms", "mmHg": "mmHg",
}  # fmt: skip
_MOLAR_MASS_G_PER_MOL = {"creatinine": 113.12, "bilirubin": 584.66, "hemoglobin": 16_114.5}
# Body-surface-normalised clearance is read as the same number (the usual clinical equivalence).
_SAME_SCALE = {("mL/min", "mL/min/1.73m2"), ("mL/min/1.73m2", "mL/min")}


@cache
def conversion(concept: str, unit: str | None) -> tuple[str | None, float | None, float]:
    """-> (canonical unit, factor, offset): canonical = value * factor + offset; (None, None, 0) = none known.

    Computed with pint on first use of each (concept, unit) pair and cached, so no value pays
    for pint's parsing.
    """
    target = CANONICAL.get(concept)
    if unit is None:
        # Unitless scales are canonical as written, and so are ages and BMIs (always years and
        # kg/m2 when no unit is written); a lab number without a unit is not guessed.
        if target is None or concept in ("age", "bmi"):
            return target, 1.0, 0.0
        return None, None, 0.0
    if unit == "xULN":
        return "xULN", 1.0, 0.0
    if unit == target or (unit, target) in _SAME_SCALE:
        return target, 1.0, 0.0
    if concept == "hba1c" and unit == "mmol/mol":
        return "%", 1 / 10.929, 2.15  # IFCC -> NGSP master equation (affine, not a unit factor)
    if target is None or unit not in _PINT_NAME or target not in _PINT_NAME:
        return None, None, 0.0
    factor = _pint_factor(concept, unit, target)
    return (target if factor is not None else None), factor, 0.0


def _pint_factor(concept: str, unit: str, target: str) -> float | None:
    import pint  # imported on first conversion: it takes a while to build its registry

    ureg = _registry()
    source = ureg.Quantity(1.0, _PINT_NAME[unit])
    try:
        if "mol" in unit and concept in _MOLAR_MASS_G_PER_MOL:
            source = source * ureg.Quantity(_MOLAR_MASS_G_PER_MOL[concept], "g/mol")
        return float(source.to(_PINT_NAME[target]).magnitude)
    except pint.DimensionalityError:
        return None


@cache
def _registry():
    import pint

    return pint.UnitRegistry()
