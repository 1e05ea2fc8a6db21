"""Recording to Transcript with the real tiny.en model on calls synthesised by espeak-ng.

The agent speaks with a low British voice, the customer with a high American one; stereo
files carry them on left and right. Invariants are checked on every transcript: turns in
time order, words inside their turn and findable, in order, in the turn's text.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analyser.audio import load_audio
from analyser.transcribe import Transcriber, _keep_segment

AGENT_VOICE = ["-v", "en-gb+m3", "-s", "165", "-p", "35"]
CUSTOMER_VOICE = ["-v", "en-us+f3", "-s", "165", "-p", "75"]
CALL = [
    ("agent", "Good morning, thank you for calling Northwind Energy, my name is Priya, how can I help you today?"),
    ("customer", "Hi, I'm calling about my latest bill. It is almost double what I normally pay."),
    ("agent", "I'm sorry to hear that. Can I take your full name and the first line of your address please?"),
    ("customer", "Yes, it's Daniel Morgan, fourteen Station Road."),
]
EXPECTED_WORDS = [("calling", "help"), ("calling", "pay"), ("sorry", "address"), ("daniel", "station")]

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def _say(text: str, voice: list[str], workdir: Path) -> tuple[int, np.ndarray]:
    out = workdir / "say.wav"
    subprocess.run(["espeak-ng", *voice, "-w", str(out), text], check=True)
    with wave.open(str(out)) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def synth_call(path: Path, layout: str, gap: float = 0.8) -> Path:
    """Write the call as stereo (agent left), mono (both mixed) or dual-mono."""
    clips = [(who, *_say(text, AGENT_VOICE if who == "agent" else CUSTOMER_VOICE, path.parent)) for who, text in CALL]
    rate = clips[0][1]
    pad = int(gap * rate)
    out = np.zeros((sum(len(c[2]) + pad for c in clips) + pad, 2), dtype=np.int32)
    pos = pad
    for who, _, x in clips:
        out[pos : pos + len(x), 0 if who == "agent" else 1] = x
        pos += len(x) + pad
    if layout == "mono":
        out = out.sum(axis=1, keepdims=True)
    elif layout == "dual-mono":
        out = np.repeat(out.sum(axis=1, keepdims=True), 2, axis=1)
    elif layout == "agent-only":
        out[:, 1] = 0
    pcm = np.clip(out, -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="module")
def tiny():
    return Transcriber("tiny.en", cpu_threads=2)


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    folder = tmp_path_factory.mktemp("calls")
    return {layout: synth_call(folder / f"{layout}.wav", layout) for layout in ("stereo", "mono", "dual-mono", "agent-only")}


def check_invariants(transcript) -> None:
    previous_start = -1.0
    for i, turn in enumerate(transcript.turns):
        assert turn.index == i
        assert turn.start <= turn.end and turn.start >= previous_start
        previous_start = turn.start
        assert turn.end <= transcript.duration + 0.1
        assert turn.words and turn.avg_logprob is not None and turn.no_speech_prob is not None
        at = 0
        for word in turn.words:
            assert turn.start <= word.start <= word.end <= turn.end
            found = turn.text.find(word.text, at)
            assert found >= 0, f"{word.text!r} not found in order in {turn.text!r}"
            at = found + len(word.text)
        assert turn.text == turn.text.strip() and "  " not in turn.text
    for a, b in zip(transcript.turns, transcript.turns[1:]):
        assert a.speaker != b.speaker  # runs of one speaker are one turn


@pytest.mark.slow
@needs_espeak
def test_transcribe_stereo_turns_follow_the_channels(tiny, calls):
    audio = load_audio(calls["stereo"])
    transcript = tiny.transcribe(audio, "call-1", {"agent": "A-1"})
    check_invariants(transcript)
    assert [t.speaker for t in transcript.turns] == ["agent", "customer", "agent", "customer"]
    for turn, words in zip(transcript.turns, EXPECTED_WORDS):
        assert all(w in turn.text.lower() for w in words), turn.text
    assert transcript.roles.method == "channel" and transcript.roles.confidence == 1.0
    assert transcript.call_id == "call-1" and transcript.meta == {"agent": "A-1"}
    assert json.loads(json.dumps(transcript.to_dict()))["turns"][0]["words"]
    assert transcript.duration == pytest.approx(audio.duration, abs=0.01)
    source = transcript.source
    assert source["kind"] == "asr" and source["model"] == "tiny.en"
    assert source["model_sha256"] == "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
    assert source["audio_sha256"] == audio.sha256 and source["channels"] == 2
    assert source["sample_rate"] == audio.sample_rate
    options = source["options"]
    assert options["vad_filter"] and options["word_timestamps"] and not options["condition_on_previous_text"]
    assert options["language"] == "en" and options["hallucination_silence_threshold"]


@pytest.mark.slow
@needs_espeak
def test_transcribe_agent_channel_can_be_the_right_one(calls):
    right = Transcriber("tiny.en", cpu_threads=2, agent_channel="right")
    transcript = right.transcribe(load_audio(calls["stereo"]), "call-1r")
    assert [t.speaker for t in transcript.turns] == ["customer", "agent", "customer", "agent"]


@pytest.mark.slow
@needs_espeak
def test_transcribe_silent_channel_gives_no_turns(tiny, calls):
    transcript = tiny.transcribe(load_audio(calls["agent-only"]), "call-2")
    check_invariants(transcript)
    assert len(transcript.turns) == 1 and transcript.turns[0].speaker == "agent"
    assert "address" in transcript.turns[0].text.lower()


@pytest.mark.slow
@needs_espeak
def test_transcribe_noise_only_channel_invents_nothing(tiny, calls, tmp_path):
    audio = load_audio(calls["agent-only"])
    with wave.open(str(calls["agent-only"])) as w:
        rate, frames = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2).copy()
    frames[:, 1] = (np.random.default_rng(7).normal(0, 0.02, len(frames)) * 32767).astype("<i2")
    noisy = tmp_path / "noisy.wav"
    with wave.open(str(noisy), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    transcript = tiny.transcribe(load_audio(noisy), "call-3")
    assert audio.duration == pytest.approx(transcript.duration, abs=0.01)
    assert [t.speaker for t in transcript.turns] == ["agent"]


@pytest.mark.slow
@needs_espeak
def test_transcribe_mono_decides_roles_with_doubt(tiny, calls):
    transcript = tiny.transcribe(load_audio(calls["mono"]), "call-4")
    check_invariants(transcript)
    assert transcript.roles.method != "channel"
    assert 0.0 < transcript.roles.confidence < 1.0
    assert transcript.turns[0].speaker == "agent" and "calling" in transcript.turns[0].text.lower()
    assert {t.speaker for t in transcript.turns} == {"agent", "customer"}
    assert [t.speaker for t in transcript.turns] == ["agent", "customer", "agent", "customer"]


@pytest.mark.slow
@needs_espeak
def test_transcribe_same_signal_on_both_channels_is_treated_as_mono(tiny, calls):
    transcript = tiny.transcribe(load_audio(calls["dual-mono"]), "call-5")
    assert transcript.roles.method != "channel" and transcript.roles.confidence < 1.0
    assert "same signal" in transcript.roles.detail
    assert sum(t.text.lower().count("northwind") + t.text.lower().count("north wind") for t in transcript.turns) <= 1


def _segment(text, avg_logprob=-0.3, no_speech_prob=0.1, probs=(0.9,)):
    words = [SimpleNamespace(word=f" {w}", probability=p) for w, p in zip(text.split(), probs * 10)]
    return SimpleNamespace(text=text, avg_logprob=avg_logprob, no_speech_prob=no_speech_prob, words=words)


@pytest.mark.parametrize(
    "segment,kept",
    [
        (_segment("Thank you for calling Northwind Energy."), True),
        (_segment("Thank you for calling.", probs=(0.95,)), True),
        (_segment("Thank you for calling.", probs=(0.3,)), False),
        (_segment("Thank you for calling.", no_speech_prob=0.5), True),
        (_segment("Thank you for calling.", no_speech_prob=0.7), False),
        (_segment("You", probs=(0.4,)), False),
        (_segment("My bill is too high.", avg_logprob=-1.2, no_speech_prob=0.7), False),
        (_segment("My bill is too high.", avg_logprob=-1.7), False),
        (_segment("My bill is too high.", avg_logprob=-0.9, no_speech_prob=0.7), True),
    ],
)
def test_transcribe_doubtful_segments_are_dropped(segment, kept):
    assert _keep_segment(segment) is kept


def test_transcribe_agent_channel_must_be_left_or_right():
    from analyser.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        Transcriber("tiny.en", agent_channel="middle")
    assert info.value.code == "CFG090" and "middle" in info.value.message
