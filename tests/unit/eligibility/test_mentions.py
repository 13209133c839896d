"""Concept mentions found by first-letter dispatch are exactly MENTION's, on every real line."""

from __future__ import annotations

import re

from eligibility.concepts import _NAMES, MENTION, mentions
from eligibility.first_letters import ANY, first_letters
from eligibility.grammar import normalize
from tests.unit.eligibility.gold import gold_lines
from tests.unit.eligibility.speed import shared_criteria


def _spans(matches: list[re.Match[str]]) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.lastgroup) for m in matches]


def test_dispatch_finds_what_the_whole_alternation_finds() -> None:
    lines = [*shared_criteria().get_column("text").to_list(), *(g["text"] for g in gold_lines())]
    found = 0
    for text in lines:
        s = normalize(text)
        expected = _spans(list(MENTION.finditer(s)))
        assert _spans(mentions(s)) == expected, text
        found += len(expected)
    assert found > 3000  # the lines do name concepts


def test_first_letters_of_each_form() -> None:
    assert first_letters(r"platelets?") == frozenset("pP")
    assert first_letters(r"(?-i:PLTs?)") == frozenset("P")  # case kept where the pattern sets it
    assert first_letters(r"(?:serum\s+)?creatinine") == frozenset("sScC")  # an optional prefix
    assert first_letters(r"a?ptt") == frozenset("aApP")
    assert first_letters(r"(?:hb|hgb)\s*a1c|glyc") == frozenset("hHgG")
    assert first_letters(r"\w+") == ANY  # a class it does not spell out: every letter
    assert first_letters(r"(?:x)?") == ANY  # can match nothing: what follows decides


def test_every_concept_name_is_reachable() -> None:
    for concept, pattern in _NAMES:
        assert first_letters(pattern), concept
