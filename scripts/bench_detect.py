"""How fast the detectors (patterns, rules and the learned classifier) read transcribed calls.

    .venv/bin/python scripts/bench_detect.py [--calls 100] [--turns 150] [--workers 2]

Builds synthetic 10-minute calls (about 150 turns each) by sampling turns of the dev calls
in their speaking order, each turn given a call-unique suffix so no embedding is reused
across calls. ``--workers`` processes (one per CPU core, each torch on one thread) load
every model once, then analyse their share of the calls with run_detectors. Prints calls per
second and the time projected for 1,000 calls; the target is under 5 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_NUMBERS = "one two three four five six seven eight nine ten".split()


def synthetic_calls(n: int, turns: int, seed: int = 0):
    from analyser.transcripts import read_jsonl
    from analyser.types import Transcript, Turn

    dev = [r.transcript for r in read_jsonl(ROOT / "eval" / "dev-calls.jsonl") if r.transcript]
    rng = random.Random(seed)
    calls = []
    for c in range(n):
        out, t = [], 0.0
        while len(out) < turns:
            src = rng.choice(dev)  # whole stretches of real calls, so the order rules have work to do
            for turn in src.turns[rng.randrange(len(src.turns)) if out else 0:]:
                if len(out) == turns:
                    break
                text = f"{turn.text} {_NUMBERS[c % 10]} {_NUMBERS[len(out) % 10]}"  # unique per call
                dur = max(1.0, len(text.split()) / 2.5)
                out.append(Turn(len(out), turn.speaker, text, round(t, 2), round(t + dur, 2)))
                t += dur + 0.6
        calls.append(Transcript(f"bench-{c:04d}", tuple(out), duration=t))
    return calls


def _worker(args):
    calls, threads = args
    import torch

    torch.set_num_threads(threads)
    from analyser import classifier
    from analyser.detectors import build_detectors, run_detectors

    t0 = time.perf_counter()
    detectors = build_detectors()
    classifier.packaged_heads()
    if classifier.model_labels() != frozenset():  # the encoder only when some label needs it
        classifier.encoder()
    run_detectors(calls[0], detectors)  # warm: patterns compiled, spaCy loaded
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = sum(len(run_detectors(c, detectors)) for c in calls)
    return load, time.perf_counter() - t0, findings


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--turns", type=int, default=150)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)
    calls = synthetic_calls(args.calls, args.turns)
    shares = [(calls[i::args.workers], 1) for i in range(args.workers)]
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(args.workers) as pool:
        results = pool.map(_worker, shares)
    wall = time.perf_counter() - t0
    load = max(r[0] for r in results)
    busy = max(r[1] for r in results)
    rate = args.calls / busy
    figures = {"calls": args.calls, "turns_per_call": args.turns, "workers": args.workers,
               "cpu_count": os.cpu_count(), "model_load_s": round(load, 1), "detect_s": round(busy, 1),
               "wall_s": round(wall, 1), "calls_per_s": round(rate, 2),
               "projected_1000_calls_s": round(1000 / rate + load, 1),
               "findings": sum(r[2] for r in results)}
    print(json.dumps(figures, indent=2))
    print(f"1,000 calls of {args.turns} turns: about {figures['projected_1000_calls_s'] / 60:.1f} min "
          f"on {args.workers} workers (target: under 5 min on 2 cores)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
