"""The command line: exit codes, one-line errors, the summary, eval output, python -m."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyser import cli
from analyser.cli import main

ROOT = Path(__file__).resolve().parent.parent
OK_CALL = {"id": "energy-001", "turns": [
    {"speaker": "agent", "text": "Good morning, Northwind Energy, how can I help?", "start": 0.0, "end": 3.0},
    {"speaker": "customer", "text": "Just checking my direct debit date.", "start": 3.5, "end": 5.0},
    {"speaker": "agent", "text": "It's the 5th. Anything else? Bye now.", "start": 5.5, "end": 8.0, "labels": ["closing"]}],
    "labels": {"closing": True, "greeting": True}}
CARD_CALL = {"id": "shop-002", "turns": [
    {"speaker": "customer", "text": "My card is 4111 1111 1111 1111, expiry 09 27.", "start": 0.0, "end": 4.0,
     "labels": ["card_details_spoken"]},
    {"speaker": "agent", "text": "Thanks, bye.", "start": 4.5, "end": 5.0, "labels": ["closing"]}]}


@pytest.fixture()
def files(tmp_path):
    (tmp_path / "detectors.yaml").write_text("detectors:\n  card: {}\n  closing: {}\n", encoding="utf-8")

    def jsonl(name, *calls):
        path = tmp_path / name
        path.write_text("".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in calls), encoding="utf-8")
        return str(path)

    return tmp_path, jsonl


def _run(tmp_path, *paths, extra=()):
    return main(["run", *paths, "--out", str(tmp_path / "out"), "--detectors", str(tmp_path / "detectors.yaml"),
                 "--no-progress", *extra])


def test_cli_run_exit_0_prints_summary_and_writes_manifest(files, capsys):
    tmp_path, jsonl = files
    code = _run(tmp_path, jsonl("a.jsonl", OK_CALL))
    outp = capsys.readouterr().out
    assert code == 0
    assert "calls ok" in outp and "mean score" in outp and "wall time" in outp
    rows = [json.loads(x) for x in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert rows == [dict(rows[0], input=f"{tmp_path / 'a.jsonl'}:1", call_id="energy-001", status="ok", error=None)]
    assert json.loads((tmp_path / "out" / "energy-001" / "scorecard.json").read_text())["status"] == "draft"


def test_cli_run_exit_1_when_compliance_risks_found(files):
    tmp_path, jsonl = files
    assert _run(tmp_path, jsonl("a.jsonl", OK_CALL, CARD_CALL)) == 1


def test_cli_run_exit_2_and_one_line_error_for_malformed_line(files, capsys):
    tmp_path, jsonl = files
    path = jsonl("a.jsonl", OK_CALL, '{"id": "broken", "turns": [', CARD_CALL)
    assert _run(tmp_path, path) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: [TRN001] {path}:2: not valid JSON (Expecting value)"]
    statuses = [json.loads(x)["status"] for x in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert statuses == ["ok", "failed", "ok"]  # the batch went on


def test_cli_run_unknown_speaker_in_text_transcript(files, capsys):
    tmp_path, _ = files
    txt = tmp_path / "call-3.txt"
    txt.write_text("Manager: hello\nCustomer: hi\n", encoding="utf-8")
    assert _run(tmp_path, str(txt)) == 2
    err = capsys.readouterr().err
    assert "[TRN002]" in err and str(txt) in err and "'Manager'" in err


@pytest.mark.parametrize("argv", [
    ["run", "x.jsonl", "--agent-channel", "middle"],
    ["run", "x.jsonl", "--frobnicate"],
    ["run", "x.jsonl", "--model", "huge-v9"],
    ["eval"],
    [],
])
def test_cli_usage_errors_exit_2(argv, tmp_path, capsys):
    assert main(argv + (["--out", str(tmp_path / "o")] if argv[:1] == ["run"] else [])) == 2
    assert capsys.readouterr().err.strip()
    assert not (tmp_path / "o").exists()


def test_cli_broken_scorecard_is_refused_before_any_call(files, capsys):
    tmp_path, jsonl = files
    bad = tmp_path / "card.yaml"
    bad.write_text("id: t\nversion: '1'\nsections:\n  - id: s\n    items:\n      - {id: a, question: 'Closed?', weight: -2, codes: [CLOSE.CLOSING]}\n")
    assert _run(tmp_path, jsonl("a.jsonl", OK_CALL), extra=["--scorecard", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "[TPL005]" in err and str(bad) in err and "item 'a'" in err and "bad weight -2" in err
    assert not (tmp_path / "out").exists()


def test_cli_run_without_paths_uses_samples_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "SAMPLES", tmp_path / "no-samples-here")
    assert main(["run", "--out", str(tmp_path / "o")]) == 2
    assert "no samples folder" in capsys.readouterr().err


def test_cli_eval_reports_figures_and_writes_json(files, capsys):
    tmp_path, jsonl = files
    path = jsonl("labelled.jsonl", OK_CALL, CARD_CALL)
    out = tmp_path / "eval.json"
    assert main(["eval", path, "--json", str(out), "--detectors", str(tmp_path / "detectors.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "2 calls; evidence precision" in printed and "closing" in printed
    data = json.loads(out.read_text())
    assert data["calls"] == 2
    assert data["call_level"]["closing"]["support"] == 2 and data["call_level"]["closing"]["recall"] == 1.0
    assert data["call_level"]["card_details_spoken"]["tp"] == 1
    assert set(data["turn_level"]["closing"]) >= {"precision", "recall", "f1", "support"}
    assert "precision" in data["evidence"]


def test_cli_eval_malformed_line_exit_2(files, capsys):
    tmp_path, jsonl = files
    path = jsonl("labelled.jsonl", OK_CALL, "nope")
    assert main(["eval", path, "--detectors", str(tmp_path / "detectors.yaml")]) == 2
    assert f"[TRN001] {path}:2" in capsys.readouterr().err


def test_cli_python_dash_m_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "analyser", "run", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "--agent-channel" in proc.stdout and "--scorecard" in proc.stdout


@pytest.mark.slow
def test_cli_run_recording_with_tiny_model(tmp_path, capsys):
    """A real stereo recording end to end: the sample call where a card number is read out."""
    wav = ROOT / "samples" / "insurance-payment-002.wav"
    if not wav.exists():
        pytest.skip("samples/ not built (scripts/make_samples.py)")
    out = tmp_path / "out"
    assert main(["run", str(wav), "--model", "tiny.en", "--out", str(out), "--no-progress"]) == 1
    transcript = json.loads((out / "insurance-payment-002" / "transcript.json").read_text())
    card = json.loads((out / "insurance-payment-002" / "scorecard.json").read_text())
    assert transcript["source"]["kind"] == "asr" and transcript["roles"]["method"] == "channel"
    assert {t["speaker"] for t in transcript["turns"]} == {"agent", "customer"}
    assert all(t["words"] and "avg_logprob" in t for t in transcript["turns"])
    assert card["provenance"]["source"]["model_sha256"] == \
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
    assert "PCI.CARD_DETAILS_SPOKEN" in card["risks"] and card["passed"] is False
    assert "audio transcribed" in capsys.readouterr().out
    assert main(["run", str(wav), "--model", "tiny.en", "--out", str(out), "--no-progress"]) == 1  # resumed
    assert json.loads((out / "manifest.jsonl").read_text())["status"] == "skipped"
