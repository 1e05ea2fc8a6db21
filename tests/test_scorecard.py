"""Scorecard templates (validation refusals) and drafting rules (na, critical, points, confidence)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analyser.errors import TemplateError
from analyser.scorecard import DEFAULT_TEMPLATE, load_template, score
from analyser.types import Finding, RoleDecision, Transcript, Turn

# code -> label, as the detectors declare them (tests pass these so they do not depend on
# which detector modules are installed; one test checks the real registry).
CODES = {
    "OPEN.GREETING": "greeting", "OPEN.AGENT_NAME": "agent_name", "OPEN.COMPANY_NAME": "company_name",
    "OPEN.OFFER_HELP": "offer_help", "OPEN.RECORDING_NOTICE": "recording_notice",
    "DPA.VERIFY_IDENTITY": "verify_identity", "DPA.DISCLOSURE_BEFORE_ID": "disclosure_before_verification",
    "HEAT.COMPLAINT": "complaint", "HEAT.HEAR": "hear", "HEAT.EMPATHIZE": "empathize",
    "HEAT.APOLOGIZE": "apologize", "HEAT.TAKE_ACTION": "take_action",
    "PCI.CARD_DETAILS_SPOKEN": "card_details_spoken", "CLOSE.CLOSING": "closing",
}
ALL_CODES = set(CODES) | {c + ".MISSING" for c in CODES}

TURNS = [
    ("agent", "Good morning, Hearthstone Energy, Priya speaking, how can I help?"),
    ("customer", "My bill is double what it should be and nobody called me back."),
    ("agent", "Can I take your postcode, please?"),
    ("customer", "BS7 4QL. And my card is 4111 1111 1111 1111."),
    ("agent", "I'm so sorry about that. I've issued a refund of 40 pounds. Anything else? Bye now."),
]


def _transcript(role_confidence: float = 1.0) -> Transcript:
    turns = tuple(Turn(i, sp, text, start=i * 5.0, end=i * 5.0 + 4.0) for i, (sp, text) in enumerate(TURNS))
    return Transcript("call-1", turns, duration=25.0, roles=RoleDecision("test", role_confidence))


def F(code: str, turn: int, quote: str | None = None, score: float = 0.9, present: bool = True) -> Finding:
    text = TURNS[turn][1]
    quote = text if quote is None else quote
    at = text.index(quote) if present else 0
    base = code.removesuffix(".MISSING")
    return Finding(code=code, label=CODES[base], turn=turn, quote=quote if present else "", char_start=at,
                   char_end=at + len(quote) if present else 0, start=turn * 5.0, end=turn * 5.0 + 4.0,
                   score=score, detector="test", detector_version="1", method="pattern:test",
                   speaker=TURNS[turn][0], present=present, explanation="" if present else f"no {CODES[base]}")


GOOD_CALL = [
    F("OPEN.GREETING", 0, "Good morning"), F("OPEN.COMPANY_NAME", 0, "Hearthstone Energy"),
    F("OPEN.AGENT_NAME", 0, "Priya speaking"), F("OPEN.OFFER_HELP", 0, "how can I help?"),
    F("OPEN.RECORDING_NOTICE.MISSING", 0, present=False),
    F("DPA.VERIFY_IDENTITY", 2, "postcode", score=0.95),
    F("HEAT.COMPLAINT", 1, "My bill is double"), F("HEAT.HEAR.MISSING", 4, present=False),
    F("HEAT.EMPATHIZE.MISSING", 4, present=False), F("HEAT.APOLOGIZE", 4, "I'm so sorry about that"),
    F("HEAT.TAKE_ACTION", 4, "I've issued a refund of 40 pounds"), F("CLOSE.CLOSING", 4, "Bye now."),
]


@pytest.fixture(scope="module")
def template():
    return load_template(codes=ALL_CODES)


def _items(card):
    return {i.id: i for i in card.items}


# -- loading ---------------------------------------------------------------------------
def test_scorecard_default_template_loads_against_detector_registry():
    tpl = load_template()  # codes checked against every detector module's declared codes
    assert tpl.id == "uk-contact-centre" and tpl.version == "1.0"
    assert [s.title for s in tpl.sections] == ["Opening", "Data protection", "Listening and resolution (HEAT)", "Closing"]
    assert {i.id for i in tpl.items if i.critical} == {"no_disclosure_before_verification", "no_card_details_spoken"}


def _broken(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _item(data, item_id):
    return next(i for s in data["sections"] for i in s["items"] if i["id"] == item_id)


REFUSALS = [
    ("unknown-code", lambda d: _item(d, "greeting").update(codes=["OPEN.HELLO"]), "TPL004", "greeting",
     "unknown detector code 'OPEN.HELLO'"),
    ("negative-weight", lambda d: _item(d, "closing").update(weight=-1), "TPL005", "closing", "bad weight -1"),
    ("zero-weight", lambda d: _item(d, "hear").update(weight=0), "TPL005", "hear", "bad weight 0"),
    ("text-weight", lambda d: _item(d, "hear").update(weight="heavy"), "TPL005", "hear", "bad weight 'heavy'"),
    ("duplicate-id", lambda d: d["sections"][3]["items"].append(dict(_item(d, "greeting"))), "TPL003", "greeting",
     "duplicate item id"),
    ("unknown-na-rule", lambda d: _item(d, "empathize").update(na_when="no_anger"), "TPL006", "empathize",
     "unknown na rule 'no_anger'"),
    ("unknown-kind", lambda d: _item(d, "closing").update(kind="bonus"), "TPL006", "closing", "unknown kind 'bonus'"),
    ("no-question", lambda d: _item(d, "offer_help").pop("question"), "TPL007", "offer_help", "needs a 'question'"),
    ("unknown-key", lambda d: _item(d, "agent_name").update(wieght=2), "TPL007", "agent_name", "unknown key 'wieght'"),
    ("critical-not-bool", lambda d: _item(d, "no_card_details_spoken").update(critical="yes"), "TPL007",
     "no_card_details_spoken", "'critical' must be true or false"),
]


@pytest.mark.parametrize("case,mutate,code,item_id,reason", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_scorecard_template_refusal_names_file_item_and_reason(tmp_path, case, mutate, code, item_id, reason):
    path = _broken(tmp_path, mutate)
    with pytest.raises(TemplateError) as exc:
        load_template(path, codes=ALL_CODES)
    err = exc.value
    assert err.code == code
    assert str(path) in err.message and f"item {item_id!r}" in err.message and reason in err.message
    assert "\n" not in err.message


def test_scorecard_template_refuses_invalid_yaml_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nversion: '1'\nsections:\n  - id: a\n    items: [\n", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        load_template(path, codes=ALL_CODES)
    assert exc.value.code == "TPL001" and f"{path}:" in exc.value.message


def test_scorecard_template_refuses_missing_file_and_sections(tmp_path):
    with pytest.raises(TemplateError, match=r"TPL001.*nope\.yaml"):
        load_template(tmp_path / "nope.yaml")
    path = tmp_path / "empty.yaml"
    path.write_text("id: x\nversion: '1'\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"TPL002.*'sections'"):
        load_template(path, codes=ALL_CODES)


# -- drafting --------------------------------------------------------------------------
def test_scorecard_heat_items_na_without_complaint(template):
    findings = [f for f in GOOD_CALL if not f.code.startswith("HEAT.")]
    items = _items(score(_transcript(), findings, template))
    for heat in ("hear", "empathize", "apologize", "take_action"):
        assert items[heat].answer == "na" and items[heat].max_points == 0 and items[heat].points == 0
        assert "no complaint" in items[heat].justification
    items = _items(score(_transcript(), GOOD_CALL, template))  # with the complaint they apply
    assert items["apologize"].answer == "yes" and items["hear"].answer == "no"


def test_scorecard_points_and_maximum(template):
    card = score(_transcript(), GOOD_CALL, template)
    items = _items(card)
    # no: recording_notice (2), hear (2), empathize (2); yes: everything else; nothing na.
    assert all(i.answer != "na" for i in card.items)
    assert card.maximum == sum(i.weight for i in template.items) == 25
    assert card.score == 25 - 2 - 2 - 2 == 19
    assert items["recording_notice"].answer == "no" and items["recording_notice"].points == 0
    assert card.passed and card.risks == () and card.status == "draft"
    assert card.to_dict()["percent"] == 76.0


def test_scorecard_critical_risk_fails_the_card(template):
    risk = F("PCI.CARD_DETAILS_SPOKEN", 3, "4111 1111 1111 1111", score=0.97)
    full = [f for f in GOOD_CALL if f.present] + [
        F("OPEN.RECORDING_NOTICE", 0, "Good morning"), F("HEAT.HEAR", 4, "sorry about that"),
        F("HEAT.EMPATHIZE", 4, "I'm so sorry")]
    card = score(_transcript(), full + [risk], template)
    item = _items(card)["no_card_details_spoken"]
    assert item.answer == "no" and item.points == 0 and item.critical
    assert card.risks == ("PCI.CARD_DETAILS_SPOKEN",)
    assert card.score / card.maximum > template.pass_mark and not card.passed  # fails despite the score
    assert item.evidence[0].quote == "4111 1111 1111 1111" and item.evidence[0].turn == 3
    assert "Compliance risk" in item.justification and "4111" not in item.justification


def test_scorecard_verify_identity_na_without_account_matters(template):
    findings = [f for f in GOOD_CALL if not f.code.startswith("DPA.")]
    assert _items(score(_transcript(), findings, template))["verify_identity"].answer == "na"
    missing = F("DPA.VERIFY_IDENTITY.MISSING", 2, present=False)
    item = _items(score(_transcript(), findings + [missing], template))["verify_identity"]
    assert item.answer == "no" and item.evidence[0].code == "DPA.VERIFY_IDENTITY.MISSING"


def test_scorecard_confidence_from_scores_and_role_doubt(template):
    weak = F("OPEN.RECORDING_NOTICE", 0, "Good morning", score=0.3)  # below min_score: a weak candidate
    risk = F("PCI.CARD_DETAILS_SPOKEN", 3, "4111 1111 1111 1111", score=0.8)
    findings = [f for f in GOOD_CALL if f.code != "OPEN.RECORDING_NOTICE.MISSING"] + [weak, risk]
    items = _items(score(_transcript(role_confidence=0.5), findings, template))
    assert items["verify_identity"].confidence == pytest.approx(0.95 * 0.5)  # best score x role doubt
    assert items["recording_notice"].answer == "no"
    assert items["recording_notice"].confidence == pytest.approx((1 - 0.3) * 0.5)
    assert items["no_card_details_spoken"].confidence == pytest.approx(0.8)  # either speaker: no role doubt


def test_scorecard_evidence_carries_quote_and_times(template):
    card = score(_transcript(), GOOD_CALL, template)
    ev = _items(card)["take_action"].evidence
    assert len(ev) == 1
    assert (ev[0].turn, ev[0].quote, ev[0].start, ev[0].end, ev[0].code) == (
        4, "I've issued a refund of 40 pounds", 20.0, 24.0, "HEAT.TAKE_ACTION")
    for item in card.items:
        assert item.justification and "\n" not in item.justification
        for e in item.evidence:
            assert e.quote == "" or e.quote in TURNS[e.turn][1]
    d = card.to_dict()
    assert d["template"] == {"id": "uk-contact-centre", "version": "1.0"}
    assert d["provenance"]["template"]["sha256"] and d["provenance"]["analyser_version"]


def test_scorecard_items_of_switched_off_detectors_are_not_checked(template):
    from analyser.detectors import build_detectors

    card = score(_transcript(), GOOD_CALL, template, detectors=build_detectors({"closing": {}}))
    items = _items(card)
    assert items["closing"].answer == "yes"
    assert items["greeting"].answer == "na" and items["greeting"].justification.startswith("Not checked")
    assert card.maximum == 1 and card.provenance["detectors"] == {"closing": "1.0"}
