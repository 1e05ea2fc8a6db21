"""The bundled example calls in samples/: recordings decode as described, labels follow LABELS.md.

These calls are used as ground truth elsewhere, so the checks here are about the data
itself: each recording has the promised format, covers its turns, keeps the parties on their
own channels, and every label is one that LABELS.md allows on that speaker's turns.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from analyser.transcripts import read_jsonl, read_text
from analyser.types import LABELS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
LABELLED = ROOT / "eval" / "samples.jsonl"  # the samples' labelled transcripts
ALL_CALLS = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line]
CALLS = [c for c in ALL_CALLS if c.get("audio")]
TEXT_CALLS = [c for c in ALL_CALLS if not c.get("audio")]
CUSTOMER_LABELS = {"complaint", "card_details_spoken"}

# What each recording promises: (channels, sample rate, codec name as PyAV reports it).
EXPECTED_FORMAT = {
    "broadband-billing-001": (2, 16000, "pcm_s16le"),
    "insurance-payment-002": (2, 8000, "pcm_mulaw"),
    "heating-booking-003": (1, 16000, "flac"),
    "furniture-delivery-004": (1, 8000, "pcm_mulaw"),
}


def _decode(path: Path) -> tuple[np.ndarray, int, str]:
    """All samples of a recording as float32 (channels, frames), its rate and codec."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate, codec = stream.codec_context.sample_rate, stream.codec_context.name
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=rate)
        chunks = [out.to_ndarray() for frame in container.decode(stream) for out in resampler.resample(frame)]
        chunks += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(chunks, axis=1), rate, codec


def _ids(calls):
    return [c["id"] for c in calls]


@pytest.mark.parametrize("call", CALLS, ids=_ids(CALLS))
def test_samples_recording_has_promised_format(call):
    path = LABELLED.parent / call["audio"]
    assert path.is_file(), f"{path} is missing: run scripts/make_samples.py"
    audio, rate, codec = _decode(path)
    assert (audio.shape[0], rate, codec) == EXPECTED_FORMAT[call["id"]]
    duration = audio.shape[1] / rate
    assert 40.0 <= duration <= 90.0
    assert duration >= call["turns"][-1]["end"]
    assert np.abs(audio).max() > 0.1, "the recording is (nearly) silent"


@pytest.mark.parametrize("call", CALLS, ids=_ids(CALLS))
def test_samples_each_turn_is_audible_where_it_is_timed(call):
    audio, rate, _ = _decode(LABELLED.parent / call["audio"])
    for turn in call["turns"]:
        channel = 1 if audio.shape[0] == 2 and turn["speaker"] == "customer" else 0
        span = audio[channel, int(turn["start"] * rate):int(turn["end"] * rate)]
        assert np.sqrt(np.mean(span**2)) > 0.02, f"turn at {turn['start']} s is silent"


@pytest.mark.parametrize("call", [c for c in CALLS if EXPECTED_FORMAT[c["id"]][0] == 2],
                         ids=_ids([c for c in CALLS if EXPECTED_FORMAT[c["id"]][0] == 2]))
def test_samples_stereo_parties_stay_on_their_own_channel(call):
    audio, rate, _ = _decode(LABELLED.parent / call["audio"])
    for turn in call["turns"]:
        other = 1 if turn["speaker"] == "agent" else 0  # agent left, customer right
        span = audio[other, int(turn["start"] * rate):int(turn["end"] * rate)]
        assert np.abs(span).max() < 0.01, f"{turn['speaker']} turn at {turn['start']} s leaks"


