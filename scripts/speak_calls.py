"""Speak labelled calls aloud, to measure the whole pipeline from recordings.

    .venv/bin/python scripts/speak_calls.py eval/heldout-calls.jsonl --layout stereo16k --out /tmp/heldout-stereo
    .venv/bin/analyser eval /tmp/heldout-stereo/calls.jsonl

Each call of a labelled JSONL file (FORMAT.md) is rendered with espeak-ng and sox exactly as
the bundled samples are (scripts/make_samples.py: one voice per speaker, short pauses), in one
recording layout:

- ``stereo16k``: agent on the left channel, customer on the right, 16 kHz, 16-bit PCM;
- ``mono8k``: both speakers on one channel, 8 kHz, mu-law (a telephone recording).

It writes the recordings and ``calls.jsonl`` (the same calls, labels and turns, each with its
``audio``) under ``--out``; ``analyser eval`` on that file transcribes every recording and
scores the call-level labels. Needs espeak-ng and sox.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = {"stereo16k": (2, 16000, "pcm16", "wav"), "mono8k": (1, 8000, "u-law", "wav")}


def _samples_module():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", type=Path, help="labelled calls (JSONL, FORMAT.md)")
    ap.add_argument("--layout", choices=sorted(LAYOUTS), default="stereo16k")
    ap.add_argument("--out", type=Path, required=True, help="folder for the recordings and calls.jsonl")
    args = ap.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"speak_calls: {tool} is not installed", file=sys.stderr)
            return 2
    ms = _samples_module()
    channels, rate, encoding, ext = LAYOUTS[args.layout]
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for line in args.file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            call = json.loads(line)
            lines = tuple(ms.Line(t["speaker"], t["text"], tuple(t.get("labels") or ())) for t in call["turns"])
            script = ms.Script(call["id"], call.get("meta") or {}, f"{call['id']}.{ext}", channels, rate, encoding,
                               lines)
            turns = ms.render(script, args.out, Path(tmp))
            for gold, spoken in zip(call["turns"], turns):
                gold["start"], gold["end"] = spoken["start"], spoken["end"]
            call["audio"] = script.audio  # relative to calls.jsonl, as FORMAT.md says
            written.append(call)
            print(f"{script.audio}: {turns[-1]['end']:.1f} s", flush=True)
    body = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in written)
    (args.out / "calls.jsonl").write_text(body, encoding="utf-8")
    print(f"{len(written)} calls: {args.out / 'calls.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
