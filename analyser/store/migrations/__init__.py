"""Numbered schema migrations, applied in order and recorded in ``schema_version``.

Each step is a module ``vNNN_<what>.py`` with ``VERSION`` (NNN), ``DESCRIPTION`` and
``upgrade(conn)``. Opening a store applies the steps the database has not seen, in one
transaction, each with its row in ``schema_version`` (all or nothing); a database of a newer version than this
code knows is refused rather than misread. On PostgreSQL an advisory lock keeps two processes
that open a fresh database at once from both migrating it.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from types import ModuleType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..db import StoreError, display, first_line, utcnow, writing
from ..schema import schema_version

log = logging.getLogger(__name__)
PG_LOCK_KEY = 0x616E616C  # "anal": one advisory lock id for this schema


def steps() -> list[ModuleType]:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("v") and info.name[1:4].isdigit():
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    mods.sort(key=lambda m: m.VERSION)
    versions = [m.VERSION for m in mods]
    if versions != list(range(1, len(mods) + 1)):
        raise RuntimeError(f"migration steps must be numbered 1..n without gaps, found {versions}")
    return mods


LATEST = len(steps())


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def migrate(engine: Engine) -> tuple[int, int]:
    """Bring the database to the latest schema: (version before, version after)."""
    try:
        with writing(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
            schema_version.create(conn, checkfirst=True)
            before = current_version(conn)
            if before > LATEST:
                raise StoreError("DB003", f"{display(engine.url)}: schema version {before} is newer than this "
                                          f"analyser knows ({LATEST}); upgrade the analyser")
            for step in steps()[before:]:
                step.upgrade(conn)
                conn.execute(schema_version.insert().values(version=step.VERSION, description=step.DESCRIPTION,
                                                            applied_at=utcnow()))
                log.info("database migrated to version %d (%s)", step.VERSION, step.DESCRIPTION)
            return before, LATEST
    except StoreError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError("DB001", f"{display(engine.url)}: cannot open the database: {first_line(exc)}") from exc


__all__ = ["LATEST", "current_version", "migrate", "steps"]
