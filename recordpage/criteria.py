"""Eligibility criteria: one row per non-blank line, marker apart from text, nesting from markers.

The page has lost the source's indentation, so depth is inferred from list markers the way a
reader would: a marker of a style not yet open starts a nested list under the previous item; a
style already open closes the lists nested inside it; a numbered list restarting at 1 (or `a`)
right after an item of the same style is nested under that item (`8. ... following:` then
`1.`, `2.`), and the outer list resumes when its next number appears (`9.`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recordpage.layout import EXCLUSION_HEADING, INCLUSION_HEADING
from recordpage.model import Criterion

_MARKER = re.compile(
    r"^(?:"
    r"(?P<num>\d{1,3})(?P<num_p>[.)])"
    r"|\((?P<pnum>\d{1,3})\)"
    r"|(?P<roman>(?:i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii))(?P<roman_p>[.)])"
    r"|(?P<ROMAN>(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII))(?P<ROMAN_p>[.)])"
    r"|(?P<alpha>[a-z])(?P<alpha_p>[.)])"
    r"|(?P<ALPHA>[A-Z])(?P<ALPHA_p>[.)])"
    r"|\((?P<palpha>[a-z])\)"
    r"|(?P<bullet>[*\-•·o▪◦●■\u2013+])"
    r")(?: +|$)"
)
# Heading lines, matched case-blind, with or without `Key` and a colon (`Key Inclusion Criteria:`).
# Other sub-headings (`Radiological Exclusion Criteria`) are rows of their own.
# Whatever ends a heading as typed: `Inclusion Criteria:`, `.`, ` -`, a full-width colon.
_HEADING_END = " :.-\u2013\u2014\uff1a"
_HEADINGS = {
    prefix + heading.lower(): kind
    for heading, kind in ((INCLUSION_HEADING, "inclusion"), (EXCLUSION_HEADING, "exclusion"))
    for prefix in ("", "key ")
}


@dataclass(slots=True)
class _Open:
    style: str
    value: int | None  # position in an ordered list, None for bullets
    ordinal: int  # criterion ordinal of the latest item at this level
    also: str | None = None  # the style of a list this level interrupted in mid-count, still open


def split_marker(line: str) -> tuple[str | None, str, str | None, int | None]:
    """-> (marker, text, style, position). Style names a marker family; position orders it."""
    m = _MARKER.match(line)
    if not m:
        return None, line, None, None
    end = m.end()
    text = line[end:]
    if not text:  # a lone '-' or '1.' line is text, not an empty item
        return None, line, None, None
    # A page uses a few dozen distinct markers: decode each once per process.
    token = line[:end]
    info = _TOKENS.get(token)
    if info is None:
        info = _decode_marker(m, token.rstrip())
        if len(_TOKENS) < 10_000:  # bounded: odd spacing must not grow it without end
            _TOKENS[token] = info
    return info[0], text, info[1], info[2]


def _decode_marker(m: re.Match[str], marker: str) -> tuple[str, str, int | None]:
    kind = (m.lastgroup or "").removesuffix("_p")
    if kind == "num" or kind == "pnum":
        value = int(m["num"] or m["pnum"])
        style = "num" + (m["num_p"] or "()")
    elif kind in ("roman", "ROMAN"):
        value = _ROMAN[m[kind].lower()]
        style = kind + m[kind + "_p"]
    elif kind in ("alpha", "ALPHA"):
        value = ord(m[kind].lower()) - 96
        style = kind + m[kind + "_p"]
    elif kind == "palpha":
        value = ord(m["palpha"]) - 96
        style = "palpha"
    else:
        value = None
        style = "bullet" + marker
    return marker, style, value


_TOKENS: dict[str, tuple[str, str, int | None]] = {}


_MARKDOWN_BULLETS = frozenset({"*", "-", "+"})
_DOUBLE_BULLETS = frozenset({"• ", "· ", "▪ ", "◦ ", "● "})
_ROMAN = {
    r: i for i, r in enumerate(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"], start=1)
}


def parse_criteria(lines: list[str]) -> list[Criterion]:
    """Criteria from page lines, which have lost their indentation: nesting from markers."""
    out: list[Criterion] = []
    kind = "unspecified"
    stack: list[_Open] = []
    # The lists an unmarked line interrupted: the next item resumes them if it continues one.
    suspended: list[_Open] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        heading_kind = _heading_kind(line)
        if heading_kind is not None:
            kind = heading_kind
            stack, suspended = [], []
            continue
        marker, text, style, value = split_marker(line)
        ordinal = len(out) + 1
        if style is None:
            # Unmarked line: a sub-heading or free sentence, kept at the top level. A note inside
            # a numbered list does not end it: `10.`, a note, then `11.` continues the list.
            if stack:
                suspended = stack
            stack = []
            out.append(Criterion(kind, None, text, 0, None))
            continue
        if style[0] in "rR":
            style, value = _disambiguate_roman(style, value, marker or "", stack or suspended)
        if text[:2] in _DOUBLE_BULLETS:
            # `* • item` is a parent whose children are plain `* item` lines.
            style += text[0]
        if suspended:
            resumed = _resumes(suspended, style, value)
            if resumed is not None:
                stack, suspended = resumed, []
        depth = _place(stack, style, value)
        parent = stack[depth - 1].ordinal if depth > 0 else None
        _push(stack, depth, style, value, ordinal)
        if marker in _MARKDOWN_BULLETS:
            # `* 1. item`: a bullet holding an ordered list whose next items (`2.`) nest under it.
            _, inner_text, inner_style, inner_value = split_marker(text)
            if inner_style is not None and inner_value == 1 and inner_text != text:
                stack.append(_Open(inner_style, inner_value, ordinal))
        out.append(Criterion(kind, marker, text, depth, parent))
    return out


def parse_criteria_text(text: str) -> list[Criterion]:
    """Criteria from a source text block that keeps its indentation (API v2 JSON).

    Depth is one level per deeper indent within a kind (a heading starts the kind afresh), as
    the registry's own text nests its lists; markers give each row its marker and text only.
    """
    out: list[Criterion] = []
    kind = "unspecified"
    indents: list[tuple[int, int]] = []  # (indent, ordinal of the latest row at that level)
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        heading_kind = _heading_kind(line)
        if heading_kind is not None:
            kind = heading_kind
            indents = []
            continue
        width = _indent(raw)
        while indents and indents[-1][0] > width:
            indents.pop()
        if indents and indents[-1][0] == width:
            indents.pop()
        depth = len(indents)
        parent = indents[-1][1] if indents else None
        ordinal = len(out) + 1
        indents.append((width, ordinal))
        marker, body, _, _ = split_marker(line)
        out.append(Criterion(kind, marker, body, depth, parent))
    return out


def _indent(raw: str) -> int:
    """Leading whitespace width; a tab counts as four spaces, a no-break space as one."""
    n = 0
    for ch in raw:
        if ch == " " or ch == "\xa0":
            n += 1
        elif ch == "\t":
            n += 4
        elif ch != "\r":
            break
    return n


def _heading_kind(line: str) -> str | None:
    # Headings are short and start with I, E or K: skip the lookup for everything else.
    if len(line) < 30 and line[0] in "IEKiek":
        return _HEADINGS.get(line.rstrip(_HEADING_END).lower())
    return None


def _resumes(suspended: list[_Open], style: str, value: int | None) -> list[_Open] | None:
    """The open lists again, up to the outermost one that an item of `style` numbered `value`
    continues (`7.` with a nested `1.`-`7.`, a note, then `8.`: the outer list); None if none."""
    if value is None:
        return None
    for depth, level in enumerate(suspended):
        if level.value is not None and value == level.value + 1 and style in (level.style, level.also):
            return suspended[: depth + 1]
    return None


def _push(stack: list[_Open], depth: int, style: str, value: int | None, ordinal: int) -> None:
    """Make the new item the open item at `depth`. An item of a new style in mid-count takes the
    place of the list it interrupts without closing it: that list's next items keep their depth."""
    also = None
    if depth < len(stack):
        replaced = stack[depth]
        if replaced.style != style and value is not None and value > 1:
            also = replaced.style
        elif replaced.style == style:
            also = replaced.also
    del stack[depth:]
    stack.append(_Open(style, value, ordinal, also))


