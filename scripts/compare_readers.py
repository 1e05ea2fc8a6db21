"""Which learned reader is better: spaCy's text classifier or the sentence encoder with a head?

    .venv/bin/python scripts/compare_readers.py [--json eval/readers.json]

For the labels the gate's classifier knows (identity checks and account data in agent turns,
complaints in customer turns), both readers are trained and scored out of fold on the same
examples (each label on its speaker's turns of the training utterances and the dev calls,
folds grouped by call, as ``analyser train`` does):

- spaCy textcat: textcat_multilabel with the bag-of-words architecture (analyser.gate);
- encoder + head: MiniLM embeddings of the turn and its context, a logistic head, Platt
  calibration (analyser.classifier / analyser.train);
- spaCy textcat + patterns: its score fused with the pattern score the same way;
- encoder + head + patterns: the head's probability fused with the pattern score.

Prints, per label and reader, ROC AUC, average precision and precision/recall/F1 at 0.5, and
the time each takes to read 1,000 turns on one core.
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
from analyser.detectors import build_detectors  # noqa: E402


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    for v in np.unique(p):  # ties share their mean rank
        tie = p == v
        ranks[tie] = ranks[tie].mean()
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg)) if pos and neg else float("nan")


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-p, kind="mergesort")
    hits = y[order].cumsum()
    precision = hits / np.arange(1, len(y) + 1)
    return float((precision * y[order]).sum() / max(1, y.sum()))


def at_half(y: np.ndarray, p: np.ndarray) -> dict:
    pred = p >= 0.5
    tp = int((pred & (y == 1)).sum())
    prec = tp / max(1, int(pred.sum()))
    rec = tp / max(1, int(y.sum()))
    return {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(2 * prec * rec / max(1e-9, prec + rec), 3)}


def figures(y, p) -> dict:
    return {"roc_auc": round(roc_auc(y, p), 4), "average_precision": round(average_precision(y, p), 4), **at_half(y, p)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=str(ROOT / "eval" / "readers.json"))
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    detectors = build_detectors()
    ex = train.load_sources(train.TRAINING_FILE, [train.DEV_FILE], detectors)
    gx = train.gate_examples(train.TRAINING_FILE, [train.DEV_FILE], detectors)
    assert len(ex.speaker) == len(gx["texts"]), "gate and head examples must be the same turns"
    texts = gx["texts"]
    folds = train.group_folds(np.array(gx["groups"]), train.FOLDS)

    textcat_oof = np.zeros((len(texts), len(gate.LABELS)))
    for f in range(train.FOLDS):
        rows = np.flatnonzero(folds != f)
        nlp = gate.fit_classifier([texts[i] for i in rows], [gx["cats"][i] for i in rows])
        test = np.flatnonzero(folds == f)
        textcat_oof[test] = gate.Gate(nlp, {}).scores([texts[i] for i in test])

    out: dict = {"examples": len(texts), "folds": train.FOLDS, "labels": {}}
    for k, lab in enumerate(gate.LABELS):
        own = ex.speaker == classifier.HEAD_SPEAKER[lab]  # each label on its speaker's turns
        known = own & (ex.gold[lab] >= 0)
        y = ex.gold[lab][known].astype(int)
        x = ex.feats[known]
        rule = ex.rule[lab][known]
        raw = np.zeros(len(y))
        for f in range(train.FOLDS):
            test = folds[known] == f
            m = train._logreg(x[~test], y[~test], train.C_HEAD, True)
            raw[test] = m.decision_function(x[test])
        platt = train._logreg(raw[:, None], y, 1e4, False)
        p_head = platt.predict_proba(raw[:, None])[:, 1]
        z = np.column_stack([train._logit(p_head), rule, (rule > 0).astype(float)])
        p_fused = train._logreg(z, y, 10.0, False).predict_proba(z)[:, 1]
        p_text = textcat_oof[known, k]
        zt = np.column_stack([train._logit(p_text), rule, (rule > 0).astype(float)])
        p_text_fused = train._logreg(zt, y, 10.0, False).predict_proba(zt)[:, 1]
        out["labels"][lab] = {"positives": int(y.sum()), "turns": int(len(y)),
                              "spacy_textcat": figures(y, p_text),
                              "spacy_textcat_with_patterns": figures(y, p_text_fused),
                              "encoder_head": figures(y, p_head),
                              "encoder_head_with_patterns": figures(y, p_fused)}

    sample = (texts * (1000 // len(texts) + 1))[:1000]
    g = gate.Gate(gate.fit_classifier(texts[:200], gx["cats"][:200]), {})
    t0 = time.perf_counter()
    g.scores(sample)
    t_textcat = time.perf_counter() - t0
    t0 = time.perf_counter()
    classifier.embed([f"{t} ." for t in sample])  # a changed text: no cache
    t_encoder = time.perf_counter() - t0
    out["seconds_per_1000_turns_one_core"] = {"spacy_textcat": round(t_textcat, 3), "encoder": round(t_encoder, 2)}

    Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"{'label':24} {'reader':28} {'AUC':>6} {'AP':>6} {'P@.5':>6} {'R@.5':>6} {'F1@.5':>6}")
    for lab, r in out["labels"].items():
        for reader in ("spacy_textcat", "spacy_textcat_with_patterns", "encoder_head", "encoder_head_with_patterns"):
            f = r[reader]
            print(f"{lab:24} {reader:28} {f['roc_auc']:6.3f} {f['average_precision']:6.3f} {f['precision']:6.3f} "
                  f"{f['recall']:6.3f} {f['f1']:6.3f}")
    s = out["seconds_per_1000_turns_one_core"]
    print(f"1,000 turns on one core: spaCy textcat {s['spacy_textcat']:.3f} s, encoder {s['encoder']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
