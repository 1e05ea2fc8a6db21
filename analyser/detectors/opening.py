"""The opening: greeting, the agent's name, the organisation's name, an offer of help.

Anti-pattern: "Yeah?" Better practice: "Good morning, thank you for calling Harbour
Water, my name's Sam, how can I help you today?"

Only the agent's opening turns count: the agent's turns before the customer has said what
they want (at most three). A bare "Hello?" is a greeting; "what are you calling about?" is an
offer of help; "go ahead" is not. The agent's name is read after its anchors ("my name is",
"you're speaking with", "X speaking", "this is", "it's X here"); the organisation after its
anchors ("thank you for calling", "welcome to", "you're through to", "you've reached") or,
when the agent opens with a bare name ("Harbour Water, good morning"), from what is left of
the first words once greetings, the agent's name and team names are taken away. A team
("council tax", "billing", "reception") is not an organisation. Each element that never
appears gets a missing finding anchored at the agent's first turn.
"""
from __future__ import annotations

import re

from ..types import Finding, Transcript, Turn
from .base import Detector
from .spoken import match as spoken_match
from .patterns import PatternMatch, load_patterns

GREETING, NAME, COMPANY, HELP = "OPEN.GREETING", "OPEN.AGENT_NAME", "OPEN.COMPANY_NAME", "OPEN.OFFER_HELP"

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+|[^\sA-Za-z\d]")
FILLERS = {"um", "uh", "er", "erm", "ah", "eh", "hmm", "mm", "oh", "yeah", "yep", "yes", "ok", "okay", "right", "so",
           "well", "now", "there", "again", "sorry"}
# Words that never name a person or an organisation in an opening.
STOP = FILLERS | {
    "a", "an", "the", "and", "or", "to", "of", "in", "on", "at", "for", "with", "by", "from", "is", "are", "am",
    "was", "be", "it", "it's", "its", "this", "that", "that's", "you", "you're", "your", "you've", "i", "i'm", "me",
    "my", "we", "we're", "our", "us", "how", "what", "who", "can", "could", "may", "help", "assist", "do", "today",
    "speaking", "here", "name", "name's", "hello", "hi", "hiya", "hey", "good", "morning", "afternoon", "evening",
    "thanks", "thank", "calling", "welcome", "through", "reached", "please", "just", "all", "calls", "call",
    "recorded", "being", "line", "let", "know", "not", "no", "one", "moment", "hold", "holding", "wait", "waiting",
    "bear", "with", "sec", "second", "apologies", "delay", "busy", "lovely", "great", "fine", "love", "mate", "sir",
    "madam", "there's", "how's", "be", "been", "will", "i'll", "also", "as", "if", "but", "come", "came", "connected",
    "put", "transferred", "mrs", "mr", "miss", "ms", "dear", "day", "hullo", "greetings", "speak", "via", "again",
    "what's", "whats", "who's", "whos", "where's", "wheres", "when's", "here's", "heres",
}
def _spacy_stop_words() -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return set(STOP_WORDS)


