"""The HTML report renders in a real headless Chromium: a screenshot is taken and kept.

The screenshot goes to tests/artifacts/report.png (git-ignored) for a person to look at.
Skipped, with the reason, where Chromium is not installed (``apt-get install chromium``).
"""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from analyser.batch import run_batch
from analyser.report import build_report, load_results

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str | None:
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_report_browser_renders_report_in_headless_chromium(tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium): the report was not rendered")
    run_batch([ROOT / "eval" / "dev-calls.jsonl"], tmp_path / "results")
    summary = build_report(load_results(tmp_path / "results"), tmp_path / "report")
    assert summary.calls == 60
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           f"--screenshot={shot}", "--window-size=1280,2000", (tmp_path / "report" / "report.html").as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-500:]}"
    data = shot.read_bytes()
    assert _png_size(data) == (1280, 2000)
    # A blank or broken page compresses to a few kilobytes; the report's charts and tables do not.
    assert len(data) > 100_000
    from PIL import Image

    raw = Image.open(shot).convert("RGB").resize((64, 100)).tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    reds = sum(1 for r, g, b in pixels if r > 150 and g < 90 and b < 90)
    colours = set(pixels)
    assert len(colours) > 200 and reds > 5  # drawn charts, with the red of the risks
