"""Batches over typed transcripts: discovery, manifest, exit codes, resume, crash safety."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyser import batch
from analyser.batch import run_batch
from analyser.errors import AnalyserError
from analyser.scorecard import load_template

DETECTORS = {"card": {}, "closing": {}}  # fast, and enough to see risks and answers

CALL_OK = {"id": "energy-001", "meta": {"agent": "A-1"}, "turns": [
    {"speaker": "agent", "text": "Good morning, Northwind Energy, Priya speaking.", "start": 0.0, "end": 3.0},
    {"speaker": "customer", "text": "Hi, I want to move my meter reading date.", "start": 3.5, "end": 6.0},
    {"speaker": "agent", "text": "Done. Is there anything else? Thanks for calling, bye.", "start": 6.5, "end": 9.0}]}
CALL_CARD = {"id": "shop-002", "turns": [
    {"speaker": "agent", "text": "Can I take the long card number please?", "start": 0.0, "end": 2.0},
    {"speaker": "customer", "text": "It's 4111 1111 1111 1111, expiry 09 27.", "start": 2.5, "end": 7.0},
    {"speaker": "agent", "text": "Thanks, that's gone through. Bye now.", "start": 7.5, "end": 9.0}]}
TEXT_CALL = "Agent: Hello, Acme Water, how can I help?\nCustomer: Just checking my bill date.\nAgent: It's the 5th. Goodbye.\n"


@pytest.fixture(scope="module")
def template():
    return load_template()


def _jsonl(path: Path, *calls) -> Path:
    path.write_text("".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in calls), encoding="utf-8")
    return path


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def _run(paths, out, template, **kw):
    return run_batch([str(p) for p in paths], out, template=template, detectors=kw.pop("detectors", DETECTORS), **kw)


def _tmp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_batch_manifest_records_every_input_and_goes_on_after_bad_ones(tmp_path, template):
    src = tmp_path / "in"
    src.mkdir()
    bad_speaker = {"id": "x-3", "turns": [{"speaker": "supervisor", "text": "Hi"}]}
    bad_label = {"id": "x-4", "turns": [{"speaker": "agent", "text": "Hi", "labels": ["rudeness"]}]}
    _jsonl(src / "calls.jsonl", CALL_OK, "{not json", bad_speaker, bad_label, CALL_CARD)
    (src / "water-007.txt").write_text(TEXT_CALL, encoding="utf-8")
    (src / "notes.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "out"
    summary = _run([src, tmp_path / "missing-folder"], out, template)

    rows = {r["input"]: r for r in _manifest(out)}
    assert len(rows) == 8
    calls = src / "calls.jsonl"
    assert rows[f"{calls}:1"]["status"] == "ok" and rows[f"{calls}:1"]["call_id"] == "energy-001"
    assert rows[f"{calls}:2"]["status"] == "failed" and rows[f"{calls}:2"]["error"]["code"] == "TRN001"
    assert rows[f"{calls}:3"]["error"]["code"] == "TRN002" and "'supervisor'" in rows[f"{calls}:3"]["error"]["message"]
    assert rows[f"{calls}:4"]["error"]["code"] == "TRN003" and "'rudeness'" in rows[f"{calls}:4"]["error"]["message"]
    assert rows[f"{calls}:5"]["status"] == "ok" and rows[f"{calls}:5"]["risks"] == ["PCI.CARD_DETAILS_SPOKEN"]
    assert rows[str(src / "water-007.txt")]["status"] == "ok"
    assert rows[str(src / "notes.pdf")]["status"] == "skipped" and rows[str(src / "notes.pdf")]["error"]["code"] == "INP002"
    assert rows[str(tmp_path / "missing-folder")]["error"]["code"] == "INP001"
    for row in rows.values():  # every error names its input in one line
        if row["error"]:
            assert row["error"]["message"].startswith(row["input"]) and "\n" not in row["error"]["message"]
    for call_id in ("energy-001", "shop-002", "water-007"):
        names = {p.name for p in (out / call_id).iterdir()}
        assert names == {"transcript.json", "findings.json", "scorecard.json", "result.json"}
    assert (summary.count("ok"), summary.count("failed"), summary.count("skipped")) == (3, 4, 1)
    assert summary.risk_calls == 1 and summary.exit_code == 2
    assert _tmp_files(out) == []


def test_batch_outputs_hold_redacted_transcript_and_scorecard(tmp_path, template):
    out = tmp_path / "out"
    _run([_jsonl(tmp_path / "c.jsonl", CALL_CARD)], out, template)
    transcript = json.loads((out / "shop-002" / "transcript.json").read_text())
    card = json.loads((out / "shop-002" / "scorecard.json").read_text())
    assert transcript["id"] == "shop-002" and [t["speaker"] for t in transcript["turns"]] == ["agent", "customer", "agent"]
    assert transcript["source"]["format"] == "jsonl"
    for path in (out / "shop-002").iterdir():  # the card number never reaches a file unmasked
        assert "4111 1111 1111 1111" not in path.read_text()
    assert card["status"] == "draft" and card["passed"] is False and card["risks"] == ["PCI.CARD_DETAILS_SPOKEN"]
    item = next(i for i in card["items"] if i["id"] == "no_card_details_spoken")
    assert item["answer"] == "no" and item["evidence"][0]["turn"] == 1 and item["evidence"][0]["start"] == 2.5
    assert len(card["provenance"]["input_sha256"]) == 64 and set(card["provenance"]["detectors"]) == {"card", "closing"}


def test_batch_exit_codes_for_clean_and_risky_batches(tmp_path, template):
    clean = _run([_jsonl(tmp_path / "a.jsonl", CALL_OK)], tmp_path / "o1", template)
    assert clean.exit_code == 0 and clean.risk_calls == 0
    risky = _run([_jsonl(tmp_path / "b.jsonl", CALL_OK, CALL_CARD)], tmp_path / "o2", template)
    assert risky.exit_code == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run([empty], tmp_path / "o3", template).exit_code == 2  # no calls at all is an error


def test_batch_resume_skips_calls_done_with_same_input_and_settings(tmp_path, template):
    calls = _jsonl(tmp_path / "calls.jsonl", CALL_OK, CALL_CARD)
    out = tmp_path / "out"
    _run([calls], out, template)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    again = _run([calls], out, template)
    assert [r["status"] for r in _manifest(out)] == ["skipped", "skipped"]
    assert all("already done" in r["reason"] for r in _manifest(out))
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.json")} == before  # nothing rewritten
    assert again.exit_code == 1 and again.risk_calls == 1  # risks found earlier still count

    edited = dict(CALL_OK, meta={"agent": "A-2"})  # one call changed: only it runs again
    _jsonl(calls, edited, CALL_CARD)
    _run([calls], out, template)
    assert [r["status"] for r in _manifest(out)] == ["ok", "skipped"]
    _run([calls], out, template, detectors={"closing": {}})  # other settings: everything again
    assert [r["status"] for r in _manifest(out)] == ["ok", "ok"]


def test_batch_killed_run_is_finished_by_the_next(tmp_path, template, monkeypatch):
    calls = _jsonl(tmp_path / "calls.jsonl", CALL_OK, CALL_CARD)
    out = tmp_path / "out"
    real_write_json = batch.write_json

    def dies_on_second_call(path, obj):
        if path.parent.name == "shop-002" and path.name == "scorecard.json":
            tmp = path.parent / f".{path.name}.4242.tmp"  # a write caught halfway by the kill
            tmp.write_text('{"call_id": "sho')
            raise KeyboardInterrupt
        real_write_json(path, obj)

    monkeypatch.setattr(batch, "write_json", dies_on_second_call)
    with pytest.raises(KeyboardInterrupt):
        _run([calls], out, template)
    assert not (out / "manifest.jsonl").exists()  # no half manifest in place
    assert not (out / "shop-002" / "result.json").exists() and not (out / "shop-002" / "scorecard.json").exists()
    assert (out / "energy-001" / "result.json").exists()

    monkeypatch.setattr(batch, "write_json", real_write_json)
    summary = _run([calls], out, template)
    assert [(r["call_id"], r["status"]) for r in _manifest(out)] == [("energy-001", "skipped"), ("shop-002", "ok")]
    assert summary.exit_code == 1
    assert _tmp_files(out) == []
    assert json.loads((out / "shop-002" / "scorecard.json").read_text())["call_id"] == "shop-002"


def test_batch_missing_done_marker_reruns_the_call(tmp_path, template):
    calls = _jsonl(tmp_path / "calls.jsonl", CALL_OK)
    out = tmp_path / "out"
    _run([calls], out, template)
    (out / "energy-001" / "result.json").unlink()
    (out / "energy-001" / ".transcript.json.99.tmp").write_text("{")
    _run([calls], out, template)
    assert _manifest(out)[0]["status"] == "ok" and (out / "energy-001" / "result.json").exists()
    assert _tmp_files(out) == []


def test_batch_duplicate_call_id_fails_the_second_input(tmp_path, template):
    a = _jsonl(tmp_path / "a.jsonl", CALL_OK)
    other = dict(CALL_OK, turns=CALL_OK["turns"][:2])
    b = _jsonl(tmp_path / "b.jsonl", other)
    same = _jsonl(tmp_path / "c.jsonl", CALL_OK)
    out = tmp_path / "out"
    summary = _run([a, b, same], out, template)
    rows = _manifest(out)
    assert rows[0]["status"] == "ok"
    assert rows[1]["status"] == "failed" and rows[1]["error"]["code"] == "INP005"
    assert str(a) in rows[1]["error"]["message"] and "'energy-001'" in rows[1]["error"]["message"]
    assert rows[2]["status"] == "skipped" and "same call" in rows[2]["reason"]  # the same call read twice
    assert summary.exit_code == 2


def test_batch_labelled_transcript_of_a_recording_defers_to_the_recording(tmp_path):
    (tmp_path / "call-9.wav").write_bytes(b"RIFF")
    _jsonl(tmp_path / "labels.jsonl", dict(CALL_OK, id="call-9", audio="call-9.wav"))
    jobs = batch.discover([tmp_path])
    kinds = {(j.kind, j.entry["status"] if j.entry else None) for j in jobs}
    assert kinds == {("audio", None), ("jsonl", "skipped")}


def test_batch_refuses_a_second_writer_on_the_same_folder(tmp_path, template):
    out = tmp_path / "out"
    out.mkdir()
    lock = batch._Lock(out)
    try:
        with pytest.raises(AnalyserError) as exc:
            _run([_jsonl(tmp_path / "a.jsonl", CALL_OK)], out, template)
        assert exc.value.code == "USE002"
    finally:
        lock.release()


def test_batch_does_not_read_its_own_outputs(tmp_path, template):
    _jsonl(tmp_path / "a.jsonl", CALL_OK)
    out = tmp_path / "out"
    _run([tmp_path], out, template)
    _run([tmp_path], out, template)
    assert [r["input"] for r in _manifest(out)] == [f"{tmp_path / 'a.jsonl'}:1"]


# -- recordings that cannot be used: refused before any model is loaded --------------------
def _wav(path: Path, seconds: float, amplitude: int, rate: int = 8000) -> Path:
    import math
    import struct
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(amplitude * math.sin(i / 5))) for i in range(int(seconds * rate))))
    return path


def test_batch_bad_recordings_fail_one_by_one_and_batch_goes_on(tmp_path, template):
    src = tmp_path / "in"
    src.mkdir()
    (src / "not-audio.wav").write_text("this is a text file, not a recording")
    (src / "empty.mp3").write_bytes(b"")
    _wav(src / "silent.wav", 2.0, 0)
    full = _wav(tmp_path / "full.wav", 4.0, 8000).read_bytes()
    (src / "cut.wav").write_bytes(full[: len(full) // 3])  # header promises 4 s, 1.3 s left
    _jsonl(src / "calls.jsonl", CALL_OK)

    out = tmp_path / "out"
    summary = run_batch([src], out, template=template, detectors=DETECTORS, model="no-such-model")
    rows = {Path(r["input"].split(":")[0]).name: r for r in _manifest(out)}
    codes = {name: (r["error"] or {}).get("code") for name, r in rows.items()}
    assert codes["calls.jsonl"] is None and rows["calls.jsonl"]["status"] == "ok"
    assert codes["not-audio.wav"] == "AUD001" and codes["silent.wav"] == "AUD004" and codes["cut.wav"] == "AUD002"
    assert codes["empty.mp3"] in ("AUD001", "AUD003")
    for name in ("not-audio.wav", "empty.mp3", "silent.wav", "cut.wav"):
        assert rows[name]["status"] == "failed" and name in rows[name]["error"]["message"]
    assert summary.exit_code == 2  # and no model was needed: "no-such-model" was never loaded


# -- the importable pipeline -----------------------------------------------------------
def test_pipeline_analyse_transcript_reports_steps_through_hook(template):
    from analyser import analyse
    from analyser.transcripts import transcript_from_record

    transcript = transcript_from_record(CALL_CARD, "test", "x", {"kind": "transcript"})
    steps = []
    result = analyse(transcript, template=template, detectors=DETECTORS,
                     hook=lambda step, artifact, completed=None, total=None: steps.append((step, completed, total)))
    assert steps == [("ingest", 1, 5), ("transcribe", 2, 5), ("detect", 3, 5), ("redact", 4, 5), ("score", 5, 5)]
    assert result.scorecard.call_id == "shop-002" and result.scorecard.risks == ("PCI.CARD_DETAILS_SPOKEN",)
    assert any(f.code == "PCI.CARD_DETAILS_SPOKEN" for f in result.findings)
    assert "4111 1111 1111 1111" not in json.dumps(result.transcript.to_dict())  # redacted before scoring


def test_pipeline_analyse_files_and_refusals(tmp_path, template):
    from analyser import analyse
    from analyser.errors import InputError

    txt = tmp_path / "water-007.txt"
    txt.write_text(TEXT_CALL, encoding="utf-8")
    result = analyse(txt, template=template, detectors=DETECTORS)
    assert result.transcript.call_id == "water-007" and result.scorecard.status == "draft"
    assert result.input_sha256 == result.scorecard.provenance["input_sha256"] and len(result.input_sha256) == 64
    for path, code in ((_jsonl(tmp_path / "two.jsonl", CALL_OK, CALL_CARD), "INP004"),
                       (tmp_path / "nope.wav", "INP001"), (txt.with_suffix(".docx"), "INP002")):
        if code == "INP002":
            path.write_text("x")
        with pytest.raises(InputError) as exc:
            analyse(path, template=template, detectors=DETECTORS)
        assert exc.value.code == code and str(path) in exc.value.message
