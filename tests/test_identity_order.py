"""The order of identity checks and account talk across a whole call."""
from __future__ import annotations

from analyser.detectors.identity import Identity
from analyser.types import Transcript, Turn


def _run(pairs):
    turns = tuple(Turn(index=i, speaker=sp, text=tx, start=i * 5.0, end=i * 5.0 + 4) for i, (sp, tx) in enumerate(pairs))
    findings = Identity().detect(Transcript(call_id="o", turns=turns))
    by = {}
    for f in findings:
        by.setdefault(f.code, set()).add(f.turn)
    return by


def test_identity_order_disclosure_then_late_check():
    by = _run([
        ("agent", "Harbour Telecom, Sam."),
        ("customer", "Hi, I want to know why my bill went up."),
        ("agent", "What's the name on the account?"),
        ("customer", "Lucy Marsh."),
        ("agent", "Okay Lucy, your monthly plan went from £28 to £34.50 on the 1st of April."),
        ("customer", "Why though?"),
        ("agent", "It says here the discount ended when the twelve month term finished."),
        ("customer", "Nobody told me."),
        ("agent", "Can you confirm your date of birth for me?"),
        ("customer", "2nd of July 1990."),
        ("agent", "Thanks. Your next bill will be £34.50 as well."),
    ])
    assert by["DPA.DISCLOSURE_BEFORE_ID"] == {4, 6}
    assert by["DPA.VERIFY_IDENTITY"] == {8}
    assert "DPA.VERIFY_IDENTITY.MISSING" not in by


def test_identity_order_check_first_means_no_disclosure():
    by = _run([
        ("agent", "good morning cobalt car finance you're speaking with ade how can i help"),
        ("customer", "hi i want my settlement figure"),
        ("agent", "no problem can i take your agreement number"),
        ("customer", "it's c f four four one nine two"),
        ("agent", "and your date of birth"),
        ("customer", "ninth of june eighty two"),
        ("agent", "thanks that's you through security your settlement figure is four thousand two hundred pounds"),
    ])
    assert by["DPA.VERIFY_IDENTITY"] == {2, 4, 6}
    assert "DPA.DISCLOSURE_BEFORE_ID" not in by


def test_identity_order_name_only_never_verifies():
    by = _run([
        ("agent", "Ashgrove Surgery."),
        ("customer", "Hi, I'm checking on my prescription."),
        ("agent", "Surname?"),
        ("customer", "Patel."),
        ("agent", "Yes, I can see the prescription was sent to Boots on Tuesday."),
        ("customer", "Great, thanks."),
    ])
    assert by["DPA.DISCLOSURE_BEFORE_ID"] == {4}
    assert "DPA.VERIFY_IDENTITY" not in by
    assert by["DPA.VERIFY_IDENTITY.MISSING"] == {4}


def test_identity_order_general_information_needs_no_check():
    by = _run([
        ("agent", "Hello, Brookside Leisure, how can I help?"),
        ("customer", "What time does the pool open on Sunday?"),
        ("agent", "The pool opens at eight on Sundays and a swim is £4.20."),
        ("customer", "Lovely, thanks."),
    ])
    assert by == {}


def test_identity_order_confirmation_needs_an_answer_first():
    by = _run([
        ("agent", "Hi, Meridian Bank."),
        ("customer", "I need to cancel a card."),
        ("agent", "Can I take your postcode?"),
        ("customer", "Sorry?"),
        ("agent", "Your card ending 4471, is that the one?"),
        ("customer", "BS3 4QT. Yes that's it."),
        ("agent", "Thanks, that's all correct. I've cancelled the card ending 4471."),
    ])
    # The caller had not yet answered the check when the card ending was read out.
    assert by["DPA.DISCLOSURE_BEFORE_ID"] == {4}
    assert by["DPA.VERIFY_IDENTITY"] == {2, 6}
