"""Compliance report across calls: ``analyser report (--results DIR | --db URL) --out DIR``.

Writes ``DIR/report.html`` (charts and tables: risk rate and scorecard results by agent, team
and week; the calls with risks, each with its evidence quote, time and a link to its
scorecard; HEAT adherence on complaint calls; the items most often failed) and the same
tables as CSV files. Nothing in it is unmasked: quotes come masked from storage and are
masked again here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import aggregate, plots
from .csvout import write_csv
from .html import render
from .records import CallRecord, Filters, Loaded, ReportError, load_database, load_results

GROUP_COLUMNS = ["calls", "risk_calls", "risk_rate", "PCI.CARD_DETAILS_SPOKEN", "DPA.DISCLOSURE_BEFORE_ID",
                 "mean_percent", "passed", "pass_rate"]
CSV_TABLES = {
    "risk_calls.csv": ("risk_rows", ["date", "week", "call_id", "agent", "team", "risk", "code", "speaker", "start",
                                     "turn", "quote", "more_evidence", "score_percent", "link"]),
    "by_agent.csv": ("by_agent", ["agent", "team"] + GROUP_COLUMNS),
    "by_team.csv": ("by_team", ["team"] + GROUP_COLUMNS),
    "by_week.csv": ("by_week", ["week"] + GROUP_COLUMNS),
    "heat.csv": ("heat_by_agent", ["agent", "complaint_calls"] + [c for s, _ in aggregate.HEAT_STEPS
                                                                   for c in (s, f"{s}_rate")] + ["all_four", "all_four_rate"]),
    "failed_items.csv": ("failed_items", ["item", "section", "question", "failed", "applicable", "fail_rate", "critical"]),
}


@dataclass
class ReportSummary:
    out: Path
    calls: int
    risk_calls: int
    problems: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """2 when a call could not be read, else 1 when risks were found, else 0."""
        if self.problems:
            return 2
        return 1 if self.risk_calls else 0


def tables(records: list[CallRecord]) -> dict:
    """Every figure of the report, as plain rows."""
    heat_all = aggregate.heat_rows(records)
    return {
        "overview": aggregate.overview(records),
        "risk_rows": aggregate.risk_rows(records),
        "by_agent": aggregate.by_group(records, lambda r: r.agent, "agent"),
        "by_team": aggregate.by_group(records, lambda r: r.team, "team"),
        "by_week": aggregate.by_group(records, lambda r: r.week, "week"),
        "heat": heat_all[0] if heat_all else None,
        "heat_by_agent": aggregate.heat_rows(records, by_agent=True),
        "failed_items": aggregate.failed_items(records),
    }


def charts(data: dict, records: list[CallRecord]) -> dict[str, str | None]:
    scores: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.percent is not None:
            scores[r.agent].append(r.percent)
    return {
        "who_when": plots.who_and_when(*aggregate.agent_week_matrix(records)),
        "week": plots.risk_by_week(data["by_week"]),
        "agent": plots.rate_bars(data["by_agent"], "agent", "Risk rate by agent"),
        "team": plots.rate_bars(data["by_team"], "team", "Risk rate by team"),
        "scores": plots.score_by_agent(scores),
        "heat": plots.heat_steps(data["heat"]),
        "items": plots.failed_items_bars(data["failed_items"]),
    }


def build_report(loaded: Loaded, out: str | Path, filters: Filters = Filters()) -> ReportSummary:
    """Write report.html and the CSV files for the loaded calls into ``out``."""
    from ..batch import write_atomic

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError("REP006", f"{out}: cannot create the report folder ({exc.strerror or exc})") from None
    records = loaded.records
    data = tables(records)
    data.update(source=loaded.source, filters=filters.describe(), problems=loaded.problems, csv_files=list(CSV_TABLES))
    summary = ReportSummary(out, len(records), data["overview"]["risk_calls"], list(loaded.problems))
    try:
        for name, (key, columns) in CSV_TABLES.items():
            write_csv(out / name, data[key], columns)
            summary.files.append(out / name)
        page = render(data, charts(data, records), out.resolve())
        write_atomic(out / "report.html", page.encode("utf-8"))
    except OSError as exc:
        raise ReportError("REP006", f"{out}: cannot write the report ({exc.strerror or exc})") from None
    summary.files.append(out / "report.html")
    return summary


__all__ = ["CallRecord", "Filters", "Loaded", "ReportError", "ReportSummary", "build_report", "load_database",
           "load_results", "tables"]
