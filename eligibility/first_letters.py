"""The letters a regular expression's match can begin with, read from its parse tree.

Used to try only the concept names a word's first letter allows (concepts.mentions). The
parse tree is `re`'s own (`re._parser`); anything this reader does not know makes the
answer "any letter", so a pattern is never skipped where it could match.
"""

from __future__ import annotations

import re
import string
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

ANY = frozenset(string.ascii_letters)
_REPEATS = tuple(getattr(sre, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(sre, name))


def first_letters(pattern: str, flags: int = re.IGNORECASE | re.ASCII) -> frozenset[str]:
    """ASCII letters a match of `pattern` can start with (every letter when it cannot tell)."""
    try:
        letters, empty = _sequence(list(_parser.parse(pattern, flags)), flags)
    except (AttributeError, TypeError, ValueError, re.error):
        return ANY
    return ANY if empty else frozenset(letters) & ANY


def _sequence(items: list, flags: int) -> tuple[set[str], bool]:
    """(first letters, whether the sequence can match the empty string)."""
    out: set[str] = set()
    for op, av in items:
        letters, empty = _element(op, av, flags)
        out |= letters
        if not empty:
            return out, False
    return out, True


def _cased(code: int, flags: int) -> set[str]:
    c = chr(code)
    return {c.lower(), c.upper()} if flags & re.IGNORECASE else {c}


def _element(op: object, av: Any, flags: int) -> tuple[set[str], bool]:
    if op is sre.LITERAL:
        return _cased(av, flags), False
    if op is sre.IN:
        return _charset(av, flags), False
    if op is sre.BRANCH:
        out, empty = set(), False
        for branch in av[1]:
            letters, e = _sequence(list(branch), flags)
            out |= letters
            empty |= e
        return out, empty
    if op is sre.SUBPATTERN:
        _, add, remove, sub = av
        return _sequence(list(sub), (flags | add) & ~remove)
    if op in _REPEATS:
        low, _, sub = av
        letters, empty = _sequence(list(sub), flags)
        return letters, empty or low == 0
    if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT):
        return set(), True  # zero-width: the letter comes from what follows
    return set(ANY), False  # anything else (any character, a group reference): every letter


def _charset(items: list, flags: int) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            out |= _cased(av, flags)
        elif op is sre.RANGE:
            for code in range(av[0], av[1] + 1):
                out |= _cased(code, flags)
        else:  # a category, a negation: every letter
            return set(ANY)
    return out
