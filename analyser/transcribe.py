"""Speech to Transcript: faster-whisper on local, checked weights, turns built from words.

Stereo calls (agent and customer on their own channels) are transcribed one channel at a
time; each channel's words are cut into utterances at pauses, the two channels' utterances
are laid on one timeline by start time, and consecutive utterances of one speaker become a
turn. Speaker attribution is then exact. A mono call (or a "stereo" file with the same signal
on both channels) is cut at segment boundaries and pauses and attributed by voice
(analyser.speakers), with an honest confidence.

Decoding is batched (analyser.engines.batched): each channel's speech, found by VAD, is packed
into 30-second windows and the windows of all channels are decoded together; a window that
fails the decoder's checks is decoded again sequentially. Decoding is deterministic: the same
recording gives the same words on every run, engine and worker.

Hallucination guards: VAD skips silence before the model sees it, the decoder's own
thresholds are on, and segments the model itself doubts (likely no speech and a low
log-probability, text that repeats itself, or a stock phrase said with little confidence) are
dropped, so a "thank you for calling" invented in silence never reaches a detector.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import faster_whisper
import numpy as np
from faster_whisper import WhisperModel

from .audio import ASR_SAMPLE_RATE, Audio, channel_is_silent
from .engines.batched import FALLBACK, VAD, WINDOW_S, ChannelPlan, decode_channels, plan_channel
from .errors import ConfigError
from .models import resolve_whisper
from .speakers import Span, assign_speakers
from .types import RoleDecision, Transcript, Turn, Word

log = logging.getLogger(__name__)

STEREO_PAUSE_S = 0.8  # a longer gap inside one channel starts a new utterance
MONO_PAUSE_S = 0.5  # mono also cuts at every segment boundary
# Drop a segment the model says is probably not speech and is unsure of anyway.
DROP_NO_SPEECH = 0.6
DROP_LOGPROB = -1.0
DROP_ANY_LOGPROB = -1.5  # too unsure to be evidence of anything
DROP_COMPRESSION = 2.4  # text that compresses this well repeats itself: a decoding loop
STOCK_PHRASES = re.compile(
    r"^(thank you( very much)?( for (calling|watching|listening))?|thanks( for (calling|watching))?|"
    r"bye|you|okay|subtitles by.*|please subscribe.*)[.!?]*$"
)
STOCK_MIN_PROB = 0.6  # a stock phrase must be heard this clearly (mean word probability)


@dataclass(frozen=True)
class _Piece:
    """A recognised word with the figures of the segment it came from."""

    word: Word
    spaced: bool  # the model put a space before it (a new word, not a continuation)
    segment: int
    avg_logprob: float
    no_speech_prob: float


def _keep_segment(seg: Any) -> bool:
    if getattr(seg, "compression_ratio", 0.0) > DROP_COMPRESSION:
        return False  # the model looping on a phrase ("good morning, good morning, ...")
    if seg.no_speech_prob > DROP_NO_SPEECH and seg.avg_logprob < DROP_LOGPROB:
        return False
    if seg.avg_logprob < DROP_ANY_LOGPROB:
        return False
    words = seg.words or []
    text = re.sub(r"\s+", " ", seg.text.strip().lower())
    if STOCK_PHRASES.match(text):
        mean_prob = sum(w.probability for w in words) / len(words) if words else 0.0
        if mean_prob < STOCK_MIN_PROB or seg.no_speech_prob > DROP_NO_SPEECH:
            return False
    return True


def _active_fraction(samples: np.ndarray, word: Word, quiet: float) -> float:
    """Share of a word's 20 ms frames where the channel is louder than `quiet`."""
    a = int(word.start * ASR_SAMPLE_RATE)
    frames = samples[a : max(int(word.end * ASR_SAMPLE_RATE), a + 320)]
    n = len(frames) // 320
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(frames[: n * 320].astype(np.float64).reshape(n, 320) ** 2, axis=1))
    return float(np.mean(rms > quiet))


_SENTENCE_END = (".", "?", "!")


