"""``analyser report``: its arguments and the thin command over ``build_report``."""
from __future__ import annotations

import sys

from ..types import LABELS


def add_report_parser(sub) -> None:
    rep = sub.add_parser("report", help="compliance risks and scorecard results across calls, as HTML and CSV")
    src = rep.add_mutually_exclusive_group(required=True)
    src.add_argument("--results", metavar="DIR", help="a results folder written by 'analyser run'")
    src.add_argument("--db", metavar="URL", help="the analyser's database (sqlite:///file.db or postgresql://...)")
    rep.add_argument("--out", required=True, metavar="DIR", help="folder for report.html and the CSV files")
    rep.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="calls on or after this date")
    rep.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="calls on or before this date")
    rep.add_argument("--team", action="append", default=[], metavar="TEAM", help="only this team (repeat for several)")
    rep.add_argument("--agent", action="append", default=[], metavar="AGENT", help="only this agent (repeat for several)")
    rep.add_argument("--label", action="append", default=[], metavar="LABEL",
                     help=f"only calls where this behaviour was found (repeat for several): {', '.join(LABELS)}")


def cmd_report(args) -> int:
    """Exit 1 when the calls reported hold compliance risks, 0 when none, 2 on error."""
    from . import build_report, load_database, load_results
    from .records import Filters

    filters = Filters.parse(args.date_from, args.date_to, args.team, args.agent, args.label)
    loaded = load_results(args.results, filters) if args.results else load_database(args.db, filters)
    summary = build_report(loaded, args.out, filters)
    if args.db:
        # The live accuracy figures: how often reviewers override each item and detector.
        from ..store import CSV_COLUMNS, agreement_rows
        from .csvout import write_csv

        write_csv(summary.out / "agreement.csv", agreement_rows(args.db), list(CSV_COLUMNS))
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    rate = f"{100 * summary.risk_calls / summary.calls:.0f}%" if summary.calls else "-"
    print(f"{summary.calls} calls ({filters.describe()}), {summary.risk_calls} with compliance risks ({rate})")
    if not summary.calls:
        print("no calls match the filters", file=sys.stderr)
    print(f"report: {summary.out / 'report.html'} (CSV files beside it)")
    return summary.exit_code
