"""Identity verification, and account data revealed before it (data protection).

Anti-pattern: "Right, Mrs Shaw, your balance is £212 and the last payment bounced" after
hearing only a name. Better practice: "Before I go into the account, can I take your
postcode and date of birth?" and only then discuss the account.

`verify_identity`: the agent asks for, or confirms, a security detail (date of birth,
postcode, address, account / policy / booking reference, the account's phone number, a
passcode or security answer, a one-time code). A name alone is not a check; an email used to
find the account, the number the caller rings from and a parcel tracking number are not
either, and a postcode asked to look up an outage in the area is a location, not a check.

`disclosure_before_verification`: walking the call in order, verification is complete once
the customer has answered a check on at least one detail beyond the name (or the agent says
the checks passed). Before that, an agent turn that reveals this customer's account data
(balance, amounts on their bill, address, order, transactions, card ending, contract terms,
"it's showing here") is a disclosure, and so is reading out what the account found from the
caller's number holds ("I've got your booking up from your number, is it the Lisbon trip?").
General information (prices, outages, opening hours) is not, nor is confirming a card payment
the caller has just made. A call where the agent dealt with the account and never checked anything gets
DPA.VERIFY_IDENTITY.MISSING.
"""
from __future__ import annotations

import re

from .. import classifier
from ..types import Finding, Transcript
from .base import Detector
from .spoken import LATER_CLAUSE, LINE_BROKE, match as spoken_match
from .patterns import PatternMatch, load_patterns, rule_match

VERIFY = "DPA.VERIFY_IDENTITY"
DISCLOSE = "DPA.DISCLOSURE_BEFORE_ID"

_ASK = re.compile(
    r"\?|\b(?:can|could|may)\s+(?:i|you|we)\b|\bconfirm\b|\bwhat(?:'s|s| is| was| are)\b"
    r"|\b(?:tell|give|read)\s+me\b|\bplease\b|\bgrab\b|\bjust\s+(?:the|your)\b|\bhave you got\b"
    r"|\bneed (?:to (?:take|get|check|confirm|ask)|your|the|a)\b|\b(?:i|we) (?:can|could|will|'ll) (?:use|take|go with)\b"
    r"|\bare you (?:on|named|listed|authorised|authorized|registered|the account holder)\b",
    re.I)
# "And your date of birth?" in a short sentence is a question even without a question mark.
_SHORT_ASK = re.compile(r"^\W*(?:(?:and|also|ok(?:ay)?|right|lovely|great|thanks?|thank you|so|um|uh|er|then|now)\W+)*"
                        r"(?:the|your)\b", re.I)
_SENTENCE = re.compile(r"[^.?!]*[.?!]?")
_NEGATED = re.compile(r"\b(?:wasn't|weren't|isn't|didn't|hasn't|haven't|couldn't|won't|doesn't|not)\b", re.I)
# What may follow a trailing ask: "... and the post code on the booking", "... and your date of birth please".
_ASK_TAIL = re.compile(r"\W*(?:(?:on|for|with|from) (?:the|your) (?:\w+ )?(?:booking|account|file|record|system|policy|order"
                       r"|membership|agreement|plan)|please|for me|as well|too)?\W*", re.I)
_WH_ASK = re.compile(r"\b(?:what|which)\s+$", re.I)
_TRAILING_ASK = re.compile(r"\b(?:and|also|then|now|next)\s+(?:the|your)\s+(?:[\w']+\s+){0,3}$", re.I)
# Details of someone else ("her date of birth") are not the caller's check.
_THIRD_PARTY = re.compile(r"\b(?:her|his|their|partner's|son's|daughter's|husband's|wife's|mum's|dad's)\s+(?:\w+\s+){0,4}$", re.I)
# Someone being added or booked for the first time: their details go on a form, they check no
# one ("for the extra driver I'll need his date of birth", "her first time with us").
_NEW_PERSON = re.compile(r"\b(?:extra|additional|second|named|new|joint) (?:driver|passenger|member|guest|person|policyholder)"
                         r"|\bpassenger list\b|\bgifts?\b|\bfirst time\b|\badd(?:ing)? (?:her|him|them)\b"
                         r"|\bsign (?:her|him|them) up\b|\benrol|\bjoin(?:ing)?\b", re.I)
# A turn about someone else: the learned reader alone may not call it a check when that person is new.
_HIS_HER = re.compile(r"\b(?:her|his|their)\b", re.I)
# "Your reference is ..." gives a detail rather than asking for it.
_GIVES = re.compile(r"\s*(?:(?:on|for) (?:it|that|this|them)\s+"
                    # "the address we've got is twelve Station Road": read from the record
                    r"|(?:that )?(?:we've got|we have got|we have|we hold|i've got|i have got|i have)"
                    r"(?: (?:on|for) (?:file|the account|your account|you|record))?\s+)?(?:is|was|will|has|'s|would)\b", re.I)
# "... reference INC-55120, to check ...": the detail's value follows it, told rather than asked.
_VALUE_AFTER = re.compile(r"[\s,:]*(?:[a-z]{1,4}[- ]?)?\d[\w-]*"
                          # "it's order number p r uh six four two nine one"
                          r"|[\s,:]*(?:(?:[a-z]|uh|um|er)[- ]){0,4}(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double)"
                          r"(?: (?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double)){2,}\b", re.I)
