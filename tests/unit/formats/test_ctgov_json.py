"""API v2 JSON: the 353 shared records as JSON, against truth.jsonl and against their pages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest

from formats import FORMATS, format_for, streams
from formats.ctgov_json import FORMAT, _fast_study, study_record
from ingest.tables import build_tables
from recordpage import parse_page
from recordpage.model import Record, RecordError
from schemas import TABLES_BY_NAME
from schemas.core import CORE_TABLES as PAGE_TABLES
from schemas.record_extras import RECORD_EXTRA_TABLES
from schemas.validation import validate_batch
from tests.unit.formats.records import FIELDS, as_truth, field_scores, json_paths, page_path, truth


@pytest.fixture(scope="module")
def paths(shared_records: Path) -> list[Path]:
    found = json_paths()
    assert len(found) == 353
    return found


@pytest.fixture(scope="module")
def json_records(paths: list[Path]) -> list[Record]:
    return [FORMAT.parse(p.read_text(encoding="utf-8")) for p in paths]


@pytest.fixture(scope="module")
def page_records(paths: list[Path]) -> list[Record]:
    return [parse_page(page_path(p).read_text(encoding="utf-8")) for p in paths]


def test_registry_by_suffix() -> None:
    assert format_for("a/b/NCT00000410.JSON") is FORMAT
    assert format_for("x.txt").name == "page"
    assert format_for("x.csv") is None and format_for("json") is None
    assert {f.name for f in FORMATS} >= {"page", "ctgov_json"}
    assert FORMAT.rank > format_for("x.txt").rank
    assert streams(FORMAT)


def test_json_matches_truth(paths: list[Path], json_records: list[Record]) -> None:
    t = truth()
    expected = {p.stem: t[p.stem] for p in paths}
    got = {r.nct_id: as_truth(r) for r in json_records}
    scores, wrong = field_scores(expected, got)
    print("\nshare of JSON records exactly right, per field")
    for field in FIELDS:
        print(f"  {field:<20} {scores[field]:7.1%}")
    assert scores["criteria_text"] == 1.0, wrong.get("criteria_text")
    assert scores["criteria_depth"] >= 0.98, wrong.get("criteria_depth")
    low = {f: (s, wrong[f][:5]) for f, s in scores.items() if s < 0.995}
    assert not low, f"fields below 99.5%: {low}"


def _page_columns(table: str) -> list[str]:
    """The columns a page fills: the record beyond the page and the source format aside."""
    model = TABLES_BY_NAME[table]
    cols = model.to_schema().columns
    return [c for c, col in cols.items() if "formats" not in (col.metadata or {}) and c != "source_format"]


def _rows(frames: dict[str, pl.DataFrame], table: str) -> list[tuple]:
    columns = _page_columns(table)
    if table == "criteria":  # the JSON knows the nesting the page has lost
        columns = [c for c in columns if c not in ("depth", "parent_ordinal")]
    return frames[table].select(columns).rows()


def test_same_rows_as_the_pages(json_records: list[Record], page_records: list[Record]) -> None:
    from_json = build_tables([(k, "0" * 64, "path", r) for k, r in enumerate(json_records)])
    from_pages = build_tables([(k, "0" * 64, "path", r) for k, r in enumerate(page_records)])
    for model in PAGE_TABLES:
        table = model.__table__.name
        a, b = _rows(from_pages, table), _rows(from_json, table)
        assert len(a) == len(b), table
        differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        assert not differ, f"{table}: {differ[:3]}"
    assert all(from_json[table].height for table in ("trials", "arms", "criteria", "sites", "sponsors"))
    # The page fills nothing beyond itself; the JSON fills it, and every row keeps the rules.
    assert all(from_pages[m.__table__.name].is_empty() for m in RECORD_EXTRA_TABLES)
    assert all(from_json[m.__table__.name].height for m in RECORD_EXTRA_TABLES)
    assert set(from_pages["trials"]["source_format"]) == {"page"}
    assert set(from_json["trials"]["source_format"]) == {"ctgov_json"}
    assert validate_batch(from_json) == {}


def test_criteria_depth_from_indentation() -> None:
    text = (SHARED_JSON / "NCT02598232.json").read_text(encoding="utf-8")
    rows = [(c.kind, c.depth, c.parent, c.text[:30]) for c in FORMAT.parse(text).criteria]
    # `* ...contraceptive method\* ...` then an indented `  * Medically acceptable ...`
    k = next(i for i, r in enumerate(rows) if r[3].startswith("Medically acceptable"))
    assert rows[k][:3] == ("exclusion", 1, k) and rows[k - 1][1] == 0 and rows[k + 1][1:3] == (0, None)


def test_the_record_beyond_the_page(json_records: list[Record]) -> None:
    by_id = {r.nct_id: r for r in json_records}
    r = by_id["NCT00000410"]
    raw = json.loads((SHARED_JSON / "NCT00000410.json").read_text(encoding="utf-8"))["protocolSection"]
    assert r.official_title == raw["identificationModule"]["officialTitle"]
    assert (r.primary_completion_date, r.primary_completion_date_type) == ("2015-04", "ACTUAL")
    assert (r.start_date_type, r.enrollment_type, r.first_posted) == (None, "ACTUAL", "1999-11-04")
    assert r.keywords == raw["conditionsModule"]["keywords"]
    kinds = [o.kind for o in r.outcomes]
    assert kinds == ["primary"] + ["secondary"] * 4
    assert r.outcomes[0].time_frame == "Baseline, 6 wks, 3 and 6 mos, Annually thereafter"
    assert ("condition", "Back Pain", "D001416") in {(m.kind, m.term, m.mesh_id) for m in r.mesh_terms}
    site = r.sites[0]
    assert (site.zip, site.latitude, site.longitude) == ("94612", 37.80437, -122.2708)
    assert [s.role for s in r.sponsors] == ["lead", "collaborator", "collaborator", "collaborator"]
    assert r.source_format == "ctgov_json"
    # Across the 353: every reference, outcome and MeSH term of the JSON is kept.
    total_refs = total_outcomes = 0
    for p in json_paths():
        study = json.loads(p.read_text(encoding="utf-8"))
        total_refs += len(study["protocolSection"].get("referencesModule", {}).get("references", []))
        om = study["protocolSection"].get("outcomesModule", {})
        total_outcomes += sum(len(om.get(k, [])) for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes"))
    assert sum(len(r.references) for r in json_records) == total_refs > 0
    assert sum(len(r.outcomes) for r in json_records) == total_outcomes > 0
    stopped = [r for r in json_records if r.why_stopped]
    assert stopped and all(r.overall_status in ("TERMINATED", "WITHDRAWN", "SUSPENDED") for r in stopped)


SHARED_JSON = json_paths()[0].parent


def _studies(n: int) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in json_paths()[:n]]


def test_units_of_each_container() -> None:
    studies = _studies(4)
    one = json.dumps(studies[0])
    assert list(FORMAT.units(one)) == [(None, one)]
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    assert [label for label, _ in FORMAT.units(json.dumps(studies))] == ids
    page = json.dumps({"studies": studies, "nextPageToken": "abc"})
    units = list(FORMAT.units(page))
    assert [label for label, _ in units] == ids
    assert [FORMAT.parse(u).nct_id for _, u in units] == ids


def test_streaming_array_equals_units() -> None:
    studies = _studies(30)
    raw = json.dumps(studies, indent=1).encode()
    streamed = list(FORMAT.iter_units(io.BytesIO(b"\xef\xbb\xbf" + raw)))
    assert streamed == list(FORMAT.units(raw.decode()))
    assert len(streamed) == 30


def test_truncated_array_yields_complete_studies_then_an_error() -> None:
    studies = _studies(10)
    raw = json.dumps(studies).encode()
    cut = raw[: len(json.dumps(studies[:6])) + 200]  # inside the seventh study
    got: list[str | None] = []
    with pytest.raises(RecordError, match="cut off or damaged after 6 complete studies"):
        for label, _ in FORMAT.iter_units(io.BytesIO(cut)):
            got.append(label)
    assert got == [s["protocolSection"]["identificationModule"]["nctId"] for s in studies[:6]]
    with pytest.raises(RecordError, match="not valid JSON: it is cut off"):
        list(FORMAT.units(cut.decode()))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NCT ID: NCT00000410\nnot json", "not valid JSON"),
        ('{"derivedSection": {}, "hasResults": false}', "neither 'protocolSection'"),
        ('{"protocolSection": {"identificationModule": {"briefTitle": "x"}}}', "no NCT ID"),
        ('{"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}', "'NCT123' is not NCT"),
        ("42", "expected a study"),
        (
            '{"protocolSection": {"identificationModule": {"nctId": "NCT00000410"}, "designModule": ["x"]}}',
            "unexpected JSON type",
        ),
        (
            '{"protocolSection": {"identificationModule": {"nctId": "NCT00000410"}, '
            '"conditionsModule": {"conditions": "Asthma"}}}',
            "conditions.*expected a list of strings",
        ),
        (
            '{"protocolSection": {"identificationModule": {"nctId": "NCT00000410"}, '
            '"designModule": {"enrollmentInfo": {"count": "many"}}}}',
            "'many' is not a participant count",
        ),
    ],
)
def test_bad_input_is_a_record_error_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        for _, unit in FORMAT.units(text):
            FORMAT.parse(unit)


def test_fast_decode_reads_what_json_loads_reads(paths: list[Path], json_records: list[Record]) -> None:
    """The msgspec decode that skips the parts no table keeps gives every record exactly as
    json.loads of the whole study does, on every real record (all take the fast path)."""
    for path, record in zip(paths, json_records, strict=True):
        text = path.read_text(encoding="utf-8")
        assert _fast_study(text) is not None, path.name
        assert record == study_record(json.loads(text)), path.name


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (', "derivedSection": ["x"]}', "unexpected JSON type"),
        (', "derivedSection": {"conditionBrowseModule": ["x"]}}', "unexpected JSON type"),
        (', "hasResults": NaN}', None),  # json.loads reads NaN, msgspec does not
    ],
)
def test_fast_decode_falls_back_to_json_loads(tail: str, reason: str | None) -> None:
    """A study msgspec will not decode to the expected shape goes through json.loads: the
    same reason as before for a wrong shape, the same record for what json.loads accepts."""
    text = '{"protocolSection": {"identificationModule": {"nctId": "NCT00000410", "briefTitle": "x"}}' + tail
    assert _fast_study(text) is None
    if reason is None:
        assert FORMAT.parse(text) == study_record(json.loads(text))
    else:
        with pytest.raises(RecordError, match=reason):
            FORMAT.parse(text)


def test_a_study_with_a_bad_date_names_the_field() -> None:
    study = _studies(1)[0]
    study["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "2020-13"
    with pytest.raises(RecordError, match=r"startDateStruct.*not a real calendar date"):
        FORMAT.parse(json.dumps(study))


class _GeneratedArray(io.RawIOBase):
    """A JSON array of `n` studies produced as it is read, never whole in memory."""

    def __init__(self, studies: list[bytes], n: int) -> None:
        self._parts = iter(
            [b"[", *(s + (b"," if k < n - 1 else b"") for k in range(n) for s in [studies[k % len(studies)]]), b"]"]
        )
        self._buffer = b""
        self.size = 2 + sum(len(studies[k % len(studies)]) + 1 for k in range(n)) - 1

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buffer) < n:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        out, self._buffer = (self._buffer, b"") if n < 0 else (self._buffer[:n], self._buffer[n:])
        return out


def test_streaming_holds_one_study_at_a_time() -> None:
    import tracemalloc

    studies = [json.dumps(s).encode() for s in _studies(20)]
    source = _GeneratedArray(studies, 600)
    largest = max(map(len, studies))
    tracemalloc.start()
    count = 0
    for _, unit in FORMAT.iter_units(source):
        count += 1
        assert unit.startswith('{"protocolSection"')
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 600
    # The array (about 9 MB) is never held: memory stays within a few studies' worth.
    assert peak < 40 * largest < source.size / 2


def test_a_study_above_the_limit_ends_the_stream_in_bounded_memory() -> None:
    """One huge element (a 6 MB summary) is not built whole: the read stops with a reason
    once it passes the limit, after yielding the studies before it."""
    import tracemalloc

    first, huge, third = _studies(3)
    huge["protocolSection"]["descriptionModule"]["briefSummary"] = "x" * (6 * 1024 * 1024)
    raw = json.dumps([first, huge, third]).encode()
    assert len(list(FORMAT.iter_units(io.BytesIO(raw)))) == 3  # no limit: all of it
    got: list[str | None] = []
    tracemalloc.start()
    with pytest.raises(
        RecordError, match=r"study 2 of the JSON array does not end within the 1,048,576-byte page limit"
    ):
        for label, _ in FORMAT.iter_units(io.BytesIO(raw), max_unit_bytes=1024 * 1024):
            got.append(label)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got == [first["protocolSection"]["identificationModule"]["nctId"]]
    assert peak < 3 * 1024 * 1024  # the limit and a read-ahead buffer, not the 6 MB study
