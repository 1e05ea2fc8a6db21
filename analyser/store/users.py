"""Reviewer accounts and their sessions.

Passwords are stored as scrypt hashes (slow, salted, memory-hard; Python's standard
library), never in clear. A session is a random token in an HttpOnly cookie; the store keeps
only its sha256, with a CSRF token, an absolute expiry and an idle expiry.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from .db import StoreError, reading, utcnow, writing
from .schema import sessions, users

ROLES = ("reviewer", "admin")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
# scrypt cost: 2**15 * 8 * 128 bytes = 32 MiB and ~0.1 s per check, a cost per guess.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
_MAXMEM = 64 * 1024 * 1024


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: dt.datetime


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=_MAXMEM, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_MAXMEM, dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, bytes.fromhex(digest))


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the name is unknown: a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_hex(8))


def validate_new_user(name: str, role: str, password: str) -> None:
    if not NAME_RE.match(name or ""):
        raise StoreError("USR002", f"user {name!r}: a name is 1-64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise StoreError("USR002", f"user {name!r}: unknown role {role!r} (expected {' or '.join(ROLES)})")
    if len(password) < MIN_PASSWORD:
        raise StoreError("USR003", f"user {name!r}: the password needs at least {MIN_PASSWORD} characters")


def add_user(engine, name: str, role: str, password: str) -> User:
    validate_new_user(name, role, password)
    hashed = hash_password(password)
    with writing(engine) as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise StoreError("USR001", f"user {name!r} already exists")
        uid = conn.execute(users.insert().values(name=name, role=role, password_hash=hashed, created_at=utcnow())
                           .returning(users.c.id)).scalar_one()
    return User(uid, name, role)


def set_password(engine, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StoreError("USR003", f"user {name!r}: the password needs at least {MIN_PASSWORD} characters")
    with writing(engine) as conn:
        done = conn.execute(users.update().where(users.c.name == name).values(password_hash=hash_password(password)))
        if not done.rowcount:
            raise StoreError("USR004", f"no user named {name!r}")
        uid = conn.execute(sa.select(users.c.id).where(users.c.name == name)).scalar_one()
        conn.execute(sessions.delete().where(sessions.c.user_id == uid))  # old sessions end with the old password


def disable_user(engine, name: str) -> None:
    with writing(engine) as conn:
        row = conn.execute(sa.select(users.c.id).where(users.c.name == name)).first()
        if row is None:
            raise StoreError("USR004", f"no user named {name!r}")
        conn.execute(users.update().where(users.c.id == row.id).values(disabled_at=utcnow()))
        conn.execute(sessions.delete().where(sessions.c.user_id == row.id))


def list_users(engine) -> list[dict]:
    with reading(engine) as conn:
        rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.role, users.c.created_at,
                                      users.c.disabled_at).order_by(users.c.name)).mappings().all()
    return [dict(r) for r in rows]


def authenticate(engine, name: str, password: str) -> User | None:
    with reading(engine) as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None or row.disabled_at is not None:
        check_password(password, _dummy_hash())
        return None
    return User(row.id, row.name, row.role) if check_password(password, row.password_hash) else None


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(engine, user: User, lifetime: dt.timedelta) -> tuple[str, Session]:
    """A new session: (the cookie's token, the session). Expired sessions are swept here."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    csrf = secrets.token_urlsafe(32)
    with writing(engine) as conn:
        conn.execute(sessions.delete().where(sessions.c.expires_at < now))
        conn.execute(sessions.insert().values(token_sha256=_sha(token), user_id=user.id, csrf_token=csrf,
                                              created_at=now, last_seen_at=now, expires_at=now + lifetime))
    return token, Session(user, csrf, now + lifetime)


def load_session(engine, token: str | None, idle: dt.timedelta) -> Session | None:
    """The live session of a cookie token, or None (unknown, expired, idle too long, user disabled)."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    q = (sa.select(sessions, users.c.name, users.c.role, users.c.disabled_at)
         .join(users, users.c.id == sessions.c.user_id).where(sessions.c.token_sha256 == _sha(token)))
    with reading(engine) as conn:
        row = conn.execute(q).first()
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + idle <= now or row.disabled_at is not None:
        end_session(engine, token)
        return None
    if now - row.last_seen_at > dt.timedelta(seconds=60):  # idle clock, written at most once a minute
        with writing(engine) as conn:
            conn.execute(sessions.update().where(sessions.c.token_sha256 == row.token_sha256)
                         .values(last_seen_at=now))
    return Session(User(row.user_id, row.name, row.role), row.csrf_token, row.expires_at)


def end_session(engine, token: str | None) -> None:
    if token:
        with writing(engine) as conn:
            conn.execute(sessions.delete().where(sessions.c.token_sha256 == _sha(token)))


__all__ = ["ROLES", "Session", "User", "add_user", "authenticate", "check_password", "disable_user",
           "end_session", "hash_password", "list_users", "load_session", "set_password", "start_session"]
