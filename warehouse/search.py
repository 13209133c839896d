"""Full-text search over the warehouse, ranked by BM25, with the tokenizer, stopwords and Porter
stemmer of DuckDB's `fts` extension.

The extension comes from the pinned PyPI package `duckdb-extension-fts` and is loaded from its
file: `INSTALL fts` would download it, and this project runs offline.

Documents: one per trial title, brief summary, condition, intervention and criterion line (the
detailed description, the largest text, is left out: the issue asks for the other five). The
index lives in the schema `search_index`. Its tokenizer macro and stopword list are the ones the
extension's `create_fts_index` writes (read from an empty in-memory index); its tables are built
here rather than by `create_fts_index`, for two reasons measured at 580,000 trials
(bench/RESULTS.md): the extension's build rewrites its postings with correlated UPDATEs, and its
postings hold only a document number, so every query joined the whole documents table to learn
a match's trial and kind. Here each posting carries its document's trial, kind, ordinal and
length, sorted by term, so a query reads its own terms' postings and nothing else.

The load keeps the index in step (`after_load`): in its transaction it notes the trials it loaded
in `search_index.pending`; after the commit, those trials' documents are replaced (or the whole
index is built, the first time or when its version is not `VERSION`) and the note is cleared in
the same transaction. A refresh that fails leaves the note, so the next run catches up.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from warehouse.store import scalar

IX = "search_index"
# Bumped when the index's tables or documents change: a warehouse with another version is rebuilt.
VERSION = 5
# BM25 parameters: the extension's defaults.
K1 = 1.2
B = 0.75

# Each kind of document: its name and the SELECT giving (nct_id, ordinal, text) for it.
SOURCES: dict[str, str] = {
    "title": "SELECT nct_id, 0, concat_ws(' / ', title, nullif(brief_title, title), acronym) FROM trials",
    "summary": "SELECT nct_id, 0, brief_summary FROM trials WHERE brief_summary IS NOT NULL",
    "condition": "SELECT nct_id, condition_ordinal, condition FROM conditions",
    "intervention": "SELECT nct_id, intervention_ordinal, concat_ws(': ', name, description) FROM interventions",
    "criterion": "SELECT nct_id, criterion_ordinal, text FROM criteria",
}
# Postings keep a document's kind as its position in this list: a small integer stores and sorts
# cheaper than the name (the sorted postings insert is the build's largest step).
_KINDS = "[" + ", ".join(f"'{name}'" for name in SOURCES) + "]"
# NCT IDs are NCT + 8 digits (schemas.core.NCT_PATTERN, validated before the load): postings keep
# the number, which compresses and compares better than the text.
_TRIAL = "CAST(substr(nct_id, 4) AS UINTEGER)"
NCT = "'NCT' || lpad(CAST(trial AS VARCHAR), 8, '0')"


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


@cache
def _extension_rules() -> tuple[str, tuple[str, ...]]:
    """(the body of the extension's `tokenize` macro, its English stopwords), as its
    `create_fts_index` writes them, taken from an empty index in memory."""
    with duckdb.connect() as mem:
        load_fts(mem)
        mem.execute("CREATE TABLE d (id INTEGER, t VARCHAR)")
        mem.execute(
            "PRAGMA create_fts_index('d', 'id', 't', stemmer = 'porter', stopwords = 'english', lower = 1, strip_accents = 1)"
        )
        body = scalar(
            mem.execute(
                "SELECT macro_definition FROM duckdb_functions() WHERE schema_name = 'fts_main_d' AND function_name = 'tokenize'"
            )
        )
        words = tuple(row[0] for row in mem.execute("SELECT sw FROM fts_main_d.stopwords ORDER BY sw").fetchall())
    return str(body), words


# --- state: is there an index, of this version, and which trials has it not caught up with ---


def index_version(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = con.execute(f"SELECT max(version) FROM {IX}.state").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None else row[0]


def has_search_index(con: duckdb.DuckDBPyConnection) -> bool:
    return index_version(con) == VERSION


def note_pending(con: duckdb.DuckDBPyConnection, nct_ids_sql: str) -> None:
    """In the load's transaction: the trials it loaded (a SELECT of nct_id) wait for the index."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {IX}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {IX}.pending (nct_id VARCHAR)")
    con.execute(f"INSERT INTO {IX}.pending SELECT DISTINCT nct_id FROM ({nct_ids_sql})")


def pending_trials(con: duckdb.DuckDBPyConnection) -> int:
    try:
        return int(scalar(con.execute(f"SELECT count(DISTINCT nct_id) FROM {IX}.pending")))
    except duckdb.CatalogException:
        return 0


@dataclass(frozen=True, slots=True)
class Refresh:
    kind: str  # "rebuilt", "updated", "up to date" or "stale"
    trials: int  # trials whose documents were replaced (all of them for a rebuild)
    seconds: float
    error: str | None = None  # why the index is stale: the next run tries again

    def describe(self) -> str:
        if self.error:
            return f"search index STALE ({self.error}); the next run refreshes it"
        if self.kind == "up to date":
            return "search index up to date"
        return f"search index {self.kind} ({self.trials:,} trials) in {self.seconds:.1f}s"


Log = Callable[[str], None]


def after_load(con: duckdb.DuckDBPyConnection, log: Log | None = None) -> Refresh:
    """After a load committed: bring the index up to date with the pending trials (or build it).
    A failure is returned, not raised: the load stands, and the pending note stays for the next run."""
    clock = time.perf_counter()
    try:
        kind, trials = _catch_up(con, log or (lambda _: None))
    except (duckdb.Error, OSError, RuntimeError) as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Refresh("stale", 0, time.perf_counter() - clock, f"{type(exc).__name__}: {first}")
    return Refresh(kind, trials, time.perf_counter() - clock)


def _catch_up(con: duckdb.DuckDBPyConnection, log: Log) -> tuple[str, int]:
    load_fts(con)
    if not has_search_index(con) or _mostly_retired(con):
        log("search index: building (first load, an index of another version, or one a quarter replaced)")
        refresh_search_index(con, log=log)
        return "rebuilt", int(scalar(con.execute("SELECT count(*) FROM trials")))
    waiting = pending_trials(con)
    if not waiting:
        return "up to date", 0
    log(f"search index: updating {waiting:,} trials")
    with _transaction(con):
        _update(con, f"SELECT DISTINCT nct_id FROM {IX}.pending", log)
        con.execute(f"DELETE FROM {IX}.pending")
        log("search index: commit")
    return "updated", waiting


def _mostly_retired(con: duckdb.DuckDBPyConnection) -> bool:
    """Replaced documents keep their postings (skipped by every query) until a rebuild: rebuild
    once they are a quarter of the documents, so the postings do not grow without end."""
    retired, live = con.execute(
        f"SELECT (SELECT count(*) FROM {IX}.retired), (SELECT count(*) FROM {IX}.documents)"
    ).fetchall()[0]
    return retired > max(live, 1) / 4


def refresh_search_index(
    con: duckdb.DuckDBPyConnection, nct_ids: Iterable[str] | None = None, log: Log | None = None
) -> None:
    """Build the index whole, or with `nct_ids` replace only those trials' documents (when there
    is an index of this version). On a read-write connection, outside a transaction."""
    log = log or (lambda _: None)
    load_fts(con)
    if nct_ids is not None and has_search_index(con):
        with _transaction(con):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE search_ids AS SELECT DISTINCT unnest(?::VARCHAR[]) AS nct_id",
                [sorted(set(nct_ids))],
            )
            _update(con, "SELECT nct_id FROM search_ids", log)
        return
    with _transaction(con):
        _rebuild(con, log)
        log("search index: commit")


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: a failure half-way would leave df, the postings and the stats disagreeing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# --- building ---