# Sending a one-time code is asking the caller to prove who they are.
_SENDS_CODE = re.compile(r"\b(?:send|sending|sent|text|texting|texted)\b", re.I)
# How an earlier payment was made, read from the record ("you paid the deposit on card").
_PAID_ON_CARD = re.compile(r"\byou(?:'ve| have)? paid\b[^.?!]*?\b(?:on|by|with) (?:a |the |your |that )?(?:debit |credit )?card\b"
                          r"|\b(?:pounds?|quid|£[\d.,]+) paid (?:on|by|with) (?:a |the |your |that )?(?:debit |credit )?card\b"
                          # a refund read from the record: "twelve pounds that went back to your card on Monday"
                          r"|\b(?:went|gone|goes|refunded|credited) (?:back )?(?:to|on|onto) (?:your|the|her|his) card\b", re.I)
# "Security code" while taking a card payment is the card's code, not an identity check.
_CARD_CONTEXT = re.compile(r"\b(?:card|expiry|cvv|cvc|back of|on the back|three[- ]digits?|long number|signature strip)\b", re.I)
# A bare "and the delivery address?" is where to send an order, not a check (the model alone
# may not call it one; "the postcode of the delivery address" in a security run still is).
_DELIVERY = re.compile(r"\bdelivery address\b|\baddress for (?:the )?delivery\b", re.I)
# Words of bank details given for money to be paid in, not to prove who the caller is.
_PAYING_IN = r"direct debit|standing order|bank details|paid into|refund (?:it )?to"
# A postcode or address asked to find out what is happening in the area, or where to send
# something new, is not an identity check.
_NOT_A_CHECK = re.compile(
    r"\b(?:area|outage|outages|network|coverage|mast|local|nearby|what's going on (?:in|round|around|near|with the)|roadworks|burst|in your street"
    r"|new (?:\w+ )?(?:address|postcode|place|property|home|house|flat)|moving to|move to|you're moving"
    # an address asked as a new entry: "and a home address and postcode"
    r"|(?:a|an) (?:home |billing |contact |postal )?address"
    # where to post something, or an age to be checked for eligibility: "so I can post the voucher
    # out", "as you need to be over eighteen to fly"
    r"|so (?:i|we) can (?:post|send|deliver)|post (?:it|them|the \w+) out|need to be over|over (?:eighteen|18|sixteen|16|twenty one|21)"
    # a record being made for someone new: "for the new patient record", "to set you up"
    r"|new (?:\w+ )?(?:record|customer|client|patient|profile|registration)|set you up|register you"
    r"|delivery slot|deliver(?:ed)? to instead|(?:want|need|like) us to (?:come|call|visit|go)"
    r"|pay from|payee|" + _PAYING_IN + r")\b", re.I)
# Outages, coverage and other news about an area are general information, not account data.
# So are prices quoted for something new ("panels start from £5,900", "it's two pound a ticket").
_GENERAL = re.compile(r"\b(?:area|outage|outages|network|coverage|mast|nearby|roadworks|burst|samples|in your street"
                      r"|opening hours|we're open|(?:is|are) open|open (?:from|until|till)|our prices|standard rate|tariffs? (?:are|is)"
                      r"|there's an? (?:\w+ ){0,3}(?:fee|charge) for"
                      r"|starts? (?:from|at)|starting (?:from|at)|for (?:adults|children|kids|members|non-members|seniors|students|concessions)|(?:you'd|you would|you'll|you will) be looking at"
                      r"|(?:a|per) (?:ticket|person|head|night|panel|seat)|per tax year|allowance"
                      r"|(?:pounds?|quid|pence|£[\d.,]+|\d+(?:\.\d\d)?|ninety nine|ninety five|fifty) each"
                      r"|in total|comes to|(?:that'll|that will|that'd|that would) be"
                      r"|the total(?: cost| price)? (?:is|comes|will)|total's|pay in full"
                      r"|as a deposit|(?:leave|take|pay) a (?:\S+ )?deposit"
                      # a price for something new, or where to find us: "if you book it today", "if you want to pop in"
                      r"|if you (?:book|want to (?:book|pop|come|call|drop)|'d like to (?:book|pop|come))|pop in|drop in|call in"
                      r"|our (?:shop|office|showroom|branch|store|yard|depot)|for the (?:shop|office|showroom|branch|store))\b", re.I)
# Words that carry a value: a question holding none ("have you got the plan number?") asks
# for account data, it does not reveal it.
_VALUE = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|hundred"
                    r"|thousand|oh|double)\b", re.I)
_ASKS_OPENING = re.compile(r"\W*(?:(?:and|ok|okay|right|so|um|er|erm|lovely|great|thanks)\W+)*"
                           r"(?:have you got|have you|do you have|what's|whats|what is|can you|could you"
                           r"|if you've got|if you have)\b", re.I)
