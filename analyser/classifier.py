"""The learned utterance classifier: a sentence encoder and one small head per behaviour.

Patterns catch the fixed phrases; people paraphrase in far more ways than patterns can
list ("nobody has bothered to ring me back", "so the bill jumped after the meter swap"). This
module gives every turn a calibrated probability for each behaviour below, and the detectors
combine it with their own pattern evidence and the rules of order and context.

- Encoder: all-MiniLM-L6-v2 from its pinned package (sha256 checked by analyser.models),
  loaded once per process, int8 dynamic quantisation of its linear layers on the CPU. All
  turns of a call go through it in a few batched forward passes (sorted by length, cut at
  ``MAX_TOKENS``).
- Heads (``models/utterance-heads.npz``, sha256 pinned in models/manifest.yaml): a logistic
  regression per behaviour over the turn's embedding and the embedding of the other speaker's
  turn just before it (the context: what the customer said before the agent replied). Each
  head's raw score is Platt-calibrated on held-out folds, and a second small calibrated
  layer fuses it with the detector's pattern score, so a finding's score is a probability.
"""
from __future__ import annotations

import functools
import logging
import threading
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError
from .types import Transcript

log = logging.getLogger(__name__)

HEADS_KEY = "utterance-heads"
HEADS_FILE = Path(__file__).resolve().parent.parent / "models" / "utterance-heads.npz"
MAX_TOKENS = 64
BATCH = 32
DIM = 384
# The behaviours the heads score, and whose turns they belong to.
HEAD_SPEAKER: dict[str, str] = {
    "complaint": "customer",
    "hear": "agent",
    "empathize": "agent",
    "apologize": "agent",
    "take_action": "agent",
    "verify_identity": "agent",
    # Account data of this customer in an agent turn; the identity detector decides whether
    # it came before verification.
    "discloses_account_data": "agent",
}
_lock = threading.Lock()


# --- the encoder -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def encoder():
    """Tokenizer and quantised model, loaded once per process from the checked local folder."""
    from .models import sentence_encoder_dir

    folder = sentence_encoder_dir()
    with _lock:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise ModelError("MOD008", f"{folder}: cannot load the sentence encoder ({exc})") from exc
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return tokenizer, model


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence embeddings (mean of token states), one row per text."""
    import torch

    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo = [i for i, t in enumerate(texts) if t and t.strip()]
    if not todo:
        return out
    tokenizer, model = encoder()
    todo.sort(key=lambda i: len(texts[i]))  # similar lengths together: little padding
    with torch.inference_mode():
        for k in range(0, len(todo), BATCH):
            idx = todo[k:k + BATCH]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_TOKENS,
                            return_tensors="pt")
            states = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
            out[idx] = pooled.numpy()
    return out


def context_index(turns, i: int) -> int | None:
    """The other speaker's turn just before turn ``i`` (within two turns), the head's context."""
    for j in (i - 1, i - 2):
        if j >= 0 and turns[j].speaker != turns[i].speaker:
            return j
    return None


def features(turn_emb: np.ndarray, context_emb: np.ndarray) -> np.ndarray:
    """A head's input: the turn's embedding and its context's, side by side."""
    return np.concatenate([turn_emb, context_emb], axis=-1)


def call_features(transcript: Transcript, rows: Sequence[int] | None = None) -> np.ndarray:
    """Features of the turns of a call (``rows``, or every turn), from one batched encoder pass
    over the distinct texts they need (their own and their context's). Other rows stay zero."""
    turns = transcript.turns
    rows = range(len(turns)) if rows is None else rows
    ctx_of = {i: context_index(turns, i) for i in rows}
    needed = sorted(set(ctx_of) | {j for j in ctx_of.values() if j is not None})
    distinct = list(dict.fromkeys(turns[i].text for i in needed))
    emb = embed(distinct)
    row = {t: k for k, t in enumerate(distinct)}
    own = np.zeros((len(turns), DIM), np.float32)
    for i in needed:
        own[i] = emb[row[turns[i].text]]
    ctx = np.zeros_like(own)
    for i, j in ctx_of.items():
        if j is not None:
            ctx[i] = own[j]
    return features(own, ctx)


# --- the heads -------------------------------------------------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def _logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def fuse_scores(weights, p_model: float, rule_score: float) -> float:
    """A learned reader's calibrated probability fused with the pattern score (0 = no hit):
    sigmoid(w_model * logit(p_model) + w_rule * rule + w_hit * hit + c)."""
    w_m, w_r, w_h, c = weights
    return float(_sigmoid(w_m * _logit(p_model) + w_r * rule_score + w_h * float(rule_score > 0) + c))


