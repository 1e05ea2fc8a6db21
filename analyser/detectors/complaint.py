"""The customer's complaint (HEAT.COMPLAINT), and what the HEAT detectors share.

Anti-pattern: treating every caller with a problem as complaining, or missing the quiet
complaint ("so nobody was going to tell me, then"). A complaint is dissatisfaction with the
organisation, or a problem it caused: its bill, product, staff, delay, broken promise, and
the pushback and sarcasm that follow a poor answer ("That's it?", "Brilliant.").

Customer turns are matched against phrase families (negative evaluation, failure and delay,
repeated contact, wrong charges, broken promises). A cue that the organisation did not cause
the problem (a storm, a fraudster, the customer's own slip) lowers the score unless the
customer is also unhappy with how it is being handled. Two context rules add what patterns
cannot see: a sarcastic one-word verdict after bad news, and an echo of the agent's own
words thrown back as a question ("A note? Is that it?").

Shared with hear/empathy/apology/action: ``content_words``, ``is_question`` and
``complaint_turns``, which decides whether HEAT applies to a call. Patterns are matched on the
spoken form of a turn (``spoken.match``).
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from .. import classifier
from ..types import Finding, Transcript, Turn
from .base import Detector
from .patterns import PatternMatch, load_patterns
from .spoken import match, spoken

# Words that say nothing about the customer's problem, kept out of word-overlap checks.
_GENERIC = frozenset("""
yeah yes yep ok okay right sure well oh ah please thanks thank lovely great fine just really
actually basically call calling phone ring today now time thing things bit lot get got go going
want need like know think say said tell told mean look let help sorry customer account number
name mr mrs ms miss one two three four five six seven eight nine ten day week month can could
would will shall might must see check pounds pound work works new send take read card long number
fine sort sorted happen happened bit yesterday tomorrow morning afternoon
""".split())
_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """A crude stem, the same for "issue", "issues" and "issued", or "charge", "charges" and "charged"."""
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 4:
            word = word[: -len(suf)]
            break
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word


def content_words(text: str) -> set[str]:
    """Stems of the words in ``text`` that carry its content (no stop or filler words)."""
    out = set()
    for w in spoken(text).words:
        if len(w) < 3 or w in STOP_WORDS or w in _GENERIC or not any(c.isalnum() for c in w):
            continue
        out.add(stem(w))
    return out


def is_question(text: str) -> bool:
    """Whether a turn asks something: a question mark, or (unpunctuated speech) a question opening."""
    if "?" in text:
        return True
    if re.search(r"[.!]\W*$", text):
        return False  # punctuated and not a question ("When you've waited months, it takes the shine off.")
    words = spoken(text).words
    return bool(_QUESTION_START.search(" ".join(words)))


_QUESTION_START = re.compile(
    r"(^|\b(?:so|and|ok|okay|right)\s)(?:(?:is|are|was|were|do|does|did|have|has|had|can|could)"
    r"\s(?:it|you|they|that|this|there|the|your|he|she|we|anyone|anybody|someone)"
    # "what's the problem with it", "whereabouts does he live": a question word and its verb
    r"|(?:when|where|whereabouts|which|what|how|why)\s(?:it|you|they|that|this|there|the|your|long|often|many|much"
    r"|did|does|do|is|was|are|were|'s|has|have|exactly|just|only))\b"
)


# --- complaint -----------------------------------------------------------------------------

COMPLAINT = "HEAT.COMPLAINT"
_SARCASM_WORD = r"(?:brilliant|great|lovely|wonderful|fantastic|marvellous|perfect|typical|charming|terrific|whatever)"
# A one-word verdict opening a sentence: "Brilliant." / "fine whatever", or, in unpunctuated
# speech, two in a row ("oh brilliant great so it's just sat there").
_SARCASM = re.compile(rf"(?:^|[.!?]\s+)\W*((?:(?:oh|right|well|yeah|ok|okay),?\s+)?{_SARCASM_WORD}\b(?:[.!,]|\s+{_SARCASM_WORD}\b)"
                      rf"|(?:(?:fine|right|ok|okay|yeah)\W+)?whatever(?:\W+(?:then|bye|cheers|thanks))*\W*$)", re.IGNORECASE)
# Praise turned round by a tag at the end of the turn: "... and it's still half done, brilliant that is".
_SARCASM_TAG = re.compile(rf"\b{_SARCASM_WORD}\W+that(?:'s| is)\W*$", re.IGNORECASE)
# "fine whatever, is she coming next week": resignation opening a line, after bad news or a vague answer.
_WHATEVER_FIRST = re.compile(r"^\W*(?:fine|right|ok|okay|yeah)\W+whatever\b", re.IGNORECASE)
_THATS_IT = re.compile(r"\b(that's|thats|that is|is that) (it|all)\s*\?", re.IGNORECASE)
# Unpunctuated, "that's it" closes or opens a line thrown back at a statement: "so I just wait
# another week that's it", "that's it someone will be in touch when".
_THATS_IT_BARE = re.compile(r"^\W*(?:so |well |oh )?that'?s it\b\W*\w+(?:\W+\w+){2,}|\w+(?:\W+\w+){2,}\W+that'?s it\W*$",
                            re.IGNORECASE)
# An either-or question ("hot or cold?", "just you or anyone else?"): the reply picks an option.
_CHOICE = re.compile(r"\b(?:is|are|was|were|do|does|did|would|will|can|could|shall|should|have|has)\s+"
                     r"(?:it|you|that|this|they|there|we|she|he)\b[^.!]*\bor\b", re.IGNORECASE)
# Words that open a real question or a reply, never an echo of the agent's word.
_OPENERS = frozenset("can could will would do does did is are was were have has what when where which how why who well so and but".split())
_BAD_NEWS = frozenset("not never no nobody cancelled failed unfortunately only cannot afraid wasn't didn't can't won't isn't".split())
# Resigned pushback on a vague answer: "so I just wait then". (A plain "when will I hear?"
# after one is a question: the dev calls label it so.)
_RESIGNED = re.compile(r"^\W*(?:(?:right|ok|okay|so|and|well|yeah|great|brilliant)\W+)*"
                        r"((?:so )?(?:i|we) (?:just |have to |need to |'ve got to |am meant to |are meant to )*(?:wait|sit)\b.*)", re.I)
# Asking what a vague answer is worth: "and then what", "meaning what", "what does that even mean".
_THEN_WHAT = re.compile(r"\b(?:(?:and|so) then what|meaning what|what does that (?:even |actually )?mean"
                        r"|what(?:'s| is) that (?:supposed|meant) to mean)\b", re.I)
# A follow-up request or a yes after a verdict word is acceptance, not sarcasm ("Perfect. And the
# Monday change?", "Perfect, yes please.").
_FOLLOW_UP = re.compile(r"\W*(?:and|what about|how about|can|could|will|would|does|do)\b[^?]*\?"
                        r"|\W*(?:(?:yes|yeah|yep)\W+)?(?:please|go ahead|do that|that works|sounds good)\b", re.I)
# A repair, not a challenge: "Sorry? Name and what?", "Wednesday the what?".
_REPAIR = re.compile(r"\b(?:sorry|pardon|the what|you what|say again)\b", re.I)
# A vague answer: no time and no step ("someone will be in touch", "should be in the next few days").
_VAGUE_EXTRA = re.compile(r"\b(be in touch|get back to you|at some point|next few days|can'?t say|cannot say|don'?t know|no idea"
                          r"|(?:you'll|you will|you can|you could|you need to|you'll need to|just) (?:ring|call|phone) (?:back|again))\b", re.I)
# A "no" that is politeness or a plain answer, not bad news ("not at all", "No, just pop in").
_POLITE_NO = re.compile(r"^\W*no\b|\bno (problem|worries|bother|need)\b|\bnot at all\b|\bnot a problem\b", re.I)
_AGREEMENT = frozenset("ok okay fine great perfect lovely thanks thank brilliant good yes yeah yep cheers hello hi hiya morning".split())
# An echoed hedge ("Might." / "should") is a challenge even without a question mark.
_HEDGES = frozenset("might should maybe possibly hopefully probably eventually soon sometime note only just try".split())
_THANKS = frozenset({"thanks", "thank", "cheers", "appreciate"})


@dataclass(frozen=True)
class Cue:
    turn: Turn
    char_start: int
    char_end: int
    score: float
    method: str


def _noisy_or(scores: list[float]) -> float:
    p = 1.0
    for s in scores:
        p *= 1.0 - s
    return 1.0 - p


def score_complaint(turn: Turn, previous_agent: Turn | None) -> Cue | None:
    """The complaint cue of one customer turn with its confidence, or None."""
    matches = match(load_patterns("complaint"), turn.text)
    void = [m for m in matches if m.code == "CUE.VOID"]
    positive = [m for m in matches if m.code == COMPLAINT
                and not any(v.char_start < m.char_end and m.char_start < v.char_end for v in void)]
    # A not-the-organisation cue inside a complaint cue ("it's not my fault") is void.
    not_org = [m for m in matches if m.code == "CUE.NOT_ORG"
               and not any(p.char_start <= m.char_start and m.char_end <= p.char_end for p in positive)]
    best: dict[str, PatternMatch] = {}
    for m in positive:  # one vote per pattern id
        if m.pattern_id not in best or m.score > best[m.pattern_id].score:
            best[m.pattern_id] = m
    if previous_agent is not None and _offers_choice(previous_agent):
        offered = set(spoken(previous_agent.text).words)
        best = {k: m for k, m in best.items() if not set(spoken(turn.text[m.char_start:m.char_end]).words) <= offered}
    scores = [m.score for m in best.values()]
    cue = None
    if best:
        top = max(best.values(), key=lambda m: (m.score, m.char_end - m.char_start))
        cue = Cue(turn, top.char_start, top.char_end, _noisy_or(scores), f"pattern:{top.pattern_id}")
    context = _context_cue(turn, previous_agent)
    if context and (cue is None or context.score > cue.score):
        cue = context
    if cue and not_org:
        # Not the organisation's doing (storm, fraud, own mistake): only unhappiness with
        # the handling makes it a complaint, and only a strong cue shows that.
        strong = [s for s in scores if s >= 0.85]
        cue = Cue(turn, cue.char_start, cue.char_end, cue.score * (0.75 if strong else 0.4), cue.method)
    return cue


def _offers_choice(agent: Turn) -> bool:
    """Whether the agent's turn is an either-or question, so a reply naming an option chooses it."""
    return bool(_CHOICE.search(agent.text))