# The checks passed, said in so many words: verification is complete however long ago the
# check was asked ("thanks, that's you verified").
_EXPLICIT_PASS = re.compile(r"verif|authenticat|validat|security|checks", re.I)
# Cues that say only "the system shows something": disclosure when they carry some content.
_WEAK_DATA = {"it says", "showing", "looks like", "seems like"}
# Words about the caller's account that the figure, date and record-noun regexes below do not
# cover; with them, what a weak cue must be followed by ("it looks like you were charged").
_ACCOUNT_WORDS = re.compile(r"\b(?:you|your|you're|you've|yesterday|today|last|bill|balance|charge|charged|refund"
                            r"|direct debit|paid|owe|owing|due|ends?|expired?)\b", re.I)
# A weak cue pointing back at what was just said: "it says that on the form", "it says so in".
_POINTS_BACK = re.compile(r"\s*(?:that|so|it|this)\s+(?:on|in|at)\b", re.I)
_MONEY = re.compile(
    r"£\s?\d[\d,]*(?:\.\d\d)?|\b\d[\d,]*(?:\.\d\d)?\s?(?:pounds?|quid|p|pence)\b|\b(?:pounds?|quid|pence|hundred|thousand)\b", re.I)
_DATE = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)\b|\b(?:january|february|march|april|june|july|august|september|october|november"
    r"|december)\b|\bon the (?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\w+teenth|twentieth"
    r"|twenty \w+|thirtieth|thirty first)\b", re.I)
_ADDRESS = re.compile(
    r"\b(?:\d+[a-z]?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty \w+|\w+ty)\s+(?:[a-z]+\s+){0,2}"
    r"(?:road|street|lane|avenue|close|drive|way|rise|gate|grove|crescent|court|place|terrace|gardens|hill|park"
    r"|row|walk|square|mews|quay|view|green|parade)\b(?!\s+(?:foot|feet|metres?|meters?|miles?|yards?|ft)\b)"
    r"(?<!\beither way)(?<!\bany way)(?<!\bno way)(?<!\bone way)(?<!\bthat way)(?<!\bthis way)(?<!\bsame way)(?<!\bother way)"
    r"|\bflat \w+|\bat number \w+", re.I)
# The agent found the account from the number the caller rings from, which proves nothing
# (LABELS.md): what the agent then reads out of it is account data.
_BY_NUMBER = re.compile(
    r"\b(?:from|off|by|with) (?:your|the) (?:phone |mobile )?number\b(?! (?:is|was|please|for))"
    r"|\byour number(?:'s| has)? (?:come|came|popped) up\b|\bnumber (?:you're|youre|you are) (?:calling|ringing|phoning)"
    r"|\brecogni[sz]ed? your number\b|\b(?:come|came|popped|pops|comes) up on (?:the |my |our )?screen\b"
    r"|\b(?:got|have|see) your number (?:on (?:the |my |our )?screen|up|here|coming up)\b"
    r"|\byour number(?:'s| is)? (?:coming|showing) up\b", re.I)
_WEEKDAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_PAYMENT_DONE = re.compile(r"\b(?:taken|gone through|went through|been paid|processed|approved|authori[sz]ed)\b", re.I)
_CONTINUE = re.compile(r"\b(?:it says|says here|it's showing|showing here|on here|on the system|on our system"
                       r"|according to|looks like|the contract|your contract)\b", re.I)
# Talk about the record that carries no content: "I can't see where he is on the system",
# "I'm just saying what's on the system".
_NO_CONTENT = re.compile(r"\b(?:can't|cannot|can not|don't|do not|couldn't|nothing)\b(?:\s+\w+){0,4}\s*$"
                         r"|\bwhat(?:'s| is| it| it's)?\s*$", re.I)


# "have you got a pen?", "do you have the email": a question, whatever words follow.
_QUESTION_BEFORE = re.compile(r"\b(?:have|has|had|do|did|if|when|once|whether|can|could)\s+$", re.I)
# Words that say the agent reads from the record, not from what the caller just said.
_FROM_RECORD = re.compile(r"\b(?:i can see|i've got|showing|shows|says|on the system|on here|on your account"
                          r"|on the account|according to|our records|records|notes)\b", re.I)
_NUMBER_WORD = frozenset("""one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
    half first second third fourth fifth sixth seventh eighth ninth tenth""".split())


# A sentence that asks whether ("is that the number you're calling from ...?").
_ASKS_WHETHER = re.compile(r"^\W*(?:(?:yeah|yes|no|ok|okay|right|so|and|um|er|problem|no problem|lovely|oh|ah|hang on"
                           r"|let me (?:see|check|have a look|just check|look))\W+)*"
                           r"(?:is|are|was|can|could|do|does|did)\s+(?:that|it|this|you)\b", re.I)
# An instruction to the caller ("you just show your booking at the gate").
_INSTRUCTION = re.compile(r"\b(?:show|bring|print|quote|have|take|keep|check)\s+$", re.I)
# A step still to come ("until the deposit's paid").
_NOT_YET = re.compile(rf"\b{LATER_CLAUSE}\s+$", re.I)
# Words that name a record, which a date read with them comes from.
_RECORD_NOUN = re.compile(r"\b(?:appointment|booking|order|delivery|payment|collection|visit|membership|subscription|plan"
                          r"|invoice|renewal|deposit|reservation|fitting|installation|policy|contract|down for|down as)\b", re.I)
