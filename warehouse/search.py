"""Full-text search over the warehouse, ranked by BM25 from DuckDB's `fts` extension.

The extension comes from the pinned PyPI package `duckdb-extension-fts` and is loaded from its
file: `INSTALL fts` would download it, and this project runs offline.

Documents (table `search_documents`; after incremental updates it also holds replaced rows, which
no longer appear in the index's `docs`): one per trial field (title, summary, description), one
per condition, per intervention and per criterion line. Analysts asking "trials whose criteria
mention X" want the matching lines, not only the trials: `search_criteria(term)` returns them,
`search_trials(term)` ranks trials by the sum of their documents' scores and shows the best one.

`refresh_search_index(con)` rebuilds the index whole with the extension's `create_fts_index`;
`refresh_search_index(con, nct_ids)` replaces only the documents of the trials a run loaded, with
the same tokenizer, stemmer and stopwords, in the extension's own tables (the extension has no
incremental update, and a full rebuild at registry size takes longer than a small run).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.store import scalar

DOCUMENTS = "search_documents"
INDEX_SCHEMA = f"fts_main_{DOCUMENTS}"
# BM25 parameters: the extension's defaults.
K1 = 1.2
B = 0.75

# Each source of text: a name and the SELECT giving (nct_id, ordinal, text) for it.
SOURCES: dict[str, str] = {
    "title": "SELECT nct_id, 0, concat_ws(' / ', title, nullif(brief_title, title), acronym) FROM trials",
    "summary": "SELECT nct_id, 0, brief_summary FROM trials WHERE brief_summary IS NOT NULL",
    "description": "SELECT nct_id, 0, detailed_description FROM trials WHERE detailed_description IS NOT NULL",
    "condition": "SELECT nct_id, condition_ordinal, condition FROM conditions",
    "intervention": ("SELECT nct_id, intervention_ordinal, concat_ws(': ', name, description) FROM interventions"),
    "criterion": "SELECT nct_id, criterion_ordinal, text FROM criteria",
}


def fts_extension_path() -> Path:
    """The fts extension file the pinned `duckdb-extension-fts` package ships for this engine."""
    spec = importlib.util.find_spec("duckdb_extension_fts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the duckdb-extension-fts package is not installed: install the project's requirements.lock")
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.is_file():
        raise RuntimeError(f"no fts extension for duckdb {duckdb.__version__} in {package}: pin matching versions")
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{fts_extension_path()}'")


def _documents_select(where: str = "true") -> str:
    """(nct_id, source, ordinal, text) of every document of the trials matching `where`."""
    parts = [
        f"SELECT nct_id, '{name}' AS source, ordinal, text FROM ({select}) AS s(nct_id, ordinal, text)"
        for name, select in SOURCES.items()
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE length(text) > 0 AND ({where})"


def _documents_sql() -> str:
    # Numbered as they stream, not sorted: a sort holds all the prose text (about 2 GB at 580k
    # trials) and runs out of the pipeline's memory limit.
    return (
        f"CREATE OR REPLACE TABLE {DOCUMENTS} AS "
        f"SELECT CAST(row_number() OVER () AS UINTEGER) AS doc_id, * FROM ({_documents_select()})"
    )


@contextlib.contextmanager
def _ordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The pipeline turns insertion order off (store.configure); the index needs its ORDER BYs kept."""
    before = scalar(con.execute("SELECT current_setting('preserve_insertion_order')"))
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {str(before).lower()}")


def has_search_index(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'terms'", [INDEX_SCHEMA]
    ).fetchone()
    return bool(found and found[0])


