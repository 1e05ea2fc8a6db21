"""Reading recordings: good files decode to the right shape, bad ones get their own code."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from analyser.audio import ASR_SAMPLE_RATE, load_audio
from analyser.errors import AudioError

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")


def write_wav(path: Path, data: np.ndarray, rate: int) -> Path:
    """Write float samples in [-1, 1], shape (n,) or (n, channels), as 16-bit PCM."""
    data = data if data.ndim == 2 else data[:, None]
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def tone(seconds: float, rate: int, freq: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return level * np.sin(2 * np.pi * freq * t)


def test_audio_mono_wav_decodes_at_16k(tmp_path):
    path = write_wav(tmp_path / "mono.wav", tone(2.5, 8000), 8000)
    audio = load_audio(path)
    assert (audio.channels, audio.sample_rate) == (1, 8000)
    assert audio.duration == pytest.approx(2.5, abs=0.01)
    assert len(audio.samples) == 1
    assert audio.samples[0].dtype == np.float32
    assert len(audio.samples[0]) == pytest.approx(2.5 * ASR_SAMPLE_RATE, abs=20)
    assert audio.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_audio_stereo_wav_keeps_channels_apart(tmp_path):
    left = tone(3.0, 22050, 300)
    right = np.zeros_like(left)
    path = write_wav(tmp_path / "stereo.wav", np.stack([left, right], axis=1), 22050)
    audio = load_audio(path)
    assert (audio.channels, audio.sample_rate) == (2, 22050)
    assert audio.duration == pytest.approx(3.0, abs=0.01)
    assert len(audio.samples) == 2 and len(audio.samples[0]) == len(audio.samples[1])
    assert np.abs(audio.samples[0]).max() > 0.2
    assert np.abs(audio.samples[1]).max() < 1e-3


@needs_sox
@pytest.mark.parametrize("suffix,extra", [(".flac", []), (".wav", ["-e", "u-law"]), (".ogg", [])])
def test_audio_other_encodings_decode(tmp_path, suffix, extra):
    source = write_wav(tmp_path / "source.wav", np.stack([tone(2.0, 8000), tone(2.0, 8000, 600)], axis=1), 8000)
    path = tmp_path / f"call{suffix}"
    subprocess.run(["sox", str(source), *extra, str(path)], check=True)
    audio = load_audio(path)
    assert audio.channels == 2
    assert audio.duration == pytest.approx(2.0, abs=0.05)
    assert np.abs(audio.samples[0]).max() > 0.2


def _code(path) -> tuple[str, str]:
    with pytest.raises(AudioError) as info:
        load_audio(path)
    return info.value.code, str(info.value)


def test_audio_garbage_named_wav_is_unreadable(tmp_path):
    path = tmp_path / "garbage.wav"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    code, message = _code(path)
    assert code == "AUD001" and str(path) in message


def test_audio_missing_file_is_unreadable(tmp_path):
    code, message = _code(tmp_path / "nowhere.wav")
    assert code == "AUD001" and "nowhere.wav" in message


def test_audio_zero_byte_file_is_empty(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    code, message = _code(path)
    assert code == "AUD003" and str(path) in message


def test_audio_header_only_wav_is_empty(tmp_path):
    path = write_wav(tmp_path / "header.wav", np.zeros(0), 16000)
    code, _ = _code(path)
    assert code == "AUD003"


def test_audio_silent_wav_is_refused(tmp_path):
    path = write_wav(tmp_path / "silent.wav", np.zeros((16000 * 3, 2)), 16000)
    code, message = _code(path)
    assert code == "AUD004" and str(path) in message


def test_audio_one_silent_channel_is_accepted(tmp_path):
    data = np.stack([np.zeros(16000 * 2), tone(2.0, 16000)], axis=1)
    audio = load_audio(write_wav(tmp_path / "one-sided.wav", data, 16000))
    assert audio.channels == 2


def test_audio_truncated_wav_reports_how_much_decoded(tmp_path):
    full = write_wav(tmp_path / "full.wav", tone(60.0, 8000), 8000)
    cut = tmp_path / "cut.wav"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    code, message = _code(cut)
    assert code == "AUD002"
    assert "decoded 30.0 s of 60.0 s" in message and str(cut) in message


def test_audio_three_channels_refused(tmp_path):
    data = np.stack([tone(1.0, 16000, f) for f in (300, 400, 500)], axis=1)
    code, message = _code(write_wav(tmp_path / "three.wav", data, 16000))
    assert code == "AUD006" and "3 channels" in message


def test_audio_4khz_refused(tmp_path):
    code, message = _code(write_wav(tmp_path / "low.wav", tone(1.0, 4000, 300), 4000))
    assert code == "AUD005" and "4000 Hz" in message
