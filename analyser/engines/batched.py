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
same stretch of audio. A window where the model stopped early and left speech without words
(more than ``MAX_UNHEARD_S`` of it) keeps the text it has, and only its unheard tail of clips is
decoded again, all such tails of a call in one more batch; a tail that fails in turn goes to
the sequential decoder. Word timestamps come from the model's alignment and are mapped back to
the channel's own clock.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

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
# Tokens a stretch of speech can need: fast speech is about 5 a second (words, punctuation,
# timestamps; digits read out one by one about 6). A window allowed no more than this stops a
# looping decoder early, where Whisper would otherwise run to its 448-token limit.
TOKENS_PER_S = 10
MAX_NEW_TOKENS = 440


def token_budget(seconds: float) -> int:
    """The most new tokens worth decoding for ``seconds`` of speech."""
    return min(MAX_NEW_TOKENS, int(TOKENS_PER_S * seconds) + 20)


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


def _clip_spans(window: dict[str, Any]) -> list[tuple[float, float]]:
    """Each clip of a window as (start, end) on the speech-only clock."""
    spans, at = [], window["offset"]
    for clip in window["segments"]:
        end = at + (clip["end"] - clip["start"]) / SR
        spans.append((at, end))
        at = end
    return spans


def _heard(result: list[dict[str, Any]], window: dict[str, Any]) -> list[bool]:
    """For each clip of the window: does a recognised word touch it?"""
    words = [(w["start"], w["end"]) for s in result for w in s.get("words") or []]
    return [any(a < end and b > at for a, b in words) for at, end in _clip_spans(window)]


def _unheard(result: list[dict[str, Any]], window: dict[str, Any]) -> float:
    """Seconds of the window's speech that no recognised word touches (speech-only clock)."""
    return sum(b - a for (a, b), heard in zip(_clip_spans(window), _heard(result, window)) if not heard)


def _text_fails(result: list[dict[str, Any]], decode: dict[str, Any]) -> bool:
    """The sequential decoder's test for a failed window: repetitive or improbable text."""
    if not result:
        return False
    text = "".join(s["text"] for s in result)
    logprob, no_speech = result[0]["avg_logprob"], result[0]["no_speech_prob"]
    if get_compression_ratio(text) > decode["compression_ratio_threshold"]:
        return True
    # Likely silence with a low log-probability is dropped later, not decoded again.
    return logprob < decode["log_prob_threshold"] and no_speech <= decode["no_speech_threshold"]


def _needs_fallback(result: list[dict[str, Any]], window: dict[str, Any], decode: dict[str, Any]) -> bool:
    """The sequential decoder's test for a failed window (repetitive or improbable text), or
    speech the model never got to."""
    return _unheard(result, window) > MAX_UNHEARD_S or _text_fails(result, decode)


def _unheard_tail(result: list[dict[str, Any]], window: dict[str, Any], decode: dict[str, Any]) -> int | None:
    """Where the model stopped early: the first clip of the trailing run that no word touches.

    Whisper often ends a full window's text a few seconds before its audio ends. When that
    unheard tail is the only fault (the text before it passes the decoder's tests, and no more
    than ``MAX_UNHEARD_S`` of speech is missed elsewhere), only the tail needs decoding again,
    not the whole window. None when the window needs the sequential decoder instead."""
    heard = _heard(result, window)
    k = len(heard)
    while k > 0 and not heard[k - 1]:
        k -= 1
    if k == 0 or k == len(heard) or _text_fails(result, decode):
        return None
    spans = _clip_spans(window)
    missed_before = sum(b - a for (a, b), h in zip(spans[:k], heard[:k]) if not h)
    return k if missed_before <= MAX_UNHEARD_S else None


def _before(result: list[dict[str, Any]], cut: float) -> list[dict[str, Any]]:
    """The segments of a window's result whose words lie before ``cut`` (speech-only clock)."""
    kept = []
    for seg in result:
        words = [w for w in seg.get("words") or [] if (w["start"] + w["end"]) / 2 < cut]
        if words and len(words) == len(seg.get("words") or []):
            kept.append(seg)
        elif words:
            kept.append({**seg, "words": words, "end": min(seg["end"], words[-1]["end"]),
                         "text": "".join(w["word"] for w in words)})
    return kept


