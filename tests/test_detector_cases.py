"""Detector behaviour as data: every case in tests/data/detectors/*.yaml.

A case is one turn (``speaker`` + ``text``) or a short call (``turns`` as
``[speaker, text]`` pairs, with ``target`` the index of the judged turn, default last).
``expect`` lists the codes the detector must report as present on the target turn; any
other present code of that detector on the turn fails the case. Negatives have
``expect: []``.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analyser.detectors import detector_class
from analyser.types import Transcript, Turn

CASE_DIR = Path(__file__).parent / "data" / "detectors"


def _load_cases():
    for path in sorted(CASE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            yield pytest.param(data["detector"], case, id=f"{path.stem}:{case['id']}")


def _transcript(case: dict) -> tuple[Transcript, int]:
    if "turns" in case:
        pairs = case["turns"]
    else:
        pairs = [[case.get("speaker", "agent"), case["text"]]]
    turns = tuple(
        Turn(index=i, speaker=sp, text=text, start=float(i * 5), end=float(i * 5 + 4))
        for i, (sp, text) in enumerate(pairs)
    )
    target = case.get("target", len(turns) - 1)
    return Transcript(call_id=case["id"], turns=turns, duration=len(turns) * 5.0), target


@pytest.mark.parametrize("detector_name,case", list(_load_cases()))
def test_detector_cases(detector_name, case):
    detector = detector_class(detector_name)()
    transcript, target = _transcript(case)
    findings = detector.detect(transcript)
    got = {f.code for f in findings if f.present and f.turn == target}
    assert got == set(case["expect"]), f"{case['id']}: {transcript.turns[target].text!r} gave {sorted(got)}"
    for f in findings:  # evidence invariant: the quote is verbatim text of its turn
        if f.present:
            turn = transcript.turns[f.turn]
            assert turn.text[f.char_start:f.char_end] == f.quote
