"""The scored vocabulary: each concept's names as written in criteria, and the units it takes.

One alternation per concept, longest spellings first; `None` marks a *blocker*: something that
carries its own numbers (a grade, PT, direct bilirubin, a score) which must not be read as the
threshold of the concept written before it.
"""

from __future__ import annotations

import re
import string

from eligibility.first_letters import first_letters

# (concept, pattern); matched case-blind unless the pattern sets (?-i:...) itself.
_NAMES: list[tuple[str | None, str]] = [
    ("hba1c", r"(?:hb|hgb|ha?emoglobin)\s*a1c|a1c|glyc(?:at|osyl)ated\s+ha?emoglobin(?:\s*\(hba1c\))?"),
    (
        None,
        r"(?:direct|conjugated|indirect|unconjugated)\s+bilirubin|direct\s+(?:fraction|component)"
        r"|(?:urine\s+)?(?:protein|albumin)\s*(?::|/|to|-)?\s*creatinine(?:\s+ratio)?|(?-i:UPCR?|UACR)",
    ),
    (
        "creatinine_clearance",
        r"(?:estimated\s+|calculated\s+|measured\s+)?creatinine\s+clearance(?:\s+rate)?|crcl|clcr|(?-i:Ccr|CCR)",
    ),
    ("egfr", r"(?:estimated\s+|radioisotope\s+|measured\s+)?glomerular\s+filtration\s+rate|e?gfr"),
    ("creatinine", r"(?:serum\s+)?creatinin(?:e|emia|aemia)?(?:\s+levels?)?|(?-i:S?Cr|sCr)"),
    ("bilirubin", r"(?:serum\s+)?(?:total\s+)?(?:serum\s+)?bilirubin|(?-i:T-?BIL|TBIL|TBili|T\.?\s?bili)"),
    (
        "ast",
        r"aspartate\s*(?:amino\s*)?trans(?:ferase|aminase)|(?:serum\s+)?glutam\w*[\s-]*oxalo\w*\s+trans\w+"
        r"|(?-i:AST|SGOT|GOT)",
    ),
    (
        "alt",
        r"alanine\s*(?:amino\s*)?trans(?:ferase|aminase)|(?:serum\s+)?glutam\w*[\s-]*pyruv\w*\s+trans\w+"
        r"|(?-i:ALT|SGPT|GPT)",
    ),
    ("transaminases", r"transaminases?(?:\s+levels?)?|aminotransferases"),
    ("alkaline_phosphatase", r"alkaline\s+phosphatase|(?-i:ALP)"),
    ("albumin", r"(?:serum\s+)?albumin|(?-i:ALB)"),
    (
        "aptt",
        r"(?:activated\s+)?partial\s+(?:thrombo|pro)plastin\s+time|(?:activated\s+)?partial\s+prothrombin\s+time"
        r"|a?ptt",
    ),
    ("inr", r"international\s+normali[sz]ed\s+ratio|inr"),
    (None, r"prothrombin\s+time|(?-i:PT)"),
    ("hemoglobin", r"ha?emoglobin(?:\s+level)?|(?-i:Hg?b|HGB|HB)"),
    (
        "anc",
        r"(?:peripheral\s+)?absolute\s+(?:neutrophil|granulocyte)s?(?:\s+counts?)?|(?-i:ANC|AGC)"
        r"|neutrophils?(?:\s+counts?)?|granulocytes?(?:\s+counts?)?",
    ),
    ("platelets", r"platelets?(?!\s+(?:transfusion|growth|aggregation|inhibitor))(?:\s+counts?)?|(?-i:PLTs?)"),
    ("wbc", r"white\s+blood\s+cells?(?:\s+counts?)?|(?-i:WBCC?|TLC)|(?:total\s+)?leu[ck]ocytes?(?:\s+counts?)?"),
    ("cd4", r"cd4\+?(?:\s*t[\s-]*(?:cell|lymphocyte)s?)?(?:\s+counts?)?"),
    ("lymphocytes", r"(?:absolute\s+)?(?:circulating\s+)?lymphocytes?(?:\s+counts?)?|(?-i:ALC)"),
    ("lvef", r"(?:left\s+ventricular\s+)?ejection\s+fraction|(?-i:LVEF)"),
    ("qtc", r"qtc[fb]?(?:\s+interval)?|corrected\s+qt(?:\s+interval)?|qt\s+interval\s+corrected(?:\s+by)?"),
    ("systolic_bp", r"systolic(?:\s+blood\s+pressure)?|(?-i:SBP)"),
    ("diastolic_bp", r"diastolic(?:\s+blood\s+pressure)?|(?-i:DBP)"),
    ("blood_pressure", r"blood\s+pressure|(?-i:BP)"),
    ("bmi", r"body\s+mass\s+index|bmi"),
    ("body_weight", r"(?:body\s+)?weight"),
    ("life_expectancy", r"life\s+expectancy|(?:expected|estimated)\s+survival|expected\s+to\s+survive"),
    ("karnofsky", r"karnofsky(?:\s+performance)?(?:\s+(?:status|scale|score|index))*|(?-i:KPS)"),
    ("lansky", r"lansky(?:\s+play)?(?:[\s-]+performance)?(?:\s+(?:status|scale|score))*|(?-i:LPS)"),
    (
        "ecog",
        r"(?:eastern\s+cooperative\s+oncology\s+group|ecog|zubrod)(?:\s+performance)?(?:\s+(?:status|scale|score))*"
        r"|(?:who|world\s+health\s+organi[sz]ation)\s+performance\s+status|(?:performance\s+status)"
        r"|(?-i:PS)",
    ),
    ("age", r"ages?(?:\s*\((?:in\s+)?years\))?|aged|(?:adults?|children)(?=\s*\(\s*[<>≤≥])"),
    # Blockers: numbers of their own, never a scored concept's threshold.
    (
        None,
        r"(?-i:GGT|LDH|PSA|BUN|AFP|HCG|NYHA|BSA|VAS|LLQ|DNA|RNA)|grade|class|stage|scores?|scale|cycles?"
        r"|version|urea|glucose|lipase|amylase|saturation|spo2|hepatic\s+enzymes|viral\s+load"
        r"|g8|relatives|proteinuria|protein",
    ),
]