def _move_stray_words(pieces: list[_Piece], samples: np.ndarray, pause: float) -> list[_Piece]:
    """Put back a word the model timed into the silence on the wrong side of a pause.

    VAD joins speech chunks before the model sees them, and the first word after a join can
    be timed before it: "...read the meter. I" | 5 s | "completely understand". Such a word
    follows a sentence end, lies mostly in quiet audio and is followed by a long gap; it is
    moved to just before the speech it belongs to.
    """
    if len(pieces) < 3:
        return pieces
    sr = ASR_SAMPLE_RATE
    levels = [np.sqrt(np.mean(samples[int(p.word.start * sr) : int(p.word.end * sr) + 1] ** 2)) for p in pieces]
    quiet = 0.1 * float(np.median(levels))
    out = list(pieces)
    for i in range(1, len(out) - 1):
        prev, w, nxt = out[i - 1].word, out[i].word, out[i + 1].word
        if (
            nxt.start - w.end > pause
            and prev.text.endswith(_SENTENCE_END)
            and not w.text.endswith(_SENTENCE_END + (",",))
            and _active_fraction(samples, w, quiet) < 0.6
        ):
            dur = min(w.end - w.start, 0.3)
            moved = Word(w.text, round(nxt.start - dur, 3), nxt.start, w.probability)
            out[i] = _Piece(moved, out[i].spaced, out[i + 1].segment, out[i].avg_logprob, out[i].no_speech_prob)
    return out


def _text(pieces: list[_Piece]) -> str:
    out: list[str] = []
    for i, p in enumerate(pieces):
        if i and (p.spaced or p.segment != pieces[i - 1].segment):
            out.append(" ")
        out.append(p.word.text)
    return "".join(out)


def _split(pieces: list[_Piece], pause: float, mono: bool) -> list[list[_Piece]]:
    """Cut one channel's words into utterances at pauses; on mono also at segment and
    sentence ends, where the other speaker may take over without a long pause."""
    groups: list[list[_Piece]] = []
    for p in pieces:
        if groups:
            prev = groups[-1][-1]
            boundary = mono and (p.segment != prev.segment or prev.word.text.endswith(_SENTENCE_END))
            if p.word.start - prev.word.end <= pause and not boundary:
                groups[-1].append(p)
                continue
        groups.append([p])
    return groups


def _turns(utterances: list[tuple[str, list[_Piece]]]) -> tuple[Turn, ...]:
    """Lay utterances on one timeline and join runs of one speaker into turns."""
    utterances = sorted(utterances, key=lambda u: (u[1][0].word.start, u[1][-1].word.end))
    merged: list[tuple[str, list[_Piece]]] = []
    for speaker, pieces in utterances:
        if merged and merged[-1][0] == speaker:
            merged[-1][1].extend(pieces)
        else:
            merged.append((speaker, list(pieces)))
    turns = []
    for index, (speaker, pieces) in enumerate(merged):
        text = _text(pieces)
        words = tuple(p.word for p in pieces)
        weights = np.array([max(w.end - w.start, 0.01) for w in words])
        logprob = float(np.average([p.avg_logprob for p in pieces], weights=weights))
        turns.append(
            Turn(
                index=index,
                speaker=speaker,  # type: ignore[arg-type]
                text=text,
                start=words[0].start,
                end=max(w.end for w in words),
                words=words,
                avg_logprob=logprob,
                no_speech_prob=max(p.no_speech_prob for p in pieces),
            )
        )
    return tuple(turns)


def _pieces(segments, samples: np.ndarray) -> list[_Piece]:
    """A channel's recognised words, from the segments the guards keep, in time order."""
    pieces: list[_Piece] = []
    kept = dropped = 0
    for n, seg in enumerate(segments):
        if not _keep_segment(seg):
            dropped += 1
            continue
        kept += 1
        for w in seg.words or []:
            text = w.word.strip()
            if not text:
                continue
            start = max(float(w.start), pieces[-1].word.start if pieces else 0.0)
            word = Word(text, round(start, 3), round(max(float(w.end), start), 3), round(float(w.probability), 4))
            pieces.append(_Piece(word, w.word[:1].isspace(), n, float(seg.avg_logprob), float(seg.no_speech_prob)))
    log.debug("channel: %d segments kept, %d dropped", kept, dropped)
    return _move_stray_words(pieces, samples, MONO_PAUSE_S)


