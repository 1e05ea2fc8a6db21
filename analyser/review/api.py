"""The JSON API under /api: what the call page's script calls, and what tests drive.

Write actions also accept an HTML form (with its ``csrf_token`` field) and then answer with
a redirect back to the call page, so every action works without the script too.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, redirect, request, url_for

from ..store.agreement import agreement as agreement_figures
from ..store import reviews
from ..store.calls import CallFilter, list_calls
from ..store.users import add_user, list_users
from .app import engine, json_body, require_admin

bp = Blueprint("api", __name__)


def from_form() -> bool:
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


def _done(call_id: str, payload: dict, status: int = 200):
    if from_form():  # an HTML form without the script: back to the call page
        return redirect(url_for("views.call_page", call_id=call_id), 303)
    return jsonify(payload), status


def page_args() -> tuple[CallFilter, int, int, str]:
    args = request.args.to_dict()
    try:
        page = int(args.pop("page", 1) or 1)
        per_page = int(args.pop("per_page", 50) or 50)
        sort = args.pop("sort", "-date") or "-date"
        return CallFilter.parse(args), page, per_page, sort
    except ValueError as exc:
        abort(400, description=str(exc))


@bp.get("/me")
def me():
    return jsonify({"name": g.user.name, "role": g.user.role, "csrf_token": g.session.csrf_token,
                    "expires_at": g.session.expires_at.isoformat()})


@bp.get("/calls")
def calls():
    flt, page, per_page, sort = page_args()
    rows, total = list_calls(engine(), flt, page=page, per_page=per_page, sort=sort)
    return jsonify({"calls": rows, "total": total, "page": page, "per_page": per_page})


@bp.get("/calls/<call_id>")
def call(call_id: str):
    data = reviews.get_call(engine(), call_id)
    data.pop("draft", None)  # the items carry the draft; the raw card is in the report records
    return jsonify(data)


@bp.post("/calls/<call_id>/items/<item_id>/decision")
def decide(call_id: str, item_id: str):
    body = json_body()
    d = reviews.decide(engine(), call_id, item_id, g.user, str(body.get("action") or ""),
                       answer=body.get("answer") or None, reason=body.get("reason"))
    return _done(call_id, {"decision": d}, 201)


@bp.post("/calls/<call_id>/confirm-remaining")
def confirm_remaining(call_id: str):
    n = reviews.confirm_remaining(engine(), call_id, g.user)
    return _done(call_id, {"confirmed": n})


@bp.post("/calls/<call_id>/confirm")
def confirm_call(call_id: str):
    fig = reviews.finalize(engine(), call_id, g.user)
    fig.pop("answers", None)
    return _done(call_id, {"status": "confirmed", "final": fig})


@bp.post("/calls/<call_id>/reopen")
def reopen(call_id: str):
    require_admin()
    reviews.reopen(engine(), call_id, g.user, json_body().get("reason"))
    return _done(call_id, {"status": "draft"})


@bp.get("/agreement")
def agreement():
    return jsonify({"rows": agreement_figures(engine())})


@bp.get("/users")
def users():
    require_admin()
    rows = list_users(engine())
    for r in rows:
        r["created_at"] = r["created_at"].isoformat()
        r["disabled_at"] = r["disabled_at"].isoformat() if r["disabled_at"] else None
    return jsonify({"users": rows})


@bp.post("/users")
def create_user():
    require_admin()
    body = json_body()
    user = add_user(engine(), str(body.get("name") or ""), str(body.get("role") or ""), str(body.get("password") or ""))
    if from_form():
        return redirect(url_for("views.users_page"), 303)
    return jsonify({"id": user.id, "name": user.name, "role": user.role}), 201
