"""The whole pipeline on real sample recordings with the real tiny.en model.

Recording -> faster-whisper -> turns -> detectors -> redaction -> draft scorecard. The
expected answers come from the samples' labelled transcripts (eval/samples.jsonl); evidence
times must fall inside the labelled turn that carries the behaviour.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyser import analyse
from analyser.transcribe import Transcriber

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "eval" / "samples.jsonl"
GOLD = {c["id"]: c for c in map(json.loads, LABELLED.read_text(encoding="utf-8").splitlines()) if c.get("audio")}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny():
    return Transcriber(model="tiny.en")


def _items(result):
    return {i.id: i for i in result.scorecard.items}


def _gold_turns_with(call_id: str, label: str) -> list[dict]:
    return [t for t in GOLD[call_id]["turns"] if label in t["labels"]]


def test_end_to_end_stereo_call_scorecard_answers_and_evidence_times(tiny):
    call_id = "broadband-billing-001"
    result = analyse(ROOT / "samples" / f"{call_id}.wav", transcriber=tiny)
    transcript, card = result.transcript, result.scorecard

    # Stereo: who spoke is known from the channel, and turns follow the script's order.
    assert transcript.roles.method == "channel" and transcript.roles.confidence == 1.0
    gold_speakers = [t["speaker"] for t in GOLD[call_id]["turns"]]
    assert [t.speaker for t in transcript.turns] == gold_speakers
    starts = [t.start for t in transcript.turns]
    assert starts == sorted(starts)

    items = _items(result)
    expected_yes = ["greeting", "agent_name", "offer_help", "recording_notice", "verify_identity",
                    "empathize", "apologize", "closing", "no_disclosure_before_verification",
                    "no_card_details_spoken"]
    wrong = {i: items[i].answer for i in expected_yes if items[i].answer != "yes"}
    assert not wrong, f"expected yes: {wrong}"
    assert card.status == "draft" and card.passed and not card.risks

    # Every quote is verbatim text of its turn, and lies in time inside the labelled turn.
    label_of_item = {"greeting": "greeting", "agent_name": "agent_name", "offer_help": "offer_help",
                     "recording_notice": "recording_notice", "verify_identity": "verify_identity",
                     "empathize": "empathize", "apologize": "apologize", "closing": "closing"}
    for item_id, label in label_of_item.items():
        evidence = items[item_id].evidence
        assert evidence, item_id
        for ev in evidence:
            assert ev.quote and ev.quote in transcript.turns[ev.turn].text
            assert ev.speaker == "agent"
            windows = [(t["start"] - 0.6, t["end"] + 0.6) for t in _gold_turns_with(call_id, label)]
            assert any(lo <= ev.start <= ev.end <= hi for lo, hi in windows), (item_id, ev, windows)


def test_end_to_end_risky_call_masks_the_card_and_fails(tiny):
    call_id = "insurance-payment-002"  # 8 kHz mu-law stereo; the customer reads a card number
    result = analyse(ROOT / "samples" / f"{call_id}.wav", transcriber=tiny)
    card = result.scorecard
    assert "PCI.CARD_DETAILS_SPOKEN" in card.risks and not card.passed
    written = json.dumps(result.transcript.to_dict()) + json.dumps(card.to_dict())
    written += json.dumps([f.to_dict() for f in result.findings])
    for raw in ("4012888888881881", "4012 8888 8888 1881", "4012"):
        assert raw not in written
    assert "[CARD" in written


def test_end_to_end_mono_call_states_how_sure_the_roles_are(tiny):
    call_id = "heating-booking-003"  # mono flac: roles are a decision, not a fact
    result = analyse(ROOT / "samples" / f"{call_id}.flac", transcriber=tiny)
    roles = result.transcript.roles
    assert 0.0 < roles.confidence < 1.0 and roles.method != "channel"
    assert result.transcript.turns[0].speaker == "agent"
    items = _items(result)
    assert items["greeting"].answer == "yes"
    # Agent-side answers carry the doubt about who the agent is.
    for item_id in ("greeting", "offer_help", "closing"):
        assert items[item_id].confidence <= roles.confidence + 1e-6
    for item_id in ("hear", "empathize", "apologize", "take_action"):
        assert items[item_id].answer == "na"  # no complaint in this call
