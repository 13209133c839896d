"""The record page (plain text, one trial per file): `recordpage.parse_page` behind InputFormat."""

from __future__ import annotations

from collections.abc import Iterator

from recordpage import parse_page
from recordpage.model import Record


class PageFormat:
    name = "page"
    rank = 1
    suffixes: tuple[str, ...] = (".txt",)

    def units(self, text: str) -> Iterator[tuple[str | None, str]]:
        # A page file is one study, so the unit is the file's text unchanged.
        yield None, text

    def parse(self, text: str) -> Record:
        record = parse_page(text)
        record.source_format = self.name
        return record


FORMAT = PageFormat()