# Transaminases name both enzymes at once.
EXPANDS: dict[str, tuple[str, ...]] = {
    "transaminases": ("ast", "alt"),
    "blood_pressure": ("systolic_bp", "diastolic_bp"),
}


def _alternative(i: int, pattern: str) -> str:
    return rf"(?P<c{i}>(?:{pattern})(?![A-Za-z]|-(?-i:[a-z])))"


# The word-start test comes once, before the alternation: most positions are inside a word and
# fail it at once, instead of once per alternative.
MENTION = re.compile(
    r"(?<![\w+-])(?=[A-Za-z])(?:" + "|".join(_alternative(i, pattern) for i, (_, pattern) in enumerate(_NAMES)) + ")",
    re.IGNORECASE | re.ASCII,  # ASCII case folding is cheaper; NFKC has already made the text plain
)
GROUP_CONCEPT: dict[str, str | None] = {f"c{i}": concept for i, (concept, _) in enumerate(_NAMES)}


def _by_first_letter() -> dict[str, re.Pattern[str]]:
    """Per first letter, MENTION's alternatives that can start with it (in MENTION's order).

    `re` tries all thirty-odd alternatives at every word start; trying only those a word's
    first letter allows finds the same mentions in about a third of the time.
    """
    firsts = [first_letters(pattern) for _, pattern in _NAMES]
    table = {}
    for letter in string.ascii_letters:
        alternatives = [_alternative(i, p) for i, (_, p) in enumerate(_NAMES) if letter in firsts[i]]
        if alternatives:
            table[letter] = re.compile("(?:" + "|".join(alternatives) + ")", re.IGNORECASE | re.ASCII)
    return table


def mentions(s: str) -> list[re.Match[str]]:
    """MENTION's matches in `s`, left to right and not overlapping, as `MENTION.finditer` gives them."""
    out: list[re.Match[str]] = []
    end = 0
    for w in _WORD_START.finditer(s):
        pos = w.start()
        if pos < end:
            continue
        pattern = _FIRST_LETTER.get(s[pos])
        m = pattern.match(s, pos) if pattern is not None else None
        if m:
            out.append(m)
            end = m.end()
    return out


SCALES = frozenset({"ecog", "karnofsky", "lansky"})

COUNTS = ("x10^9/L", "/uL", None)
ALLOWED_UNITS: dict[str, tuple[str | None, ...]] = {
    "age": ("years", "months", "weeks", "days", None),
    "ecog": (None,),
    "karnofsky": (None,),
    "lansky": (None,),
    "life_expectancy": ("weeks", "months", "years", "days"),
    "bmi": ("kg/m2", None),
    "body_weight": ("kg", "lb"),
    "hemoglobin": ("g/dL", "g/L", "mmol/L", None),
    "anc": COUNTS,
    "platelets": COUNTS,
    "wbc": COUNTS,
    "lymphocytes": COUNTS,
    "cd4": ("/uL", "x10^9/L", None),
    "creatinine": ("mg/dL", "umol/L", "xULN", None),
    "creatinine_clearance": ("mL/min", "mL/min/1.73m2", None),
    "egfr": ("mL/min/1.73m2", "mL/min", None),
    "bilirubin": ("mg/dL", "umol/L", "xULN", None),
    "ast": ("xULN", "U/L", None),
    "alt": ("xULN", "U/L", None),
    "alkaline_phosphatase": ("xULN", "U/L", None),
    "albumin": ("g/dL", "g/L", None),
    "inr": (None, "xULN"),
    "aptt": ("xULN", "seconds", None),
    "lvef": ("%", None),
    "qtc": ("ms", None),
    "hba1c": ("%", "mmol/mol", None),
    "systolic_bp": ("mmHg", None),
    "diastolic_bp": ("mmHg", None),
    "blood_pressure": ("mmHg",),
}
CONCEPTS: tuple[str, ...] = tuple(c for c in ALLOWED_UNITS if c != "blood_pressure")

# Values a scale can take: outside them the number is something else (a 0-100 score under "PS").
SCALE_RANGE: dict[str, tuple[float, float]] = {"ecog": (0, 5), "karnofsky": (10, 100), "lansky": (10, 100)}

_FIRST_LETTER = _by_first_letter()
# Where a mention can start: a letter some name begins with ("of", "or", "for" never start one),
# which no word character, "+" or "-" precedes.
_WORD_START = re.compile(r"(?<![\w+-])[" + "".join(sorted(_FIRST_LETTER)) + "]", re.ASCII)
