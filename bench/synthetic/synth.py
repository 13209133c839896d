"""Deterministic synthetic record pages for benchmarks at full-registry scale.

    from bench.synthetic.synth import write_corpus
    write_corpus(580_000, Path("bench/corpus"), seed=0)

`synth_record` draws one realistic `Record` (every section of the layout, in proportions and
sizes calibrated against the 238 real pages in shared/records/text; `bench/calibrate.py`
compares them); `write_corpus` renders them with `render_page` into shards of at most
10,000 files. Each shard has its own generator seeded from (seed, shard), so a corpus is the
same byte for byte whatever the number of worker processes.

Text is drawn from the word lists of `words.py`, built once at import: words are sampled in bulk with
`Random.choices` over a pool in which frequent words are repeated (a cheap Zipf-like skew), so
no work is done per character.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from bench.synthetic.render import render_page
from bench.synthetic.render_json import render_json
from bench.synthetic.words import (
    CAPITALS,
    CONDITIONS,
    COUNTRIES,
    COUNTRY_PICK,
    CRITERION_OPENERS,
    DEPARTMENTS,
    DEVICE_WORDS,
    DRUG_HEADS,
    DRUG_TAILS,
    FACILITY_PATTERNS,
    FUNDERS,
    GENERAL,
    INDUSTRY,
    INTERVENTION_TYPES,
    ORG_CORES,
    PARENT_ENDINGS,
    POOL,
    PROCEDURES,
    SUBHEADINGS,
    SURNAMES,
    UNICODE,
    UNICODE_RATE,
)
from recordpage.model import Arm, Criterion, Identifier, Intervention, Record, Site, Sponsor

T = TypeVar("T")

SHARD_SIZE = 10_000
_NCT_SPACE = 100_000_000
# Multiplier of the affine bijection nct_number -> NCT digits: prime and coprime to 10**8, so
# distinct numbers give distinct IDs, spread over the ID space rather than in file order.
_NCT_STRIDE = 48_271

# ---------------------------------------------------------------------------------------------
# Small samplers
# ---------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, table: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in table]
    weights = [weight for _, weight in table]
    return rng.choices(values, weights)[0]


def _lognormal(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    return max(low, min(high, int(median * math.exp(rng.gauss(0.0, sigma)))))


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def _words(rng: random.Random, count: int) -> list[str]:
    words = rng.choices(POOL, k=max(1, count))
    if rng.random() < UNICODE_RATE:
        words[rng.randrange(len(words))] = rng.choice(UNICODE)
    return words


def _sentences(rng: random.Random, chars: int) -> str:
    """About `chars` characters of sentences (words average ~7 characters with their space)."""
    words = _words(rng, chars // 7)
    out: list[str] = []
    i = 0
    while i < len(words):
        n = rng.randint(8, 26)
        chunk = words[i : i + n]
        i += n
        out.append(f"{rng.choice(CAPITALS)} {' '.join(chunk)}.")
    return " ".join(out)


def _paragraphs(rng: random.Random, chars: int) -> str:
    """Free text: paragraphs joined by one blank line, now and then a short bullet list."""
    count = 1 if chars < 400 else min(8, 1 + int(chars / rng.uniform(350, 900)))
    parts: list[str] = []
    for _ in range(count):
        if parts and rng.random() < 0.08:
            items = [f"* {_sentences(rng, rng.randint(60, 260))}" for _ in range(rng.randint(2, 5))]
            parts.append("\n".join(items))
        else:
            parts.append(_sentences(rng, max(40, chars // count)))
    return "\n\n".join(parts)


def _date(rng: random.Random, year: int, month_only: bool) -> str:
    month = rng.randint(1, 12)
    if month_only:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def _code(rng: random.Random) -> str:
    letters = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ", k=rng.randint(2, 5)))
    return f"{letters}-{rng.randint(1, 9999):0{rng.choice((3, 4))}d}"


def nct_id(nct_number: int) -> str:
    """Distinct 8-digit NCT IDs for distinct numbers below 10**8."""
    return f"NCT{(nct_number * _NCT_STRIDE + 102) % _NCT_SPACE:08d}"


# ---------------------------------------------------------------------------------------------
# Record parts
# ---------------------------------------------------------------------------------------------

_STATUSES = [
    ("COMPLETED", 50),
    ("RECRUITING", 12),
    ("UNKNOWN", 13),
    ("ACTIVE_NOT_RECRUITING", 6),
    ("NOT_YET_RECRUITING", 4),
    ("TERMINATED", 7),
    ("WITHDRAWN", 3),
    ("ENROLLING_BY_INVITATION", 2),
    ("SUSPENDED", 1),
]
_PHASES = [
    (["NA"], 40),
    (["PHASE2"], 15),
    (["PHASE1"], 11),
    (["PHASE3"], 12),
    (["PHASE4"], 10),
    (["PHASE1", "PHASE2"], 2.5),
    (["PHASE2", "PHASE3"], 1.5),
    (["EARLY_PHASE1"], 3),
    ([], 1),
]
_ARM_TYPES = [
    ("EXPERIMENTAL", 45),
    ("ACTIVE_COMPARATOR", 20),
    ("PLACEBO_COMPARATOR", 10),
    ("NO_INTERVENTION", 7),
    ("SHAM_COMPARATOR", 4),
    ("OTHER", 8),
    (None, 2),
]
_SPONSOR_CLASSES = [("OTHER", 62), ("INDUSTRY", 28), ("NIH", 3), ("OTHER_GOV", 3), ("FED", 2), ("UNKNOWN", 2)]


def _title(rng: random.Random, condition: str, treatment: str) -> str:
    pattern = rng.choice(
        [
            "A Study of {t} in Patients With {c}",
            "Efficacy and Safety of {t} Versus Placebo in Adults With {c}",
            "{t} for {c}: a Randomized Controlled Trial",
            "Evaluation of {t} in the Management of {c}",
            "Long-term Outcomes of {t} Among Participants With {c} - A Multicenter Study",
            "Effect of {t} on Quality of Life in {c}",
            "Pilot Study of {t} for {c}",
        ]
    )
    title = pattern.format(t=treatment, c=condition)
    if rng.random() < 0.25:
        acronym = "".join(rng.choices("ABCDEFGHIKLMNOPRSTUVW", k=rng.randint(3, 7)))
        title += f" ({acronym}{rng.choice(['', '', '-' + str(rng.randint(1, 9))])})"
    return title


def _drug_name(rng: random.Random) -> str:
    return _capital(rng.choice(DRUG_HEADS) + rng.choice(DRUG_TAILS))


def _intervention_name(rng: random.Random, kind: str) -> str:
    if kind in ("DRUG", "BIOLOGICAL", "COMBINATION_PRODUCT"):
        name = _drug_name(rng)
        return name if rng.random() < 0.6 else f"{name} {rng.choice((5, 10, 25, 50, 100, 150, 200))} mg"
    if kind == "DEVICE":
        return rng.choice(DEVICE_WORDS)
    if kind in ("BEHAVIORAL", "PROCEDURE", "OTHER"):
        return rng.choice(PROCEDURES)
    return f"{_capital(rng.choice(GENERAL))} {kind.replace('_', ' ').title()}"


def _interventions(rng: random.Random, count: int, observational: bool) -> list[Intervention]:
    out: list[Intervention] = []
    names: set[str] = set()
    while len(out) < count:
        kind = (
            rng.choice(("OTHER", "BEHAVIORAL", "PROCEDURE", "DEVICE"))
            if observational
            else rng.choice(INTERVENTION_TYPES)
        )
        name = _intervention_name(rng, kind)
        if name in names:
            # Names link groups to interventions, so they stay unique within a record.
            name = f"{name} {len(out) + 1}"
        names.add(name)
        description = None if rng.random() < 0.05 else _sentences(rng, _lognormal(rng, 150, 0.9, 20, 1000))
        out.append(Intervention(name, kind, description))
    return out


def _arm_count(rng: random.Random) -> int:
    return _weighted(
        rng, [(0, 5), (1, 25), (2, 55), (3, 8), (4, 4), (5, 1.5), (6, 0.8), (7, 0.3), (8, 0.2), (10, 0.1), (13, 0.1)]
    )


def _arms(rng: random.Random, count: int, interventions: list[Intervention], observational: bool) -> list[Arm]:
    arms: list[Arm] = []
    names = [item.name for item in interventions]
    for i in range(count):
        label = rng.choice(
            [
                f"Arm {'ABCDEFGHIJKLMN'[i]}",
                f"Cohort {i + 1}",
                f"Group {i + 1}: {names[i % len(names)]}" if names else f"Group {i + 1}",
                names[i % len(names)] if names else f"Arm {i + 1}",
                f"{_capital(rng.choice(GENERAL))} {rng.choice(GENERAL)} group",
            ]
        )
        if any(arm.label == label for arm in arms):
            label = f"{label} ({i + 1})"
        arm_type = None if observational and rng.random() < 0.9 else _weighted(rng, _ARM_TYPES)
        description = None if rng.random() < 0.08 else _sentences(rng, _lognormal(rng, 115, 1.0, 15, 1000))
        linked: list[str] = []
        if names and arm_type != "NO_INTERVENTION":
            # Every group gets its own intervention first, so all of them are linked somewhere.
            linked.append(names[i % len(names)])
            extra = _weighted(rng, [(0, 85), (1, 11), (2, 4)])
            linked += [n for n in rng.sample(names, min(extra, len(names))) if n not in linked]
        arms.append(Arm(label, arm_type, description, linked))
    return arms


def _site_count(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.06:
        return 0
    if u < 0.68:
        return 1
    if u < 0.895:
        return rng.randint(2, 4)
    if u < 0.9972:
        return _lognormal(rng, 7.5, 0.75, 5, 40)
    if u < 0.9997:
        return rng.randint(40, 120)
    # Global industry trials: a few hundred sites.
    return rng.randint(120, 700)


def _facility(rng: random.Random, city: str) -> str | None:
    if rng.random() < 0.005:
        return None
    pattern = rng.choice(FACILITY_PATTERNS)
    return pattern.format(
        org=rng.choice(ORG_CORES),
        city=city,
        dept=rng.choice(DEPARTMENTS),
        surname=rng.choice(SURNAMES),
        num=rng.randint(1, 999),
    )


def _site_status(rng: random.Random, overall: str) -> str | None:
    if overall == "RECRUITING":
        return _weighted(
            rng,
            [
                ("RECRUITING", 75),
                ("NOT_YET_RECRUITING", 15),
                ("ACTIVE_NOT_RECRUITING", 5),
                ("COMPLETED", 3),
                ("WITHDRAWN", 2),
            ],
        )
    if overall in ("NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"):
        return overall if rng.random() < 0.8 else None
    return None if rng.random() < 0.97 else "WITHDRAWN"


def _sites(rng: random.Random, count: int, overall: str) -> list[Site]:
    n_countries = 1 if count < 8 else min(len(COUNTRIES), 1 + int(count**0.5 * rng.uniform(0.2, 1.0)))
    countries: list[tuple[str, int, str, list[tuple[str, str]]]] = []
    while len(countries) < n_countries:
        entry = rng.choice(COUNTRY_PICK)
        if entry not in countries:
            countries.append(entry)
    sites: list[Site] = []
    for i in range(count):
        country, _, policy, cities = countries[min(len(countries) - 1, i * len(countries) // count)]
        city, state = rng.choice(cities)
        if policy == "never" or (policy == "sometimes" and rng.random() < 0.6):
            state = ""
        sites.append(Site(_facility(rng, city), city, state or None, country, _site_status(rng, overall)))
    return sites


def _sponsors(rng: random.Random) -> list[Sponsor]:
    lead_class = _weighted(rng, _SPONSOR_CLASSES)
    lead = rng.choice(INDUSTRY) if lead_class == "INDUSTRY" else rng.choice(ORG_CORES)
    sponsors = [Sponsor(lead, lead_class, "lead")]
    n = _weighted(rng, [(0, 64), (1, 20), (2, 8), (3, 4), (4, 2), (5, 1), (6, 1)])
    for _ in range(n):
        if rng.random() < 0.4:
            name, agency = rng.choice(FUNDERS)
        else:
            agency = _weighted(rng, _SPONSOR_CLASSES)
            name = rng.choice(INDUSTRY) if agency == "INDUSTRY" else rng.choice(ORG_CORES)
        if all(s.name != name for s in sponsors):
            sponsors.append(Sponsor(name, agency, "collaborator"))
    return sponsors


def _identifiers(rng: random.Random) -> list[Identifier]:
    org_type = "NIH" if rng.random() < 0.01 else None
    out = [Identifier(_code(rng), org_type, "org_study_id")]
    n = _weighted(rng, [(0, 86), (1, 9), (2, 3), (3, 2)])
    for _ in range(n):
        kind = _weighted(
            rng,
            [
                ("NIH", 35),
                ("OTHER", 20),
                ("REGISTRY", 15),
                ("EUDRACT_NUMBER", 10),
                ("CTIS", 5),
                ("OTHER_GRANT", 10),
                (None, 5),
            ],
        )
        if kind == "NIH":
            value = f"R{rng.randint(1, 44):02d}{rng.choice(('DA', 'CA', 'MH', 'HL', 'AR'))}{rng.randint(0, 999999):06d}"
        elif kind in ("EUDRACT_NUMBER", "CTIS"):
            value = f"{rng.randint(2004, 2025)}-{rng.randint(0, 999999):06d}-{rng.randint(10, 99)}"
        else:
            value = _code(rng)
        out.append(Identifier(value, kind, "secondary_id"))
    return out


def _age(rng: random.Random, low: bool) -> str | None:
    if low:
        if rng.random() < 0.03:
            return None
        return _weighted(
            rng,
            [
                ("18 Years", 70),
                ("19 Years", 4),
                ("20 Years", 4),
                ("12 Years", 3),
                ("6 Months", 2),
                ("28 Days", 1),
                ("2 Years", 3),
                ("40 Years", 5),
                ("65 Years", 3),
                ("50 Years", 5),
            ],
        )
    if rng.random() < 0.35:
        return None
    return f"{rng.choice((17, 30, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 99))} Years"


# ---------------------------------------------------------------------------------------------
# Eligibility criteria
# ---------------------------------------------------------------------------------------------


class _CriteriaWriter:
    """Appends criteria to one record's list, keeping depth and parent consistent with markers.

    A nested list always uses a marker style that is not open above it, or is a numbered list
    restarting at 1 under an item of the same style, so the page alone shows the nesting.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.items: list[Criterion] = []

    def text(self, end: str = "") -> str:
        rng = self.rng
        chars = _lognormal(rng, 62, 0.75, 12, 1000)
        opener = rng.choice(CRITERION_OPENERS)
        words = _words(rng, max(1, (chars - len(opener)) // 7))
        body = f"{opener} {' '.join(words)}"
        if end:
            return f"{body} {end}"
        return body + rng.choice((".", "", "", ";"))

    def add(self, kind: str, marker: str | None, text: str, depth: int, parent: int | None) -> int:
        self.items.append(Criterion(kind, marker, text, depth, parent))
        return len(self.items)

    def block(self, kind: str, count: int, nesting: bool) -> None:
        rng = self.rng
        if rng.random() < 0.04:
            self.add(kind, None, rng.choice(SUBHEADINGS), 0, None)
        style = _weighted(rng, [("*", 66), ("num.", 28), ("-", 3), ("num)", 1), ("plain", 2)])
        number = 0
        while count > 0:
            if rng.random() < 0.02 and number > 2:
                # A sub-heading mid-list; the list after it starts over at the top level.
                self.add(kind, None, rng.choice(SUBHEADINGS), 0, None)
                number = 0
                count -= 1
                continue
            number += 1
            marker = _marker(style, number)
            parent_here = nesting and count > 2 and style != "plain" and rng.random() < 0.3
            text = self.text(rng.choice(PARENT_ENDINGS) if parent_here else "")
            ordinal = self.add(kind, marker, text, 0, None)
            count -= 1
            if parent_here:
                count -= self.nested(kind, style, number, ordinal, 1, count)

    def nested(self, kind: str, parent_style: str, parent_number: int, parent: int, depth: int, budget: int) -> int:
        """A list under item `parent`; returns the number of criteria written."""
        rng = self.rng
        styles = {
            "*": [("num.", 60), ("-", 25), ("alpha", 15)],
            "-": [("num.", 60), ("*", 40)],
            "num.": [("num.", 40), ("*", 25), ("alpha", 25), ("-", 10)],
            "num)": [("*", 50), ("alpha", 50)],
            "alpha": [("*", 60), ("-", 40)],
        }[parent_style]
        style = _weighted(rng, styles)
        count = min(budget, rng.randint(2, 6), 8)
        if style == parent_style == "num." and count == parent_number:
            # `n.` with children 1..n, then `n+1.`: the next item would read as continuing the
            # nested list, so keep the nested list a different length.
            count += 1 if count < 8 else -1
        written = 0
        # Depth 2 uses a bullet that neither list above it uses.
        free_bullets = [bullet for bullet in ("*", "-") if bullet not in (style, parent_style)]
        for i in range(1, count + 1):
            deeper = depth == 1 and bool(free_bullets) and rng.random() < 0.1 and budget - written > 3
            text = self.text(rng.choice(PARENT_ENDINGS) if deeper else "")
            ordinal = self.add(kind, _marker(style, i), text, depth, parent)
            written += 1
            if deeper:
                sub = free_bullets[0]
                for _ in range(rng.randint(2, 3)):
                    self.add(kind, sub, self.text(), depth + 1, ordinal)
                    written += 1
        return written


def _marker(style: str, number: int) -> str | None:
    if style == "num.":
        return f"{number}."
    if style == "num)":
        return f"{number})"
    if style == "alpha":
        return f"{'abcdefgh'[min(number, 8) - 1]}."
    if style == "plain":
        return None
    return style


def _criteria(rng: random.Random) -> list[Criterion]:
    total = _lognormal(rng, 10.5, 0.65, 1, 160)
    nesting = rng.random() < 0.11
    writer = _CriteriaWriter(rng)
    layout = _weighted(rng, [("both", 94), ("unspecified", 3), ("unspecified+exclusion", 1.5), ("inclusion", 1.5)])
    if layout == "unspecified":
        writer.block("unspecified", total, nesting)
    elif layout == "inclusion":
        writer.block("inclusion", total, nesting)
    else:
        first = "unspecified" if layout == "unspecified+exclusion" else "inclusion"
        n_first = max(1, min(total - 1, round(total * rng.uniform(0.3, 0.6))))
        writer.block(first, n_first, nesting)
        writer.block("exclusion", max(1, total - n_first), nesting)
    return writer.items


# ---------------------------------------------------------------------------------------------
# Records and corpus
# ---------------------------------------------------------------------------------------------


def synth_record(rng: random.Random, nct_number: int) -> Record:
    """One realistic record; deterministic given the generator's state."""
    observational = rng.random() < 0.12
    status = _weighted(rng, _STATUSES)
    conditions = rng.sample(CONDITIONS, _weighted(rng, [(1, 55), (2, 22), (3, 10), (4, 6), (5, 3), (7, 2), (11, 2)]))
    n_interventions = _weighted(rng, [(0, 1), (1, 46), (2, 33), (3, 12), (4, 4), (5, 2), (7, 1), (9, 1)])
    interventions = _interventions(rng, n_interventions, observational)
    start_year = rng.randint(1999, 2025)
    end_year = start_year + rng.randint(0, 6)
    last_year = min(2025, max(end_year, start_year + rng.randint(0, 8)))
    treatment = interventions[0].name if interventions else _capital(rng.choice(GENERAL))
    record = Record(
        nct_id=nct_id(nct_number),
        title=_title(rng, conditions[0], treatment),
        last_updated=_date(rng, last_year, False),
        has_results=rng.random() < 0.10,
        overall_status=status,
        phases=[] if observational else _weighted(rng, _PHASES),
        enrollment=_lognormal(rng, 60, 1.3, 0, 200_000) if rng.random() < 0.995 else None,
        study_type="OBSERVATIONAL" if observational else "INTERVENTIONAL",
        start_date=_date(rng, start_year, rng.random() < 0.18),
        completion_date=_date(rng, end_year, rng.random() < 0.2) if rng.random() < 0.99 else None,
        brief_summary=_paragraphs(rng, _lognormal(rng, 400, 0.83, 40, 5000)),
        detailed_description=_paragraphs(rng, _lognormal(rng, 1180, 1.0, 60, 32000)) if rng.random() < 0.77 else None,
        minimum_age=_age(rng, True),
        maximum_age=_age(rng, False),
        sex=_weighted(rng, [("ALL", 90), ("FEMALE", 7), ("MALE", 3)]),
        healthy_volunteers=_weighted(rng, [(False, 76), (True, 20), (None, 4)]),
        responsible_party_type=_weighted(
            rng, [("SPONSOR", 60), ("PRINCIPAL_INVESTIGATOR", 34), ("SPONSOR_INVESTIGATOR", 3), (None, 3)]
        ),
        conditions=conditions,
    )
    _design(rng, record, observational)
    record.interventions = interventions
    record.arms = _arms(rng, _arm_count(rng), interventions, observational)
    record.criteria = _criteria(rng)
    record.sites = _sites(rng, _site_count(rng), status)
    record.countries = list(dict.fromkeys(site.country for site in record.sites if site.country))
    record.sponsors = _sponsors(rng)
    record.identifiers = _identifiers(rng)
    _keep_consistent(record)
    return record


def _first_day(date: str) -> str:
    return date + "-01-01"[len(date) - 4 :] if len(date) < 10 else date


def _age_days(age: str) -> float:
    number, unit = age.split(" ")
    return float(number) * {"Year": 365.25, "Month": 30.44, "Week": 7.0, "Day": 1.0}.get(unit.rstrip("s"), 1.0)


def _keep_consistent(record: Record) -> None:
    """Real records pass the warehouse rules: a start no later than the completion, a minimum
    age no higher than the maximum. Random draws can break both; repair them here."""
    dates = record.start_date, record.completion_date
    if dates[0] and dates[1] and _first_day(dates[1]) < _first_day(dates[0]):
        record.completion_date = record.start_date
    if record.minimum_age and record.maximum_age and _age_days(record.minimum_age) > _age_days(record.maximum_age):
        record.maximum_age = None


def _design(rng: random.Random, record: Record, observational: bool) -> None:
    if observational:
        record.observational_model = _weighted(
            rng, [("COHORT", 60), ("CASE_CONTROL", 15), ("CASE_ONLY", 10), ("OTHER", 10), (None, 5)]
        )
        record.time_perspective = _weighted(
            rng, [("PROSPECTIVE", 55), ("RETROSPECTIVE", 30), ("CROSS_SECTIONAL", 10), ("OTHER", 3), (None, 2)]
        )
        return
    record.allocation = _weighted(rng, [("RANDOMIZED", 65), ("NA", 25), ("NON_RANDOMIZED", 10)])
    record.intervention_model = _weighted(
        rng, [("PARALLEL", 65), ("SINGLE_GROUP", 25), ("CROSSOVER", 5), ("SEQUENTIAL", 3), ("FACTORIAL", 2)]
    )
    record.primary_purpose = _weighted(
        rng,
        [
            ("TREATMENT", 65),
            ("PREVENTION", 8),
            ("SUPPORTIVE_CARE", 6),
            ("DIAGNOSTIC", 4),
            ("HEALTH_SERVICES_RESEARCH", 5),
            ("BASIC_SCIENCE", 5),
            ("OTHER", 5),
            ("DEVICE_FEASIBILITY", 2),
        ],
    )
    record.masking = _weighted(rng, [("NONE", 48), ("SINGLE", 22), ("DOUBLE", 14), ("TRIPLE", 8), ("QUADRUPLE", 8)])


def shard_records(seed: int, shard: int, count: int) -> Iterator[Record]:
    """The records of one shard: nct_numbers shard*SHARD_SIZE .. +count, one generator per shard."""
    rng = random.Random(f"trial-warehouse-synth:{seed}:{shard}")
    first = shard * SHARD_SIZE
    for nct_number in range(first, first + count):
        yield synth_record(rng, nct_number)


# How each corpus format writes one record: (file suffix, renderer). The same records either way,
# so the benchmark can compare the formats on the same trials.
RENDERERS: dict[str, tuple[str, Callable[[Record], str]]] = {
    "page": (".txt", render_page),
    "json": (".json", render_json),
}

Job = tuple[int, int, int, str, int, str]  # seed, shard, count, out_dir, folder-name width, format


def _write_shard(job: Job) -> int:
    seed, shard, count, out_dir, width, fmt = job
    suffix, render = RENDERERS[fmt]
    folder = Path(out_dir) / f"{shard:0{width}d}"
    folder.mkdir(parents=True, exist_ok=True)
    for record in shard_records(seed, shard, count):
        (folder / f"{record.nct_id}{suffix}").write_bytes(render(record).encode("utf-8"))
    return count


def write_corpus(
    count: int,
    out_dir: Path,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    fmt: str = "page",
) -> None:
    """Write `count` pages as out_dir/<shard>/NCTxxxxxxxx.txt, at most SHARD_SIZE per folder
    (`fmt="json"`: the same records as API v2 studies, NCTxxxxxxxx.json, as the bulk download).

    `progress` is called with the number of pages written so far after each shard. The output
    depends only on (count, seed): shards are independent and seeded by their number.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = (count + SHARD_SIZE - 1) // SHARD_SIZE
    width = max(3, len(str(max(0, shards - 1))))
    jobs = [
        (seed, shard, min(SHARD_SIZE, count - shard * SHARD_SIZE), str(out_dir), width, fmt) for shard in range(shards)
    ]
    done = 0
    for written in _run_shards(jobs, min(workers or os.cpu_count() or 1, max(1, shards))):
        done += written
        if progress:
            progress(done)


def _run_shards(jobs: list[Job], workers: int) -> Iterator[int]:
    if workers == 1:
        # In-process: no pool start-up for small corpora, and easier to debug.
        yield from map(_write_shard, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_write_shard, jobs)
