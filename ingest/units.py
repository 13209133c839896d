"""One landing file (or archive member) -> the one-study units its format finds in it.

A page or a single-study JSON or XML file is one unit, its path the file's. A JSON array or
an API response page holds many: each becomes a unit of its own, `<file>::<NCT ID>`, as an
archive member is, so incremental skipping, versions and quarantine work per study. A file
too big for one page is read as a stream by a format that can, one study at a time.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from formats import InputFormat, StreamingFormat, format_for
from ingest.landing import PageRead, failed, labeller, member_failed, read_landing_item
from recordpage.model import RecordError
from staging.plan import ARCHIVE_SEPARATOR, LandingFile
from staging.settings import Limits

_REPEAT = re.compile(r"#\d+\Z")
# The registry's own one-study files start with their protocol section: no need to parse
# them twice (once to find they hold one study, once to read it).
_ONE_JSON_STUDY = re.compile(r'\A\ufeff?\s*\{\s*"protocolSection"')


def format_of(path: str) -> InputFormat | None:
    """The format of a unit, an archive member or a file by its path: the last part of
    `a.zip::b.json::NCT01234567` that names a file a format reads."""
    for part in reversed(path.split(ARCHIVE_SEPARATOR)):
        # `same.txt#2`: the second member of that name (landing.labeller)
        fmt = format_for(_REPEAT.sub("", part))
        if fmt is not None:
            return fmt
    return None


def is_streamed(item: LandingFile, limits: Limits) -> bool:
    """A plain file above the page limit whose format can read it one study at a time."""
    fmt = format_of(item.path)
    return not item.is_archive and item.size > limits.max_page_bytes and isinstance(fmt, StreamingFormat)


def read_units(root: Path, item: LandingFile, limits: Limits) -> list[PageRead]:
    """Every unit of one landing file: its pages (an archive's members), each split by its format."""
    if is_streamed(item, limits):
        return list(stream_units(root, item, limits))
    return [unit for page in read_landing_item(root, item, limits) for unit in split_units(page)]


def split_units(page: PageRead) -> list[PageRead]:
    """A page read whole -> its units; the page itself when it is one study, or when it cannot
    be split (the parse then says what is wrong with it, its bytes kept)."""
    fmt = format_of(page.path)
    if fmt is None or page.text is None or page.error or fmt.name == "page" or _ONE_JSON_STUDY.match(page.text):
        return [page]
    units: list[PageRead] = []
    label = labeller()
    found = (
        fmt.iter_units(io.BytesIO(page.text.encode("utf-8")))
        if isinstance(fmt, StreamingFormat)
        else fmt.units(page.text)
    )
    try:
        for name, text in found:
            if name is None:
                return [page]
            units.append(_unit(f"{page.path}{ARCHIVE_SEPARATOR}{label(name)}", text, page.mtime_ns, page.encoding))
    except RecordError as exc:
        if not units:
            return [page]  # nothing whole in it: the parse says why, with the file's bytes
        # Cut off part-way: the whole studies load; the file's text is kept under `::rest`.
        units.append(replace(page, path=f"{page.path}{ARCHIVE_SEPARATOR}{label('rest')}", error=str(exc)))
    return units


def stream_units(root: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    """The units of a file too big to read whole, one at a time. A file cut off or damaged
    part-way yields the studies before the damage, then a failed unit saying why."""
    fmt = format_of(item.path)
    assert isinstance(fmt, StreamingFormat)
    if item.size > limits.max_archive_bytes:
        yield failed(item, f"file is {item.size:,} bytes, above the {limits.max_archive_bytes:,}-byte limit")
        return
    label = labeller()
    try:
        with open(os.path.join(root, item.path), "rb") as fh:
            for name, text in fmt.iter_units(fh, limits.max_page_bytes):
                member = label(name or item.path)
                unit = _unit(f"{item.path}{ARCHIVE_SEPARATOR}{member}", text, item.mtime_ns, "utf-8")
                if unit.size > limits.max_page_bytes:
                    unit = member_failed(item, member, f"study is {unit.size:,} bytes, above the page limit")
                yield unit
    except RecordError as exc:
        yield member_failed(item, label("rest"), str(exc))
    except OSError as exc:
        yield failed(item, f"file cannot be read: {exc.strerror}")


def _unit(path: str, text: str, mtime_ns: int, encoding: str | None) -> PageRead:
    data = text.encode("utf-8")
    return PageRead(path, len(data), mtime_ns, hashlib.sha256(data).hexdigest(), text, encoding, None, None)