def _vague(agent: Turn) -> bool:
    """Whether the agent's turn promises nothing definite (a vague cue of the action patterns)."""
    return bool(_VAGUE_EXTRA.search(agent.text)) or any(
        m.code == "CUE.VAGUE" for m in match(load_patterns("action"), agent.text))


def _acts(agent: Turn) -> bool:
    """Whether the agent's turn reports or commits to a concrete step (an action pattern)."""
    return any(m.code == "HEAT.TAKE_ACTION" for m in match(load_patterns("action"), agent.text))


def _bad_news(agent: Turn) -> bool:
    """Whether the agent's turn gives bad news, so "Great." after it reads as sarcasm.

    A turn that reports a concrete step ("I've moved you to Wednesday, and the Tuesday slot
    is cancelled") is good news whatever words it uses, and a polite "no" is not bad news."""
    if _acts(agent):
        return False
    return bool(set(spoken(_POLITE_NO.sub(" ", agent.text)).words) & _BAD_NEWS)


def _context_cue(turn: Turn, previous_agent: Turn | None) -> Cue | None:
    text = turn.text
    sp = spoken(text)
    words = sp.words
    if previous_agent is None or not words or set(words) & _THANKS:
        return None
    agent_said = set(spoken(previous_agent.text).words)
    m = _THATS_IT.search(text)
    if m:
        return Cue(turn, m.start(), m.end(), 0.8, "rule:is-that-it")
    m = _RESIGNED.search(text)
    if m and len(words) <= 8 and (_vague(previous_agent) or _bad_news(previous_agent)):
        return Cue(turn, m.start(1), m.end(1), 0.7, "rule:pushback-on-vague")
    m = _WHATEVER_FIRST.search(text)
    if m and (_bad_news(previous_agent) or _vague(previous_agent)):
        return Cue(turn, m.start(), m.end(), 0.7, "rule:sarcasm")
    m = _THATS_IT_BARE.search(text)
    if (m and not re.search(r"[.?!,]", text) and not is_question(previous_agent.text)
            and not re.match(r"\W*(?:yes|yeah|yep|exactly|that's right)\b", text, re.I)):
        return Cue(turn, m.start(), m.end(), 0.7, "rule:is-that-it")
    m = _THEN_WHAT.search(text)
    if m and _vague(previous_agent):
        return Cue(turn, m.start(), m.end(), 0.7, "rule:pushback-on-vague")
    m = _SARCASM_TAG.search(text)
    if m:
        return Cue(turn, m.start(), m.end(), 0.7, "rule:sarcasm-tag")
    m = _SARCASM.search(text)
    if m and (len(words) > 1 or "whatever" in words) and not _FOLLOW_UP.match(text[m.end(1):]):
        if (_bad_news(previous_agent) or _vague(previous_agent) or "whatever" in words
                or any(w in ("so", "again", "paying", "still") for w in words[1:4])):
            return Cue(turn, m.start(1), m.end(1), 0.7, "rule:sarcasm")
    # Echo pushback: the customer's opening words throw the agent's own word back as a
    # challenge ("Expired?", "A note. Right.", "might").
    first = re.split(r"(?<=[.?!])\s", text.strip(), maxsplit=1)[0]
    if _REPAIR.search(first) or _offers_choice(previous_agent):
        return None
    head = [w for w in spoken(first).words if w not in _AGREEMENT]
    echoed = [w for w in head if w in agent_said and w not in STOP_WORDS]
    if head and head[0] in _HEDGES and head[0] in agent_said and (len(head) == 1 or not re.search(r"[.?!,]", text)):
        echoed, head = [head[0]], head[:1]  # unpunctuated speech: "should can you not make sure"
    if not head or len(head) > 3 or not echoed or head[0] in _OPENERS:
        return None
    hedge = any(w in _HEDGES for w in echoed)
    if not hedge and _acts(previous_agent):
        return None  # "A whole set?" after "I'm sending you a complete set" is surprise, not pushback
    challenge = first.rstrip().endswith("?") or re.match(r"\W*(right|great|brilliant|really|seriously)\b", text[len(first):].strip(), re.I)
    if hedge or challenge:
        end = len(first.rstrip())
        return Cue(turn, sp.spans[0][0], end, 0.65 if hedge else 0.6, "rule:echo-pushback")
    return None


