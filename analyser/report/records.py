"""Calls as plain records for reporting, loaded from a results folder or from the database.

A record holds what a compliance report needs of one call: its id, who took it and when
(agent, team, date from the call's metadata), the draft scorecard and the findings, all as
the plain dicts that ``analyser run`` writes. Text in them was masked before it was stored;
the report masks it again in case a folder was written by an older version.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from ..errors import AnalyserError
from ..types import LABELS

UNKNOWN = "(unknown)"
NO_DATE = "(no date)"


class ReportError(AnalyserError):
    """A report cannot be made: no results, a bad filter, no database support."""


@dataclass(frozen=True)
class CallRecord:
    call_id: str
    agent: str
    team: str
    date: date | None
    scorecard: dict[str, Any]
    findings: tuple[dict[str, Any], ...] = ()
    link: str | None = None  # where the call's scorecard opens (a path or a URL)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def risks(self) -> tuple[str, ...]:
        return tuple(self.scorecard.get("risks") or ())

    @property
    def week(self) -> str:
        if self.date is None:
            return NO_DATE
        year, week, _ = self.date.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def percent(self) -> float | None:
        card = self.scorecard
        if card.get("percent") is not None:
            return float(card["percent"])
        if card.get("maximum"):
            return 100.0 * float(card.get("score") or 0) / float(card["maximum"])
        return None

    @property
    def labels(self) -> frozenset[str]:
        """Behaviour labels found in the call (present findings)."""
        return frozenset(f.get("label") for f in self.findings if f.get("present", True))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CallRecord":
        """A record from the plain shape the database store returns:
        {"call_id", "meta": {"agent", "team", "date"}, "scorecard": {...}, "findings": [...], "link"?}."""
        meta = dict(d.get("meta") or {})
        return cls(
            call_id=str(d["call_id"]),
            agent=str(meta.get("agent") or d.get("agent") or UNKNOWN),
            team=str(meta.get("team") or d.get("team") or UNKNOWN),
            date=parse_date(meta.get("date") or d.get("date")),
            # A reviewer's confirmed card, where there is one, outranks the draft.
            scorecard=dict(d.get("final_scorecard") or d.get("scorecard") or {}),
            findings=tuple(d.get("findings") or ()),
            link=d.get("link"),
            meta=meta,
        )


def parse_date(value: Any) -> date | None:
    """The call's date from metadata: a date, or an ISO string (a time part is ignored)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Filters:
    """Which calls a report covers. Empty means all; several values of one kind mean any of them."""

    date_from: date | None = None
    date_to: date | None = None
    teams: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @classmethod
    def parse(cls, date_from: str | None = None, date_to: str | None = None, teams: Iterable[str] = (),
              agents: Iterable[str] = (), labels: Iterable[str] = ()) -> "Filters":
        """Filters from command-line strings; a bad date or an unknown label is an error."""
        def day(value: str | None, flag: str) -> date | None:
            if value is None:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ReportError("REP004", f"{flag} {value!r}: not a date (expected YYYY-MM-DD)") from None

        f = cls(day(date_from, "--from"), day(date_to, "--to"), tuple(teams or ()), tuple(agents or ()),
                tuple(labels or ()))
        for lab in f.labels:
            if lab not in LABELS:
                raise ReportError("REP005", f"--label {lab!r}: unknown label (expected one of {', '.join(LABELS)})")
        if f.date_from and f.date_to and f.date_from > f.date_to:
            raise ReportError("REP004", f"--from {f.date_from} is after --to {f.date_to}")
        return f

    def match(self, rec: CallRecord) -> bool:
        if (self.date_from or self.date_to) and rec.date is None:
            return False
        if self.date_from and rec.date < self.date_from:
            return False
        if self.date_to and rec.date > self.date_to:
            return False
        if self.teams and rec.team.casefold() not in {t.casefold() for t in self.teams}:
            return False
        if self.agents and rec.agent.casefold() not in {a.casefold() for a in self.agents}:
            return False
        if self.labels and not rec.labels & set(self.labels):
            return False
        return True

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the database store's loader, which takes one agent and one
        team (as the review app's call list does); several, and labels, are applied here after."""
        out: dict[str, Any] = {}
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = self.date_to.isoformat()
        if len(self.teams) == 1:
            out["team"] = self.teams[0]
        if len(self.agents) == 1:
            out["agent"] = self.agents[0]
        return out

    def describe(self) -> str:
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '…'} to {self.date_to or '…'}")
        for name, values in (("team", self.teams), ("agent", self.agents), ("label", self.labels)):
            if values:
                parts.append(f"{name} {' or '.join(values)}")
        return "; ".join(parts) or "all calls"


@dataclass
class Loaded:
    """Records that matched the filters, and the calls that could not be read (with why)."""

    records: list[CallRecord]
    problems: list[str] = field(default_factory=list)
    source: str = ""


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_results(results: str | Path, filters: Filters = Filters()) -> Loaded:
    """Every finished call under a results folder written by ``analyser run``.

    A call is finished when its folder holds result.json (written last); folders without it
    are calls still running or interrupted, and are left out. A finished call whose files
    cannot be read is reported as a problem, never silently dropped.
    """
    root = Path(results)
    if not root.is_dir():
        raise ReportError("REP001", f"{root}: no such results folder")
    loaded = Loaded([], source=str(root))
    finished = sorted(p.parent for p in root.glob("*/result.json"))
    if not finished:
        raise ReportError("REP001", f"{root}: no analysed calls (no <call-id>/result.json; run 'analyser run' first)")
    for call_dir in finished:
        try:
            card = _read_json(call_dir / "scorecard.json")
            findings = _read_json(call_dir / "findings.json") if (call_dir / "findings.json").is_file() else []
            meta = {}
            if (call_dir / "transcript.json").is_file():
                meta = _read_json(call_dir / "transcript.json").get("meta") or {}
            rec = CallRecord.from_dict({"call_id": card.get("call_id") or call_dir.name, "meta": meta, "scorecard": card,
                                        "findings": findings, "link": str((call_dir / "scorecard.json").resolve())})
        except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
            loaded.problems.append(f"[REP002] {call_dir}: cannot read the call's results ({type(exc).__name__})")
            continue
        if filters.match(rec):
            loaded.records.append(rec)
    return loaded


def load_database(url: str, filters: Filters = Filters()) -> Loaded:
    """Records from the database store: ``analyser.store.load_report_records(url, **filters)``."""
    if importlib.util.find_spec("analyser.store") is None:
        raise ReportError("REP003", f"{safe_url(url)}: reports from a database need the database store "
                                    "(analyser.store), which this installation does not have; use --results DIR")
    try:
        store = importlib.import_module("analyser.store")
    except Exception as exc:  # a broken installation: say so in one line, not a traceback
        raise ReportError("REP003", f"{safe_url(url)}: the database store (analyser.store) failed to load "
                                    f"({type(exc).__name__}); use --results DIR") from None
    loader = getattr(store, "load_report_records", None)
    if loader is None:
        raise ReportError("REP003", f"{safe_url(url)}: this database store cannot load report records; use --results DIR")
    try:
        rows = loader(url, **filters.as_kwargs())
    except AnalyserError:
        raise
    except Exception as exc:
        raise ReportError("REP003", f"{safe_url(url)}: cannot read report records ({type(exc).__name__})") from None
    records = [r if isinstance(r, CallRecord) else CallRecord.from_dict(r) for r in rows]
    return Loaded([r for r in records if filters.match(r)], source=safe_url(url))


def safe_url(url: str) -> str:
    """A database URL fit to print: any password in it is hidden."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
