"""Opening the store: one SQLAlchemy Core code path for SQLite and PostgreSQL.

``--db`` takes a file path (SQLite, one file, nothing to start) or a URL
(``sqlite:///calls.db``, ``postgresql://user:pass@host/db``). Whatever the database, the
schema is brought up to date by the numbered migrations before anything is read or written.
"""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, Connection, Engine, make_url

from ..errors import AnalyserError

log = logging.getLogger(__name__)


class StoreError(AnalyserError):
    """The database cannot be opened, is of a newer schema, or refused a write."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp that always comes back timezone-aware in UTC (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


# JSON documents: jsonb on PostgreSQL, JSON text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def normalise_url(db: str | Path) -> URL:
    """A SQLAlchemy URL from what the user typed: a file path means SQLite."""
    text = str(db).strip()
    if not text:
        raise StoreError("DB001", "--db: empty database URL")
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        if not path.parent.is_dir():
            raise StoreError("DB001", f"{text}: folder {path.parent} does not exist")
        return URL.create("sqlite", database=str(path))
    try:
        url = make_url(text)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several types for bad URLs
        raise StoreError("DB001", f"{text.split('@')[-1]}: not a database URL ({type(exc).__name__})") from exc
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    raise StoreError("DB001", f"{display(url)}: unsupported database {backend!r} (use a SQLite file or postgresql://)")


def display(url: URL) -> str:
    """The URL for messages and logs: never the password."""
    return url.render_as_string(hide_password=True)


def make_engine(db: str | Path | URL) -> Engine:
    url = db if isinstance(db, URL) else normalise_url(db)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_events(engine)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    return engine


def _sqlite_events(engine: Engine) -> None:
    """Real transactions on SQLite: the driver's own implicit BEGIN is switched off and we
    emit BEGIN ourselves, IMMEDIATE for writers so a check-then-write cannot interleave."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed when the block ends, rolled back on error."""
    with engine.connect().execution_options(write=True) as conn:
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        with conn.begin():
            yield conn


def first_line(exc: BaseException) -> str:
    """A driver error's first line, which names the problem without the SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


__all__ = ["JSONType", "StoreError", "UTCDateTime", "display", "make_engine", "normalise_url", "reading",
           "utcnow", "writing"]
