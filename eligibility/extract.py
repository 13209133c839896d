"""Entry points: the facts of one criterion line, and the `criteria_facts` rows of a criteria frame.

A line is read as a sequence of concept mentions and threshold expressions (grammar.py). A
threshold belongs to the mentions written just before it ("AST and ALT ≤ 2.5 x ULN" gives both),
and the same mentions take the alternatives that follow ("..., or ≤ 5 x ULN with liver metastases").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import pairwise

from eligibility.concepts import ALLOWED_UNITS, EXPANDS, GROUP_CONCEPT, SCALE_RANGE, SCALES
from eligibility.concepts import mentions as find_mentions
from eligibility.grammar import ANCHOR, Bound, Value, normalize, read_value
from eligibility.units import conversion


@dataclass(frozen=True, slots=True)
class Fact:
    """One threshold, as criteria-facts.md defines the scored columns."""

    concept: str
    low: float | None
    low_inclusive: bool | None
    high: float | None
    high_inclusive: bool | None
    unit: str | None
    condition: str | None
    source_text: str
    # Beyond the scored columns: facts of one line sharing `or_group` are alternatives ("creatinine
    # <= 1.5 x ULN or creatinine clearance >= 60"); `start`/`end` is the threshold's place in the
    # normalised line.
    or_group: int = 1
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    concept: str | None


# Between two mentions that share one threshold: only joining words ("AST and ALT", "AST/ALT").
_JOIN = re.compile(r"^[\s,/&()\[\]]*(?:(?:and|or|and/or|serum|total|the|plus)[\s,/&()\[\]]*)*$", re.IGNORECASE)
# A qualifier in brackets between two joined mentions: "ALP (in the absence of bone disease), ALT".
_PARENTHESES = re.compile(r"\([^()]*\)")
# A sentence or clause end: what comes after is read apart.
_BREAK = re.compile(r";|\.\s+(?=[A-Z(\d])|\.$|:\s*\d+\.\s")
# Between a mention and a bare number ("ECOG 0-1", "Zubrod 0-2"): a few plain words at most.
_FILLER = re.compile(
    r"^(?![\s\S]*\b(?:within|prior|after|before|since|last|past|previous|during|is|for)\b)[\w\s:,()\-]{0,30}$",
    re.IGNORECASE,
)
# An age that only selects which other threshold applies, or an age of someone else: no fact.
_AGE_QUALIFIER = re.compile(
    r"\b(?:for|if|when|in)\s+(?:patients|participants|subjects|children|those|people)?\s*(?:aged\s*)?$", re.IGNORECASE
)
_AGE_OTHERS = re.compile(r"relatives?|family|death|died|sibling|mother|father", re.IGNORECASE)
# A mention that states a condition or a reference value, not a threshold ("for patients with serum
# creatinine above ULN", "the ULN for SGPT is 45 U/L").
_NOT_THRESHOLD = re.compile(
    r"(?:\b(?:for|in)\s+(?:patients|participants|subjects|those)\s+with\s+(?:serum\s+)?|(?:ULN|normal)\s+(?:for|of)\s+"
    r"|\bfor\s+|(?:^|[.;]\s*)if\s+(?:the\s+)?(?:serum\s+)?)$",
    re.IGNORECASE,
)
_CONDITION_AFTER = re.compile(
    r"\s*[(,]?\s*((?:if|in|for|with|when|among)\s[^;,.()]{2,80}|\(?(?:males?|females?|men|women)\)?)",
    re.IGNORECASE,
)
_CONDITION_BEFORE = re.compile(r"([^;:,.()]{3,80}):\s*$")


def extract_facts(text: str, context: str | None = None) -> list[Fact]:
    """The facts of one criterion line (its item marker may be included).

    `context` is the concept a heading line above set ("Age:" over "* 18 and over"), used only
    for thresholds that follow no concept mention.
    """
    s = normalize(text)
    mentions = [_Mention(m.start(), m.end(), GROUP_CONCEPT[m.lastgroup or ""]) for m in find_mentions(s)]
    masked = _mask(s, mentions)
    values = _values(masked)
    if not values:
        return []
    facts: list[Fact] = []
    tokens: list[_Mention | Value] = sorted([*mentions, *values], key=lambda t: t.start)
    group: list[str | None] = [context] if context and (not mentions or mentions[0].start > values[0].start) else []
    group_end = 0
    group_unit: str | None = None
    last_end = 0
    assigned: Value | None = None
    pending: Value | None = None  # a threshold before any mention: "3 months or longer expected survival"
    before: str | re.Match[str] | None  # the text before an age mention; the condition before a threshold
    for i, tok in enumerate(tokens):
        open_group = group if assigned is None else []
        if isinstance(tok, Value) and _postfix_mention(s, tok, tokens[i + 1 : i + 2], open_group):
            pending = tok  # read with the mention after it
            continue
        if isinstance(tok, _Mention):
            if (assigned is not None and tok.start < assigned.end) or last_end > tok.start:
                continue  # inside a threshold already read ("16 years of age")
            if pending is not None and tok.concept in _POSTFIX_CONCEPTS and not s[pending.end : tok.start].strip():
                _emit(facts, [tok.concept], pending, s, None)
                group, assigned, group_end, pending = [tok.concept], pending, tok.end, None
                continue
            pending = None
            if group and assigned is None and _JOIN.match(_PARENTHESES.sub("", s[group_end : tok.start])):
                group.append(tok.concept)
            else:
                group, assigned = [tok.concept], None
                if _NOT_THRESHOLD.search(s, max(0, tok.start - 45), tok.start):
                    group = [None]
            if tok.concept == "age" and "year" in s[tok.start : tok.end].lower():
                group_unit = "years"  # "age (years) < 11"
            group_end = tok.end
            continue
        last_end = tok.end
        if tok.age_marked and "age" not in group:
            before, after = s[max(0, tok.start - 40) : tok.start], s[tok.end : tok.end + 40]
            if not (_AGE_QUALIFIER.search(before) or _AGE_OTHERS.search(before) or _AGE_OTHERS.search(after)):
                _emit(facts, ["age"], tok, s, None)
            continue
        if not group:
            pending = tok
            continue
        if assigned is None:
            gap = s[group_end : tok.start]
            if len(gap) > 60 or _BREAK.search(gap) or (tok.form == "exact" and not _FILLER.match(gap)):
                group = []
                continue
            _emit(facts, group, tok, s, None, default_unit=group_unit if "age" in group else None)
            assigned = tok
        else:
            gap = s[assigned.end : tok.start]
            if not _continues(gap, assigned, tok):
                group = []
                continue
            if _restates(group, assigned, tok):
                continue  # "≥750/mm^3 (≥0.75 x 10^9/L)": one threshold, kept in its first unit
            before = _CONDITION_BEFORE.search(gap)
            _emit(facts, group, tok, s, before.group(1).strip() if before else None, inherit=assigned)
            assigned = tok
    return _or_groups(s, _dedupe(facts))


# Concepts also written after their threshold: "3 months or longer expected survival", "<50 mmHg diastolic".
_POSTFIX_CONCEPTS = frozenset({"life_expectancy", "systolic_bp", "diastolic_bp"})


def _postfix_mention(s: str, v: Value, following: list[_Mention | Value], open_group: list[str | None]) -> bool:
    """Whether `v` belongs to the mention right after it rather than to the group still waiting for one."""
    nxt = following[0] if following else None
    if not (isinstance(nxt, _Mention) and nxt.concept in _POSTFIX_CONCEPTS and not s[v.end : nxt.start].strip()):
        return False
    unit = v.bounds[0].unit if v.bounds else None
    return _accepts(nxt.concept, unit) and not any(
        c and c != "blood_pressure" and _accepts(c, unit) for c in open_group
    )


def _accepts(concept: str, unit: str | None) -> bool:
    if concept == "karnofsky" and unit == "%":
        unit = None
    return unit in ALLOWED_UNITS.get(concept, ())


def _mask(s: str, mentions: list[_Mention]) -> str:
    """The text with every mention blanked, so that "CD4" or "QTcF" yields no number."""
    if not mentions:
        return s
    parts, pos = [], 0
    for m in mentions:
        if m.concept == "age":  # "years of age" must stay readable for the age tail
            continue
        parts.append(s[pos : m.start])
        parts.append(" " * (m.end - m.start))
        pos = m.end
    parts.append(s[pos:])
    return "".join(parts)


def _values(masked: str) -> list[Value]:
    out: list[Value] = []
    pos = 0
    while m := ANCHOR.search(masked, pos):
        v = read_value(masked, m.start())
        if v is None:
            pos = m.end()
            continue
        out.append(v)
        pos = max(v.end, m.end())
    return out


# "... and amenorrhoeic for at least 12 months": a duration, not another threshold of the concept.
_DURATION = re.compile(r"\b(?:for|within|since|after|during)\s*$", re.IGNORECASE)


def _continues(gap: str, last: Value, v: Value) -> bool:
    """Whether `v` is an alternative threshold for the concepts `last` was read for."""
    if len(gap) > 60 or _DURATION.search(gap):
        return False
    unitless_ranges = v.form == last.form == "range" and not any(b.unit for b in (*v.bounds, *last.bounds))
    if re.search(r"\.\s+(?=[A-Z(\d])", gap) and not unitless_ranges:  # "Phase I: 0-1. Phase II: 0-2."
        return False
    same_unit = bool(v.bounds) and bool(last.bounds) and v.bounds[0].unit == last.bounds[0].unit
    if ";" in gap and not (same_unit and v.form == "cmp"):
        return False
    if v.form == "exact":  # "QTc > 450 ms (male) / 470 ms (female)": takes the comparator before it
        return same_unit and last.direction is not None and last.bounds[0].unit is not None
    return v.form in ("cmp", "range", "list") and (v.form != "list" or same_unit)


def _restates(group: list[str | None], last: Value, v: Value) -> bool:
    """Whether `v` is `last` again in another unit (equal within 10% once both are converted)."""
    if v.direction is None or v.direction != last.direction or len(v.bounds) != 1 or len(last.bounds) != 1:
        return False
    a, b = last.bounds[0], v.bounds[0]
    if a.unit is None or b.unit is None or a.unit == b.unit:
        return False
    x, y = (a.low, b.low) if a.low is not None else (a.high, b.high)
    for concept in group:
        if concept is None or x is None or y is None:
            continue
        unit_a, fa, oa = conversion(concept, a.unit)
        unit_b, fb, ob = conversion(concept, b.unit)
        if fa is not None and fb is not None and unit_a == unit_b:
            ca, cb = x * fa + oa, y * fb + ob
            return abs(ca - cb) <= 0.1 * max(abs(ca), abs(cb))
    return False


def _emit(
    facts: list[Fact],
    group: list[str | None],
    v: Value,
    s: str,
    condition: str | None,
    inherit: Value | None = None,
    default_unit: str | None = None,
) -> None:
    if condition is None:
        after = _CONDITION_AFTER.match(s, v.end)
        condition = after.group(1).strip(" ()") if after else None
    source = s[v.start : v.end].strip()
    concepts: list[str] = []
    for c in group:
        if c == "blood_pressure" and (v.form != "pair" or "systolic_bp" in group or "diastolic_bp" in group):
            continue  # "blood pressure > 140" names neither; "systolic blood pressure [BP]" is one
        for name in EXPANDS.get(c, (c,)) if c else ():
            if name not in concepts:
                concepts.append(name)
    if "age" in concepts and _AGE_OTHERS.search(s[max(0, v.start - 40) : v.end + 40]):
        concepts.remove("age")  # "sudden death under age of 40 in relatives"
    bounds = v.bounds
    if v.form == "exact" and inherit is not None and inherit.direction and bounds:
        b = bounds[0]
        bounds = [
            Bound(b.low, inherit.direction == "ge", None, None, b.unit)
            if inherit.direction[0] == "g"
            else Bound(None, None, b.high, inherit.direction == "le", b.unit)
        ]
    for concept in concepts:
        if v.form == "list" and concept not in SCALES:
            continue
        for b in _bounds_for(concept, v.form, bounds):
            unit = None if concept == "karnofsky" and b.unit == "%" else b.unit or default_unit
            if unit not in ALLOWED_UNITS[concept]:
                continue
            if concept in SCALE_RANGE:
                lo, hi = SCALE_RANGE[concept]
                if any(x is not None and not lo <= x <= hi for x in (b.low, b.high)):
                    continue
            facts.append(
                Fact(
                    concept,
                    b.low,
                    b.low_inclusive,
                    b.high,
                    b.high_inclusive,
                    unit,
                    condition,
                    source,
                    1,
                    v.start,
                    v.end,
                )
            )


def _bounds_for(concept: str, form: str, bounds: list[Bound]) -> list[Bound]:
    """A "140/90" pair gives systolic its first number and diastolic its second; other concepts none."""
    if form != "pair":
        return bounds
    if concept == "systolic_bp":
        return bounds[:1]
    if concept == "diastolic_bp":
        return bounds[1:]
    return []


def _dedupe(facts: list[Fact]) -> list[Fact]:
    """One fact per threshold: a restatement on the same line ("… to achieve Hgb ≥ 8.0 g/dl") is dropped."""
    seen: set[tuple] = set()
    out = []
    for f in facts:
        key = (f.concept, f.low, f.low_inclusive, f.high, f.high_inclusive, f.unit)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# "or" between two thresholds of different concepts makes them alternatives; "or more", "or
# older" are comparators.
_OR = re.compile(
    r"\b(?:and/)?or\b(?!\s+(?:more|greater|older|less|fewer|equal|higher|lower|younger|above|below|over|under"
    r"|longer|shorter)\b)",
    re.IGNORECASE,
)


def _or_groups(s: str, facts: list[Fact]) -> list[Fact]:
    """Numbers each concept's group of alternatives: concepts whose thresholds an "or" joins share one.

    A concept's facts all take its group (its own thresholds are alternatives already: "<= 2.5 x
    ULN, or <= 5 x ULN with liver metastases"); groups count from 1 in reading order.
    """
    if len(facts) < 2:
        return facts
    root: dict[str, str] = {}

    def find(c: str) -> str:
        while root.setdefault(c, c) != c:
            c = root[c]
        return c

    for prev, f in pairwise(facts):
        find(f.concept)
        gap = re.split(r";|\.\s", s[prev.end : f.start])[-1]  # an "or" before a clause break is the clause's own
        if prev.concept != f.concept and len(gap) <= 80 and _OR.search(gap):
            root[find(f.concept)] = find(prev.concept)
    numbers: dict[str, int] = {}
    for f in facts:
        numbers.setdefault(find(f.concept), len(numbers) + 1)
    return [replace(f, or_group=numbers[find(f.concept)]) for f in facts]
