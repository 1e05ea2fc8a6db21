"""Engines: where the speech model runs. The rest of a batch does not depend on which.

- ``local`` (default): this machine, one model loaded, one decoder thread per core
  (analyser.engines.local). Needs nothing beyond the analyser.
- ``ray``: the workers of a Ray cluster, one model per worker (analyser.engines.ray_engine);
  a local Ray instance when no address is given. Needs ``pip install 'call-analyser[ray]'``.

An engine takes recordings with ``submit(key, path, call_id)`` and hands back
``(transcript, audio sha256, audio seconds)`` from ``result(key)``, raising the call's
AnalyserError; ``close()`` ends it.
"""
from __future__ import annotations

from ..errors import AnalyserError

ENGINES = ("local", "ray")


def open_engine(name="local", *, model: str = "base", agent_channel: str = "left", device: str = "cpu",
                workers: int | None = None, address: str | None = None, transcriber=None):
    """An engine by name (or an engine object, returned as is)."""
    if not isinstance(name, str):
        return name
    if workers is not None and workers < 1:
        raise AnalyserError("USE004", f"--workers {workers}: must be 1 or more")
    if name == "local":
        from .local import LocalEngine

        return LocalEngine(model, agent_channel, device, workers, transcriber=transcriber)
    if name == "ray":
        from .ray_engine import RayEngine

        return RayEngine(model, agent_channel, device, workers, address=address)
    raise AnalyserError("USE003", f"--engine {name!r}: unknown engine; use {' or '.join(ENGINES)}")


def batch_progress(calls: int, recordings: list, enabled: bool):
    """The progress bar of a batch, or None when it is off or there is nothing to do."""
    if not enabled or calls < 1:
        return None
    from .progress import Progress

    return Progress(calls, recordings)


__all__ = ["ENGINES", "batch_progress", "open_engine"]