def _tail_window(plan: ChannelPlan, window: dict[str, Any], k: int, feature_extractor) -> tuple[dict, np.ndarray]:
    """A window of the clips from ``k`` on, on the same speech-only clock, and its features."""
    clips = window["segments"][k:]
    offset = _clip_spans(window)[k][0]
    tail = {"offset": offset, "duration": sum(c["end"] - c["start"] for c in clips) / SR, "segments": clips}
    with one_blas_thread():
        audio = np.concatenate([plan.samples[c["start"] : c["end"]] for c in clips])
        features = pad_or_trim(feature_extractor(audio)[..., :-1])
    return tail, features


def _segment(d: dict[str, Any], n: int, temperature: float) -> Segment:
    return Segment(id=n, seek=d["seek"], start=round(d["start"], 3), end=round(d["end"], 3), text=d["text"],
                   tokens=d["tokens"], avg_logprob=d["avg_logprob"], compression_ratio=d["compression_ratio"],
                   no_speech_prob=d["no_speech_prob"], words=[Word(**w) for w in d.get("words") or []],
                   temperature=temperature)


def _shift(seg: Segment, by: float) -> Segment:
    words = [dataclasses.replace(w, start=w.start + by, end=w.end + by) for w in seg.words or []]
    return dataclasses.replace(seg, start=seg.start + by, end=seg.end + by, words=words)


class Helpers:
    """Decoder threads lend themselves to each other's calls, window by window.

    A call's decoder cuts its work into tasks (a batch of windows, a tail, a window for the
    sequential decoder) and runs them itself, first to last; a decoder with nothing of its own
    to do takes tasks from the far end of another call's list. So the last call of a batch,
    or a single long call, keeps every core busy, not one. Which thread runs a task never
    changes its result: the tasks are cut the same way whoever runs them.
    """

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._lists: list[_Tasks] = []

    def run(self, fns: list[Callable[[], Any]]) -> list[Any]:
        """Run every task (with help, when some thread is idle) and return their results in order."""
        if len(fns) <= 1:
            return _in_order(fns)
        tasks = _Tasks(fns)
        with self._cv:
            self._lists.append(tasks)
            self._cv.notify_all()
        try:
            while (i := tasks.claim(first=True)) is not None:
                tasks.do(i)
        finally:
            with self._cv:
                self._lists.remove(tasks)
        return tasks.results()

    def help_once(self) -> bool:
        """Run one task of another call's; False when nobody has a task to spare."""
        with self._cv:
            for tasks in self._lists:
                i = tasks.claim(first=False)
                if i is not None:
                    break
            else:
                return False
        tasks.do(i)
        return True

    def wait(self, timeout: float) -> None:
        """Sleep until tasks are offered or ``poke`` is called (or the timeout passes)."""
        with self._cv:
            if not any(t.has_unclaimed() for t in self._lists):
                self._cv.wait(timeout)

    def poke(self) -> None:
        with self._cv:
            self._cv.notify_all()


class _Tasks:
    """One call's list of tasks: claimed from the front by its owner, from the back by helpers."""

    def __init__(self, fns: list[Callable[[], Any]]) -> None:
        self._fns = fns
        self._next, self._last = 0, len(fns)  # unclaimed: [_next, _last)
        self._out: list[Any] = [None] * len(fns)
        self._errors: list[BaseException | None] = [None] * len(fns)
        self._left = len(fns)
        self._cv = threading.Condition()

    def has_unclaimed(self) -> bool:
        with self._cv:
            return self._next < self._last

    def claim(self, first: bool) -> int | None:
        with self._cv:
            if self._next >= self._last:
                return None
            if first:
                self._next += 1
                return self._next - 1
            self._last -= 1
            return self._last

    def do(self, i: int) -> None:
        try:
            self._out[i] = self._fns[i]()
        except BaseException as exc:  # noqa: BLE001 - raised again in the owner's thread
            self._errors[i] = exc
        with self._cv:
            self._left -= 1
            self._cv.notify_all()

    def results(self) -> list[Any]:
        with self._cv:
            while self._left:
                self._cv.wait()
        for exc in self._errors:
            if exc is not None:
                raise exc
        return self._out


def _in_order(fns: list[Callable[[], Any]]) -> list[Any]:
    return [f() for f in fns]