def refresh_search_index(con: duckdb.DuckDBPyConnection, nct_ids: Iterable[str] | None = None) -> None:
    """Keep the documents, the BM25 index and the macros in step with the tables. With `nct_ids`
    (the trials a run loaded, changed or removed), only their documents are replaced; without,
    or when there is no index yet, everything is rebuilt. Call after a load's inserts, in its
    transaction or after the commit, on a read-write connection."""
    load_fts(con)
    if nct_ids is not None and has_search_index(con):
        with _transaction(con):
            _update(con, sorted(set(nct_ids)))
    else:
        with _ordered(con):
            _rebuild(con)
    create_macros(con)


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The update's statements as one transaction (a failure half-way would leave df and the
    postings disagreeing), or inside the caller's, such as the load's."""
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        yield
        return
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _rebuild(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_documents_sql())
    con.execute(
        f"PRAGMA create_fts_index('{DOCUMENTS}', 'doc_id', 'text', stemmer = 'porter', "
        "stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1)"
    )
    # Postings sorted by term: a query reads the row groups of its own terms only (zone maps)
    # instead of every posting in the index.
    con.execute(f"CREATE OR REPLACE TABLE {INDEX_SCHEMA}.terms AS SELECT * FROM {INDEX_SCHEMA}.terms ORDER BY termid")


def _update(con: duckdb.DuckDBPyConnection, nct_ids: list[str]) -> None:
    """Replace the documents of `nct_ids` in the index as `create_fts_index` would have built
    them: same tokenize, stopwords (before stemming) and Porter stems; df and stats updated."""
    if not nct_ids:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE search_changed AS SELECT DISTINCT unnest(?::VARCHAR[]) AS nct_id", [nct_ids]
    )
    _retire_documents(con)
    _add_documents(con)
    for temp in ("search_changed", "search_gone", "search_new", "search_new_terms"):
        con.execute(f"DROP TABLE {temp}")


def _retire_documents(con: duckdb.DuckDBPyConnection) -> None:
    """The current documents of the trials in `search_changed` leave the index (`search_gone`)."""
    ix = INDEX_SCHEMA
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_gone AS
        SELECT dk.docid FROM {ix}.docs AS dk JOIN {DOCUMENTS} AS s ON s.doc_id = dk.name
        WHERE s.nct_id IN (SELECT nct_id FROM search_changed)"""
    )
    con.execute(
        f"""UPDATE {ix}.dict SET df = dict.df - gone.n
        FROM (SELECT termid, count(DISTINCT docid) AS n FROM {ix}.terms
              WHERE docid IN (SELECT docid FROM search_gone) GROUP BY termid) AS gone
        WHERE dict.termid = gone.termid"""
    )
    # Only the `docs` rows go: every score joins through them, so the replaced documents' rows
    # in `search_documents` and their postings drop out. Deleting those from the big tables
    # ran out of the pipeline's memory limit at 580k trials; a full rebuild compacts them.
    con.execute(f"DELETE FROM {ix}.docs WHERE docid IN (SELECT docid FROM search_gone)")


def _add_documents(con: duckdb.DuckDBPyConnection) -> None:
    """The trials in `search_changed`, as the warehouse now holds them, join the index: new
    documents, their terms, document frequencies, lengths and the index's statistics."""
    ix = INDEX_SCHEMA
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_new AS
        SELECT CAST((SELECT coalesce(max(doc_id), 0) FROM {DOCUMENTS})
                    + row_number() OVER (ORDER BY nct_id, source, ordinal) AS UINTEGER) AS doc_id,
               -- docid = doc_id: above every docid used before (a full build's docids are
               -- below its largest doc_id), so no orphaned posting is taken up again.
               (SELECT coalesce(max(doc_id), 0) FROM {DOCUMENTS})
                    + row_number() OVER (ORDER BY nct_id, source, ordinal) AS docid,
               nct_id, source, ordinal, text
        FROM ({_documents_select("nct_id IN (SELECT nct_id FROM search_changed)")})"""
    )
    con.execute(f"INSERT INTO {DOCUMENTS} SELECT doc_id, nct_id, source, ordinal, text FROM search_new")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_new_terms AS
        SELECT t.docid, stem(t.w, 'porter') AS term
        FROM (SELECT docid, unnest({ix}.tokenize(text)) AS w FROM search_new) AS t
        WHERE t.w IS NOT NULL AND len(t.w) > 0 AND t.w NOT IN (SELECT sw FROM {ix}.stopwords)"""
    )
    con.execute(
        f"""INSERT INTO {ix}.dict
        SELECT (SELECT coalesce(max(termid), -1) FROM {ix}.dict) + row_number() OVER (ORDER BY term), term, 0
        FROM (SELECT DISTINCT term FROM search_new_terms WHERE term NOT IN (SELECT term FROM {ix}.dict))"""
    )
    con.execute(
        f"""INSERT INTO {ix}.terms
        SELECT n.docid, 0, d.termid FROM search_new_terms AS n JOIN {ix}.dict AS d ON d.term = n.term"""
    )
    con.execute(
        f"""UPDATE {ix}.dict SET df = dict.df + added.n
        FROM (SELECT d.termid, count(DISTINCT n.docid) AS n FROM search_new_terms AS n
              JOIN {ix}.dict AS d ON d.term = n.term GROUP BY d.termid) AS added
        WHERE dict.termid = added.termid"""
    )
    con.execute(
        f"""INSERT INTO {ix}.docs
        SELECT s.docid, s.doc_id, coalesce(c.len, 0) FROM search_new AS s
        LEFT JOIN (SELECT docid, count(*) AS len FROM search_new_terms GROUP BY docid) AS c USING (docid)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE {ix}.stats AS
        SELECT count(docid) AS num_docs, sum(len) / count(len) AS avgdl FROM {ix}.docs"""
    )


