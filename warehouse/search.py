"""Full-text search over the warehouse, ranked by BM25 from DuckDB's `fts` extension.

The extension comes from the pinned PyPI package `duckdb-extension-fts` and is loaded from its
file: `INSTALL fts` would download it, and this project runs offline.

Documents (table `search_documents`): one per trial field (title, summary, description), one per
condition, per intervention and per criterion line. Analysts asking "trials whose criteria
mention X" want the matching lines, not only the trials: `search_criteria(term)` returns them,
`search_trials(term)` ranks trials by the sum of their documents' scores and shows the best one.

The index is rebuilt whole by `refresh_search_index(con)`: the extension has no incremental
update, and a rebuild reads only the warehouse's own tables.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import duckdb

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


def _documents_sql() -> str:
    parts = [
        f"SELECT nct_id, '{name}' AS source, ordinal, text FROM ({select}) AS s(nct_id, ordinal, text)"
        for name, select in SOURCES.items()
    ]
    # Ordered by trial so a trial's documents sit together: the result join reads few row groups.
    return (
        f"CREATE OR REPLACE TABLE {DOCUMENTS} AS "
        "SELECT CAST(row_number() OVER (ORDER BY nct_id, source, ordinal) AS UINTEGER) AS doc_id, * "
        f"FROM ({' UNION ALL '.join(parts)}) WHERE length(text) > 0 ORDER BY doc_id"
    )


def refresh_search_index(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the documents, the BM25 index and the macros from the current tables. Call after
    a load commits (or inside its transaction), on a read-write connection."""
    load_fts(con)
    con.execute(_documents_sql())
    con.execute(
        f"PRAGMA create_fts_index('{DOCUMENTS}', 'doc_id', 'text', stemmer = 'porter', "
        "stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1)"
    )
    # Postings sorted by term: a query reads the row groups of its own terms only (zone maps)
    # instead of every posting in the index.
    con.execute(f"CREATE OR REPLACE TABLE {INDEX_SCHEMA}.terms AS SELECT * FROM {INDEX_SCHEMA}.terms ORDER BY termid")
    create_macros(con)


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
        """CREATE OR REPLACE MACRO search_criteria(term) AS TABLE
        SELECT d.nct_id, d.ordinal AS criterion_ordinal, c.kind, d.score, d.text
        FROM search_documents_scored(term) AS d
        JOIN criteria AS c ON c.nct_id = d.nct_id AND c.criterion_ordinal = d.ordinal
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
