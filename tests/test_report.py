"""The compliance report: figures, filters, CSV escaping, HTML escaping and exit codes.

The results folder is made by the real pipeline from the development calls (typed
transcripts with agent, team and date), so the figures are checked against the labels.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from analyser.batch import run_batch
from analyser.cli import main
from analyser.report import Filters, ReportError, build_report, load_results
from analyser.report.csvout import csv_text, escape_cell
from analyser.report.records import safe_url

DEV = Path(__file__).resolve().parent.parent / "eval" / "dev-calls.jsonl"
GOLD = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    run_batch([DEV], out)
    return out


def _ids(loaded):
    return sorted(r.call_id for r in loaded.records)


def _gold_ids(pred):
    return sorted(c["id"] for c in GOLD if pred(c))


def test_report_loads_every_call_with_who_and_when(results):
    loaded = load_results(results)
    assert _ids(loaded) == _gold_ids(lambda c: True) and loaded.problems == []
    rec = next(r for r in loaded.records if r.call_id == GOLD[0]["id"])
    assert (rec.agent, rec.team, rec.date.isoformat()) == (GOLD[0]["meta"]["agent"], GOLD[0]["meta"]["team"],
                                                           GOLD[0]["meta"]["date"])


def test_report_filters_by_team_agent_date_and_label(results):
    team = GOLD[0]["meta"]["team"]
    assert _ids(load_results(results, Filters.parse(teams=[team.upper()]))) == \
        _gold_ids(lambda c: c["meta"]["team"] == team)
    agents = [GOLD[0]["meta"]["agent"], GOLD[1]["meta"]["agent"]]
    assert _ids(load_results(results, Filters.parse(agents=agents))) == _gold_ids(lambda c: c["meta"]["agent"] in agents)
    got = load_results(results, Filters.parse("2026-02-01", "2026-02-28"))
    assert _ids(got) == _gold_ids(lambda c: "2026-02-01" <= c["meta"]["date"] <= "2026-02-28") and got.records
    card = load_results(results, Filters.parse(labels=["card_details_spoken"]))
    assert _ids(card) == _gold_ids(lambda c: c["labels"].get("card_details_spoken")) and card.records
    both = load_results(results, Filters.parse("2026-02-01", None, [team], [], ["complaint"]))
    assert _ids(both) == _gold_ids(lambda c: c["meta"]["team"] == team and c["meta"]["date"] >= "2026-02-01"
                                   and c["labels"].get("complaint"))


@pytest.mark.parametrize("kwargs,code", [({"date_from": "01/02/2026"}, "REP004"), ({"labels": ["rudeness"]}, "REP005"),
                                         ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "REP004")])
def test_report_filters_refuse_bad_values(kwargs, code):
    with pytest.raises(ReportError) as err:
        Filters.parse(**kwargs)
    assert err.value.code == code


def test_report_writes_html_and_csv_with_the_same_figures(results, tmp_path):
    loaded = load_results(results)
    summary = build_report(loaded, tmp_path)
    risky = [c for c in GOLD if c["labels"].get("card_details_spoken") or c["labels"].get("disclosure_before_verification")]
    assert summary.risk_calls == len(risky) and summary.exit_code == 1
    rows = list(csv.DictReader(io.StringIO((tmp_path / "risk_calls.csv").read_text(encoding="utf-8-sig"))))
    assert {r["call_id"] for r in rows} == {c["id"] for c in risky}
    assert all(r["quote"] and r["link"].endswith("scorecard.json") for r in rows)
    teams = list(csv.DictReader(io.StringIO((tmp_path / "by_team.csv").read_text(encoding="utf-8-sig"))))
    assert sum(int(t["calls"]) for t in teams) == len(GOLD)
    assert sum(int(t["risk_calls"]) for t in teams) == len(risky)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 6  # the charts are inline
    for row in rows[:3]:
        assert f">{row['call_id']}</a>" in html
    complaint_calls = sum(1 for c in GOLD if c["labels"].get("complaint"))
    heat = list(csv.DictReader(io.StringIO((tmp_path / "heat.csv").read_text(encoding="utf-8-sig"))))
    assert sum(int(h["complaint_calls"]) for h in heat) == complaint_calls


def test_report_csv_escapes_cells_a_spreadsheet_would_run():
    for bad in ("=HYPERLINK(\"http://x\")", "+44 7700 900123", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert escape_cell(bad) == "'" + bad
    assert escape_cell("A-101") == "A-101" and escape_cell(-3) == -3 and escape_cell(0.25) == 0.25
    assert escape_cell(None) == "" and escape_cell(True) == "yes"
    text = csv_text([{"agent": "=cmd|' /C calc'!A0", "calls": 3}], ["agent", "calls"])
    assert list(csv.reader(io.StringIO(text))) == [["agent", "calls"], ["'=cmd|' /C calc'!A0", "3"]]


def _one_call_results(tmp_path, agent: str, turns: list[tuple[str, str]]) -> Path:
    src = tmp_path / "calls.jsonl"
    src.write_text(json.dumps({"id": "c-1", "meta": {"agent": agent, "team": "=Team", "date": "2026-05-04"},
                               "turns": [{"speaker": s, "text": t} for s, t in turns]}) + "\n", encoding="utf-8")
    out = tmp_path / "results"
    run_batch([src], out)
    return out


def test_report_escapes_call_text_in_html_and_csv(tmp_path):
    results = _one_call_results(tmp_path, "<script>alert(1)</script>", [
        ("agent", "Hello, Acme, how can I help?"), ("customer", "I want to pay by card."),
        ("agent", "What's the card number?"), ("customer", "4539 1488 0343 6467 <b>"), ("agent", "Thanks.")])
    assert main(["report", "--results", str(results), "--out", str(tmp_path / "r")]) == 1
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "4539 1488" not in html and "[CARD ****6467]" in html
    by_team = (tmp_path / "r" / "by_team.csv").read_text(encoding="utf-8-sig")
    assert "\n'=Team," in by_team


def test_report_exit_codes(tmp_path, capsys):
    clean = _one_call_results(tmp_path, "A-1", [("agent", "Hello, Acme, how can I help?"), ("customer", "Just a question."),
                                                ("agent", "Sure. Anything else? Goodbye.")])
    assert main(["report", "--results", str(clean), "--out", str(tmp_path / "r")]) == 0
    assert main(["report", "--results", str(tmp_path / "missing"), "--out", str(tmp_path / "r")]) == 2
    assert "[REP001]" in capsys.readouterr().err
    assert main(["report", "--results", str(clean), "--out", str(tmp_path / "r"), "--from", "May 4"]) == 2
    assert main(["report", "--out", str(tmp_path / "r")]) == 2  # no source
    (clean / "c-1" / "scorecard.json").write_text("{not json", encoding="utf-8")
    assert main(["report", "--results", str(clean), "--out", str(tmp_path / "r")]) == 2
    assert "[REP002]" in capsys.readouterr().err


def test_report_hides_database_passwords():
    assert safe_url("postgresql://qa:s3cret@db.example:5432/calls") == "postgresql://qa:***@db.example:5432/calls"
    assert safe_url("sqlite:///calls.db") == "sqlite:///calls.db"
