"""The HTML pages: login, the call list, a call, the agreement figures, users (admins)."""
from __future__ import annotations

import hmac
import mimetypes
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, g, make_response, redirect, render_template, request,
                   send_file, url_for)

from ..store.agreement import agreement as agreement_figures
from ..store.agreement import to_csv
from ..store import reviews
from ..store.calls import audio_path, facets, list_calls
from ..store.users import authenticate, disable_user, end_session, list_users, start_session
from .api import page_args
from .app import LOGIN_CSRF_COOKIE, SESSION_COOKIE, engine, new_login_token, require_admin
from .render import clock, evidence_links, transcript_view

bp = Blueprint("views", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("views.calls_page")


def _login_form(error: str | None = None, status: int = 200, name: str = ""):
    # One token per browser until it logs in: two login pages open at once stay valid.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_token()
    resp = make_response(render_template("login.html", login_token=token, error=error, name=name,
                                         next=_safe_next(request.values.get("next"))), status)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login",
                    secure=current_app.config["SECURE_COOKIES"])
    return resp


@bp.get("/login")
def login():
    if g.user is not None:
        return redirect(_safe_next(request.args.get("next")))
    return _login_form()


@bp.post("/login")
def login_post():
    sent, cookie = request.form.get("csrf_token", ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return _login_form("The form expired; please try again.", 403)
    name, password = request.form.get("name", "").strip(), request.form.get("password", "")
    throttle = current_app.config["THROTTLE"]
    if throttle.blocked(name):
        return _login_form("Too many failed attempts; wait a few minutes.", 429, name)
    user = authenticate(engine(), name, password)
    if user is None:
        throttle.fail(name)
        return _login_form("Wrong name or password.", 401, name)
    throttle.clear(name)
    end_session(engine(), request.cookies.get(SESSION_COOKIE))  # a new token on every login
    token, session = start_session(engine(), user, current_app.config["SESSION_LIFETIME"])
    resp = redirect(_safe_next(request.form.get("next")), 303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", secure=current_app.config["SECURE_COOKIES"],
                    expires=session.expires_at)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@bp.get("/favicon.ico")
def favicon():
    return Response(status=204)


@bp.post("/logout")
def logout():
    end_session(engine(), request.cookies.get(SESSION_COOKIE))
    resp = redirect(url_for("views.login"), 303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@bp.get("/")
def calls_page():
    flt, page, per_page, sort = page_args()
    rows, total = list_calls(engine(), flt, page=page, per_page=per_page, sort=sort)
    pages = max(1, -(-total // max(1, min(per_page, 200))))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("calls.html", rows=rows, total=total, page=page, pages=pages, flt=flt, sort=sort,
                           facets=facets(engine()), args=args, per_page=per_page)


@bp.get("/calls/<call_id>")
def call_page(call_id: str):
    call = reviews.get_call(engine(), call_id)
    evidence_links(call)
    sections: list[tuple[str, list]] = []
    for it in call["items"]:
        if not sections or sections[-1][0] != it["section"]:
            sections.append((it["section"], []))
        sections[-1][1].append(it)
    return render_template("call.html", call=call, turns=transcript_view(call), sections=sections, clock=clock,
                           draft=call["draft"])


@bp.get("/calls/<call_id>/audio")
def audio(call_id: str):
    """The call's recording, found by call id in the store (never by a path from the request);
    byte ranges are served so the player can seek."""
    exists, path = audio_path(engine(), call_id)
    if not exists:
        abort(404, description=f"no call {call_id!r} in the store")
    if not path or not Path(path).is_file():
        abort(404, description=f"call {call_id} has no recording available")
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    resp = send_file(path, mimetype=mime, conditional=True, etag=True, max_age=0)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.get("/agreement")
def agreement_page():
    return render_template("agreement.html", rows=agreement_figures(engine()))


@bp.get("/agreement.csv")
def agreement_csv():
    body = to_csv(agreement_figures(engine()))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=agreement.csv"})


@bp.get("/admin/users")
def users_page():
    require_admin()
    return render_template("users.html", users=list_users(engine()))


@bp.post("/admin/users/<name>/disable")
def users_disable(name: str):
    require_admin()
    if name == g.user.name:
        abort(409, description="you cannot disable your own account")
    disable_user(engine(), name)
    return redirect(url_for("views.users_page"), 303)
