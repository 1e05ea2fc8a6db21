"""Reviewers' decisions: confirm or override each drafted answer, then confirm the call.

Every decision is a new row beside the draft (who, when, the draft answer, the final answer,
the reason); the draft is never updated. The latest decision on an item is the one that
counts. The final score follows the scorecard's own rule (``analyser.scorecard.score``): an
item answered yes earns its weight, na takes it out of the maximum, a critical item answered
no fails the card, and otherwise the card passes at the template's pass mark.
"""
from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from .calls import finding_dict, risk_codes_text
from .db import StoreError, reading, utcnow, writing
from .schema import call_reviews, calls, decisions, draft_items, draft_scorecards, findings, transcripts
from .users import User

ANSWERS = ("yes", "no", "na")
ACTIONS = ("confirm", "override")
MAX_REASON = 2000


class ReviewError(StoreError):
    """A review action refused: ``status`` is the HTTP status the app answers with."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(code, message)
        self.status = status


def _call_row(conn, call_id: str, lock: bool = False):
    q = sa.select(calls).where(calls.c.call_id == call_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise ReviewError("REV404", f"no call {call_id!r} in the store", 404)
    return row


def _latest(conn, call_id: str) -> dict[str, dict]:
    rows = conn.execute(sa.select(decisions).where(decisions.c.call_id == call_id).order_by(decisions.c.id))
    return {r.item_id: _decision_dict(r) for r in rows}


def _decision_dict(r) -> dict[str, Any]:
    return {"id": r.id, "item_id": r.item_id, "reviewer": r.reviewer, "decided_at": r.decided_at.isoformat(),
            "action": r.action, "draft_answer": r.draft_answer, "final_answer": r.final_answer, "reason": r.reason}


def final_figures(items: list[dict], latest: dict[str, dict], pass_mark: float) -> dict[str, Any]:
    """Score, maximum, pass and risks from the decided answers (draft answers where undecided)."""
    total = maximum = 0.0
    critical_fail = False
    risks: set[str] = set()
    answers = {}
    for it in items:
        answer = latest[it["item_id"]]["final_answer"] if it["item_id"] in latest else it["answer"]
        answers[it["item_id"]] = answer
        if answer == "yes":
            total += it["weight"]
        if answer != "na":
            maximum += it["weight"]
        critical_fail |= it["critical"] and answer == "no"
        if it["kind"] == "risk" and answer == "no":
            drafted = [e["code"] for e in it["evidence"] if e.get("code")] if it["answer"] == "no" else []
            risks.update(drafted or it["codes"][:1])
    passed = not critical_fail and (maximum == 0 or total / maximum >= pass_mark)
    percent = round(100.0 * total / maximum, 1) if maximum else None
    return {"score": total, "maximum": maximum, "percent": percent, "passed": passed, "risks": sorted(risks),
            "answers": answers}


def _items(conn, call_id: str) -> list[dict]:
    rows = conn.execute(sa.select(draft_items).where(draft_items.c.call_id == call_id)
                        .order_by(draft_items.c.position)).mappings().all()
    return [dict(r) for r in rows]


def _pass_mark(conn, call_id: str) -> float:
    return conn.execute(sa.select(draft_scorecards.c.pass_mark).where(draft_scorecards.c.call_id == call_id)
                        ).scalar_one()


def get_call(engine, call_id: str) -> dict[str, Any]:
    """Everything the call page shows: the call, transcript, findings, draft items with their
    decisions (latest and history), the confirmations, and the score as it stands."""
    with reading(engine) as conn:
        row = _call_row(conn, call_id)
        tr = conn.execute(sa.select(transcripts.c.body).where(transcripts.c.call_id == call_id)).scalar_one()
        fs = [finding_dict(r) for r in conn.execute(sa.select(findings).where(findings.c.call_id == call_id)
                                                    .order_by(findings.c.position))]
        card = conn.execute(sa.select(draft_scorecards).where(draft_scorecards.c.call_id == call_id)).first()
        items = _items(conn, call_id)
        history = [_decision_dict(r) for r in conn.execute(
            sa.select(decisions).where(decisions.c.call_id == call_id).order_by(decisions.c.id))]
        reviews = [{"reviewer": r.reviewer, "at": r.at.isoformat(), "action": r.action, "score": r.score,
                    "maximum": r.maximum, "percent": r.percent, "passed": r.passed, "risks": r.risks,
                    "reason": r.reason}
                   for r in conn.execute(sa.select(call_reviews).where(call_reviews.c.call_id == call_id)
                                         .order_by(call_reviews.c.id))]
    latest = {d["item_id"]: d for d in history}
    for it in items:
        it["decision"] = latest.get(it["item_id"])
        it["history"] = [d for d in history if d["item_id"] == it["item_id"]]
    current = final_figures(items, latest, card.pass_mark)
    return {
        "call_id": call_id, "status": row.status, "input": row.input, "agent": row.agent, "team": row.team,
        "date": row.call_date.isoformat() if row.call_date else None, "meta": row.meta, "duration": row.duration,
        "has_audio": bool(row.audio_path), "confirmed_by": row.confirmed_by,
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
        "transcript": tr, "findings": fs, "draft": card.body, "pass_mark": card.pass_mark, "items": items,
        "decided": sum(1 for it in items if it["decision"]), "reviews": reviews, "current": current,
    }


def decide(engine, call_id: str, item_id: str, user: User, action: str, answer: str | None = None,
           reason: str | None = None) -> dict[str, Any]:
    """Record one decision on one item. Overriding needs a new answer and a reason."""
    reason = (reason or "").strip() or None
    if action not in ACTIONS:
        raise ReviewError("REV001", f"action must be confirm or override, got {action!r}")
    if reason and len(reason) > MAX_REASON:
        raise ReviewError("REV003", f"the reason is longer than {MAX_REASON} characters")
    with writing(engine) as conn:
        call = _call_row(conn, call_id, lock=True)
        if call.status != "draft":
            raise ReviewError("REV409", f"call {call_id} is confirmed; an admin must reopen it first", 409)
        item = conn.execute(sa.select(draft_items).where(draft_items.c.call_id == call_id,
                                                         draft_items.c.item_id == item_id)).first()
        if item is None:
            raise ReviewError("REV404", f"call {call_id} has no item {item_id!r}", 404)
        if action == "confirm":
            final = item.answer
        else:
            if answer not in ANSWERS:
                raise ReviewError("REV001", f"item {item_id}: an override needs an answer yes, no or na, got {answer!r}")
            if answer == item.answer:
                raise ReviewError("REV001", f"item {item_id}: the draft already answers {answer!r}; confirm it instead")
            if not reason:
                raise ReviewError("REV002", f"item {item_id}: an override needs a reason")
            final = answer
        new_id = conn.execute(decisions.insert().values(
            call_id=call_id, item_id=item_id, user_id=user.id, reviewer=user.name, decided_at=utcnow(),
            action=action, draft_answer=item.answer, final_answer=final, reason=reason).returning(decisions.c.id)
        ).scalar_one()
        _refresh_counts(conn, call_id)
        row = conn.execute(sa.select(decisions).where(decisions.c.id == new_id)).first()
    return _decision_dict(row)


def confirm_remaining(engine, call_id: str, user: User) -> int:
    """Confirm the draft answer of every item nobody has decided yet; how many were confirmed."""
    with writing(engine) as conn:
        call = _call_row(conn, call_id, lock=True)
        if call.status != "draft":
            raise ReviewError("REV409", f"call {call_id} is confirmed; an admin must reopen it first", 409)
        latest = _latest(conn, call_id)
        now = utcnow()
        rows = [dict(call_id=call_id, item_id=it["item_id"], user_id=user.id, reviewer=user.name, decided_at=now,
                     action="confirm", draft_answer=it["answer"], final_answer=it["answer"], reason=None)
                for it in _items(conn, call_id) if it["item_id"] not in latest]
        if rows:
            conn.execute(decisions.insert(), rows)
        _refresh_counts(conn, call_id)
    return len(rows)


def finalize(engine, call_id: str, user: User) -> dict[str, Any]:
    """Confirm the call: every item decided; the final score is computed and recorded."""
    with writing(engine) as conn:
        call = _call_row(conn, call_id, lock=True)
        if call.status != "draft":
            raise ReviewError("REV409", f"call {call_id} is already confirmed", 409)
        items, latest = _items(conn, call_id), _latest(conn, call_id)
        undecided = [it["item_id"] for it in items if it["item_id"] not in latest]
        if undecided:
            raise ReviewError("REV005", f"call {call_id}: {len(undecided)} item(s) not decided yet "
                                        f"({', '.join(undecided[:5])})", 409)
        fig = final_figures(items, latest, _pass_mark(conn, call_id))
        now = utcnow()
        conn.execute(call_reviews.insert().values(
            call_id=call_id, user_id=user.id, reviewer=user.name, at=now, action="confirm", score=fig["score"],
            maximum=fig["maximum"], percent=fig["percent"], passed=fig["passed"], risks=fig["risks"]))
        conn.execute(calls.update().where(calls.c.call_id == call_id).values(
            status="confirmed", score=fig["score"], maximum=fig["maximum"], percent=fig["percent"],
            passed=fig["passed"], risk_count=len(fig["risks"]), risk_codes=risk_codes_text(fig["risks"]),
            confirmed_at=now, confirmed_by=user.name, updated_at=now))
    return fig


def reopen(engine, call_id: str, user: User, reason: str | None) -> None:
    """Send a confirmed call back to draft (admins only); its decisions stay, new ones supersede them."""
    reason = (reason or "").strip()
    if not user.is_admin:
        raise ReviewError("AUTH403", "only an admin can reopen a confirmed call", 403)
    if not reason:
        raise ReviewError("REV002", f"call {call_id}: reopening needs a reason")
    with writing(engine) as conn:
        call = _call_row(conn, call_id, lock=True)
        if call.status != "confirmed":
            raise ReviewError("REV409", f"call {call_id} is not confirmed", 409)
        card = conn.execute(sa.select(draft_scorecards).where(draft_scorecards.c.call_id == call_id)).first()
        now = utcnow()
        conn.execute(call_reviews.insert().values(call_id=call_id, user_id=user.id, reviewer=user.name, at=now,
                                                  action="reopen", reason=reason[:MAX_REASON]))
        conn.execute(calls.update().where(calls.c.call_id == call_id).values(
            status="draft", score=card.score, maximum=card.maximum, percent=card.percent, passed=card.passed,
            risk_count=len(card.risks), risk_codes=risk_codes_text(card.risks), confirmed_at=None,
            confirmed_by=None, updated_at=now))


def _refresh_counts(conn, call_id: str) -> None:
    latest = _latest(conn, call_id)
    conn.execute(calls.update().where(calls.c.call_id == call_id).values(
        decided_count=len(latest), override_count=sum(1 for d in latest.values() if d["action"] == "override"),
        updated_at=utcnow()))


def final_scorecard(draft: dict[str, Any], items: list[dict], latest: dict[str, dict], pass_mark: float,
                    confirmed_by: str | None, confirmed_at: str | None) -> dict[str, Any]:
    """The confirmed card in scorecard.json's shape: the draft with the decided answers."""
    fig = final_figures(items, latest, pass_mark)
    card = copy.deepcopy(draft)
    weights = {it["item_id"]: it["weight"] for it in items}
    for it in card["items"]:
        ans = fig["answers"].get(it["id"], it["answer"])
        d = latest.get(it["id"])
        it.update(answer=ans, points=weights[it["id"]] if ans == "yes" else 0.0,
                  max_points=0.0 if ans == "na" else weights[it["id"]], draft_answer=d["draft_answer"] if d else it["answer"],
                  decision=d)
    card.update(status="confirmed", score=fig["score"], maximum=fig["maximum"], percent=fig["percent"],
                passed=fig["passed"], risks=fig["risks"], review={"confirmed_by": confirmed_by,
                                                                   "confirmed_at": confirmed_at})
    return card


__all__ = ["ANSWERS", "ReviewError", "confirm_remaining", "decide", "final_figures", "final_scorecard", "finalize",
           "get_call", "reopen"]
