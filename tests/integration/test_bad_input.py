"""A bad-input corpus generated in tmp_path, ingested in one run beside 20 real pages.

`CASES` is the table: one landing path (a file, or `archive::member`) per row with what must
become of it. Pages a person can still read load with the right values; everything else lands
in rejected_records with a reason that says what to fix; duplicates are kept as versions; and
no input makes the run fail. One test per row, plus checks over the whole run.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import resource
import shutil
import struct
import sys
import tarfile
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from ingest.landing import read_landing_item, scan
from pipelines.ingest_run import Summary
from schemas import CORE_TABLES
from staging.settings import Limits
from tests.integration.conftest import SEED, SHARED, run

SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_NCT = "NCT04227327"
SEED_TITLE = SEED_TEXT.split("\n", 1)[0]
GOOD_SHARED = 20  # real pages ingested in the same run: none of them may suffer
MIB = 1024 * 1024


def mode_000_blocks_reading() -> bool:
    """Root (or anyone with CAP_DAC_OVERRIDE) reads a chmod 000 file: then that case proves nothing."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_bytes(b"x")
        probe.chmod(0)
        try:
            probe.read_bytes()
        except PermissionError:
            return True
        return False


MODE_000_SKIP = (
    None
    if mode_000_blocks_reading()
    else "this process reads chmod 000 files (root, CAP_DAC_OVERRIDE): proc-mem.txt is the unreadable case"
)

Writer = Callable[[Path], None]  # creates the case's file at the given landing path


# --- the outcomes a case can expect ---------------------------------------------------------


@dataclass(frozen=True)
class Loads:
    """The page reaches the core tables as trial `nct_id`, from this path."""

    nct_id: str
    fields: dict[str, object] = field(default_factory=dict)  # trials column -> exact value
    contains: dict[str, str] = field(default_factory=dict)  # trials column -> substring
    encoding: str | None = None  # source_records.encoding, when it matters
    extra: tuple[str, str] | None = None  # (section, content substring) in extra_sections


@dataclass(frozen=True)
class Rejected:
    """In rejected_records; the reason holds every one of `words` (case-insensitive)."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Superseded:
    """A duplicate NCT ID that lost to `winner`: kept in trial_versions, never current."""

    nct_id: str
    winner: str


@dataclass(frozen=True)
class NotRead:
    """Nothing at or below this path is read (a link that must not be followed)."""

    why: str


Outcome = Loads | Rejected | Superseded | NotRead


@dataclass(frozen=True)
class Case:
    path: str  # landing path as source_records names it
    expect: Outcome
    write: Writer | None = None  # None: another case's archive holds this member
    skip: str | None = None  # the case cannot be built here (it is then not written at all)
    bug: str | None = None  # a known product bug: the case is xfail(strict) until it is fixed


# --- building pages from the seed -----------------------------------------------------------


def nct(n: int) -> str:
    return f"NCT9{n:07d}"


def page(nct_id: str, *edits: tuple[str, str]) -> str:
    """The seed page as trial `nct_id`, with (old, new) replacements applied once each."""
    text = SEED_TEXT.replace(SEED_NCT, nct_id)
    for old, new in edits:
        # A seed page that changed shape must fail loudly, not silently test nothing.
        assert old in text, f"the seed page no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text


def section(heading: str, next_heading: str) -> str:
    """One whole section of the seed: its heading up to the next section's heading."""
    start = SEED_TEXT.index(f"\n{heading}\n\n") + 1
    return SEED_TEXT[start : SEED_TEXT.index(f"\n{next_heading}\n\n", start) + 1]


def brief(title: str) -> str:
    """The title line without its acronym: what trials.brief_title holds."""
    return title.removesuffix(" (HERMIONE-7)")


DESCRIPTION_LINE = "procedures in greater depth.\n\n"  # end of Detailed Description's fixed line
LONG_LINE = ("START " + "abemaciclib " * 9000)[: 100_000 - 4] + " END"
UNKNOWN_SECTION = (
    "Funding Notes\n\n"
    "This part of the page explains who paid for the trial and how the money was spent.\n\n"
    "Funded by a grant from the Example Foundation.\n\n"
)
LATIN1_TITLE = "Étude évaluant l'abémaciclib chez des patientes françaises (HERMIONE-7)"
CP1252_TITLE = "“Smart” quotes – a page saved on Windows (HERMIONE-7)"  # noqa: RUF001 (the point)
CONDITIONS = section("Conditions", "Study Design")
SAVED_HTML = (
    "<!DOCTYPE html>\n<html lang='en'><head><title>Record</title></head><body><pre>\n{}\n</pre></body></html>\n"
)


