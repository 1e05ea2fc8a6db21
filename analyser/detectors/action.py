"""Taking action to resolve the issue (HEAT.TAKE_ACTION).

Anti-pattern: warm words and no step ("it'll get looked at", "we'll see"), or only looking
things up ("let me pull up your account"). Better practice: "I've refunded the £40 and
booked an engineer for Thursday morning."

An action cue is a first-person commitment or report with a resolving verb ("I'll book",
"I've credited", "I'm escalating"), or a report that a step is done ("that's gone through",
"the refund has been processed"). A cue is set aside when, in the same sentence and close by,
the agent only offers ("if you like", "would you like me to"), only looks something up,
promises vaguely, says they cannot, or asks a question. A callback counts only with a time.
A call with a complaint and no action gets a missing finding at the agent's reply to the
first complaint.
"""
from __future__ import annotations

import re

from ..types import Turn
from .complaint import HeatStep
from .spoken import LATER_CLAUSE, NOT_A_TITLE, match, spoken
from .patterns import PatternMatch, load_patterns

CODE = "HEAT.TAKE_ACTION"
_CALLBACK_VERBS = frozenset({"call", "ring", "phone", "contact"})
_TIME = re.compile(
    r"\b(today|tonight|tomorrow|morning|afternoon|evening|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"\d{1,2}(:\d\d)?\s*(am|pm)|o'?clock|by \w+|before \w+|half \w+|within|hours?|minutes?|working days?|end of|next week"
    r"|this week)\b",
    re.IGNORECASE,
)
# A day or an hour, for callbacks arranged for someone else.
_FIRM_TIME = re.compile(
    r"\b(today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|midday|noon|"
    r"\d{1,2}(:\d\d)?\s*(am|pm)|o'?clock|end of (the )?day)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(NOT_A_TITLE + r"[.?!](?=\s|$)")
# A step in a clause about some other time is a condition, not an action taken.
_LATER = re.compile(rf"\b(?:{LATER_CLAUSE}|before)\s+"
                    r"(?:(?:he|she|they|it|that|this)\s*|(?:the|your|his|her|their|our)\s+(?:[\w-]+\s*)?)?$", re.I)
# A "but" between a refusal and a step: the refusal does not reach the step.
_BUT = re.compile(r"\bbut\b", re.I)
# Callbacks arranged by the agent for someone else; like the agent's own, they need a time.
_CALLBACK_PATTERNS = frozenset({"act.they-will-call", "act.asked-to-call"})
# Auxiliaries that make "I can / I could / I'd" an offer rather than a commitment.
_OFFER_AUX = frozenset({"can", "could", "would", "'d"})
_COMMIT_AUX = frozenset({"will", "'ll", "have", "'ve", "am", "'m", "are", "'re", "going", "just", "already", "gone"})
# Cues that ask or offer something next; they cannot undo a step already reported as done.
_LATER_ASKS = frozenset({"CUE.OFFER", "CUE.ASK"})


def _reports_done(chain: set[str]) -> bool:
    """Whether the words between "I"/"we" and the verb make a present perfect ("I've just put ..."),
    not an obligation ("I have to") or a possession ("I've got")."""
    return bool(chain & {"have", "'ve"}) and not chain & {"to", "got", "can", "could", "would", "'d"}


def _same_sentence(text: str, a: int, b: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return not _SENTENCE_END.search(text, lo, hi)


def _sentence_of(text: str, pos: int) -> tuple[int, int]:
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, pos)]
    start = starts[-1] if starts else 0
    m = _SENTENCE_END.search(text, pos)
    return start, (m.end() if m else len(text))


class Action(HeatStep):
    name = "action"
    version = "2.0"
    codes = {CODE: "take_action", f"{CODE}.MISSING": "take_action"}
    labels = ("take_action",)
    label, code, step = "take_action", CODE, "take action"

    def best(self, turn: Turn, after_complaint: bool = False):
        text = turn.text
        matches = match(load_patterns("action"), text)
        blocks = [m for m in matches if m.code != CODE]
        words = spoken(text).words
        best = None
        for m in matches:
            if m.code != CODE:
                continue
            score = self._score(m, words, text, blocks)
            if score is None:
                continue
            if best is None or score > best[2]:
                best = (m.char_start, m.char_end, score, f"pattern:{m.pattern_id}")
        return best

    def _score(self, m: PatternMatch, words: list[str], text: str, blocks: list[PatternMatch]) -> float | None:
        score = m.score
        # The words between "I"/"we" and the verb of "I've just put", "I can book".
        chain = set(words[m.token_start + 1:m.token_end - 1]) if m.pattern_id == "act.i-will-do" else set()
        done = _reports_done(chain)
        for b in blocks:
            if done and b.code in _LATER_ASKS and b.char_start >= m.char_end:
                continue  # "I've put you down for eight tomorrow, can I take your name": the step is done
            if ((m.pattern_id == "act.note-for-someone" or m.pattern_id in _CALLBACK_PATTERNS)
                    and m.char_start <= b.char_start and b.char_end <= m.char_end):
                continue  # "added a note" inside "added a note for the engineer to ring her", "I'll ask"
                # inside "I'll ask the site manager to call her on Wednesday"
            near = b.token_end >= m.token_start - 6 and b.token_start <= m.token_end + 6
            if b.char_end <= m.char_start and _BUT.search(text, b.char_end, m.char_start):
                continue  # "I can't refund it myself, but I'm raising a complaint with head office"
            if near and _same_sentence(text, b.char_start, m.char_start):
                return None
        if _LATER.search(text, 0, m.char_start):
            return None  # "once he's booked you'll get an email", "until he's done"
        s_start, s_end = _sentence_of(text, m.char_start)
        if text[s_start:s_end].rstrip().endswith("?"):
            return None  # "Have you been refunded?", "Shall I book that?"
        if m.pattern_id in _CALLBACK_PATTERNS and not _FIRM_TIME.search(text[m.char_end:m.char_end + 80]):
            return None  # "the manager will call you" with no day or hour is a vague promise, and
            # "the engineer will ring you half an hour before" says how a visit works
        if m.pattern_id == "act.i-will-do":
            verb = words[m.token_end - 1]
            if chain & _OFFER_AUX and not chain & _COMMIT_AUX:
                score = 0.45  # "I can book that" is an offer until it is done
            if verb in _CALLBACK_VERBS and not _TIME.search(text[m.char_end:m.char_end + 80]):
                score = 0.4  # a callback counts only at a stated time
            if "got" in chain and not verb.endswith(("ed", "en", "ent")):
                return None  # "I've got order 44719 here" reads the record
            if chain & {"have", "'ve"} and verb.endswith("ed"):
                score = min(0.95, score + 0.05)
        return score
