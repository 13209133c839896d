"""The benchmark's JSON corpus (bench/synthetic/render_json.py) holds the same trials as its
page corpus: parsed by each format, 500 synthetic records give identical contract rows, the
criteria's nesting included. So the per-format benchmark compares like with like."""

from __future__ import annotations

import json

from bench.synthetic.render import render_page
from bench.synthetic.render_json import render_json
from bench.synthetic.synth import shard_records
from formats.ctgov_json import FORMAT
from ingest.tables import build_tables
from recordpage import parse_page
from schemas.core import CORE_TABLES as PAGE_TABLES
from schemas.record_extras import RECORD_EXTRA_TABLES


def _page_columns(model: type) -> list[str]:
    cols = model.to_schema().columns
    return [c for c, col in cols.items() if "formats" not in (col.metadata or {}) and c != "source_format"]


def test_json_and_page_renderings_give_the_same_rows() -> None:
    records = list(shard_records(0, 0, 500))
    texts = [render_json(r) for r in records]
    from_json = build_tables([(k, "0" * 64, "p", FORMAT.parse(t)) for k, t in enumerate(texts)])
    from_pages = build_tables([(k, "0" * 64, "p", parse_page(render_page(r))) for k, r in enumerate(records)])
    for model in PAGE_TABLES:
        table = model.__table__.name
        columns = _page_columns(model)
        a, b = from_pages[table].select(columns).rows(), from_json[table].select(columns).rows()
        assert a == b, f"{table}: {[(x, y) for x, y in zip(a, b, strict=False) if x != y][:2]}"
    assert from_json["criteria"]["depth"].max() >= 2  # nesting carried by indentation
    # What only the registry's JSON carries is there too, so a study is as big as a real one.
    assert all(from_json[m.__table__.name].height > len(records) for m in RECORD_EXTRA_TABLES)
    assert sum(map(len, texts)) > 2 * sum(len(render_page(r)) for r in records)
    assert all(json.loads(t)["protocolSection"]["identificationModule"]["nctId"] == r.nct_id
               for t, r in zip(texts, records, strict=True))  # fmt: skip
