"""The bag-of-words reader: spaCy's text classifier, which reads every turn for next to nothing.

spaCy's ``textcat_multilabel`` with its bag-of-words architecture (unigrams and bigrams,
hashed, one linear layer) scores every turn of a call in one pass, each label on its speaker's
turns only: identity checks, account data and listening (`hear`) in agent turns, complaints in
customer turns. Three uses:

- the reader of the labels listed under ``text_labels`` in the detector configuration: its
  score, Platt-calibrated out of fold, is fused with the pattern score by a logistic layer
  fitted out of fold (``Gate.fuse``), and that probability decides the turn
  (classifier.judge);
- the complaint reader (detectors.complaint), which adds the customer turns it reads as
  complaints to a call whose complaint a pattern has shown;
- the gate in front of the sentence encoder, for the labels listed under ``model_labels``:
  turns it scores under a threshold are not encoded unless a pattern already found the label
  there. Each threshold is set when training, from out-of-fold scores: the highest at which
  the patterns and the gate together still reach ``GATE_RECALL`` of the label's positive turns.

Trained by ``analyser train`` from the same data as the encoder's heads; one file,
models/utterance-gate.spacy, checked by sha256 before it is loaded.
"""
from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError

GATE_KEY = "utterance-gate"
GATE_FILE = Path(__file__).resolve().parent.parent / "models" / "utterance-gate.spacy"
LABELS = ("verify_identity", "discloses_account_data", "complaint", "hear")
GATE_RECALL = 1.0  # share of positive turns patterns and gate together must find (out of fold)
EPOCHS = 12
_MODEL = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2,
          "no_output_layer": False, "length": 262144}
_MAGIC = b"CAGATE1\n"


