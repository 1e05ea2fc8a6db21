"""The review app: Flask, sessions in the store, CSRF on every POST, strict headers.

Every page and API needs a login (only /login and the static CSS/JS do not). A POST is
refused unless it carries the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``) and, when the browser names an Origin, comes from this site. Pages allow
no inline script and no other origin (Content-Security-Policy), and all text is escaped by
Jinja2's autoescaping.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, g, jsonify, redirect, render_template, request, url_for

from ..store import Store, open_store
from ..store.db import StoreError
from ..store.reviews import ReviewError

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "analyser_session"
LOGIN_CSRF_COOKIE = "analyser_login_csrf"
PUBLIC_ENDPOINTS = {"views.login", "views.login_post", "views.favicon", "static"}
MAX_FAILURES, FAILURE_WINDOW = 5, 15 * 60  # per user name: then wait


class Throttle:
    """Failed logins per name in a sliding window, so a password cannot be guessed quickly."""

    def __init__(self):
        self._lock = threading.Lock()
        self._fails: dict[str, list[float]] = {}

    def blocked(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._fails.get(name.casefold(), []) if now - t < FAILURE_WINDOW]
            self._fails[name.casefold()] = recent
            return len(recent) >= MAX_FAILURES

    def fail(self, name: str) -> None:
        with self._lock:
            self._fails.setdefault(name.casefold(), []).append(time.monotonic())

    def clear(self, name: str) -> None:
        with self._lock:
            self._fails.pop(name.casefold(), None)


def create_app(db: str | Path | Store, *, session_hours: float = 8.0, idle_minutes: float = 30.0,
               secure_cookies: bool = False) -> Flask:
    """The app over a store (opened and migrated here when given a path or URL)."""
    store = db if isinstance(db, Store) else open_store(db)
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(
        STORE=store, ENGINE=store.engine, SESSION_LIFETIME=dt.timedelta(hours=session_hours),
        SESSION_IDLE=dt.timedelta(minutes=idle_minutes), SECURE_COOKIES=secure_cookies,
        MAX_CONTENT_LENGTH=64 * 1024, THROTTLE=Throttle(), SEND_FILE_MAX_AGE_DEFAULT=300,
    )
    app.jinja_env.autoescape = True  # every template, whatever its file name
    app.jinja_env.globals.update(csrf_token=lambda: g.session.csrf_token if g.get("session") else "")
    from . import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.before_request(_authenticate)
    app.after_request(_headers)
    app.register_error_handler(ReviewError, _review_error)
    app.register_error_handler(StoreError, _review_error)
    for code in (400, 401, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(code, _http_error)
    return app


def engine():
    from flask import current_app

    return current_app.config["ENGINE"]


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def _authenticate():
    from flask import current_app

    from ..store.users import load_session

    g.session = load_session(engine(), request.cookies.get(SESSION_COOKIE), current_app.config["SESSION_IDLE"])
    g.user = g.session.user if g.session else None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        if wants_json() or request.method != "GET":
            return _error(401, "AUTH401", "log in first")
        return redirect(url_for("views.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        if not same_origin():
            return _error(403, "CSRF403", "the request came from another site")
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
        if not hmac.compare_digest(sent.encode(), g.session.csrf_token.encode()):
            return _error(403, "CSRF403", "missing or wrong CSRF token; reload the page")
    return None


def same_origin() -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def require_admin() -> None:
    if g.user is None or not g.user.is_admin:
        abort(403, description="this needs the admin role")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def _headers(resp):
    resp.headers.setdefault("Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                            "frame-ancestors 'none'")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static" and "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "no-store"  # call text never lingers in a shared cache
    return resp


def _error(status: int, code: str, message: str):
    if wants_json() or request.method != "GET" and not request.form:
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", status=status, code=code, message=message), status


def _review_error(err: StoreError):
    status = getattr(err, "status", None) or {"USR001": 409, "USR004": 404}.get(
        err.code, 400 if err.code.startswith("USR") else 500)
    if status >= 500:
        log.error("store error %s", err.code)
    return _error(status, err.code, err.message)


def _http_error(err):
    codes = {400: "HTTP400", 401: "AUTH401", 403: "AUTH403", 404: "HTTP404", 405: "HTTP405", 409: "HTTP409",
             413: "HTTP413", 429: "AUTH429"}
    return _error(err.code, codes.get(err.code, f"HTTP{err.code}"), err.description or err.name)


def json_body() -> dict[str, Any]:
    """The request's fields, from JSON or a form; a bad body is a 400."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, description="the body must be a JSON object")
        return data
    return request.form.to_dict()


__all__ = ["create_app", "engine", "json_body", "require_admin", "wants_json"]
