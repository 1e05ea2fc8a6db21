"""Reading a call recording: decoded once, checked, and refused with a clear code if unusable.

Decoding is faster-whisper's own (PyAV, FFmpeg inside the wheel): WAV including mu-law and
A-law, MP3, FLAC, Ogg, M4A. Samples come back at 16 kHz, one float32 array per channel, as
the speech model wants them. Stereo files keep their two channels apart, because contact
centres record agent and customer on separate channels.

Error codes (AudioError), each message naming the file:
  AUD001 unreadable or not audio      AUD004 silent on every channel
  AUD002 truncated or broken midway   AUD005 sample rate outside 8-48 kHz
  AUD003 empty                        AUD006 more than two channels
"""
from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from faster_whisper.audio import decode_audio

from .errors import AudioError

ASR_SAMPLE_RATE = 16000
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 48000
# A channel is silent when its loudest sample is below -50 dBFS, or its mean level below
# -70 dBFS (a lone click in digital silence is still silence).
SILENT_PEAK = 10 ** (-50 / 20)
SILENT_RMS = 10 ** (-70 / 20)
# Shortfall against the header's duration that counts as truncation: 1 s or 5 %, whichever
# is larger (compressed formats only estimate their duration).
TRUNCATION_SLACK_S = 1.0
TRUNCATION_SLACK_FRACTION = 0.05


@dataclass(frozen=True, eq=False)
class Audio:
    """A decoded recording. `samples` holds one 16 kHz float32 array per channel."""

    path: Path
    sample_rate: int  # of the file, before resampling
    channels: int
    duration: float  # seconds actually decoded
    samples: tuple[np.ndarray, ...]
    sha256: str
    codec: str = ""

    def channel(self, index: int) -> np.ndarray:
        return self.samples[index]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _wav_declared_seconds(path: Path) -> float | None:
    """Duration the WAV header promises (data chunk size / byte rate).

    FFmpeg trims a WAV's duration to the bytes present, so truncation shows only here.
    None for streaming headers (size 0 or 0xFFFFFFFF) and anything that is not plain RIFF.
    """
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate = 0
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                body = fh.read(size + (size & 1))
                if len(body) >= 12:
                    byte_rate = struct.unpack("<I", body[8:12])[0]
            elif cid == b"data":
                if size in (0, 0xFFFFFFFF) or byte_rate <= 0:
                    return None
                return size / byte_rate
            else:
                fh.seek(size + (size & 1), 1)


def _probe(path: Path) -> tuple[int, int, float | None, str]:
    """Sample rate, channels, declared duration and codec, from the container."""
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("AUD001", f"{path}: no audio stream in the file")
            stream = container.streams.audio[0]
            ctx = stream.codec_context
            rate = int(ctx.sample_rate or 0)
            channels = int(ctx.layout.nb_channels if ctx.layout else getattr(ctx, "channels", 0))
            declared = container.duration / av.time_base if container.duration else None
            if declared is None and stream.duration and stream.time_base:
                declared = float(stream.duration * stream.time_base)
            codec = ctx.name or ""
    except AudioError:
        raise
    except (av.error.FFmpegError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise AudioError("AUD001", f"{path}: not a readable audio file ({type(exc).__name__})") from exc
    wav_declared = _wav_declared_seconds(path)
    return rate, channels, wav_declared if wav_declared is not None else declared, codec


def channel_is_silent(samples: np.ndarray) -> bool:
    """True when a channel carries nothing worth transcribing."""
    if samples.size == 0:
        return True
    peak = float(np.max(np.abs(samples)))
    rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
    return peak < SILENT_PEAK or rms < SILENT_RMS


def load_audio(path: str | Path) -> Audio:
    """Decode a recording and check it is whole, audible and of a shape the analyser handles."""
    path = Path(path)
    if not path.is_file():
        raise AudioError("AUD001", f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError("AUD003", f"{path}: empty file (0 bytes)")
    sha = _sha256(path)
    rate, channels, declared, codec = _probe(path)
    if channels < 1:
        raise AudioError("AUD001", f"{path}: audio stream has no channels")
    if channels > 2:
        raise AudioError("AUD006", f"{path}: {channels} channels; only mono or stereo (agent/customer) calls")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioError("AUD005", f"{path}: sample rate {rate} Hz is outside 8000-48000 Hz")

    try:
        decoded = decode_audio(str(path), sampling_rate=ASR_SAMPLE_RATE, split_stereo=channels == 2)
    except (av.error.FFmpegError, ValueError, OSError, MemoryError) as exc:
        raise AudioError("AUD002", f"{path}: decoding failed partway ({type(exc).__name__}: {exc})") from exc
    samples = tuple(np.ascontiguousarray(c) for c in (decoded if channels == 2 else (decoded,)))

    n = min(len(c) for c in samples)
    if n == 0:
        raise AudioError("AUD003", f"{path}: no audio samples in the file")
    samples = tuple(c[:n] for c in samples)
    duration = n / ASR_SAMPLE_RATE
    if declared and declared - duration > max(TRUNCATION_SLACK_S, TRUNCATION_SLACK_FRACTION * declared):
        raise AudioError("AUD002", f"{path}: truncated, decoded {duration:.1f} s of {declared:.1f} s")
    if all(channel_is_silent(c) for c in samples):
        raise AudioError("AUD004", f"{path}: silent on every channel ({duration:.1f} s)")
    return Audio(path, rate, channels, duration, samples, sha, codec)
