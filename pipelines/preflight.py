"""Path checks the command line makes before any work: a landing folder that is missing, or a
warehouse or export place that cannot be written, is one line naming the path and what to do,
instead of a traceback after the load has already committed.

Writability is probed by creating a file, not with `os.access`: as root that says yes to a
read-only mount, and it cannot see a full disk or an unwritable network share either.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from staging import settings as s


class PathProblem(ValueError):
    """One line: the path, what is wrong, and what to do."""


def _nearest_existing(path: Path) -> Path:
    """`path` itself or its closest ancestor that exists (the folders the run would create)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def probe_writable(folder: Path, what: str, fix: str) -> None:
    """Create and remove a file in `folder` (or the ancestor the run would create it under)."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise PathProblem(f"{what}: {existing} is a file, not a folder: {fix}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=existing)
    except OSError as exc:
        raise PathProblem(f"{what}: cannot write in {existing} ({exc.strerror}): {fix}") from None
    os.close(fd)
    os.unlink(probe)


def check_source(source: Path) -> None:
    fix = f"create it, or pass --source DIR (or set {s.SOURCE_ENV})"
    if not source.exists():
        raise PathProblem(f"landing folder {source} does not exist: {fix}")
    if not source.is_dir():
        raise PathProblem(f"landing folder {source} is a file, not a folder: {fix}")
    try:
        with os.scandir(source):
            pass
    except OSError as exc:
        raise PathProblem(f"landing folder {source} cannot be listed ({exc.strerror}): fix its permissions") from None


def check_warehouse(warehouse: Path) -> None:
    fix = f"pass --warehouse FILE in a folder you can write (or set {s.WAREHOUSE_ENV})"
    if warehouse.is_dir():
        raise PathProblem(f"warehouse {warehouse} is a folder: {fix}, e.g. {warehouse / 'trials.duckdb'}")
    # The lock file, the raw store and the staging folder all go beside the DuckDB file.
    probe_writable(warehouse.parent, f"warehouse {warehouse}", fix)
    if warehouse.exists():
        try:
            with open(warehouse, "r+b"):
                pass
        except OSError as exc:
            raise PathProblem(f"warehouse {warehouse} cannot be opened for writing ({exc.strerror}): {fix}") from None


def check_exports(exports: Path) -> None:
    fix = f"pass --exports DIR in a folder you can write (or set {s.EXPORTS_ENV})"
    if exports.exists() and not exports.is_symlink():
        raise PathProblem(
            f"exports {exports} is a real folder; exports are published as a symlink to {exports.name}.d/<run>: "
            f"move it aside, or {fix}"
        )
    # The export folders (`<exports>.d/`) and the switched symlink are made beside `exports`.
    probe_writable(exports.parent, f"exports {exports}", fix)
    versions = exports.with_name(exports.name + ".d")
    if versions.is_dir():
        probe_writable(versions, f"exports {exports}", fix)


def check_ingest_paths(source: Path, warehouse: Path, exports: Path) -> None:
    """Raise `PathProblem` for the first of the ingest's paths that cannot work."""
    check_source(source)
    check_warehouse(warehouse)
    check_exports(exports)