@pytest.mark.parametrize("call", CALLS + TEXT_CALLS, ids=_ids(CALLS + TEXT_CALLS))
def test_samples_labels_follow_the_labelling_contract(call):
    assert set(call) >= {"id", "source", "meta", "turns", "labels"}
    assert set(call["meta"]) >= {"agent", "team", "date", "channel"}
    for i, turn in enumerate(call["turns"]):
        assert turn["speaker"] in ("agent", "customer")
        assert set(turn["labels"]) <= set(LABELS)
        if turn["speaker"] == "customer":
            assert set(turn["labels"]) <= CUSTOMER_LABELS, f"turn {i}: agent-only label on a customer"
        if i:  # one turn is one speaker's uninterrupted stretch
            assert turn["speaker"] != call["turns"][i - 1]["speaker"]
    # The call map judges all 14 labels and agrees with its turns.
    assert set(call["labels"]) == set(LABELS)
    for label in LABELS:
        assert call["labels"][label] == any(label in t["labels"] for t in call["turns"]), label


@pytest.mark.parametrize("call", CALLS, ids=_ids(CALLS))
def test_samples_turn_times_are_ordered_and_apart(call):
    turns = call["turns"]
    for prev, turn in zip(turns, turns[1:]):
        assert turn["start"] < turn["end"]
        assert 0.35 <= turn["start"] - prev["end"] <= 1.05  # pauses of 0.4-1.0 s


def test_samples_cover_the_cases_they_are_bundled_for():
    by_id = {c["id"]: c["labels"] for c in CALLS + TEXT_CALLS}
    full_heat = ("complaint", "hear", "empathize", "apologize", "take_action", "verify_identity",
                 "recording_notice", "closing")
    assert all(by_id["broadband-billing-001"][lab] for lab in full_heat)
    risky = by_id["insurance-payment-002"]
    assert risky["disclosure_before_verification"] and risky["card_details_spoken"]
    assert not by_id["heating-booking-003"]["complaint"]
    poor = by_id["furniture-delivery-004"]
    assert poor["complaint"] and poor["apologize"]
    assert not (poor["take_action"] or poor["company_name"])


def test_samples_spoken_card_number_passes_luhn():
    words = "zero one two three four five six seven eight nine".split()
    call = next(c for c in CALLS if c["id"] == "insurance-payment-002")
    turn = next(t for t in call["turns"] if "card_details_spoken" in t["labels"])
    digits = [words.index(w) for w in re.findall(r"[a-z]+", turn["text"].lower())]
    assert len(digits) == 16
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    assert total % 10 == 0


def test_samples_read_by_the_analyser_readers():
    records = list(read_jsonl(LABELLED))
    assert [r.error for r in records] == [None] * len(ALL_CALLS)
    assert all(Path(r.audio).is_file() for r in records if r.audio)
    assert sum(1 for r in records if r.audio) == len(CALLS)
    for gold in TEXT_CALLS:
        transcript = read_text(SAMPLES / f"{gold['id']}.txt")
        assert transcript.call_id == gold["id"]
        assert [(t.speaker, t.text) for t in transcript.turns] == [
            (t["speaker"], t["text"]) for t in gold["turns"]
        ]


def test_samples_total_size_stays_small():
    total = sum(p.stat().st_size for p in SAMPLES.iterdir() if p.is_file())
    assert total < 5_000_000


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox")
def test_samples_script_regenerates_the_same_calls(tmp_path):
    labels = tmp_path / "labels.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_samples.py"), "--out", str(tmp_path),
                    "--labels", str(labels)], check=True, capture_output=True)
    regenerated = [json.loads(line) for line in labels.read_text().splitlines() if line]
    fresh = [c for c in regenerated if c.get("audio")]
    def words_and_labels(calls):
        return [[(t["speaker"], t["text"], t["labels"]) for t in c["turns"]] for c in calls]

    assert words_and_labels(fresh) == words_and_labels(CALLS)
    for old, new in zip(CALLS, fresh):  # espeak-ng versions differ a little in timing
        assert abs(old["turns"][-1]["end"] - new["turns"][-1]["end"]) < 3.0
    assert [c for c in regenerated if not c.get("audio")] == TEXT_CALLS
    for gold in TEXT_CALLS:
        assert (tmp_path / f"{gold['id']}.txt").read_text() == (SAMPLES / f"{gold['id']}.txt").read_text()
    for call in fresh:
        assert (labels.parent / call["audio"]).stat().st_size > 100_000
