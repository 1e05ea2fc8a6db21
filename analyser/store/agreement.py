"""Agreement between the machine's drafts and the reviewers: the product's live accuracy.

For each scorecard item, and for each detector behind the items, over confirmed calls: how
many answers reviewers checked, how many they confirmed and how many they overrode, and in
which direction. The latest decision on an item of a call is the one counted.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from .db import reading
from .schema import calls, decisions, draft_items

CSV_COLUMNS = ("scope", "key", "question", "detectors", "reviewed", "confirmed", "overridden", "override_rate",
               "yes_to_no", "no_to_yes", "to_na", "from_na")


def _empty() -> dict[str, Any]:
    return {"reviewed": 0, "confirmed": 0, "overridden": 0, "yes_to_no": 0, "no_to_yes": 0, "to_na": 0, "from_na": 0}


def _count(acc: dict[str, Any], draft: str, final: str) -> None:
    acc["reviewed"] += 1
    if draft == final:
        acc["confirmed"] += 1
        return
    acc["overridden"] += 1
    if final == "na":
        acc["to_na"] += 1
    elif draft == "na":
        acc["from_na"] += 1
    elif draft == "yes":
        acc["yes_to_no"] += 1
    else:
        acc["no_to_yes"] += 1


def agreement(engine) -> list[dict[str, Any]]:
    """Rows for items (in template order) then detectors (by name); see CSV_COLUMNS."""
    latest = (sa.select(sa.func.max(decisions.c.id).label("id"))
              .join(calls, calls.c.call_id == decisions.c.call_id).where(calls.c.status == "confirmed")
              .group_by(decisions.c.call_id, decisions.c.item_id).subquery())
    q = (sa.select(decisions.c.item_id, decisions.c.draft_answer, decisions.c.final_answer, draft_items.c.question,
                   draft_items.c.detectors, draft_items.c.position)
         .join(latest, latest.c.id == decisions.c.id)
         .join(draft_items, sa.and_(draft_items.c.call_id == decisions.c.call_id,
                                    draft_items.c.item_id == decisions.c.item_id)))
    items: dict[str, dict[str, Any]] = {}
    dets: dict[str, dict[str, Any]] = defaultdict(_empty)
    with reading(engine) as conn:
        for r in conn.execute(q):
            acc = items.setdefault(r.item_id, {**_empty(), "question": r.question, "detectors": r.detectors,
                                               "position": r.position})
            _count(acc, r.draft_answer, r.final_answer)
            for name in filter(None, r.detectors.split(",")):
                _count(dets[name], r.draft_answer, r.final_answer)
    rows = [{"scope": "item", "key": k, **v} for k, v in sorted(items.items(), key=lambda kv: kv[1]["position"])]
    rows += [{"scope": "detector", "key": k, "question": "", "detectors": k, **v} for k, v in sorted(dets.items())]
    for r in rows:
        r.pop("position", None)
        r["override_rate"] = round(r["overridden"] / r["reviewed"], 4) if r["reviewed"] else None
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


__all__ = ["CSV_COLUMNS", "agreement", "to_csv"]