STOP |= _spacy_stop_words() | {"ahead", "go", "sorry", "wait", "im", "its", "thats", "youre", "hold"}
# Departments and teams: part of an opening, never the organisation's name on their own.
TEAM_WORDS = {
    "customer", "customers", "service", "services", "care", "billing", "bills", "accounts", "account", "payments",
    "payment", "cards", "card", "team", "department", "dept", "support", "technical", "tech", "desk", "helpline",
    "claims", "claim", "policy", "policies", "renewals", "sales", "reception", "switchboard", "council", "tax",
    "housing", "repairs", "bookings", "booking", "reservations", "orders", "order", "returns", "collections",
    "lending", "loans", "loan", "mortgages", "mortgage", "savings", "current", "operations", "enquiries", "enquiry",
    "appointments", "complaints", "fraud", "retentions", "retention", "admin", "administration", "office",
    "centre", "center", "contact", "general", "main", "benefits", "parking", "waste", "recycling", "planning",
    "highways", "new", "business", "member", "members", "membership", "patient", "patients", "services", "travel",
    "help", "faults", "fault", "network", "moves", "home", "broadband", "residential", "commercial", "international",
    "credit", "debit", "debt", "arrears", "finance", "insurance", "underwriting", "delivery", "deliveries", "returns",
    "lost", "property", "rent", "rents", "tenancy", "lettings", "estates", "emergency", "emergencies", "out", "hours",
    "after", "sales", "trade", "team's", "services'", "care's", "and", "&", "line", "desk", "hub", "unit", "group",
    "admissions", "admission", "fees", "fee", "tuition", "student", "students", "upgrades", "upgrade", "accommodation",
    "repair", "results", "exams", "registry", "payroll", "prescriptions", "refunds", "cancellations", "transfers",
    "disputes", "onboarding", "activations", "box", "ticketing", "tickets", "appointment", "records", "licensing",
    "found", "frontdesk", "information", "info", "advice", "helpdesk", "dispatch",
    "relations", "warranty", "warranties", "servicing", "maintenance", "installations", "installation", "scheduling",
    "events", "weddings", "functions", "parts", "counter", "fleet", "logistics", "despatch", "receivable",
    "payable", "control", "experience", "resolutions", "resolution", "escalations", "outpatients", "enrolment",
    "enrolments", "registrations", "registration", "applications", "subscriptions", "subscription", "memberships",
    "donations", "donor", "supporter", "fundraising", "valuations", "viewings", "surveys", "quotes", "quotations",
    "estimates", "concierge", "guest", "guests", "front", "house", "management", "activation", "porting",
    "renewal", "cancellation", "changes", "engineering", "engineers", "visits", "hire", "rentals",
}
# Words that end an organisation's name: a new clause starts here.
BOUNDARY = {"my", "you", "you're", "youre", "how", "what", "this", "it's", "calls", "call", "our", "just", "please",
            "i", "i'm", "im", "we", "um", "uh", "er", "erm", "good", "hello", "hi", "speaking", "can", "today", "and",
            "where", "who", "please", "so", "all", "before", "thanks", "thank", "now", "here", "is", "are", "may",
            "yeah", "ok", "okay", "morning", "afternoon", "evening", "hiya", "sorry", "welcome", "if", "your", "with"}
ORG_SUFFIX = {"bank", "energy", "power", "gas", "electric", "electricity", "water", "waters", "mobile", "telecom",
              "broadband", "insurance", "insure", "home", "homes", "ltd", "limited", "plc", "group", "council",
              "building", "society", "finance", "motors", "housing", "association", "trust", "nhs", "surgery",
              "practice", "clinic", "hospital", "gym", "fitness", "airways", "airlines", "rail", "trains", "travel",
              "holidays", "hotels", "utilities", "direct", "uk", "services", "solutions", "credit", "union", "mutual",
              "media", "tv", "networks", "communications", "retail", "stores", "shop", "energy's", "bank's", "water's"}


# "you're through to", as writers and speech recognisers spell it ("your through to Gemma").
YOU_ARE = ("you're", "youre", "are", "your")
_AFTER_CHECK = re.compile(r"\b(?:verified|through security|passed security|that's you through|all checks out)\b", re.I)
# Where a bare organisation name can no longer be: a new clause has started.
CLAUSE_START = {"calls", "call", "this", "how", "what", "just", "please", "i", "we", "our", "can", "before",
                "conversations", "may", "could", "is", "are", "if", "so", "what's", "whats", "how's", "who's"}


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


def _word_set(text: str) -> set[str]:
    return {w[0].lower() for w in _words(text)}


def _is_word(tok: str) -> bool:
    return tok[:1].isalpha()


def _name_like(tok: str) -> bool:
    low = tok.lower()
    return _is_word(tok) and low not in STOP and low not in TEAM_WORDS and low not in ORG_SUFFIX and len(tok) > 1


