"""The learned reader of complaints (the bag-of-words classifier of analyser.gate) and the rule
that ties it to the patterns: it adds the paraphrased turns of a complaint the patterns have
shown, and makes a complaint call on its own only when it is very sure."""
from __future__ import annotations

import numpy as np
import pytest

from analyser import classifier, gate
from analyser.detectors.complaint import ANSWER_MIN, MODEL_ALONE, complaint_cues
from analyser.types import Transcript, Turn

PATTERN = "This is ridiculous, I've been charged twice."
PARAPHRASE = "And the app said ten minutes away for the best part of an hour."


def _call(*customer_turns: str) -> Transcript:
    turns = []
    for text in customer_turns:
        turns.append(Turn(len(turns), "agent", "Okay, go on."))
        turns.append(Turn(len(turns), "customer", text))
    return Transcript("reader", tuple(turns))


def _reader(p_of_text: dict[str, float]):
    def read(transcript, label):
        return np.array([p_of_text.get(t.text, 0.0) if t.speaker == "customer" else np.nan
                         for t in transcript.turns])
    return read


@pytest.fixture
def reader(monkeypatch):
    def use(p_of_text):
        monkeypatch.setattr(classifier, "text_reader", _reader(p_of_text))
        monkeypatch.setattr(classifier, "reader_span", lambda tr, i, lab: (0, len(tr.turns[i].text), "model:test"))
    return use


def _turns(cues) -> list[int]:
    return [c.turn.index for c in cues]


def test_reader_adds_paraphrased_turns_to_a_call_the_patterns_show_is_a_complaint(reader):
    reader({PARAPHRASE: 0.8})
    cues = complaint_cues(_call(PATTERN, PARAPHRASE))
    assert _turns(cues) == [1, 3]
    assert cues[1].method == "model:test" and cues[1].score == pytest.approx(0.8)


def test_reader_alone_makes_a_complaint_call_only_when_very_sure(reader):
    reader({PARAPHRASE: 0.8})
    assert complaint_cues(_call(PARAPHRASE)) == []
    reader({PARAPHRASE: 0.9999})
    assert _turns(complaint_cues(_call(PARAPHRASE))) == [1]
    assert complaint_cues(_call(PARAPHRASE), model_alone=1.01) == []


def test_a_reply_to_the_agents_question_needs_a_surer_reader(reader):
    def call():  # a new object each time: complaint cues are cached per transcript
        return Transcript("reader", (
            Turn(0, "agent", "Okay, go on."), Turn(1, "customer", PATTERN),
            Turn(2, "agent", "And when did the app say that?"), Turn(3, "customer", PARAPHRASE)))
    reader({PARAPHRASE: ANSWER_MIN - 0.1})
    assert _turns(complaint_cues(call())) == [1]  # a plain answer
    reader({PARAPHRASE: ANSWER_MIN + 0.1})
    assert _turns(complaint_cues(call())) == [1, 3]


def test_reader_can_be_switched_off(reader):
    reader({PARAPHRASE: 0.9999})
    assert _turns(complaint_cues(_call(PATTERN, PARAPHRASE), use_reader=False)) == [1]


def test_reader_under_threshold_adds_nothing(reader):
    reader({PARAPHRASE: 0.3})
    assert _turns(complaint_cues(_call(PATTERN, PARAPHRASE))) == [1]


def test_patterns_alone_have_no_reader():
    call = _call(PARAPHRASE)
    try:
        classifier.use_heads(None)
        assert classifier.text_reader(call, "complaint") is None
    finally:
        classifier.use_heads("packaged")
    p = classifier.text_reader(call, "complaint")
    assert p is not None and np.isnan(p[0]) and 0.0 <= p[1] <= 1.0  # customer turns only


def test_platt_calibration_is_increasing_and_survives_the_file():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    raw = np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.1, 400), 0.01, 0.99)  # under-confident scores
    a, b = gate.platt(y, raw)
    assert a > 1.0  # it spreads under-confident scores apart
    g = gate.packaged_gate()
    scores = np.zeros((3, len(gate.LABELS)), dtype=np.float32)
    scores[:, gate.LABELS.index("complaint")] = [0.2, 0.5, 0.8]
    p = g.calibrated(scores, "complaint")
    assert np.all(np.diff(p) > 0) and 0.0 < p[0] < p[2] < 1.0
    again = gate.Gate.from_bytes(g.to_bytes())
    assert again.calibration == g.calibration and set(again.calibration) == set(gate.LABELS)


def test_packaged_reader_reads_a_paraphrased_complaint_above_a_plain_answer():
    call = Transcript("reader", (
        Turn(0, "agent", "Can I take the postcode?"),
        Turn(1, "customer", "yeah it's l s one four a b"),
        Turn(2, "agent", "Thanks. What happened with the delivery?"),
        Turn(3, "customer", "nobody turned up again and I took the whole day off work for it"),
    ))
    p = classifier.text_reader(call, "complaint")
    assert p[3] >= 0.5 > p[1]
    assert MODEL_ALONE > 0.99


def test_every_heat_detector_follows_the_complaint_detectors_settings(reader):
    from analyser.detectors.complaint import Complaint, complaint_turns

    reader({PARAPHRASE: 0.8})
    try:
        Complaint({"text_reader": False})
        assert [t.index for t in complaint_turns(_call(PATTERN, PARAPHRASE))] == [1]
        Complaint({"model_alone": 0.7})
        assert [t.index for t in complaint_turns(_call(PARAPHRASE))] == [1]
    finally:
        Complaint()
    assert complaint_turns(_call(PARAPHRASE)) == []
