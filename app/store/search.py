"""Word-prefix search over leads, the same on both stores and fast on a million rows.

A lead matches when every word of the query starts a word of its name, company, e-mail or
title ("tanaka iberia" finds Kenji Tanaka at Iberia Foods; "Ines" does not find a Business
Analyst). Both sides are folded by `app.store.fold` (case, accents, punctuation), so "ilker"
finds "İlker" on SQLite and PostgreSQL alike. The exact test is one LIKE per word on the
folded text, identical on both stores; an index narrows the candidates first (migration
`inputs`):

- SQLite: the FTS5 table `lead_search` holding the four fields folded (triggers call
  `leadgate_fold`), a prefix query per word, then the LIKEs on its stored folded text;
- PostgreSQL: the stored generated column `leads.search_text` (migration `search_text`: the
  four fields folded, joined by ' | ') and a pg_trgm GIN index on it. The LIKEs, the index's
  recheck and the rank read that stored text; nothing folds per row at query time.

`relevance_rank` orders matches: the name starting with the query, every word in the name,
then the company, then the e-mail, then the rest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, bindparam, case, false, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import NullType

from app.models import Lead
from app.store.fold import FOLD_FROM, FOLD_TO, SQLITE_FUNCTION, fold

SEARCH_TABLE = "lead_search"  # SQLite FTS5 table (and its shadow tables lead_search_*)
PG_INDEX = "ix_leads_search_trgm"
# PostgreSQL: ' ' + name + ' | ' + company + ' | ' + e-mail + ' | ' + title, each folded; kept
# by the server (a generated column, not in the ORM model). '|' folds to a space, so it is in
# no folded field and no folded query word: a word starts a word of this text exactly when it
# starts a word of one field, and split_part(.., '|', n) gives field n back (with a space
# either side, which no word-prefix LIKE can tell from the field itself).
PG_COLUMN = "search_text"
PG_SEPARATOR = "|"
SEARCH_COLUMNS = ("display_name", "company", "email_normalized", "title")

# PostgreSQL's translate() looks every character up in its table from the start. Lower-case
# letters, digits and spaces (most of the text) are not in the folding table, so each was
# compared with all 828 entries: 160 us per lead, most of the server's time in a bulk import,
# which computes `search_text` for every new lead. The same table with the frequent characters
# first (as themselves when the table leaves them so) folds identically, ten times faster
# (migration `search_text` folds with it; tests/db/test_bulk_import.py checks the two agree).
PG_FREQUENT = " eaionrstlcmdhuypgbkfwvjzxq0123456789.@-EAIONRSTLCMDHUYPGBKFWVJZXQ"


def _frequent_first(frm: str, to: str) -> tuple[str, str]:
    table = dict(zip(frm, to, strict=True))
    order = [*PG_FREQUENT, *(c for c in frm if c not in PG_FREQUENT)]
    return "".join(order), "".join(table.get(c, c) for c in order)


PG_FOLD_FROM, PG_FOLD_TO = _frequent_first(FOLD_FROM, FOLD_TO)
# SQLite keeps the folded fields in the FTS5 table itself (its triggers call `leadgate_fold`),
# so matching and ranking read them there, with no Python call per row.
SQLITE_FIELDS = dict(zip(SEARCH_COLUMNS, ("name", "company", "email", "title"), strict=True))
# Fills the whole SQLite index in one statement (an import into an empty store, app/store/bulk.py).
SQLITE_REFILL = (
    f"INSERT INTO {SEARCH_TABLE}(rowid, name, company, email, title) SELECT id, "
    + ", ".join(f"{SQLITE_FUNCTION}(coalesce({c}, ''))" for c in SEARCH_COLUMNS)
    + " FROM leads"
)
SQLITE_EXPRESSION = (
    f"(SELECT ' ' || name || ' ' || company || ' ' || email || ' ' || title "
    f"FROM {SEARCH_TABLE} WHERE rowid = leads.id)"
)


def is_search_object(name: str | None) -> bool:
    """Objects of the search index that the ORM metadata does not describe."""
    return bool(name) and (str(name).startswith(SEARCH_TABLE) or name in (PG_INDEX, PG_COLUMN))


def query_words(text: str) -> list[str]:
    """The words of a search text, folded as the index folds the leads."""
    return (fold(text) or "").split()


class _Folded(FunctionElement[str]):
    """' ' + the folded name, company, e-mail and title of the lead."""

    inherit_cache = True
    name = "lead_folded_text"
    type = String()


class _FoldedField(FunctionElement[str]):
    """' ' + one folded field of the lead."""

    inherit_cache = True
    name = "lead_folded_field"
    type = String()


class _Candidates(FunctionElement[Any]):
    """SQLite: the leads the FTS5 index finds for the prefix query. PostgreSQL: true (the
    trigram index serves the LIKEs themselves)."""

    inherit_cache = True
    name = "lead_search_candidates"
    # Not Boolean: on SQLite, SQLAlchemy would render a Boolean function as `(...) = 1`,
    # which hides the IN from the planner.
    type = NullType()


def lead_text_match(text: str) -> ColumnElement[Any]:
    """True for leads where every word of `text` starts a word of the searched fields."""
    words = query_words(text)
    if not words:
        return false()
    likes = [_Folded().like(f"% {_escape_like(w)}%", escape="\\") for w in words]
    fts_words = [w for w in words if any(ch.isalnum() for ch in w)]
    if not fts_words:
        return and_(*likes)
    fts_query = " ".join('"' + w.replace('"', '""') + '"*' for w in fts_words)
    return and_(_Candidates(bindparam(None, fts_query, unique=True)), *likes)


def relevance_rank(text: str) -> ColumnElement[int]:
    """0 for the best match of `text`, up to 4: sort ascending."""
    words = query_words(text)
    if not words:
        return case((false(), 0), else_=4)
    pg = _rank_case(words, *(_FoldedField(c) for c in (Lead.display_name, Lead.company,
                                                       Lead.email_normalized)))  # fmt: skip
    # SQLite: one look-up of the lead's folded fields in the FTS5 table, not one per field.
    lite = _rank_case(
        words, *(literal_column(f"(' ' || {f})") for f in ("name", "company", "email"))
    )
    return _Rank(pg, lite)


def _rank_case(words: list[str], name: Any, company: Any, email: Any) -> ColumnElement[int]:
    first = f"% {_escape_like(words[0])}%"
    return case(
        (name.like(f" {_escape_like(' '.join(words))}%", escape="\\"), 0),
        (and_(*(name.like(f"% {_escape_like(w)}%", escape="\\") for w in words)), 1),
        (company.like(first, escape="\\"), 2),
        (email.like(first, escape="\\"), 3),
        else_=4,
    )


class _Rank(FunctionElement[int]):
    """The rank CASE for PostgreSQL, or SQLite's, evaluated on one row of the FTS5 table."""

    inherit_cache = True
    name = "lead_search_rank"
    type = Integer()


