"""The call list stays fast with 10,000 calls in the store."""
from __future__ import annotations

import copy
import datetime as dt
import time

import pytest
import sqlalchemy as sa

from analyser.review.app import create_app
from analyser.store import open_store
from analyser.store.calls import CallFilter, list_calls
from analyser.store.schema import calls, draft_items, draft_scorecards, transcripts
from analyser.store.users import add_user
from test_store import db, seeded_sqlite  # noqa: F401 - the analysed sample store

N = 10_000


def clone_calls(engine, source: str, n: int) -> None:
    """n copies of one analysed call, spread over agents, teams, days, scores and risks."""
    with engine.connect() as conn:
        call = dict(conn.execute(sa.select(calls).where(calls.c.call_id == source)).mappings().one())
        card = dict(conn.execute(sa.select(draft_scorecards).where(draft_scorecards.c.call_id == source)).mappings().one())
        items = [dict(r) for r in conn.execute(sa.select(draft_items).where(draft_items.c.call_id == source)).mappings()]
        body = conn.execute(sa.select(transcripts.c.body).where(transcripts.c.call_id == source)).scalar_one()
    day0 = dt.date(2026, 1, 1)
    rows_c, rows_s, rows_i, rows_t = [], [], [], []
    for i in range(n):
        cid = f"bulk-{i:05d}"
        pct = float(i % 101)
        rows_c.append({**call, "call_id": cid, "agent": f"A-{i % 40:03d}", "team": ("Billing", "Sales", "Care")[i % 3],
                       "call_date": day0 + dt.timedelta(days=i % 300), "percent": pct,
                       "status": "confirmed" if i % 4 == 0 else "draft", "risk_count": 1 if i % 7 == 0 else 0,
                       "risk_codes": " PCI.CARD_DETAILS_SPOKEN " if i % 7 == 0 else " "})
        rows_s.append({**card, "call_id": cid})
        rows_i.extend({**it, "call_id": cid} for it in items)
        rows_t.append({"call_id": cid, "body": copy.deepcopy(body)})
    with engine.begin() as conn:
        for table, rows in ((calls, rows_c), (draft_scorecards, rows_s), (draft_items, rows_i), (transcripts, rows_t)):
            for k in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[k:k + 5000])


@pytest.mark.slow
def test_store_scale_list_is_fast_with_10000_calls(db):
    with open_store(db) as store:
        clone_calls(store.engine, "broadband-billing-001", N)
        add_user(store.engine, "rev1", "reviewer", "a long enough password")
        filters = [{}, {"agent": "A-007"}, {"team": "Sales", "status": "draft"}, {"risk": "PCI.CARD_DETAILS_SPOKEN"},
                   {"min_score": "40", "max_score": "60"}, {"date_from": "2026-03-01", "date_to": "2026-03-31"},
                   {"q": "bulk-09"}]
        for f in filters:
            t0 = time.perf_counter()
            rows, total = list_calls(store.engine, CallFilter.parse(f), page=20, per_page=50, sort="-score")
            took = time.perf_counter() - t0
            assert took < 0.5, (f, took)
            assert total > 0
        _, total = list_calls(store.engine, CallFilter())
        assert total == N + 5
    app = create_app(db)
    client = app.test_client()
    client.get("/login")
    token = client.get_cookie("analyser_login_csrf", path="/login").value
    client.post("/login", data={"name": "rev1", "password": "a long enough password", "csrf_token": token})
    t0 = time.perf_counter()
    resp = client.get("/?team=Care&risk=any&sort=score&page=3")
    took = time.perf_counter() - t0
    assert resp.status_code == 200 and b"bulk-" in resp.data
    assert took < 1.0, took
    app.config["STORE"].close()
