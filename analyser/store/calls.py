"""Calls in the store: written by ``analyser run --db``, listed and read by the review app.

A call is written from its finished output folder (transcript.json, findings.json,
scorecard.json, result.json), so a call that an earlier run left on disk is stored the same
way as a new one. Everything written is already redacted by the pipeline.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from ..pipeline import AUDIO_EXTENSIONS
from .db import StoreError, first_line, reading, utcnow, writing
from .schema import calls, decisions, draft_items, draft_scorecards, findings, transcripts

log = logging.getLogger(__name__)
STATUSES = ("draft", "confirmed")
PER_PAGE_MAX = 200


def parse_date(value: Any) -> dt.date | None:
    """The call's date from its meta ("2026-03-02" or a timestamp); None when there is none."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def risk_codes_text(codes: Iterable[str]) -> str:
    """" A B ": a column that a LIKE ' A ' finds one code in, without a table of its own."""
    codes = sorted(set(codes))
    return f" {' '.join(codes)} " if codes else " "


def _audio(path: str | Path | None) -> str | None:
    if not path:
        return None
    p = Path(path).resolve()
    return str(p) if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS else None


def _read(call_dir: Path, name: str) -> Any:
    return json.loads((call_dir / name).read_text(encoding="utf-8"))


def save_call_dir(engine, call_dir: str | Path, *, template, detectors: list, input: str,
                  audio: str | Path | None = None) -> str:
    """Store the finished call in ``call_dir``: "stored", "replaced", "unchanged" or "kept".

    A call already stored from the same input and settings is left as it is ("unchanged"); a
    re-analysed call replaces its draft while nobody has reviewed it ("replaced"); once a
    reviewer has decided anything, the reviewed draft is kept and the new one is not stored
    ("kept"), so no decision ever loses the draft it was made on.
    """
    call_dir = Path(call_dir)
    tr, fs, card, done = (_read(call_dir, n) for n in ("transcript.json", "findings.json", "scorecard.json",
                                                        "result.json"))
    call_id = card["call_id"]
    try:
        with writing(engine) as conn:
            row = conn.execute(sa.select(calls.c.run_key).where(calls.c.call_id == call_id).with_for_update()).first()
            if row is not None and row.run_key == done.get("key"):
                return "unchanged"
            if row is not None:
                if conn.execute(sa.select(decisions.c.id).where(decisions.c.call_id == call_id).limit(1)).first():
                    log.warning("call %s: reviewed in the store; the new draft is not stored", call_id)
                    return "kept"
                conn.execute(calls.delete().where(calls.c.call_id == call_id))  # children go by cascade
            _insert(conn, tr, fs, card, done, template, detectors, input, _audio(audio))
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError("DB002", f"call {call_id}: cannot write to the database: {first_line(exc)}") from exc
    return "stored" if row is None else "replaced"


def _item_detectors(detectors: list) -> dict[str, str]:
    return {code: d.name for d in detectors for code in d.codes}