def _documents_select(where: str) -> str:
    """(nct_id, source, ordinal, text) of every document of the trials matching `where`."""
    parts = [
        f"SELECT nct_id, '{name}' AS source, CAST(ordinal AS INTEGER) AS ordinal, text "
        f"FROM ({select}) AS s(nct_id, ordinal, text)"
        for name, select in SOURCES.items()
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE length(text) > 0 AND ({where})"


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    body, stopwords = _extension_rules()
    con.execute(f"DROP SCHEMA IF EXISTS {IX} CASCADE")
    # The index of earlier versions: the extension's own tables over a copy of every text.
    con.execute("DROP SCHEMA IF EXISTS fts_main_search_documents CASCADE")
    con.execute("DROP TABLE IF EXISTS search_documents")
    con.execute(f"CREATE SCHEMA {IX}")
    con.execute(f"CREATE MACRO {IX}.tokenize(s) AS {body}")
    con.execute(f"CREATE TABLE {IX}.stopwords AS SELECT unnest(?::VARCHAR[]) AS sw", [list(stopwords)])
    con.execute(f"CREATE TABLE {IX}.pending (nct_id VARCHAR)")
    con.execute(f"CREATE TABLE {IX}.state (version INTEGER, built_at TIMESTAMPTZ)")
    con.execute(f"CREATE TABLE {IX}.terms (termid UINTEGER, term VARCHAR, df UINTEGER)")
    con.execute(
        f"CREATE TABLE {IX}.documents (doc_id UINTEGER, nct_id VARCHAR, source VARCHAR, ordinal INTEGER, len UINTEGER)"
    )
    con.execute(f"CREATE TABLE {IX}.retired (doc_id UINTEGER)")  # replaced documents whose postings remain
    con.execute(f"CREATE TABLE {IX}.stats (num_docs UBIGINT, avgdl DOUBLE)")
    con.execute(f"CREATE TABLE {IX}.vocabulary (word VARCHAR, termid UINTEGER)")  # each word -> its stem's term
    con.execute(
        f"""CREATE TABLE {IX}.postings (termid UINTEGER, doc_id UINTEGER, tf UINTEGER, len UINTEGER,
                                        trial UINTEGER, kind UTINYINT, ordinal INTEGER)"""
    )


def _rebuild(con: duckdb.DuckDBPyConnection, log: Log) -> None:
    _create_tables(con)
    _add_documents(con, "true", log)
    con.execute(f"INSERT INTO {IX}.state VALUES ({VERSION}, now())")
    create_macros(con)


def _update(con: duckdb.DuckDBPyConnection, nct_ids_sql: str, log: Log) -> None:
    """Replace the documents of the trials `nct_ids_sql` selects, as a full build of the same
    tables would index them (same documents, terms, tf, df and stats; other doc_ids)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE search_changed AS SELECT DISTINCT nct_id FROM ({nct_ids_sql})")
    log("search index: retiring the trials' documents")
    _retire(con)
    _add_documents(con, "nct_id IN (SELECT nct_id FROM search_changed)", log)
    con.execute("DROP TABLE search_changed")


def _retire(con: duckdb.DuckDBPyConnection) -> None:
    """The changed trials' current documents leave the index: their terms' df drops, and their
    postings are skipped by every query through `retired` (deleting them from the big postings
    table ran out of the pipeline's memory limit at 580,000 trials; a rebuild compacts them)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_gone AS
        SELECT doc_id, {_TRIAL} AS trial FROM {IX}.documents WHERE nct_id IN (SELECT nct_id FROM search_changed)"""
    )
    con.execute(
        f"""UPDATE {IX}.terms SET df = terms.df - gone.n
        FROM (SELECT termid, count(*) AS n FROM {IX}.postings
              WHERE trial IN (SELECT trial FROM search_gone) AND doc_id IN (SELECT doc_id FROM search_gone)
              GROUP BY termid) AS gone
        WHERE terms.termid = gone.termid"""
    )
    con.execute(f"INSERT INTO {IX}.retired SELECT doc_id FROM search_gone")
    con.execute(f"DELETE FROM {IX}.documents WHERE doc_id IN (SELECT doc_id FROM search_gone)")
    con.execute("DROP TABLE search_gone")


def _add_documents(con: duckdb.DuckDBPyConnection, where: str, log: Log) -> None:
    """Index the documents of the trials matching `where`, numbered after every doc_id used so far.
    Each distinct text is split, stemmed and counted once (criteria lines and conditions repeat
    across trials); its term frequencies and length are every document's with that text."""
    first = int(
        scalar(
            con.execute(
                f"SELECT coalesce(greatest((SELECT max(doc_id) FROM {IX}.documents), "
                f"(SELECT max(doc_id) FROM {IX}.retired)), 0)"
            )
        )
    )
    log("search index: reading the documents")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_docs AS
        SELECT CAST({first} + row_number() OVER () AS UINTEGER) AS doc_id, * FROM ({_documents_select(where)})"""
    )
    log("search index: distinct texts")
    _texts(con)
    log("search index: splitting words, dropping stopwords")
    _words(con)
    log("search index: stemming new words")
    _new_terms(con)
    _postings(con, log)
    con.execute(
        f"""CREATE OR REPLACE TABLE {IX}.stats AS
        SELECT count(*)::UBIGINT AS num_docs, coalesce(avg(len), 0)::DOUBLE AS avgdl FROM {IX}.documents"""
    )
    for temp in ("search_docs", "search_texts", "search_doc_texts", "search_words", "search_hits", "search_lengths"):
        con.execute(f"DROP TABLE {temp}")


def _texts(con: duckdb.DuckDBPyConnection) -> None:
    """`search_texts`: each distinct text of the new documents once, numbered; `search_doc_texts`:
    each document's text number (grouping by the text beats joining the texts back on it)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE search_texts AS
        SELECT CAST(row_number() OVER () AS UINTEGER) AS text_id, text, docs
        FROM (SELECT text, list(doc_id) AS docs FROM search_docs GROUP BY text)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE search_doc_texts AS
        SELECT unnest(docs) AS doc_id, text_id FROM search_texts"""
    )


def _words(con: duckdb.DuckDBPyConnection) -> None:
    """`search_words`: each word of the new texts as the extension's `create_fts_index`
    splits it (its `tokenize`), English stopwords dropped; stemmed later, once per distinct word."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_words AS
        SELECT text_id, w AS word FROM (SELECT text_id, unnest({IX}.tokenize(text)) AS w FROM search_texts)
        WHERE w <> '' AND w NOT IN (SELECT sw FROM {IX}.stopwords)"""
    )


def _new_terms(con: duckdb.DuckDBPyConnection) -> None:
    """Words not seen before get their Porter stem's term id (a new term when the stem is new).
    Stemming each distinct word once and joining it back is cheaper than stemming every word."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_new_words AS
        SELECT word, stem(word, 'porter') AS term
        FROM (SELECT DISTINCT word FROM search_words WHERE word NOT IN (SELECT word FROM {IX}.vocabulary))"""
    )
    con.execute(
        f"""INSERT INTO {IX}.terms
        SELECT CAST((SELECT coalesce(max(termid), 0) FROM {IX}.terms) + row_number() OVER (ORDER BY term) AS UINTEGER),
               term, 0
        FROM (SELECT DISTINCT term FROM search_new_words WHERE term NOT IN (SELECT term FROM {IX}.terms))"""
    )
    con.execute(
        f"INSERT INTO {IX}.vocabulary SELECT n.word, t.termid FROM search_new_words AS n JOIN {IX}.terms AS t USING (term)"
    )
    con.execute("DROP TABLE search_new_words")


def _postings(con: duckdb.DuckDBPyConnection, log: Log) -> None:
    """tf per (term, text), the texts' lengths in terms, df (documents, not texts), and the
    postings appended per document, sorted by term: a query's terms are a few row groups."""
    log("search index: term frequencies and text lengths")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_hits AS
        SELECT v.termid, w.text_id, CAST(count(*) AS UINTEGER) AS tf
        FROM search_words AS w JOIN {IX}.vocabulary AS v USING (word) GROUP BY v.termid, w.text_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE search_lengths AS
        SELECT t.text_id, CAST(coalesce(l.len, 0) AS UINTEGER) AS len, CAST(len(t.docs) AS UINTEGER) AS ndocs
        FROM search_texts AS t LEFT JOIN (SELECT text_id, sum(tf) AS len FROM search_hits GROUP BY text_id) AS l
        USING (text_id)"""
    )
    con.execute(
        f"""INSERT INTO {IX}.documents
        SELECT d.doc_id, d.nct_id, d.source, d.ordinal, l.len
        FROM search_docs AS d JOIN search_doc_texts AS x USING (doc_id) JOIN search_lengths AS l USING (text_id)"""
    )
    con.execute(
        f"""UPDATE {IX}.terms SET df = terms.df + added.n
        FROM (SELECT h.termid, sum(l.ndocs) AS n FROM search_hits AS h JOIN search_lengths AS l USING (text_id)
              GROUP BY h.termid) AS added
        WHERE terms.termid = added.termid"""
    )
    log("search index: postings sorted by term")
    with _ordered(con):
        con.execute(
            f"""INSERT INTO {IX}.postings
            SELECT h.termid, x.doc_id, h.tf, l.len, CAST(substr(d.nct_id, 4) AS UINTEGER),
                   CAST(list_position({_KINDS}, d.source) AS UTINYINT), d.ordinal
            FROM search_hits AS h JOIN search_lengths AS l USING (text_id)
            JOIN search_doc_texts AS x USING (text_id) JOIN search_docs AS d USING (doc_id)
            ORDER BY h.termid, x.doc_id"""
        )


@contextlib.contextmanager
def _ordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The pipeline turns insertion order off (store.configure); the postings need their ORDER BY kept."""
    before = scalar(con.execute("SELECT current_setting('preserve_insertion_order')"))
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {str(before).lower()}")


# --- querying ---


def _scores_sql(term: str) -> str:
    """BM25 per matching document for `term` (a SQL expression), as the extension's `match_bm25`
    scores (disjunctive; its `log` is base 10), read from the postings of the query's terms only."""
    return f"""
        WITH q AS (
            SELECT DISTINCT t.termid, t.df
            FROM (SELECT unnest({IX}.tokenize({term})) AS w) AS x
            JOIN {IX}.terms AS t ON t.term = stem(x.w, 'porter')
            WHERE x.w <> '' AND x.w NOT IN (SELECT sw FROM {IX}.stopwords)
        ),
        st AS (SELECT num_docs, avgdl FROM {IX}.stats)
        SELECT p.doc_id, {NCT} AS nct_id, {_KINDS}[any_value(p.kind)] AS source, any_value(p.ordinal) AS ordinal,
               sum(log(((st.num_docs - q.df + 0.5) / (q.df + 0.5)) + 1)
                   * p.tf * ({K1} + 1) / (p.tf + {K1} * (1 - {B} + {B} * p.len / st.avgdl))) AS score
        FROM {IX}.postings AS p JOIN q USING (termid), st
        WHERE p.doc_id NOT IN (SELECT doc_id FROM {IX}.retired)
        GROUP BY p.doc_id, p.trial
    """


def _texts_sql(nct_ids: str) -> str:
    """(nct_id, source, ordinal, text) of the documents of the trials `nct_ids` (an IN list or a
    subquery), read from the tables themselves: a filter on nct_id alone lets each table's scan
    skip the text of every other trial (with `length(text) > 0` too, it read every text: 3 s)."""
    parts = [
        f"SELECT nct_id, '{name}' AS source, CAST(ordinal AS INTEGER) AS ordinal, text "
        f"FROM ({select}) AS s(nct_id, ordinal, text) WHERE nct_id IN ({nct_ids})"
        for name, select in SOURCES.items()
    ]
    return " UNION ALL ".join(parts)


def _ranked_sql(term: str, limit: str) -> str:
    """Trials by the sum of their documents' BM25 scores, best first, at most `limit`."""
    return f"""
        SELECT nct_id, sum(score) AS score, arg_max(source, score) AS matched_in, arg_max(ordinal, score) AS ordinal
        FROM ({_scores_sql(term)}) GROUP BY nct_id
        ORDER BY score DESC, nct_id LIMIT {limit}"""


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """`search_documents_scored(term)`, `search_criteria(term, max_lines)` and
    `search_trials(term, max_results)` as table macros in the warehouse, so the SQL shell has them
    (with the extension loaded, for `stem`). The limits apply before the texts are read: reading
    the text of every match of a common term took seconds."""
    con.execute(
        f"""CREATE OR REPLACE MACRO search_documents_scored(term) AS TABLE
        SELECT nct_id, source, ordinal, score FROM ({_scores_sql("term")})"""
    )
    con.execute(
        """CREATE OR REPLACE MACRO search_criteria(term, max_lines := NULL) AS TABLE
        WITH d AS (
            SELECT * FROM search_documents_scored(term) WHERE source = 'criterion'
            ORDER BY score DESC, nct_id, ordinal LIMIT max_lines
        )
        SELECT d.nct_id, d.ordinal AS criterion_ordinal, d.score, c.text
        FROM d JOIN criteria AS c ON c.nct_id = d.nct_id AND c.criterion_ordinal = d.ordinal
        ORDER BY d.score DESC, d.nct_id, d.ordinal"""
    )
    con.execute(
        f"""CREATE OR REPLACE MACRO search_trials(term, max_results := 100) AS TABLE
        WITH ranked AS ({_ranked_sql("term", "max_results")})
        SELECT r.nct_id, r.score, t.title, r.matched_in, x.text AS matching_text
        FROM ranked AS r JOIN trials AS t USING (nct_id)
        JOIN ({_texts_sql("SELECT nct_id FROM ranked")}) AS x
          ON x.nct_id = r.nct_id AND x.source = r.matched_in AND x.ordinal = r.ordinal
        ORDER BY r.score DESC, r.nct_id"""
    )


@dataclass(frozen=True, slots=True)
class Hit:
    nct_id: str
    score: float
    title: str
    matched_in: str
    matching_text: str


def search(con: duckdb.DuckDBPyConnection, term: str, limit: int = 20) -> list[Hit]:
    """Trials ranked by BM25 for `term`, best first, with their best-matching text. The ranking
    comes first; only the `limit` trials found have their texts read, by a list of their IDs."""
    load_fts(con)
    ranked = con.execute(_ranked_sql("$term", "$limit"), {"term": term, "limit": limit}).fetchall()
    if not ranked:
        return []
    ids = ", ".join(f"'{nct_id}'" for nct_id, *_ in ranked)  # NCT + 8 digits, made by the query (NCT)
    texts = {(n, s, o): text for n, s, o, text in con.execute(_texts_sql(ids)).fetchall()}
    titles = dict(con.execute(f"SELECT nct_id, title FROM trials WHERE nct_id IN ({ids})").fetchall())
    return [Hit(n, score, titles[n], kind, texts[(n, kind, o)]) for n, score, kind, o in ranked]
