"""Who is speaking on a mono recording, and which voice is the agent.

A mono call has both parties on one channel, so each utterance is described by its voice:
median pitch and the mean of its cepstral coefficients (the shape of the vocal tract and
the line). Utterances are split into two groups with k-means; the agent's group is the one
that uses the agent's opening language ("thank you for calling", "how can I help"), and
failing that the one that speaks first, as on an inbound call.

This is deliberately simple and runs offline on numpy alone. It is reliable only when the
two voices differ clearly (pitch, microphone, line); the RoleDecision says how sure it is and
never claims certainty. Stereo recordings do not need any of this.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .types import RoleDecision

SR = 16000
_FRAME, _HOP = 512, 256
_PITCH_FRAME = 1024  # 64 ms: at least four periods of a 60 Hz voice
_F0_MIN, _F0_MAX = 60.0, 400.0
_VOICED = 0.45  # normalised autocorrelation peak that marks a frame as voiced
_N_MELS, _N_CEPS = 26, 12
_PITCH_WEIGHT = 3.0  # pitch separates two voices better than any one cepstral coefficient
_MIN_SILHOUETTE = 0.15  # below this the two groups are not two voices

AGENT_OPENINGS = (
    "thank you for calling", "thanks for calling", "thank you for holding", "how can i help",
    "how may i help", "how can i assist", "you're through to", "you are through to",
    "you're speaking to", "you are speaking to", "welcome to", "my name is",
)
CUSTOMER_OPENINGS = (
    "i'm calling about", "i am calling about", "i'm calling because", "i'm ringing about",
    "i want to complain", "my bill", "my account", "i'd like to", "i need to",
)


@dataclass(frozen=True)
class Span:
    """One utterance to attribute: its time span (seconds) and its words."""

    start: float
    end: float
    text: str


def _frames(x: np.ndarray, size: int) -> np.ndarray:
    if len(x) < size:
        x = np.pad(x, (0, size - len(x)))
    n = 1 + (len(x) - size) // _HOP
    idx = np.arange(size)[None, :] + _HOP * np.arange(n)[:, None]
    return x[idx] * np.hanning(size)[None, :]


def _mel_matrix() -> np.ndarray:
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    edges_mel = np.linspace(mel(80.0), mel(SR / 2 - 200), _N_MELS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(_FRAME, 1.0 / SR)
    m = np.zeros((_N_MELS, len(freqs)))
    for i in range(_N_MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        m[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return m


_MEL = _mel_matrix()
_WINDOW_AC = np.maximum(np.correlate(np.hanning(_PITCH_FRAME), np.hanning(_PITCH_FRAME), "full")[_PITCH_FRAME - 1 :], 1e-3)
_WINDOW_AC = _WINDOW_AC / _WINDOW_AC[0]
_DCT = np.cos(np.pi / _N_MELS * (np.arange(_N_MELS)[None, :] + 0.5) * np.arange(1, _N_CEPS + 1)[:, None])


def voice_features(x: np.ndarray) -> np.ndarray:
    """[log median pitch, mean cepstrum 1..12] of one utterance; pitch is NaN if unvoiced."""
    x = x.astype(np.float64)
    frames = _frames(x, _PITCH_FRAME)
    energy = np.sqrt(np.mean(frames**2, axis=1))
    loud = energy > max(0.1 * energy.max(), 1e-5)
    frames = frames[loud] if loud.any() else frames
    # Pitch: the strongest autocorrelation lag in the voice range, past the first dip below
    # zero (or the main lobe's tail wins), corrected for the analysis window's own taper.
    ac = np.fft.irfft(np.abs(np.fft.rfft(frames, n=2 * _PITCH_FRAME, axis=1)) ** 2, axis=1)
    ac = ac[:, :_PITCH_FRAME] / _WINDOW_AC[None, :]
    lo, hi = int(SR / _F0_MAX), int(SR / _F0_MIN)
    past_lobe = np.maximum.accumulate(ac[:, :hi] < 0, axis=1)
    window = np.where(past_lobe[:, lo:hi], ac[:, lo:hi], -np.inf)
    peak_lag = lo + np.argmax(window, axis=1)
    strength = window[np.arange(len(ac)), peak_lag - lo] / np.maximum(ac[:, 0], 1e-12)
    voiced = strength > _VOICED
    pitch = float(np.log(np.median(SR / peak_lag[voiced]))) if voiced.sum() >= 3 else np.nan
    # Timbre: mean log-mel cepstrum over the loud frames.
    frames = _frames(x, _FRAME)
    energy = np.sqrt(np.mean(frames**2, axis=1))
    frames = frames[energy > max(0.1 * energy.max(), 1e-5)] if energy.max() > 1e-5 else frames
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    ceps = np.log(power @ _MEL.T + 1e-10) @ _DCT.T
    return np.concatenate([[pitch], ceps.mean(axis=0)])


def _kmeans2(z: np.ndarray, iters: int = 50) -> np.ndarray:
    # Start from the two points farthest apart: deterministic, and right for two voices.
    d = np.linalg.norm(z[:, None, :] - z[None, :, :], axis=2)
    a, b = np.unravel_index(np.argmax(d), d.shape)
    centres = z[[a, b]].copy()
    labels = np.zeros(len(z), dtype=int)
    for it in range(iters):
        new = np.argmin(np.linalg.norm(z[:, None, :] - centres[None, :, :], axis=2), axis=1)
        if it and (new == labels).all():
            break
        labels = new
        for k in (0, 1):
            if (labels == k).any():
                centres[k] = z[labels == k].mean(axis=0)
    return labels


def _silhouette(z: np.ndarray, labels: np.ndarray) -> float:
    if len(set(labels.tolist())) < 2:
        return 0.0
    d = np.linalg.norm(z[:, None, :] - z[None, :, :], axis=2)
    scores = []
    for i in range(len(z)):
        own = labels == labels[i]
        if own.sum() < 2:
            scores.append(0.0)
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = d[i, ~own].mean()
        scores.append((b - a) / max(a, b, 1e-12))
    return float(np.mean(scores))


def _phrase_hits(text: str, phrases: tuple[str, ...]) -> int:
    low = re.sub(r"\s+", " ", text.lower().replace("\u2019", "'"))
    return sum(low.count(p) for p in phrases)


def assign_speakers(samples: np.ndarray, spans: list[Span]) -> tuple[list[str], RoleDecision]:
    """Label each span "agent" or "customer" and say how the roles were decided."""
    if not spans:
        return [], RoleDecision("none", 0.0, "no speech")
    feats = np.array([voice_features(samples[int(s.start * SR) : int(s.end * SR) + 1]) for s in spans])
    if np.isnan(feats[:, 0]).all():
        feats[:, 0] = 0.0
    else:
        feats[np.isnan(feats[:, 0]), 0] = np.nanmedian(feats[:, 0])
    z = (feats - feats.mean(axis=0)) / np.maximum(feats.std(axis=0), 1e-9)
    z[:, 0] *= _PITCH_WEIGHT

    if len(spans) >= 3:
        groups = _kmeans2(z)
        quality = _silhouette(z, groups)
    else:
        groups, quality = np.arange(len(spans)) % 2, 0.0
    method = "voice-clusters"
    if quality < _MIN_SILHOUETTE:
        # Two voices could not be told apart: fall back to turn-taking, and say so.
        groups = np.arange(len(spans)) % 2
        method = "alternation"

    agent_score = np.zeros(2)
    for span, g in zip(spans, groups):
        agent_score[g] += _phrase_hits(span.text, AGENT_OPENINGS) - _phrase_hits(span.text, CUSTOMER_OPENINGS)
    first = int(groups[0])
    margin = abs(agent_score[0] - agent_score[1])
    if margin > 0:
        agent = int(np.argmax(agent_score))
        role_conf, how = (0.9 if margin >= 2 else 0.75), "opening-language"
    else:
        agent, role_conf, how = first, 0.6, "first-speaker"
    voice_conf = 0.35 if method == "alternation" else min(0.95, 0.55 + 0.5 * quality)
    labels = ["agent" if g == agent else "customer" for g in groups]
    detail = (
        f"mono: {method} (silhouette {quality:.2f}, {len(spans)} utterances); agent chosen by {how}"
        f" (agent-phrase margin {margin:.0f}, first speaker {'agrees' if first == agent else 'disagrees'})"
    )
    return labels, RoleDecision(f"{method}+{how}", round(voice_conf * role_conf, 3), detail)
