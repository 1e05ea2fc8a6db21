"""Engines: the local engine and the Ray engine give the same outputs; a lost Ray worker loses
no call and duplicates none; batched decoding is repeatable and keeps its guards.

The Ray tests start a local Ray instance (as CI does); they are skipped where Ray is not
installed, since the local engine must work without it.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from analyser.batch import MANIFEST, run_batch
from analyser.engines import open_engine
from analyser.engines.batched import (MAX_UNHEARD_S, SR, _before, _needs_fallback, _unheard, _unheard_tail,
                                      token_budget)
from analyser.errors import AnalyserError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RECORDINGS = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".wav", ".flac"))
DECODE = {"compression_ratio_threshold": 2.4, "log_prob_threshold": -1.0, "no_speech_threshold": 0.6}

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="Ray is an optional extra (pip install 'call-analyser[ray]'); not installed")


def _outputs(out: Path) -> dict[str, str]:
    """Every output file of a run (manifest and per-call files), by relative path."""
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*.json*")) if not p.name.startswith(".")}


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines()]


def _window(clip_seconds: list[float]) -> dict:
    at, clips = 0, []
    for d in clip_seconds:
        clips.append({"start": at, "end": at + int(d * SR)})
        at += int(d * SR) + SR
    return {"offset": 0.0, "duration": sum(clip_seconds), "segments": clips}


def _result(words: list[tuple[float, float]], logprob: float = -0.3, text: str = "hello there") -> list[dict]:
    return [{"text": text, "avg_logprob": logprob, "no_speech_prob": 0.1,
             "start": words[0][0] if words else 0.0, "end": words[-1][1] if words else 0.0,
             "words": [{"word": " w", "start": a, "end": b, "probability": 0.9} for a, b in words]}]


def test_engines_window_with_speech_left_unheard_is_decoded_again():
    window = _window([3.0, 4.0])  # speech-only clock: 0-3 s, 3-7 s
    assert _unheard(_result([(0.2, 0.6), (3.5, 3.9)]), window) == 0.0
    assert _unheard(_result([(0.2, 0.6)]), window) == pytest.approx(4.0)
    assert not _needs_fallback(_result([(0.2, 0.6), (3.5, 3.9)]), window, DECODE)
    assert _needs_fallback(_result([(0.2, 0.6)]), window, DECODE)  # the model stopped after 3 s
    short = _window([3.0, MAX_UNHEARD_S - 0.5])  # a cough nobody said words in is not a reason
    assert not _needs_fallback(_result([(0.2, 0.6)]), short, DECODE)


def test_engines_window_that_stopped_early_has_only_its_unheard_tail_decoded_again():
    window = _window([3.0, 2.0, 2.5, 4.0])  # speech-only clock: 0-3, 3-5, 5-7.5, 7.5-11.5 s
    stopped = _result([(0.2, 0.6), (3.5, 3.9)])  # nothing after 5 s: the last two clips unheard
    assert _unheard_tail(stopped, window, DECODE) == 2
    assert _before(stopped, 5.0) == stopped  # every word is before the tail
    # a word whose middle falls inside the tail is not kept twice
    kept = _before(_result([(0.2, 0.6), (4.8, 5.4)]), 5.0)
    assert [w["start"] for s in kept for w in s["words"]] == [0.2]
    assert kept[0]["text"] == " w"
    # speech missed in the middle too, or text that loops: the whole window goes to the sequential decoder
    assert _unheard_tail(_result([(3.5, 3.9)]), window, DECODE) is None  # the first 3 s missed as well
    assert _unheard_tail(_result([(0.2, 0.6), (3.5, 3.9)], text="good morning, " * 20), window, DECODE) is None
    assert _unheard_tail(_result([]), window, DECODE) is None  # no words at all: same audio, same result
    assert _unheard_tail(_result([(0.2, 0.6), (3.5, 3.9), (5.5, 6.0), (8.0, 9.0)]), window, DECODE) is None


def test_engines_token_budget_follows_the_speech_and_stays_under_whispers_limit():
    assert token_budget(7.0) < token_budget(20.0) <= token_budget(30.0) < 448
    assert token_budget(60.0) == token_budget(1000.0) < 448
    assert token_budget(30.0) >= 30 * 6  # digits read one by one, with commas, still fit


def test_engines_window_failing_decoder_thresholds_is_decoded_again():
    window = _window([3.0])
    words = [(0.2, 0.6)]
    assert _needs_fallback(_result(words, text="good morning, " * 20), window, DECODE)  # a loop
    assert _needs_fallback(_result(words, logprob=-1.3), window, DECODE)
    assert not _needs_fallback(_result(words, logprob=-0.4), window, DECODE)


def test_engines_helpers_share_a_calls_tasks_and_keep_their_order():
    import threading
    import time

    from analyser.engines.batched import Helpers

    helpers, ran_by = Helpers(), {}

    def task(i):
        def run():
            time.sleep(0.05)
            ran_by[i] = threading.get_ident()
            return i * i
        return run

    stop = threading.Event()

    def idle_decoder():
        while not stop.is_set():
            if not helpers.help_once():
                helpers.wait(timeout=0.01)

    helper = threading.Thread(target=idle_decoder)
    helper.start()
    try:
        assert helpers.run([task(i) for i in range(8)]) == [i * i for i in range(8)]
    finally:
        stop.set()
        helpers.poke()
        helper.join()
    assert threading.get_ident() in ran_by.values() and helper.ident in ran_by.values()

    def broken():
        raise ValueError("a failed batch")

    with pytest.raises(ValueError, match="a failed batch"):  # raised in the call's own thread
        helpers.run([task(0), broken, task(2)])


def test_engines_window_the_batch_cannot_fix_goes_to_the_sequential_decoder(monkeypatch):
    from analyser.audio import load_audio
    from analyser.engines import batched
    from analyser.transcribe import Transcriber

    t = Transcriber("tiny.en", cpu_threads=1)
    audio = load_audio(SAMPLES / "heating-booking-003.flac")
    calls = []
    real = batched._sequential
    monkeypatch.setattr(batched, "_needs_fallback", lambda result, window, decode: True)
    monkeypatch.setattr(batched, "_unheard_tail", lambda result, window, decode: None)
    monkeypatch.setattr(batched, "_sequential", lambda *a: calls.append(a) or real(*a))
    transcript = t.transcribe(audio, "heating")
    assert calls and len(calls) == sum(len(p.windows) for p in t.prepare(audio, "x").plans if p)
    text = " ".join(turn.text for turn in transcript.turns).lower()
    assert "boiler" in text or "heating" in text


def test_engines_unknown_engine_and_bad_worker_count_are_refused():
    with pytest.raises(AnalyserError) as err:
        open_engine("spark")
    assert err.value.code == "USE003"
    with pytest.raises(AnalyserError) as err:
        open_engine("local", workers=0)
    assert err.value.code == "USE004"


@pytest.mark.slow
def test_engines_batched_decoding_is_repeatable():
    from analyser.audio import load_audio
    from analyser.transcribe import Transcriber

    t = Transcriber("tiny.en", cpu_threads=1)
    audio = load_audio(SAMPLES / "heating-booking-003.flac")  # a call with a window decoded twice
    first = t.transcribe(audio, "c").to_dict()
    assert t.transcribe(audio, "c").to_dict() == first
    assert first["source"]["options"]["decoder"]["kind"] == "batched"


@pytest.mark.slow
@needs_ray
def test_engines_local_and_ray_produce_identical_outputs_on_the_samples(tmp_path):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    a = run_batch([SAMPLES], local, model="tiny.en")
    b = run_batch([SAMPLES], on_ray, model="tiny.en", engine="ray", workers=2)
    assert a.count("ok") == b.count("ok") == len(RECORDINGS) + 1  # and the typed transcript
    left, right = _outputs(local), _outputs(on_ray)
    assert sorted(left) == sorted(right)
    cards = [k for k in left if k.endswith("scorecard.json")]
    assert len(cards) == len(RECORDINGS) + 1
    for name in left:  # scorecards, transcripts, findings, done-markers and the manifest
        assert left[name] == right[name], name


@pytest.mark.slow
@needs_ray
def test_engines_ray_worker_killed_mid_batch_loses_no_call_and_duplicates_none(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    for rec in RECORDINGS:
        shutil.copy(rec, calls / rec.name)
    for rec in RECORDINGS[:2]:
        shutil.copy(rec, calls / f"again-{rec.name}")
    engine = open_engine("ray", model="tiny.en", workers=2)
    taken = engine.result
    killed = []

    def result(key):  # when the first call comes back, kill a worker that holds others
        got = taken(key)
        if not killed:
            busy = engine.busy_workers()  # the fullest holds a call it cannot have finished
            assert busy, "a worker should hold calls mid-batch"
            victim = max(busy, key=lambda a: len(engine._actors[a]))
            engine.ray.kill(victim, no_restart=True)
            killed.append(victim)
        return got

    engine.result = result
    summary = run_batch([calls], tmp_path / "ray", model="tiny.en", engine=engine)
    assert killed and engine.retried >= 1
    entries = _manifest(tmp_path / "ray")
    ids = [e["call_id"] for e in entries]
    assert len(ids) == len(set(ids)) == 6
    assert all(e["status"] == "ok" for e in entries), [e["error"] for e in entries]
    assert summary.count("ok") == 6

    local = run_batch([calls], tmp_path / "local", model="tiny.en")
    assert local.count("ok") == 6
    assert _outputs(tmp_path / "local") == _outputs(tmp_path / "ray")


def test_engines_progress_bar_counts_calls_hours_and_time_left(capsys):
    from analyser.batch import discover
    from analyser.engines import batch_progress

    recordings = [j for j in discover([SAMPLES]) if j.kind == "audio"]
    bar = batch_progress(len(recordings), recordings, True)
    assert bar.total_s == pytest.approx(201.2, abs=1.0)  # from the headers, nothing decoded
    bar.update(1, audio_s=43.7, job=recordings[0])
    bar.close()
    shown = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert f"1/{len(recordings)} calls" in shown and "h audio" in shown and "left]" in shown
    assert batch_progress(3, recordings, False) is None
