"""Input formats: each module reads one kind of file into the same `recordpage.Record`.

A format says which file suffixes it reads, how one file splits into one-study units (a JSON
array holds many studies; a page is one), and how one unit parses to a Record. The landing scan,
archives, staging and load work on units, so a new format is one module plus its tests.

    from formats import format_for
    fmt = format_for("NCT04227327.json")          # None when no format reads the file
    for label, unit in fmt.units(text):           # label None: the file is one study
        record = fmt.parse(unit)                   # RecordError with a reason a person can act on

A format that can read a very large file in bounded memory also has
`iter_units(fh: BinaryIO, max_unit_bytes=None) -> Iterator[tuple[str | None, str]]` (see `streams`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol, runtime_checkable

from recordpage.model import Record


@runtime_checkable
class InputFormat(Protocol):
    name: str  # "page" | "ctgov_json" | "legacy_xml"; stored as source_format
    rank: int  # tie-break on equal Last Updated, higher wins: json 3, xml 2, page 1
    suffixes: tuple[str, ...]  # lower-case file suffixes it reads, e.g. (".json",)

    def units(self, text: str) -> Iterator[tuple[str | None, str]]:
        """Split one file's text into one-study units; label None when the file is one study."""
        ...

    def parse(self, text: str) -> Record:
        """One unit -> Record; raises RecordError with a reason."""
        ...


@runtime_checkable
class StreamingFormat(InputFormat, Protocol):
    """A format that can also split a file it reads as bytes, one unit at a time.

    `units(text)` needs the whole file as one string; a registry download can be a 1 GB JSON
    array, so this variant holds one study at a time instead.
    """

    def iter_units(self, fh: BinaryIO, max_unit_bytes: int | None = None) -> Iterator[tuple[str | None, str]]:
        """Units one at a time; a unit above `max_unit_bytes` raises RecordError instead of
        being held whole."""
        ...


from formats.ctgov_json import FORMAT as CTGOV_JSON  # noqa: E402  (formats need the Protocol first)
from formats.legacy_xml import FORMAT as LEGACY_XML  # noqa: E402
from formats.page import FORMAT as PAGE  # noqa: E402

FORMATS: tuple[InputFormat, ...] = (PAGE, CTGOV_JSON, LEGACY_XML)

_BY_SUFFIX: dict[str, InputFormat] = {s: f for f in FORMATS for s in f.suffixes}


def format_for(path: str) -> InputFormat | None:
    """The format that reads `path`, by its lower-cased suffix; None when none does."""
    lower = path.lower()
    dot = lower.rfind(".")
    if dot < 0 or "/" in lower[dot:]:
        return None
    return _BY_SUFFIX.get(lower[dot:])


def streams(fmt: InputFormat) -> bool:
    """True when `fmt` offers `iter_units` for reading a large file in bounded memory."""
    return callable(getattr(fmt, "iter_units", None))


__all__ = ["FORMATS", "InputFormat", "StreamingFormat", "format_for", "streams"]