@compiles(_Rank, "postgresql")
def _rank_postgresql(element: _Rank, compiler: Any, **kw: Any) -> str:
    pg, _lite = element.clauses
    return str(compiler.process(pg, **kw))


@compiles(_Rank, "sqlite")
def _rank_sqlite(element: _Rank, compiler: Any, **kw: Any) -> str:
    _pg, lite = element.clauses
    return f"(SELECT {compiler.process(lite, **kw)} FROM {SEARCH_TABLE} WHERE rowid = leads.id)"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@compiles(_Folded, "sqlite")
def _folded_sqlite(_element: _Folded, _compiler: Any, **_kw: Any) -> str:
    return SQLITE_EXPRESSION


@compiles(_Folded, "postgresql")
def _folded_postgresql(_element: _Folded, _compiler: Any, **_kw: Any) -> str:
    return f"leads.{PG_COLUMN}"


@compiles(_FoldedField, "sqlite")
def _field_sqlite(element: _FoldedField, _compiler: Any, **_kw: Any) -> str:
    (column,) = element.clauses
    field = SQLITE_FIELDS[str(column.key)]
    return f"(SELECT ' ' || {field} FROM {SEARCH_TABLE} WHERE rowid = leads.id)"


@compiles(_FoldedField, "postgresql")
def _field_postgresql(element: _FoldedField, _compiler: Any, **_kw: Any) -> str:
    (column,) = element.clauses
    n = SEARCH_COLUMNS.index(str(column.key)) + 1
    return f"split_part(leads.{PG_COLUMN}, '{PG_SEPARATOR}', {n})"


@compiles(_Candidates, "sqlite")
def _candidates_sqlite(element: _Candidates, compiler: Any, **kw: Any) -> str:
    (query,) = element.clauses
    match = compiler.process(query, **kw)
    return f"leads.id IN (SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH {match})"


@compiles(_Candidates, "postgresql")
def _candidates_postgresql(_element: _Candidates, _compiler: Any, **_kw: Any) -> str:
    return "true"


def search_backlog(session: Session) -> int:
    """Leads the SQLite search index has not taken in yet: a big import into an empty store
    leaves that to `catch_up_search` after it returns (`app.store.bulk`). 0 when in step (and
    always on PostgreSQL, whose index is part of every insert)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return 0
    leads = int(conn.exec_driver_sql("SELECT count(*) FROM leads").scalar() or 0)
    indexed = int(
        conn.exec_driver_sql(f"SELECT count(*) FROM {SEARCH_TABLE}_docsize").scalar() or 0
    )
    return max(0, leads - indexed)


def catch_up_search(session: Session) -> int:
    """Bring the SQLite search index up to date (the leads it lacks, folded as they are
    now); returns how many leads it took in. Nothing to do when in step. The caller commits."""
    backlog = search_backlog(session)
    if backlog:
        session.connection().exec_driver_sql(
            SQLITE_REFILL + f" WHERE id NOT IN (SELECT rowid FROM {SEARCH_TABLE})"
        )
    return backlog
