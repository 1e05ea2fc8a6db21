"""Masking payment card data before anything is stored, logged or shown (PCI DSS).

Card numbers (whether or not the checksum holds), security codes and expiry dates said in a
payment context are replaced in the turn text and in the word timings, keeping their place
and type: ``[CARD ****0937]``, ``[CVV ***]``, ``[EXPIRY **/**]``. Findings are re-anchored
on the masked text so every quote is still a verbatim substring of its turn. The finding that
card details were spoken stays: only the digits go.

The spans masked are exactly the ones the card detector reports (``sensitive_spans``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from .detectors.card import Span, sensitive_spans
from .detectors.card_numbers import digit_runs
from .types import Finding, Transcript, Turn, Word

CARD_LENGTHS = range(13, 20)


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


def _spans_by_turn(spans: list[Span]) -> dict[int, list[tuple[int, int, str]]]:
    out: dict[int, list[tuple[int, int, str]]] = {}
    for s in spans:
        out.setdefault(s.turn, []).append((s.char_start, s.char_end, _label(s.kind, s.digits)))
    return out


def redact_call(transcript: Transcript, findings: list[Finding]) -> tuple[Transcript, list[Finding]]:
    """The transcript with card data masked, and the findings re-anchored on the masked text."""
    by_turn = _spans_by_turn(sensitive_spans(transcript))
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
    """Free text (an error message, a note) with card data masked, without call context.

    Any card-length run of digits is masked, and so are codes and dates named as a card's
    security code or expiry in the same text ("CVV 123", "expires 04/28").
    """
    if not text or not any(ch.isdigit() for ch in text) and not any(
            w in text.lower() for w in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh", "zero")):
        return text
    one = Transcript(call_id="text", turns=(Turn(index=0, speaker="customer", text=text),))
    spans = [(s.char_start, s.char_end, _label(s.kind, s.digits)) for s in sensitive_spans(one)]
    for r in digit_runs(text):
        if len(r.digits) in CARD_LENGTHS and not r.is_amount:
            spans.append((r.char_start, r.char_end, _label("card", r.digits)))
    return _Masked(text, spans).text if spans else text
