"""The report's tables: risk and scores per agent, team and week; risk calls with their
evidence; HEAT adherence on complaint calls; the scorecard items most often failed.

Plain functions over CallRecords returning lists of rows (dicts), so the HTML page, the CSV
files and tests all read the same figures.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from ..redact import mask_text
from .records import CallRecord

RISK_NAMES = {"PCI.CARD_DETAILS_SPOKEN": "Card details spoken",
              "DPA.DISCLOSURE_BEFORE_ID": "Disclosure before ID check"}
HEAT_STEPS = (("hear", "Hear"), ("empathize", "Empathize"), ("apologize", "Apologize"), ("take_action", "Take action"))


def risk_name(code: str) -> str:
    return RISK_NAMES.get(code, code)


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def overview(records: list[CallRecord]) -> dict[str, Any]:
    scores = [r.percent for r in records if r.percent is not None]
    risky = [r for r in records if r.risks]
    out = {
        "calls": len(records),
        "risk_calls": len(risky),
        "risk_rate": _rate(len(risky), len(records)),
        "mean_percent": round(sum(scores) / len(scores), 1) if scores else None,
        "passed": sum(1 for r in records if r.scorecard.get("passed")),
        "agents": len({r.agent for r in records}),
        "teams": len({r.team for r in records}),
        "first_date": min((r.date for r in records if r.date), default=None),
        "last_date": max((r.date for r in records if r.date), default=None),
    }
    for code in RISK_NAMES:
        out[code] = sum(1 for r in records if code in r.risks)
    out["pass_rate"] = _rate(out["passed"], len(records))
    return out


def by_group(records: list[CallRecord], key: Callable[[CallRecord], str], name: str) -> list[dict[str, Any]]:
    """One row per agent / team / week: calls, calls with risks and of each kind, scores."""
    groups: dict[str, list[CallRecord]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    rows = []
    for k, recs in groups.items():
        scores = [r.percent for r in recs if r.percent is not None]
        risky = sum(1 for r in recs if r.risks)
        passed = sum(1 for r in recs if r.scorecard.get("passed"))
        row = {name: k, "calls": len(recs), "risk_calls": risky, "risk_rate": _rate(risky, len(recs))}
        for code in RISK_NAMES:
            row[code] = sum(1 for r in recs if code in r.risks)
        row.update({"mean_percent": round(sum(scores) / len(scores), 1) if scores else None,
                    "passed": passed, "pass_rate": _rate(passed, len(recs))})
        if name == "agent":
            row["team"] = ", ".join(sorted({r.team for r in recs}))
        rows.append(row)
    if name == "week":
        return sorted(rows, key=lambda r: r["week"])
    return sorted(rows, key=lambda r: (-(r["risk_rate"] or 0), -r["calls"], r[name]))


def _evidence(rec: CallRecord, code: str) -> list[dict[str, Any]]:
    """The quotes that show a risk: the scorecard's evidence, else the findings."""
    ev = [e for item in rec.scorecard.get("items") or () for e in item.get("evidence") or ()
          if e.get("code") == code and e.get("quote")]
    if not ev:
        ev = [f for f in rec.findings if f.get("code") == code and f.get("present", True)]
    return sorted(ev, key=lambda e: (e.get("start") is None, e.get("start") or 0, e.get("turn") or 0))


def risk_rows(records: list[CallRecord]) -> list[dict[str, Any]]:
    """One row per risk in a call, newest calls first, with its first evidence quote and time."""
    rows = []
    for r in records:
        for code in r.risks:
            ev = _evidence(r, code)
            first = ev[0] if ev else {}
            rows.append({
                "date": r.date.isoformat() if r.date else "", "week": r.week, "call_id": r.call_id,
                "agent": r.agent, "team": r.team, "risk": risk_name(code), "code": code,
                "speaker": first.get("speaker") or "", "start": first.get("start"), "turn": first.get("turn"),
                "quote": mask_text(first.get("quote") or ""), "more_evidence": max(0, len(ev) - 1),
                "score_percent": r.percent, "link": r.link or "",
            })
    return sorted(rows, key=lambda x: (x["date"] or "0000", x["call_id"], x["code"]), reverse=True)


def heat_rows(records: list[CallRecord], by_agent: bool = False) -> list[dict[str, Any]]:
    """HEAT adherence on complaint calls: the share of complaint calls with each step."""
    complaints = [r for r in records if "complaint" in r.labels]
    groups: dict[str, list[CallRecord]] = defaultdict(list)
    for r in complaints:
        groups[r.agent if by_agent else "all calls"].append(r)
    rows = []
    for k, recs in sorted(groups.items()):
        row: dict[str, Any] = {"agent" if by_agent else "scope": k, "complaint_calls": len(recs)}
        full = 0
        for step, _ in HEAT_STEPS:
            n = sum(1 for r in recs if step in r.labels)
            row[step] = n
            row[f"{step}_rate"] = _rate(n, len(recs))
        full = sum(1 for r in recs if all(step in r.labels for step, _ in HEAT_STEPS))
        row["all_four"], row["all_four_rate"] = full, _rate(full, len(recs))
        rows.append(row)
    return rows


def failed_items(records: list[CallRecord]) -> list[dict[str, Any]]:
    """Scorecard items by how often they were answered "no" where they applied."""
    stats: dict[str, dict[str, Any]] = {}
    for r in records:
        for item in r.scorecard.get("items") or ():
            s = stats.setdefault(item.get("id", "?"), {"item": item.get("id", "?"), "section": item.get("section", ""),
                                                        "question": item.get("question", ""), "failed": 0,
                                                        "applicable": 0, "critical": bool(item.get("critical"))})
            if item.get("answer") in ("yes", "no"):
                s["applicable"] += 1
                s["failed"] += item.get("answer") == "no"
    rows = [{**s, "fail_rate": _rate(s["failed"], s["applicable"])} for s in stats.values()]
    return sorted(rows, key=lambda s: (-s["failed"], -(s["fail_rate"] or 0), s["item"]))


def agent_week_matrix(records: list[CallRecord]) -> tuple[list[str], list[str], list[list[tuple[int, int]]]]:
    """Agents x weeks: (risk calls, calls) in each cell, for the who-and-when chart."""
    agents = sorted({r.agent for r in records})
    weeks = sorted({r.week for r in records})
    cells = {(a, w): [0, 0] for a in agents for w in weeks}
    for r in records:
        c = cells[(r.agent, r.week)]
        c[1] += 1
        c[0] += bool(r.risks)
    return agents, weeks, [[tuple(cells[(a, w)]) for w in weeks] for a in agents]