# A booking the agent has just made: its date is news of the booking, not data from the record.
_BOOKED_THING = re.compile(r"\b(?:booking|appointment|reservation|visit|collection|fitting|installation)\b", re.I)
_BOOKED_NOW = re.compile(r"\b(?:i've|i have|we've|we have|just|that's|that is|i've just|i have just) (?:booked|reserved|put you)\b"
                         r"|\b(?:that's|that is) you in\b|\byou're in\b", re.I)
_JUST_BOOKED = re.compile(r"\b(?:booked|reserved|i've put you|i have put you|that's you in|you're in)\b", re.I)


def _restates(sentence: str, said: str) -> bool:
    """The agent's sentence gives back figures the caller has just said, and cites no record:
    "so you've been billed for the whole eighty kilowatt hours" after "I've been charged for eighty"."""
    if not said or _FROM_RECORD.search(sentence):
        return False
    values = [w for w in _TOKEN.findall(sentence.lower()) if w in _NUMBER_WORD or w[0].isdigit()]
    heard = set(_TOKEN.findall(said.lower()))
    return bool(values) and all(v in heard for v in values)


_NOT_AN_ANSWER = re.compile(r"\W*(?:sorry|pardon|what|hang on|one (?:sec|second|moment)|hold on)?\W*", re.I)


_TOKEN = re.compile(r"[a-z0-9]+")
# Words an agent adds to a read-back ("yep, so that's ...") that carry no data.
_READBACK_WORDS = frozenset("""yep yes yeah ok okay right so thats that is it its and the lovely great perfect
    got thank thanks you just to confirm was i have um er uh sorry again""".split())


def _echoes(text: str, said: str) -> bool:
    """Whether an agent's turn only reads back what the customer has just said: nothing new is
    revealed ("five four five four, yep" after the customer gave those digits)."""
    heard = set(_TOKEN.findall(said.lower()))
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _READBACK_WORDS]
    return len(words) >= 2 and sum(w in heard for w in words) >= 0.85 * len(words)


def _sentence_span(text: str, pos: int) -> tuple[int, int]:
    """Where the sentence of ``text`` holding position ``pos`` starts and ends; a title's full
    stop ("Mr.") ends none."""
    plain = _TITLE_DOT.sub(lambda t: t.group(1) + " ", text)
    for m in _SENTENCE.finditer(plain):
        if m.start() <= pos < max(m.end(), m.start() + 1):
            return m.start(), m.end()
    return 0, len(text)


def _sentence_of(text: str, pos: int) -> str:
    """The sentence of ``text`` holding position ``pos``."""
    start, end = _sentence_span(text, pos)
    return text[start:end]


_TITLE_DOT = re.compile(r"\b(Mrs|Mr|Ms|Dr)\.", re.I)


def _weak_without_content(text: str, m: PatternMatch) -> bool:
    """A weak cue ("it says", "it looks like") that points back at a rule ("it says that on the
    form") or is followed, in its sentence, by nothing of the account."""
    if not any(w in text[m.char_start:m.char_end].lower() for w in _WEAK_DATA):
        return False
    return _nothing_after(text, m.char_start, m.char_end)


# The caller saying who they are: "it's Grace Okafor", "my name's Grace Okafor", "this is Mr Hale".
_GIVES_NAME = re.compile(r"\b(?i:my name is|my name's|name's|it's|this is|i'm|i am)\s+(?:(?:Mr|Mrs|Ms|Miss|Dr)\.? )?[A-Z][a-z'-]+"
                         r"(?: [A-Z][a-z'-]+)?\b|(?i:\bmy name(?:'s| is) [a-z'-]+)")
# The agent going to the record: "let me have a look", "I'll just pull you up".
_LOOKS_UP = re.compile(r"\b(?:let me (?:have a look|take a look|look|find|check|pull|bring|search)|i'll (?:just )?(?:have a look|look|find|pull|bring|search)"
                       r"|bear with me|one moment)\b", re.I)
