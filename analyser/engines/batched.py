"""Batched speech recognition: every channel's speech, packed into 30-second windows, decoded together.

Plain faster-whisper walks one channel at a time through 30-second windows that start where
the last recognised text ended, so each window is partly silence or speech seen twice. Here
each channel is cut at its silences first (Silero VAD, as faster-whisper's batched pipeline
does), its speech is packed into windows of at most 30 s, and the windows of all channels of
a call are encoded and decoded as one batch. Silence is never decoded, no audio is decoded
twice, and the model works on several windows per step.

The guards of the sequential decoder stay: a window whose text repeats itself (compression
ratio above the threshold) or whose log-probability is too low is decoded again by the
sequential decoder (seeking past what it has read, skipping hallucinated silence), over the
same stretch of audio. So is a window where the model stopped early and left speech without
words (more than ``MAX_UNHEARD_S`` of it): the sequential decoder carries on from where the
text ends, a batch of windows cannot. Word timestamps come from the model's alignment and are mapped back to
the channel's own clock.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from faster_whisper import BatchedInferencePipeline
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import (Segment, TranscriptionOptions, Word, get_compression_ratio,
                                       get_suppressed_tokens, restore_speech_timestamps)
from faster_whisper.vad import VadOptions, get_speech_timestamps

log = logging.getLogger(__name__)

SR = 16000
WINDOW_S = 30  # Whisper's window: one encoder pass each
# Cut at silences of 160 ms or more (faster-whisper's batched defaults): more silence skipped,
# while the words keep their true times.
VAD = {"max_speech_duration_s": WINDOW_S, "min_silence_duration_ms": 160}
# The second pass decodes at temperature 0 only: sampling at higher temperatures draws from
# a random generator the model's threads share, so the same call would get different words on
# another run or another engine. Text that still repeats itself is dropped by the transcriber.
FALLBACK = {"temperature": [0.0]}
MAX_UNHEARD_S = 1.5  # speech in a window with no word on it; more and the window is decoded again


def one_blas_thread():
    """Features computed the same way whatever the thread count (BLAS sums in another order
    with more threads, and a knife-edge window can then decode differently): results do not
    depend on the engine or the machine's cores. The decoders keep the cores busy anyway."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


@dataclass
class ChannelPlan:
    """One channel's speech, cut into windows ready for the model."""

    samples: np.ndarray
    clips: list[dict[str, int]]  # speech regions (sample indices), as VAD found them
    windows: list[dict[str, Any]]  # offset/duration on the speech-only clock, the clips inside
    features: list[np.ndarray]  # one log-mel matrix (n_mels x 3000) per window


def plan_channel(samples: np.ndarray, feature_extractor) -> ChannelPlan:
    """Find the speech in a channel and pack it into windows of at most 30 s."""
    clips = get_speech_timestamps(samples, VadOptions(**VAD))
    windows: list[dict[str, Any]] = []
    pieces: list[list[np.ndarray]] = []
    total = 0  # samples of speech before the current window
    for clip in clips:
        n = clip["end"] - clip["start"]
        if not windows or windows[-1]["_n"] + n > WINDOW_S * SR:
            if windows:
                total += windows[-1]["_n"]
            windows.append({"offset": total / SR, "_n": 0, "segments": []})
            pieces.append([])
        windows[-1]["_n"] += n
        windows[-1]["segments"].append(clip)
        pieces[-1].append(samples[clip["start"] : clip["end"]])
    features = []
    with one_blas_thread():
        for w, parts in zip(windows, pieces):
            w["duration"] = w.pop("_n") / SR
            features.append(pad_or_trim(feature_extractor(np.concatenate(parts))[..., :-1]))
    return ChannelPlan(samples, clips, windows, features)


def batch_options(tokenizer: Tokenizer, decode: dict[str, Any]) -> TranscriptionOptions:
    """faster-whisper's options for batched decoding, from the sequential decoder's settings."""
    temps = decode["temperature"]
    return TranscriptionOptions(
        beam_size=decode["beam_size"], best_of=5, patience=1, length_penalty=1, repetition_penalty=1,
        no_repeat_ngram_size=0, log_prob_threshold=decode["log_prob_threshold"],
        no_speech_threshold=decode["no_speech_threshold"],
        compression_ratio_threshold=decode["compression_ratio_threshold"],
        temperatures=[temps[0] if isinstance(temps, (list, tuple)) else temps],
        initial_prompt=None, prefix=None, suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        prepend_punctuations="\"'“¿([{-", append_punctuations="\"'.。,，!！?？:：”)]}、",
        max_new_tokens=None, hotwords=None, word_timestamps=True, hallucination_silence_threshold=None,
        condition_on_previous_text=False, clip_timestamps=None, prompt_reset_on_temperature=0.5,
        multilingual=False, without_timestamps=False, max_initial_timestamp=0.0,
    )


