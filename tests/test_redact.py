"""Redaction of spoken card data: every spoken form is masked, evidence stays verbatim."""
from __future__ import annotations

import json

import pytest

from analyser.detectors.card import Card
from analyser.detectors.identity import Identity
from analyser.redact import mask_text, redact_call
from analyser.types import Transcript, Turn, Word


def _call(pairs, with_words=False):
    turns = []
    for i, (sp, text) in enumerate(pairs):
        words = ()
        if with_words:
            words = tuple(Word(text=" " + w, start=i * 5 + k * 0.3, end=i * 5 + k * 0.3 + 0.25)
                          for k, w in enumerate(text.split()))
        turns.append(Turn(index=i, speaker=sp, text=text, start=i * 5.0, end=i * 5.0 + 4, words=words))
    return Transcript(call_id="t", turns=tuple(turns), duration=len(pairs) * 5.0)


def _redacted(pairs, with_words=False):
    call = _call(pairs, with_words)
    findings = Card().detect(call) + Identity().detect(call)
    return call, findings, *redact_call(call, findings)


def _assert_evidence_verbatim(transcript, findings):
    for f in findings:
        if f.present and f.turn is not None:
            assert transcript.turns[f.turn].text[f.char_start:f.char_end] == f.quote


SPOKEN_FORMS = [
    ("digits", "It's 4000 0566 5566 5556.", "4000 0566 5566 5556"),
    ("words", "its four zero zero zero zero five six six five five six six five five five six", "zero zero zero zero five"),
    ("double-oh", "four double oh oh zero five six six five five six six five five five six", "five six six five five six six"),
    ("amex", "3782 822463 10005", "822463"),
]


@pytest.mark.parametrize("name,text,secret", SPOKEN_FORMS, ids=[s[0] for s in SPOKEN_FORMS])
def test_redact_masks_every_spoken_card_form(name, text, secret):
    _, _, masked, findings = _redacted([("agent", "what's the long card number"), ("customer", text)], with_words=True)
    assert secret not in masked.turns[1].text
    assert "[CARD ****" in masked.turns[1].text
    assert any(f.code == "PCI.CARD_DETAILS_SPOKEN" and f.turn == 1 for f in findings)  # the breach still stands
    _assert_evidence_verbatim(masked, findings)


def test_redact_masks_expiry_cvv_and_read_back_everywhere():
    pairs = [
        ("agent", "Hello, Elmfield Water, how can I help?"),
        ("customer", "I'd like to pay my bill by card."),
        ("agent", "Sure, what's the card number?"),
        ("customer", "5555 5555 5555 4444"),
        ("agent", "5555 5555 5555 4444, and the expiry and the three digits on the back?"),
        ("customer", "oh nine twenty eight and seven three seven"),
        ("agent", "oh nine two eight seven three seven, lovely, that's gone through"),
    ]
    call, before, masked, findings = _redacted(pairs, with_words=True)
    blob = json.dumps({"t": masked.to_dict(), "f": [f.to_dict() for f in findings]})
    for secret in ("5555 5555 5555 4444", "5555555555554444", "oh nine twenty eight", "seven three seven",
                   "oh nine two eight"):
        assert secret not in blob
    assert "[CARD ****4444]" in masked.turns[3].text
    assert "[EXPIRY **/**]" in masked.turns[5].text and "[CVV ***]" in masked.turns[5].text
    assert "[EXPIRY **/**]" in masked.turns[6].text and "[CVV ***]" in masked.turns[6].text
    # Words: the masked stretch carries the label once; nothing else changes.
    words6 = [w.text.strip() for w in masked.turns[6].words]
    assert "nine" not in words6 and "seven" not in words6 and "lovely," in words6
    assert len(masked.turns[6].words) == len(call.turns[6].words)
    _assert_evidence_verbatim(masked, findings)
    # Findings on untouched text keep their offsets; the card findings still exist, one per turn.
    assert {f.turn for f in findings if f.code == "PCI.CARD_DETAILS_SPOKEN"} == {3, 4, 5, 6}
    assert [f for f in findings if f.turn == 0] == [f for f in before if f.turn == 0]


def test_redact_shifts_offsets_of_later_quotes_in_the_same_turn():
    pairs = [("agent", "what's the card number"),
             ("customer", "4000 0566 5566 5556 and my date of birth is the 4th")]
    call = _call(pairs)
    text = call.turns[1].text
    at = text.index("date of birth")
    from analyser.types import Finding
    extra = Finding(code="X", label="x", turn=1, quote="date of birth", char_start=at, char_end=at + 13,
                    start=None, end=None, score=1.0, detector="x", detector_version="1", method="test")
    masked, findings = redact_call(call, Card().detect(call) + [extra])
    moved = next(f for f in findings if f.code == "X")
    assert moved.quote == "date of birth"
    assert masked.turns[1].text[moved.char_start:moved.char_end] == "date of birth"


def test_redact_leaves_calls_without_card_data_alone():
    call = _call([("agent", "Card ending 0937, is that right?"), ("customer", "yes, and my phone is 07700 900672")])
    masked, findings = redact_call(call, Card().detect(call))
    assert masked == call and findings == []


def test_redact_mask_text_for_free_text():
    assert "4111" not in mask_text("payment failed for card 4111 1111 1111 1111 today").replace("****1111", "")
    out = mask_text("customer said cvv 123 expiry 04/28")
    assert "123" not in out and "04/28" not in out
    assert mask_text("call back on 07700 900672") == "call back on 07700 900672"
    assert mask_text("") == ""
