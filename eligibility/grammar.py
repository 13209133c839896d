"""The threshold grammar: text normalisation, comparators, numbers, ranges, lists and their units.

Hand-written regular expressions, read left to right from a comparator or a number; which concept
a threshold belongs to is decided in `extract.py`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from eligibility.units import read_unit

# --- normalisation -----------------------------------------------------------------------------
_ESCAPE = re.compile(r"\\(?=[^\w\s])")  # markdown escapes in registry text: `\>=`, `10\^9`, `\[`
_SIGNS = [
    (re.compile(r"<\s*/?\s*=|=\s*/?\s*<|≦|⩽"), "≤"),
    (re.compile(r">\s*/?\s*=|=\s*/?\s*>|≧|⩾"), "≥"),
]
# Item markers at the start of a line ("* 1\. ", "a. ", "(ii) ", "3.2. ", "1)"): never a threshold.
_MARKER = re.compile(
    r"^\s*(?:[*\-•·▪◦●■+\u2013]\s+|\(?\d{1,3}(?:\.\d{1,2})*[.)](?=\s|[A-Za-z(])\s*"
    r"|\(?(?:[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+|\((?:[ivx]{1,4}|[a-z])\)\s*)"
)

# "under the age of 60" -> "age under 60": the comparator then sits after its concept as usual.
_AGE_FIRST = re.compile(
    r"\b(over|under|above|below|older\s+than|younger\s+than)\s+(?:the\s+)?age\s+(?:of\s+)?(?=\d)", re.IGNORECASE
)


def normalize(text: str) -> str:
    """NFKC (superscripts and full-width signs become plain), escapes dropped, `>=`/`=<` as one sign."""
    s = unicodedata.normalize("NFKC", text)
    if "&" in s:
        s = html.unescape(s)
    if "\\" in s:
        s = _ESCAPE.sub("", s)
    if "=" in s:
        for pattern, sign in _SIGNS:
            s = pattern.sub(sign, s)
    if "age" in s.lower():
        s = _AGE_FIRST.sub(r"age \1 ", s)
    for _ in range(3):
        m = _MARKER.match(s)
        if not m:
            break
        s = s[m.end() :]
    return s


# --- comparators -------------------------------------------------------------------------------
_CMP_WORDS: dict[str, str] = {
    "ge": r"≥|(?:greater|more|higher)\s+(?:than\s+)?or\s+equal(?:\s+(?:to|than))?"
          r"|equal\s+(?:to\s+)?or\s+(?:greater|more|higher|older)(?:\s+(?:than|to))?|at\s+least|no\s+(?:less|lower|fewer)\s+than"
          r"|not\s+(?:less|lower|fewer)\s+than|minimum(?:\s+of)?|min\.",
    "le": r"≤|(?:less|lower|smaller)\s+(?:than\s+)?or\s+equal(?:\s+(?:to|than))?"
          r"|equal\s+(?:to\s+)?or\s+(?:less|lower|younger|smaller)(?:\s+(?:than|to))?"
          r"|no\s+(?:greater|more|higher|older)\s+than|not\s+(?:greater|more|higher|older)\s+than"
          r"|not\s+(?:to\s+)?exceed(?:ing)?|at\s+most|up\s+to|maximum(?:\s+of)?|max\.",
    "gt": r">|greater\s+than|more\s+than|higher\s+than|older\s+than|over|above|exceeding|in\s+excess\s+of",
    "lt": r"<|less\s+than|lower\s+than|younger\s+than|under|below|fewer\s+than",
}  # fmt: skip
CMP = re.compile(
    r"(?:" + "|".join(f"(?P<{k}>{v})" for k, v in _CMP_WORDS.items()) + r")"
    r"(?:\s*\(\s*[<>≤≥=]{1,2}\s*\))?(?:\s*(?:of|:|=|to|the\s+value\s+of)(?!\w))?\s*",
    re.IGNORECASE,
)
# Postfix comparators: "6 or more weeks", "18 years or older", "18+".
_POSTFIX = re.compile(
    r"\s*(?:(?P<ge>\+|or\s+(?:more|greater|above|older|over|longer|higher)|and\s+(?:over|above|older|up)"
    r"|or\s+equal\s+to|and\s+more)|(?P<le>or\s+(?:less|fewer|below|younger|lower|under)|and\s+(?:under|below|younger)))"
    r"(?!\w)",
    re.IGNORECASE,
)
_AGE_TAIL = re.compile(r"(?:\s*of\s+age|\s*-?\s*old)(?!\w)", re.IGNORECASE)
_INCLUSIVE = re.compile(r"\s*,?\s*\(?(?:both\s+)?inclusive\)?", re.IGNORECASE)
_RANGE_SEP = re.compile(r"\s*(?:-|\u2013|\u2014|to|and|through|until)\s*(?P<open><|≤)?\s*(?=[\d.])", re.IGNORECASE)
_PAIR_SEP = re.compile(r"\s*(?:and|,|-|&|but|to)?\s*", re.IGNORECASE)
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:or\s+|and\s+)?|or\s+|and\s+|/\s*)(?=\d)", re.IGNORECASE)
_PAIR = re.compile(r"\s*/\s*(\d{2,3})(?![\d.,])")
_BETWEEN = re.compile(r"(?:between|from)\s*$", re.IGNORECASE)

# --- numbers -----------------------------------------------------------------------------------
NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(?<!\d,)(?:"
    r"(?P<thou>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d))"
    r"|(?P<space>\d{1,3}(?: \d{3})+(?![\d.,]))"
    r"|(?P<comma>\d+,\d{1,2}(?![\d,])(?!\s*(?:or|and)\b)(?=\s*(?:[x\u00d7*]|[a-zA-Z/%μ])))"
    r"|(?P<plain>\d+(?:\.\d+)?|\.\d+))"
)
# Where a threshold can start: a comparator or a number.
# A digit is an anchor only where NUMBER can start (the same look-behinds): the other digits of a
# number, or of "COVID-19", would each cost a failed read. One-character look-aheads come first:
# most positions fail them at once.
ANCHOR = re.compile(
    r"[<>≤≥]|(?=[0-9])(?<![\w.])(?<![A-Za-z]-)(?<!\d,)[0-9]|(?=[abefghilmnouy])(?<![A-Za-z])(?:greater|more|higher|older|less|lower|younger|fewer|no|not|at"
    r"|up|over|above|under|below|minimum|maximum|min|max|exceeding|in\s+excess|equal)(?![A-Za-z])",
    re.IGNORECASE | re.ASCII,
)


# A number that counts something else ("at least 2 doses", "5 half-lives", "24 hours") is no threshold.
_COUNTED = re.compile(
    r"\s*(?:doses?|cycles?|courses?|lines?|regimens?|half-lives|episodes?|measurements?|readings?|occasions?"
    r"|consecutive|separate|hours?|hrs?|minutes?|cm|mm|mg|mcg|µg|ug|ng|copies|IU/mL|drinks?|cigarettes?|packs?)(?!\w)",
    re.IGNORECASE,
)


def _number(m: re.Match[str]) -> float:
    raw = m.group(0)
    if m.lastgroup == "thou" or m.lastgroup == "space":
        return float(raw.replace(",", "").replace(" ", ""))
    if m.lastgroup == "comma":
        return float(raw.replace(",", "."))
    return float(raw)


@dataclass(slots=True)
class Bound:
    """One range read from the text, before it is given a concept."""

    low: float | None
    low_inclusive: bool | None
    high: float | None
    high_inclusive: bool | None
    unit: str | None


@dataclass(slots=True)
class Value:
    """A threshold expression: its bounds (two when a range mixes units) and how it was written."""

    start: int
    end: int
    bounds: list[Bound]
    form: str  # "cmp" (a comparator), "range", "list", "exact" (a bare number), "pair" (140/90)
    age_marked: bool  # followed by "of age" / "old"
    direction: str | None  # "ge", "gt", "le", "lt" for a one-sided threshold


def _one_sided(direction: str, v: float, unit: str | None) -> Bound:
    if direction in ("ge", "gt"):
        return Bound(v, direction == "ge", None, None, unit)
    return Bound(None, None, v, direction == "le", unit)


def read_value(s: str, pos: int) -> Value | None:
    """The threshold expression starting at `pos`, or None."""
    cm = CMP.match(s, pos)
    if cm:
        return _after_comparator(s, pos, cm)
    nm = NUMBER.match(s, pos)
    if not nm:
        return None
    return _after_number(s, pos, nm)


def _after_comparator(s: str, start: int, cm: re.Match[str]) -> Value | None:
    direction = cm.lastgroup or ""
    nm = NUMBER.match(s, cm.end())
    if not nm:
        unit, end = read_unit(s, cm.end())
        if unit == "xULN":  # "≤ ULN", "below the upper limit of normal": one times ULN
            return Value(start, end, [_one_sided(direction, 1.0, unit)], "cmp", False, direction)
        return None
    v1 = _number(nm)
    pm = _PAIR.match(s, nm.end())
    if pm:  # "> 140/90 mmHg": systolic then diastolic
        unit, end = read_unit(s, pm.end())
        second = float(pm.group(1))
        return Value(
            start, end, [_one_sided(direction, v1, unit), _one_sided(direction, second, unit)], "pair", False, direction
        )
    unit1, end = read_unit(s, nm.end())
    if unit1 is None and _COUNTED.match(s, end):
        return None
    # a second, opposite bound: "≥ 18 and ≤ 75 years", ">= 30 and less than (<) 50 mL/min"
    sep = _PAIR_SEP.match(s, end)
    # a short joint only: a long blank is a masked mention, whose own threshold follows
    cm2 = CMP.match(s, sep.end()) if sep and sep.end() - end <= 6 else None
    if cm2 and cm2.lastgroup and (cm2.lastgroup[0] == "g") != (direction[0] == "g"):
        nm2 = NUMBER.match(s, cm2.end())
        if nm2:
            v2 = _number(nm2)
            unit2, end2 = read_unit(s, nm2.end())
            age, end2 = _age_tail(s, end2)
            lo_dir, lo, hi_dir, hi = (direction, v1, cm2.lastgroup, v2)
            lo_unit, hi_unit = unit1, unit2
            if direction[0] == "l":
                lo_dir, lo, hi_dir, hi, lo_unit, hi_unit = cm2.lastgroup, v2, direction, v1, unit2, unit1
            if lo_unit is None or hi_unit is None or lo_unit == hi_unit:
                unit = hi_unit or lo_unit
                bound = Bound(lo, lo_dir == "ge", hi, hi_dir == "le", unit)
                return Value(start, end2, [bound], "range", age, None)
            return Value(
                start, end2, [_one_sided(lo_dir, lo, lo_unit), _one_sided(hi_dir, hi, hi_unit)], "range", age, None
            )
    age, end = _age_tail(s, end)
    bound = _one_sided(direction, v1, unit1)
    inc = _INCLUSIVE.match(s, end)
    if inc:  # "> 18 years of age inclusive": the word wins over the sign
        end = inc.end()
        if bound.low is not None:
            bound.low_inclusive = True
        else:
            bound.high_inclusive = True
    return Value(start, end, [bound], "cmp", age, direction)


def _age_tail(s: str, end: int) -> tuple[bool, int]:
    m = _AGE_TAIL.match(s, end)
    return (True, m.end()) if m else (False, end)


def _after_number(s: str, start: int, nm: re.Match[str]) -> Value | None:
    v1 = _number(nm)
    end = nm.end()
    plus = s.startswith("+", end)
    if plus:
        end += 1
    unit1, end = read_unit(s, end)
    if unit1 is None and _COUNTED.match(s, end):
        return None
    if plus:
        age, end = _age_tail(s, end)
        return Value(start, end, [Bound(v1, True, None, None, unit1)], "cmp", age, "ge")
    # range: "18-65 years", "18 to 70 years of age", "between 18 and 30", "6 months to 12 years"
    rm = _RANGE_SEP.match(s, end)
    if rm and (not rm.group(0).strip().lower().startswith("and") or _BETWEEN.search(s, 0, start)):
        nm2 = NUMBER.match(s, rm.end())
        if nm2:
            v2 = _number(nm2)
            unit2, end2 = read_unit(s, nm2.end())
            if v1 > v2 and not (unit1 and unit2 and unit1 != unit2):
                return Value(start, end2, [], "range", False, None)  # a typo such as 18-5: no fact
            age, end2 = _age_tail(s, end2)
            inc = _INCLUSIVE.match(s, end2)
            if inc:
                end2 = inc.end()
            high_inclusive = rm.group("open") != "<"
            if unit1 and unit2 and unit1 != unit2:
                return Value(
                    start,
                    end2,
                    [Bound(v1, True, None, None, unit1), Bound(None, None, v2, high_inclusive, unit2)],
                    "range",
                    age,
                    None,
                )
            return Value(start, end2, [Bound(v1, True, v2, high_inclusive, unit2 or unit1)], "range", age, None)
    # list on a scale: "0, 1 or 2", "0 or 1"
    if unit1 is None and v1.is_integer():
        items, p = [v1], end
        while (lm := _LIST_SEP.match(s, p)) and (nm2 := NUMBER.match(s, lm.end())) and _number(nm2).is_integer():
            items.append(_number(nm2))
            p = nm2.end()
        if len(items) > 1:
            unit, p = read_unit(s, p)
            return Value(start, p, [Bound(min(items), True, max(items), True, unit)], "list", False, None)
    age, end = _age_tail(s, end)
    pm = _POSTFIX.match(s, end)
    if pm:
        direction = pm.lastgroup or "ge"
        end = pm.end()
        if unit1 is None:
            unit1, end = read_unit(s, end)
        age2, end = _age_tail(s, end)
        return Value(start, end, [_one_sided(direction, v1, unit1)], "cmp", age or age2, direction)
    inc = _INCLUSIVE.match(s, end)
    if inc:
        end = inc.end()
    return Value(start, end, [Bound(v1, True, v1, True, unit1)], "exact", age, None)
