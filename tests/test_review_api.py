"""The review app over HTTP (Flask's test client on a real SQLite store): every action and
every refusal — not logged in, wrong role, missing reason, forged CSRF token, unknown call."""
from __future__ import annotations

import io
import re
import sqlite3

import pytest

from analyser.cli import main
from analyser.review.app import create_app
from test_store import TEXT_CALL, build_store, db, make_user, seeded_sqlite  # noqa: F401

PW = "a long enough password"
CALL = "broadband-billing-001"


@pytest.fixture
def app(db):
    make_user(db, "rev1", "reviewer")
    make_user(db, "adm1", "admin")
    app = create_app(db)
    yield app
    app.config["STORE"].close()


def login(app, name="rev1", password=PW):
    client = app.test_client()
    client.get("/login")
    token = client.get_cookie("analyser_login_csrf", path="/login").value
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    return client, resp


def csrf(client) -> str:
    return client.get("/api/me").get_json()["csrf_token"]


def post(client, url, body=None, token=None, **kw):
    headers = {"X-CSRF-Token": csrf(client) if token is None else token}
    return client.post(url, json=body or {}, headers=headers, **kw)


def test_review_api_every_route_needs_login(app):
    client = app.test_client()
    public = {"static", "views.login", "views.login_post", "views.favicon"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public:
            continue
        url = re.sub(r"<[^>]+>", "x", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            resp = client.open(url, method=method)
            assert resp.status_code in (302, 401), (method, url, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].startswith("/login"), url
    assert client.get("/api/calls").get_json()["error"]["code"] == "AUTH401"


def test_review_api_login_refusals(app):
    _, resp = login(app, password="wrong password")
    assert resp.status_code == 401 and b"Wrong name or password" in resp.data
    client = app.test_client()
    client.get("/login")
    resp = client.post("/login", data={"name": "rev1", "password": PW, "csrf_token": "forged"})
    assert resp.status_code == 403
    for _ in range(5):
        login(app, "adm1", "guessing wrong")
    _, resp = login(app, "adm1", PW)  # the right password too, once the name is locked for a while
    assert resp.status_code == 429


def test_review_api_login_and_logout(app):
    client, resp = login(app)
    assert resp.status_code == 303 and client.get_cookie("analyser_session").http_only
    assert client.get("/api/me").get_json()["name"] == "rev1"
    resp = client.post("/logout", data={"csrf_token": csrf(client)})
    assert resp.status_code == 303
    assert client.get("/api/me").status_code == 401


def test_review_api_open_redirect_refused(app):
    client = app.test_client()
    client.get("/login")
    token = client.get_cookie("analyser_login_csrf", path="/login").value
    resp = client.post("/login", data={"name": "rev1", "password": PW, "csrf_token": token,
                                       "next": "//evil.example/"})
    assert resp.headers["Location"] == "/"


def test_review_api_list_and_filters(app):
    client, _ = login(app)
    data = client.get("/api/calls").get_json()
    assert data["total"] == 5 and {c["call_id"] for c in data["calls"]} >= {CALL}
    data = client.get("/api/calls?team=Billing&status=draft&per_page=1&page=1").get_json()
    assert data["per_page"] == 1 and len(data["calls"]) == 1 and data["calls"][0]["team"] == "Billing"
    assert client.get("/api/calls?status=maybe").status_code == 400
    page = client.get("/?risk=any&sort=score")
    assert page.status_code == 200 and b"insurance-payment-002" in page.data and b"heating-booking-003" not in page.data


def test_review_api_call_detail_and_unknown_call(app):
    client, _ = login(app)
    data = client.get(f"/api/calls/{CALL}").get_json()
    assert data["status"] == "draft" and data["items"] and data["transcript"]["turns"]
    page = client.get(f"/calls/{CALL}")
    assert page.status_code == 200 and b'<mark class="q' in page.data and b'id="player"' in page.data
    for url in ("/api/calls/nope", "/calls/nope", "/calls/nope/audio"):
        assert client.get(url).status_code == 404, url
    assert post(client, "/api/calls/nope/items/greeting/decision", {"action": "confirm"}).status_code == 404
    assert post(client, "/api/calls/nope/confirm").status_code == 404
    assert post(client, f"/api/calls/{CALL}/items/nope/decision", {"action": "confirm"}).status_code == 404


def test_review_api_confirm_and_override(app, db):
    client, _ = login(app)
    resp = post(client, f"/api/calls/{CALL}/items/greeting/decision", {"action": "confirm"})
    assert resp.status_code == 201 and resp.get_json()["decision"]["action"] == "confirm"
    item = next(it for it in client.get(f"/api/calls/{CALL}").get_json()["items"] if it["item_id"] == "closing")
    new = "no" if item["answer"] != "no" else "yes"
    resp = post(client, f"/api/calls/{CALL}/items/closing/decision",
                {"action": "override", "answer": new, "reason": "<b>said goodbye</b> twice"})
    d = resp.get_json()["decision"]
    assert resp.status_code == 201 and (d["draft_answer"], d["final_answer"], d["reviewer"]) == (item["answer"], new, "rev1")
    with sqlite3.connect(db) as conn:
        row = conn.execute("select reviewer, draft_answer, final_answer, reason, decided_at from decisions "
                           "where item_id='closing'").fetchone()
        draft = conn.execute("select answer from draft_items where call_id=? and item_id='closing'", (CALL,)).fetchone()
    assert row[:4] == ("rev1", item["answer"], new, "<b>said goodbye</b> twice") and row[4]
    assert draft[0] == item["answer"]  # stored beside the draft, never over it
    page = client.get(f"/calls/{CALL}").data
    assert b"&lt;b&gt;said goodbye&lt;/b&gt;" in page and b"<b>said goodbye</b>" not in page


def test_review_api_override_refusals(app):
    client, _ = login(app)
    url = f"/api/calls/{CALL}/items/closing/decision"
    draft = next(it for it in client.get(f"/api/calls/{CALL}").get_json()["items"] if it["item_id"] == "closing")["answer"]
    other = "no" if draft != "no" else "yes"
    for body, code in (({"action": "override", "answer": other}, "REV002"),
                       ({"action": "override", "answer": other, "reason": "   "}, "REV002"),
                       ({"action": "override", "answer": draft, "reason": "same"}, "REV001"),
                       ({"action": "override", "answer": "perhaps", "reason": "x"}, "REV001"),
                       ({"action": "approve"}, "REV001"),
                       ({"action": "override", "answer": other, "reason": "x" * 2001}, "REV003")):
        resp = post(client, url, body)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code, body
    resp = client.post(url, data="not json", content_type="application/json", headers={"X-CSRF-Token": csrf(client)})
    assert resp.status_code == 400
    assert client.get(f"/api/calls/{CALL}").get_json()["decided"] == 0


def test_review_api_forged_csrf_refused(app):
    client, _ = login(app)
    url = f"/api/calls/{CALL}/items/greeting/decision"
    assert post(client, url, {"action": "confirm"}, token="forged").status_code == 403
    assert client.post(url, json={"action": "confirm"}).status_code == 403  # no token at all
    resp = client.post(url, data={"action": "confirm", "csrf_token": "forged"})
    assert resp.status_code == 403
    other, _ = login(app, "adm1")  # another session's token is not this session's
    assert post(client, url, {"action": "confirm"}, token=csrf(other)).status_code == 403
    resp = client.post(url, json={"action": "confirm"},
                       headers={"X-CSRF-Token": csrf(client), "Origin": "https://evil.example"})
    assert resp.status_code == 403
    assert client.get(f"/api/calls/{CALL}").get_json()["decided"] == 0


def test_review_api_form_posts_work_without_script(app):
    client, _ = login(app)
    resp = client.post(f"/api/calls/{CALL}/items/greeting/decision",
                       data={"action": "confirm", "csrf_token": csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/calls/{CALL}"
    assert client.get(f"/api/calls/{CALL}").get_json()["decided"] == 1


def test_review_api_confirm_call_flow(app):
    client, _ = login(app)
    resp = post(client, f"/api/calls/{CALL}/confirm")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "REV005"
    n = post(client, f"/api/calls/{CALL}/confirm-remaining").get_json()["confirmed"]
    assert n == len(client.get(f"/api/calls/{CALL}").get_json()["items"])
    resp = post(client, f"/api/calls/{CALL}/confirm")
    data = client.get(f"/api/calls/{CALL}").get_json()
    assert resp.status_code == 200 and data["status"] == "confirmed" and data["confirmed_by"] == "rev1"
    assert resp.get_json()["final"]["score"] == data["current"]["score"]
    assert post(client, f"/api/calls/{CALL}/items/greeting/decision", {"action": "confirm"}).status_code == 409
    assert post(client, f"/api/calls/{CALL}/confirm").status_code == 409
    listed = client.get("/api/calls?status=confirmed").get_json()["calls"]
    assert [c["call_id"] for c in listed] == [CALL]


def test_review_api_reopen_needs_admin_and_reason(app):
    client, _ = login(app)
    post(client, f"/api/calls/{CALL}/confirm-remaining")
    post(client, f"/api/calls/{CALL}/confirm")
    resp = post(client, f"/api/calls/{CALL}/reopen", {"reason": "look again"})
    assert resp.status_code == 403
    admin, _ = login(app, "adm1")
    assert post(admin, f"/api/calls/{CALL}/reopen", {}).status_code == 400
    assert post(admin, f"/api/calls/{CALL}/reopen", {"reason": "look again"}).status_code == 200
    assert client.get(f"/api/calls/{CALL}").get_json()["status"] == "draft"
    assert post(admin, f"/api/calls/{CALL}/reopen", {"reason": "again"}).status_code == 409


def test_review_api_users_admin_only(app):
    client, _ = login(app)
    assert client.get("/api/users").status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert post(client, "/api/users", {"name": "x", "role": "admin", "password": PW}).status_code == 403
    admin, _ = login(app, "adm1")
    assert {u["name"] for u in admin.get("/api/users").get_json()["users"]} == {"rev1", "adm1"}
    assert post(admin, "/api/users", {"name": "newbie", "role": "reviewer", "password": PW}).status_code == 201
    assert post(admin, "/api/users", {"name": "newbie", "role": "reviewer", "password": PW}).status_code == 409
    assert post(admin, "/api/users", {"name": "short", "role": "reviewer", "password": "x"}).status_code == 400
    assert login(app, "newbie")[1].status_code == 303
    resp = admin.post("/admin/users/newbie/disable", data={"csrf_token": csrf(admin)})
    assert resp.status_code == 303 and login(app, "newbie")[1].status_code == 401


def test_review_api_audio_by_call_id_with_ranges(app, db):
    client, _ = login(app)
    full = client.get(f"/calls/{CALL}/audio")
    assert full.status_code == 200 and full.mimetype.startswith("audio/") and full.data[:4] == b"RIFF"
    part = client.get(f"/calls/{CALL}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == full.data[100:200]
    assert part.headers["Content-Range"].startswith("bytes 100-199/")
    for url in ("/calls/..%2F..%2Fetc%2Fpasswd/audio", "/calls/%2Fetc%2Fpasswd/audio", "/calls/../../etc/passwd/audio"):
        assert client.get(url).status_code == 404, url
    with sqlite3.connect(db) as conn:
        typed = conn.execute("select call_id from calls where audio_path is null").fetchall()
    for (cid,) in typed:
        assert client.get(f"/calls/{cid}/audio").status_code == 404


def test_review_api_transcript_text_is_escaped(app, db, tmp_path):
    hostile = tmp_path / "hostile-001.txt"
    hostile.write_text(TEXT_CALL.read_text() + "\nCustomer: <script>alert('x')</script> & <img src=x onerror=y>\n")
    build_store(db, tmp_path / "out", paths=(hostile,))
    client, _ = login(app)
    page = client.get("/calls/hostile-001").data
    assert b"<script>alert" not in page and b"<img src=x" not in page
    assert b"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img src=x onerror=y&gt;" in page
    assert "script-src 'self'" in client.get("/calls/hostile-001").headers["Content-Security-Policy"]


def test_review_api_session_expires(app, db):
    client, _ = login(app)
    assert client.get("/api/me").status_code == 200
    with sqlite3.connect(db) as conn:
        conn.execute("update sessions set expires_at = '2000-01-01 00:00:00'")
    assert client.get("/api/me").status_code == 401
    assert client.get(f"/calls/{CALL}").status_code == 302


def test_review_api_agreement(app):
    client, _ = login(app)
    item = next(it for it in client.get(f"/api/calls/{CALL}").get_json()["items"] if it["item_id"] == "greeting")
    new = "no" if item["answer"] == "yes" else "yes"
    post(client, f"/api/calls/{CALL}/items/greeting/decision", {"action": "override", "answer": new, "reason": "r"})
    post(client, f"/api/calls/{CALL}/confirm-remaining")
    post(client, f"/api/calls/{CALL}/confirm")
    rows = client.get("/api/agreement").get_json()["rows"]
    greet = next(r for r in rows if r["key"] == "greeting" and r["scope"] == "item")
    assert greet["overridden"] == 1 and greet["override_rate"] == 1.0
    csv = client.get("/agreement.csv")
    assert csv.mimetype == "text/csv" and csv.data.decode().splitlines()[0].startswith("scope,key,question")
    assert b"greeting" in client.get("/agreement").data


def test_review_cli_users(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
    assert main(["users", "add", "cli-user", "--role", "reviewer", "--db", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
    assert main(["users", "add", "cli-user", "--role", "reviewer", "--db", db]) == 2
    assert "USR001" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "other", "--role", "admin", "--db", db]) == 2
    assert main(["users", "add", "x", "--role", "boss", "--db", db]) == 2
    assert main(["users", "list", "--db", db]) == 0
    assert "cli-user" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select password_hash from users where name='cli-user'").fetchone()[0]
    assert stored.startswith("scrypt$") and PW not in stored
