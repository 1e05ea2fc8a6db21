"""Apologising for the problem (HEAT.APOLOGIZE).

Anti-pattern: a complaint met with no word of apology, or with an apology only for the
conversation itself ("sorry, could you repeat that?"). Better practice: "I'm sorry nobody
called you back, that's not good enough."

Every "sorry"/"apologise" in an agent turn is a candidate. A "sorry" that repairs the
conversation (asking to repeat, one moment, a slip in the call's own procedure) or that is
sympathy ("sorry to hear that", which is empathy) is set aside. A bare "sorry" counts only
when it answers a complaint. A call with a complaint and no apology gets a missing finding
anchored at the agent's reply to the first complaint.
"""
from __future__ import annotations

import re

from ..types import Turn
from .complaint import HeatStep
from .spoken import match
from .patterns import PatternMatch, load_patterns

CODE = "HEAT.APOLOGIZE"
_CLAUSE_END = re.compile(r"[.?!;](?=\s|$)")  # not the point in "£67.40"


def clause_end(text: str, start: int, limit: int = 90) -> int:
    """End of the clause that begins at ``start``: the next full stop or question mark."""
    m = _CLAUSE_END.search(text, start)
    end = m.start() if m else len(text)
    return min(end, start + limit) if end - start > limit else end


class Apology(HeatStep):
    name = "apology"
    version = "2.0"
    codes = {CODE: "apologize", f"{CODE}.MISSING": "apologize"}
    labels = ("apologize",)
    label, code, step = "apologize", CODE, "apologise"

    def best(self, turn: Turn, after_complaint: bool):
        best = None
        for m in apology_cues(turn.text):
            score = m.score
            if m.pattern_id in ("apo.sorry", "apo.so-sorry", "apo.i-am-sorry"):
                score = score + 0.1 if after_complaint else score - 0.15
            if best is None or score > best[2]:
                best = (m.char_start, m.char_end, min(score, 0.99), f"pattern:{m.pattern_id}")
        return best


def apology_cues(text: str) -> list[PatternMatch]:
    """The apology cues of ``text`` that are apologies: not a "sorry" that repairs the
    conversation, not "sorry to hear" (sympathy), not a bare "Sorry?"."""
    matches = match(load_patterns("apology"), text)
    blocked = [m for m in matches if m.code != CODE]
    out = []
    for m in matches:
        if m.code != CODE:
            continue
        # A repair or sympathy cue that starts at this "sorry" (or covers it) voids it.
        if any(b.char_start <= m.char_end and m.char_start <= b.char_end and b.char_start >= m.char_start - 25
               and b.char_end >= m.char_end for b in blocked):
            continue
        if _bare_question(text, m.char_end):
            continue
        out.append(m)
    return out


def _bare_question(text: str, end: int) -> bool:
    """'Sorry?' on its own asks the customer to repeat."""
    rest = text[end:end + 2]
    return rest.startswith("?")
