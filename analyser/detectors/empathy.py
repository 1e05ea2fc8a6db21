"""Empathising with the customer (HEAT.EMPATHIZE).

Anti-pattern: going straight to account details after the customer says they have been
without heating for a week. Better practice: "That must be really hard, especially with the
cold snap. Let's get this sorted."

Agent turns are matched against phrase families of sympathy ("sorry to hear", "that must be
stressful", "I'd be annoyed too", "I can understand why"). Weaker cues ("I understand",
"take your time", "we'll get this sorted") count only in reply to a complaint. A call with a
complaint and no empathy gets a missing finding anchored at the agent's reply to the first
complaint.
"""
from __future__ import annotations

import re

from ..types import Turn
from .complaint import HeatStep
from .spoken import match
from .patterns import load_patterns

CODE = "HEAT.EMPATHIZE"
# Cues that are reassurance or plain acknowledgement unless they answer a complaint.
_WEAK = frozenset({"emp.understand-bare"})
_WEAK_PHRASES = ("take your time", "please do not worry", "no need to worry", "we will get", "i will get this",
                 "i promise", "i can imagine")


# After an accident or a scare: "are you okay?", "are you all ok, is there damage to the house?"
# ("are you okay with that?", "is everyone okay for Tuesday?" ask for agreement).
_ARE_YOU_OK = re.compile(r"\b(?:are you|is everyone|is everybody)(?: all)? (?:ok|okay|alright|all right)\b"
                         r"(?! (?:with|to|for|if|doing|going|about|then|so)\b)", re.I)


class Empathy(HeatStep):
    name = "empathy"
    version = "2.0"
    codes = {CODE: "empathize", f"{CODE}.MISSING": "empathize"}
    labels = ("empathize",)
    label, code, step = "empathize", CODE, "empathise"

    def best(self, turn: Turn, after_complaint: bool):
        matches = match(load_patterns("empathy"), turn.text)
        polite = [m for m in matches if m.code != CODE]
        best = None
        for m in matches:
            if m.code != CODE:
                continue
            if any(p.char_start <= m.char_start < p.char_end for p in polite):
                continue
            score = m.score
            quote = turn.text[m.char_start:m.char_end].lower()
            if m.pattern_id in _WEAK or any(quote.startswith(w) for w in _WEAK_PHRASES):
                score = 0.7 if after_complaint else 0.35
            if best is None or score > best[2]:
                best = (m.char_start, m.char_end, score, f"pattern:{m.pattern_id}")
        if after_complaint and (best is None or best[2] < 0.75):
            m = _ARE_YOU_OK.search(turn.text)
            if m:
                best = (m.start(), m.end(), 0.75, "rule:are-you-ok")
        return best