def _insert(conn, tr: dict, fs: list, card: dict, done: dict, template, detectors: list, input: str,
            audio: str | None) -> None:
    now = utcnow()
    meta = tr.get("meta") or {}
    call_id = card["call_id"]
    items = card["items"]
    conn.execute(calls.insert().values(
        call_id=call_id, input=input, input_sha256=done.get("input_sha256"), run_key=done.get("key"),
        audio_path=audio, duration=tr.get("duration"), agent=_text(meta.get("agent")), team=_text(meta.get("team")),
        call_date=parse_date(meta.get("date")), meta=meta, template_id=card["template"]["id"],
        template_version=str(card["template"]["version"]), status="draft", item_count=len(items), decided_count=0,
        override_count=0, score=card["score"], maximum=card["maximum"], percent=card.get("percent"),
        passed=card["passed"], risk_count=len(card["risks"]), risk_codes=risk_codes_text(card["risks"]),
        created_at=now, updated_at=now))
    conn.execute(transcripts.insert().values(call_id=call_id, body=tr))
    if fs:
        conn.execute(findings.insert(), [_finding_row(call_id, i, f) for i, f in enumerate(fs)])
    conn.execute(draft_scorecards.insert().values(
        call_id=call_id, template_id=card["template"]["id"], template_version=str(card["template"]["version"]),
        template_sha256=template.sha256, pass_mark=template.pass_mark, score=card["score"], maximum=card["maximum"],
        percent=card.get("percent"), passed=card["passed"], risks=list(card["risks"]), body=card, created_at=now))
    by_id = {t.id: t for t in template.items}
    owner = _item_detectors(detectors)
    rows = []
    for pos, it in enumerate(items):
        t = by_id.get(it["id"])
        if t is None:
            raise StoreError("DB002", f"call {call_id}: item {it['id']!r} is not in template {template.id}")
        dets = sorted({owner[c] for c in t.codes if c in owner})
        rows.append(dict(call_id=call_id, item_id=it["id"], position=pos, section=it["section"],
                         question=it["question"], kind=t.kind, critical=t.critical, weight=t.weight,
                         codes=list(t.codes), detectors=",".join(dets), answer=it["answer"], points=it["points"],
                         max_points=it["max_points"], confidence=it["confidence"],
                         justification=it["justification"], evidence=it["evidence"]))
    conn.execute(draft_items.insert(), rows)


def _text(value: Any) -> str | None:
    return str(value)[:100] if value not in (None, "") else None


def _finding_row(call_id: str, pos: int, f: dict) -> dict:
    return dict(call_id=call_id, position=pos, code=f["code"], label=f["label"], present=bool(f.get("present", True)),
                turn=f.get("turn"), speaker=f.get("speaker"), quote=f.get("quote") or "",
                char_start=f.get("char_start") or 0, char_end=f.get("char_end") or 0, start_s=f.get("start"),
                end_s=f.get("end"), score=f.get("score") or 0.0, detector=f["detector"],
                detector_version=str(f["detector_version"]), method=f.get("method") or "",
                explanation=f.get("explanation") or "")


def finding_dict(row) -> dict:
    """A stored finding in the findings.json shape."""
    return {"code": row.code, "label": row.label, "turn": row.turn, "quote": row.quote, "char_start": row.char_start,
            "char_end": row.char_end, "start": row.start_s, "end": row.end_s, "score": row.score,
            "detector": row.detector, "detector_version": row.detector_version, "method": row.method,
            "speaker": row.speaker, "present": row.present, "explanation": row.explanation}


# -- lists -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallFilter:
    """What the call list is narrowed to. Scores are percentages of the applicable points."""

    agent: str | None = None
    team: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str | None = None
    risk: str | None = None  # "any", "none" or a finding code
    min_score: float | None = None
    max_score: float | None = None
    q: str | None = None  # part of a call id

    @classmethod
    def parse(cls, args: dict[str, Any]) -> "CallFilter":
        """From query parameters or keyword arguments; ValueError names the bad one."""
        known = {f.name for f in fields(cls)}
        if extra := sorted(k for k in args if k not in known and args[k] not in (None, "")):
            raise ValueError(f"unknown filter {extra[0]!r}")
        v = {k: (str(args[k]).strip() if args.get(k) is not None else None) or None for k in known}
        for k in ("date_from", "date_to"):
            if v[k] is not None:
                try:
                    v[k] = dt.date.fromisoformat(v[k])
                except ValueError:
                    raise ValueError(f"{k}: expected a date YYYY-MM-DD, got {v[k]!r}") from None
        for k in ("min_score", "max_score"):
            if v[k] is not None:
                try:
                    v[k] = float(v[k])
                except ValueError:
                    raise ValueError(f"{k}: expected a percentage, got {v[k]!r}") from None
        if v["status"] is not None and v["status"] not in STATUSES:
            raise ValueError(f"status: expected draft or confirmed, got {v['status']!r}")
        return cls(**v)

    def where(self) -> list:
        c = calls.c
        conds = []
        if self.agent:
            conds.append(c.agent == self.agent)
        if self.team:
            conds.append(c.team == self.team)
        if self.date_from:
            conds.append(c.call_date >= self.date_from)
        if self.date_to:
            conds.append(c.call_date <= self.date_to)
        if self.status:
            conds.append(c.status == self.status)
        if self.risk == "any":
            conds.append(c.risk_count > 0)
        elif self.risk == "none":
            conds.append(c.risk_count == 0)
        elif self.risk:
            conds.append(c.risk_codes.contains(f" {self.risk} ", autoescape=True))
        if self.min_score is not None:
            conds.append(c.percent >= self.min_score)
        if self.max_score is not None:
            conds.append(c.percent <= self.max_score)
        if self.q:
            conds.append(c.call_id.contains(self.q, autoescape=True))
        return conds


