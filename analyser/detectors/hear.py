"""Hearing the customer's problem (HEAT.HEAR): active listening, not bare backchannels.

Anti-pattern: "OK. Can I take your postcode?" straight after a long account of a missed
engineer visit. Better practice: "Right, so the engineer didn't turn up on Monday and nobody
rang you. Is it the boiler or the hot water that's out?"

A turn hears the customer when it restates the problem ("so just so I've got this right"),
asks a clarifying or troubleshooting question ("is it every radiator or just the one?"), or
acknowledges the specifics, which is judged by the content words it shares with what the
customer said before it. Security questions, and words that appear only inside an apology
("sorry about the parcel"), do not count. A call with a complaint and no listening gets a
missing finding anchored at the agent's reply to the first complaint.
"""
from __future__ import annotations

import re

from ..types import Finding, Transcript, Turn
from .apology import apology_cues, clause_end
from .base import Detector, fused_finding
from .card_numbers import digit_runs
from .complaint import complaint_turns, content_words, heat_missing, is_question
from .spoken import LINE_BROKE, NOT_A_TITLE, match
from .patterns import PatternMatch, load_patterns

CODE = "HEAT.HEAR"
_SENTENCE = re.compile(r".+?(?:" + NOT_A_TITLE + r"[.?!]+(?=\s|$)|$)", re.S)
# Explaining the cause is not hearing the problem ("the direct debit failed at our end").
_CAUSE = re.compile(r"\b(because|what's happened|what has happened|the reason|due to|caused by|that's why|which is why"
                    r"|that(?:'ll| will| would|'d) be why|which (?:would )?explains|that explains)\b", re.I)
_ACK = re.compile(r"^\W*((right|okay|ok|i see|ah|oh|yes|yeah|got it|mm|hm|of course|sure|thank you|thanks|lovely|great)\b\W*)+", re.I)
_INFORMS = re.compile(r"so (you|it|they|he|she)('ll| will| can| need| should| could| may| might| won't| wont| don't have"
                      r"|'ve got to| have got to| have to| must|'re only| are only| only| says| shows|'s showing| is showing)\b", re.I)
# The caller has passed the security check ("that's you verified", "all matched").
_CHECK_PASSED = re.compile(r"\b(?:verified|verify|through security|you through|matched|matches|confirmed|all correct)\b", re.I)
# Unpunctuated speech often ends a statement with a question ("...it's eighty nine ninety nine
# do you use it mostly indoors or out"): an inverted auxiliary among the last words asks.
_LATE_QUESTION = re.compile(r"\b(?:do|does|did|is|are|was|were|have|has|can|could|would|will)\s+"
                            r"(?:you|it|they|there|she|he|your|that|this|anyone|anybody)\b(?!.*\b(?:do|does|did|is|are|was|were|have|has|can|could|would|will)\s+(?:you|it|they|there|she|he|your|that|this)\b)"
                            r"(?:\W+\w+){0,10}\W*$", re.I)
# A number of six or more digits read back ("so that's 20-45-77 and 61038254?") confirms details,
# it does not ask about the problem.
_LONG_NUMBER = 6
# "just so you know", "so the thing is": the agent tells, it does not restate.
_JUST_SO = re.compile(r"\bjust so\b|\bso you know\b|\bso the thing is\b|\bso the way it works\b", re.I)
# An amount of money in a sentence whose figure the caller did not say: the agent is giving
# figures from the account ("so that's nineteen pounds eighty in charges"), not acknowledging
# what the caller said ("so a £600 deposit, and the table never came").
_FIGURES = re.compile(r"£|\b(?:pounds?|quid|pence|hundred|thousand)\b", re.I)
_NUMBER = re.compile(r"\d|^(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
                     r"|sixty|seventy|eighty|ninety|hundred|thousand)", re.I)
# A weak listening rule (score under 0.7) is overruled when the learned reader is this sure it is
# not listening: word overlap alone cannot tell "so the rest is coming on the 28th" from an echo.
_DOUBT = (0.1, 0.7)  # (floor, firm)
# Asking to hear something again because the line broke (LABELS.md: not listening), or whether
# there is anything else: not a question about the caller's problem, whatever words it shares.
_REPEAT_OR_MORE = re.compile(r"\b(?:anything (?:else|more)|something else|" + LINE_BROKE
                             + r"|say (?:that|it|the \w+(?: \w+)?) again|repeat|slower)\b", re.I)
