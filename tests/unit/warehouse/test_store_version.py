"""The warehouse file's storage version: a file this engine cannot read is refused with one line
saying how to rebuild, never opened; new files take a format the pinned shell reads."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb
import pytest

from warehouse.shell import main
from warehouse.store import (
    READABLE_STORAGE_VERSIONS,
    WarehouseVersionError,
    check_storage_version,
    connect,
    storage_version,
)


def _written(path: Path) -> Path:
    with connect(path) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
    return path


def _bump(path: Path, number: int) -> None:
    """Write another storage version number into the file's main header (bytes 12-20) and
    re-sign the header with DuckDB's block checksum, as a newer DuckDB would have written it."""
    with open(path, "r+b") as fh:
        header = bytearray(fh.read(4096))
        header[12:20] = number.to_bytes(8, "little")
        checksum = 5381
        for (word,) in struct.iter_unpack("<Q", bytes(header[8:])):
            checksum ^= (word * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        header[0:8] = checksum.to_bytes(8, "little")
        fh.seek(0)
        fh.write(header)


def test_a_file_this_engine_writes_is_readable_and_names_its_writer(tmp_path: Path) -> None:
    path = _written(tmp_path / "trials.duckdb")
    number, library = storage_version(path)
    assert number in READABLE_STORAGE_VERSIONS
    assert library.startswith(f"v{duckdb.__version__}")
    check_storage_version(path)
    with connect(path, read_only=True) as con:
        assert con.execute("SELECT a FROM t").fetchall() == [(1,)]


@pytest.mark.parametrize("number", [READABLE_STORAGE_VERSIONS[-1] + 1, 999])
def test_a_newer_file_is_refused_in_one_line_saying_to_rebuild(
    tmp_path: Path, number: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path / "trials.duckdb")
    _bump(path, number)
    with pytest.raises(WarehouseVersionError) as caught:
        connect(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and f"storage version {number}" in message and "newer" in message
    assert "trials.raw" in message and "ingest again" in message
    # DuckDB itself refuses the file too, and its refusal gets the same one-line treatment.
    with pytest.raises(duckdb.IOException, match=f"version number {number}"):
        duckdb.connect(str(path), read_only=True)
    monkeypatch.setattr("warehouse.store.check_storage_version", lambda path: None)
    with pytest.raises(WarehouseVersionError, match="ingest again") as caught:
        connect(path, read_only=True)
    assert "\n" not in str(caught.value) and f"version number {number}" in str(caught.value)


def test_a_missing_file_or_another_file_passes_the_guard(tmp_path: Path) -> None:
    check_storage_version(tmp_path / "absent.duckdb")
    other = tmp_path / "notes.txt"
    other.write_text("not a database, and long enough to hold a header: " * 4)
    assert storage_version(other) is None


def test_a_new_file_stores_prose_with_zstd(tmp_path: Path) -> None:
    """Under DuckDB 1.5's default (0.10-compatible) storage, `USING COMPRESSION zstd` is not
    applied to VARCHAR: new warehouse files are created in the 1.5 format so it is."""
    with connect(tmp_path / "trials.duckdb") as con:
        con.execute("CREATE TABLE c (text VARCHAR USING COMPRESSION zstd)")
        con.execute(
            "INSERT INTO c SELECT 'patients over ' || i || ' years of age with a history of asthma' FROM range(200000) r(i)"
        )
        con.execute("CHECKPOINT")
        used = con.execute(
            "SELECT DISTINCT compression FROM pragma_storage_info('c') WHERE segment_type = 'VARCHAR'"
        ).fetchall()
    assert used == [("ZSTD",)]


def test_the_sql_shell_refuses_a_newer_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _written(tmp_path / "trials.duckdb")
    _bump(path, READABLE_STORAGE_VERSIONS[-1] + 1)
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"sql: {path} was written by a newer DuckDB")