# A person's name followed by "at" and the address: "Frank Gallagher at 31 Coniston Avenue".
_NAME_AT = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|[A-Z][a-z]+)\.? [A-Z][a-z'-]+,? (?:at|of|from) $")


def _heard(value: str, heard: str) -> bool:
    """Every word of ``value`` (an address read out) was said by the caller."""
    words = _TOKEN.findall(value.lower())
    return bool(words) and set(words) <= set(_TOKEN.findall(heard.lower()))


def _nothing_after(text: str, start: int, end: int) -> bool:
    """The cue at ``start:end`` points back ("it says that on the form"), or it is a guess ("it
    looks like") whose sentence says nothing of the account after it. ("The safe place on it
    says bin store" reads a field of the record, whatever its words.)"""
    if _POINTS_BACK.match(text, end):
        return True
    if not re.search(r"\blike\b", text[start:end], re.I):
        return False
    stop = max(_sentence_span(text, start)[1], end)
    return not any(rx.search(text, end, stop) for rx in (_VALUE, _MONEY, _DATE, _WEEKDAY, _RECORD_NOUN, _ACCOUNT_WORDS))


def _asks_for(text: str, m: PatternMatch) -> bool:
    """The sentence holding the detail is a request for it, not a statement about it."""
    s_start, s_end = _sentence_span(text, m.char_start)
    sentence = text[s_start:s_end]
    wh_ask = bool(_WH_ASK.search(text[:m.char_start]))  # "what name's the booking under"
    if "?" not in sentence and not wh_ask and (_GIVES.match(text, m.char_end) or _VALUE_AFTER.match(text, m.char_end)):
        return False
    if m.pattern_id == "id.secret" and _SENDS_CODE.search(sentence):
        return True
    words = len(sentence.split())
    if _ASK.search(sentence) or words <= 6:
        return True
    # "The tenancy reference wasn't on it, so ..." tells; "and the postcode on the account" asks.
    if words <= 14 and _SHORT_ASK.search(sentence) and not _NEGATED.search(sentence):
        return True
    # "And the first line of your address, just so I know I've got the right Ken."
    clause = sentence.split(",")[0]
    in_clause = "," not in text[s_start:m.char_start]
    if in_clause and len(clause.split()) <= 10 and _SHORT_ASK.search(clause) and not _NEGATED.search(clause):
        return True
    # Unpunctuated speech: a read-back, then "... and the lead passenger's date of birth".
    return bool(_TRAILING_ASK.search(text[:m.char_start])) and bool(_ASK_TAIL.fullmatch(text[m.char_end:]))


def _asks_without_value(text: str, m: PatternMatch) -> bool:
    """The sentence holding the account-data cue asks the customer something and states no value."""
    sentence = _sentence_of(text, m.char_start)
    return bool("?" in sentence or _ASKS_OPENING.match(sentence)) and not _VALUE.search(sentence)


def _real_details(text: str, matches: list[PatternMatch], for_account_holder: bool = False) -> list[PatternMatch]:
    """The detail patterns that ask about the caller's own identity. ``for_account_holder``: the
    caller acts for someone whose record it is ("his membership number", "your dad's date of
    birth"), so that person's details check the call."""
    out = []
    for m in matches:
        if not for_account_holder and _THIRD_PARTY.search(text[:m.char_start]):
            continue
        if m.pattern_id == "id.secret" and "security" in text[m.char_start:m.char_end].lower() and _CARD_CONTEXT.search(text):
            continue
        out.append(m)
    return out


# Outside a run of security questions, an address asked for a job is where to go, not a check;
# asked with "a contact number", name and address are details taken for a booking or a quote.
_FOR_A_JOB = re.compile(
    r"\b(?:for (?:(?:the|a|your) )?(?:booking|quote|delivery|visit|collection|job|survey|installation|fitting|pickup|pick[- ]up)"
    r"|a contact number"
    r"|where (?:the \w+|it|you|they)(?:'ll| will| would)? (?:be|is|are)|(?:postcode|post code|address) there"
    r"|where (?:you'd|you would|would you|do you|you want|should|shall)\b"
    r"|(?:want|like) (?:it |them |this |that )?(?:quoted|delivered|collected|fitted|installed))\b", re.I)
# "that's you" after a check: the caller has passed ("thanks Ravi, that's you"), unless it
# goes on to say what is done ("that's you booked in").
_THATS_YOU = re.compile(r"\b(?:that's|thats|that is) you\b(?!\s+(?:booked|all set|set|on|in|down|added|registered|signed|paid|"
                        r"covered|through to|done|sorted out|all done|now))", re.I)
# "Yes, I can see Olivia Grant, Stage 3, Tuesdays at 5.30": a named record is open. Written
# transcripts only: the capitals are what say it is a name.
_SEES_NAME = re.compile(r"\b[Ii] can see (?:(?:Mr|Mrs|Ms|Miss|Dr)\.? )?(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                        r"Sunday|January|February|March|April|May|June|July|August|September|October|November|December)\b)"
                        r"[A-Z][a-z]+(?: [A-Z][a-z'-]+)?\b")
# "Can I start with your full name?": the first question of a run of checks.
_STARTS_SEQUENCE = re.compile(r"\b(?:start with|first of all|to begin with|begin with)\b", re.I)
_ASK_AGAIN = re.compile(rf"\b(?:{LINE_BROKE}|missed that|say that again"
                        r"|say again|repeat (?:that|the|it|your)|lost you|(?:give|tell|read) me (?:\w+ ){0,3}again"
                        r"|^\W*(?:sorry\W+)?(?:was that|did you say)"
                        # "... and the second half": the rest of a postcode being checked
                        r"|^\W*(?:and|ok|okay|right|thanks)?\W*(?:the )?(?:second|other|last) (?:half|part|bit)\W*$)\b", re.I)


def _method(m: PatternMatch) -> str:
    return m.pattern_id if m.pattern_id.startswith("rule:") else f"pattern:{m.pattern_id}"


_BANK_DETAIL = re.compile(r"\b(?:sort code|account (?:number|no))\b", re.I)
# A sort code near a verified caller's turn marks bank details being taken for a payment (an
# account number alone may still be the account being checked).
_SORT_CODE = re.compile(r"\bsort code\b", re.I)
_CARD_CODE = re.compile(r"\bsecurity (?:code|number)\b", re.I)
_NEW_BANK = re.compile(r"\b(?:new (?:\w+ )?(?:sort code|account|bank)|mandate|pay(?:ment)? into|bank transfer|"
                       + _PAYING_IN + r")\b", re.I)