@dataclass
class PreparedCall:
    """A decoded recording with its speech windows found: what the model needs next."""

    audio: Audio
    call_id: str
    meta: dict[str, Any]
    stereo: bool
    plans: list[ChannelPlan | None]  # per channel transcribed; None when silent (or decoded sequentially)


def _same_signal(a: np.ndarray, b: np.ndarray) -> bool:
    """True for a mono recording stored as stereo (both channels carry the same signal)."""
    level = max(float(np.sqrt(np.mean(a.astype(np.float64) ** 2))), 1e-9)
    return float(np.sqrt(np.mean((a.astype(np.float64) - b) ** 2))) < 0.05 * level


def decode_options(model: str = "base", beam_size: int | None = None, language: str = "en") -> dict[str, Any]:
    """faster-whisper's transcribe() options the analyser decodes with (and its benchmark compares with)."""
    return {
        "language": language,
        "task": "transcribe",
        "beam_size": beam_size if beam_size is not None else (1 if model == "tiny.en" else 5),
        "vad_filter": True,
        "word_timestamps": True,
        "condition_on_previous_text": False,
        "no_speech_threshold": 0.6,
        "log_prob_threshold": -1.0,
        "compression_ratio_threshold": 2.4,
        "hallucination_silence_threshold": 2.0,
        "temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    }


class Transcriber:
    """One loaded Whisper model; call `transcribe` for each recording."""

    def __init__(
        self,
        model: str = "base",
        device: str = "cpu",
        compute_type: str | None = None,
        beam_size: int | None = None,
        language: str = "en",
        agent_channel: str = "left",
        cpu_threads: int = 0,
        batched: bool = True,
        batch_size: int | None = None,
        num_workers: int = 1,
    ):
        """``batched``: decode all channels' speech windows together (the default; False walks
        each channel with faster-whisper's sequential decoder). ``num_workers``: how many
        threads may run the model at once (one set of weights, shared)."""
        if agent_channel not in ("left", "right"):
            raise ConfigError("CFG090", f"agent_channel must be 'left' or 'right', not {agent_channel!r}")
        if device not in ("cpu", "cuda", "auto"):
            raise ConfigError("CFG091", f"device must be 'cpu' or 'cuda', not {device!r}")
        self.local = resolve_whisper(model)
        self.agent_channel = agent_channel
        compute_type = compute_type or ("float16" if device == "cuda" else "int8")
        self.device, self.compute_type, self.cpu_threads = device, compute_type, cpu_threads
        self.batched = batched
        self.batch_size = batch_size or (16 if device == "cuda" else 8)
        self.decode_options = decode_options(model, beam_size, language)
        started = time.perf_counter()
        self.model = WhisperModel(
            str(self.local.path), device=device, compute_type=compute_type,
            cpu_threads=cpu_threads, num_workers=max(1, num_workers), local_files_only=True,
        )
        log.info("loaded whisper %s in %.1f s", self.local.name, time.perf_counter() - started)

    def options(self) -> dict[str, Any]:
        """Every setting that shaped the transcript, for the record."""
        return {
            **self.decode_options,
            "device": self.device,
            "compute_type": self.compute_type,
            "cpu_threads": self.cpu_threads,
            "agent_channel": self.agent_channel,
            "decoder": (
                {"kind": "batched", "batch_size": self.batch_size, "window_s": WINDOW_S, "vad": VAD,
                 "fallback": {"when": "compression or log-probability threshold failed, or speech left without words",
                              "decoder": "sequential", **FALLBACK}}
                if self.batched else {"kind": "sequential"}
            ),
            "stereo_pause_s": STEREO_PAUSE_S,
            "mono_pause_s": MONO_PAUSE_S,
            "drop_segments": {
                "no_speech_above": DROP_NO_SPEECH, "and_logprob_below": DROP_LOGPROB,
                "logprob_below": DROP_ANY_LOGPROB, "stock_phrase_min_prob": STOCK_MIN_PROB,
                "compression_ratio_above": DROP_COMPRESSION,
            },
        }

    def _channel_pieces(self, samples: np.ndarray) -> list[_Piece]:
        """One channel through the sequential decoder (the batched path's reference)."""
        if channel_is_silent(samples):
            return []
        started = time.perf_counter()
        segments, _info = self.model.transcribe(samples, **self.decode_options)
        pieces = _pieces(segments, samples)
        log.info("channel: %.1f s audio in %.1f s", len(samples) / ASR_SAMPLE_RATE, time.perf_counter() - started)
        return pieces

    def prepare(self, audio: Audio, call_id: str, meta: dict[str, Any] | None = None) -> PreparedCall:
        """The work before the model: channel layout, silence, speech windows and features.

        Needs no model time, so a loader thread can prepare the next call while the model
        decodes this one.
        """
        stereo = audio.channels == 2 and not _same_signal(audio.samples[0], audio.samples[1])
        channels = list(audio.samples) if stereo else [audio.samples[0]]
        plans: list[ChannelPlan | None] = []
        for samples in channels:
            if not self.batched or channel_is_silent(samples):
                plans.append(None)
            else:
                plans.append(plan_channel(samples, self.model.feature_extractor))
        return PreparedCall(audio, call_id, dict(meta or {}), stereo, plans)

    def decode(self, call: PreparedCall, helpers=None) -> Transcript:
        """Run the model over a prepared call and build its transcript.

        ``helpers`` (engines.batched.Helpers): idle decoder threads that may take a share of it."""
        audio = call.audio
        channels = list(audio.samples) if call.stereo else [audio.samples[0]]
        if self.batched:
            started = time.perf_counter()
            live = [p for p in call.plans if p is not None and p.windows]
            segments = iter(decode_channels(self.model, live, self.decode_options, self.batch_size, helpers))
            per_channel = [
                _pieces(next(segments), samples) if plan is not None and plan.windows else []
                for plan, samples in zip(call.plans, channels)
            ]
            log.info("call: %.1f s audio, %d channels, %d windows in %.1f s", audio.duration, len(live),
                     sum(len(p.windows) for p in live), time.perf_counter() - started)
        else:
            per_channel = [self._channel_pieces(samples) for samples in channels]
        return self._transcript(call, per_channel)

    def transcribe(self, audio: Audio, call_id: str, meta: dict[str, Any] | None = None) -> Transcript:
        return self.decode(self.prepare(audio, call_id, meta))

    def _transcript(self, call: PreparedCall, per_channel: list[list[_Piece]]) -> Transcript:
        audio = call.audio
        if call.stereo:
            agent_index = 0 if self.agent_channel == "left" else 1
            utterances = []
            for index, pieces in enumerate(per_channel):
                speaker = "agent" if index == agent_index else "customer"
                utterances += [(speaker, u) for u in _split(pieces, STEREO_PAUSE_S, mono=False)]
            roles = RoleDecision("channel", 1.0, f"stereo: agent on the {self.agent_channel} channel")
        else:
            samples = audio.samples[0]
            groups = _split(per_channel[0], MONO_PAUSE_S, mono=True)
            spans = [Span(g[0].word.start, max(p.word.end for p in g), _text(g)) for g in groups]
            speakers, roles = assign_speakers(samples, spans)
            if audio.channels == 2:
                roles = RoleDecision(roles.method, roles.confidence, "same signal on both channels; " + roles.detail)
            utterances = list(zip(speakers, groups))
        source = {
            "kind": "asr",
            "model": self.local.name,
            "model_sha256": self.local.sha256,
            "model_package": self.local.package,
            "options": self.options(),
            "faster_whisper": faster_whisper.__version__,
            "audio_sha256": audio.sha256,
            "channels": audio.channels,
            "sample_rate": audio.sample_rate,
        }
        return Transcript(
            call_id=call.call_id,
            turns=_turns(utterances) if utterances else (),
            duration=round(audio.duration, 3),
            meta=dict(call.meta),
            source=source,
            roles=roles,
        )
