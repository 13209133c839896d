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

from formats import FORMATS, InputFormat, StreamingFormat, streams
from ingest.landing import PageRead, labeller, read_landing_item
from recordpage.model import RecordError
from staging.plan import ARCHIVE_SEPARATOR, LandingFile
from staging.settings import Limits

_BY_SUFFIX: dict[str, InputFormat] = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
# The registry's own one-study files start with their protocol section: no need to parse
# them twice (once to find they hold one study, once to read it).
_REPEAT = re.compile(r"#\d+\Z")
_ONE_JSON_STUDY = re.compile(r'\A\ufeff?\s*\{\s*"protocolSection"')


def format_of(path: str) -> InputFormat | None:
    """The format of a unit, an archive member or a file by its path: the last part of
    `a.zip::b.json::NCT01234567` that names a file a format reads."""
    for part in reversed(path.split(ARCHIVE_SEPARATOR)):
        part = _REPEAT.sub("", part)  # `same.txt#2`: the second member of that name (landing.labeller)
        dot = part.rfind(".")
        fmt = _BY_SUFFIX.get(part[dot:].lower()) if dot >= 0 else None
        if fmt is not None:
            return fmt
    return None


def is_streamed(item: LandingFile, limits: Limits) -> bool:
    """A plain file above the page limit whose format can read it one study at a time."""
    fmt = format_of(item.path)
    return not item.is_archive and item.size > limits.max_page_bytes and fmt is not None and streams(fmt)


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
        fmt.iter_units(io.BytesIO(page.text.encode("utf-8")))  # type: ignore[attr-defined]
        if streams(fmt)
        else fmt.units(page.text)
    )
    try:
        for name, text in found:
            if name is None:
                return [page]
            units.append(_unit(page.path, label(name), text, page))
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
    assert fmt is not None and streams(fmt)
    streaming: StreamingFormat = fmt  # type: ignore[assignment]
    if item.size > limits.max_archive_bytes:
        yield _failed(
            item.path, item, f"file is {item.size:,} bytes, above the {limits.max_archive_bytes:,}-byte limit"
        )
        return
    label = labeller()
    try:
        with open(os.path.join(root, item.path), "rb") as fh:
            for name, text in streaming.iter_units(fh):
                unit = _unit(item.path, label(name or item.path), text, None, item)
                if unit.size > limits.max_page_bytes:
                    unit = _failed(unit.path, item, f"study is {unit.size:,} bytes, above the page limit")
                yield unit
    except RecordError as exc:
        yield _failed(f"{item.path}{ARCHIVE_SEPARATOR}{label('rest')}", item, str(exc))
    except OSError as exc:
        yield _failed(item.path, item, f"file cannot be read: {exc.strerror}")


def _unit(path: str, name: str, text: str, page: PageRead | None, item: LandingFile | None = None) -> PageRead:
    data = text.encode("utf-8")
    mtime_ns = page.mtime_ns if page else item.mtime_ns if item else 0
    encoding = page.encoding if page else "utf-8"
    return PageRead(f"{path}{ARCHIVE_SEPARATOR}{name}", len(data), mtime_ns, hashlib.sha256(data).hexdigest(), text,
                    encoding, None, None)  # fmt: skip


def _failed(path: str, item: LandingFile, error: str) -> PageRead:
    return PageRead(path, 0, item.mtime_ns, hashlib.sha256(b"").hexdigest(), None, None, None, error)
