"""Training the utterance heads: ``analyser train`` rebuilds models/utterance-heads.npz.

Examples come from our own labelled data: the training utterances (training/utterances.jsonl:
speaker, context, text, labels, discloses_account_data) and labelled calls (eval/dev-calls.jsonl
shape). Each example is a turn with the other speaker's turn before it, its gold labels, and
the pattern score the detectors give it alone (so the fusion layer learns how far to trust
a pattern hit against the model).

Per behaviour: a logistic regression on the encoder features; its raw score Platt-calibrated
on out-of-fold predictions (folds grouped by call, so no call is scored by a head that saw
it); then a three-weight fusion of the calibrated model probability with the pattern score,
fitted on the same out-of-fold predictions. Fixed folds, deterministic solvers, the same
bytes from the same data.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from . import classifier
from .classifier import DIM, HEAD_SPEAKER, Heads, _logit, features
from .errors import InputError
from .types import Transcript, Turn

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
TRAINING_FILE = ROOT / "training" / "utterances.jsonl"
DEV_FILE = ROOT / "eval" / "dev-calls.jsonl"
FOLDS = 5
C_HEAD = 2.0  # inverse L2 strength of the heads (chosen by cross-validation on dev, see README)
DISCLOSE = "discloses_account_data"
# The detector label whose pattern score feeds each head's fusion.
RULE_LABEL = {lab: lab for lab in HEAD_SPEAKER} | {DISCLOSE: "disclosure_before_verification"}
_OPENING = "Thank you for calling, how can I help?"


@dataclass
class Examples:
    """Turns to learn from: features, gold per head (1, 0, or -1 = unknown), pattern scores."""

    feats: np.ndarray
    speaker: np.ndarray  # "agent" / "customer"
    gold: dict[str, np.ndarray]
    rule: dict[str, np.ndarray]
    group: np.ndarray  # call id (or utterance id): folds never split a group
    call_ids: list[str] = field(default_factory=list)

    def subset(self, mask: np.ndarray) -> "Examples":
        return Examples(self.feats[mask], self.speaker[mask], {k: v[mask] for k, v in self.gold.items()},
                        {k: v[mask] for k, v in self.rule.items()}, self.group[mask])

    @staticmethod
    def concat(parts: list["Examples"]) -> "Examples":
        parts = [p for p in parts if len(p.feats)]
        return Examples(np.concatenate([p.feats for p in parts]), np.concatenate([p.speaker for p in parts]),
                        {k: np.concatenate([p.gold[k] for p in parts]) for k in HEAD_SPEAKER},
                        {k: np.concatenate([p.rule[k] for p in parts]) for k in HEAD_SPEAKER},
                        np.concatenate([p.group for p in parts]))


def rule_scores(transcript: Transcript, detectors) -> dict[tuple[int, str], float]:
    """The detectors' best score per (turn, label) on patterns and rules alone."""
    from .detectors import run_detectors

    previous = classifier._active["heads"]
    classifier.use_heads(None)
    try:
        findings = run_detectors(transcript, detectors)
    finally:
        classifier.use_heads(previous)
    out: dict[tuple[int, str], float] = {}
    for f in findings:
        if f.present and f.turn is not None:
            out[(f.turn, f.label)] = max(out.get((f.turn, f.label), 0.0), f.score)
    return out


def verified_from(transcript: Transcript) -> int:
    """Index of the first turn after gold verification (a customer answer to a gold check)."""
    asked = False
    for t in transcript.turns:
        if t.speaker == "agent" and "verify_identity" in t.labels:
            asked = True
        elif t.speaker == "customer" and asked:
            return t.index + 1
    return len(transcript.turns)


