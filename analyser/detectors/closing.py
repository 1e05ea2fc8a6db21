"""Closing the call: anything else, thanks for calling, goodbye.

Anti-pattern: a call that simply stops after the resolution. Better practice: "Is there
anything else I can help with? Thanks for calling, bye now."

Every agent turn is read (a call can close, then reopen with "oh, one more thing"), except
that "thanks for calling" in the agent's first turn is a greeting, not a closing. A call with
no closing gets a missing finding anchored at the agent's last turn.
"""
from __future__ import annotations

import re

from ..types import Finding, Transcript
from .base import Detector, agent_turns
from .spoken import match as spoken_match
from .patterns import best_by_code, load_patterns, rule_match


# The agent's last words being a bare thanks ("cheers", "thanks, Rob") thank the customer at the end.
_LAST_THANKS = re.compile(r"^\W*(?P<cue>(?:(?:ok|okay|right|lovely|great|yeah|yep)\W+)*(?:cheers|thanks|thank you|ta)\b)"
                          r"(?:\W+\w+){0,2}\W*$", re.I)


class Closing(Detector):
    name = "closing"
    version = "1.0"
    codes = {"CLOSE.CLOSING": "closing", "CLOSE.CLOSING.MISSING": "closing"}
    labels = ("closing",)

    def detect(self, transcript: Transcript) -> list[Finding]:
        patterns = load_patterns("closing")
        agents = list(agent_turns(transcript))
        if not agents:
            return []
        opening = agents[0].index
        found: list[Finding] = []
        for turn in agents:
            matches = list(spoken_match(patterns, turn.text))
            if turn.index == opening:
                # "Thanks for calling ..." in the opening is a greeting, not a closing.
                matches = [m for m in matches if m.pattern_id != "close.thanks-for-calling"]
            best = best_by_code(matches).get("CLOSE.CLOSING")
            if best is None and turn is agents[-1] and turn.index != opening:
                hits = rule_match(_LAST_THANKS, turn.text, "close.last-thanks", "CLOSE.CLOSING", 0.8)
                best = hits[0] if hits else None
            if best:
                found.append(
                    self.finding("CLOSE.CLOSING", turn, best.char_start, best.char_end, best.score,
                                 f"pattern:{best.pattern_id}")
                )
        if not found:
            found.append(self.missing("CLOSE.CLOSING.MISSING", agents[-1], "no closing found in the agent's turns"))
        return found