def _disambiguate_roman(style: str, value: int | None, marker: str, stack: list[_Open]) -> tuple[str, int | None]:
    """`i.` continues an open a./b./... list as the letter i; otherwise it is a roman numeral."""
    if style.startswith(("roman", "ROMAN")) and len(marker) == 2:
        letter_style = ("alpha" if style.startswith("roman") else "ALPHA") + style[-1]
        for level in stack:
            if level.style == letter_style:
                return letter_style, ord(marker[0].lower()) - 96
    return style, value


def _place(stack: list[_Open], style: str, value: int | None) -> int:
    """Depth for a new item of `style`, given the open lists."""
    if stack:
        top = stack[-1]
        next_item = top.style == style and (value is None or (top.value is not None and value == top.value + 1))
        # The common case, the next item of the innermost list: no search needed.
        if next_item and (value is None or len(stack) == 1 or not any(lv.style == style for lv in stack[:-1])):
            return len(stack) - 1
    same = [d for d, level in enumerate(stack) if style in (level.style, level.also)]
    if not same:
        if value is not None and value > 1 and stack:
            # `9)` in a new style but mid-count: the writer switched punctuation, not levels.
            return len(stack) - 1
        # A style not open yet: nested under the current item (top level if none is open).
        return len(stack)
    if value is None:
        return same[-1]
    # The next number of an open list continues it; when two open lists could both continue
    # (`2.` with a nested `1. 2.`, then `3.`), the inner one does, as in the shared records.
    for depth in reversed(same):
        previous = stack[depth].value
        if previous is not None and value == previous + 1:
            return depth
    if value == 1 and same[-1] == len(stack) - 1:
        # `1.` right after `8.` of the same style: a list nested under item 8.
        return len(stack)
    return same[-1]
