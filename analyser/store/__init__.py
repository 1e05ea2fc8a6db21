"""The call store: calls, transcripts, findings, draft scorecards and reviewers' decisions.

One code path (SQLAlchemy Core) for a SQLite file and for PostgreSQL::

    from analyser.store import open_store, load_report_records, agreement_rows
    store = open_store("calls.db")              # or "postgresql://user:pw@host/db"
    records = load_report_records("calls.db", team="Billing", status="confirmed")
    rows = agreement_rows("calls.db")           # override rates per item and per detector

Opening a store applies any pending schema migrations first.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .agreement import CSV_COLUMNS, agreement, to_csv
from .calls import CallFilter, save_call_dir
from .db import StoreError, display, first_line, make_engine, normalise_url, reading
from .migrations import migrate


class Store:
    """An open database, migrated to the latest schema."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def url(self) -> str:
        return display(self.engine.url)

    def save_call_dir(self, call_dir: str | Path, **kw: Any) -> str:
        return save_call_dir(self.engine, call_dir, **kw)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_store(db: str | Path) -> Store:
    """Open (and migrate) the store at a SQLite path or a database URL; StoreError DB00x if not."""
    url = normalise_url(db)
    engine = make_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def load_report_records(db: str | Path, **filters: Any) -> list[dict[str, Any]]:
    """Plain per-call records for reports, oldest call first.

    Filters as in the review app's call list: agent, team, date_from, date_to (YYYY-MM-DD),
    status (draft / confirmed), risk (any / none / a code), min_score, max_score (percent), q.
    Each record: call_id, input, status, meta, agent, team, date, scorecard (the draft, as in
    scorecard.json), final_scorecard (the confirmed card in the same shape, or None),
    findings (findings.json's shape) and decisions (every one, oldest first).
    """
    from .reviews import _decision_dict, final_scorecard
    from .schema import calls, decisions, draft_items, draft_scorecards, findings
    from .calls import finding_dict

    try:
        flt = CallFilter.parse(filters)
    except ValueError as exc:
        raise StoreError("DB004", f"load_report_records: {exc}") from None
    with open_store(db) as store, reading(store.engine) as conn:
        q = (sa.select(calls, draft_scorecards.c.body, draft_scorecards.c.pass_mark)
             .join(draft_scorecards, draft_scorecards.c.call_id == calls.c.call_id)
             .where(*flt.where()).order_by(calls.c.call_date, calls.c.call_id))
        rows = conn.execute(q).all()
        ids = [r.call_id for r in rows]
        by_call: dict[str, dict[str, list]] = {i: {"findings": [], "decisions": [], "items": []} for i in ids}
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            for f in conn.execute(sa.select(findings).where(findings.c.call_id.in_(chunk))
                                  .order_by(findings.c.call_id, findings.c.position)):
                by_call[f.call_id]["findings"].append(finding_dict(f))
            for d in conn.execute(sa.select(decisions).where(decisions.c.call_id.in_(chunk)).order_by(decisions.c.id)):
                by_call[d.call_id]["decisions"].append(_decision_dict(d))
            for it in conn.execute(sa.select(draft_items).where(draft_items.c.call_id.in_(chunk))
                                   .order_by(draft_items.c.call_id, draft_items.c.position)).mappings():
                by_call[it["call_id"]]["items"].append(dict(it))
    out = []
    for r in rows:
        extra = by_call[r.call_id]
        final = None
        if r.status == "confirmed":
            latest = {d["item_id"]: d for d in extra["decisions"]}
            final = final_scorecard(r.body, extra["items"], latest, r.pass_mark, r.confirmed_by,
                                    r.confirmed_at.isoformat() if r.confirmed_at else None)
        out.append({"call_id": r.call_id, "input": r.input, "status": r.status, "meta": dict(r.meta or {}),
                    "agent": r.agent, "team": r.team, "date": r.call_date.isoformat() if r.call_date else None,
                    "scorecard": r.body, "final_scorecard": final, "findings": extra["findings"],
                    "decisions": extra["decisions"]})
    return out


def agreement_rows(db: str | Path) -> list[dict[str, Any]]:
    """How often reviewers override each item and each detector (confirmed calls); CSV_COLUMNS."""
    with open_store(db) as store:
        return agreement(store.engine)


def agreement_csv(db: str | Path) -> str:
    return to_csv(agreement_rows(db))


__all__ = ["CSV_COLUMNS", "Store", "StoreError", "agreement_csv", "agreement_rows", "first_line",
           "load_report_records", "open_store"]