def _batched(model, tokenizer, options, features: list[np.ndarray], windows: list[dict], batch_size: int,
             run: Callable[[list[Callable[[], Any]]], list[Any]]):
    """Decode windows in batches (one task each); one result per window.

    A call with two windows or more is cut into two batches at least, so that a second
    decoder can take a share; never into more than ``batch_size`` windows each. The cut
    depends on the windows alone, never on which threads are free: the same call is always
    decoded in the same batches (and so to the same words) on any engine."""
    batch_size = max(1, min(batch_size, -(-len(windows) // 2)))

    def task(i: int) -> Callable[[], list]:
        def decode_batch():
            part = windows[i : i + batch_size]
            pipe = BatchedInferencePipeline(model)  # its state is per batch: one for each task
            limited = dataclasses.replace(options, max_new_tokens=token_budget(max(w["duration"] for w in part)))
            return pipe.forward(np.stack(features[i : i + batch_size]), tokenizer, part, limited)
        return decode_batch

    results: list[list[dict[str, Any]]] = []
    for batch in run([task(i) for i in range(0, len(windows), batch_size)]):
        results += batch
    return results


def _sequential(model, plan: ChannelPlan, clips: list[dict[str, int]], decode: dict[str, Any]) -> list[Segment]:
    """The sequential decoder over the stretch of the channel from the first clip to the last."""
    first, last = clips[0]["start"], clips[-1]["end"]
    speech = sum(c["end"] - c["start"] for c in clips) / SR
    limit = {"max_new_tokens": token_budget(min(speech, WINDOW_S))}  # per 30-s segment it reads
    with one_blas_thread():
        segs, _ = model.transcribe(plan.samples[first:last], **{**decode, **FALLBACK, **limit})
        return [_shift(s, first / SR) for s in segs]


def decode_channels(model, plans: list[ChannelPlan], decode: dict[str, Any], batch_size: int,
                    helpers: Helpers | None = None) -> list[list[Segment]]:
    """Recognise the speech of several channels; one list of segments (channel clock) per plan.

    ``model`` is a faster_whisper.WhisperModel; ``decode`` the sequential decoder's options.
    Safe to call from several threads at once (each call keeps its own state); with
    ``helpers``, idle threads take a share of this call's tasks.

    Three passes: every window in batches; then, in one more batch, the unheard tails of the
    windows where the model stopped early; then the sequential decoder for whatever still fails.
    """
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=decode["task"],
                          language=decode["language"])
    options = batch_options(tokenizer, decode)
    run = helpers.run if helpers is not None else _in_order
    items = [(c, w) for c, plan in enumerate(plans) for w in range(len(plan.windows))]
    results = _batched(model, tokenizer, options, [plans[c].features[w] for c, w in items],
                       [plans[c].windows[w] for c, w in items], batch_size, run)

    plain: list[list[dict[str, Any]]] = [[] for _ in plans]  # batch results that passed, per channel
    redone: list[list[Segment]] = [[] for _ in plans]  # the sequential decoder's segments, per channel
    tails: list[tuple[int, dict, np.ndarray]] = []
    again: list[tuple[int, list[dict[str, int]]]] = []  # (channel, clips) for the sequential decoder
    for (c, w), result in zip(items, results):
        window = plans[c].windows[w]
        if not _needs_fallback(result, window, decode):
            plain[c] += result
            continue
        k = _unheard_tail(result, window, decode)
        if k is None:
            again.append((c, window["segments"]))
            continue
        tail, features = _tail_window(plans[c], window, k, model.feature_extractor)
        plain[c] += _before(result, tail["offset"])
        tails.append((c, tail, features))

    if tails:
        tail_results = _batched(model, tokenizer, options, [f for _, _, f in tails], [t for _, t, _ in tails],
                                batch_size, run)
        for (c, tail, _), result in zip(tails, tail_results):
            if _needs_fallback(result, tail, decode):
                again.append((c, tail["segments"]))
            else:
                plain[c] += result
    sequential = len(again)
    redecoded = run([functools.partial(_sequential, model, plans[c], clips, decode) for c, clips in again])
    for (c, _), segs in zip(again, redecoded):
        redone[c] += segs

    channels: list[list[Segment]] = []
    for c, plan in enumerate(plans):
        segs = [_segment(d, n, options.temperatures[0]) for n, d in enumerate(sorted(plain[c], key=lambda d: d["start"]))]
        restored = list(restore_speech_timestamps(segs, plan.clips, SR)) if segs else []
        channels.append(sorted(restored + redone[c], key=lambda s: (s.start, s.end)))
    if tails or sequential:
        log.info("batched decoding: %d of %d windows stopped early (their tails decoded again); "
                 "the sequential decoder read %d windows or tails", len(tails), len(items), sequential)
    return channels
