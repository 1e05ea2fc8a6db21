"""Payment card details spoken aloud: full card number, expiry date or security code.

Anti-pattern: the customer reads the card number to the agent and the agent reads it back;
the recording now holds full card data (a PCI DSS breach). Better practice: a secure
payment line or keypad (DTMF) capture, so no card digits are ever spoken.

Either speaker counts. A card number is 13-19 spoken digits (digits, groups, or words such as
"four two double four", "oh" for zero), possibly split over a few turns of the same speaker,
with the other side repeating each piece in between (the repeats are card data too).
A checksum (Luhn) pass raises the score; a card-length number in a payment context counts
even when it fails, because a misheard digit must not hide a breach. Expiry dates and
security codes count only in a payment context (asked for, or said right after the card
number). The last four digits ("card ending 0937") and numbers cut off after a few digits
do not count; nor do account numbers, sort codes, phone numbers or one-time codes.

``sensitive_spans`` is shared with redaction, so what is reported is exactly what is masked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import Finding, Transcript, Turn
from .base import Detector
from .card_numbers import Run, cut_after_digits, digit_runs, luhn_ok
from .spoken import LINE_BROKE
from .patterns import load_patterns

CODE = "PCI.CARD_DETAILS_SPOKEN"
CARD_LENGTHS = range(13, 20)


@dataclass(frozen=True)
class Span:
    """Characters of one turn that hold card data: kind is card, expiry or cvv."""

    turn: int
    char_start: int
    char_end: int
    kind: str
    digits: str
    score: float
    reason: str


def _cues(turn: Turn) -> dict[str, list[int]]:
    """Which context cues a turn has, with the character offsets where each ends.

    A card cue inside a not-a-card one ("your library card number") is not a card cue, and a
    weak code cue overlapping one ("the sort code is") is not a security-code cue."""
    matches = load_patterns("card").match(turn.text)
    other = [m for m in matches if m.code == "CUE.NOT_CARD"]
    out: dict[str, list[int]] = {}
    for m in matches:
        if m.code in ("CUE.CARD", "CUE.CARD_NUMBER") and any(
                o.char_start <= m.char_start and m.char_end <= o.char_end for o in other):
            continue
        if m.code == "CUE.CVV_WEAK" and any(o.char_start < m.char_end and m.char_start < o.char_end for o in other):
            continue
        out.setdefault(m.code, []).append(m.char_end)
    return out


def _phone_shaped(digits: str) -> bool:
    """A UK phone number (07700 900452, 0161 496 0000): never part of a card number."""
    return digits.startswith("0") and len(digits) in (10, 11)


def _plausible_expiry(d: str) -> bool:
    if len(d) == 4:
        mm = int(d[:2])
        return 1 <= mm <= 12
    if len(d) == 3:
        return d[0] != "0"  # "nine twenty eight" = 9/28
    if len(d) == 6:
        return 1 <= int(d[:2]) <= 12 and d[2:4] == "20"
    return False


def _expiry_prefix(run: Run) -> bool:
    """The first numbers of the run make an expiry date ("October 2027. Ten, twenty-seven.", "oh
    three two nine, March twenty-nine")."""
    d = ""
    for _, _, piece in run.pieces[:4]:
        d += piece
        if len(d) in (4, 6) and _plausible_expiry(d):
            return True
    return False


def _ending_cue(cues: dict[str, list[int]], run: Run) -> bool:
    """The run is the last four digits ("the card ending 0937")."""
    return any(0 <= run.char_start - end <= 12 for end in cues.get("CUE.LAST_FOUR", ()))


FIELD_OF_CUE = {"CUE.EXPIRY": "expiry", "CUE.CVV": "cvv", "CUE.CVV_WEAK": "cvv", "CUE.CARD_NUMBER": "card",
                "CUE.NOT_CARD": "other"}


def _asked(cues: list[dict[str, list[int]]], i: int, pos: int) -> tuple[list[str], int]:
    """The fields asked for just before position ``pos`` of turn ``i``, in the order asked.

    A cue earlier in the same turn wins ("the code is 321"); else the latest of the three
    previous turns with any cue ("expiry and the three digits on the back?"). Returns the
    fields and the turn they were asked in.
    """
    here = sorted((end, FIELD_OF_CUE[c]) for c, ends in cues[i].items() if c in FIELD_OF_CUE
                  for end in ends if end <= pos)
    if here:
        return [here[-1][1]], i
    for k in range(i - 1, max(-1, i - 4), -1):
        there = sorted((end, FIELD_OF_CUE[c]) for c, ends in cues[k].items() if c in FIELD_OF_CUE for end in ends)
        if there:
            fields: list[str] = []
            for _, f in there:
                if f not in fields:
                    fields.append(f)
            return fields, k
    return [], -1


def sensitive_spans(transcript: Transcript) -> list[Span]:
    """Every stretch of card data spoken in the call, in turn order."""
    turns = transcript.turns
    cues = [_cues(t) for t in turns]
    spans: list[Span] = []

    def recent(i: int, code: str, back: int) -> bool:
        return any(code in cues[k] for k in range(max(0, i - back), i + 1))

    payment_since = -100  # latest turn that talked about a card or a card payment
    card_turn = -100  # latest turn in which a card number was spoken
    pending: list[tuple[int, Run]] = []  # pieces of a number read over several turns
    done: tuple[int, str, int] | None = None  # (turn, speaker, digits) of the latest number joined from pieces
    number = ""  # the digits of the latest card-length number
    for i, t in enumerate(turns):
        if cues[i].keys() & {"CUE.CARD", "CUE.CARD_NUMBER", "CUE.EXPIRY", "CUE.CVV"}:
            payment_since = i
        pay_ctx = i - payment_since <= 8 or i - card_turn <= 6
        months = recent(i, "CUE.EXPIRY", 3)
        for r in digit_runs(t.text, months=months):
            if r.is_amount or _ending_cue(cues[i], r):
                continue
            d = r.digits
            fields, asked_in = _asked(cues, i, r.char_start)
            if fields == ["other"] and any("CUE.CARD" in cues[k] for k in range(asked_in + 1, i + 1)):
                fields = []  # "membership" asked, then "which card would you like to use?": the card is asked now
            if len(d) in CARD_LENGTHS:
                ok = luhn_ok(d)
                other = fields[-1:] == ["other"]
                if pay_ctx and (ok or not other):
                    spans.append(Span(i, r.char_start, r.char_end, "card", d, 0.96 if ok else 0.85,
                                      "card-length number, checksum " + ("passes" if ok else "fails") + ", payment context"))
                    card_turn, number = i, d
                elif ok and len(d) in (15, 16) and not other:
                    spans.append(Span(i, r.char_start, r.char_end, "card", d, 0.6,
                                      "card-length number passing the checksum, no payment context"))
                    card_turn, number = i, d
                continue
            # A piece of the number asked for again: "can you say the last bit again, after nine oh
            # two seven?" quotes where to resume (a part, not card data, and no security code);
            # the other side's "eight oh two two two one eight oh" re-says a piece of it. The last four
            # digits alone are not card data (LABELS.md), said again or not.
            if number and len(d) >= 4 and d in number and i - card_turn <= 3:
                if _ASKED_AGAIN.search(t.text):
                    continue
                if i and turns[i - 1].speaker != t.speaker and _ASKED_AGAIN.search(turns[i - 1].text):
                    if d != number[-4:]:
                        spans.append(Span(i, r.char_start, r.char_end, "card", d, 0.85,
                                          "a piece of the card number said again"))
                    continue
            echoed = _read_back(spans, i, r)
            if echoed:
                spans.extend(echoed)
                continue
            # "... and then seven seven" / "sorry, was that seven seven?" / "seven seven one seven":
            # the same speaker goes on with a number already card length; the rest is card data too.
            if (done is not None and fields in ([], ["card"]) and i - done[0] <= 2 and t.speaker == done[1]
                    and done[2] + len(d) in CARD_LENGTHS and not _phone_shaped(d)):
                spans.append(Span(i, r.char_start, r.char_end, "card", d, 0.8, "the rest of a card number read over several turns"))
                done = (i, t.speaker, done[2] + len(d))
                continue
            # The other side repeating the piece just said ("four two nine seven six two one five,
            # yep"): kept with the pieces, it is card data once the number is complete.
            if (not fields and pending and pending[-1][0] == i - 1 and turns[i - 1].speaker != t.speaker
                    and pending[-1][1].digits == d):
                pending.append((i, r))
                continue
            if not fields and pending and pending[-1][0] >= i - 2 and turns[pending[-1][0]].speaker == t.speaker:
                fields, asked_in = ["card"], pending[-1][0]
            # "which card?" / "card please" / "go for it": the first group of the number, unasked.
            # It counts only if later groups make it card length.
            if (not fields and t.speaker == "customer" and 4 <= len(d) <= 12 and recent(i, "CUE.CARD", 3)
                    and i - card_turn > 6):
                fields, asked_in = ["card"], i
            unasked = not fields and i - card_turn <= 4
            if unasked:
                fields, asked_in = ["expiry", "cvv"], card_turn
            # What has been answered since the question, so "expiry and CVV?" is answered in order.
            given = {s.kind for s in spans if asked_in <= s.turn <= i and s.kind in ("expiry", "cvv")
                     and (s.turn < i or s.char_end <= r.char_start)}
            if unasked and {"expiry", "cvv"} <= given:
                continue  # both given already: a later number ("the one eighty five deposit") is something else
            todo = [f for f in fields if f not in given]
            if not todo and t.speaker == "agent":
                continue  # everything asked is answered: the agent's next number is something else
            todo = todo or fields[-1:]
            strong_cvv = recent(i, "CUE.CVV", 3)
            if len(d) in (7, 8) and todo[:2] == ["expiry", "cvv"] and pay_ctx and _plausible_expiry(d[:4]):
                cut = cut_after_digits(r, 4)
                spans.append(Span(i, r.char_start, cut, "expiry", d[:4], 0.8, "expiry read with the security code"))
                spans.append(Span(i, cut, r.char_end, "cvv", d[4:], 0.8, "security code read with the expiry"))
                continue
            field = todo[0] if todo else None
            if field == "expiry" and (pay_ctx or strong_cvv) and (_plausible_expiry(d) or _expiry_prefix(r)):
                spans.append(Span(i, r.char_start, r.char_end, "expiry", d, 0.85, "expiry date in a payment context"))
            elif field in ("cvv", "expiry") and len(d) in (3, 4) and (pay_ctx or strong_cvv):
                spans.append(Span(i, r.char_start, r.char_end, "cvv", d, 0.8, "security code in a payment context"))
            elif field == "card" and pay_ctx and 2 <= len(d) <= 12 and not _phone_shaped(d):
                pending.append((i, r))
        joined = _join_split_numbers(turns, pending, spans, i)
        if joined:
            done, number = joined[:3], joined[3]
    spans.sort(key=lambda s: (s.turn, s.char_start))
    return spans


def _short_expiry(d: str) -> str:
    """An expiry as month and two-digit year: "072028" and "0728" are the same date."""
    return d[:2] + d[4:] if len(d) == 6 and d[2:4] == "20" else d


def _read_back(spans: list[Span], i: int, run: Run) -> list[Span]:
    """The agent (or customer) repeating the digits the other side just said."""
    before = [s for s in spans if i - 3 <= s.turn < i]
    for k in range(len(before)):
        tail = before[k:]
        if len(tail) == 1 and tail[0].kind == "expiry" and _short_expiry(tail[0].digits) == _short_expiry(run.digits):
            # "July 2028" read back as "oh seven, twenty-eight": the same date, the year shortened
            return [Span(i, run.char_start, run.char_end, "expiry", run.digits, tail[0].score, "expiry read back")]
        if "".join(s.digits for s in tail) == run.digits:
            out, start, count = [], run.char_start, 0
            for s in tail:
                count += len(s.digits)
                end = cut_after_digits(run, count)
                out.append(Span(i, start, end, s.kind, s.digits, s.score, f"{s.kind} read back"))
                start = end
            return out
    return []


# The other side asking for a piece again: "sorry, could you repeat that last bit, the line went".
_ASKED_AGAIN = re.compile(rf"\b(?:{LINE_BROKE}|the line went|repeat|again|missed|say that|slower after|slow down after|after the)\b", re.I)


def _join_split_numbers(turns, pending: list[tuple[int, Run]], spans: list[Span],
                        i: int) -> tuple[int, str, int, str] | None:
    """Pieces of one card number read over several turns of the same speaker. Returns the turn,
    speaker, digit count and digits of a number it completes."""
    if not pending:
        return None
    speaker = turns[pending[-1][0]].speaker
    # Keep only the latest chain: the same speaker, gaps of at most 2 turns. The other side
    # may repeat each piece in between ("five four five four" / "five four five four, yep").
    chain: list[tuple[int, Run]] = []
    others: list[tuple[int, Run]] = []
    for ti, r in reversed(pending):
        if chain and chain[0][0] - ti > 2:
            break
        (chain if turns[ti].speaker == speaker else others).insert(0, (ti, r))
    echoes = [(ti, r) for ti, r in others if ti > chain[0][0] and any(c.digits == r.digits for _, c in chain)]
    pending[:] = sorted(chain + others, key=lambda p: p[0])
    # A piece said again ("sorry, you cut out" - "nine five three oh ...") is one piece, not two.
    unique: list[tuple[int, Run]] = []
    for ti, r in chain:
        if unique and unique[-1][1].digits == r.digits and any(
                _ASKED_AGAIN.search(turns[k].text) for k in range(unique[-1][0] + 1, ti)):
            continue
        unique.append((ti, r))
    total = "".join(r.digits for _, r in unique)
    if len({ti for ti, _ in unique}) >= 2 and len(total) in CARD_LENGTHS:
        ok = luhn_ok(total)
        for ti, r in chain:
            spans.append(Span(ti, r.char_start, r.char_end, "card", r.digits, 0.9 if ok else 0.8,
                              "part of a card number read over several turns"))
        for ti, r in echoes:
            spans.append(Span(ti, r.char_start, r.char_end, "card", r.digits, 0.9 if ok else 0.8,
                              "part of a card number read back"))
        pending.clear()
        return chain[-1][0], speaker, len(total), total
    return None


class Card(Detector):
    name = "card"
    version = "1.0"
    codes = {CODE: "card_details_spoken"}
    labels = ("card_details_spoken",)

    def detect(self, transcript: Transcript) -> list[Finding]:
        by_turn: dict[int, list[Span]] = {}
        for s in sensitive_spans(transcript):
            by_turn.setdefault(s.turn, []).append(s)
        found = []
        for ti, spans in sorted(by_turn.items()):
            turn = transcript.turns[ti]
            kinds = sorted({s.kind for s in spans})
            best = max(spans, key=lambda s: s.score)
            found.append(self.finding(
                CODE, turn, min(s.char_start for s in spans), max(s.char_end for s in spans), best.score,
                f"rule:card-{best.kind}", explanation=f"{', '.join(kinds)} spoken: {best.reason}"))
        return found
