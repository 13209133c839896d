"""The registry's bulk zip read in ranges of its members (ingest.extract.zip_member_chunks and
ingest.landing): a range parses only its own central directory entries, and every range read
gives exactly what reading the whole zip at once gives, whatever the zip's quirks."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.extract import zip_member_chunks
from ingest.landing import read_archive
from staging.plan import LandingFile
from staging.settings import PAGE_BYTES, Limits
from tests.unit.formats.records import json_paths

STUDIES = json_paths()[:20]


def _write(target: Path, *, repeat: bool = False, prefix: bytes = b"", zip64: bool = False) -> LandingFile:
    buf = io.BytesIO()
    buf.write(prefix)
    with zipfile.ZipFile(buf, "a" if prefix else "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("NCT0000xxxx/"), b"")  # a folder entry
        zf.writestr("README.md", b"not a study")  # a file no format reads
        for k, path in enumerate(STUDIES):
            with zf.open(f"{path.stem[:7]}xxxx/{path.name}", "w", force_zip64=zip64) as fh:
                fh.write(path.read_bytes())
            if repeat and k == 12:
                zf.writestr(f"{STUDIES[3].stem[:7]}xxxx/{STUDIES[3].name}", json.dumps({"x": 1}))
    target.write_bytes(buf.getvalue())
    return LandingFile(target.name, target.stat().st_size, 0)


def _pages(root: Path, items: list[LandingFile]) -> list[tuple]:
    return [(p.path, p.sha256, p.text, p.error) for item in items for p in read_archive(root, item, Limits())]


@pytest.mark.parametrize(
    ("quirk", "ranged"),
    [({}, True), ({"zip64": True}, True), ({"repeat": True}, False), ({"prefix": b"#!/bin/sh\nexit 0\n" * 50}, True)],
    ids=["plain", "zip64", "repeated-name", "self-extractor"],
)
def test_ranges_read_what_the_whole_zip_holds(tmp_path: Path, quirk: dict, ranged: bool) -> None:
    item = _write(tmp_path / "ctg-studies.json.zip", **quirk)
    chunks = zip_member_chunks(tmp_path, item, 3 * PAGE_BYTES)
    assert len(chunks) > 3
    # A range knows where its central directory entries lie unless a name repeats (then the
    # labels `name#2` need the names before the range, so the worker reads them all).
    assert all(len(c.members or ()) == (4 if ranged else 2) for c, _ in chunks)
    assert [n for _, names in chunks for n in names][2:] == [
        i.filename for i in zipfile.ZipFile(tmp_path / item.path).infolist()
    ][2:]
    whole = _pages(tmp_path, [item])
    assert len(whole) == len(STUDIES) + quirk.get("repeat", 0)
    assert _pages(tmp_path, [c for c, _ in chunks]) == whole
    # The same ranges without their central directory bytes (the slower way) read the same.
    assert _pages(tmp_path, [replace(c, members=c.members[:2]) for c, _ in chunks]) == whole


def test_a_range_whose_directory_bytes_are_wrong_is_read_the_slow_way(tmp_path: Path) -> None:
    item = _write(tmp_path / "bulk.zip")
    chunk, _ = zip_member_chunks(tmp_path, item, 3 * PAGE_BYTES)[1]
    first, end, cd_from, cd_to = chunk.members
    wrong = replace(chunk, members=(first, end, cd_from + 7, cd_to))
    assert _pages(tmp_path, [wrong]) == _pages(tmp_path, [chunk])