def call_examples(transcripts: Iterable[Transcript], detectors) -> Examples:
    feats, speakers, groups = [], [], []
    gold = {k: [] for k in HEAD_SPEAKER}
    rule = {k: [] for k in HEAD_SPEAKER}
    ids = []
    for tr in transcripts:
        ids.append(tr.call_id)
        feats.append(classifier.call_features(tr))
        scores = rule_scores(tr, detectors)
        after = verified_from(tr)
        for t in tr.turns:
            speakers.append(t.speaker)
            groups.append(tr.call_id)
            for lab in HEAD_SPEAKER:
                if lab == DISCLOSE:
                    g = 1 if "disclosure_before_verification" in t.labels else (0 if t.index < after else -1)
                else:
                    g = int(lab in t.labels)
                gold[lab].append(g)
                rule[lab].append(scores.get((t.index, RULE_LABEL[lab]), 0.0))
    if not feats:
        return _empty()
    return Examples(np.concatenate(feats), np.array(speakers), {k: np.array(v) for k, v in gold.items()},
                    {k: np.array(v, dtype=float) for k, v in rule.items()}, np.array(groups), ids)


def _empty() -> Examples:
    return Examples(np.zeros((0, 2 * DIM), np.float32), np.array([], dtype="<U8"),
                    {k: np.array([], dtype=int) for k in HEAD_SPEAKER},
                    {k: np.array([], dtype=float) for k in HEAD_SPEAKER}, np.array([], dtype="<U8"))


def read_utterances(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if rec["speaker"] not in ("agent", "customer") or not isinstance(rec["text"], str):
                raise ValueError("speaker must be agent or customer, text a string")
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError("INP007", f"{path} line {n}: not a training utterance ({exc})") from exc
        rec["_id"] = rec.get("id") or f"{path.stem}-{n}"
        out.append(rec)
    return out


def utterance_call(rec: dict) -> Transcript:
    """A training utterance as a tiny call: an opening (agent utterances), its context, itself."""
    sp, ctx = rec["speaker"], (rec.get("context") or "").strip()
    other = "customer" if sp == "agent" else "agent"
    pairs = ([("agent", _OPENING)] if sp == "agent" else []) + ([(other, ctx)] if ctx else []) + [(sp, rec["text"])]
    return Transcript(rec["_id"], tuple(Turn(i, s, t) for i, (s, t) in enumerate(pairs)))


def utterance_examples(records: list[dict], detectors) -> Examples:
    """Training utterances as tiny calls: an opening, the context turn, then the utterance."""
    if not records:
        return _empty()
    texts, ctxs, speakers, groups = [], [], [], []
    gold = {k: [] for k in HEAD_SPEAKER}
    rule = {k: [] for k in HEAD_SPEAKER}
    for rec in records:
        sp, ctx = rec["speaker"], (rec.get("context") or "").strip()
        call = utterance_call(rec)
        scores = rule_scores(call, detectors)
        target = len(call.turns) - 1
        labels = set(rec.get("labels") or ())
        for lab in HEAD_SPEAKER:
            if lab == DISCLOSE:
                d = rec.get(DISCLOSE)
                g = -1 if d is None else int(bool(d))
            else:
                g = int(lab in labels)
            gold[lab].append(g)
            rule[lab].append(scores.get((target, RULE_LABEL[lab]), 0.0))
        texts.append(rec["text"])
        ctxs.append(ctx)
        speakers.append(sp)
        groups.append(rec["_id"])
    emb = classifier.embed(texts)
    cemb = classifier.embed(ctxs)
    return Examples(features(emb, cemb), np.array(speakers), {k: np.array(v) for k, v in gold.items()},
                    {k: np.array(v, dtype=float) for k, v in rule.items()}, np.array(groups))


# --- fitting ---------------------------------------------------------------------------------

def group_folds(groups: np.ndarray, k: int) -> np.ndarray:
    """A fold number per row: groups dealt round-robin in sorted order (deterministic)."""
    names = sorted(set(groups.tolist()))
    fold_of = {g: i % k for i, g in enumerate(names)}
    return np.array([fold_of[g] for g in groups.tolist()])


def _logreg(x: np.ndarray, y: np.ndarray, c: float, balanced: bool):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, solver="lbfgs", class_weight="balanced" if balanced else None)
    return model.fit(x, y)


