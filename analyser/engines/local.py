"""The local engine: every core of this machine busy on speech recognition, one model loaded.

Three kinds of thread share the work of a batch:

- a loader decodes the next recordings and finds their speech windows (PyAV, VAD, features)
  while the model is busy, a few calls ahead and no more (bounded memory);
- ``workers`` decoder threads each take a whole call and run it through the model. They share
  one loaded model (CTranslate2 runs that many requests at once over one set of weights) and
  use one core each: on a CPU, two one-thread decoders get more done than one two-thread
  decoder, whose small per-token matrix products leave the second core waiting. A decoder
  with no call to take helps another with its windows (batched.Helpers), so the last call
  of a batch, or a lone long call, still has every core;
- the caller (analyser.batch) takes results in the order it asked for them, so the manifest
  and outputs are the same whatever order the calls finish in.

No Ray, no extra processes: the simple path.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path
from typing import Any, Callable

from ..errors import AnalyserError
from ..types import Transcript

log = logging.getLogger(__name__)

_STOP = object()


def default_workers(device: str) -> int:
    """One decoder per core on a CPU; one on a GPU (it batches instead)."""
    if device == "cuda":
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def build_transcriber(model: str, agent_channel: str, device: str, workers: int):
    """The speech recogniser every engine uses: one thread per decoder on a CPU."""
    from ..transcribe import Transcriber

    threads = 1 if device == "cpu" else 0
    return Transcriber(model=model, agent_channel=agent_channel, device=device, cpu_threads=threads,
                       num_workers=workers)


class _Loaded:
    """Loads the model once, when the first good recording needs it; a failed load fails fast."""

    def __init__(self, make: Callable[[], Any], ready=None):
        self._make, self._value, self._error = make, ready, None
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._value is None:
                if self._error is not None:
                    raise self._error
                try:
                    self._value = self._make()
                except AnalyserError as err:
                    self._error = err
                    raise
            return self._value


class LocalEngine:
    """Transcribes recordings in this process: ``submit`` them, then take each ``result``."""

    name = "local"

    def __init__(self, model: str = "base", agent_channel: str = "left", device: str = "cpu",
                 workers: int | None = None, transcriber=None):
        from .batched import Helpers, one_blas_thread

        self.workers = workers or default_workers(device)
        self.device = device
        # For the whole run, not per call: a per-call limit in one thread would be undone by
        # another thread mid-call (the limit is process-wide).
        self._blas = one_blas_thread()
        self._model = _Loaded(lambda: build_transcriber(model, agent_channel, device, self.workers), transcriber)
        self._todo: queue.Queue = queue.Queue()
        self._ready: queue.Queue = queue.Queue(maxsize=self.workers)  # prepared calls, a few ahead
        self._helpers = Helpers()
        self._results: dict[str, tuple] = {}
        self._closing = False
        self._done = threading.Condition()
        self._threads = [threading.Thread(target=self._load, name="analyser-loader", daemon=True)]
        self._threads += [threading.Thread(target=self._decode, name=f"analyser-decoder-{i}", daemon=True)
                          for i in range(self.workers)]
        for t in self._threads:
            t.start()

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers, "device": self.device}

    def submit(self, key: str, path: Path, call_id: str, meta: dict | None = None) -> None:
        self._todo.put((key, Path(path), call_id, meta))

    def result(self, key: str) -> tuple[Transcript, str, float]:
        """(transcript, audio sha256, audio seconds) of a submitted call; raises its error."""
        with self._done:
            while key not in self._results:
                self._done.wait()
            outcome = self._results.pop(key)
        if outcome[0] == "error":
            raise outcome[1]
        return outcome[1:]

    def close(self) -> None:
        """Stop after the calls being decoded now (an interrupted batch does not finish the rest)."""
        self._closing = True
        self._todo.put(_STOP)
        for t in self._threads:
            t.join(timeout=60)
        self._blas.restore_original_limits()

    def _store(self, key: str, outcome: tuple) -> None:
        with self._done:
            self._results[key] = outcome
            self._done.notify_all()

    def _load(self) -> None:
        from ..audio import load_audio

        while (item := self._todo.get()) is not _STOP:
            if self._closing:
                continue  # skip to the stop mark
            key, path, call_id, meta = item
            try:
                audio = load_audio(path)  # a broken file is refused before the model is loaded
                prepared = self._model.get().prepare(audio, call_id, meta)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, who records it
                self._store(key, ("error", exc))
                continue
            self._ready.put((key, prepared))
            self._helpers.poke()
        for _ in range(self.workers):
            self._ready.put(_STOP)
        self._helpers.poke()

    def _decode(self) -> None:
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:  # no call of its own: help another call, or wait for work
                if not self._helpers.help_once():
                    self._helpers.wait(timeout=0.1)
                continue
            if item is _STOP:
                break
            if self._closing:
                continue
            key, prepared = item
            try:
                transcript = self._model.get().decode(prepared, self._helpers)
                self._store(key, ("ok", transcript, prepared.audio.sha256, prepared.audio.duration))
            except Exception as exc:  # noqa: BLE001
                self._store(key, ("error", exc))
