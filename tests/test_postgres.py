"""The same store and app code against a real PostgreSQL server.

Set ANALYSER_TEST_PG_URL (e.g. postgresql://analyser:analyser@127.0.0.1/analyser_test) to a
database these tests may wipe; CI installs, starts and names one.
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from analyser.review.app import create_app
from analyser.store import agreement_rows, load_report_records, open_store
from analyser.store import reviews
from analyser.store.calls import CallFilter, list_calls
from analyser.store.migrations import LATEST
from analyser.store.schema import metadata
from analyser.store.users import add_user
from test_store import build_store

PG_URL = os.environ.get("ANALYSER_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="ANALYSER_TEST_PG_URL is not set: no PostgreSQL server to test "
                                                   "against (CI sets it; see .ci/run)")
PW = "a long enough password"


def wipe(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS schema_version"))
    engine.dispose()


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    wipe(PG_URL)
    out = tmp_path_factory.mktemp("pg") / "out"
    summary = build_store(PG_URL, out)
    assert summary.count("ok") == 5 and {e.get("db") for e in summary.entries if e["call_id"]} == {"stored"}
    yield PG_URL
    wipe(PG_URL)


def test_postgres_migrated_schema_matches(pg):
    with open_store(pg) as store:
        insp = sa.inspect(store.engine)
        for table in metadata.sorted_tables:
            assert {c["name"] for c in insp.get_columns(table.name)} == {c.name for c in table.columns}, table.name
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("select max(version) from schema_version")).scalar() == LATEST
            kinds = {c["name"]: type(c["type"]).__name__ for c in insp.get_columns("transcripts")}
            assert kinds["body"] == "JSONB"


def test_postgres_rerun_is_unchanged(pg, tmp_path):
    summary = build_store(pg, tmp_path / "out")
    assert {e.get("db") for e in summary.entries if e["call_id"]} == {"unchanged"}


def test_postgres_list_filters(pg):
    with open_store(pg) as store:
        rows, total = list_calls(store.engine, CallFilter())
        assert total == 5
        risky, n = list_calls(store.engine, CallFilter.parse({"risk": "PCI.CARD_DETAILS_SPOKEN"}))
        assert n >= 1 and all("PCI.CARD_DETAILS_SPOKEN" in r["risks"] for r in risky)
        day = rows[0]["call_date"]
        same, _ = list_calls(store.engine, CallFilter.parse({"date_from": day, "date_to": day, "q": "-00"}))
        assert same and {r["call_date"] for r in same} == {day}


def test_postgres_review_flow_through_the_app(pg):
    with open_store(pg) as store:
        add_user(store.engine, "pg-rev", "reviewer", PW)
    app = create_app(pg)
    client = app.test_client()
    client.get("/login")
    token = client.get_cookie("analyser_login_csrf", path="/login").value
    assert client.post("/login", data={"name": "pg-rev", "password": PW, "csrf_token": token}).status_code == 303
    csrf = client.get("/api/me").get_json()["csrf_token"]
    call = client.get("/api/calls/heating-booking-003").get_json()
    greet = next(it for it in call["items"] if it["item_id"] == "greeting")
    new = "no" if greet["answer"] == "yes" else "yes"
    h = {"X-CSRF-Token": csrf}
    assert client.post("/api/calls/heating-booking-003/items/greeting/decision", headers=h,
                       json={"action": "override", "answer": new}).status_code == 400  # no reason
    assert client.post("/api/calls/heating-booking-003/items/greeting/decision", headers={"X-CSRF-Token": "forged"},
                       json={"action": "confirm"}).status_code == 403
    assert client.post("/api/calls/heating-booking-003/items/greeting/decision", headers=h,
                       json={"action": "override", "answer": new, "reason": "misheard"}).status_code == 201
    assert client.post("/api/calls/heating-booking-003/confirm-remaining", headers=h).status_code == 200
    final = client.post("/api/calls/heating-booking-003/confirm", headers=h).get_json()["final"]
    assert client.get("/calls/heating-booking-003").status_code == 200
    assert client.get("/").status_code == 200
    app.config["STORE"].close()
    with open_store(pg) as store:
        after = reviews.get_call(store.engine, "heating-booking-003")
    assert after["status"] == "confirmed" and after["current"]["score"] == final["score"]
    assert after["draft"]["items"][0]["answer"] == greet["answer"]  # the draft is untouched
    rows = agreement_rows(pg)
    g = next(r for r in rows if r["scope"] == "item" and r["key"] == "greeting")
    assert (g["reviewed"], g["overridden"]) == (1, 1)
    recs = load_report_records(pg, status="confirmed")
    assert [r["call_id"] for r in recs] == ["heating-booking-003"] and recs[0]["final_scorecard"]["status"] == "confirmed"