_CACHE: dict[tuple, tuple[weakref.ref, list[Cue]]] = {}


MODEL_ALONE = 0.999
# How sure the reader must be that a reply to the agent's question complains.
ANSWER_MIN = 0.7
# The complaint reader's settings that every HEAT detector shares (they all ask whether a
# call has a complaint): set from the complaint detector's configuration when it is built.
SETTINGS: dict[str, object] = {"model_alone": MODEL_ALONE, "text_reader": True}


def _answers(previous_agent: Turn | None) -> bool:
    """Whether a customer turn replies to a question the agent has just asked."""
    return previous_agent is not None and is_question(previous_agent.text)


def complaint_cues(transcript: Transcript, threshold: float = 0.5, model_alone: float | None = None,
                   use_reader: bool | None = None) -> list[Cue]:
    """Every customer turn judged a complaint, with its cue. Cached per transcript object.

    ``use_reader``: let the bag-of-words classifier (analyser.gate) add the turns it reads as
    complaints; ``model_alone``: how sure it must be to make a complaint call on its own
    (both default to ``SETTINGS``)."""
    model_alone = float(SETTINGS["model_alone"]) if model_alone is None else model_alone  # type: ignore[arg-type]
    use_reader = bool(SETTINGS["text_reader"]) if use_reader is None else use_reader
    key = (id(transcript), classifier.heads_key(), id(classifier._gate["gate"]), model_alone, use_reader)
    default = threshold == 0.5
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is transcript and default:
        return hit[1]
    cues: list[Cue] = []
    model_only: list[tuple[Turn, float, bool]] = []
    reader = classifier.text_reader(transcript, "complaint") if use_reader else None
    previous_agent: Turn | None = None
    for turn in transcript.turns:
        if turn.speaker == "agent":
            previous_agent = turn
            continue
        cue = score_complaint(turn, previous_agent)
        # The pattern cue fused with the encoder's reading of the turn, when `model_labels`
        # lets the encoder read complaints; otherwise the pattern score itself.
        p = classifier.judge(transcript, turn.index, "complaint", cue.score if cue else 0.0, threshold)
        if cue is not None and p >= threshold:
            cues.append(Cue(turn, cue.char_start, cue.char_end, p, cue.method))
        elif p >= threshold:
            model_only.append((turn, p, False, _answers(previous_agent)))
        elif reader is not None and reader[turn.index] >= threshold:
            model_only.append((turn, float(reader[turn.index]), True, _answers(previous_agent)))
    # A learned reader finds the paraphrased turns of a complaint ("and the app said ten
    # minutes for forty minutes"), but alone it also reads plain accounts of a problem as
    # complaints. So it adds turns to a call whose complaint a pattern has shown, and makes a
    # complaint call on its own only when it is very sure (``model_alone``).
    # A reply to the agent's question is a plain answer ("it goes orange and comes back after
    # five minutes") unless the model is fairly sure it complains.
    anchored = bool(cues)
    for turn, p, by_reader, answer in model_only:
        if answer and p < ANSWER_MIN:
            continue
        if anchored or p >= model_alone:
            span = classifier.reader_span if by_reader else classifier.model_span
            start, end, method = span(transcript, turn.index, "complaint")
            cues.append(Cue(turn, start, end, p, method))
    cues.sort(key=lambda c: c.turn.index)
    if default:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = (weakref.ref(transcript), cues)
    return cues