# The caller checking whom they have reached ("oh hi, is that the office?"): the opening goes on.
_WHO_IS_IT = re.compile(r"\W*(?:(?:oh|hi|hello|hiya|um|uh|er|yeah|sorry)\W+)*(?:is that|is this|am i (?:through to|speaking to|speaking with)"
                        r"|have i (?:got|reached|come through to))\b(?:\W+\w+){0,8}\W*$", re.I)
_CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
             "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
# "so what's happened is the first payment failed": the agent explains, it does not invite.
_TELLS = re.compile(r"\s+(?:is|was)\b", re.I)


def _offers(text: str, matches: list[PatternMatch]) -> list[PatternMatch]:
    """The offer-of-help cues among ``matches``, less a "what's happened" that goes on to explain."""
    return [m for m in matches if m.code == HELP and not _TELLS.match(text, m.char_end)]

# What may come just before "<name> here" ("Hi, Marcus here", "morning, Jo here").
_HELLO_BEFORE_NAME = {",", ".", "-", "hi", "hello", "hiya", "hey", "morning", "afternoon", "evening", "yeah", "yes"}
# Words that fill the slot of "you're speaking to ..." without being a misheard name.
_NOT_A_NAME = {"the", "a", "an", "our", "your", "my", "us", "me", "you", "we", "someone", "somebody", "one", "who",
               "them", "it", "this", "that", "one's"}


def _misheard_name(low: list[str], k: int, nxt) -> bool:
    """Whether word k, after "you're speaking with" / "you're through to", is a single word a
    speech recogniser made of the agent's name: alone in its slot (a pause, the end of the
    turn or a new clause follows) and no team, company or filler word."""
    if not _common_word_in_name_slot(low[k]):
        return False
    after = nxt(k)
    return (after is None or low[after] in BOUNDARY or low[after].startswith(("what", "how"))
            or not low[k + 1][:1].isalnum())


def _misheard_before_speaking(low: list[str], k: int) -> bool:
    """Whether word k, just before "speaking", is a single common word standing for a misheard
    name: it opens its clause (after a comma or "and") and is no team, company or filler word."""
    w = low[k]
    return w.isalpha() and w not in _NOT_A_SPEAKER and _common_word_in_name_slot(w) and k > 0 and low[k - 1] in (",", "and")


# Words that come before "speaking" without naming anyone ("who's speaking?", "generally speaking").
_NOT_A_SPEAKER = {"who", "whos", "now", "currently", "generally", "also", "just", "publicly", "roughly", "broadly"}


def _common_word_in_name_slot(w: str) -> bool:
    """A word that may stand for a misheard name: no pronoun, team, company or filler word."""
    return bool(w[:1].isalpha()) and w not in _NOT_A_NAME and w not in TEAM_WORDS and w not in ORG_SUFFIX and w not in FILLERS


