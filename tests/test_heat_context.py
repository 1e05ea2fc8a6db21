"""HEAT context rules over whole calls: missing steps only with a complaint, anchored after it;
hearing tied to what the customer actually said."""
from __future__ import annotations

from analyser.detectors.action import Action
from analyser.detectors.apology import Apology
from analyser.detectors.complaint import Complaint, complaint_cues, complaint_turns, missing_anchor
from analyser.detectors.spoken import spoken
from analyser.detectors.empathy import Empathy
from analyser.detectors.hear import Hear
from analyser.types import Transcript, Turn

HEAT = (Hear, Empathy, Apology, Action)


def _call(*pairs: tuple[str, str]) -> Transcript:
    turns = tuple(Turn(index=i, speaker=sp, text=tx, start=i * 5.0, end=i * 5.0 + 4) for i, (sp, tx) in enumerate(pairs))
    return Transcript(call_id="ctx", turns=turns, duration=len(turns) * 5.0)


def _missing(detector_cls, transcript):
    return [f for f in detector_cls().detect(transcript) if not f.present]


def test_heat_context_no_missing_without_complaint():
    call = _call(
        ("agent", "Good morning, Fernleigh Council, how can I help?"),
        ("customer", "Hi, I'd like to order a new recycling box please."),
        ("agent", "Of course. Can I take your postcode?"),
        ("customer", "It's BD7 1AA."),
        ("agent", "Thanks. Is there anything else?"),
    )
    assert complaint_turns(call) == []
    for cls in HEAT:
        assert _missing(cls, call) == [], cls.name


def test_heat_context_missing_anchored_after_first_complaint():
    call = _call(
        ("agent", "Hello, Brightside Dental, how can I help?"),
        ("customer", "I'd like to ask about my appointment."),
        ("agent", "Sure, what's the date of birth on the file?"),
        ("customer", "It's the second time you've cancelled on me with no warning, it's ridiculous."),
        ("agent", "Okay. What's your postcode?"),
        ("customer", "LS1 4AP."),
        ("agent", "Thanks, goodbye."),
    )
    assert [t.index for t in complaint_turns(call)] == [3]
    assert missing_anchor(call).index == 4
    for cls in HEAT:
        missing = _missing(cls, call)
        assert len(missing) == 1, cls.name
        assert missing[0].turn == 4 and missing[0].code.endswith(".MISSING")
        assert missing[0].speaker == "agent"


def test_heat_context_full_heat_response_has_no_missing():
    call = _call(
        ("agent", "Northgate Rail refunds, Sam speaking."),
        ("customer", "My train was cancelled and I still haven't had my refund after six weeks, it's not good enough."),
        ("agent", "I'm really sorry about the wait. That must be so frustrating. So the refund for the cancelled train "
                  "still hasn't reached you after six weeks?"),
        ("customer", "Exactly."),
        ("agent", "I've processed the refund of 38 pounds to your card now."),
    )
    for cls in HEAT:
        findings = cls().detect(call)
        assert findings and all(f.present for f in findings), cls.name
        assert all(call.turns[f.turn].speaker == "agent" for f in findings)


def test_heat_context_hear_tied_to_customer_problem():
    restatement = "So the bill is twice what you normally pay."
    about_bill = _call(("customer", "My electricity bill is twice what I normally pay."), ("agent", restatement))
    about_else = _call(("customer", "I'd like to add my partner to the account please."), ("agent", restatement))
    assert [f.turn for f in Hear().detect(about_bill) if f.present] == [1]
    assert [f.turn for f in Hear().detect(about_else) if f.present] == []


def test_heat_context_hear_question_needs_the_problem_words():
    # A question straight after the caller's request may clarify it in words of its own ("how old
    # are they?"); later in the call, a question must name something the caller said.
    question = "When did the boiler stop working?"
    about_boiler = _call(("customer", "The boiler you fitted last month has stopped working."), ("agent", question))
    about_meter = _call(("customer", "Can I give you a meter reading for the flat?"), ("agent", "Yes, go ahead."),
                        ("customer", "It's 04417."), ("agent", question))
    assert any(f.present for f in Hear().detect(about_boiler))
    assert not any(f.present for f in Hear().detect(about_meter))


def test_heat_context_complaint_only_on_customer_turns_and_quotes_verbatim():
    call = _call(
        ("agent", "That's ridiculous, isn't it, the weather today."),
        ("customer", "um yeah an the parcel never arrived and nobody's called me back"),
    )
    found = Complaint().detect(call)
    assert [f.turn for f in found] == [1]
    f = found[0]
    assert call.turns[1].text[f.char_start:f.char_end] == f.quote and f.method.startswith(("pattern:", "rule:"))
    assert 0.5 <= f.score <= 1.0


def test_heat_context_complaint_cache_follows_the_transcript_object():
    first = _call(("customer", "You've charged me twice for the same order, it's a joke."))
    second = _call(("customer", "Can I check my balance please?"))
    assert complaint_turns(first) and complaint_cues(first) is complaint_cues(first)
    assert complaint_turns(second) == []


def test_heat_context_spoken_form_normalises_speech_recognition_text():
    assert spoken("um ive er cant do it").words == ["i", "have", "can", "not", "do", "it"]
    assert spoken("they didnt say thats fine").words == ["they", "did", "not", "say", "that", "'s", "fine"]
    assert spoken("I'm gonna, uh, sort it").words == ["i", "am", "going", "to", "sort", "it"]
    sp = spoken("uh I've refunded it")
    start, end = sp.chars(0, len(sp.words))
    assert sp.text[start:end] == "I've refunded it"