def _fit_label(x, y, rule, groups, c: float):
    """One head: weights, bias, Platt (a, b), fusion (4), and the out-of-fold fused probabilities."""
    if y.sum() == 0 or y.sum() == len(y):
        w = np.zeros(x.shape[1])
        prior = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
        return w, 0.0, np.array([0.0, _logit(prior)]), np.array([0.0, 0.0, 0.0, _logit(prior)]), np.full(len(y), prior)
    folds = group_folds(groups, FOLDS)
    raw = np.zeros(len(y))
    for f in range(FOLDS):
        test = folds == f
        train = ~test
        if test.sum() == 0 or len(set(y[train].tolist())) < 2:
            continue
        m = _logreg(x[train], y[train], c, True)
        raw[test] = m.decision_function(x[test])
    platt_m = _logreg(raw[:, None], y, 1e4, False)
    a, b = float(platt_m.coef_[0, 0]), float(platt_m.intercept_[0])
    p_oof = 1 / (1 + np.exp(-(a * raw + b)))
    fusion, fused_oof = fit_fusion(p_oof, rule, y)
    final = _logreg(x, y, c, True)
    return final.coef_[0], float(final.intercept_[0]), np.array([a, b]), fusion, fused_oof


def fit_fusion(p_model: np.ndarray, rule: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far to trust a learned reader and the patterns together: a logistic regression of
    the answer on logit(reader's calibrated out-of-fold probability), the pattern score and
    whether a pattern hit. Returns (w_model, w_rule, w_hit, c) and the fused probabilities."""
    z = np.column_stack([_logit(p_model), rule, (rule > 0).astype(float)])
    fuse_m = _logreg(z, y, 10.0, False)
    return np.concatenate([fuse_m.coef_[0], fuse_m.intercept_]), fuse_m.predict_proba(z)[:, 1]


def fit_heads(ex: Examples, c: float = C_HEAD) -> tuple[Heads, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Heads for every behaviour, and per behaviour (gold, out-of-fold fused probability)."""
    labels = tuple(HEAD_SPEAKER)
    W = np.zeros((len(labels), 2 * DIM))
    B, P, F = np.zeros(len(labels)), np.zeros((len(labels), 2)), np.zeros((len(labels), 4))
    oof = {}
    for k, lab in enumerate(labels):
        rows = (ex.speaker == HEAD_SPEAKER[lab]) & (ex.gold[lab] >= 0)
        y = ex.gold[lab][rows].astype(int)
        W[k], B[k], P[k], F[k], fused = _fit_label(ex.feats[rows], y, ex.rule[lab][rows], ex.group[rows], c)
        oof[lab] = (y, fused)
    return Heads(labels, W.astype(np.float32), B.astype(np.float32), P, F), oof


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted probability and observed frequency, weighted by bin size."""
    if not len(y):
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    err = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            err += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(err)


def load_sources(training: Path | None, calls: list[Path], detectors) -> Examples:
    from .transcripts import read_jsonl

    parts = []
    if training is not None and training.is_file():
        parts.append(utterance_examples(read_utterances(training), detectors))
    for path in calls:
        trs = []
        for rec in read_jsonl(path):
            if rec.transcript is None:
                raise InputError(rec.error.code, rec.error.message)
            trs.append(rec.transcript)
        parts.append(call_examples(trs, detectors))
    return Examples.concat(parts)


def gate_examples(training: Path | None, calls: list[Path], detectors) -> dict:
    """The gate's examples: agent turns with what is known of their two labels (identity check,
    account data), customer turns with whether they complain, each with its group and the
    score the patterns alone give the label there (what the reader's score is fused with; a
    turn the patterns find is encoded anyway).

    Account data in a dev call is labelled only before the identity check, so later turns
    leave that label out (unknown), as they do for the heads."""
    from .gate import LABELS
    from .transcripts import read_jsonl

    out: dict = {"texts": [], "cats": [], "groups": [], "rules": []}

    def add(text, cats, group, scores, turn):
        out["texts"].append(text)
        out["cats"].append(cats)
        out["groups"].append(group)
        out["rules"].append({lab: scores.get((turn, RULE_LABEL[lab]), 0.0) for lab in LABELS})

    if training is not None and training.is_file():
        for rec in read_utterances(training):
            labels = set(rec.get("labels") or ())
            c = {lab: float(lab in labels) for lab in LABELS if lab != DISCLOSE and HEAD_SPEAKER[lab] == rec["speaker"]}
            if rec["speaker"] == "agent" and rec.get(DISCLOSE) is not None:
                c[DISCLOSE] = float(bool(rec[DISCLOSE]))
            call = utterance_call(rec)
            add(rec["text"], c, rec["_id"], rule_scores(call, detectors), len(call.turns) - 1)
    for path in calls:
        for rec in read_jsonl(path):
            tr = rec.transcript
            if tr is None:
                raise InputError(rec.error.code, rec.error.message)
            after = verified_from(tr)
            scores = rule_scores(tr, detectors)
            for t in tr.turns:
                c = {lab: float(lab in t.labels) for lab in LABELS if lab != DISCLOSE and HEAD_SPEAKER[lab] == t.speaker}
                if t.speaker == "agent" and ("disclosure_before_verification" in t.labels or t.index < after):
                    c[DISCLOSE] = float("disclosure_before_verification" in t.labels)
                add(t.text, c, tr.call_id, scores, t.index)
    return out


def train(out: Path = classifier.HEADS_FILE, training: Path | None = TRAINING_FILE,
          calls: list[Path] | None = None, gate_out: Path | None = None) -> dict:
    """Rebuild the heads and the gate from our data, write them and return their sha256 and figures."""
    import hashlib

    from . import gate as gate_mod
    from .detectors import build_detectors

    np.random.seed(0)
    detectors = build_detectors()
    calls = [DEV_FILE] if calls is None else calls
    ex = load_sources(training, calls, detectors)
    heads, oof = fit_heads(ex)
    heads.save(out)
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    ece = {lab: round(expected_calibration_error(y, p), 4) for lab, (y, p) in oof.items()}
    gate, gate_figures = gate_mod.fit_gate(**gate_examples(training, calls, detectors))
    gate_out = gate_out or out.parent / gate_mod.GATE_FILE.name
    gate_out.write_bytes(gate.to_bytes())
    return {"file": str(out), "sha256": sha, "examples": int(len(ex.feats)),
            "positives": {lab: int(y.sum()) for lab, (y, _) in oof.items()}, "ece_out_of_fold": ece,
            "gate": {"file": str(gate_out), "sha256": hashlib.sha256(gate_out.read_bytes()).hexdigest(),
                     "labels": gate_figures}}


def record_in_manifest(sha256: str, manifest: Path | None = None, key: str = classifier.HEADS_KEY) -> None:
    """Pin a rebuilt model's sha256 in models/manifest.yaml (its entry's sha256 line only)."""
    import re

    from . import gate
    from .models import _read_manifest, manifest_path

    path = manifest or manifest_path()
    text = path.read_text(encoding="utf-8")
    entry = re.search(rf"(?ms)^  {re.escape(key)}:\n.*?(?=^  \S|\Z)", text)
    if entry is None:
        raise InputError("INP008", f"{path}: no '{key}' entry to record the sha256 in")
    block = re.sub(r"(?m)^(    sha256: )\S+", rf"\g<1>{sha256}", entry.group(0), count=1)
    path.write_text(text[:entry.start()] + block + text[entry.end():], encoding="utf-8")
    _read_manifest.cache_clear()
    classifier.packaged_heads.cache_clear()
    gate.packaged_gate.cache_clear()
