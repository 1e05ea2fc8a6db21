"""Masking payment card and bank data before anything is stored, logged or shown.

Card numbers (whether or not the checksum holds), security codes and expiry dates said in a
payment context are replaced in the turn text and in the word timings, keeping their place
and type: ``[CARD ****0937]``, ``[CVV ***]``, ``[EXPIRY **/**]``. Findings are re-anchored
on the masked text so every quote is still a verbatim substring of its turn. The finding that
card details were spoken stays: only the digits go.

The card spans masked are exactly the ones the card detector reports (``sensitive_spans``).
Bank details said in context are masked too (``bank_spans``): a sort code (``[SORT CODE
**-**-18]``) and an account number (``[ACCOUNT ****7754]``), even when the customer gives
them to pass the identity check: the check still counts, the digits are not kept.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Iterable

from .detectors.card import Span, sensitive_spans
from .detectors.card_numbers import TEENS, TENS, UNITS, Run, cut_after_digits, digit_runs
from .types import Finding, Transcript, Turn, Word

CARD_LENGTHS = range(13, 20)
# Text without digits or any of these words holds no spoken number: nothing to mask.
_NUMBER_WORDS = (*UNITS, *TEENS, *TENS, "oh", "double", "triple", "treble")


def _label(kind: str, digits: str) -> str:
    if kind == "card":
        return f"[CARD ****{digits[-4:]}]" if len(digits) in CARD_LENGTHS else "[CARD ****]"
    if kind == "cvv":
        return "[CVV ***]"
    return "[EXPIRY **/**]"


def _merge(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping (start, end, label); overlapping spans join under the first label."""
    out: list[tuple[int, int, str]] = []
    for s, e, lab in sorted(spans):
        if out and s < out[-1][1]:
            ps, pe, plab = out[-1]
            out[-1] = (ps, max(pe, e), plab)
        else:
            out.append((s, e, lab))
    return out


class _Masked:
    """A turn's text with spans replaced, and the map from old offsets to new ones."""

    def __init__(self, text: str, spans: list[tuple[int, int, str]]):
        self.spans = _merge(spans)
        parts, pos = [], 0
        self.new_spans: list[tuple[int, int]] = []
        shift = 0
        for s, e, lab in self.spans:
            parts.append(text[pos:s])
            self.new_spans.append((s + shift, s + shift + len(lab)))
            parts.append(lab)
            shift += len(lab) - (e - s)
            pos = e
        parts.append(text[pos:])
        self.text = "".join(parts)

    def map(self, offset: int, is_end: bool) -> int:
        """New offset of an old one; an offset inside a masked span moves to its edge."""
        shift = 0
        for (s, e, _), (ns, ne) in zip(self.spans, self.new_spans):
            if offset <= s:
                break
            if offset < e:
                return ne if is_end else ns
            shift = ne - e
        return offset + shift


def _mask_words(turn: Turn, masked: _Masked) -> tuple[Word, ...]:
    """Word timings with the masked words replaced: the first word of a span carries the label."""
    if not turn.words:
        return ()
    out: list[Word] = []
    pos, used = 0, set()
    for w in turn.words:
        token = w.text.strip()
        at = turn.text.find(token, pos) if token else -1
        hit = None
        if at >= 0:
            pos = at + len(token)
            hit = next((k for k, (s, e, _) in enumerate(masked.spans) if at < e and at + len(token) > s), None)
        if hit is None:
            # A word we cannot place in the text is masked on its own if it holds card-like digits.
            text = mask_text(w.text) if at < 0 else w.text
            out.append(replace(w, text=text))
            continue
        label = masked.spans[hit][2] if hit not in used else ""
        used.add(hit)
        lead = w.text[: len(w.text) - len(w.text.lstrip())]
        out.append(replace(w, text=(lead + label) if label else ""))
    return tuple(out)


# -- bank details: sort codes and account numbers said in context --------------------------
_BANK_CUE = re.compile(r"\bsort[\s-]*codes?\b|\b(?:bank\s+)?acc(?:oun)?t(?:\s*(?:number|no\.?|num|numbers))?\b",
                       re.IGNORECASE)
BANK_LENGTHS = {"sort": (6,), "account": (6, 7, 8, 9, 10)}
BANK_FULL = {"sort": 6, "account": 8}  # the usual length, for numbers read in pieces
SAME_TURN_REACH = 60  # characters after a cue in which a number is taken as its answer


def _bank_label(kind: str, digits: str) -> str:
    if kind == "sort":
        return f"[SORT CODE **-**-{digits[-2:]}]" if len(digits) == 6 else "[SORT CODE **-**-**]"
    return f"[ACCOUNT ****{digits[-4:]}]" if len(digits) >= 6 else "[ACCOUNT ****]"


def _bank_cues(text: str) -> list[tuple[int, str]]:
    return [(m.end(), "sort" if m.group(0).lower().startswith("sort") else "account") for m in _BANK_CUE.finditer(text)]