def _scores_sql(term: str) -> str:
    """BM25 per matching document for `term` (a SQL expression), read from the index tables
    starting at the query's terms, as the extension's `match_bm25` scores them (its `log` is base 10)."""
    ix = INDEX_SCHEMA
    return f"""
        WITH q AS (
            SELECT DISTINCT d.termid, d.df
            FROM (SELECT unnest({ix}.tokenize({term})) AS w) AS t
            JOIN {ix}.dict AS d ON d.term = stem(t.w, 'porter')
            WHERE t.w NOT IN (SELECT sw FROM {ix}.stopwords)
        ),
        tf AS (
            SELECT p.docid, q.termid, any_value(q.df) AS df, count(*) AS tf
            FROM {ix}.terms AS p JOIN q ON p.termid = q.termid
            GROUP BY p.docid, q.termid
        ),
        st AS (SELECT num_docs, avgdl FROM {ix}.stats)
        SELECT tf.docid,
               sum(log(((st.num_docs - tf.df + 0.5) / (tf.df + 0.5)) + 1)
                   * tf.tf * ({K1} + 1)
                   / (tf.tf + {K1} * (1 - {B} + {B} * dk.len / st.avgdl))) AS score
        FROM tf JOIN {ix}.docs AS dk ON dk.docid = tf.docid, st
        GROUP BY tf.docid
    """


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """`search_criteria(term)` and `search_trials(term)` as table macros in the warehouse, so
    the SQL shell has them (with the extension loaded, for `tokenize`'s stemmer)."""
    ix = INDEX_SCHEMA
    con.execute(
        f"""CREATE OR REPLACE MACRO search_documents_scored(term) AS TABLE
        SELECT s.nct_id, s.source, s.ordinal, sc.score, s.text
        FROM ({_scores_sql("term")}) AS sc
        JOIN {ix}.docs AS dk ON dk.docid = sc.docid
        JOIN {DOCUMENTS} AS s ON s.doc_id = dk.name"""
    )
    con.execute(
        # No join to `criteria` for the kind: it doubled the time of a common term's query; an
        # analyst joins on (nct_id, criterion_ordinal) for it.
        """CREATE OR REPLACE MACRO search_criteria(term) AS TABLE
        SELECT d.nct_id, d.ordinal AS criterion_ordinal, d.score, d.text
        FROM search_documents_scored(term) AS d
        WHERE d.source = 'criterion'
        ORDER BY d.score DESC, d.nct_id, d.ordinal"""
    )
    con.execute(
        """CREATE OR REPLACE MACRO search_trials(term) AS TABLE
        SELECT d.nct_id, sum(d.score) AS score, any_value(t.title) AS title,
               arg_max(d.source, d.score) AS matched_in, arg_max(d.text, d.score) AS matching_text
        FROM search_documents_scored(term) AS d JOIN trials AS t USING (nct_id)
        GROUP BY d.nct_id
        ORDER BY score DESC, d.nct_id"""
    )


@dataclass(frozen=True, slots=True)
class Hit:
    nct_id: str
    score: float
    title: str
    matched_in: str
    matching_text: str


def search(con: duckdb.DuckDBPyConnection, term: str, limit: int = 20) -> list[Hit]:
    """Trials ranked by BM25 for `term`, best first, with their best-matching text."""
    load_fts(con)
    rows = con.execute("SELECT * FROM search_trials(?) LIMIT ?", [term, limit]).fetchall()
    return [Hit(*row) for row in rows]
