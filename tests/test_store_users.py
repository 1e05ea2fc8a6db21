"""Accounts and sessions: scrypt hashes, refusals, expiry (absolute and idle)."""
from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa

from analyser.store import StoreError, open_store
from analyser.store.schema import sessions
from analyser.store.users import (add_user, authenticate, check_password, disable_user, end_session, hash_password,
                                  load_session, set_password, start_session)

HOUR, IDLE = dt.timedelta(hours=1), dt.timedelta(minutes=30)


@pytest.fixture
def engine(tmp_path):
    store = open_store(tmp_path / "users.db")
    yield store.engine
    store.close()


def test_store_users_password_hash_is_slow_and_salted():
    t0 = time.perf_counter()
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert (time.perf_counter() - t0) / 2 > 0.02  # slow on purpose: a cost per guess
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert check_password("correct horse battery", a) and not check_password("correct horse batterx", a)
    assert not check_password("x", "md5$abc") and not check_password("x", "garbage")


def test_store_users_add_and_authenticate(engine):
    user = add_user(engine, "amira", "reviewer", "a long enough password")
    assert authenticate(engine, "amira", "a long enough password") == user
    assert authenticate(engine, "amira", "wrong password!!") is None
    assert authenticate(engine, "nobody", "a long enough password") is None
    with pytest.raises(StoreError, match="already exists"):
        add_user(engine, "amira", "admin", "another long password")
    for name, role, pw, code in (("bad name", "reviewer", "x" * 12, "USR002"), ("ok", "boss", "x" * 12, "USR002"),
                                 ("ok", "reviewer", "short", "USR003")):
        with pytest.raises(StoreError) as err:
            add_user(engine, name, role, pw)
        assert err.value.code == code


def test_store_users_sessions_expire(engine):
    user = add_user(engine, "amira", "reviewer", "a long enough password")
    token, sess = start_session(engine, user, HOUR)
    assert load_session(engine, token, IDLE).user == user and len(sess.csrf_token) >= 32
    assert load_session(engine, token + "x", IDLE) is None and load_session(engine, None, IDLE) is None
    with engine.begin() as conn:  # the absolute lifetime runs out
        conn.execute(sessions.update().values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    assert load_session(engine, token, IDLE) is None
    token, _ = start_session(engine, user, HOUR)
    with engine.begin() as conn:  # unused for longer than the idle limit
        conn.execute(sessions.update().values(last_seen_at=dt.datetime.now(dt.timezone.utc) - IDLE))
    assert load_session(engine, token, IDLE) is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 0  # expired ones are gone


def test_store_users_password_change_and_disable_end_sessions(engine):
    user = add_user(engine, "amira", "reviewer", "a long enough password")
    token, _ = start_session(engine, user, HOUR)
    set_password(engine, "amira", "a brand new password")
    assert load_session(engine, token, IDLE) is None
    assert authenticate(engine, "amira", "a brand new password") == user
    token, _ = start_session(engine, user, HOUR)
    disable_user(engine, "amira")
    assert load_session(engine, token, IDLE) is None
    assert authenticate(engine, "amira", "a brand new password") is None
    end_session(engine, token)  # ending an ended session is harmless