# Questions that are not about the caller's problem or request: who they are, what else, say again.
_NOT_CLARIFYING = re.compile(r"^\W*(?:sorry|pardon)\b|" + _REPEAT_OR_MORE.pattern + r"|\b(?:name|names|surname|who(?:'s| is) (?:it|the \w+) (?:under|in)|under (?:what|which)"
                             r"|would you like|do you want|shall i|should i|would you prefer|are you happy|is that (?:ok|okay|alright|all right)"
                             r"|is that (?:right|correct)|suit|either of those|work for you|help|would that be|would you also"
                             r"|speaking (?:with|to)|with us (?:before|already)|(?:could|can) you (?:drop|bring|pop|come)"
                             r"|how would you like to pay|reg|registration|email|card|payment|reference|ref|address|number|id"
                             # a contact number asked, or an open prompt ("go on, what happened?")
                             r"|a mobile|your mobile|mobile number|phone number|landline|^\W*(?:(?:ok|okay|right|thanks)\W+)*go on"
                             r"|what happened|what's happened|what has happened)\b", re.I)
# Asking who or where the caller is ("what's the address of the property", "what's your son's
# name", "what's the school called") identifies, it does not ask about the problem.
_IDENTIFIES = re.compile(r"\b(?:what(?:'s|s| is) (?:the|your|his|her|their) (?:\w+(?:'s)? ){0,3}(?:name|address|postcode|post code)"
                         r"|what(?:'s|s| is) (?:the|your|his|her|their) \w+(?: \w+)? called)\b", re.I)
# Sympathy that goes on to the caller's own facts quotes them back (LABELS.md: "four days without
# heating"): "that's worrying, especially with the plaster softening", "how disappointing that is
# when it's for your brother".
_FACTS_AFTER_FEELING = re.compile(r"\b(?:especially|particularly|specially)\b|\bwhen (?:it's|it is|it was|you've|you have"
                                  r"|you're|you are|your|she's|he's|they've|they're|money's)\b", re.I)
# The line broke somewhere in the turn: "Sorry, you broke up there. Was that the fourth?" asks again.
_LINE_BROKE = re.compile(r"\b(?:" + LINE_BROKE + r")\b", re.I)
# Asking for the means to pay: "have you got a card handy?"
_PAY_ASK = re.compile(r"\bcard (?:handy|ready|to hand|on you|with you)\b|\bpay (?:by|with|now|today|that|it)\b", re.I)
# How far back the customer's words count: their turns since this many agent turns ago.
_WINDOW = 8


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of a turn (a whole unpunctuated turn is one)."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