@dataclass(frozen=True)
class Heads:
    """Per behaviour: weights, bias, Platt calibration (a, b), fusion with the pattern score."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (labels, features)
    bias: np.ndarray  # (labels,)
    platt: np.ndarray  # (labels, 2): p = sigmoid(a * raw + b)
    fusion: np.ndarray  # (labels, 4): p = sigmoid(w_model * logit(p_model) + w_rule * rule + w_hit * hit + c)
    version: str = "1"

    def model_proba(self, feats: np.ndarray) -> np.ndarray:
        """Calibrated probability of each behaviour, from the encoder features alone."""
        raw = feats @ self.weights.T + self.bias
        return _sigmoid(self.platt[:, 0] * raw + self.platt[:, 1])

    def fuse(self, label: str, p_model: float, rule_score: float) -> float:
        """The probability of the behaviour, given the model and the pattern score (0 = no hit)."""
        return fuse_scores(self.fusion[self.labels.index(label)], p_model, rule_score)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:  # np.savez on a file object: no pickles, stable bytes
            np.savez(fh, labels=np.array(self.labels, dtype="<U32"), weights=self.weights.astype(np.float32),
                     bias=self.bias.astype(np.float32), platt=self.platt.astype(np.float64),
                     fusion=self.fusion.astype(np.float64), version=np.array(self.version, dtype="<U16"))

    @classmethod
    def load(cls, path: Path) -> "Heads":
        with np.load(path, allow_pickle=False) as data:
            return cls(tuple(str(x) for x in data["labels"]), data["weights"], data["bias"], data["platt"],
                       data["fusion"], str(data["version"]))


@functools.lru_cache(maxsize=1)
def packaged_heads() -> Heads:
    """The trained heads in models/, refused unless their sha256 is the one in the manifest."""
    from .models import trained_file

    path = trained_file(HEADS_KEY, HEADS_FILE.parent, "utterance heads")
    try:
        return Heads.load(path)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError("MOD009", f"{path}: cannot read the utterance heads ({exc})") from exc


# Which heads the detectors use: the packaged ones, others (cross-validation), or none
# (patterns alone). Set with use_heads().
_active: dict[str, Heads | None | str] = {"heads": "packaged"}


def use_heads(heads: Heads | None | str) -> None:
    """Make the detectors use ``heads``; None for patterns alone, "packaged" for models/."""
    _active["heads"] = heads
    _SCORES.clear()


def active_heads() -> Heads | None:
    heads = _active["heads"]
    return packaged_heads() if heads == "packaged" else heads  # type: ignore[return-value]


class CallScores:
    """Model probabilities for the turns of one call, and the heads that made them.

    Turns the gate let through are encoded at once, in one batch; any other turn only when a
    detector asks about it with a pattern hit in hand (``ensure``)."""

    def __init__(self, transcript: Transcript, heads: Heads, plan: GatePlan | None):
        self.transcript, self.heads, self.plan = transcript, heads, plan
        rows = None if plan is None else plan.upfront
        n = len(transcript.turns)
        self.known = np.ones(n, dtype=bool) if rows is None else np.isin(np.arange(n), list(rows))
        self.feats = call_features(transcript, rows) if n else np.zeros((0, 2 * DIM), np.float32)
        self.proba = np.full((n, len(heads.labels)), np.nan)
        if self.known.any():
            self.proba[self.known] = heads.model_proba(self.feats[self.known])

    def wanted(self, turn: int, label: str) -> bool:
        """Should the model read this turn for ``label``? (It has, or the gate let it through.)"""
        return bool(self.known[turn]) or (self.plan is not None and turn in self.plan.on_demand.get(label, ()))

    def ensure(self, turn: int) -> None:
        """Encode one turn the gate passed over (and its context)."""
        if not self.known[turn]:
            self.feats[turn] = call_features(self.transcript, [turn])[turn]
            self.proba[turn] = self.heads.model_proba(self.feats[turn][None, :])[0]
            self.known[turn] = True

    def p(self, turn: int, label: str) -> float:
        self.ensure(turn)
        return float(self.proba[turn, self.heads.labels.index(label)])

    def fuse(self, turn: int, label: str, rule_score: float) -> float:
        return self.heads.fuse(label, self.p(turn, label), rule_score)


_SCORES: dict[int, tuple[weakref.ref, CallScores]] = {}

# The gate in front of the encoder (analyser.gate): the packaged one, another (cross-validation)
# or None (every turn encoded). Set with use_gate().
_gate: dict[str, object] = {"gate": "packaged"}


def use_gate(gate) -> None:
    """Put ``gate`` in front of the encoder; None to encode every turn, "packaged" for models/."""
    _gate["gate"] = gate
    _SCORES.clear()


# Labels the detectors ask about only in part of a call: account data matters only before
# the identity check, so its gated turns are encoded when the identity detector asks about
# them, not up front with the rest.
ON_DEMAND = frozenset({"discloses_account_data"})


@dataclass(frozen=True)
class GatePlan:
    """What the gate decided for a call: turns to encode at once, and turns to encode if asked."""

    upfront: list[int]
    on_demand: dict[str, frozenset[int]]


def gate_plan(transcript: Transcript) -> GatePlan | None:
    """The gate's plan for a call, when every label the model may decide is one the gate
    knows; None (every turn encoded) otherwise."""
    from . import gate as gate_mod

    chosen = _gate["gate"]
    allowed = model_labels()
    if chosen is None or not allowed or not set(allowed) <= set(gate_mod.LABELS):
        return None
    g = _active_gate()
    turns = transcript.turns
    scores = _gate_scores(transcript, g)

    def passing(lab: str) -> frozenset[int]:
        """Turns of the label's speaker the gate lets through for it."""
        keep = g.above(scores, [lab])
        return frozenset(i for i, t in enumerate(turns) if keep[i] and t.speaker == HEAD_SPEAKER[lab])

    upfront: set[int] = set()
    for lab in set(allowed) - ON_DEMAND:
        upfront |= passing(lab)
    return GatePlan(sorted(upfront), {lab: passing(lab) for lab in sorted(set(allowed) & ON_DEMAND)})