def complaint_turns(transcript: Transcript) -> list[Turn]:
    """The customer turns that complain; HEAT applies to a call only when there is one."""
    return [c.turn for c in complaint_cues(transcript)]


def missing_anchor(transcript: Transcript) -> Turn | None:
    """Where a missing HEAT step is anchored: the agent turn right after the first complaint."""
    first = complaint_turns(transcript)
    if not first:
        return None
    for turn in transcript.turns[first[0].index + 1:]:
        if turn.speaker == "agent":
            return turn
    return first[0]


def heat_missing(detector: Detector, transcript: Transcript, code: str, step: str) -> list[Finding]:
    """A missing finding for a HEAT step, only when the call has a complaint."""
    anchor = missing_anchor(transcript)
    if anchor is None:
        return []
    return [detector.missing(code, anchor, f"the customer complained and the agent did not {step}")]


class HeatStep(Detector):
    """An agent-side HEAT step judged turn by turn, knowing whether the turn answers a complaint.

    Subclasses set ``label``, ``code`` and ``step`` (the verb of the missing-finding message)
    and implement ``best(turn, after_complaint)``: the pattern evidence as (start, end, score,
    method) or None. The quote runs to the end of the clause; the learned model may join in.
    """

    label: str = ""
    code: str = ""
    step: str = ""

    def best(self, turn: Turn, after_complaint: bool) -> tuple[int, int, float, str] | None:  # pragma: no cover
        raise NotImplementedError

    def detect(self, transcript: Transcript) -> list[Finding]:
        from .apology import clause_end
        from .base import fused_finding

        threshold = self.threshold("min_score", 0.5)
        complaints = {t.index for t in complaint_turns(transcript)}
        found: list[Finding] = []
        last_customer: Turn | None = None
        for turn in transcript.turns:
            if turn.speaker != "agent":
                last_customer = turn
                continue
            after_complaint = last_customer is not None and last_customer.index in complaints
            best = self.best(turn, after_complaint)
            if best:
                best = (best[0], clause_end(turn.text, best[1]), best[2], best[3])
            found += fused_finding(self, transcript, turn, self.label, self.code, best, threshold)
        if not found:
            found = heat_missing(self, transcript, f"{self.code}.MISSING", self.step)
        return found


class Complaint(Detector):
    name = "complaint"
    version = "2.0"
    codes = {COMPLAINT: "complaint"}
    labels = ("complaint",)

    def __init__(self, config=None):
        super().__init__(config)
        self.model_alone = self.threshold("model_alone", MODEL_ALONE)
        self.use_reader = bool(self.config.get("text_reader", True))
        SETTINGS.update(model_alone=self.model_alone, text_reader=self.use_reader)

    def detect(self, transcript: Transcript) -> list[Finding]:
        threshold = self.threshold("min_score", 0.5)
        return [
            self.finding(COMPLAINT, c.turn, c.char_start, c.char_end, c.score, c.method)
            for c in complaint_cues(transcript, threshold, self.model_alone, self.use_reader)
        ]
