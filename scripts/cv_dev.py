"""Cross-validated accuracy on the development calls: the figures the README reports.

    .venv/bin/python scripts/cv_dev.py [--folds 5] [--json eval/cv-dev.json] [--readme]

The dev calls are split into folds by call (round-robin over sorted call ids). For each
fold, the utterance heads and the bag-of-words classifier (the gate) are trained on the
training utterances (training/utterances.jsonl, when present) and the other folds' calls, then
the full detectors (patterns, rules of order and context, both readers) run on the held-out
fold's calls. The per-fold results are pooled into one table, with the expected calibration
error, on the held-out turns, of the fused probability that decides each label (the text
reader's for `text_labels`, the head's for the others). Deterministic: the same data gives the same figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyser import classifier, gate, train  # noqa: E402
from analyser.classifier import HEAD_SPEAKER  # noqa: E402
from analyser.detectors import build_detectors, run_detectors  # noqa: E402
from analyser.evaluate import EvalReport, format_table, score_call  # noqa: E402
from analyser.transcripts import read_jsonl  # noqa: E402


def cross_validate(folds: int = train.FOLDS, dev: Path = train.DEV_FILE,
                   training: Path | None = train.TRAINING_FILE) -> dict:
    detectors = build_detectors()
    calls = [r.transcript for r in read_jsonl(dev) if r.transcript is not None]
    base = (train.utterance_examples(train.read_utterances(training), detectors)
            if training is not None and training.is_file() else train._empty())
    dev_ex = train.call_examples(calls, detectors)
    gate_ex = train.gate_examples(training, [dev], detectors)
    fold_of_call = dict(zip(sorted(c.call_id for c in calls), (i % folds for i in range(len(calls)))))
    row_fold = np.array([fold_of_call[g] for g in dev_ex.group.tolist()])
    report = EvalReport()
    held: dict[str, tuple[list, list]] = {lab: ([], []) for lab in HEAD_SPEAKER}
    text_held: dict[str, tuple[list, list]] = {lab: ([], []) for lab in classifier.text_labels()}
    for f in range(folds):
        heads, _ = train.fit_heads(train.Examples.concat([base, dev_ex.subset(row_fold != f)]))
        test = dev_ex.subset(row_fold == f)
        proba = heads.model_proba(test.feats)
        for k, lab in enumerate(heads.labels):
            rows = np.flatnonzero((test.speaker == HEAD_SPEAKER[lab]) & (test.gold[lab] >= 0))
            held[lab][0].extend(test.gold[lab][rows].tolist())
            held[lab][1].extend(heads.fuse(lab, proba[r, k], test.rule[lab][r]) for r in rows)
        keep = [i for i, g in enumerate(gate_ex["groups"]) if fold_of_call.get(g, -1) != f]
        fold_gate, _ = gate.fit_gate(**{k: [v[i] for i in keep] for k, v in gate_ex.items()})
        # the labels the bag-of-words reader decides: its fused probability on the held-out turns
        out_rows = [i for i, g in enumerate(gate_ex["groups"]) if fold_of_call.get(g, -1) == f]
        gate_scores = fold_gate.scores([gate_ex["texts"][i] for i in out_rows])
        for lab in classifier.text_labels():
            for r, i in enumerate(out_rows):
                if lab in gate_ex["cats"][i]:
                    rule = gate_ex["rules"][i][lab]
                    p_cal = float(fold_gate.calibrated(gate_scores[r:r + 1], lab)[0])
                    text_held[lab][0].append(int(gate_ex["cats"][i][lab] >= 0.5))
                    text_held[lab][1].append(fold_gate.fuse(lab, p_cal, rule if rule >= 0.5 else 0.0))
        classifier.use_heads(heads)
        classifier.use_gate(fold_gate)
        try:
            for tr in calls:
                if fold_of_call[tr.call_id] == f:
                    score_call(report, tr, run_detectors(tr, detectors))
        finally:
            classifier.use_heads("packaged")
            classifier.use_gate("packaged")
    held.update(text_held)  # what decides these labels is the text reader, not the head
    ece = {lab: round(train.expected_calibration_error(np.array(y), np.array(p)), 4) for lab, (y, p) in held.items()}
    return {"file": str(dev.relative_to(ROOT)) if dev.is_relative_to(ROOT) else str(dev), "folds": folds,
            "training_utterances": int(len(base.feats)), "method": "k-fold by call; heads and gate trained "
            "on the training utterances and the other folds; patterns and rules unchanged",
            **report.as_dict(), "calibration_ece": ece}, report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=train.FOLDS)
    ap.add_argument("--json", default=str(ROOT / "eval" / "cv-dev.json"), help="where to write the figures")
    ap.add_argument("--readme", action="store_true", help="also rewrite the README's table from the figures")
    args = ap.parse_args(argv)
    t0 = time.time()
    out, report = cross_validate(args.folds)
    out.pop("errors", None)
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(format_table(report))
    print("\nexpected calibration error (held-out turns, fused probability):",
          ", ".join(f"{k} {v:.3f}" for k, v in out["calibration_ece"].items()))
    if args.readme:
        write_readme_table(out)
    print(f"\nwritten {args.json} in {time.time() - t0:.0f} s")
    return 0


START, END = "<!-- cv-dev:start -->", "<!-- cv-dev:end -->"


def readme_table(out: dict) -> str:
    """The README's cross-validated table, printed from eval/cv-dev.json."""
    lines = [START, "", "| label | turn P | turn R | turn F1 | turns | call P | call R | call F1 | calls |",
             "|---|---|---|---|---|---|---|---|---|"]
    for lab, t in out["turn_level"].items():
        c = out["call_level"][lab]
        lines.append(f"| `{lab}` | {t['precision']:.3f} | {t['recall']:.3f} | {t['f1']:.3f} | {t['support']} | "
                     f"{c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
    ev = out["evidence"]
    ece = ", ".join(f"`{k}` {v:.3f}" for k, v in out["calibration_ece"].items())
    lines += ["", f"Evidence precision: {ev['precision']:.3f} ({ev['correct']} of {ev['quotes']} quotes), "
              f"{out['calls']} calls, {out['folds']} folds, {out['training_utterances']} training utterances.",
              f"Expected calibration error of the fused probabilities on the held-out turns: {ece}.", "", END]
    return "\n".join(lines)


def write_readme_table(out: dict, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} section to fill")
    head, rest = text.split(START, 1)
    readme.write_text(head + readme_table(out) + rest.split(END, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
