"""Recording notice: the agent tells the caller the call is recorded or monitored.

Anti-pattern: taking personal details without ever saying the call is recorded. Better
practice: "Just so you know, calls are recorded for training and quality."

The notice counts wherever it comes in the call (LABELS.md). A call without one gets a
missing finding anchored at the agent's first turn. A customer asking "is this call
recorded?" is not a notice, so only agent turns are searched.
"""
from __future__ import annotations

from ..types import Finding, Transcript
from .base import Detector, agent_turns
from .spoken import match as spoken_match
from .patterns import best_by_code, load_patterns

CODE = "OPEN.RECORDING_NOTICE"


class Recording(Detector):
    name = "recording"
    version = "1.0"
    codes = {CODE: "recording_notice", CODE + ".MISSING": "recording_notice"}
    labels = ("recording_notice",)

    def detect(self, transcript: Transcript) -> list[Finding]:
        patterns = load_patterns("recording")
        agents = list(agent_turns(transcript))
        if not agents:
            return []
        found: list[Finding] = []
        for turn in agents:
            text = turn.text
            if "record" not in text.lower() and "monitor" not in text.lower() and "taped" not in text.lower():
                continue  # cheap skip: most turns say nothing about recording
            best = best_by_code(spoken_match(patterns, text)).get(CODE)
            if best is None:
                continue
            # "Is this call recorded?" asked by the agent is not a notice.
            tail = text[best.char_end:best.char_end + 2]
            score = best.score * (0.6 if tail.startswith("?") else 1.0)
            found.append(self.finding(CODE, turn, best.char_start, best.char_end, score, f"pattern:{best.pattern_id}"))
        if not found:
            found.append(self.missing(CODE + ".MISSING", agents[0], "the agent never said the call is recorded"))
        return found
