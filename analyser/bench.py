"""`analyser bench`: speed, memory and accuracy of `analyser run` against bare faster-whisper.

    analyser bench PATH... [--model M] [--device cpu|cuda] [--workers N]
                           [--references FILE.jsonl] [--json OUT]

On the same recordings, each side in its own process (so its peak memory is its own, and
both pay for loading the model):

- bare: faster-whisper the plain way: one WhisperModel (same checked weights, device and
  compute type, default threads), ``transcribe`` on each recording, each stereo channel in
  turn, with exactly the analyser's decoding options (beam, VAD, word timestamps, thresholds);
- analyser: `analyser run` on the same files into a temporary folder: transcription, turns,
  detectors, redaction, scorecards, manifest.

It prints wall time, audio seconds per wall second, peak memory (max RSS), the speed-up (bare
wall time over analyser wall time) and, for recordings named by a labelled JSONL file
(``--references``; each call's ``audio`` path, relative to that file), the word error rate of
each side after normalising case, punctuation and numbers. The analyser's error rate is taken
on its transcripts before redaction, so masked card numbers do not count as errors. Only
figures leave the child processes, never call text.
"""
from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .pipeline import AUDIO_EXTENSIONS


def add_bench_parser(sub) -> None:
    b = sub.add_parser("bench", help="time `analyser run` against bare faster-whisper on the same recordings")
    b.add_argument("paths", nargs="+", metavar="PATH", help="recordings or folders of recordings")
    b.add_argument("--model", default="base", help="speech model: base (default), tiny.en or a model folder")
    b.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    b.add_argument("--workers", type=int, metavar="N", help="analyser workers (default: one per core)")
    b.add_argument("--references", metavar="FILE.jsonl",
                   help="labelled calls naming the recordings (`audio`), for the word error rate")
    b.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="time each side N times, taking turns, and report the median run (default 1)")
    b.add_argument("--json", metavar="OUT", help="also write every figure as JSON")


# -- word error rate ---------------------------------------------------------------------
_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
             "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
             "nineteenth": 19, "twentieth": 20, "thirtieth": 30}


def _number_words(words: list[str]) -> list[str]:
    """Spelled numbers to digits, one digit per word: "nineteen seventy eight" -> 1 9 7 8,
    "three hundred and twelve" -> 3 1 2; "1978" -> 1 9 7 8. Digit by digit, a number read
    as digits, as a year or as a quantity compares equal."""
    out: list[str] = []
    cur: int | None = None

    def flush():
        nonlocal cur
        if cur is not None:
            out.extend(str(cur))
        cur = None

    for i, w in enumerate(words):
        unit = _UNITS.get(w, _ORDINALS.get(w) if w != "second" else None)
        if w.isdigit():
            flush()
            out.extend(w)
        elif unit is not None or w in _TENS:
            v = unit if unit is not None else _TENS[w]
            if cur is not None and (v == 0 or cur == 0 or (v < 10 and cur % 10) or (v >= 10 and cur % 100)):
                flush()
            cur = v if cur is None else cur + v
        elif w == "hundred" and cur is not None and cur < 10:
            cur *= 100
        elif w == "and" and cur is not None and cur % 100 == 0 and i + 1 < len(words) and (
                words[i + 1] in _UNITS or words[i + 1] in _TENS):
            continue
        else:
            flush()
            out.append(w)
    flush()
    return out


def normalise(text: str) -> list[str]:
    """Words for scoring: lower case, no punctuation, numbers as digits."""
    t = text.lower().replace("\u2019", "'")
    t = re.sub(r"£\s?(\d[\d,]*)", r"\1 pounds", t)
    t = re.sub(r"(\d),(\d{3})", r"\1\2", t)
    t = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", t)
    t = t.replace("%", " percent")
    t = re.sub(r"(\d)", r" \1 ", t)
    t = re.sub(r"[^a-z0-9']+", " ", t)
    words = [w.strip("'") for w in t.split()]
    return _number_words([w for w in words if w])


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def corpus_wer(refs: dict[str, str], hyps: dict[str, str]) -> float | None:
    """Word errors over reference words, summed over the recordings that have a reference."""
    edits = words = 0
    for key, ref in refs.items():
        if key in hyps:
            r = normalise(ref)
            edits += edit_distance(r, normalise(hyps[key]))
            words += len(r)
    return round(edits / words, 4) if words else None