def normalise(text: str) -> str:
    """Lower case, digits kept, punctuation gone: clean and raw speech-recognition text look alike."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w'£$%]+", " ", text.lower())).strip()


def _blank():
    import spacy

    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": _MODEL})
    for label in LABELS:
        textcat.add_label(label)
    return nlp


@dataclass
class Gate:
    """The trained classifier and, per label, the score under which a turn is not encoded."""

    nlp: object
    thresholds: dict[str, float]
    # Per label, Platt (a, b) fitted on out-of-fold scores: calibrated p = sigmoid(a * logit(s) + b).
    calibration: dict[str, tuple[float, float]] | None = None
    # Per label, its fusion with the pattern score, fitted on out-of-fold calibrated scores:
    # p = sigmoid(w_model * logit(p_cal) + w_rule * rule + w_hit * hit + c).
    fusion: dict[str, tuple[float, float, float, float]] | None = None

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each label (columns in LABELS order) for each text."""
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        docs = self.nlp.pipe([normalise(t) for t in texts], batch_size=256)
        for i, doc in enumerate(docs):
            out[i] = [doc.cats.get(lab, 0.0) for lab in LABELS]
        return out

    def calibrated(self, scores: np.ndarray, label: str) -> np.ndarray:
        """A column of ``scores`` as calibrated probabilities (what a finding's score means)."""
        return apply_platt(scores[:, LABELS.index(label)], *(self.calibration or {}).get(label, (1.0, 0.0)))

    def fuse(self, label: str, p_cal: float, rule_score: float) -> float:
        """The probability of ``label`` given the calibrated score and the pattern score (0 = no hit)."""
        from .classifier import fuse_scores

        return fuse_scores((self.fusion or {})[label], p_cal, rule_score)

    def passes(self, texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
        """Which texts the encoder must read for any of ``labels``."""
        return self.above(self.scores(texts), labels)

    def above(self, scores: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """Which rows of ``scores`` (from ``scores``) reach the threshold of any of ``labels``."""
        keep = np.zeros(len(scores), dtype=bool)
        for lab in labels:
            keep |= scores[:, LABELS.index(lab)] >= self.thresholds[lab]
        return keep

    def to_bytes(self) -> bytes:
        head = json.dumps({"labels": list(LABELS), "thresholds": self.thresholds, "model": _MODEL,
                           "calibration": self.calibration or {}, "fusion": self.fusion or {}}, sort_keys=True).encode("utf-8")
        return _MAGIC + len(head).to_bytes(4, "big") + head + self.nlp.get_pipe("textcat_multilabel").to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "gate") -> "Gate":
        if not data.startswith(_MAGIC):
            raise ModelError("MOD009", f"{where}: not an utterance gate file")
        n = int.from_bytes(data[len(_MAGIC):len(_MAGIC) + 4], "big")
        head = json.loads(data[len(_MAGIC) + 4:len(_MAGIC) + 4 + n])
        if tuple(head["labels"]) != LABELS or head["model"] != _MODEL:
            raise ModelError("MOD009", f"{where}: made for other labels or another model; rebuild with `analyser train`")
        nlp = _blank()
        nlp.get_pipe("textcat_multilabel").from_bytes(data[len(_MAGIC) + 4 + n:])
        return cls(nlp, {k: float(v) for k, v in head["thresholds"].items()},
                   {k: (float(a), float(b)) for k, (a, b) in head.get("calibration", {}).items()},
                   {k: tuple(float(x) for x in v) for k, v in head.get("fusion", {}).items()})


def fit_classifier(texts: Sequence[str], cats: Sequence[dict[str, float]], seed: int = 0):
    """Train the bag-of-words classifier; ``cats`` leaves out a label whose answer is unknown."""
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    nlp = _blank()
    examples = [Example.from_dict(nlp.make_doc(normalise(t)), {"cats": dict(c)}) for t, c in zip(texts, cats)]
    nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(EPOCHS):
        order = examples[:]
        rng.shuffle(order)
        for batch in minibatch(order, size=32):
            nlp.update(batch, drop=0.0, losses={})
    return nlp


def recall_threshold(y: np.ndarray, p: np.ndarray, recall: float = GATE_RECALL,
                     covered: np.ndarray | None = None) -> float:
    """The highest threshold at which ``recall`` of the positives are at or above it or
    ``covered`` (found by the patterns, so read by the encoder whatever the gate says)."""
    covered = np.zeros(len(y), dtype=bool) if covered is None else covered
    n_pos = int((y == 1).sum())
    rest = np.sort(p[(y == 1) & ~covered])
    if not len(rest):
        return 1.0
    k = int(np.floor((1.0 - recall) * n_pos))  # positives that may be missed
    return float(rest[k]) if k < len(rest) else 1.0


def fit_gate(texts: Sequence[str], cats: Sequence[dict[str, float]], groups: Sequence[str],
             rules: Sequence[dict[str, float]] | None = None, folds: int = 5) -> tuple[Gate, dict]:
    """Train the gate; thresholds, calibration and fusion with the pattern score (``rules``:
    the patterns' score per label, 0 without a hit) from out-of-fold scores (folds grouped, as
    for the heads)."""
    from .train import expected_calibration_error, fit_fusion, group_folds

    fold = group_folds(np.array(groups), folds)
    oof = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    for f in range(folds):
        rows = np.flatnonzero(fold != f)
        nlp = fit_classifier([texts[i] for i in rows], [cats[i] for i in rows])
        test = np.flatnonzero(fold == f)
        oof[test] = Gate(nlp, {lab: 0.0 for lab in LABELS}).scores([texts[i] for i in test])
    thresholds, figures, calibration, fusion = {}, {}, {}, {}
    for k, lab in enumerate(LABELS):
        known = np.array([lab in c for c in cats])
        y = np.array([int(c.get(lab, 0) >= 0.5) for c in cats])[known]
        p = oof[known, k]
        rule = np.array([float(r.get(lab, 0.0)) for r in rules])[known] if rules is not None else np.zeros(len(y))
        rule = np.where(rule >= 0.5, rule, 0.0)  # under the detectors' threshold counts as no hit, as in judge
        cov = rule > 0
        t = recall_threshold(y, p, covered=cov)
        thresholds[lab] = round(t, 6)
        calibration[lab] = platt(y, p)
        p_cal = apply_platt(p, *calibration[lab])
        if y.min() != y.max():
            weights, fused = fit_fusion(p_cal, rule, y)
            fusion[lab] = tuple(round(float(w), 6) for w in weights)
        else:
            fused = p_cal
        negatives = max(1, int((y == 0).sum()))
        figures[lab] = {"threshold": round(t, 4), "positives": int(y.sum()),
                        "recall_out_of_fold": round(float((p[y == 1] >= t).mean()) if y.sum() else 1.0, 4),
                        "recall_with_patterns": round(float(((p >= t) | (cov if cov is not None else False))[y == 1].mean())
                                                      if y.sum() else 1.0, 4),
                        "negatives_passed": round(float((p[y == 0] >= t).sum()) / negatives, 4),
                        # in-sample for the calibration and fusion, out of fold for the classifier
                        "calibration_error": round(expected_calibration_error(y, p_cal), 4),
                        "fused_calibration_error": round(expected_calibration_error(y, fused), 4),
                        "fused_f1_at_half": _f1(y, fused >= 0.5)}
    return Gate(fit_classifier(texts, cats), thresholds, calibration, fusion), figures


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((pred & (y == 1)).sum())
    return round(2 * tp / max(1, int(pred.sum()) + int(y.sum())), 4)


def apply_platt(p: np.ndarray, a: float, b: float) -> np.ndarray:
    """Scores ``p`` mapped to calibrated probabilities: sigmoid(a * logit(p) + b)."""
    from .classifier import _logit, _sigmoid

    return _sigmoid(a * _logit(np.asarray(p, dtype=np.float64)) + b)


def platt(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Platt scaling of scores ``p`` against answers ``y``: (a, b), rounded so the file is stable."""
    from sklearn.linear_model import LogisticRegression

    from .classifier import _logit

    if y.min() == y.max():
        return 1.0, 0.0
    m = LogisticRegression(C=1e4, max_iter=2000, solver="lbfgs").fit(_logit(np.asarray(p, dtype=np.float64))[:, None], y)
    return round(float(m.coef_[0, 0]), 6), round(float(m.intercept_[0]), 6)


@functools.lru_cache(maxsize=1)
def packaged_gate() -> Gate:
    """The trained gate in models/, refused unless its sha256 is the one in the manifest."""
    from .models import trained_file

    path = trained_file(GATE_KEY, GATE_FILE.parent, "utterance gate")
    try:
        return Gate.from_bytes(path.read_bytes(), str(path))
    except (ValueError, KeyError) as exc:
        raise ModelError("MOD009", f"{path}: cannot read the utterance gate ({exc})") from exc