def text_file(content: str, encoding: str = "utf-8", errors: str = "strict", prefix: bytes = b"") -> Writer:
    return raw_file(lambda: prefix + content.encode(encoding, errors))


def raw_file(data: Callable[[], bytes]) -> Writer:
    def write(target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data())

    return write


def sized_page(nct_id: str, size: int) -> Writer:
    """A valid page padded in its Detailed Description to exactly `size` bytes."""

    def data() -> bytes:
        head, tail = page(nct_id).encode().split(DESCRIPTION_LINE.encode(), 1)
        pad = size - len(head) - len(tail) - len(DESCRIPTION_LINE) - 2
        return head + DESCRIPTION_LINE.encode() + (b"filler text " * (pad // 12 + 1))[:pad] + b"\n\n" + tail

    return raw_file(data)


def symlink(target_name: str) -> Writer:
    def write(target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(target_name)

    return write


def fifo(target: Path) -> None:
    os.mkfifo(target)


def mode_000(target: Path) -> None:
    target.write_text(page(nct(601)), encoding="utf-8")
    target.chmod(0)


def non_utf8_name(target: Path) -> None:
    # The case's path is the name as the run shows it (escaped); the real name is Latin-1 bytes.
    with open(os.fsencode(target.parent) + b"/caf\xe9.txt", "wb") as fh:
        fh.write(page(nct(701)).encode())


Members = Callable[[], list[tuple[str, bytes]]]  # built only when written: bombs are big


def zip_file(members: Members, patch: Callable[[bytearray], None] | None = None) -> Writer:
    def data() -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": one case wants that
            for name, content in members():
                zf.writestr(zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED)
        out = bytearray(buf.getvalue())
        if patch:
            patch(out)
        return bytes(out)

    return raw_file(data)


def zip_headers(data: bytearray, member: str) -> Iterator[tuple[int, int]]:
    """(offset, kind) of the local (0) and central (1) header of `member` in a zip's bytes."""
    for kind, signature, name_at in ((0, b"PK\x03\x04", 30), (1, b"PK\x01\x02", 46)):
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            if data[at + name_at : at + name_at + len(member)] == member.encode():
                yield at, kind


def declare_size(member: str, size: int) -> Callable[[bytearray], None]:
    """A header that lies: it declares `size` bytes while the data inflates to far more."""

    def patch(data: bytearray) -> None:
        for at, kind in zip_headers(data, member):
            struct.pack_into("<I", data, at + (22 if kind == 0 else 24), size)

    return patch


def encrypt_flag(member: str) -> Callable[[bytearray], None]:
    """Mark a member password-protected, as an encrypting zip tool would."""

    def patch(data: bytearray) -> None:
        for at, kind in zip_headers(data, member):
            data[at + (6 if kind == 0 else 8)] |= 0x01

    return patch


def truncated_zip(target: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("page.txt", page(nct(801)))
    target.write_bytes(buf.getvalue()[:-40])  # the central directory's end is gone


def tar_entry(name: str, data: bytes = b"", *, size: int | None = None, link: str | None = None) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(data) if size is None else size
    if link is not None:
        info.type, info.linkname, info.size = tarfile.SYMTYPE, link, 0
    return info.tobuf(format=tarfile.GNU_FORMAT) + data + b"\0" * (-len(data) % 512)


def tar_gz(entries: list[bytes]) -> Writer:
    return raw_file(lambda: gzip.compress(b"".join(entries) + b"\0" * 1024))


def hostile_tar(declared: int) -> Writer:
    """A .tar.gz: a good page, a `../` member, a symlink member, then a member declaring
    `declared` zero bytes (built from one compressed 16 MiB block repeated, so it costs
    nothing to write and a lot to inflate), then a page no reader can reach cheaply."""

    def write(target: Path) -> None:
        block = 16 * MIB
        zeros = gzip.compress(b"\0" * block, compresslevel=9)
        with open(target, "wb") as fh:
            fh.write(gzip.compress(tar_entry("good.txt", page(nct(901)).encode())))
            fh.write(gzip.compress(tar_entry("../up.txt", page(nct(902)).encode())))
            fh.write(gzip.compress(tar_entry("link.txt", link="/etc/passwd")))
            fh.write(gzip.compress(tar_entry("bomb.txt", size=declared)))
            for _ in range(declared // block):
                fh.write(zeros)  # concatenated gzip members are one valid gzip stream
            fh.write(gzip.compress(tar_entry("after.txt", page(nct(903)).encode()) + b"\0" * 1024))

    return write


# --- the table --------------------------------------------------------------------------------


def zip_bomb_members() -> list[tuple[str, bytes]]:
    return [
        ("good-1.txt", page(nct(501)).encode()),
        ("huge.txt", b"\0" * (64 * MIB)),  # declares 64 MiB, 4x the page limit
        ("ratio.txt", b"\0" * (8 * MIB)),  # under the page limit, but ~1000:1
        ("liar.txt", b"\0" * (8 * MIB)),  # declares 5,000 bytes (patched below)
        ("good-2.txt", page(nct(502)).encode()),
    ]


def json_study(nct_id: str) -> dict:
    """A real API v2 study (the first shared JSON record) under another NCT ID."""
    study = json.loads(next(iter(sorted((SHARED / "ctgov-json").glob("*.json")))).read_text())
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    return study


def cut_array() -> bytes:
    """Two whole studies, then a third cut off mid-way: a download that stopped."""
    whole = json.dumps([json_study(nct(602)), json_study(nct(603)), json_study(nct(604))])
    return whole[: len(whole) - 2000].encode()


GIB = 1024 * MIB


GIGABYTE = [nct(n) for n in range(1000, 1070)]  # the studies of the 1 GiB array


def gigabyte_array(target: Path) -> None:
    """A 1 GiB search download: 70 studies with 15 MiB of whitespace (valid JSON) before each
    but the first, written a MiB at a time. Read whole, it would be 64 times the page limit;
    streamed, each study and the gap before it stay within the limit, so all of them load."""
    block = (b" " * 1023 + b"\n") * 1024
    with open(target, "wb") as fh:
        fh.write(b"[")
        for k, nct_id in enumerate(GIGABYTE):
            if k:
                fh.write(b",")
                for _ in range(15):
                    fh.write(block)
            fh.write(json.dumps(json_study(nct_id)).encode())
        fh.write(b"]")


def huge_study_array() -> bytes:
    """A 20 MiB array whose second study alone (an 18 MiB summary) is above the page limit."""
    huge = json_study(nct(622))
    huge["protocolSection"]["descriptionModule"]["briefSummary"] = "x" * (18 * MIB)
    return json.dumps([json_study(nct(621)), huge, json_study(nct(623))]).encode()


XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<clinical_study><id_info><nct_id>NCT00000609</nct_id></id_info><brief_title>&lol3;</brief_title></clinical_study>
"""


ZIP_BOMB = zip_file(zip_bomb_members, declare_size("liar.txt", 5_000))
TAR_BOMB = hostile_tar(4 * 1024 * MIB)

CASES: list[Case] = [
    # A plain copy of the seed: the yardstick for the readable variants below.
    Case("reference.txt", Loads(nct(1), {"brief_title": brief(SEED_TITLE), "enrollment": 31}, encoding="utf-8"),
         text_file(page(nct(1)))),
    # Nothing to read.
    Case("empty.txt", Rejected(("empty",)), raw_file(lambda: b"")),
    Case("whitespace.txt", Rejected(("empty",)), raw_file(lambda: b" \n\t \r\n\n   \n")),
    Case("binary.txt", Rejected(("not text", "binary")), raw_file(lambda: random.Random(7).randbytes(8192))),
    Case("html-404.txt", Rejected(("HTML", "plain text")),
         text_file("<!DOCTYPE html>\n<html><head><title>404</title></head><body><h1>Not Found</h1></body></html>\n")),
    Case("html-saved-page.txt", Rejected(("HTML", "plain text")), text_file(SAVED_HTML.format(page(nct(2))))),
    # Encodings and line ends a person reads without noticing: all load, values intact.
    Case("bom.txt", Loads(nct(3), {"brief_title": brief(SEED_TITLE), "acronym": "HERMIONE-7"}, encoding="utf-8-sig"),
         text_file(page(nct(3)), prefix=b"\xef\xbb\xbf")),
    Case("crlf.txt", Loads(nct(4), {"acronym": "HERMIONE-7", "enrollment": 31, "sex": "FEMALE"}),
         text_file(page(nct(4)).replace("\n", "\r\n"))),
    Case("latin-1.txt",
         Loads(nct(5), {"brief_title": brief(LATIN1_TITLE), "acronym": "HERMIONE-7"}, encoding="latin-1"),
         # `≥` has no Latin-1 byte: written as `?`, as an editor saving as Latin-1 would.
         text_file(page(nct(5), (SEED_TITLE, LATIN1_TITLE)), "latin-1", errors="replace")),
    Case("cp1252.txt", Loads(nct(6), {"brief_title": brief(CP1252_TITLE)}, encoding="cp1252"),
         text_file(page(nct(6), (SEED_TITLE, CP1252_TITLE)), "cp1252", errors="replace")),
    # UTF-8 with one stray Latin-1 byte: the stray byte is read alone, the UTF-8 stays intact.
    Case("mixed-encoding.txt",
         Loads(nct(18), {"brief_title": brief(LATIN1_TITLE)}, contains={"brief_summary": "HR+, HER2-"},
               encoding="utf-8+cp1252"),
         raw_file(lambda: page(nct(18)).encode().replace(SEED_TITLE.encode(), LATIN1_TITLE.encode("latin-1")))),
    Case("utf-16.txt", Loads(nct(7), {"acronym": "HERMIONE-7", "enrollment": 31}, encoding="utf-16"),
         text_file(page(nct(7)), "utf-16")),
    Case("utf-16-be.txt", Loads(nct(8), {"acronym": "HERMIONE-7"}, encoding="utf-16"),
         text_file(page(nct(8)), "utf-16-be", prefix=b"\xfe\xff")),
    Case("unknown-section.txt",
         Loads(nct(9), {"enrollment": 31}, extra=("Funding Notes", "Funded by a grant from the Example Foundation.")),
         text_file(page(nct(9), ("More Related Trials\n", UNKNOWN_SECTION + "More Related Trials\n")))),
    Case("long-line.txt", Loads(nct(10), contains={"detailed_description": LONG_LINE}),
         text_file(page(nct(10), (DESCRIPTION_LINE, DESCRIPTION_LINE + LONG_LINE + "\n\n")))),
    # Header problems.
    Case("no-nct-id.txt", Rejected(("NCT ID",)), text_file(page(nct(11), (f"NCT ID: {nct(11)}\n", "")))),
    Case("bad-nct-id.txt", Rejected(("NCT0422732", "8 digits")),
         text_file(page(nct(12), (f"NCT ID: {nct(12)}", "NCT ID: NCT0422732")))),
    # Field and section problems.
    Case("impossible-date.txt", Rejected(("Study Start Date", "2020-13-45")),
         text_file(page(nct(13), ("Study Start Date\n\n2020-01-07", "Study Start Date\n\n2020-13-45")))),
    Case("enrollment-words.txt", Rejected(("Total Enrollment", "thirty-one")),
         text_file(page(nct(14), ("31 participants", "thirty-one participants")))),
    Case("repeated-section.txt", Rejected(("Conditions", "twice")),
         text_file(page(nct(15), (CONDITIONS, CONDITIONS * 2)))),
    Case("cut-off.txt", Rejected(("cut off", "Eligibility Criteria")),
         text_file(page(nct(16))[: SEED_TEXT.index("6. Patients from whom")])),
    Case("huge-50mb.txt", Rejected(("52,428,800 bytes", "16,777,216-byte limit")), sized_page(nct(17), 50 * MIB)),
    # One NCT ID, two pages: the later Last Updated wins, on a tie the later path.
    Case("dup/a-newer.txt", Loads(nct(20), {"enrollment": 41, "source_path": "dup/a-newer.txt"}),
         text_file(page(nct(20), ("Last Updated: 2025-07-29", "Last Updated: 2025-09-01"), ("31 part", "41 part")))),
    Case("dup/b-older.txt", Superseded(nct(20), winner="dup/a-newer.txt"),
         text_file(page(nct(20), ("Last Updated: 2025-07-29", "Last Updated: 2025-01-01"), ("31 part", "42 part")))),
    Case("dup/c-tie.txt", Superseded(nct(21), winner="dup/d-tie.txt"),
         text_file(page(nct(21), ("31 part", "43 part")))),
    Case("dup/d-tie.txt", Loads(nct(21), {"enrollment": 44, "source_path": "dup/d-tie.txt"}),
         text_file(page(nct(21), ("31 part", "44 part")))),
    # The newer page is invalid: the older, valid one must still load.
    Case("dup/e-newer-invalid.txt", Rejected(("phases", "PHASE9")),
         text_file(page(nct(22), ("Last Updated: 2025-07-29", "Last Updated: 2025-09-01"), ("PHASE2", "PHASE9")))),
    Case("dup/f-older-valid.txt", Loads(nct(22), {"source_path": "dup/f-older-valid.txt"}),
         text_file(page(nct(22), ("Last Updated: 2025-07-29", "Last Updated: 2025-01-01")))),
    # Files that cannot be read. Root reads whatever the mode, so chmod 000 proves nothing
    # there; /proc/self/mem gives EIO to every reader, and a FIFO would block a careless one.
    Case("mode-000.txt", Rejected(("cannot be read", "permission denied")), mode_000,
         skip=MODE_000_SKIP),
    Case("proc-mem.txt", Rejected(("cannot be read", "input/output error")), symlink("/proc/self/mem"),
         skip=None if sys.platform.startswith("linux") else "needs Linux /proc"),
    Case("fifo.txt", Rejected(("not a regular file",)), fifo),
    Case("caf\\xe9.txt", Rejected(("not valid UTF-8", "rename")), non_utf8_name),
    # Links: a folder loop is not followed; looping and dangling file links are reported.
    Case("loops/inner.txt", Loads(nct(30)), text_file(page(nct(30)))),
    Case("loops/up", NotRead("a link to a folder is not followed"), symlink("..")),
    Case("loop.txt", Rejected(("symlink loop",)), symlink("loop.txt")),
    Case("dangling.txt", Rejected(("dangling symlink", "missing/nowhere.txt")), symlink("missing/nowhere.txt")),
    # Archives with hostile member names: those are refused, the rest of the archive loads.
    Case("traversal.zip::../escape.txt", Rejected(("points outside the archive",)), zip_file(lambda: [
        ("../escape.txt", page(nct(40)).encode()),
        ("/etc/absolute.txt", page(nct(41)).encode()),
        ("C:/windows.txt", page(nct(42)).encode()),
        ("inside/ok.txt", page(nct(43)).encode()),
    ])),
    Case("traversal.zip::/etc/absolute.txt", Rejected(("points outside the archive",))),
    Case("traversal.zip::C:/windows.txt", Rejected(("points outside the archive",))),
    Case("traversal.zip::inside/ok.txt", Loads(nct(43))),
    # Zip bombs: refused from their headers (or a CRC that exposes a lying one); neighbours load.
    Case("bombs.zip::good-1.txt", Loads(nct(501)), ZIP_BOMB),
    Case("bombs.zip::huge.txt", Rejected(("67,108,864 bytes", "page limit"))),
    Case("bombs.zip::ratio.txt", Rejected(("compression ratio", "zip bomb"))),
    Case("bombs.zip::liar.txt", Rejected(("liar.txt", "cannot be read", "CRC"))),
    Case("bombs.zip::good-2.txt", Loads(nct(502))),
    Case("encrypted.zip::secret.txt", Rejected(("encrypted", "password")),
         zip_file(lambda: [("secret.txt", page(nct(51)).encode()), ("plain.txt", page(nct(52)).encode())],
                  encrypt_flag("secret.txt"))),
    Case("encrypted.zip::plain.txt", Loads(nct(52))),
    # One name twice in a zip (an appended archive): both copies kept, under distinct paths.
    Case("twice.zip::same.txt", Loads(nct(53)),
         zip_file(lambda: [("same.txt", page(nct(53)).encode()), ("same.txt", page(nct(54)).encode())])),
    Case("twice.zip::same.txt#2", Loads(nct(54))),
    Case("corrupt.zip", Rejected(("archive cannot be read",)), truncated_zip),
    # The same in a .tar.gz, plus a member name that is not UTF-8: shown escaped, and it loads.
    Case("names.tar.gz::same.txt", Loads(nct(60)), tar_gz([
        tar_entry("same.txt", page(nct(60)).encode()),
        tar_entry("same.txt", page(nct(61)).encode()),
        tar_entry("caf\udce9.txt", page(nct(62)).encode()),
    ])),
    Case("names.tar.gz::same.txt#2", Loads(nct(61))),
    Case("names.tar.gz::caf\\xe9.txt", Loads(nct(62))),
    # A .tar.gz: no seeking past a member without inflating it, so a bomb ends the archive.
    Case("hostile.tar.gz::good.txt", Loads(nct(901)), TAR_BOMB),
    Case("hostile.tar.gz::../up.txt", Rejected(("points outside the archive",))),
    Case("hostile.tar.gz::link.txt", Rejected(("is a link",))),
    Case("hostile.tar.gz::bomb.txt", Rejected(("bomb", "4,294,967,296 bytes", "not read"))),
    Case("hostile.tar.gz::after.txt", NotRead("behind the bomb in one gzip stream")),
    # The registry's own formats: each broken file is rejected with a reason; what can load does.
    Case("study.json", Loads(nct(601)), raw_file(lambda: json.dumps(json_study(nct(601))).encode())),
    Case("not-json.json", Rejected(("not valid JSON",)), text_file("{this is not JSON, nctId: NCT00000699")),
    Case("no-protocol.json", Rejected(("protocolSection",)), text_file('{"derivedSection": {}}')),
    Case("no-nct-id.json", Rejected(("no NCT ID",)),
         raw_file(lambda: json.dumps({"protocolSection": {"identificationModule": {}}}).encode())),
    Case(f"cut-array.json::{nct(602)}", Loads(nct(602)), raw_file(cut_array)),
    Case(f"cut-array.json::{nct(603)}", Loads(nct(603))),
    Case("cut-array.json::rest", Rejected(("cut off", "2 complete studies"))),
    *[Case(f"gigabyte.json::{n}", Loads(n), gigabyte_array if n == GIGABYTE[0] else None) for n in GIGABYTE],
    # Streamed (above the page limit), so one study that is itself too big is not built whole.
    Case(f"huge-study.json::{nct(621)}", Loads(nct(621)), raw_file(huge_study_array)),
    Case("huge-study.json::rest", Rejected(("study 2", "does not end within the 16,777,216-byte page limit"))),
    Case("broken.xml", Rejected(("not well-formed XML",)), text_file("<clinical_study><nct_id>NCT00000608</nct_id>")),
    Case("bomb.xml", Rejected(("entity expansion is refused",)), text_file(XML_BOMB)),
]  # fmt: skip


def active(cases: list[Case]) -> list[Case]:
    return [c for c in cases if c.skip is None]


def params(cases: list[Case]) -> list:
    def marks(case: Case) -> list[pytest.MarkDecorator]:
        if case.skip:
            return [pytest.mark.skip(reason=case.skip)]
        return [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []

    return [pytest.param(c, id=c.path, marks=marks(c)) for c in cases]


# --- one run over the whole corpus ------------------------------------------------------------


@dataclass
class Ingested:
    summary: Summary  # of the first run, which read everything
    second: Summary  # of a second run over the same, unchanged folder
    before_second: dict[str, str]  # core-table digests after the first run
    con: duckdb.DuckDBPyConnection  # the warehouse after both runs
    shared: list[str]  # landing paths of the good shared pages
    peak_growth: int  # bytes the process's peak resident memory rose by during the first run

    def one(self, sql: str, *args: object) -> tuple | None:
        return self.con.execute(sql, list(args)).fetchone()

    def all(self, sql: str, *args: object) -> list[tuple]:
        return self.con.execute(sql, list(args)).fetchall()

    def counts(self, nct_id: str) -> dict[str, int]:
        """Rows per core table for one trial (extra_sections aside: variants may add some)."""
        names = [m.__table__.name for m in CORE_TABLES if m.__table__.name != "extra_sections"]
        return {n: self.one(f"SELECT count(*) FROM {n} WHERE nct_id = ?", nct_id)[0] for n in names}


def digest(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    return hashlib.sha256(repr(con.execute(sql).fetchall()).encode()).hexdigest()


def core_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    digests = {t: digest(con, f"SELECT * FROM {t} ORDER BY ALL") for t in (m.__table__.name for m in CORE_TABLES)}
    # Which run last saw a rejected page changes every run; which pages and why must not.
    digests["rejected_records"] = digest(
        con, "SELECT * EXCLUDE (rejected_at, run_id) FROM rejected_records ORDER BY ALL"
    )
    return digests


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    root = tmp_path_factory.mktemp("bad-input")
    landing = root / "landing"
    (landing / "shared").mkdir(parents=True)
    shared = sorted((SHARED / "text").glob("*.txt"))[:GOOD_SHARED]
    for good in shared:
        shutil.copy(good, landing / "shared" / good.name)
    for case in active(CASES):
        if case.write:
            target = landing / case.path.split("::")[0]
            target.parent.mkdir(parents=True, exist_ok=True)
            case.write(target)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = run(landing, root)  # one worker: the parse runs in this process
    # Against the peak before the run: low enough (imports, ~300 MiB) that reading the file
    # whole would have to raise it by a gigabyte.
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 if before < 600 * 1024 else GIB
    with duckdb.connect(str(root / "trials.duckdb"), read_only=True) as con:
        before_second = core_digests(con)
    second = run(landing, root)
    con = duckdb.connect(str(root / "trials.duckdb"), read_only=True)
    try:
        yield Ingested(summary, second, before_second, con, [f"shared/{p.name}" for p in shared], growth)
    finally:
        con.close()
        for case in active(CASES):
            if case.write is mode_000:
                (landing / case.path).chmod(0o644)  # so tmp_path can be cleaned as any user


# --- one test per case ------------------------------------------------------------------------


@pytest.mark.parametrize("case", params(CASES))
def test_case(case: Case, ingested: Ingested) -> None:
    if isinstance(case.expect, Loads):
        check_loads(ingested, case.path, case.expect)
    elif isinstance(case.expect, Rejected):
        check_rejected(ingested, case.path, case.expect)
    elif isinstance(case.expect, Superseded):
        check_superseded(ingested, case.path, case.expect)
    else:
        check_not_read(ingested, case.path)


def check_loads(db: Ingested, path: str, expect: Loads) -> None:
    row = db.one("SELECT source_path FROM trials WHERE nct_id = ?", expect.nct_id)
    reason = db.one("SELECT reason FROM rejected_records WHERE source_path = ?", path)
    assert row is not None, f"{path} did not load: {reason}"
    assert row[0] == path
    assert reason is None
    for column, value in expect.fields.items():
        assert db.one(f"SELECT {column} FROM trials WHERE nct_id = ?", expect.nct_id)[0] == value, column
    for column, part in expect.contains.items():
        text = db.one(f"SELECT {column} FROM trials WHERE nct_id = ?", expect.nct_id)[0]
        assert part in text, f"{column} lost part of its text"
    if expect.encoding:
        assert db.one("SELECT encoding FROM source_records WHERE source_path = ?", path) == (expect.encoding,)
    if expect.extra:
        heading, content = expect.extra
        extras = db.all("SELECT section, content FROM extra_sections WHERE nct_id = ?", expect.nct_id)
        assert any(s == heading and content in c for s, c in extras), extras
    if path.endswith(".txt") and "::" not in path and not path.startswith(("dup/", "loops/")):
        # Every variant of the seed holds the same rows as the plain copy of it.
        assert db.counts(expect.nct_id) == db.counts(nct(1))


def check_rejected(db: Ingested, path: str, expect: Rejected) -> None:
    row = db.one("SELECT reason FROM rejected_records WHERE source_path = ?", path)
    assert row is not None, f"{path} was not rejected"
    (reason,) = row
    for word in expect.words:
        assert word.lower() in reason.lower(), f"{path}: {word!r} not in reason {reason!r}"
    assert db.one("SELECT count(*) FROM trials WHERE source_path = ?", path) == (0,)


def check_superseded(db: Ingested, path: str, expect: Superseded) -> None:
    assert db.one("SELECT source_path FROM trials WHERE nct_id = ?", expect.nct_id) == (expect.winner,)
    versions = dict(db.all("SELECT source_path, superseded_at FROM trial_versions WHERE nct_id = ?", expect.nct_id))
    assert set(versions) == {path, expect.winner}
    assert versions[path] is not None and versions[expect.winner] is None
    assert db.one("SELECT count(*) FROM rejected_records WHERE source_path = ?", path) == (0,)
    # The run summary names both pages, so the operator can see which one was kept.
    assert any(path in d and expect.winner in d for d in db.summary.load.duplicates), db.summary.load.duplicates


def check_not_read(db: Ingested, path: str) -> None:
    assert db.all("SELECT source_path FROM source_records WHERE starts_with(source_path, ?)", path) == []


# --- checks over the whole run ----------------------------------------------------------------


def test_run_completes_with_checks_passing(ingested: Ingested) -> None:
    assert ingested.summary.checks and all(ingested.summary.checks.values()), ingested.summary.checks


def test_every_good_shared_page_loads(ingested: Ingested) -> None:
    loaded = {p for (p,) in ingested.all("SELECT source_path FROM trials WHERE starts_with(source_path, 'shared/')")}
    assert loaded == set(ingested.shared)


def test_rejected_records_hold_exactly_the_bad_pages(ingested: Ingested) -> None:
    expected = {c.path for c in active(CASES) if isinstance(c.expect, Rejected)}
    assert {p for (p,) in ingested.all("SELECT source_path FROM rejected_records")} == expected
    assert ingested.summary.load.pages_rejected == len(expected)


def test_source_records_hold_every_page_read_once(ingested: Ingested) -> None:
    expected = {c.path for c in active(CASES) if not isinstance(c.expect, NotRead)} | set(ingested.shared)
    paths = [p for (p,) in ingested.all("SELECT source_path FROM source_records")]
    assert sorted(paths) == sorted(expected)  # one row per page: no path twice, none missing


def test_rejected_text_is_kept(ingested: Ingested) -> None:
    """Nothing read is lost: a rejected page's text (or raw bytes) stays in source_records."""
    rows = dict(
        ingested.all("""SELECT source_path, record_text IS NOT NULL OR raw_bytes IS NOT NULL
                        FROM source_records WHERE source_path IN (SELECT source_path FROM rejected_records)""")
    )
    readable = ["whitespace.txt", "binary.txt", "html-saved-page.txt", "no-nct-id.txt", "cut-off.txt"]
    assert all(rows[p] for p in readable), rows


def test_a_gigabyte_array_streams_in_bounded_memory(ingested: Ingested) -> None:
    """The 1 GiB array is read a study at a time: the run's peak memory rose by far less than
    the file (held whole, as bytes and as text, it would be twice its size)."""
    assert ingested.one("SELECT size FROM landing_files WHERE path = 'gigabyte.json'")[0] >= GIB
    loaded = ingested.one("SELECT count(*) FROM trials WHERE starts_with(source_path, 'gigabyte.json::')")
    assert loaded == (len(GIGABYTE),)
    print(f"\npeak resident memory rose by {ingested.peak_growth / MIB:,.0f} MiB during the run")
    assert ingested.peak_growth < GIB // 2


def test_second_run_over_the_same_folder_changes_nothing(ingested: Ingested) -> None:
    """Bad input does not make later runs unstable: same rows, same quarantine, nothing loaded."""
    load = ingested.second.load
    assert (load.pages_new, load.pages_changed, load.trials_loaded) == (0, 0, 0)
    assert core_digests(ingested.con) == ingested.before_second


# --- the landing reader on its own ------------------------------------------------------------


def read_all(root: Path) -> list:
    return [read for item in scan(root) for read in read_landing_item(root, item, Limits())]


def test_bombs_are_refused_without_inflating_them(tmp_path: Path) -> None:
    ZIP_BOMB(tmp_path / "bombs.zip")
    hostile_tar(64 * 1024 * MIB)(tmp_path / "hostile.tar.gz")  # 64 GiB declared: minutes to inflate
    started = time.perf_counter()
    pages = read_all(tmp_path)
    assert time.perf_counter() - started < 2.0
    assert [p.path for p in pages if p.error is None] == [
        "bombs.zip::good-1.txt",
        "bombs.zip::good-2.txt",
        "hostile.tar.gz::good.txt",
    ]


def test_file_gone_between_scan_and_read_is_reported(tmp_path: Path) -> None:
    """Another way a file becomes unreadable, for root too: it disappears mid-run."""
    (tmp_path / "gone.txt").write_text(page(nct(990)), encoding="utf-8")
    items = list(scan(tmp_path))
    (tmp_path / "gone.txt").unlink()
    (page_read,) = read_landing_item(tmp_path, items[0], Limits())
    assert page_read.text is None and "cannot be read" in page_read.error and "No such file" in page_read.error


def test_file_that_changed_size_after_the_scan_is_read_whole(tmp_path: Path) -> None:
    """The read is sized by the scan's stat; a page rewritten since then (longer or shorter)
    is still read to its end, and one grown past the limit is refused, not cut."""
    (tmp_path / "grew.txt").write_text("draft\n", encoding="utf-8")
    (tmp_path / "shrank.txt").write_text(SEED_TEXT + "\n" * 500, encoding="utf-8")
    (tmp_path / "huge.txt").write_text("draft\n", encoding="utf-8")
    items = {item.path: item for item in scan(tmp_path)}
    (tmp_path / "grew.txt").write_text(SEED_TEXT, encoding="utf-8")
    (tmp_path / "shrank.txt").write_text(SEED_TEXT, encoding="utf-8")
    (tmp_path / "huge.txt").write_bytes(SEED_TEXT.encode() + b"x" * 2048)
    limits = Limits(max_page_bytes=len(SEED_TEXT.encode()) + 1024)
    for name in ("grew.txt", "shrank.txt"):
        (read,) = read_landing_item(tmp_path, items[name], limits)
        assert read.error is None and read.text == SEED_TEXT
        assert read.sha256 == hashlib.sha256(SEED_TEXT.encode()).hexdigest()
    (huge,) = read_landing_item(tmp_path, items["huge.txt"], limits)
    assert huge.text is None and "larger than the" in huge.error


def test_scan_in_worker_processes_finds_what_one_process_finds(tmp_path: Path) -> None:
    """The parallel walk must report the same entries, odd ones included, in the same order."""
    for k, folder in enumerate(["a", "b/deep", "c", "d/e/f"]):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / f"p{k}.txt").write_text(page(nct(700 + k)), encoding="utf-8")
    (tmp_path / "top.txt").write_text(page(nct(710)), encoding="utf-8")
    (tmp_path / "b" / "loop").symlink_to(tmp_path / "b")  # a link to a folder is not followed
    (tmp_path / "c" / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "d" / "fifo.txt").parent.mkdir(exist_ok=True)
    os.mkfifo(tmp_path / "d" / "fifo.txt")
    one, two = list(scan(tmp_path, workers=1)), list(scan(tmp_path, workers=2))
    assert one == two
    assert [f.path for f in one if f.error is None] == [
        "a/p0.txt",
        "b/deep/p1.txt",
        "c/p2.txt",
        "d/e/f/p3.txt",
        "top.txt",
    ]
    assert {f.path for f in one if f.error} == {"c/dangling.txt", "d/fifo.txt"}