def read_references(path: Path) -> dict[str, str]:
    """{resolved recording path: reference text} from a labelled JSONL file."""
    refs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            call = json.loads(line)
            if call.get("audio"):
                audio = (path.parent / call["audio"]).resolve()
                refs[str(audio)] = " ".join(t["text"] for t in call.get("turns", []))
    return refs


# -- the two sides, each in its own process ---------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds this process used: on a machine shared with other work, a steadier
    measure of cost than wall time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _channels(path: str) -> int:
    import av

    with av.open(path, metadata_errors="ignore") as c:
        ctx = c.streams.audio[0].codec_context
        return int(ctx.layout.nb_channels if ctx.layout else ctx.channels)


def _bare(files: list[str], model: str, device: str) -> dict:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    from .models import resolve_whisper
    from .transcribe import decode_options

    started = time.perf_counter()
    # Only the checked folder and the decoding options come from the analyser; the work is
    # faster-whisper's own API and nothing else.
    local = resolve_whisper(model)
    options = decode_options(model)
    whisper = WhisperModel(str(local.path), device=device, compute_type="float16" if device == "cuda" else "int8",
                           local_files_only=True)
    texts = {}
    for f in files:
        stereo = _channels(f) == 2
        signal = decode_audio(f, split_stereo=stereo)
        words = []
        for samples in (signal if stereo else (signal,)):
            segments, _ = whisper.transcribe(samples, **options)
            words += [(w.start, w.word) for s in segments for w in (s.words or ())]
        texts[str(Path(f).resolve())] = "".join(w for _, w in sorted(words, key=lambda x: x[0]))
    return {"wall_s": time.perf_counter() - started, "cpu_s": _cpu_s(), "peak_rss_mb": _peak_mb(), "texts": texts}


def _analyser(files: list[str], model: str, device: str, workers: int | None) -> dict:
    from .batch import run_batch
    from .engines import open_engine

    texts = {}
    started = time.perf_counter()
    engine = open_engine("local", model=model, device=device, workers=workers)
    taken = engine.result

    def result(key):  # keep each transcript's words (before redaction) for the error rate
        transcript, sha, seconds = taken(key)
        texts[str(Path(key).resolve())] = " ".join(t.text for t in transcript.turns)
        return transcript, sha, seconds

    engine.result = result
    with tempfile.TemporaryDirectory() as out:
        summary = run_batch(files, out, model=model, device=device, engine=engine, progress=False)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "cpu_s": _cpu_s(), "peak_rss_mb": _peak_mb(), "exit_code": summary.exit_code,
            "workers": engine.workers, "texts": texts}


