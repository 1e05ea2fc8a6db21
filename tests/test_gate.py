"""The encoder's gate: a spaCy bag-of-words text classifier that picks the turns the sentence
encoder reads. Its thresholds keep every positive the patterns miss; it is checked by sha256;
a gated-out turn with no pattern hit is never encoded, a turn with one always is."""
from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from analyser import classifier, gate, models
from analyser.errors import ModelError
from analyser.types import Transcript, Turn


def test_gate_threshold_keeps_the_positives_the_patterns_miss():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.6, 0.05, 0.3, 0.2, 0.1, 0.02, 0.4])
    assert gate.recall_threshold(y, p, 1.0) == pytest.approx(0.05)  # the lowest positive
    covered = np.array([False, False, True, False, False, False, False, False])
    assert gate.recall_threshold(y, p, 1.0, covered) == pytest.approx(0.3)  # 0.05 is found by a pattern
    assert gate.recall_threshold(y, p, 0.75) == pytest.approx(0.3)  # one of four may be missed
    assert gate.recall_threshold(y, p, 1.0, np.ones(8, dtype=bool)) == 1.0  # patterns find them all


def test_gate_normalises_clean_and_recogniser_text_alike():
    assert gate.normalise("Can I take your DATE of birth, please?") == "can i take your date of birth please"
    assert gate.normalise("it's £40.50") == "it's £40 50"


def test_gate_packaged_passes_identity_checks_and_drops_small_talk():
    g = gate.packaged_gate()
    texts = ["can you confirm your date of birth for me please",
             "could i take the first line of your address and your postcode",
             "is there anything else i can help with today",
             "bye now take care"]
    keep = g.passes(texts, ["verify_identity"])
    assert keep.tolist() == [True, True, False, False]
    again = gate.Gate.from_bytes(g.to_bytes())
    assert np.allclose(again.scores(texts), g.scores(texts)) and again.thresholds == g.thresholds


def test_gate_refuses_a_changed_file(tmp_path, monkeypatch):
    manifest = tmp_path / "manifest.yaml"
    shutil.copy(models.manifest_path(), manifest)
    real = models.manifest_entry(gate.GATE_KEY)["sha256"]
    assert hashlib.sha256(gate.GATE_FILE.read_bytes()).hexdigest() == real
    manifest.write_text(manifest.read_text().replace(real, "0" * 64))
    monkeypatch.setenv(models.MANIFEST_ENV, str(manifest))
    gate.packaged_gate.cache_clear()
    try:
        with pytest.raises(ModelError) as info:
            gate.packaged_gate()
        assert info.value.code == "MOD002"
    finally:
        monkeypatch.delenv(models.MANIFEST_ENV)
        gate.packaged_gate.cache_clear()
    with pytest.raises(ModelError) as info:
        gate.Gate.from_bytes(b"not a gate")
    assert info.value.code == "MOD009"


class _Everything:
    """A gate that passes every turn for every label (logic test)."""

    thresholds = {lab: 0.0 for lab in gate.LABELS}

    def scores(self, texts):
        return np.zeros((len(texts), len(gate.LABELS)))

    def above(self, scores, labels):
        return np.ones(len(scores), dtype=bool)


class _Nothing(_Everything):
    def above(self, scores, labels):
        return np.zeros(len(scores), dtype=bool)


def _call() -> Transcript:
    return Transcript("gate", (
        Turn(0, "agent", "Thanks for calling Northwind, how can I help?"),
        Turn(1, "customer", "I want to check my balance"),
        Turn(2, "agent", "Sure, what's the postcode on the account?"),
        Turn(3, "customer", "LS1 4AB"),
    ))


def _restore_readers():
    classifier.use_gate("packaged")
    classifier._model_labels["labels"] = classifier._UNSET
    classifier._text_labels["labels"] = classifier._UNSET