class Hear(Detector):
    name = "hear"
    version = "2.0"
    codes = {CODE: "hear", f"{CODE}.MISSING": "hear"}
    labels = ("hear",)

    def detect(self, transcript: Transcript) -> list[Finding]:
        threshold = self.threshold("min_score", 0.5)
        complaints = {t.index for t in complaint_turns(transcript)}
        found: list[Finding] = []
        turns = transcript.turns
        for turn in turns:
            if turn.speaker != "agent":
                continue
            said = self._customer_words(turns, turn.index, complaints)
            before = turns[turn.index - 1] if turn.index else None
            request = before is not None and before.speaker == "customer" and len(before.text.split()) >= 6
            best = self._best(turn, said, request) if said else None
            # The model alone may call it listening only when the turn names something the
            # customer said ("when did the boiler stop?" is not hearing a meter reading).
            refers = bool(said and content_words(_mask_apologies(turn.text)) & said)
            found += fused_finding(self, transcript, turn, "hear", CODE, best, threshold, model_allowed=refers,
                                   doubt=_DOUBT)
        if not found:
            found = heat_missing(self, transcript, f"{CODE}.MISSING", "show they heard the problem")
        return found

    @staticmethod
    def _customer_words(turns, index: int, complaints: set[int]) -> set[str]:
        """Content words of the customer's problem or request in the recent turns before ``index``."""
        words: set[str] = set()
        for t in turns[max(0, index - _WINDOW):index]:
            if t.speaker == "customer" and (t.index in complaints or len(t.text.split()) >= 6):
                words |= content_words(t.text)
        return words

    def _best(self, turn: Turn, said: set[str], request: bool = False):
        text = turn.text
        matches = match(load_patterns("hear"), text)
        security = [m for m in matches if m.code == "CUE.SECURITY"]
        acting = [m for m in match(load_patterns("action"), text) if m.code == "HEAT.TAKE_ACTION"]
        feeling = [m for m in match(load_patterns("empathy"), text) if m.code == "HEAT.EMPATHIZE"]
        # A turn that sympathises or apologises may restate the facts in a sentence of their own:
        # "A stain that size, right by the chimney breast, two weeks after the repair. I'm sorry."
        apologies = apology_cues(text)
        caring = bool(feeling or apologies)
        masked = _mask_apologies(text, apologies)
        line_broke = bool(_LINE_BROKE.search(text))
        best = None
        for s_start, s_end in sentences(text):
            sentence = text[s_start:s_end]
            shared = content_words(masked[s_start:s_end]) & said
            cues = [m for m in matches if m.code == CODE and s_start <= m.char_start < s_end]
            score, method = 0.0, ""
            for m in cues:
                # A security question right where the cue is makes it routine, not listening.
                if any(m.char_start - 10 <= x.char_start <= m.char_start + 60 and s_start <= x.char_start < s_end
                       for x in security):
                    continue
                after = content_words(masked[m.char_start:clause_end(text, m.char_end, 120)]) & said
                s = m.score
                if m.pattern_id == "hear.so-restate":
                    before = text[s_start:m.char_start]
                    # "thanks Kieran, that's you verified, so it's the duplicate from the 3rd": the
                    # check's pass and thanks come first, the restatement still opens the business.
                    at_start = not _ACK.sub("", before).strip(" ,") or (
                        bool(_CHECK_PASSED.search(before)) and len(before.split()) <= 10
                        and not _new_figures(sentence, shared))
                    second_person = text[m.char_start:m.char_end].lower().startswith("so you")
                    # An action before the "so" or in its clause ("I've changed it, so you're
                    # covered") reports, it does not restate; one after it ("so you need it by
                    # Saturday, I'll reprint it now") does not matter.
                    in_action = any(s_start <= x.char_start < clause_end(text, m.char_end, 120) for x in acting)
                    if _INFORMS.match(text, m.char_start) or _JUST_SO.search(text, max(0, m.char_start - 5), m.char_end + 12):
                        continue  # "so you'll be on metered charges" tells, it does not restate
                    if not after or in_action or not (at_start or second_person):
                        continue  # "... so the last two months were estimated" explains, it does not restate
                elif m.pattern_id == "hear.either-or" and not _asks(sentence):
                    continue  # "there is the fixed tariff or the variable one" tells, it does not ask
                elif m.pattern_id == "hear.restate" and not after and len(sentence.split()) > 3:
                    s -= 0.3
                elif m.pattern_id == "hear.confirm-from-account":
                    if not after:
                        continue
                    s = 0.4 + 0.15 * min(len(after), 2)
                if s > score:
                    score, method = s, f"pattern:{m.pattern_id}"
            if not cues or not score:
                in_security = any(s_start <= x.char_start < s_end for x in security)
                in_action = any(s_start <= x.char_start < s_end for x in acting)
                in_feeling = any(s_start <= x.char_start < s_end for x in feeling)
                # A question that reads back a number, asks who or where the caller is, or follows
                # a broken line is about something other than the problem, whatever words it shares.
                elsewhere = line_broke or bool(_IDENTIFIES.search(sentence)) or _reads_back_number(sentence)
                if (_asks(sentence) and shared and not in_security and not elsewhere
                        and not _REPEAT_OR_MORE.search(sentence) and not _PAY_ASK.search(sentence)):
                    score, method = 0.6 + 0.1 * min(len(shared), 2), "rule:question-about-problem"
                elif (request and is_question(sentence) and not in_security and not in_action and not acting
                      and not elsewhere and not _NOT_CLARIFYING.search(sentence)):
                    # A question straight after the caller has said what they want ("how old are
                    # they?", "what size is the boat?"): clarifying the request, in other words.
                    score, method = 0.55, "rule:clarifying-question"
                elif in_feeling and any(content_words(masked[x.end():clause_end(text, x.end(), 120)]) & said
                                        for x in _FACTS_AFTER_FEELING.finditer(text, s_start, s_end)):
                    score, method = 0.7, "rule:feeling-quotes-facts"
                elif (len(shared) >= 2 and not in_action and (_ACK.search(sentence) or in_feeling
                                                               or (caring and len(shared) >= 3))
                      and not _new_figures(sentence, shared)):
                    score, method = 0.5 + 0.05 * min(len(shared), 4), "rule:acknowledges-specifics"
            if score and _CAUSE.search(sentence):
                score -= 0.25
            if score and (best is None or score > best[2]):
                best = (s_start + len(sentence) - len(sentence.lstrip()), s_start + len(sentence.rstrip()),
                        min(score, 0.99), method)
        return best


def _asks(sentence: str) -> bool:
    """Whether a sentence asks something, a question closing unpunctuated speech included."""
    if is_question(sentence):
        return True
    return not re.search(r"[.!?]", sentence) and bool(_LATE_QUESTION.search(sentence))


def _reads_back_number(sentence: str) -> bool:
    return any(len(r.digits) >= _LONG_NUMBER for r in digit_runs(sentence))


def _new_figures(sentence: str, shared: set[str]) -> bool:
    """Whether ``sentence`` gives an amount of money whose figure the caller did not say."""
    return bool(_FIGURES.search(sentence)) and not any(_NUMBER.search(w) for w in shared)


def _mask_apologies(text: str, apologies: list[PatternMatch] | None = None) -> str:
    """The text with apology clauses blanked, so words named only in "sorry about X" do not count.

    Only real apologies: the facts after "I'm sorry to hear that" (sympathy) are quoted back."""
    chars = list(text)
    for m in (apology_cues(text) if apologies is None else apologies):
        for i in range(m.char_start, clause_end(text, m.char_end)):
            chars[i] = " "
    return "".join(chars)
