"""The landing folder: finding pages (plain files and archive members) and reading their bytes.

Everything here must survive whatever is in the folder: unreadable files, symlink loops,
archives with hostile member names or bombs. Problems become `PageRead.error` strings, never
exceptions, so one bad file cannot stop a run.
"""

from __future__ import annotations

import hashlib
import re
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ARCHIVE_SEPARATOR = "::"  # `landing/batch.zip::NCT01234567.txt`
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")


@dataclass(frozen=True, slots=True)
class LandingFile:
    """A file found under the landing folder: a page, or an archive holding pages."""

    path: str  # relative to the landing folder, '/'-separated
    size: int
    mtime_ns: int
    error: str | None = None  # set when the file cannot be used at all (permissions, loop)

    @property
    def is_archive(self) -> bool:
        return self.path.lower().endswith(ARCHIVE_SUFFIXES)


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


@dataclass(frozen=True, slots=True)
class Limits:
    max_page_bytes: int = 16 * 1024 * 1024
    max_archive_bytes: int = 2 * 1024 * 1024 * 1024  # total inflated size of one archive
    max_compression_ratio: int = 200


def scan(root: Path) -> Iterator[LandingFile]:
    """Every `*.txt` page and archive below `root`, in path order, without following symlinks
    to directories (so a link loop cannot recurse) and reporting unreadable entries."""
    root = root.resolve()
    stack = [root]
    found: list[LandingFile] = []
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            rel = _relative(Path(directory), root) or "."
            found.append(LandingFile(rel + "/", 0, 0, f"folder cannot be listed: {exc.strerror}"))
            continue
        for entry in entries:
            name = entry.name
            wanted = name.endswith(".txt") or name.lower().endswith(ARCHIVE_SUFFIXES)
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                    continue
                if not wanted:
                    continue
                st = entry.stat(follow_symlinks=True)
            except OSError as exc:
                if wanted:
                    reason = "symlink loop or dangling link" if entry.is_symlink() else exc.strerror
                    found.append(
                        LandingFile(_relative(Path(entry.path), root), 0, 0, f"file cannot be opened: {reason}")
                    )
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            found.append(LandingFile(_relative(Path(entry.path), root), st.st_size, st.st_mtime_ns))
    yield from sorted(found, key=lambda f: f.path)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def read_file(root: Path, item: LandingFile, limits: Limits) -> PageRead:
    if item.error:
        return _failed(item, item.error)
    if item.size > limits.max_page_bytes:
        return _failed(
            item, f"page is {item.size:,} bytes, above the {limits.max_page_bytes:,}-byte limit for one page"
        )
    try:
        with open(root / item.path, "rb") as fh:
            data = fh.read(limits.max_page_bytes + 1)
    except OSError as exc:
        return _failed(item, f"file cannot be read: {exc.strerror}")
    return decode_page(item.path, item.size, item.mtime_ns, data, limits)


def _failed(item: LandingFile, error: str) -> PageRead:
    return PageRead(item.path, item.size, item.mtime_ns, hashlib.sha256(b"").hexdigest(), None, None, None, error)


def decode_page(path: str, size: int, mtime_ns: int, data: bytes, limits: Limits) -> PageRead:
    """Bytes -> text. UTF-8 (with or without BOM), UTF-16 with BOM and Latin-1 are read as
    text; bytes that look binary are kept raw and the page is rejected."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > limits.max_page_bytes:
        return PageRead(path, size, mtime_ns, digest, None, None, None,
                        f"page is larger than the {limits.max_page_bytes:,}-byte limit for one page")  # fmt: skip
    text, encoding = _decode(data)
    if text is None:
        return PageRead(path, size, mtime_ns, digest, None, None, data,
                        "bytes are not text (binary content: NUL or control bytes, or no known encoding)")  # fmt: skip
    return PageRead(path, size, mtime_ns, digest, text, encoding, None, None)


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
        text = data.decode("latin-1")
        encoding = "latin-1"
    if _looks_binary(text):
        return None, None
    return text, encoding


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    """Text pages have next to no control characters; binary decoded as Latin-1 is full of them."""
    if "\x00" in text:
        return True
    sample = text[:4096]
    return len(_CONTROL.findall(sample)) > len(sample) // 100 + 1


def read_archive(root: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    """Pages inside a zip or tar.gz, read in memory. Members that escape the archive, links,
    and archives inflating past the limits are reported as failed pages; the rest load."""
    archive_path = root / item.path
    try:
        if item.path.lower().endswith(".zip"):
            yield from _zip_members(archive_path, item, limits)
        else:
            yield from _tar_members(archive_path, item, limits)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        yield _failed(item, f"archive cannot be read: {exc}")


def _member_problem(name: str) -> str | None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        return f"archive member '{name}' points outside the archive (absolute path or '..')"
    return None


def _member(item: LandingFile, name: str, data: bytes, limits: Limits) -> PageRead:
    return decode_page(f"{item.path}{ARCHIVE_SEPARATOR}{name}", len(data), item.mtime_ns, data, limits)


def _member_failed(item: LandingFile, name: str, error: str) -> PageRead:
    virtual = LandingFile(f"{item.path}{ARCHIVE_SEPARATOR}{name}", 0, item.mtime_ns)
    return _failed(virtual, error)


def _zip_members(path: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    with zipfile.ZipFile(path) as zf:
        budget = limits.max_archive_bytes
        for info in zf.infolist():
            if info.is_dir() or not info.filename.endswith(".txt"):
                continue
            name = info.filename
            problem = _member_problem(name)
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
            if problem is None and info.file_size > budget:
                problem = f"archive inflates past its {limits.max_archive_bytes:,}-byte limit at member '{name}'"
            if problem:
                yield _member_failed(item, name, problem)
                continue
            # Read at most the declared size + 1: a lying header cannot make us inflate more.
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
            if len(data) > info.file_size:
                yield _member_failed(item, name, f"archive member '{name}' inflates past its declared size")
                continue
            budget -= len(data)
            yield _member(item, name, data, limits)


def _tar_members(path: Path, item: LandingFile, limits: Limits) -> Iterator[PageRead]:
    budget = limits.max_archive_bytes
    with tarfile.open(path, "r:*") as tf:
        for info in tf:
            name = info.name
            if info.isdir() or not name.endswith(".txt"):
                continue
            problem = _member_problem(name)
            if problem is None and (info.issym() or info.islnk()):
                problem = f"archive member '{name}' is a link"
            if problem is None and not info.isfile():
                problem = f"archive member '{name}' is not a regular file"
            if problem is None and info.size > limits.max_page_bytes:
                problem = f"archive member '{name}' inflates to {info.size:,} bytes, above the page limit"
            if problem is None and info.size > budget:
                problem = f"archive inflates past its {limits.max_archive_bytes:,}-byte limit at member '{name}'"
            if problem:
                yield _member_failed(item, name, problem)
                continue
            fh = tf.extractfile(info)
            data = fh.read(info.size + 1) if fh else b""
            budget -= len(data)
            yield _member(item, name, data, limits)


def read_landing_item(root: Path, item: LandingFile, limits: Limits) -> list[PageRead]:
    if item.is_archive and not item.error:
        return list(read_archive(root, item, limits))
    return [read_file(root, item, limits)]