_GATE_SCORES: dict[int, tuple[weakref.ref, object, np.ndarray]] = {}


def _gate_scores(transcript: Transcript, g) -> np.ndarray:
    """The gate's scores for every turn of a call: one pass, shared by the plan and the reader."""
    key = id(transcript)
    hit = _GATE_SCORES.get(key)
    if hit is not None and hit[0]() is transcript and hit[1] is g:
        return hit[2]
    scores = g.scores([t.text for t in transcript.turns])
    if len(_GATE_SCORES) > 16:
        _GATE_SCORES.clear()
    _GATE_SCORES[key] = (weakref.ref(transcript), g, scores)
    return scores


def _active_gate():
    from . import gate as gate_mod

    chosen = _gate["gate"]
    return gate_mod.packaged_gate() if chosen == "packaged" else chosen


def text_reader(transcript: Transcript, label: str) -> np.ndarray | None:
    """The bag-of-words classifier's calibrated probability of ``label`` for each turn of a
    call (NaN on the other speaker's turns), or None when the detectors run on patterns alone
    or without the gate. It reads every turn for next to nothing, so it is the learned reader
    of the labels the encoder would have to read in most turns (complaints)."""
    g = _active_gate() if active_heads() is not None else None
    if g is None or label not in g.thresholds:
        return None
    p = g.calibrated(_gate_scores(transcript, g), label)
    own = np.array([t.speaker == HEAD_SPEAKER[label] for t in transcript.turns], dtype=bool)
    return np.where(own, p, np.nan)


def reader_span(transcript: Transcript, turn_index: int, label: str) -> tuple[int, int, str]:
    """Quote span and method of a finding the text reader alone made: its best-scoring sentence."""
    from . import gate as gate_mod

    k = gate_mod.LABELS.index(label)
    g = _active_gate()
    start, end = best_sentence_by(transcript.turns[turn_index].text, lambda parts: g.scores(parts)[:, k])
    return start, end, f"model:{gate_mod.GATE_KEY}.{label}@1"


def call_scores(transcript: Transcript) -> CallScores | None:
    """The model's probabilities for a call (None when the detectors run on patterns alone).

    Computed once per transcript object, however many detectors ask."""
    heads = active_heads()
    if heads is None:
        return None
    key = id(transcript)
    hit = _SCORES.get(key)
    if hit is not None and hit[0]() is transcript and hit[1].heads is heads:
        return hit[1]
    scores = CallScores(transcript, heads, gate_plan(transcript))
    if len(_SCORES) > 16:
        _SCORES.clear()
    _SCORES[key] = (weakref.ref(transcript), scores)
    return scores


