"""Redaction of bank details: sort codes and account numbers said in context are masked."""
from __future__ import annotations

import json

import pytest

from analyser.detectors.card import Card
from analyser.detectors.identity import Identity
from analyser.redact import bank_spans, mask_text, redact_call
from analyser.types import Transcript, Turn, Word


def _call(pairs):
    turns = []
    for i, (sp, text) in enumerate(pairs):
        words = tuple(Word(text=" " + w, start=i * 5 + k * 0.3, end=i * 5 + k * 0.3 + 0.25)
                      for k, w in enumerate(text.split()))
        turns.append(Turn(index=i, speaker=sp, text=text, start=i * 5.0, end=i * 5.0 + 4, words=words))
    return Transcript(call_id="b", turns=tuple(turns), duration=len(pairs) * 5.0)


def _redact(pairs):
    call = _call(pairs)
    findings = Card().detect(call) + Identity().detect(call)
    masked, new = redact_call(call, findings)
    blob = json.dumps({"t": masked.to_dict(), "f": [f.to_dict() for f in new]})
    return call, findings, masked, new, blob


FORMS = [
    ("sort-words", [("agent", "Can I take your sort code?"), ("customer", "four oh two two one eight")],
     "[SORT CODE **-**-18]", ["four oh two two one eight", "402218"]),
    ("sort-tens", [("customer", "the sort code is forty twenty two eighteen")],
     "[SORT CODE **-**-18]", ["forty twenty two eighteen"]),
    ("sort-dashes", [("customer", "sort code 40-22-18")], "[SORT CODE **-**-18]", ["40-22-18"]),
    ("account-digits", [("customer", "account number 31807754")], "[ACCOUNT ****7754]", ["31807754"]),
    ("account-asked", [("agent", "And the account number?"), ("customer", "three one eight oh seven seven five four")],
     "[ACCOUNT ****7754]", ["three one eight oh seven seven five four"]),
    ("both-one-run", [("agent", "What's your sort code and account number?"), ("customer", "40 22 18, 3180 7754")],
     "[ACCOUNT ****7754]", ["40 22 18", "3180 7754"]),
    ("split-turns", [("agent", "What's the account number?"), ("customer", "three one eight oh"),
                     ("agent", "yep"), ("customer", "seven seven five four")],
     "[ACCOUNT ****7754]", ["three one eight oh", "seven seven five four"]),
    ("read-back", [("agent", "account number please"), ("customer", "31807754"), ("agent", "Thanks."),
                   ("agent", "Lovely. Just to confirm, 31807754, and that's all sorted.")],
     "[ACCOUNT ****7754]", ["31807754"]),
]


@pytest.mark.parametrize("name,pairs,label,secrets", FORMS, ids=[f[0] for f in FORMS])
def test_redact_bank_masks_every_spoken_form(name, pairs, label, secrets):
    _, _, masked, findings, blob = _redact(pairs)
    for secret in secrets:
        assert secret not in blob
    assert label in blob
    for f in findings:  # every quote is still a verbatim substring of its turn
        if f.present and f.turn is not None:
            assert masked.turns[f.turn].text[f.char_start:f.char_end] == f.quote


def test_redact_bank_identity_finding_stays_when_account_number_verifies():
    pairs = [("agent", "Good morning, Elmfield Bank, Sam speaking, how can I help?"),
             ("customer", "Hi, I want to check a payment on my account."),
             ("agent", "Before we start, can I take your sort code and account number to verify you?"),
             ("customer", "sort code forty twenty two eighteen, account number 31807754"),
             ("agent", "Thank you, that's you verified. Your last payment was on the third.")]
    _, before, masked, findings, blob = _redact(pairs)
    assert "31807754" not in blob and "forty twenty two eighteen" not in blob
    assert masked.turns[3].text == "sort code [SORT CODE **-**-18], account number [ACCOUNT ****7754]"
    codes_before = sorted((f.code, f.turn, f.present) for f in before)
    codes_after = sorted((f.code, f.turn, f.present) for f in findings)
    assert codes_after == codes_before  # masking removes digits, never findings
    assert any(f.code == "DPA.VERIFY_IDENTITY" and f.present for f in findings)
    words = [w.text.strip() for w in masked.turns[3].words]
    assert "31807754" not in words and "[ACCOUNT ****7754]" in words


NEGATIVES = [
    "your account is overdue by 40 pounds",
    "the reference is 31807754",
    "call me on 07700 900123",
    "I've had the account for 12 years",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_redact_bank_leaves_numbers_without_bank_context(text):
    call = _call([("customer", text)])
    assert bank_spans(call) == []


def test_redact_bank_mask_text_masks_free_text_and_keeps_ordinary_lines():
    assert mask_text("failed: sort code 40-22-18 account 31807754") == \
        "failed: sort code [SORT CODE **-**-18] account [ACCOUNT ****7754]"
    line = "call dev-bank-001: ok in 2.31 s, score 12.0/14.0, 0 risks"
    assert mask_text(line) == line


def test_redact_bank_masks_meta_text():
    call = _call([("agent", "hello")])
    call = Transcript(call_id="m", turns=call.turns, meta={"agent": "A-1", "note": "paid with 4929 1234 5678 9012"})
    masked, _ = redact_call(call, [])
    assert masked.meta["agent"] == "A-1" and "4929 1234 5678 9012" not in masked.meta["note"]
