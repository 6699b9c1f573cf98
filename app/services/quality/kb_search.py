"""Knowledge-base search ranked by relevance, the same on SQLite and PostgreSQL.

Articles keep their normalised words (app/domain/wordforms.py) in `search_title` / `search_body`, set by
the model's flush hooks whenever the text changes, so every path that saves an article (pages, REST API,
demo, imports) keeps them right. The index is derived from those columns:

- SQLite: an FTS5 table `kb_fts` (rowid = article id), written in the same transaction as the article and
  ranked with bm25 (title words weigh 10, body words 1);
- PostgreSQL: a table `kb_tsv` holding each article's weighted tsvector ('simple' configuration: the words
  are already normalised; title A, body D) with a GIN index, written in the same transaction, ranked with
  ts_rank.

The index tables are part of the schema: the migration creates them (migrations/kb_search_index.py) and
so does `create_all` (the model's after_create hooks), both through `create_index`. `ensure_index` only
rebuilds a missing one in the caller's transaction (a database restored without it); nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.domain.wordforms import normalise, query_groups, words

FTS_TABLE = "kb_fts"
PG_TABLE = "kb_tsv"
PG_VECTOR = "(setweight(to_tsvector('simple', {t}), 'A') || setweight(to_tsvector('simple', {b}), 'D'))"
# the weighted vector is stored (ranking recomputing it for every matching article cost ~35 ms a query)
PG_CREATE = (f"CREATE TABLE IF NOT EXISTS {PG_TABLE} (article_id integer PRIMARY KEY REFERENCES kb_article(id) "
             f"ON DELETE CASCADE, tsv tsvector NOT NULL); "
             f"CREATE INDEX IF NOT EXISTS ix_{PG_TABLE} ON {PG_TABLE} USING gin (tsv)")
PG_FILL = (f"INSERT INTO {PG_TABLE}(article_id, tsv) SELECT id, "
           f"{PG_VECTOR.format(t='search_title', b='search_body')} FROM kb_article ON CONFLICT DO NOTHING")
PG_WRITE = (f"INSERT INTO {PG_TABLE}(article_id, tsv) VALUES (:id, {PG_VECTOR.format(t=':t', b=':b')}) "
            "ON CONFLICT (article_id) DO UPDATE SET tsv = EXCLUDED.tsv")
MAX_WORDS = 12  # a pasted paragraph is not a search: its first words are


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float


def normalised_fields(article) -> tuple[str, str]:
    """(title words, body words) of every language version of an article."""
    titles = " ".join(filter(None, (article.title, article.title_ru, article.title_es)))
    bodies = " ".join(filter(None, (article.body, article.body_ru, article.body_es)))
    tags = " ".join(t.name for t in article.tags) if "tags" in article.__dict__ else ""
    return normalise(titles), normalise(bodies + " " + tags)


def _is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _has_fts(conn: Connection) -> bool:
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
                        {"n": FTS_TABLE}).first() is not None


SQLITE_CREATE = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, body, "
                 "tokenize = 'unicode61 remove_diacritics 0')")
SQLITE_FILL = f"INSERT INTO {FTS_TABLE}(rowid, title, body) SELECT id, search_title, search_body FROM kb_article"


def create_index(conn: Connection) -> None:
    """Create the index tables of this database and fill them from the articles (the migration, create_all)."""
    if _is_sqlite(conn):
        conn.execute(text(SQLITE_CREATE))
        conn.execute(text(f"DELETE FROM {FTS_TABLE}"))
        conn.execute(text(SQLITE_FILL))
    elif conn.dialect.name == "postgresql":
        for stmt in PG_CREATE.split("; "):
            conn.execute(text(stmt))
        conn.execute(text(PG_FILL))


def drop_index(conn: Connection) -> None:
    """Drop the index tables (before kb_article goes: the migration's downgrade, drop_all)."""
    if _is_sqlite(conn):
        conn.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    elif conn.dialect.name == "postgresql":
        conn.execute(text(f"DROP TABLE IF EXISTS {PG_TABLE}"))


def ensure_index(conn: Connection) -> bool:
    """Rebuild a missing index in the caller's transaction (a restore without it); True when it was built."""
    present = _has_fts(conn) if _is_sqlite(conn) else _has_pg_table(conn) if conn.dialect.name == "postgresql" \
        else True
    if present:
        return False
    create_index(conn)
    return True


def _has_pg_table(conn: Connection) -> bool:
    return conn.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": PG_TABLE}).scalar()


def rebuild_index(conn: Connection) -> None:
    """Index every article again (after a bulk load that bypassed the model's hooks, or a restore)."""
    if conn.dialect.name == "postgresql" and _has_pg_table(conn):
        conn.execute(text(f"DELETE FROM {PG_TABLE}"))
    create_index(conn)


def write_index(conn: Connection, article_id: int, title: str, body: str) -> None:
    """Keep the SQLite index row of one article (PostgreSQL indexes the columns by itself)."""
    if conn.dialect.name == "postgresql":
        if _has_pg_table(conn):  # else a rebuild reads it from the articles, this one included
            conn.execute(text(PG_WRITE), {"id": article_id, "t": title, "b": body})
        return
    if not _is_sqlite(conn):
        return
    if ensure_index(conn):
        return  # just built from the table, this article included
    conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": article_id})
    conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (:id, :t, :b)"),
                 {"id": article_id, "t": title, "b": body})