class Opening(Detector):
    name = "opening"
    version = "1.0"
    codes = {
        GREETING: "greeting", GREETING + ".MISSING": "greeting",
        NAME: "agent_name", NAME + ".MISSING": "agent_name",
        COMPANY: "company_name", COMPANY + ".MISSING": "company_name",
        HELP: "offer_help", HELP + ".MISSING": "offer_help",
    }
    labels = ("greeting", "agent_name", "company_name", "offer_help")

    def detect(self, transcript: Transcript) -> list[Finding]:
        turns = transcript.turns
        agents = [t for t in turns if t.speaker == "agent"]
        if not agents:
            return []
        found: list[Finding] = []
        for turn in self._opening_turns(turns):
            before = turns[turn.index - 1] if turn.index else None
            answers = before is not None and before.speaker == "customer" and bool(_WHO_IS_IT.match(before.text))
            found.extend(self._read_turn(turn, first=turn.index == agents[0].index,
                                         asked=_word_set(before.text) if answers else None))
        opening = {f.turn for f in found}
        # An invitation to explain the call can come after a quick security check ("that's you
        # verified, now tell me what's been going on"): the opening resumes there.
        for turn in agents[1:5]:
            if turn.index in opening:
                continue
            best = self._first_offer(turn)
            if best is None or "else" in turn.text.lower():
                continue
            if _AFTER_CHECK.search(turn.text[:best.char_start]):
                found.append(self.finding(HELP, turn, best.char_start, best.char_end, best.score * 0.9,
                                          f"pattern:{best.pattern_id}"))
                break
        have = {f.code for f in found}
        for code, what in ((GREETING, "greeting"), (NAME, "agent's name"), (COMPANY, "organisation's name"),
                           (HELP, "offer of help")):
            if code not in have:
                found.append(self.missing(code + ".MISSING", agents[0], f"no {what} in the agent's opening"))
        return found

    @staticmethod
    def _opening_turns(turns: tuple[Turn, ...]) -> list[Turn]:
        """The agent's turns before the customer says what they want (at most three)."""
        out: list[Turn] = []
        for t in turns:
            if t.speaker == "agent":
                out.append(t)
                if len(out) == 3:
                    break
            elif out and len(t.text.split()) >= 5 and not _WHO_IS_IT.match(t.text):
                break
        return out

    @staticmethod
    def _first_offer(turn: Turn) -> PatternMatch | None:
        offers = _offers(turn.text, spoken_match(load_patterns("opening"), turn.text))
        return offers[0] if offers else None

    def _read_turn(self, turn: Turn, first: bool, asked: set[str] | None = None) -> list[Finding]:
        """The opening parts of one turn. ``asked``: the words of the caller's question of whom
        they reached ("is this Zip Lunch?"), so "you're through to Ziplunch" names the organisation,
        and a bare name repeating the caller's words ("yeah, Meadowbrook Cattery, it's Hollie") does too."""
        answers_who = asked is not None
        text = turn.text
        matches = spoken_match(load_patterns("opening"), text)
        out: list[Finding] = []
        greet = [m for m in matches if m.code == GREETING]
        if not greet:
            # bare "Morning," only when it opens the turn
            greet = [m for m in matches if m.code == "OPEN.GREETING_START" and not text[:m.char_start].strip(" ,.-")]
        if greet:
            g = greet[0]
            out.append(self.finding(GREETING, turn, g.char_start, g.char_end, g.score, f"pattern:{g.pattern_id}"))
        helps = _offers(text, matches)
        if helps and "else" not in text[max(0, helps[0].char_start - 30):helps[0].char_end + 20].lower():
            h = helps[0]
            out.append(self.finding(HELP, turn, h.char_start, h.char_end, h.score, f"pattern:{h.pattern_id}"))
        taken: set[int] = set()  # word indexes already explained (greeting, name, help ...)
        words = _words(text)
        for m in matches:
            for k, (_, s, e) in enumerate(words):
                if s >= m.char_start and e <= m.char_end:
                    taken.add(k)
        name = self._agent_name(words, taken)
        if name is not None and answers_who and name[2].startswith("through-to-x"):
            name = None
        if name is not None:
            k, score, rule = name
            taken.add(k)
            out.append(self.finding(NAME, turn, words[k][1], words[k][2], score, f"rule:{rule}"))
        company = self._company(words, taken, name is not None, first or answers_who, name[0] if name else None, asked)
        if company is not None:
            s, e, score, rule = company
            out.append(self.finding(COMPANY, turn, s, e, score, f"rule:{rule}"))
            if name is None:
                k = self._name_after_org(words, e)
                if k is not None:
                    out.append(self.finding(NAME, turn, words[k][1], words[k][2], 0.7, "rule:org-then-name"))
        return out

    @staticmethod
    def _name_after_org(words, org_end: int) -> int | None:
        """ "Harbour Water, Sam." : a single name after the organisation and a comma, then a stop."""
        k = next((i for i, w in enumerate(words) if w[1] >= org_end), None)
        while k is not None and k < len(words) and words[k][0].lower() in TEAM_WORDS:
            k += 1  # "Oakridge Lettings, Nina."
        if k is None or k >= len(words) or words[k][0] not in (",", "-"):
            return None
        k += 1
        if k >= len(words) or not _name_like(words[k][0]) or not words[k][0][:1].isupper():
            return None
        after = words[k + 1][0].lower() if k + 1 < len(words) else "."
        return k if after in (".", "!", ",", "here", "speaking") else None

    # -- names -------------------------------------------------------------------------------
    @staticmethod
    def _agent_name(words, taken) -> tuple[int, float, str] | None:
        low = [w[0].lower() for w in words]
        n = len(words)

        def nxt(k: int) -> int | None:
            """The first word after k that is not a filler or punctuation."""
            k += 1
            while k < n and (low[k] in FILLERS or not _is_word(words[k][0])):
                if low[k] in {".", "?", "!"}:
                    return None
                k += 1
            return k if k < n else None

        weak = None
        for k in range(n):
            w = low[k]
            cand, rule = None, ""
            if w == "name" and k > 0 and low[k - 1] == "my":
                j = nxt(k)
                if j is not None and low[j] in ("is", "'s"):
                    j = nxt(j)
                cand, rule = j, "my-name-is"
            elif w in ("name's", "names") and k > 0 and low[k - 1] == "my":
                cand, rule = nxt(k), "my-name-is"
            elif w == "speaking" and k + 1 < n and low[k + 1] in ("with", "to"):
                cand, rule = nxt(k + 1), "speaking-with"
            elif w == "speaking" and k > 0 and low[k - 1] not in ("i", "am", "who", "you're", "are", "generally"):
                j = k - 1
                while j >= 0 and (low[j] in FILLERS or low[j] in {",", "-"}):
                    j -= 1
                cand, rule = (j if j >= 0 else None), "x-speaking"
            elif w == "is" and k > 0 and low[k - 1] == "this":
                cand, rule = nxt(k), "this-is"
                if cand is not None and cand + 1 < n and low[cand + 1] in ORG_SUFFIX | TEAM_WORDS:
                    cand = None
            elif w in ("i'm", "im") or (w == "am" and k > 0 and low[k - 1] == "i"):
                j = nxt(k)
                after = nxt(j) if j is not None else None
                if j is not None and (after is None or low[after] in BOUNDARY or not _is_word(words[j + 1][0])
                                      if j + 1 < n else True):
                    cand, rule = j, "i-am-x"
            elif w == "here" and k >= 2 and low[k - 2] in ("it's", "its"):
                cand, rule = k - 1, "its-x-here"
            elif (w == "here" and k >= 1 and (k < 2 or low[k - 2] in _HELLO_BEFORE_NAME)
                  and (k + 1 >= n or not _is_word(words[k + 1][0]) or low[k + 1] in BOUNDARY)):
                cand, rule = k - 1, "x-here"  # "Hi, Marcus here." at the start of the turn or after a greeting
            elif w in ("it's", "its") and k + 1 < n and not (k + 2 < n and low[k + 2] == "here"):
                # "Kiln & Co Pottery Studio, it's Maddie. How can I help?": one name, then the clause ends.
                j = nxt(k)
                after = low[j + 1] if j is not None and j + 1 < n else "."
                if (j is not None and after in {".", ",", "!", "?", "-"} | BOUNDARY | CLAUSE_START
                        and low[j] not in _CALENDAR):
                    cand, rule = j, "its-x"
            elif w in ("through", "thru") and k > 0 and low[k - 1] in YOU_ARE and k + 1 < n \
                    and low[k + 1] == "to":
                j = nxt(k + 1)
                after = nxt(j) if j is not None else None
                single = after is None or low[after] in BOUNDARY or low[after] in ("in",)
                if j is not None and single and low[j] not in ORG_SUFFIX:
                    cand, rule = j, "through-to-x"
            if cand is not None and _name_like(words[cand][0]):
                if rule != "through-to-x":
                    return cand, 0.95, rule
                # "you're through to Upgrades, I'm Kofi": a clearer anchor later in the turn wins.
                weak = weak or (cand, 0.8, rule)
            elif cand is not None and rule == "x-speaking" and _misheard_before_speaking(low, cand):
                weak = weak or (cand, 0.6, rule + "-misheard")  # "Northline Rail, and may speaking"
            elif cand is not None and rule in ("speaking-with", "through-to-x") and _misheard_name(low, cand, nxt):
                # Speech recognition turns an unusual name into a common word ("you're speaking
                # with some", "you're through to name, how can I help?"): the slot still names the agent.
                weak = weak or (cand, 0.6, rule + "-misheard")
        return weak

    @staticmethod
    def _company(words, taken, has_name: bool, first: bool, name_at: int | None = None,
                 asked: set[str] | None = None) -> tuple[int, int, float, str] | None:
        low = [w[0].lower() for w in words]
        n = len(words)
        anchors = (("for", ("calling", "ringing", "phoning", "contacting", "choosing")), ("welcome", ("to",)),
                   ("through", ("to",)), ("reached", ()), ("this", ("is",)), ("from", ()), ("at", ()))
        for k in range(n):
            for head, tails in anchors:
                if low[k] != head:
                    continue
                j = k + 1
                if tails:
                    if j >= n or low[j] not in tails:
                        continue
                    j += 1
                if head == "for" and (k == 0 or low[k - 1] not in ("thanks", "thank", "you", "u")):
                    continue
                if head == "through" and (k == 0 or low[k - 1] not in YOU_ARE):
                    continue
                if head in ("from", "at") and not (name_at is not None and 0 < k - name_at <= 2):
                    continue  # "Sam from Harbour Water", "it's Sam here at Harbour Water"
                span = Opening._org_span(words, low, j, taken)
                if span is None:
                    continue
                s, e, toks = span
                if head in ("through", "this") and len(toks) == 1 and toks[0] not in ORG_SUFFIX and not has_name:
                    continue  # "you're through to Sam" names the agent
                if head == "this" and not any(t in ORG_SUFFIX for t in toks):
                    continue
                return words[s][1], words[e][2], 0.95, f"after-{head}"
        if not first:
            return None
        # A bare organisation name among the first words ("Harbour Water, good morning").
        limit = min(n, 14)
        k = 0
        while k < limit:
            if low[k] in CLAUSE_START and k not in taken:
                break
            if k in taken or not _is_word(words[k][0]) or low[k] in STOP or low[k] in TEAM_WORDS:
                k += 1
                continue
            span = Opening._org_span(words, low, k, taken)
            if span is not None:
                s, e, toks = span
                cased = any(words[i][0][:1].isupper() for i in range(s, e + 1))
                # "Morning, garden waste, Tom speaking": one lower-case word before a team word, in a
                # written transcript that capitalises names, is the team, not the organisation.
                team_after = e + 1 < n and low[e + 1] in TEAM_WORDS
                written = any(w[0][:1].isupper() for w in words)
                after_comma = s > 0 and words[s - 1][0] == ","
                if len(toks) == 1 and team_after and written and not cased and after_comma:
                    k = e + 1
                    continue
                if asked is not None and not set(toks) & asked:
                    k = e + 1
                    continue  # "Yes. Policy number?" after "is that Cornerstone?" names nothing
                return words[s][1], words[e][2], 0.8 if cased or len(toks) > 1 else 0.7, "bare-name"
            k += 1
        return None

    @staticmethod
    def _org_span(words, low, j, taken) -> tuple[int, int, list[str]] | None:
        """The organisation's name starting at word j: until a new clause, the agent's name or a pause."""
        n = len(words)
        while j < n and low[j] in ("the", "um", "uh", "er", "erm"):
            j += 1
        s, e, toks = None, None, []
        while j < n:
            tok, lw = words[j][0], low[j]
            if not _is_word(tok) and tok not in ("&", "-") or j in taken or lw in BOUNDARY:
                break
            if lw in STOP and lw not in ORG_SUFFIX and lw not in TEAM_WORDS:
                break
            if s is None:
                s = j
            e = j
            toks.append(lw)
            j += 1
        if s is None:
            return None
        # Trailing team words are not part of the name ("Harbour Water billing").
        while toks and toks[-1] in TEAM_WORDS and toks[-1] not in ORG_SUFFIX:
            toks.pop()
            e -= 1
        if not toks or all(t in TEAM_WORDS for t in toks):
            return None
        return s, e, toks