def _unheard(result: list[dict[str, Any]], window: dict[str, Any]) -> float:
    """Seconds of the window's speech that no recognised word touches (speech-only clock)."""
    words = [(w["start"], w["end"]) for s in result for w in s.get("words") or []]
    unheard, at = 0.0, window["offset"]
    for clip in window["segments"]:
        end = at + (clip["end"] - clip["start"]) / SR
        if not any(a < end and b > at for a, b in words):
            unheard += end - at
        at = end
    return unheard


def _needs_fallback(result: list[dict[str, Any]], window: dict[str, Any], decode: dict[str, Any]) -> bool:
    """The sequential decoder's test for a failed window (repetitive or improbable text), or
    speech the model never got to."""
    if _unheard(result, window) > MAX_UNHEARD_S:
        return True
    if not result:
        return False
    text = "".join(s["text"] for s in result)
    logprob, no_speech = result[0]["avg_logprob"], result[0]["no_speech_prob"]
    if get_compression_ratio(text) > decode["compression_ratio_threshold"]:
        return True
    # Likely silence with a low log-probability is dropped later, not decoded again.
    return logprob < decode["log_prob_threshold"] and no_speech <= decode["no_speech_threshold"]


def _segment(d: dict[str, Any], n: int, temperature: float) -> Segment:
    return Segment(id=n, seek=d["seek"], start=round(d["start"], 3), end=round(d["end"], 3), text=d["text"],
                   tokens=d["tokens"], avg_logprob=d["avg_logprob"], compression_ratio=d["compression_ratio"],
                   no_speech_prob=d["no_speech_prob"], words=[Word(**w) for w in d.get("words") or []],
                   temperature=temperature)


def _shift(seg: Segment, by: float) -> Segment:
    words = [dataclasses.replace(w, start=w.start + by, end=w.end + by) for w in seg.words or []]
    return dataclasses.replace(seg, start=seg.start + by, end=seg.end + by, words=words)


def decode_channels(model, plans: list[ChannelPlan], decode: dict[str, Any], batch_size: int) -> list[list[Segment]]:
    """Recognise the speech of several channels; one list of segments (channel clock) per plan.

    ``model`` is a faster_whisper.WhisperModel; ``decode`` the sequential decoder's options.
    Safe to call from several threads at once (each call keeps its own state).
    """
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=decode["task"],
                          language=decode["language"])
    options = batch_options(tokenizer, decode)
    pipe = BatchedInferencePipeline(model)
    items = [(c, w) for c, plan in enumerate(plans) for w in range(len(plan.windows))]
    outputs: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for i in range(0, len(items), batch_size):
        part = items[i : i + batch_size]
        pipe.last_speech_timestamp = 0.0
        features = np.stack([plans[c].features[w] for c, w in part])
        results = pipe.forward(features, tokenizer, [plans[c].windows[w] for c, w in part], options)
        outputs.update(zip(part, results))

    channels: list[list[Segment]] = []
    retried = 0
    for c, plan in enumerate(plans):
        plain: list[Segment] = []
        redone: list[Segment] = []
        for w, window in enumerate(plan.windows):
            result = outputs[(c, w)]
            if _needs_fallback(result, window, decode):
                retried += 1
                first, last = window["segments"][0]["start"], window["segments"][-1]["end"]
                with one_blas_thread():
                    segs, _ = model.transcribe(plan.samples[first:last], **{**decode, **FALLBACK})
                    redone += [_shift(s, first / SR) for s in segs]
            else:
                plain += [_segment(d, len(plain), options.temperatures[0]) for d in result]
        restored = list(restore_speech_timestamps(plain, plan.clips, SR)) if plain else []
        channels.append(sorted(restored + redone, key=lambda s: (s.start, s.end)))
    if retried:
        log.info("batched decoding: %d of %d windows decoded again by the sequential decoder", retried, len(items))
    return channels