SORTS = {
    "-date": (calls.c.call_date.desc(), calls.c.call_id),
    "date": (calls.c.call_date.asc(), calls.c.call_id),
    "score": (calls.c.percent.asc(), calls.c.call_id),
    "-score": (calls.c.percent.desc(), calls.c.call_id),
    "call": (calls.c.call_id,),
}
LIST_COLUMNS = ("call_id", "agent", "team", "call_date", "status", "score", "maximum", "percent", "passed",
                "risk_count", "risk_codes", "item_count", "decided_count", "override_count", "confirmed_by",
                "confirmed_at", "duration")


def list_calls(engine, flt: CallFilter, *, page: int = 1, per_page: int = 50, sort: str = "-date"
               ) -> tuple[list[dict], int]:
    """One page of calls and the number that match."""
    per_page = max(1, min(PER_PAGE_MAX, per_page))
    page = max(1, page)
    conds = flt.where()
    cols = [calls.c[n] for n in LIST_COLUMNS]
    q = sa.select(*cols).where(*conds).order_by(*SORTS.get(sort, SORTS["-date"]))
    with reading(engine) as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(calls).where(*conds)).scalar_one()
        rows = conn.execute(q.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    out = []
    for r in rows:
        d = dict(r)
        d["risks"] = d.pop("risk_codes").split()
        d["call_date"] = d["call_date"].isoformat() if d["call_date"] else None
        d["confirmed_at"] = d["confirmed_at"].isoformat() if d["confirmed_at"] else None
        out.append(d)
    return out, total


def facets(engine) -> dict[str, list[str]]:
    """The agents, teams and risk codes present, for the list's filter menus."""
    with reading(engine) as conn:
        agents = conn.execute(sa.select(calls.c.agent).where(calls.c.agent.is_not(None)).distinct()
                              .order_by(calls.c.agent)).scalars().all()
        teams = conn.execute(sa.select(calls.c.team).where(calls.c.team.is_not(None)).distinct()
                             .order_by(calls.c.team)).scalars().all()
    return {"agents": list(agents), "teams": list(teams), "risks": list(RISK_CODES)}


# The codes of the compliance risks the detectors report (the list filter offers these).
RISK_CODES = ("DPA.DISCLOSURE_BEFORE_ID", "PCI.CARD_DETAILS_SPOKEN")


def audio_path(engine, call_id: str) -> tuple[bool, str | None]:
    """(the call exists, its recording's path or None). Paths only ever come from the store."""
    with reading(engine) as conn:
        row = conn.execute(sa.select(calls.c.audio_path).where(calls.c.call_id == call_id)).first()
    return (row is not None, row.audio_path if row is not None else None)


__all__ = ["CallFilter", "STATUSES", "audio_path", "facets", "finding_dict", "list_calls", "parse_date",
           "risk_codes_text", "save_call_dir"]