def best_sentence_by(text: str, score) -> tuple[int, int]:
    """Character span (trimmed) of the sentence of ``text`` that ``score`` (a list of texts to
    an array of numbers) rates highest: the quote of a finding a learned reader alone made."""
    import re

    spans = [(m.start(), m.end()) for m in re.finditer(r"[^.?!]+[.?!]*", text) if m.group().strip()]
    a, b = spans[int(np.argmax(score([text[x:y] for x, y in spans])))] if len(spans) > 1 else (0, len(text))
    seg = text[a:b]
    return a + len(seg) - len(seg.lstrip()), a + len(seg.rstrip())


def best_sentence(text: str, label: str, context_feats: np.ndarray, heads: Heads) -> tuple[int, int]:
    """Character span of the sentence of ``text`` the head scores highest: a model finding's quote."""
    k = heads.labels.index(label)
    return best_sentence_by(text, lambda parts: features(embed(parts), np.repeat(context_feats[None, :], len(parts), 0))
                            @ heads.weights[k] + heads.bias[k])


def model_method(label: str, heads: Heads) -> str:
    return f"model:{HEADS_KEY}.{label}@{heads.version}"


# --- what the detectors call ---------------------------------------------------------------------

# The labels the model may decide; the others run on patterns alone (and a call whose labels
# all run on patterns alone is never encoded). Until set, they come from the `model_labels`
# key of the bundled detector configuration; None means every label the heads know.
_UNSET = object()
_model_labels: dict[str, object] = {"labels": _UNSET}


def use_model_labels(labels) -> None:
    """Let the model decide only ``labels`` (None: all of them; empty: none)."""
    _model_labels["labels"] = None if labels is None else frozenset(labels)


def model_labels() -> frozenset[str] | None:
    if _model_labels["labels"] is _UNSET:
        from .detectors import DEFAULT_CONFIG, load_model_labels

        use_model_labels(load_model_labels(DEFAULT_CONFIG))
    return _model_labels["labels"]  # type: ignore[return-value]


# The labels the bag-of-words reader (analyser.gate) decides with the patterns, instead of the
# encoder: from the `text_labels` key of the bundled detector configuration until set.
_text_labels: dict[str, object] = {"labels": _UNSET}


def use_text_labels(labels) -> None:
    """Let the bag-of-words reader decide ``labels`` (empty: none)."""
    _text_labels["labels"] = frozenset(labels)


def text_labels() -> frozenset[str]:
    if _text_labels["labels"] is _UNSET:
        from .detectors import DEFAULT_CONFIG, load_model_labels

        use_text_labels(load_model_labels(DEFAULT_CONFIG, "text_labels") or ())
    return _text_labels["labels"]  # type: ignore[return-value]


def _text_read(label: str):
    """The gate whose fused score decides ``label``, or None when the encoder or the patterns do."""
    if label not in text_labels() or active_heads() is None:
        return None
    g = _active_gate()
    return g if g is not None and label in (getattr(g, "fusion", None) or {}) else None


def judge(transcript: Transcript, turn_index: int, label: str, rule_score: float, threshold: float = 0.5) -> float:
    """The probability that the turn has ``label``: the pattern score fused with a learned
    reader's (the bag-of-words classifier for `text_labels`, the encoder's head otherwise).

    Without heads (patterns alone) it is the pattern score itself. A pattern score under the
    detector's threshold counts as no hit, as it did when the fusion was trained."""
    rule = rule_score if rule_score >= threshold else 0.0
    g = _text_read(label)
    if g is not None:
        score = _gate_scores(transcript, g)[turn_index:turn_index + 1]
        return g.fuse(label, float(g.calibrated(score, label)[0]), rule)
    allowed = model_labels()
    if allowed is not None and label not in allowed:
        return rule_score
    scores = call_scores(transcript)
    if scores is None or label not in scores.heads.labels:
        return rule_score
    if rule_score < threshold and not scores.wanted(turn_index, label):
        return rule_score  # no pattern hit, and the gate saw nothing the model could find
    return scores.fuse(turn_index, label, rule)


def model_span(transcript: Transcript, turn_index: int, label: str) -> tuple[int, int, str]:
    """Quote span and method of a finding the model alone made: its best-scoring sentence."""
    if _text_read(label) is not None:
        return reader_span(transcript, turn_index, label)
    scores = call_scores(transcript)
    assert scores is not None, "model_span needs active heads"
    start, end = best_sentence(transcript.turns[turn_index].text, label, scores.feats[turn_index, DIM:], scores.heads)
    return start, end, model_method(label, scores.heads)


def heads_key() -> int:
    """Identifies the active heads, for caches that hold results made with them."""
    heads = _active["heads"]
    return id(heads) if not isinstance(heads, str) else 0