def bank_spans(transcript: Transcript) -> list[tuple[int, int, int, str]]:
    """(turn, char_start, char_end, label) of every sort code and account number said in context.

    A number counts when a cue ("sort code", "account number") comes just before it in the
    same turn, or was said in one of the two turns before (a question and its answer). A
    number read in pieces over adjacent turns of one speaker counts once the pieces add up,
    and a number said again later in the call (read back) is masked wherever it recurs.
    """
    turns = transcript.turns
    cues = [_bank_cues(t.text) for t in turns]
    out: list[tuple[int, int, int, str]] = []
    known: dict[str, str] = {}  # digits already found -> kind, for read-backs
    pending: list[tuple[int, Run, str]] = []  # pieces of a number read over several turns
    for i, t in enumerate(turns):
        asked: list[str] = []
        for k in range(i - 1, max(-1, i - 3), -1):
            if cues[k]:
                asked = list(dict.fromkeys(kind for _, kind in cues[k]))
                break
        given: list[str] = []
        for r in digit_runs(t.text):
            if r.is_amount:
                continue
            d = r.digits
            here = [kind for end, kind in cues[i] if end <= r.char_start and r.char_start - end <= SAME_TURN_REACH]
            todo = [here[-1]] if here else [f for f in asked if f not in given] or asked[-1:]
            if d in known:
                out.append((i, r.char_start, r.char_end, _bank_label(known[d], d)))
                continue
            if todo[:2] == ["sort", "account"] and len(d) in (12, 13, 14, 15, 16):
                cut = cut_after_digits(r, 6)
                out.append((i, r.char_start, cut, _bank_label("sort", d[:6])))
                out.append((i, cut, r.char_end, _bank_label("account", d[6:])))
                known[d[:6]], known[d[6:]] = "sort", "account"
                given += ["sort", "account"]
                continue
            kind = todo[0] if todo else None
            if kind is None and pending and i - pending[-1][0] <= 2 and turns[pending[-1][0]].speaker == t.speaker:
                kind = pending[-1][2]  # the rest of a number begun in an earlier turn
            if kind is None:
                continue
            if len(d) in BANK_LENGTHS[kind]:
                out.append((i, r.char_start, r.char_end, _bank_label(kind, d)))
                known[d] = kind
                given.append(kind)
                pending.clear()
                continue
            if len(d) < BANK_FULL[kind]:
                chain = [p for p in pending if p[2] == kind and i - p[0] <= 2 and turns[p[0]].speaker == t.speaker]
                chain.append((i, r, kind))
                total = "".join(p[1].digits for p in chain)
                if len(total) >= BANK_FULL[kind]:
                    for n, (ti, pr, _) in enumerate(chain):
                        lab = _bank_label(kind, total) if n == len(chain) - 1 else _bank_label(kind, "")
                        out.append((ti, pr.char_start, pr.char_end, lab))
                    known[total] = kind
                    given.append(kind)
                    pending.clear()
                else:
                    pending[:] = chain
    return out


def _spans_by_turn(spans: list[Span], bank: list[tuple[int, int, int, str]] = ()) -> dict[int, list[tuple[int, int, str]]]:
    out: dict[int, list[tuple[int, int, str]]] = {}
    for s in spans:
        out.setdefault(s.turn, []).append((s.char_start, s.char_end, _label(s.kind, s.digits)))
    for turn, start, end, label in bank:
        out.setdefault(turn, []).append((start, end, label))
    return out


def _mask_meta(meta: dict) -> dict:
    """Call metadata with card and bank numbers masked in its text values (a note, a reference)."""
    return {k: mask_text(v) if isinstance(v, str) else v for k, v in meta.items()}


def redact_call(transcript: Transcript, findings: list[Finding]) -> tuple[Transcript, list[Finding]]:
    """The transcript with card and bank data masked, and the findings re-anchored on the masked text."""
    by_turn = _spans_by_turn(sensitive_spans(transcript), bank_spans(transcript))
    if transcript.meta:
        transcript = replace(transcript, meta=_mask_meta(transcript.meta))
    if not by_turn:
        return transcript, [replace(f, explanation=mask_text(f.explanation)) if f.explanation else f for f in findings]
    masks: dict[int, _Masked] = {}
    turns = []
    for i, t in enumerate(transcript.turns):
        if i in by_turn:
            m = _Masked(t.text, by_turn[i])
            masks[t.index] = m
            turns.append(replace(t, text=m.text, words=_mask_words(t, m)))
        else:
            turns.append(t)
    new_findings = []
    for f in findings:
        m = masks.get(f.turn) if f.turn is not None else None
        if m is None or not f.present:
            new_findings.append(replace(f, explanation=mask_text(f.explanation)) if f.explanation else f)
            continue
        s, e = m.map(f.char_start, False), m.map(f.char_end, True)
        e = max(s, e)
        new_findings.append(replace(f, char_start=s, char_end=e, quote=m.text[s:e],
                                    explanation=mask_text(f.explanation)))
    return replace(transcript, turns=tuple(turns)), new_findings


def mask_text(text: str) -> str:
    """Free text (an error message, a log line, a note) with card and bank data masked.

    Any card-length run of digits is masked, and so are codes and dates named as a card's
    security code or expiry in the same text ("CVV 123", "expires 04/28"), and sort codes
    and account numbers named as such ("sort code 40-22-18", "account 31807754").
    """
    if not text or not any(ch.isdigit() for ch in text) and not any(w in text.lower() for w in _NUMBER_WORDS):
        return text
    one = Transcript(call_id="text", turns=(Turn(index=0, speaker="customer", text=text),))
    spans = [(s.char_start, s.char_end, _label(s.kind, s.digits)) for s in sensitive_spans(one)]
    spans += [(s, e, lab) for _, s, e, lab in bank_spans(one)]
    for r in digit_runs(text):
        if len(r.digits) in CARD_LENGTHS and not r.is_amount:
            spans.append((r.char_start, r.char_end, _label("card", r.digits)))
    return _Masked(text, spans).text if spans else text


class MaskingFilter(logging.Filter):
    """A logging filter that masks card and bank numbers in every record it passes.

    Installed on the command line's log handlers, so a message, its arguments or a
    traceback that quotes call text still never writes a number to a log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_text(text)
            record.exc_info = None  # the handler prints exc_text, already masked
        return True


def install_log_masking(logger: logging.Logger | None = None) -> MaskingFilter:
    """Mask card and bank numbers on every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    filt = MaskingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(filt)
    return filt
