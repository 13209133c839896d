"""The landing folder: finding pages (plain files and archive members) and reading their bytes.

Everything here must survive whatever is in the folder: unreadable files, symlink loops,
archives with hostile member names or bombs. Problems become `PageRead.error` strings, never
exceptions, so one bad file cannot stop a run.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import io
import os
import re
import stat
import struct
import tarfile
import threading
import time
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from formats import format_for
from ingest.workers import process_pool
from staging.plan import ARCHIVE_SEPARATOR, ARCHIVE_SUFFIXES, LandingFile
from staging.settings import Limits


@dataclass(slots=True)
class PageRead:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    text: str | None
    encoding: str | None
    raw: bytes | None  # kept only when the bytes could not be read as text
    error: str | None


def readable(name: str) -> bool:
    """Whether an input format reads a file of this name (`.TXT` is a page too)."""
    return format_for(name) is not None


SCAN_COLUMNS = ("path", "size", "mtime_ns", "error")
Columns = dict[str, list]  # SCAN_COLUMNS -> one list each, a row per entry


def scan(root: Path, workers: int = 1) -> Iterator[LandingFile]:
    """Every `*.txt` page and archive below `root`, in path order, without following symlinks
    to directories (so a link loop cannot recurse) and reporting unreadable entries."""
    cols = scan_columns(root, workers)
    paths = cols["path"]
    for i in sorted(range(len(paths)), key=paths.__getitem__):
        yield LandingFile(paths[i], cols["size"][i], cols["mtime_ns"][i], cols["error"][i])


def scan_columns(root: Path, workers: int = 1) -> Columns:
    """What `scan` finds, unsorted and as column lists (plus "ignored": the files no format
    reads, which the run summary counts), for callers that build a frame: at
    580,000 files an object per entry cost more than the `stat` calls, and pickling those
    objects back from the workers as much again.

    With `workers` > 1 the subfolders of `root` are walked in that many processes: each entry
    costs a `stat` system call plus Python work that holds the GIL (threads measured slower
    than one), and at 580,000 files the walk was most of an ingest that found nothing new.

    A scan of the same folder begun by `start_scan` in the last EARLY_SCAN_MAX_AGE seconds is
    taken instead of scanning again."""
    early = _EARLY_SCANS.pop(_key(root), None)
    if early is not None and time.monotonic() - early[0] <= EARLY_SCAN_MAX_AGE:
        try:
            return _unpack(early[1].result())
        except Exception:  # scanned again below, where an error that persists is raised
            pass
    return _unpack(_scan_packed(root, workers))


# The command line starts the scan before it imports Dagster and the data stack, so the two
# overlap and a run that finds nothing new ends sooner (bench/RESULTS.md).
EARLY_SCAN_MAX_AGE = 30.0
_EARLY_SCANS: dict[str, tuple[float, Future[list[Packed]]]] = {}


def start_scan(root: Path, workers: int = 1) -> Future[list[Packed]]:
    """Begin scanning `root` in a background thread of this process; the next `scan_columns`
    of that folder takes the result. A run that waits long for the writer lock scans afresh."""
    future: Future[list[Packed]] = Future()

    def run() -> None:
        try:
            future.set_result(_scan_packed(root, workers))
        except BaseException as exc:  # handed to the taker, which scans again
            future.set_exception(exc)

    _EARLY_SCANS[_key(root)] = (time.monotonic(), future)
    threading.Thread(target=run, name="early-landing-scan", daemon=True).start()
    return future


def _key(root: Path) -> str:
    return str(root.resolve())


# A scan in transit and while it waits: paths joined by NUL (which no file name holds), sizes
# and mtimes as arrays, errors by position. The early scan arrives while Dagster imports, and
# an object per file made then sat among the imported modules' objects: freed, its memory
# could not go back, and the main process held it through the whole parse.
Packed = tuple[str, array, array, dict[int, str], str]


def _pack(cols: Columns) -> Packed:
    errors = {i: error for i, error in enumerate(cols["error"]) if error is not None}
    paths, ignored = "\0".join(cols["path"]), "\0".join(cols["ignored"])
    return paths, array("q", cols["size"]), array("q", cols["mtime_ns"]), errors, ignored


def _unpack(parts: list[Packed]) -> Columns:
    found = _columns()
    for paths, sizes, mtimes, errors, ignored in parts:
        count = len(sizes)
        found["ignored"] += ignored.split("\0") if ignored else []
        found["path"] += paths.split("\0") if count else []
        found["size"] += sizes
        found["mtime_ns"] += mtimes
        error_column: list[str | None] = [None] * count
        for i, error in errors.items():
            error_column[i] = error
        found["error"] += error_column
    return found


def _scan_packed(root: Path, workers: int) -> list[Packed]:
    root = root.resolve()
    base = len(str(root)) + 1
    top = _columns()
    folders = _scan_folder(str(root), base, top)
    pool = process_pool(workers, len(folders))
    with pool or contextlib.nullcontext():
        bases = [base] * len(folders)
        parts = list(pool.map(_scan_tree, folders, bases) if pool else map(_scan_tree, folders, bases))
    return [_pack(top), *parts]


def _columns() -> Columns:
    return {key: [] for key in (*SCAN_COLUMNS, "ignored")}


def _scan_tree(top: str, base: int) -> Packed:
    found = _columns()
    pending = [top]
    while pending:
        pending += _scan_folder(pending.pop(), base, found)
    return _pack(found)


def _scan_folder(directory: str, base: int, found: Columns) -> list[str]:
    """Add the pages and archives directly in one folder to `found`; -> its subfolders. Paths
    stay strings: a pathlib object per entry costs more than the stat itself."""
    paths, sizes, mtimes, errors = (found[key] for key in SCAN_COLUMNS)

    def problem(path: str, error: str) -> None:
        paths.append(path)
        sizes.append(0)
        mtimes.append(0)
        errors.append(error)

    folders: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError as exc:
        # The landing folder itself is "./", as the scan named it before paths became strings.
        problem((_shown(directory[base:]) or ".") + "/", f"folder cannot be listed: {exc.strerror}")
        return folders
    for entry in entries:
        name = entry.name
        wanted = readable(name) or name.lower().endswith(ARCHIVE_SUFFIXES)
        try:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
                continue
            if not wanted:  # counted and named in the run summary, so nothing vanishes unseen
                found["ignored"].append(_shown(entry.path[base:]))
                continue
            st = entry.stat(follow_symlinks=True)
        except OSError as exc:
            if wanted:
                reason = _link_problem(entry) if entry.is_symlink() else exc.strerror
                problem(_shown(entry.path[base:]), f"file cannot be opened: {reason}")
            continue
        rel = entry.path[base:] if _SLASH_SEPARATED else entry.path[base:].replace(os.sep, "/")
        if not (rel.isascii() or _storable(rel)):
            problem(_shown(rel), "file or folder name is not valid UTF-8: rename it")
        elif ARCHIVE_SEPARATOR in rel:
            # `z.zip::m.txt` names page m.txt inside z.zip: a file called that would share its
            # path (the key of landing_files) and break every later run.
            problem(
                rel, f"file or folder name contains '{ARCHIVE_SEPARATOR}', which names pages inside archives: rename it"
            )
        elif not stat.S_ISREG(st.st_mode):
            # A FIFO would block the read forever and a socket cannot be opened: report
            # them instead of skipping them silently, so the operator sees why nothing loaded.
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, socket or device"
            problem(rel, f"not a regular file ({kind}): there is no page to read")
        else:
            paths.append(rel)
            sizes.append(st.st_size)
            mtimes.append(st.st_mtime_ns)
            errors.append(None)
    return folders


_SLASH_SEPARATED = os.sep == "/"


def _storable(rel: str) -> bool:
    """Names that are not UTF-8 (e.g. Latin-1 names from a Windows share) come back from the
    OS with surrogate escapes, which parquet and DuckDB refuse: one such name used to fail the
    whole run."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name: str) -> str:
    """A name as it can be stored and shown: bytes that are not UTF-8 escaped (`caf\\xe9.txt`)."""
    return name if _storable(name) else name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _link_problem(entry: os.DirEntry) -> str:
    """Say which kind of broken link it is, and where it points, so it can be fixed by hand."""
    try:
        target = _shown(os.readlink(entry.path))
    except OSError:
        return "symlink loop or dangling link"
    try:
        os.stat(entry.path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symlink loop (points to '{target}')"
        return f"dangling symlink (points to '{target}', which does not exist)"
    return f"symlink to '{target}' cannot be followed"


def read_file(root: Path, item: LandingFile, limits: Limits) -> PageRead:
    if item.error:
        return failed(item, item.error)
    if item.size > limits.max_page_bytes:
        return failed(item, f"page is {item.size:,} bytes, above the {limits.max_page_bytes:,}-byte limit for one page")
    try:
        # Unbuffered, and sized by the scan's stat: a read sized to the page limit allocated
        # the whole limit for every small page, several times slower.
        with open(os.path.join(root, item.path), "rb", buffering=0) as fh:  # no pathlib object per page
            data = _read_up_to(fh, item.size + 1)
            if len(data) > item.size:  # the file grew after the scan: read on, up to the limit
                data += _read_up_to(fh, limits.max_page_bytes + 1 - len(data))
    except OSError as exc:
        return failed(item, f"file cannot be read: {exc.strerror}")
    return decode_page(item.path, item.size, item.mtime_ns, data, limits)


def _read_up_to(fh: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes, fewer only at the end of the file (one raw read may return less)."""
    chunks = []
    while limit > 0 and (chunk := fh.read(limit)):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def failed(item: LandingFile, error: str) -> PageRead:
    return PageRead(item.path, item.size, item.mtime_ns, hashlib.sha256(b"").hexdigest(), None, None, None, error)


def decode_page(path: str, size: int, mtime_ns: int, data: bytes, limits: Limits) -> PageRead:
    """Bytes -> text. UTF-8 (with or without BOM), UTF-16 with BOM, cp1252 and Latin-1 are
    read as text; bytes that look binary are kept raw and the page is rejected, and so is an
    HTML document (its text kept)."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > limits.max_page_bytes:
        return PageRead(path, size, mtime_ns, digest, None, None, None,
                        f"page is larger than the {limits.max_page_bytes:,}-byte limit for one page")  # fmt: skip
    text, encoding = _decode(data)
    if text is None:
        return PageRead(path, size, mtime_ns, digest, None, None, data,
                        "bytes are not text (binary content: NUL or control bytes, or no known encoding)")  # fmt: skip
    if _HTML_START.match(text):
        # A page saved from the browser as HTML otherwise parses, with '<!DOCTYPE html>' as
        # its title and the markup in its fields. The text is kept, so nothing is lost.
        return PageRead(path, size, mtime_ns, digest, text, encoding, None,
                        "the file is an HTML document (it starts with an HTML tag), not a record page "
                        "in plain text: save the page as text")  # fmt: skip
    return PageRead(path, size, mtime_ns, digest, text, encoding, None, None)


_HTML_START = re.compile(r"\A\ufeff?\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)


def _decode(data: bytes) -> tuple[str | None, str | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None, None
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if _UTF8_SEQUENCE.search(data):
            # UTF-8 with a few stray 8-bit bytes (a line pasted from a Latin-1 file): reading
            # all of it as 8-bit would garble every UTF-8 character ('≥' -> 'â‰¥').
            text, encoding = data.decode(encoding, errors=_STRAY_BYTES), f"{encoding}+cp1252"
        else:
            text, encoding = _decode_8bit(data)
    if _looks_binary(text):
        return None, None
    return text, encoding


def _decode_8bit(data: bytes) -> tuple[str, str]:
    """Latin-1, unless bytes 0x80-0x9F occur: in Latin-1 those are C1 control characters no
    text uses, while a page saved on Windows (cp1252) uses them for quotes and dashes."""
    if re.search(b"[\x80-\x9f]", data):
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass  # one of the five bytes cp1252 leaves undefined: not cp1252 after all
    return data.decode("latin-1"), "latin-1"


# A multi-byte UTF-8 character: next to never found in a page written in an 8-bit encoding.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_STRAY_BYTES = "trial-warehouse-stray-bytes"


def _stray_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read one by one as cp1252/Latin-1."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(_decode_8bit(bytes([b]))[0] for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(_STRAY_BYTES, _stray_bytes)


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# The same characters as bytes, for ASCII text (C1 controls, 0x80-0x9f, are not ASCII).
_ASCII_CONTROL = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])


def _looks_binary(text: str) -> bool:
    """Text pages have next to no control characters; binary decoded as Latin-1 is full of them."""
    if "\x00" in text:
        return True
    sample = text[:4096]
    if sample.isascii():
        # Most pages: bytes.translate counts in C, twice as fast as the regular expression,
        # which took 14 us a page (4 CPU-s of a 580,000-page parse).
        raw = sample.encode("ascii")
        controls = len(raw) - len(raw.translate(None, _ASCII_CONTROL))
    else:
        controls = len(_CONTROL.findall(sample))
    return controls > len(sample) // 100 + 1


def read_archive(root: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    """Pages inside a zip or tar.gz, read in memory. Members that escape the archive, links,
    and archives inflating past the limits are reported as failed pages; the rest load."""
    archive_path = root / item.path
    try:
        if item.path.lower().endswith(".zip"):
            yield from _zip_members(archive_path, item, limits)
        else:
            yield from _tar_members(archive_path, item, limits)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as exc:
        yield failed(item, f"archive cannot be read: {exc}")


# What reading one zip member can raise: a corrupt stream or bad CRC (BadZipFile, zlib.error,
# EOFError), a password (RuntimeError), a compression method Python lacks (NotImplementedError).
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def _member_problem(name: str) -> str | None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        return f"archive member '{name}' points outside the archive (absolute path or '..')"
    return None


def _member(item: LandingFile, label: str, data: bytes, limits: Limits) -> PageRead:
    return decode_page(f"{item.path}{ARCHIVE_SEPARATOR}{label}", len(data), item.mtime_ns, data, limits)


def member_failed(item: LandingFile, label: str, error: str) -> PageRead:
    virtual = LandingFile(f"{item.path}{ARCHIVE_SEPARATOR}{label}", 0, item.mtime_ns)
    return failed(virtual, error)


def labeller() -> Callable[[str], str]:
    """Member name -> the label its page path uses, unique within the archive. An archive can
    hold one name twice (zip append, tar update) and the load keys a run's pages by path, so
    later copies are labelled `name#2`, `name#3`: both kept, and the later copy sorts later,
    as it would win on extraction. Names that are not UTF-8 (tar) are shown escaped."""
    seen: dict[str, int] = {}

    def label(name: str) -> str:
        name = _shown(name)
        seen[name] = seen.get(name, 0) + 1
        return name if seen[name] == 1 else f"{name}#{seen[name]}"

    return label


def _zip_members(path: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    with open(path, "rb") as raw, _open_range(raw, item.members) as (zf, infos, label):
        for info in infos:
            if info.is_dir() or not readable(info.filename):
                continue
            name = info.filename
            problem = _member_problem(name)
            if problem is None and info.flag_bits & 0x1:
                problem = f"archive member '{name}' is encrypted (password-protected): pack it without a password"
            if problem is None and (info.external_attr >> 16) & 0o170000 == 0o120000:
                problem = f"archive member '{name}' is a symbolic link"
            if problem is None and info.file_size > limits.max_page_bytes:
                problem = f"archive member '{name}' inflates to {info.file_size:,} bytes, above the page limit"
            if (
                problem is None
                and info.compress_size
                and info.file_size / info.compress_size > limits.max_compression_ratio
            ):
                problem = (
                    f"archive member '{name}' has a compression ratio above {limits.max_compression_ratio} (zip bomb)"
                )
            if problem:
                yield member_failed(item, label(name), problem)
                continue
            # Read at most the declared size + 1: a lying header cannot make us inflate more.
            try:
                with zf.open(info) as fh:
                    data = fh.read(info.file_size + 1)
            except _MEMBER_ERRORS as exc:
                # One damaged member must not cost the members after it (they used to be lost
                # unreported) nor, for a password or an unknown method, the whole run.
                yield member_failed(item, label(name), f"archive member '{name}' cannot be read: {exc}")
                continue
            if len(data) > info.file_size:
                yield member_failed(item, label(name), f"archive member '{name}' inflates past its declared size")
                continue
            yield _member(item, label(name), data, limits)


@contextlib.contextmanager
def _open_range(
    raw: BinaryIO, members: tuple[int, ...] | None
) -> Iterator[tuple[zipfile.ZipFile, list[zipfile.ZipInfo], Callable[[str], str]]]:
    """The zip, the members to read and their labeller. A big zip is read in ranges of its
    members (`ingest.extract`); when the range says where its central directory entries lie,
    only those are parsed, else the whole directory is, and the names before the range are
    labelled so repeated names get the same labels whatever the range."""
    label = labeller()
    ranged = _range_zip(raw, members)
    with ranged or zipfile.ZipFile(raw) as zf:
        infos = zf.infolist()
        if members and ranged is None:
            for info in infos[: members[0]]:
                if not info.is_dir() and readable(info.filename):
                    label(info.filename)
            infos = infos[members[0] : members[1]]
        yield zf, infos, label


def _range_zip(raw: BinaryIO, members: tuple[int, ...] | None) -> zipfile.ZipFile | None:
    """The zip as only the range's central directory entries, or None when the range does not
    say where they lie or they are not where it says (then the whole directory is read)."""
    if not members or len(members) != 4:
        return None
    first, end, cd_from, cd_to = members
    try:
        zf = zipfile.ZipFile(_CentralRange(raw, cd_from, cd_to, end - first))
    except (zipfile.BadZipFile, OSError, EOFError, struct.error, ValueError):
        return None
    if len(zf.infolist()) == end - first and _starts_a_member(raw, zf.infolist()):
        return zf
    zf.close()
    return None


def _starts_a_member(raw: BinaryIO, infos: list[zipfile.ZipInfo]) -> bool:
    """Whether the range's first entry points at a member's local header: a zip with bytes
    before its first member (a self-extractor) shifts every offset, and is read whole instead."""
    if not infos:
        return True
    raw.seek(infos[0].header_offset)
    return raw.read(4) == b"PK\x03\x04"


class _CentralRange(io.RawIOBase):
    """A zip's bytes up to the end of a range of its central directory's entries, then an end
    record that lists only that range: `zipfile` then parses those entries alone and reads
    their members from the real file. Parsing the whole directory for every batch of a bulk
    zip cost members x batches (bench/RESULTS.md, "Formats (issue 16)")."""

    def __init__(self, raw: BinaryIO, cd_from: int, cd_to: int, entries: int) -> None:
        self._raw, self._end, self._pos = raw, cd_to, 0
        size = cd_to - cd_from
        # Always the ZIP64 end records: offsets past 4 GiB and ranges past 65,535 entries fit.
        self._tail = (
            struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, cd_from)
            + struct.pack("<4sLQL", b"PK\x06\x07", 0, cd_to, 1)
            + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
        )

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._end + len(self._tail)}[whence]
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._pos < self._end:
            self._raw.seek(self._pos)
            data = self._raw.read(min(want, self._end - self._pos))
        else:
            data = self._tail[self._pos - self._end : self._pos - self._end + want]
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _tar_members(path: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    # A .tar.gz is one compressed stream: even a member that is skipped gets inflated to reach
    # the next header. So the stream position, not only the bytes kept, is held to the limits.
    # Held by compression ratio, not a total: the registry's full download inflates to gigabytes.
    ceiling = max(1, path.stat().st_size) * limits.max_compression_ratio
    label = labeller()
    with tarfile.open(path, "r:*") as tf:
        for info in tf:
            name = info.name
            if info.offset_data + info.size > ceiling:
                yield member_failed(
                    item,
                    label(name),
                    f"archive inflates past {ceiling:,} bytes (its limit, or {limits.max_compression_ratio} "
                    f"times its size: a bomb) at member '{name}' ({info.size:,} bytes): "
                    "this member and any after it are not read",
                )
                return
            if info.isdir() or not readable(name):
                continue
            problem = _member_problem(name)
            if problem is None and (info.issym() or info.islnk()):
                problem = f"archive member '{name}' is a link"
            if problem is None and not info.isfile():
                problem = f"archive member '{name}' is not a regular file"
            if problem is None and info.size > limits.max_page_bytes:
                problem = f"archive member '{name}' inflates to {info.size:,} bytes, above the page limit"
            if problem:
                yield member_failed(item, label(name), problem)
                continue
            fh = tf.extractfile(info)
            data = fh.read(info.size + 1) if fh else b""
            yield _member(item, label(name), data, limits)


def read_landing_item(root: Path, item: LandingFile, limits: Limits) -> list[PageRead]:
    if item.is_archive and not item.error:
        return list(read_archive(root, item, limits))
    return [read_file(root, item, limits)]
