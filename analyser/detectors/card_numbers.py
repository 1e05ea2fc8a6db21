"""Reading spoken numbers out of turn text: digits, digit groups and number words.

Callers read card numbers in many ways: "4242 4242 4242 4242", "four two four two ...",
"double four", "oh" for zero, "twelve twenty seven" for an expiry. ASR output adds fillers
("um", "uh") and homophones ("for" for four, "to" for two). This module turns a turn's
text into runs of digits with the character span they came from, so the card detector can
judge them and redaction can mask exactly those characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"zero": "0", "nought": "0", "nil": "0", "one": "1", "two": "2", "three": "3", "four": "4",
         "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
TEENS = {"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
         "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19"}
TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
        "eighty": "8", "ninety": "9"}
MONTHS = {"january": "01", "february": "02", "march": "03", "april": "04", "may": "05", "june": "06",
          "july": "07", "august": "08", "september": "09", "october": "10", "november": "11",
          "december": "12", "jan": "01", "feb": "02", "mar": "03", "apr": "04", "jun": "06", "jul": "07",
          "aug": "08", "sep": "09", "sept": "09", "oct": "10", "nov": "11", "dec": "12"}
# Zero said as a letter: a digit only next to another digit ("oh nine", not "oh right").
ZERO_LETTERS = {"oh": "0", "o": "0"}
# ASR homophones: a digit only between two digits ("four for two" is 442).
HOMOPHONES = {"for": "4", "fore": "4", "to": "2", "too": "2", "ate": "8", "won": "1"}
REPEAT = {"double": 2, "triple": 3, "treble": 3}
FILLERS = {"um", "uh", "er", "erm", "ah", "eh", "hmm", "mm", "uhm", "umm", "dash", "space", "then", "slash", "stroke"}
JOINERS = {"-", "/", ",", ".", "–"}
# A number followed or led by these is money, not a card.
AMOUNT_WORDS = {"pound", "pounds", "quid", "p", "pence", "hundred", "thousand", "grand", "percent", "k",
                "million", "pence", "dollars", "euros", "gb", "minutes", "days", "weeks", "months", "years"}
# A short number right after these is money ("that's paid nineteen eighty"); a card-length
# number never is, so a card read after "pay" is still caught.
PAID_WORDS = {"paid", "costs", "cost", "charged", "total", "totals", "price", "refunded", "owing", "owe", "balance"}

_TOKEN = re.compile(r"\d+|[A-Za-z]+(?:'[A-Za-z]+)?|[£$€]|\S")


@dataclass(frozen=True)
class Run:
    """A stretch of spoken digits: the digit string and the characters it came from."""

    digits: str
    char_start: int
    char_end: int
    is_amount: bool = False
    words: bool = False  # spoken as words rather than written digits
    # (char_start, char_end, digits) of each spoken number in the run, for splitting it.
    pieces: tuple[tuple[int, int, str], ...] = ()

    def __len__(self) -> int:
        return len(self.digits)


def tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _value(tok: str, months: bool) -> str | None:
    low = tok.lower()
    if tok.isdigit():
        return tok
    if low in UNITS:
        return UNITS[low]
    if low in TEENS:
        return TEENS[low]
    if months and low in MONTHS:
        return MONTHS[low]
    return None


def digit_runs(text: str, months: bool = False) -> list[Run]:
    """Every run of spoken digits in ``text``, fillers skipped, money marked."""
    toks = tokens(text)
    n = len(toks)
    vals: list[str | None] = [None] * n
    kind: list[str] = [""] * n  # "d" digit, "f" filler/joiner, "" breaks a run
    for i, (tok, _, _) in enumerate(toks):
        low = tok.lower()
        v = _value(tok, months)
        if v is not None:
            vals[i], kind[i] = v, "d"
        elif low in TENS:
            vals[i], kind[i] = TENS[low] + "0", "d"
        elif low in FILLERS or tok in JOINERS:
            kind[i] = "f"
    # "April '27": the apostrophe of a shortened year joins it to the month
    for i, (tok, _, _) in enumerate(toks):
        if (tok in ("'", "\u2019") and 0 < i < n - 1 and months and toks[i - 1][0].lower() in MONTHS
                and toks[i + 1][0].isdigit() and len(toks[i + 1][0]) == 2):
            kind[i] = "f"
    # "twenty eight" -> 28, "double four" -> 44
    for i, (tok, _, _) in enumerate(toks):
        low = tok.lower()
        if low in TENS and i + 1 < n and toks[i + 1][0].lower() in UNITS and toks[i + 1][0].lower() != "zero":
            vals[i] = TENS[low] + UNITS[toks[i + 1][0].lower()]
            vals[i + 1], kind[i + 1] = "", "d"
        elif (low in TENS and i + 2 < n and toks[i + 1][0] == "-" and toks[i + 1][1] == toks[i][2]
              and toks[i + 2][0].lower() in UNITS and toks[i + 2][0].lower() != "zero"):
            vals[i] = TENS[low] + UNITS[toks[i + 2][0].lower()]  # "twenty-nine"
            vals[i + 2], kind[i + 2] = "", "d"
        if low in REPEAT and i + 1 < n:
            nxt = toks[i + 1][0].lower()
            if nxt in ZERO_LETTERS:  # "double oh"
                vals[i + 1], kind[i + 1] = "0", "d"
            if kind[i + 1] == "d" and vals[i + 1] and len(vals[i + 1]) == 1:
                vals[i], kind[i] = vals[i + 1] * (REPEAT[low] - 1), "d"

    def near_digit(i: int, step: int) -> bool:
        j = i + step
        while 0 <= j < n and kind[j] == "f":
            j += step
        return 0 <= j < n and kind[j] == "d"

    for i, (tok, _, _) in enumerate(toks):
        low = tok.lower()
        if kind[i]:
            continue
        if low in ZERO_LETTERS and (near_digit(i, 1) or near_digit(i, -1)):
            vals[i], kind[i] = "0", "d"
    for i, (tok, _, _) in enumerate(toks):
        low = tok.lower()
        if not kind[i] and low in HOMOPHONES and near_digit(i, 1) and near_digit(i, -1):
            vals[i], kind[i] = HOMOPHONES[low], "d"

    runs: list[Run] = []
    i = 0
    while i < n:
        if kind[i] != "d":
            i += 1
            continue
        j, last, digits, words, pieces = i, i, "", False, []
        while j < n and kind[j] in ("d", "f"):
            if kind[j] == "d":
                digits += vals[j] or ""
                if vals[j]:
                    pieces.append((toks[j][1], toks[j][2], vals[j]))
                elif pieces:  # second word of "twenty eight"
                    pieces[-1] = (pieces[-1][0], toks[j][2], pieces[-1][2])
                words = words or not toks[j][0].isdigit()
                last = j
            j += 1
        before = toks[i - 1][0].lower() if i > 0 else ""
        after = toks[last + 1][0].lower() if last + 1 < n else ""
        amount = before in ("£", "$", "€") or after in AMOUNT_WORDS or after in ("£",) \
            or (before in PAID_WORDS and len(digits) < 13)
        if digits:
            runs.append(Run(digits, toks[i][1], toks[last][2], amount, words, tuple(pieces)))
        i = j
    return runs


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 12:
        return False
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch)
        if k % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def cut_after_digits(run: Run, ndigits: int) -> int:
    """Character offset inside ``run`` just after its first ``ndigits`` digits."""
    count = 0
    for _, end, digits in run.pieces:
        count += len(digits)
        if count >= ndigits:
            return end
    return run.char_end
