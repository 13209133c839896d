"""Legacy XML text blocks: undo the registry's hard wrapping.

The AllPublicXML writer wrapped every `<textblock>` at about 70-100 columns with `\\r\\n`,
indented list items (`          -  item`) and hung their continuation lines under the item's
text (`             rest of the item`), and put a blank line between items and paragraphs. Joining
a continuation back onto its item gives one logical line per item again; where a line starts a
new item without a blank line before it (a dedent, or a marker not hung under the item's text),
it stays a line of its own, so nothing is merged across items.
"""

from __future__ import annotations

import re

from recordpage.criteria import split_marker

_INDENT = re.compile(r"^[ \t]*")
# The writer wrapped near 100 columns (no wrapped line in the shared records is under 76): a
# shorter line ended where its author ended it (`Inclusion Criteria:`), so the next line is new.
_WRAPPED = 60


def _indent(line: str) -> int:
    return len(_INDENT.match(line)[0].expandtabs(4))  # type: ignore[index]


def logical_lines(block: str) -> list[str]:
    """Text block -> one line per item or paragraph, each with its first line's indentation.

    Blank lines separate items and are kept (as ''), so a consumer that reads indentation or
    paragraphs still can. Continuation lines are joined with one space.
    """
    out: list[str] = []
    start = -1  # index in `out` of the item being continued, -1 after a blank line
    indent = text_col = previous = 0
    for raw in block.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            start = -1
            continue
        here = _indent(line)
        body = line.strip()
        marker = split_marker(body)[0]
        if start >= 0 and previous >= _WRAPPED and _continues(here, marker, indent, text_col):
            out[start] += " " + body
            previous = len(line)
            continue
        previous = len(line)
        out.append(line)
        start = len(out) - 1
        indent = here
        text_col = here + (len(body) - len(split_marker(body)[1]) if marker else 0)
    while out and out[-1] == "":
        out.pop()
    while out and out[0] == "":
        out.pop(0)
    return out


def _continues(here: int, marker: str | None, indent: int, text_col: int) -> bool:
    """Is a line at column `here` a wrapped continuation of the item starting at `indent`?"""
    if here < indent:
        return False  # a dedent starts something new (`Exclusion Criteria:` after an item)
    if here == text_col and text_col > indent:
        return True  # hung under the item's text: a wrap even if it looks like a marker (`(ACR) Test`)
    # Flush with the item, or deeper but not hung: a wrap unless it starts an item of its own.
    return marker is None


def free_text(block: str | None) -> str | None:
    """A description text block -> paragraphs unwrapped, indentation dropped, one blank line between."""
    if block is None:
        return None
    lines = logical_lines(block)
    paragraphs = [line.strip() for line in lines if line.strip()]
    return "\n\n".join(paragraphs) or None