def drop_from_index(conn: Connection, article_id: int) -> None:
    if _is_sqlite(conn) and _has_fts(conn):
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": article_id})


def _groups(query: str, prefix: bool) -> list[tuple[str, ...]]:
    groups = query_groups(query)[:MAX_WORDS]
    if prefix and groups:
        raw = words(query)[-1]
        if len(raw) >= 3:
            groups[-1] = (*groups[-1], raw + "*")
    return groups


def _fts_query(groups: list[tuple[str, ...]], any_word: bool) -> str:
    def term(t: str) -> str:
        return f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"'

    parts = ["(" + " OR ".join(term(t) for t in g) + ")" for g in groups]
    return (" OR " if any_word else " AND ").join(parts)


def _ts_query(groups: list[tuple[str, ...]], any_word: bool) -> str:
    def term(t: str) -> str:
        return f"{t[:-1]}:*" if t.endswith("*") else t

    parts = ["(" + " | ".join(term(t) for t in g) + ")" for g in groups]
    return (" | " if any_word else " & ").join(parts)


def search(session: Session, query: str, limit: int = 10, *, category_id: int | None = None,
           any_word: bool = False, prefix: bool = False, published_only: bool = True) -> list[Hit]:
    """Articles matching every word of `query` (or any, with `any_word`) in any of its forms, best first."""
    groups = _groups(query, prefix)
    if not groups:
        return []
    conn = session.connection()
    where = " AND a.published = :pub" if published_only else ""
    where += " AND a.category_id = :cat" if category_id else ""
    params = {"lim": limit, "pub": True, "cat": category_id}
    ensure_index(conn)
    if _is_sqlite(conn):
        sql = (f"SELECT a.id, bm25({FTS_TABLE}, 10.0, 1.0) AS score FROM {FTS_TABLE} "
               f"JOIN kb_article a ON a.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH :q{where} "
               "ORDER BY score, a.id LIMIT :lim")
        rows = conn.execute(text(sql), params | {"q": _fts_query(groups, any_word)}).all()
        return [Hit(r[0], -float(r[1])) for r in rows]
    sql = (f"SELECT a.id, ts_rank(v.tsv, q) AS score FROM {PG_TABLE} v JOIN kb_article a ON a.id = v.article_id, "
           f"to_tsquery('simple', :q) q WHERE v.tsv @@ q{where} ORDER BY score DESC, a.id LIMIT :lim")
    rows = conn.execute(text(sql), params | {"q": _ts_query(groups, any_word)}).all()
    return [Hit(r[0], float(r[1])) for r in rows]


def suggest(session: Session, typed: str, limit: int = 5) -> list[Hit]:
    """Articles for what a user is typing (a service request's subject): every word first, else any word."""
    hits = search(session, typed, limit, prefix=True)
    if len(hits) < limit:
        more = search(session, typed, limit, prefix=True, any_word=True)
        known = {h.article_id for h in hits}
        hits += [h for h in more if h.article_id not in known][:limit - len(hits)]
    return hits
