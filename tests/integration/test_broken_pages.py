"""Broken pages beside the good ones: the good load, each broken one is quarantined with a
reason, and source_records keeps every page read."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import SEED, connect, landing_with_shared, run


def _broken_pages(landing: Path) -> dict[str, str]:
    """Write broken pages; -> {file name: words its rejection reason must contain}."""
    seed = SEED.read_text(encoding="utf-8")
    cut = seed.index("6. Patients from whom")  # inside the exclusion criteria
    pages = {
        "empty.txt": (b"", "empty"),
        "garbage.txt": (bytes(range(256)) * 40, "not text"),
        "no-nct-id.txt": (seed.replace("NCT ID: NCT04227327\n", "").encode(), "NCT ID"),
        "cut-off.txt": (seed[:cut].replace("NCT04227327", "NCT99999901").encode(), "cut off"),
    }
    for name, (data, _) in pages.items():
        (landing / name).write_bytes(data)
    return {name: words for name, (_, words) in pages.items()}


def test_broken_pages_are_quarantined_and_the_rest_load(tmp_path: Path) -> None:
    landing = landing_with_shared(tmp_path / "landing")
    expected = _broken_pages(landing)
    summary = run(landing, tmp_path)
    assert summary.load.pages_rejected == len(expected)

    with connect(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 239
        rejected = dict(con.execute("SELECT source_path, reason FROM rejected_records").fetchall())
        assert set(rejected) == set(expected)
        for name, words in expected.items():
            assert words.lower() in rejected[name].lower(), (name, rejected[name])
        assert "Eligibility Criteria" in rejected["cut-off.txt"]
        sources = con.execute("SELECT count(DISTINCT source_path) FROM source_records").fetchone()[0]
        assert sources == 239 + len(expected)
        kept = con.execute("SELECT record_text FROM source_records WHERE source_path = 'cut-off.txt'").fetchone()[0]
        assert kept.startswith("Study Evaluating Abemaciclib") and "NCT99999901" in kept
        garbage = con.execute(
            "SELECT record_text, octet_length(raw_bytes) FROM source_records WHERE source_path = 'garbage.txt'"
        ).fetchone()
        assert garbage == (None, 256 * 40)  # undecodable bytes are kept raw, not lost
