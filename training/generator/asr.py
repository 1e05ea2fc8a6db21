"""Turn clean text into plausible ASR-style text: lower case, no punctuation,
numbers as words, fillers, false starts, the odd misrecognition."""
import re

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORD = {"1st": "first", "2nd": "second", "3rd": "third", "5th": "fifth", "12th": "twelfth", "14th": "fourteenth",
       "19th": "nineteenth", "21st": "twenty first", "22nd": "twenty second", "28th": "twenty eighth", "4th": "fourth",
       "8th": "eighth", "31st": "thirty first", "15th": "fifteenth", "3th": "third"}


def n2w(n):
    n = int(n)
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        r = n % 100
        return ONES[n // 100] + " hundred" + ("" if r == 0 else " and " + n2w(r))
    if n < 1_000_000:
        r = n % 1000
        s = n2w(n // 1000) + " thousand"
        if r == 0:
            return s
        return s + (" and " if r < 100 else " ") + n2w(r)
    return " ".join(ONES[int(c)] for c in str(n))


def money(m, rng):
    m = m.replace(",", "")
    if "." in m:
        p, q = m.split(".")
        pence = int(q.ljust(2, "0"))
        if rng.random() < 0.5:
            return f"{n2w(p)} pounds {n2w(pence)}"
        return f"{n2w(p)} {n2w(pence)}"
    return f"{n2w(m)} pounds"


MISHEAR = [(r"\brefund\b", "we fund", 0.12), (r"\bpostcode\b", "post code", 0.5), (r"\brouter\b", "rooter", 0.3),
           (r"\bverified\b", "verify", 0.3), (r"\bthirteen\b", "thirty", 0.2), (r"\bexcess\b", "access", 0.3),
           (r"\bdirect debit\b", "direct debate", 0.1), (r"\bpasscode\b", "pass code", 0.5), (r"\bwifi\b", "wi fi", 0.3),
           (r"\bcourtesy\b", "curtsy", 0.1), (r"\bmeter\b", "metre", 0.15), (r"\bbroadband\b", "broad band", 0.3),
           (r"\bengineer\b", "engineers", 0.1), (r"\bwe'll\b", "will", 0.2), (r"\bapologise\b", "apologies", 0.2),
           (r"\bwould\b", "wood", 0.03), (r"\bclaim\b", "claim", 0.0), (r"\bcouncil\b", "counsel", 0.05),
           (r"\bre-?presented\b", "represented", 1.0), (r"\bbill\b", "bill", 0.0), (r"\bdelivery\b", "delivery", 0.0)]
FILLERS = ["um", "uh", "er", "erm", "um", "like", "you know"]
STARTERS = ["so", "yeah", "right", "ok so", "um", "well"]
DROP_APOS = 0.55


def _numbers(t, rng):
    t = re.sub(r"£([\d,]+(?:\.\d+)?)", lambda m: money(m.group(1), rng), t)
    t = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: ORD.get(m.group(0), n2w(m.group(1)) + "th"), t)
    t = re.sub(r"\b(\d{1,2}):(\d{2})\b", lambda m: n2w(m.group(1)) + " " + (n2w(m.group(2)) if m.group(2) != "00" else "hundred"), t)
    t = re.sub(r"\b(\d+)(am|pm)\b", lambda m: n2w(m.group(1)) + " " + " ".join(m.group(2)), t)
    t = re.sub(r"(\d+)\.(\d+)", lambda m: n2w(m.group(1)) + " point " + " ".join(ONES[int(c)] for c in m.group(2)), t)
    t = re.sub(r"(\d+)p\b", lambda m: n2w(m.group(1)) + " p", t)
    t = re.sub(r"(\d+)%", lambda m: n2w(m.group(1)) + " percent", t)

    def tok(m):
        s = m.group(0)
        if s.isdigit():
            if len(s) >= 5 or (len(s) == 4 and s[0] == "0"):
                return " ".join(ONES[int(c)] for c in s)
            if len(s) == 4:
                if rng.random() < 0.5:
                    return " ".join(ONES[int(c)] for c in s)
                return n2w(s[:2]) + " " + (n2w(s[2:]) if s[2] != "0" else "oh " + ONES[int(s[3])])
            return n2w(s.replace(",", ""))
        # mixed letters and digits (postcodes, references): spell out
        return " ".join(ONES[int(c)] if c.isdigit() else c.lower() for c in s if c.isalnum())
    t = re.sub(r"\b([A-Z]{1,3})-(\d+)\b", lambda m: " ".join(m.group(1).lower()) + " " + " ".join(ONES[int(c)] for c in m.group(2)), t)
    t = re.sub(r"\b\d{1,3}(?:,\d{3})+\b", lambda m: n2w(m.group(0).replace(",", "")), t)
    t = re.sub(r"\b(?=[A-Za-z]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b", lambda m: tok(re.match(r".*", m.group(0).replace("-", ""))), t)
    return t


def to_asr(text, rng):
    t = _numbers(text, rng)
    t = t.replace("&", " and ").replace("%", " percent")
    t = t.lower()
    for pat, rep, p in MISHEAR:
        if p and rng.random() < p:
            t = re.sub(pat, rep, t)
    t = re.sub(r"[^\w\s']", " ", t)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)
    if rng.random() < DROP_APOS:
        t = t.replace("'", "")
    words = t.split()
    if not words:
        return text.lower()
    # false start
    if len(words) > 4 and rng.random() < 0.25:
        k = rng.choice([1, 1, 2])
        words = words[:k] + words[:k] + words[k:]
    # fillers
    nf = rng.choice([0, 0, 1, 1, 1, 2]) if len(words) > 3 else rng.choice([0, 1])
    for _ in range(nf):
        i = rng.randrange(0, len(words))
        words.insert(i, rng.choice(FILLERS))
    if rng.random() < 0.2 and words[0] not in STARTERS:
        words.insert(0, rng.choice(STARTERS))
    # occasionally drop a short function word (ASR deletion)
    if len(words) > 8 and rng.random() < 0.2:
        idx = [i for i, w in enumerate(words) if w in ("the", "a", "to", "of", "and")]
        if idx:
            del words[rng.choice(idx)]
    return " ".join(words)


if __name__ == "__main__":
    import random
    r = random.Random(1)
    for s in ["I've refunded the £42.50 to the card ending 4417 on the 3rd.", "Can you confirm the postcode, BS7 4QL?",
              "You owe £3,500 at 4.1 percent, reference CB-2291, booked for 3pm on Thursday at 09:12.",
              "Thanks, Mr O'Neill, that's you verified. I'm sorry we didn't call back."]:
        print(to_asr(s, r))
