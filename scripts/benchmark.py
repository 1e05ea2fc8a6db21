#!/usr/bin/env python3
"""Speed and memory of `analyser run` against bare faster-whisper, on the same recordings.

    .venv/bin/python scripts/benchmark.py [PATH ...] [--model base|tiny.en|DIR] [--json OUT]

PATHs are recordings or folders (default: the bundled samples/). Each side runs in its own
process, so its peak memory is its own and both pay for loading the model:

- bare: faster-whisper's WhisperModel on the same checked weights, `transcribe` on each
  recording (each stereo channel in turn), with exactly the decoding options the analyser
  uses, consuming every segment and nothing more;
- analyser: `analyser run` on the same files into a temporary folder (transcription, turns,
  detectors, redaction, scorecards, manifest).

It prints wall time, real-time factor (audio seconds per wall second), peak memory (max RSS)
and the ratio of the two wall times. Figures depend on the machine: say which when quoting.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".m4a"}


def recordings(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_EXT)
        elif p.suffix.lower() in AUDIO_EXT:
            found.append(p)
    if not found:
        sys.exit(f"benchmark: no recordings found in {' '.join(paths)}")
    return found


def _bare(files: list[str], model: str) -> None:
    """Child process: plain faster-whisper over the files."""
    from faster_whisper.audio import decode_audio

    from analyser.audio import load_audio
    from analyser.transcribe import Transcriber

    started = time.perf_counter()
    # The analyser's loader gives the checked local folder and the exact decoding options;
    # the work below is faster-whisper's own API and nothing else.
    t = Transcriber(model=model)
    whisper, options = t.model, t.decode_options
    words = 0
    for f in files:
        channels = load_audio(f).channels  # probe only, to know whether to split
        signal = decode_audio(f, split_stereo=channels == 2)
        for samples in (signal if channels == 2 else (signal,)):
            segments, _ = whisper.transcribe(samples, **options)
            words += sum(len(s.words or ()) for s in segments)
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "words": words, "peak_rss_mb": _peak_mb()}))


def _analyser(files: list[str], model: str) -> None:
    """Child process: the analyser's own command, in-process so its memory is measured."""
    from analyser.cli import main

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        code = main(["run", *files, "--out", out, "--model", model, "--no-progress"])
        wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "exit_code": code, "peak_rss_mb": _peak_mb()}))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(role: str, files: list[Path], model: str) -> dict:
    cmd = [sys.executable, __file__, f"--_{role}", "--model", model, *map(str, files)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"benchmark: the {role} run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "samples")])
    ap.add_argument("--model", default="base")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--_bare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_analyser", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    files = recordings(args.paths)
    if args._bare:
        return _bare([str(f) for f in files], args.model)
    if args._analyser:
        return _analyser([str(f) for f in files], args.model)

    from analyser.audio import load_audio

    audio_s = sum(load_audio(f).duration for f in files)
    bare = _child("bare", files, args.model)
    ours = _child("analyser", files, args.model)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "model": args.model,
        "recordings": len(files),
        "audio_s": round(audio_s, 1),
        "bare_faster_whisper": {
            "wall_s": round(bare["wall_s"], 2),
            "rtf": round(audio_s / bare["wall_s"], 2),
            "peak_rss_mb": round(bare["peak_rss_mb"], 1),
        },
        "analyser_run": {
            "wall_s": round(ours["wall_s"], 2),
            "rtf": round(audio_s / ours["wall_s"], 2),
            "peak_rss_mb": round(ours["peak_rss_mb"], 1),
            "exit_code": ours["exit_code"],
        },
        "ratio_analyser_over_bare": round(ours["wall_s"] / bare["wall_s"], 3),
    }
    print(f"{len(files)} recordings, {audio_s:.1f} s of audio, model {args.model}, {result['machine']}")
    print(f"{'':24}{'wall s':>9}{'audio s / wall s':>18}{'peak MB':>10}")
    for name, key in (("bare faster-whisper", "bare_faster_whisper"), ("analyser run", "analyser_run")):
        r = result[key]
        print(f"{name:24}{r['wall_s']:9.2f}{r['rtf']:18.2f}{r['peak_rss_mb']:10.1f}")
    print(f"analyser run / bare faster-whisper wall time: {result['ratio_analyser_over_bare']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
