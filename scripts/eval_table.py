#!/usr/bin/env python3
"""Print an `analyser eval --json` result as a Markdown table (for the README)."""
import json
import sys

data = json.load(open(sys.argv[1], encoding="utf-8"))
print(f"| label | turn P | turn R | turn F1 | turns | call P | call R | call F1 | calls |")
print("|---|---|---|---|---|---|---|---|---|")
for label, t in data["turn_level"].items():
    c = data["call_level"][label]
    print(f"| `{label}` | {t['precision']:.3f} | {t['recall']:.3f} | {t['f1']:.3f} | {t['support']} "
          f"| {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
ev = data["evidence"]
print(f"\nEvidence precision: {ev['precision']:.3f} ({ev['correct']} of {ev['quotes']} quotes), {data['calls']} calls.")