# "the customer account number" is the account held with us, not a bank account.
_OUR_ACCOUNT = re.compile(r"\b(?:customer|agreement|policy|membership) account (?:number|no)\b", re.I)


def _ours(text: str, m: PatternMatch) -> bool:
    return bool(_OUR_ACCOUNT.search(text, max(0, m.char_start - 12), m.char_end))


def _recent(turns, index: int) -> str:
    """The text of turn ``index`` and the four turns before it: the context of a payment."""
    return " ".join(t.text for t in turns[max(0, index - 4):index + 1])


def _for_a_payment(turns, index: int, details: list[PatternMatch], verified: bool) -> bool:
    """Whether the bank or card details asked in turn ``index`` are for a payment, not a check:
    a card's security code while a card is being taken, or a sort code and account number for
    a refund, a new mandate, or after the caller has been verified."""
    text = turns[index].text
    asked = [text[m.char_start:m.char_end] for m in details if not _ours(text, m)]
    if not asked:
        return False
    recent = _recent(turns, index)
    if all(_CARD_CODE.search(a) for a in asked):
        return bool(_CARD_CONTEXT.search(recent))
    if all(_BANK_DETAIL.search(a) for a in asked):
        return verified or bool(_NEW_BANK.search(recent))
    return False


class Identity(Detector):
    name = "identity"
    version = "2.0"
    codes = {
        VERIFY: "verify_identity",
        VERIFY + ".MISSING": "verify_identity",
        DISCLOSE: "disclosure_before_verification",
    }
    labels = ("verify_identity", "disclosure_before_verification")

    def detect(self, transcript: Transcript) -> list[Finding]:
        patterns = load_patterns("identity")
        threshold = self.threshold("min_score", 0.5)
        turns = transcript.turns
        agents = [t for t in turns if t.speaker == "agent"]
        if not agents:
            return []
        first_agent = agents[0].index
        found: list[Finding] = []
        verified = False  # a check beyond the name has been answered, or passed
        awaiting_answer = False  # the agent asked for a detail; the customer's reply completes it
        just_answered = False  # the customer has just answered a check
        last_check = -100  # turn of the latest check the agent asked for
        located = False  # the agent has the customer's account open (name taken, number matched)
        name_asked = False
        name_given = False  # the caller has said their name unasked
        disclosed = False
        account_dealt = False
        job_address = -100  # turn where the agent asked where a job or delivery is to go
        for turn in turns:
            text = turn.text
            if turn.speaker == "customer":
                just_answered = False
                if awaiting_answer and not _NOT_AN_ANSWER.fullmatch(text):
                    verified = just_answered = True
                    awaiting_answer = False
                if name_asked:
                    located = True
                # "Hi, it's Grace Okafor, I'm ringing about my order": a caller who gives their
                # name lets the agent find the record without being asked.
                if _GIVES_NAME.search(text):
                    name_given = True
                continue
            by_code = self._group(list(spoken_match(patterns, text)))
            intro = by_code.get("ID.INTRO", [])
            # Before any check, a relative's details check the call, unless that person is being
            # added or booked for the first time.
            for_holder = not verified and not _NEW_PERSON.search(_recent(turns, turn.index))
            details = [m for m in _real_details(text, by_code.get("ID.DETAIL", []), for_holder)
                       if intro or _asks_for(text, m)]
            if details and _NOT_A_CHECK.search(text) and not intro:
                # A code sent to the phone on the account is a check whatever the call is about, and
                # so is the customer account number held with us.
                details = [m for m in details if m.pattern_id == "id.secret" or _ours(text, m)]
            if details and not intro and _for_a_payment(turns, turn.index, details, verified):
                details = []
            if details and not intro and turn.index - last_check > 5 and _FOR_A_JOB.search(text):
                if any(m.pattern_id in ("id.address", "id.postcode") for m in details):
                    job_address = turn.index
                details = []
            # "... and the rest of the postcode": the job's address goes on over the next turns.
            if details and not intro and turn.index - job_address <= 2 and all(
                    m.pattern_id in ("id.address", "id.postcode") for m in details):
                details = []
            in_sequence = turn.index - last_check <= 5 or bool(details)
            asked_soft = [m for m in by_code.get("ID.SOFT_DETAIL", []) if _asks_for(text, m)]
            # Someone else's name ("how should your daughter's name be spelt?") finds a record but
            # checks nothing about the caller.
            soft = [m for m in asked_soft if not _THIRD_PARTY.search(text[:m.char_start])]
            recent = turn.index - last_check <= 8
            confirmed = [m for m in by_code.get("ID.CONFIRMED", [])
                         if recent or _EXPLICIT_PASS.search(text[m.char_start:m.char_end])]
            accepted = by_code.get("ID.ACCEPTED", []) if just_answered else []
            if recent and not confirmed:
                confirmed = rule_match(_THATS_YOU, text, "rule:thats-you", "ID.CONFIRMED", 0.85)
            # Asking again for a detail the line cut ("sorry, you broke up, say that again"),
            # right after the caller's answer to a check, is part of the check it repeats.
            repeated = (rule_match(_ASK_AGAIN, text, "rule:check-asked-again", "ID.DETAIL", 0.8)
                        if just_answered else [])
            verify_hit: PatternMatch | None = None
            if details:
                verify_hit = details[0]
            elif confirmed or accepted:
                verify_hit = (confirmed or accepted)[0]
            elif soft and (in_sequence or _STARTS_SEQUENCE.search(text)):
                verify_hit = soft[0]
            elif repeated:
                verify_hit = repeated[0]
            elif intro and soft:
                verify_hit = intro[0]
            if asked_soft and not details and any(m.pattern_id == "id.soft-detail" for m in asked_soft):
                name_asked = True
            if by_code.get("ID.LOCATED") or _SEES_NAME.search(text) or (name_given and _LOOKS_UP.search(text)):
                located = True
            # The check's pattern evidence fused with the model's reading of the turn.
            p_verify = classifier.judge(transcript, turn.index, "verify_identity",
                                        verify_hit.score if verify_hit else 0.0, threshold)
            verify_span: tuple[int, int, str] | None = None
            # Card details asked for a payment are not an identity check, whatever the model says.
            # Nor are a delivery address or bank details for a payment once the caller is verified.
            model_may_verify = not (_CARD_CONTEXT.search(text) or _NOT_A_CHECK.search(text) or _DELIVERY.search(text)
                                    or (turn.index - last_check > 5 and _FOR_A_JOB.search(text))
                                    or turn.index - job_address <= 2
                                    or (not for_holder and not verified and _HIS_HER.search(text))
                                    or (verified and _SORT_CODE.search(_recent(turns, turn.index))))
            if verify_hit is not None or (p_verify >= threshold and model_may_verify):
                verify_span = ((verify_hit.char_start, verify_hit.char_end, _method(verify_hit))
                               if verify_hit is not None
                               else classifier.model_span(transcript, turn.index, "verify_identity"))
            model_check = verify_span is not None and verify_hit is None
            # Taking or reading back card details for a payment gives the customer's own words
            # back; a card *ending* is account data.
            # So does any read-back of what the customer has just said.
            previous = turns[turn.index - 1] if turn.index else None
            # ("you paid the deposit on card" tells how an earlier payment was made: the record.)
            reads_back = bool(_CARD_CONTEXT.search(text) and not re.search(r"\bending\b", text, re.I)
                              and not _PAID_ON_CARD.search(text)) or (
                previous is not None and previous.speaker == "customer" and _echoes(text, previous.text))
            # Confirming a payment the caller has just made by card reveals nothing they do not know.
            just_paid = bool(_PAYMENT_DONE.search(text)) and any(
                _CARD_CONTEXT.search(t.text) for t in turns[max(0, turn.index - 6):turn.index])
            # Disclosure is judged on what is said before the check in this turn.
            if (not verified and turn.index != first_agent and not reads_back and not just_paid
                    and not (confirmed or accepted or details or model_check)):
                limit = details[0].char_start if details else len(text)
                said = previous.text if previous is not None and previous.speaker == "customer" else ""
                heard = " ".join(t.text for t in turns[max(0, turn.index - 4):turn.index] if t.speaker == "customer")
                hit = self._disclosure(text[:limit], by_code, located or disclosed, disclosed, said, heard)
                p_disclose = classifier.judge(transcript, turn.index, "discloses_account_data", hit[2] if hit else 0.0,
                                              threshold)
                # Outages, opening hours and prices are general information, whatever the model says.
                # Without the account open or a word about "you", it cannot be this customer's data.
                general = _GENERAL.search(text) and not re.search(r"\byour\b", text, re.I)
                about_them = located or disclosed or re.search(r"\b(?:you|your|you're|youre|you've)\b", text, re.I)
                if hit is not None or (p_disclose >= threshold and about_them and not general):
                    if hit is not None:
                        start, end, _, method = hit
                    else:
                        start, end, method = classifier.model_span(transcript, turn.index, "discloses_account_data")
                    found.append(self.finding(DISCLOSE, turn, start, end, p_disclose, method,
                                              "account data given before identity was verified"))
                    disclosed = account_dealt = True
            elif verified and (by_code.get("ID.DATA") or _MONEY.search(text)):
                account_dealt = True
            if verify_span is not None:
                found.append(self.finding(VERIFY, turn, verify_span[0], verify_span[1], p_verify, verify_span[2]))
                last_check = turn.index
                if details or model_check or repeated:
                    awaiting_answer = True
                if confirmed or accepted:
                    verified = True
            just_answered = False
        if not any(f.code == VERIFY for f in found) and (account_dealt or disclosed):
            anchor = next((turns[f.turn] for f in found if f.code == DISCLOSE), agents[min(1, len(agents) - 1)])
            found.append(self.missing(VERIFY + ".MISSING", anchor,
                                      "the agent dealt with the account without checking who the caller is"))
        return found

    @staticmethod
    def _group(matches: list[PatternMatch]) -> dict[str, list[PatternMatch]]:
        out: dict[str, list[PatternMatch]] = {}
        for m in matches:
            out.setdefault(m.code, []).append(m)
        return out

    @staticmethod
    def _disclosure(text: str, by_code: dict[str, list[PatternMatch]], account_open: bool,
                    disclosed_before: bool, said: str = "", heard: str = "") -> tuple[int, int, float, str] | None:
        """Where in ``text`` the agent reveals account data, with a score and the rule that fired.
        ``said`` is the caller's turn just before, which a restatement gives back; ``heard`` is
        all the caller said over the last few turns."""
        data = [m for m in by_code.get("ID.DATA", []) if m.char_end <= len(text)]
        data = [m for m in data if not _asks_without_value(text, m)]
        data = [m for m in data if not _NO_CONTENT.search(text[:m.char_start])]
        data = [m for m in data if not _QUESTION_BEFORE.search(text[:m.char_start])]
        data = [m for m in data if not _restates(_sentence_of(text, m.char_start), said)]
        data = [m for m in data if m.pattern_id != "id.scheduled-date" or not _JUST_BOOKED.search(text[:m.char_start])]
        # "So that's the booking for Saturday the 3rd, I've put you in for two": a booking just made.
        if _BOOKED_NOW.search(text):
            data = [m for m in data if not _BOOKED_THING.search(text, m.char_start, m.char_end)]
        # "you just show your booking at the office": an instruction, not the record.
        data = [m for m in data if not _INSTRUCTION.search(text, 0, m.char_start)]
        # "as soon as the deposit's paid I'll reserve it": a step still to come, not the record.
        data = [m for m in data if not _NOT_YET.search(text, 0, m.char_start)]
        # "deposits are non-refundable, it says that on the form": the cue points back at a rule.
        # "it looks like the valet called in sick": a weak cue needs something of the account after it.
        data = [m for m in data if not _weak_without_content(text, m)]
        if len(text.split()) < 7 and not (_MONEY.search(text) or _ADDRESS.search(text) or _DATE.search(text)):
            data = [m for m in data if m.pattern_id != "id.your-account-data" or not any(
                w in text[m.char_start:m.char_end].lower() for w in _WEAK_DATA)]
        # "your balance", "you owe", "card ending": about this customer whatever came before.
        personal = any(re.search(r"\b(?:your|you|ending)\b", text[m.char_start:m.char_end], re.I) for m in data)
        # "you've got three creditors on the plan ... ninety five a month in total": a total read
        # from the open record is not a price list.
        general = _GENERAL.search(text) and not re.search(r"\byour\b", text, re.I) and not (account_open and personal)
        # "the appointment's on Wednesday at 10": a record named with its date.
        dated = (_DATE.search(text) or _WEEKDAY.search(text)) and any(
            _RECORD_NOUN.search(text, m.char_start, m.char_end) for m in data)
        if data and not general and (account_open or personal or len(data) >= 2 or _MONEY.search(text)
                                     or _ADDRESS.search(text) or dated):
            m = data[0]
            return m.char_start, m.char_end, 0.8, f"pattern:{m.pattern_id}"
        if general:
            return None
        by_number = _BY_NUMBER.search(text)
        if by_number and _ASKS_WHETHER.search(_sentence_of(text, by_number.start())):
            by_number = None  # "is that the number you're calling from the one on the booking?"
        if by_number:
            rest = text[by_number.end():]
            if len(rest.split()) >= 5 and (_VALUE.search(rest) or _WEEKDAY.search(rest) or _DATE.search(rest)
                                           or _ADDRESS.search(rest) or _MONEY.search(rest)):
                start = by_number.end() + len(rest) - len(rest.lstrip(" ,.;:-"))
                return start, len(text.rstrip()), 0.75, "rule:disclosed-from-caller-number"
        if not account_open:
            # "Gallagher... yes, Frank Gallagher at 31 Coniston Avenue": a person's street address
            # the caller never gave, read out with their name, is the record whether or not a
            # lookup was heard.
            m = _ADDRESS.search(text)
            if m and _NAME_AT.search(text[:m.start()]) and not _heard(m.group(), heard):
                return m.start(), m.end(), 0.7, "rule:disclosed-address"
            return None
        for rx, rule, score in ((_ADDRESS, "address", 0.75), (_MONEY, "amount", 0.7), (_DATE, "date", 0.55)):
            m = rx.search(text)
            if m and rule == "date" and re.search(r"\bsee you\b", text[:m.start()], re.I):
                continue  # "see you in July": a goodbye, not a date read from the account
            # A date counts once data has been given, or right after the record is found in this turn
            # ("I've found your booking, it's the 14th of June").
            found_here = any(x.char_end <= m.start() for x in by_code.get("ID.LOCATED", [])) if m else False
            if m and rule == "address" and _heard(m.group(), heard):
                continue  # the address the caller has just given, taken down or acted on
            if m and (rule != "date" or disclosed_before or found_here):
                return m.start(), m.end(), score, f"rule:disclosed-{rule}"
        if disclosed_before and len(text.split()) >= 7:
            m = _CONTINUE.search(text)
            if m and not _NO_CONTENT.search(text[:m.start()]) and not _nothing_after(text, m.start(), m.end()):
                return m.start(), m.end(), 0.6, "rule:disclosed-continued"
        return None
