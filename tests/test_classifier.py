"""The learned utterance classifier: checked weights, deterministic training, calibrated scores."""
from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from analyser import classifier, models, train
from analyser.classifier import DIM, HEAD_SPEAKER, Heads
from analyser.errors import ModelError
from analyser.types import Transcript, Turn


def _examples(seed: int = 0, n: int = 240) -> train.Examples:
    rng = np.random.default_rng(seed)
    feats = rng.normal(size=(n, 2 * DIM)).astype(np.float32)
    speaker = np.array(["customer" if i % 2 else "agent" for i in range(n)])
    gold, rule = {}, {}
    for k, lab in enumerate(HEAD_SPEAKER):
        latent = rng.normal(size=n)
        feats[:, k] += 3 * latent  # one strong direction among many noise dimensions
        signal = latent + 0.3 * rng.normal(size=n)
        gold[lab] = (signal > 0.4).astype(int)
        rule[lab] = np.where(signal > 0.8, 0.9, 0.0)
    return train.Examples(feats, speaker, gold, rule, np.array([f"call-{i // 12}" for i in range(n)]))


def test_classifier_training_is_deterministic(tmp_path):
    a, _ = train.fit_heads(_examples())
    b, _ = train.fit_heads(_examples())
    a.save(tmp_path / "a.npz")
    b.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = Heads.load(tmp_path / "a.npz")
    assert loaded.labels == tuple(HEAD_SPEAKER)
    assert np.array_equal(loaded.weights, a.weights)


def test_classifier_heads_learn_and_calibrate():
    heads, oof = train.fit_heads(_examples(n=600))
    test = _examples(seed=1, n=600)
    proba = heads.model_proba(test.feats)
    k = heads.labels.index("complaint")
    y = test.gold["complaint"]
    accuracy = ((proba[:, k] >= 0.5) == y).mean()
    assert accuracy > 0.75
    ys, ps = oof["complaint"]
    assert train.expected_calibration_error(ys, ps) < 0.1
    # A pattern hit raises the fused probability; the model's own view still counts.
    assert heads.fuse("complaint", 0.5, 0.9) > heads.fuse("complaint", 0.5, 0.0)
    assert heads.fuse("complaint", 0.9, 0.0) > heads.fuse("complaint", 0.1, 0.0)


def test_classifier_expected_calibration_error():
    p = np.linspace(0.05, 0.95, 1000)
    rng = np.random.default_rng(0)
    y = (rng.random(1000) < p).astype(int)
    assert train.expected_calibration_error(y, p) < 0.06
    assert train.expected_calibration_error(y, np.where(p > 0.5, 1.0, 0.0)) > 0.15


def test_classifier_refuses_heads_that_changed(tmp_path, monkeypatch):
    manifest = tmp_path / "manifest.yaml"
    shutil.copy(models.manifest_path(), manifest)
    text = manifest.read_text()
    real = models.manifest_entry(classifier.HEADS_KEY)["sha256"]
    assert hashlib.sha256(classifier.HEADS_FILE.read_bytes()).hexdigest() == real
    manifest.write_text(text.replace(real, "0" * 64))
    monkeypatch.setenv(models.MANIFEST_ENV, str(manifest))
    classifier.packaged_heads.cache_clear()
    try:
        with pytest.raises(ModelError) as info:
            classifier.packaged_heads()
        assert info.value.code == "MOD002"
        assert "sha256 mismatch" in info.value.message
    finally:
        monkeypatch.delenv(models.MANIFEST_ENV)
        classifier.packaged_heads.cache_clear()
    assert classifier.packaged_heads().labels == tuple(HEAD_SPEAKER)


def test_classifier_records_heads_sha_in_manifest(tmp_path):
    manifest = tmp_path / "manifest.yaml"
    shutil.copy(models.manifest_path(), manifest)
    train.record_in_manifest("ab" * 32, manifest)
    text = manifest.read_text()
    assert ("ab" * 32) in text
    # Only the heads' entry changed: the encoder keeps its own hash.
    assert models.manifest_entry("minilm-l6-v2")["sha256"] in text


@pytest.mark.slow
def test_classifier_scores_paraphrases_with_the_real_encoder():
    turns = (
        Turn(0, "agent", "Good morning, Harbour Water, how can I help?"),
        Turn(1, "customer", "honestly this is the third time ive rung and nobody has bothered to ring me back"),
        Turn(2, "agent", "that's not good enough and I'm sorry, I'll get the manager to call you before five today"),
        Turn(3, "customer", "okay thank you"),
    )
    call = Transcript("paraphrase", turns)
    scores = classifier.call_scores(call)
    assert scores is not None
    assert scores.p(1, "complaint") > 0.5
    assert scores.p(3, "complaint") < 0.5
    assert scores.p(2, "apologize") > scores.p(0, "apologize")
    again = classifier.call_scores(call)
    assert again is scores  # one encoder pass per call, however many detectors ask
    vecs = classifier.embed(["the bill is wrong", "", "the bill is wrong"])
    assert np.allclose(vecs[0], vecs[2]) and not vecs[1].any()
    assert abs(float(np.linalg.norm(vecs[0])) - 1.0) < 1e-4
