"""The call store: migrations, writing calls from ``analyser run --db``, lists, decisions,
final scores, agreement figures and report records. SQLite here; tests/test_postgres.py
runs the same code against a real PostgreSQL server."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from analyser.batch import run_batch
from analyser.store import StoreError, agreement_rows, load_report_records, open_store
from analyser.store import reviews
from analyser.store.calls import CallFilter, list_calls
from analyser.store.db import normalise_url
from analyser.store.migrations import LATEST
from analyser.store.schema import metadata
from analyser.store.users import User, add_user

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_JSONL = ROOT / "eval" / "samples.jsonl"  # typed, timed transcripts that name their recordings
TEXT_CALL = ROOT / "samples" / "bank-lostcard-005.txt"


def build_store(db: str, out: Path, paths=(SAMPLES_JSONL,)):
    """Run the real batch over the sample transcripts into ``db``; the batch summary."""
    return run_batch(list(paths), out, db=db)


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    """One analysed store, built once; tests work on copies of it."""
    base = tmp_path_factory.mktemp("seed")
    db = base / "calls.db"
    summary = build_store(str(db), base / "out")
    assert summary.count("ok") == 5, summary.entries
    return db


@pytest.fixture
def db(seeded_sqlite, tmp_path) -> str:
    copy = tmp_path / "calls.db"
    shutil.copy(seeded_sqlite, copy)
    return str(copy)


def make_user(db: str, name: str = "rev1", role: str = "reviewer") -> User:
    with open_store(db) as store:
        return add_user(store.engine, name, role, "a long enough password")


def test_store_url_normalisation(tmp_path):
    assert normalise_url(tmp_path / "x.db").get_backend_name() == "sqlite"
    assert normalise_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(StoreError, match="DB001.*unsupported database 'mysql'"):
        normalise_url("mysql://u:secret@h/db")
    with pytest.raises(StoreError, match="does not exist") as err:
        normalise_url(tmp_path / "missing" / "x.db")
    assert err.value.code == "DB001"


def test_store_bad_database_is_refused_without_password(tmp_path):
    with pytest.raises(StoreError) as err:
        open_store("postgresql://someone:hunter2secret@127.0.0.1:1/nodb")
    assert err.value.code == "DB001" and "hunter2secret" not in err.value.message


def test_store_migrations_build_the_schema(tmp_path):
    db = tmp_path / "fresh.db"
    with open_store(db) as store:
        insp = sa.inspect(store.engine)
        for table in metadata.sorted_tables:
            got = {c["name"] for c in insp.get_columns(table.name)}
            assert got == {c.name for c in table.columns}, table.name
            want_ix = {ix.name for ix in table.indexes}
            assert want_ix <= {ix["name"] for ix in insp.get_indexes(table.name)}, table.name
    with sqlite3.connect(db) as conn:
        assert conn.execute("select max(version) from schema_version").fetchone()[0] == LATEST
    open_store(db).close()  # opening again applies nothing twice
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from schema_version").fetchone()[0] == LATEST


def test_store_refuses_a_newer_schema(tmp_path):
    db = tmp_path / "new.db"
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("insert into schema_version values (?, 'from the future', '2030-01-01 00:00:00')", (LATEST + 1,))
    with pytest.raises(StoreError) as err:
        open_store(db)
    assert err.value.code == "DB003"


def test_store_run_writes_calls_as_the_files(seeded_sqlite, tmp_path):
    out = seeded_sqlite.parent / "out"
    with open_store(seeded_sqlite) as store:
        call = reviews.get_call(store.engine, "broadband-billing-001")
    card = json.loads((out / "broadband-billing-001" / "scorecard.json").read_text())
    assert call["draft"] == card
    assert call["findings"] == json.loads((out / "broadband-billing-001" / "findings.json").read_text())
    assert call["transcript"] == json.loads((out / "broadband-billing-001" / "transcript.json").read_text())
    assert [it["answer"] for it in call["items"]] == [it["answer"] for it in card["items"]]
    assert call["agent"] == "A-201" and call["team"] == "Billing" and call["date"] == "2026-02-09"
    assert call["has_audio"] and call["status"] == "draft"
    with sqlite3.connect(seeded_sqlite) as conn:
        path = conn.execute("select audio_path from calls where call_id='broadband-billing-001'").fetchone()[0]
    assert path == str((ROOT / "samples" / "broadband-billing-001.wav").resolve())


def test_store_rerun_is_unchanged(db, tmp_path):
    out = Path(db).parent / "out"
    first = build_store(db, out)
    assert {e.get("db") for e in first.entries if e["call_id"]} == {"unchanged"}
    second = build_store(db, out)  # files done too: skipped, still checked against the store
    assert {e["status"] for e in second.entries} == {"skipped"}


def test_store_keeps_reviewed_calls_and_replaces_unreviewed(db, tmp_path):
    user = make_user(db)
    with open_store(db) as store:
        reviews.decide(store.engine, "heating-booking-003", "greeting", user, "confirm")
    edited = tmp_path / "edited.jsonl"  # every line edited (one more space): new inputs, new keys
    edited.write_text(SAMPLES_JSONL.read_text().replace('"turns": [', '"turns":  ['), encoding="utf-8")
    summary = build_store(db, tmp_path / "out2", paths=(edited,))
    by_id = {e["call_id"]: e.get("db") for e in summary.entries}
    assert by_id["heating-booking-003"] == "kept"
    assert by_id["broadband-billing-001"] == "replaced"
    with open_store(db) as store:
        kept = reviews.get_call(store.engine, "heating-booking-003")
    assert kept["decided"] == 1 and kept["items"][0]["decision"]["reviewer"] == "rev1"


def test_store_card_numbers_are_masked(seeded_sqlite):
    raw = seeded_sqlite.read_bytes() + Path(str(seeded_sqlite) + "-wal").read_bytes() \
        if Path(str(seeded_sqlite) + "-wal").exists() else seeded_sqlite.read_bytes()
    assert b"4012888888881881" not in raw and b"Eight, eight, eight, eight" not in raw
    with open_store(seeded_sqlite) as store:
        call = reviews.get_call(store.engine, "insurance-payment-002")
    texts = " ".join(t["text"] for t in call["transcript"]["turns"])
    assert "[CARD ****1881]" in texts and "PCI.CARD_DETAILS_SPOKEN" in call["current"]["risks"]


def test_store_list_filters_and_pages(db):
    with open_store(db) as store:
        e = store.engine
        rows, total = list_calls(e, CallFilter())
        assert total == 5 and len(rows) == 5
        assert [r["call_date"] for r in rows] == sorted((r["call_date"] for r in rows), reverse=True)
        _, n = list_calls(e, CallFilter.parse({"team": "Billing"}))
        assert n == sum(1 for r in rows if r["team"] == "Billing") and n >= 1
        risky, n = list_calls(e, CallFilter.parse({"risk": "PCI.CARD_DETAILS_SPOKEN"}))
        assert n >= 1 and all("PCI.CARD_DETAILS_SPOKEN" in r["risks"] for r in risky)
        _, none = list_calls(e, CallFilter.parse({"risk": "none"}))
        _, anyr = list_calls(e, CallFilter.parse({"risk": "any"}))
        assert none + anyr == 5
        low, _ = list_calls(e, CallFilter.parse({"max_score": "60"}))
        assert all(r["percent"] <= 60 for r in low)
        day = rows[0]["call_date"]
        same, _ = list_calls(e, CallFilter.parse({"date_from": day, "date_to": day}))
        assert {r["call_date"] for r in same} == {day}
        page2, n = list_calls(e, CallFilter(), page=2, per_page=2)
        assert n == 5 and [r["call_id"] for r in page2] == [r["call_id"] for r in rows[2:4]]
        _, drafts = list_calls(e, CallFilter.parse({"status": "draft"}))
        assert drafts == 5
    for bad in ({"status": "maybe"}, {"date_from": "yesterday"}, {"min_score": "lots"}, {"colour": "red"}):
        with pytest.raises(ValueError):
            CallFilter.parse(bad)


def test_store_final_score_from_decisions_draft_untouched(db):
    user = make_user(db)
    with open_store(db) as store:
        e = store.engine
        before = reviews.get_call(e, "broadband-billing-001")
        yes = next(it for it in before["items"] if it["answer"] == "yes" and not it["critical"])
        reviews.decide(e, "broadband-billing-001", yes["item_id"], user, "override", "no", "the greeting was cut off")
        with pytest.raises(reviews.ReviewError) as err:
            reviews.finalize(e, "broadband-billing-001", user)
        assert err.value.code == "REV005" and err.value.status == 409
        assert reviews.confirm_remaining(e, "broadband-billing-001", user) == len(before["items"]) - 1
        fig = reviews.finalize(e, "broadband-billing-001", user)
        after = reviews.get_call(e, "broadband-billing-001")
    draft = before["draft"]
    assert fig["score"] == draft["score"] - yes["weight"] and fig["maximum"] == draft["maximum"]
    assert after["status"] == "confirmed" and after["confirmed_by"] == "rev1"
    assert after["draft"] == draft  # the draft is never updated
    assert [it["answer"] for it in after["items"]] == [it["answer"] for it in before["items"]]
    d = next(it for it in after["items"] if it["item_id"] == yes["item_id"])["decision"]
    assert (d["draft_answer"], d["final_answer"], d["reason"], d["reviewer"]) == ("yes", "no",
                                                                                   "the greeting was cut off", "rev1")
    assert after["reviews"][-1]["score"] == fig["score"]
    with open_store(db) as store:
        with pytest.raises(reviews.ReviewError) as err:
            reviews.decide(store.engine, "broadband-billing-001", yes["item_id"], user, "confirm")
    assert err.value.status == 409


def test_store_decision_refusals(db):
    user = make_user(db)
    with open_store(db) as store:
        e = store.engine
        item = reviews.get_call(e, "heating-booking-003")["items"][0]
        other = "no" if item["answer"] != "no" else "yes"
        cases = [
            (("nope-call", item["item_id"], user, "confirm"), {}, "REV404"),
            (("heating-booking-003", "no-such-item", user, "confirm"), {}, "REV404"),
            (("heating-booking-003", item["item_id"], user, "override"), {"answer": other}, "REV002"),
            (("heating-booking-003", item["item_id"], user, "override"), {"answer": other, "reason": "  "}, "REV002"),
            (("heating-booking-003", item["item_id"], user, "override"), {"answer": item["answer"], "reason": "x"},
             "REV001"),
            (("heating-booking-003", item["item_id"], user, "override"), {"answer": "maybe", "reason": "x"}, "REV001"),
            (("heating-booking-003", item["item_id"], user, "delete"), {}, "REV001"),
        ]
        for args, kw, code in cases:
            with pytest.raises(reviews.ReviewError) as err:
                reviews.decide(e, *args, **kw)
            assert err.value.code == code, (args, kw)
        assert reviews.get_call(e, "heating-booking-003")["decided"] == 0


def test_store_reopen_then_decide_again(db):
    admin, user = make_user(db, "adm", "admin"), make_user(db)
    with open_store(db) as store:
        e = store.engine
        reviews.confirm_remaining(e, "heating-booking-003", user)
        reviews.finalize(e, "heating-booking-003", user)
        with pytest.raises(reviews.ReviewError) as err:
            reviews.reopen(e, "heating-booking-003", user, "second look")
        assert err.value.status == 403
        reviews.reopen(e, "heating-booking-003", admin, "second look")
        call = reviews.get_call(e, "heating-booking-003")
        assert call["status"] == "draft" and [r["action"] for r in call["reviews"]] == ["confirm", "reopen"]
        reviews.decide(e, "heating-booking-003", call["items"][0]["item_id"], admin, "confirm", reason="checked")
        assert len(reviews.get_call(e, "heating-booking-003")["items"][0]["history"]) == 2


def test_store_agreement_rows_count_overrides(db):
    user = make_user(db)
    with open_store(db) as store:
        e = store.engine
        for cid in ("broadband-billing-001", "heating-booking-003"):
            call = reviews.get_call(e, cid)
            greet = next(it for it in call["items"] if it["item_id"] == "greeting")
            if cid == "broadband-billing-001":
                new = "no" if greet["answer"] == "yes" else "yes"
                reviews.decide(e, cid, "greeting", user, "override", new, "not a greeting")
            reviews.confirm_remaining(e, cid, user)
            reviews.finalize(e, cid, user)
        reviews.confirm_remaining(e, "furniture-delivery-004", user)  # not confirmed: not counted
    rows = agreement_rows(db)
    greet = next(r for r in rows if r["scope"] == "item" and r["key"] == "greeting")
    assert (greet["reviewed"], greet["overridden"], greet["confirmed"]) == (2, 1, 1)
    assert greet["override_rate"] == 0.5 and greet["detectors"] == "opening"
    opening = next(r for r in rows if r["scope"] == "detector" and r["key"] == "opening")
    assert opening["overridden"] == 1 and opening["reviewed"] >= 2
    items = [r for r in rows if r["scope"] == "item"]
    assert sum(r["reviewed"] for r in items) == 2 * len(reviews.get_call(open_store(db).engine,
                                                                         "heating-booking-003")["items"])


def test_store_load_report_records(db):
    user = make_user(db)
    with open_store(db) as store:
        reviews.confirm_remaining(store.engine, "heating-booking-003", user)
        reviews.finalize(store.engine, "heating-booking-003", user)
    recs = load_report_records(db)
    assert len(recs) == 5
    rec = next(r for r in recs if r["call_id"] == "heating-booking-003")
    assert rec["final_scorecard"]["status"] == "confirmed" and rec["scorecard"]["status"] == "draft"
    assert rec["meta"]["agent"] == rec["agent"] and rec["findings"] and len(rec["decisions"]) == len(
        rec["scorecard"]["items"])
    assert all(r["final_scorecard"] is None for r in recs if r["call_id"] != "heating-booking-003")
    assert [r["call_id"] for r in load_report_records(db, status="confirmed")] == ["heating-booking-003"]
    team = rec["team"]
    assert all(r["team"] == team for r in load_report_records(db, team=team))
    with pytest.raises(StoreError):
        load_report_records(db, colour="red")


def test_store_report_exports_agreement_csv(db, tmp_path):
    """`analyser report --db` writes the live accuracy figures beside the report."""
    import csv

    from analyser.cli import main

    user = make_user(db)
    with open_store(db) as store:
        e = store.engine
        call = reviews.get_call(e, "broadband-billing-001")
        greet = next(it for it in call["items"] if it["item_id"] == "greeting")
        new = "no" if greet["answer"] == "yes" else "yes"
        reviews.decide(e, "broadband-billing-001", "greeting", user, "override", new, "=cut off")
        reviews.confirm_remaining(e, "broadband-billing-001", user)
        reviews.finalize(e, "broadband-billing-001", user)
    out = tmp_path / "report"
    assert main(["report", "--db", db, "--out", str(out)]) in (0, 1)
    with (out / "agreement.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    greet_row = next(r for r in rows if r["scope"] == "item" and r["key"] == "greeting")
    assert (greet_row["reviewed"], greet_row["overridden"]) == ("1", "1")
    assert any(r["scope"] == "detector" and r["key"] == "opening" for r in rows)
