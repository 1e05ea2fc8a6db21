"""The progress bar of a long batch: calls done, hours of audio done, and the time left.

The time left is estimated from audio, not from calls: an hour-long call takes sixty times a
one-minute one. Durations come from each recording's header (read in milliseconds, nothing
decoded), so the estimate is there from the first finished call.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def _duration(path: Path) -> float:
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return max(float(container.duration or 0) / 1e6, 0.0)
    except Exception:  # noqa: BLE001 - an unreadable file is reported when its turn comes
        return 0.0


class Progress:
    """tqdm over seconds of audio, labelled with calls and hours done."""

    def __init__(self, calls: int, recordings: list):
        from tqdm import tqdm

        self.calls, self.done = calls, 0
        self.seconds = {job.input: _duration(job.path) for job in recordings}
        self.total_s = sum(self.seconds.values())
        self.audio_done = 0.0
        self.started = time.monotonic()
        by_audio = self.total_s > 0
        self.bar = tqdm(
            total=round(self.total_s, 1) if by_audio else calls, file=sys.stderr, dynamic_ncols=True,
            bar_format="{percentage:3.0f}%|{bar}| {desc} [{elapsed}<{remaining} left]",
        )
        self.by_audio = by_audio
        self._label()

    def _label(self) -> None:
        wall = max(time.monotonic() - self.started, 1e-9)
        rate = f", {self.audio_done / wall:.1f} audio s/s" if self.audio_done else ""
        hours = f", {self.audio_done / 3600:.2f}/{self.total_s / 3600:.2f} h audio" if self.by_audio else ""
        self.bar.set_description_str(f"{self.done}/{self.calls} calls{hours}{rate}", refresh=False)

    def update(self, n: int = 1, audio_s: float | None = None, job=None) -> None:
        self.done += n
        if audio_s:
            self.audio_done += audio_s
        step = self.seconds.get(job.input, 0.0) if (self.by_audio and job is not None) else (0 if self.by_audio else n)
        self._label()
        self.bar.update(round(step, 1))

    def write(self, message: str) -> None:
        self.bar.write(message, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()
