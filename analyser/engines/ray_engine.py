"""The Ray engine: the same speech recognition, spread over the workers of a Ray cluster.

Each worker is a Ray actor holding one loaded model (one CPU each, or one GPU); calls are
handed to whichever worker is free, two at a time so none waits between calls. The
recording's bytes travel with the call, so workers need the analyser installed but no shared
disk. Everything after recognition (detectors, redaction, scorecards, the manifest) stays in
the process that started the run, which takes results in the order it asked for them: the
outputs and the manifest are those of a local run.

A worker that dies (its machine lost, its process killed) loses only the calls it held: they
go back to the front of the queue for another worker, and a replacement worker is started.
A call is retried at most ``MAX_ATTEMPTS`` times, then recorded as failed (ENG001). Each call's
result is taken exactly once, so none is lost and none is written twice.

``ray`` is an optional dependency (``pip install call-analyser[ray]``).
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

from .. import errors
from ..errors import AnalyserError
from ..types import Transcript

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a call that has killed (or lost) this many workers is not tried again
IN_FLIGHT = 2  # calls queued on each worker: one running, one waiting
_ENV = ("ANALYSER_CACHE", "ANALYSER_MODEL_MANIFEST")


class EngineError(AnalyserError):
    """The engine could not run a call (ENG001) or could not start (ENG002)."""


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise EngineError("ENG002", "--engine ray needs Ray: pip install 'call-analyser[ray]' (ray==2.60.0)") from exc
    return ray


class Worker:
    """A Ray actor: one speech model, loaded on its first call and kept."""

    def __init__(self, model: str, agent_channel: str, device: str):
        from .batched import one_blas_thread

        self.settings = (model, agent_channel, device)
        self._blas = one_blas_thread()  # numbers as in a local run, whatever the node's cores
        self.transcriber = None
        self.load_error: AnalyserError | None = None

    def transcribe(self, name: str, data: bytes, call_id: str, meta: dict | None) -> tuple:
        """("ok", transcript, sha256, seconds) or ("error", class name, code, message)."""
        from ..audio import load_audio
        from .local import build_transcriber

        with tempfile.TemporaryDirectory(prefix="analyser-") as tmp:
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            try:
                audio = load_audio(path)
                if self.transcriber is None:
                    if self.load_error is not None:
                        raise self.load_error
                    try:
                        self.transcriber = build_transcriber(*self.settings, workers=1)
                    except AnalyserError as err:
                        self.load_error = err
                        raise
                transcript = self.transcriber.transcribe(audio, call_id, meta)
            except AnalyserError as err:  # messages name the caller's file, not our copy
                return ("error", type(err).__name__, err.code, err.message.replace(str(path), name))
        return ("ok", transcript, audio.sha256, audio.duration)


def _rebuild_error(kind: str, code: str, message: str) -> AnalyserError:
    cls = EngineError if kind == "EngineError" else getattr(errors, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, AnalyserError)):
        cls = AnalyserError
    return cls(code, message)


class RayEngine:
    """Transcribes recordings on Ray workers: ``submit`` them, then take each ``result``."""

    name = "ray"

    def __init__(self, model: str = "base", agent_channel: str = "left", device: str = "cpu",
                 workers: int | None = None, address: str | None = None):
        ray = self.ray = _import_ray()
        self.address, self.device = address, device
        if not ray.is_initialized():
            env = {k: os.environ[k] for k in _ENV if k in os.environ}
            kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "log_to_driver": False}
            if address:
                ray.init(address=address, **kwargs)
            else:  # a local instance with as many CPUs as asked for (default: all of them)
                ray.init(num_cpus=workers or None, include_dashboard=False, **kwargs)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        gpus = int(ray.cluster_resources().get("GPU", 0))
        self.workers = workers or (gpus if device == "cuda" else cpus) or 1
        resources = {"num_gpus": 1, "num_cpus": 1} if device == "cuda" else {"num_cpus": 1}
        self._actor_cls = ray.remote(max_restarts=0, **resources)(Worker)
        self._settings = (model, agent_channel, device)
        self._actors: dict[Any, list] = {}  # actor -> refs it holds
        self._replacements = 0
        for _ in range(self.workers):
            self._spawn()
        self._pending: deque = deque()  # (key, path, call_id, meta, attempts)
        self._flight: dict[Any, tuple] = {}  # ref -> (actor, job)
        self._results: dict[str, tuple] = {}
        self.retried = 0  # calls handed to another worker after theirs died

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": len(self._actors), "device": self.device,
                "address": self.address or "local"}

    def busy_workers(self) -> list:
        """The worker actors holding calls now."""
        return [a for a, refs in self._actors.items() if refs]

    def submit(self, key: str, path: Path, call_id: str, meta: dict | None = None) -> None:
        self._pending.append((key, str(path), call_id, meta, 0))
        self._dispatch()

    def result(self, key: str) -> tuple[Transcript, str, float]:
        while key not in self._results:
            if not self._flight and not self._pending:
                raise EngineError("ENG001", f"{key}: never submitted to the Ray engine")
            self._wait()
        outcome = self._results.pop(key)
        if outcome[0] == "error":
            raise _rebuild_error(*outcome[1:])
        return outcome[1], outcome[2], outcome[3]

    def close(self) -> None:
        for actor in list(self._actors):
            self.ray.kill(actor)
        self._actors.clear()
        if not self.address:
            self.ray.shutdown()

    # -- scheduling ----------------------------------------------------------------------
    def _spawn(self) -> None:
        actor = self._actor_cls.remote(*self._settings)
        self._actors[actor] = []

    def _dispatch(self) -> None:
        for actor, refs in self._actors.items():
            while len(refs) < IN_FLIGHT and self._pending:
                job = self._pending.popleft()
                key, path, call_id, meta, _ = job
                try:
                    data = Path(path).read_bytes()
                except OSError as exc:
                    self._results[key] = ("error", "InputError", "INP006", f"{path}: cannot read: {exc.strerror or exc}")
                    continue
                ref = actor.transcribe.remote(path, data, call_id, meta)
                refs.append(ref)
                self._flight[ref] = (actor, job)

    def _wait(self) -> None:
        done, _ = self.ray.wait(list(self._flight), num_returns=1, timeout=30.0)
        for ref in done:
            actor, job = self._flight.pop(ref)
            if ref in self._actors.get(actor, []):
                self._actors[actor].remove(ref)
            key = job[0]
            try:
                self._results[key] = self.ray.get(ref)
            except self.ray.exceptions.RayActorError:
                self._lost(actor, job)
            except self.ray.exceptions.RayError as exc:  # a bug in the worker: this call fails
                log.error("call %s: worker error %s", job[2], type(exc).__name__)
                self._results[key] = ("error", "AnalyserError", "INT001",
                                      f"{job[1]}: internal error in a Ray worker ({type(exc).__name__})")
        self._dispatch()

    def _lost(self, actor, job: tuple) -> None:
        """A worker died holding ``job``: drop the worker, replace it, queue the call again."""
        key, path, call_id, meta, attempts = job
        if actor in self._actors:
            log.warning("a Ray worker died; %d calls it held go to other workers", len(self._actors[actor]) + 1)
            del self._actors[actor]
            if self._replacements < MAX_ATTEMPTS * self.workers:
                self._replacements += 1
                self._spawn()
        if not self._actors:
            self._spawn()
        if attempts + 1 >= MAX_ATTEMPTS:
            self._results[key] = ("error", "EngineError", "ENG001",
                                  f"{path}: lost {MAX_ATTEMPTS} Ray workers while processing it; not retried")
            return
        self.retried += 1
        self._pending.appendleft((key, path, call_id, meta, attempts + 1))