def test_gate_decides_which_turns_are_encoded_up_front_and_which_on_demand():
    call = _call()
    try:
        classifier.use_model_labels(["verify_identity", "discloses_account_data"])  # the encoder reads them
        classifier.use_text_labels(())
        classifier.use_gate(_Everything())
        scores = classifier.call_scores(call)
        # identity checks: every passed agent turn up front; account data only when asked
        assert scores.known.tolist() == [True, False, True, False]  # agent turns (their context is read too)
        assert scores.feats[2, classifier.DIM:].any()  # turn 2's context: the customer's turn 1
        assert scores.wanted(2, "discloses_account_data")

        classifier.use_gate(_Nothing())
        call = _call()
        scores = classifier.call_scores(call)
        assert not scores.known.any()
        # no pattern hit and nothing the gate passed: the pattern score stands, nothing encoded
        assert classifier.judge(call, 2, "verify_identity", 0.0) == 0.0
        assert not scores.known[2]
        # a pattern hit: the model reads the turn (on demand) and the scores are fused
        fused = classifier.judge(call, 2, "verify_identity", 0.9)
        assert scores.known[2] and scores.feats[2, classifier.DIM:].any() and 0.0 < fused <= 1.0

        classifier.use_gate(None)  # no gate: every turn read up front
        call = _call()
        assert classifier.call_scores(call).known.all()
    finally:
        _restore_readers()


def test_text_labels_are_decided_by_the_bag_of_words_reader_and_never_encoded(monkeypatch):
    """The bundled configuration: identity checks and account data are read by the gate's
    classifier, its calibrated score fused with the pattern score; the encoder is not run."""
    def no_encoder(texts):
        raise AssertionError("the encoder must not read a call whose labels the text reader decides")

    monkeypatch.setattr(classifier, "embed", no_encoder)
    assert {"verify_identity", "discloses_account_data"} <= classifier.text_labels()
    call = Transcript("text-read", (
        Turn(0, "agent", "Thanks for calling Northwind, how can I help?"),
        Turn(1, "customer", "hi I need to change my address"),
        Turn(2, "agent", "no problem can you just confirm the first line of your address and your date of birth"),
        Turn(3, "customer", "12 Mill Lane, fourth of May 1980"),
        Turn(4, "agent", "lovely weather we're having"),
    ))
    check = classifier.judge(call, 2, "verify_identity", 0.0)
    chat = classifier.judge(call, 4, "verify_identity", 0.0)
    assert check >= 0.5 > chat
    # a pattern hit raises the fused probability; the quote of a reader-only finding is its best sentence
    assert classifier.judge(call, 4, "verify_identity", 0.9) > chat
    start, end, method = classifier.model_span(call, 2, "verify_identity")
    assert method == "model:utterance-gate.verify_identity@1" and end > start
    g = gate.packaged_gate()
    assert set(g.fusion) == set(gate.LABELS)
    assert gate.Gate.from_bytes(g.to_bytes()).fusion == g.fusion


@pytest.mark.slow
def test_gate_and_heads_rebuild_to_the_bytes_the_manifest_pins(tmp_path):
    from analyser import train

    result = train.train(out=tmp_path / "utterance-heads.npz", gate_out=tmp_path / "utterance-gate.spacy")
    assert result["sha256"] == models.manifest_entry(classifier.HEADS_KEY)["sha256"]
    assert result["gate"]["sha256"] == models.manifest_entry(gate.GATE_KEY)["sha256"]
    for label, figures in result["gate"]["labels"].items():
        assert figures["recall_with_patterns"] == 1.0 and figures["calibration_error"] < 0.05
        assert figures["fused_calibration_error"] < 0.05
        if label in classifier.text_labels():  # it decides these with the patterns
            assert figures["fused_f1_at_half"] > 0.85
        if label in classifier.model_labels():  # a gate worth having in front of the encoder
            assert figures["negatives_passed"] < 0.5


def test_gate_passes_each_label_on_its_own_speakers_turns():
    """Complaints are read in customer turns, identity checks in agent turns."""
    try:
        classifier.use_gate(_Everything())
        classifier.use_model_labels(["verify_identity", "complaint"])
        plan = classifier.gate_plan(_call())
        assert plan.upfront == [0, 1, 2, 3]  # agent turns for the check, customer turns for complaints
        classifier.use_model_labels(["complaint"])
        assert classifier.gate_plan(_call()).upfront == [1, 3]
        classifier.use_model_labels(["verify_identity", "discloses_account_data"])
        plan = classifier.gate_plan(_call())
        assert plan.upfront == [0, 2] and plan.on_demand == {"discloses_account_data": frozenset({0, 2})}
    finally:
        _restore_readers()