def _child(side: str, files: list[Path], args, refs: dict[str, str]) -> dict:
    cmd = [sys.executable, "-m", "analyser.bench", side, args.model, args.device, str(args.workers or 0),
           *map(str, files)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                         os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          input=json.dumps(refs))
    if done.returncode != 0:
        from .errors import AnalyserError

        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise AnalyserError("USE005", f"bench: the {side} run failed: {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child_main(argv: list[str]) -> None:
    side, model, device, workers, *files = argv
    refs = json.loads(sys.stdin.read() or "{}")
    if side == "bare":
        r = _bare(files, model, device)
    else:
        r = _analyser(files, model, device, int(workers) or None)
    # Only figures go back to the parent: the texts stay in this process.
    r["wer"] = corpus_wer(refs, r.pop("texts"))
    print(json.dumps(r))


# -- the command -------------------------------------------------------------------------
def recordings(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_EXTENSIONS)
        elif p.suffix.lower() in AUDIO_EXTENSIONS:
            found.append(p)
    return found


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {cores} CPU cores, Python {platform.python_version()}"


def _median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (the lower middle one of an even number)."""
    return sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]


def run_bench(paths: list[str], *, model: str = "base", device: str = "cpu", workers: int | None = None,
              references: str | None = None, repeat: int = 1) -> dict:
    """Time both sides ``repeat`` times, taking turns (bare, analyser, bare, ...), each in a
    fresh process; each side's figures are those of its median run. A shared machine's speed
    drifts by a fifth or more between minutes, so one run of each can mislead."""
    from .audio import load_audio
    from .errors import InputError

    files = recordings(paths)
    if not files:
        raise InputError("INP003", f"{' '.join(paths)}: no recordings (wav, mp3, flac, ogg, m4a) found")
    audio_s = sum(load_audio(f).duration for f in files)
    refs = read_references(Path(references)) if references else {}
    refs = {k: v for k, v in refs.items() if k in {str(f.resolve()) for f in files}}

    class _Args:
        pass

    a = _Args()
    a.model, a.device, a.workers = model, device, workers
    bare_runs, our_runs = [], []
    for _ in range(max(1, repeat)):
        bare_runs.append(_child("bare", files, a, refs))
        our_runs.append(_child("analyser", files, a, refs))
    bare, ours = _median_run(bare_runs), _median_run(our_runs)

    def side(r: dict) -> dict:
        return {"wall_s": round(r["wall_s"], 2), "audio_s_per_wall_s": round(audio_s / r["wall_s"], 2),
                "cpu_s": round(r["cpu_s"], 2),
                "peak_rss_mb": round(r["peak_rss_mb"], 1), "wer": r["wer"]}

    wer_diff = None
    if bare["wer"] is not None and ours["wer"] is not None:
        wer_diff = round(ours["wer"] - bare["wer"], 4)
    return {
        "machine": machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "model": model,
        "device": device,
        "recordings": len(files),
        "references": len(refs),
        "audio_s": round(audio_s, 1),
        "bare_faster_whisper": side(bare),
        "analyser_run": {**side(ours), "exit_code": ours["exit_code"], "workers": ours["workers"]},
        "repeat": len(bare_runs),
        "runs_wall_s": {"bare_faster_whisper": [round(r["wall_s"], 2) for r in bare_runs],
                        "analyser_run": [round(r["wall_s"], 2) for r in our_runs]},
        "speedup": round(bare["wall_s"] / ours["wall_s"], 3),
        "cpu_ratio": round(bare["cpu_s"] / ours["cpu_s"], 3),
        "wer_difference": wer_diff,
    }


def format_bench(r: dict) -> str:
    lines = [f"{r['recordings']} recordings, {r['audio_s']:.1f} s of audio, model {r['model']} on {r['device']}",
             f"machine: {r['machine']} (load average {r['load_average'][0]:.2f} at the end)",
             f"{'':22}{'wall s':>9}{'audio s/wall s':>16}{'CPU s':>9}{'peak MB':>10}{'WER':>8}"]
    for name, key in (("bare faster-whisper", "bare_faster_whisper"), ("analyser run", "analyser_run")):
        s = r[key]
        wer = f"{s['wer']:.3f}" if s["wer"] is not None else "-"
        lines.append(f"{name:22}{s['wall_s']:9.2f}{s['audio_s_per_wall_s']:16.2f}{s['cpu_s']:9.1f}"
                     f"{s['peak_rss_mb']:10.1f}{wer:>8}")
    if r.get("repeat", 1) > 1:
        lines.append(f"median of {r['repeat']} runs each, taking turns; wall s of every run: bare "
                     f"{', '.join(map(str, r['runs_wall_s']['bare_faster_whisper']))}; analyser "
                     f"{', '.join(map(str, r['runs_wall_s']['analyser_run']))}")
    lines.append(f"speed-up (bare wall time / analyser wall time): {r['speedup']:.2f}x; "
                 f"CPU time, bare / analyser: {r['cpu_ratio']:.2f}x")
    if r["wer_difference"] is not None:
        lines.append(f"word error rate, analyser minus bare: {r['wer_difference']:+.4f} ({r['references']} references)")
    return "\n".join(lines)


def cmd_bench(args) -> int:
    if args.workers is not None and args.workers < 1:
        from .errors import AnalyserError

        raise AnalyserError("USE004", f"--workers {args.workers}: must be 1 or more")
    if args.repeat < 1:
        from .errors import AnalyserError

        raise AnalyserError("USE004", f"--repeat {args.repeat}: must be 1 or more")
    result = run_bench(args.paths, model=args.model, device=args.device, workers=args.workers,
                       references=args.references, repeat=args.repeat)
    print(format_bench(result))
    if args.json:
        from .batch import write_atomic

        write_atomic(Path(args.json), (json.dumps(result, indent=2) + "\n").encode("utf-8"))
    return 0


if __name__ == "__main__":
    _child_main(sys.argv[1:])
