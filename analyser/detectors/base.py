"""What every detector shares: the base class, evidence building and time lookup."""
from __future__ import annotations

from typing import Any, ClassVar, Iterable

from ..types import Finding, Transcript, Turn


def span_times(turn: Turn, char_start: int, char_end: int) -> tuple[float | None, float | None]:
    """Start and end seconds of text[char_start:char_end] within a turn.

    Uses word timestamps when the turn has them (ASR output), else the turn's own times.
    Words are located in the text in order, so repeated words map to the right place.
    """
    if not turn.words:
        return turn.start, turn.end
    pos = 0
    first: float | None = None
    last: float | None = None
    text = turn.text
    for w in turn.words:
        token = w.text.strip()
        if not token:
            continue
        at = text.find(token, pos)
        if at < 0:
            continue
        w_start, w_end = at, at + len(token)
        pos = w_end
        if w_end > char_start and w_start < char_end:
            if first is None:
                first = w.start
            last = w.end
        elif w_start >= char_end:
            break
    if first is None:
        return turn.start, turn.end
    return first, last


class Detector:
    """A detector family: one module, one class.

    Subclasses set ``name``, ``version`` and ``codes`` (finding code -> label) and implement
    ``detect``. ``config`` holds thresholds from the detector configuration file.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    codes: ClassVar[dict[str, str]] = {}
    # Labels this detector decides (LABELS.md); used by evaluation and the registry.
    labels: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: dict[str, Any] | None = None):
        self.config = dict(config or {})

    def detect(self, transcript: Transcript) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------
    def threshold(self, key: str, default: float) -> float:
        return float(self.config.get(key, default))

    def finding(
        self,
        code: str,
        turn: Turn,
        char_start: int,
        char_end: int,
        score: float,
        method: str,
        explanation: str = "",
    ) -> Finding:
        """A present behaviour, quoted verbatim from ``turn.text[char_start:char_end]``."""
        if code not in self.codes:
            raise ValueError(f"{self.name}: code {code!r} is not declared in {sorted(self.codes)}")
        char_start = max(0, min(char_start, len(turn.text)))
        char_end = max(char_start, min(char_end, len(turn.text)))
        start, end = span_times(turn, char_start, char_end)
        return Finding(
            code=code,
            label=self.codes[code],
            turn=turn.index,
            quote=turn.text[char_start:char_end],
            char_start=char_start,
            char_end=char_end,
            start=start,
            end=end,
            score=float(score),
            detector=self.name,
            detector_version=self.version,
            method=method,
            speaker=turn.speaker,
            present=True,
            explanation=explanation,
        )

    def missing(self, code: str, anchor: Turn | None, explanation: str, score: float = 1.0) -> Finding:
        """A behaviour that was expected and not found, anchored at ``anchor``."""
        if code not in self.codes:
            raise ValueError(f"{self.name}: code {code!r} is not declared in {sorted(self.codes)}")
        return Finding(
            code=code,
            label=self.codes[code],
            turn=anchor.index if anchor else None,
            quote="",
            char_start=0,
            char_end=0,
            start=anchor.start if anchor else None,
            end=anchor.end if anchor else None,
            score=float(score),
            detector=self.name,
            detector_version=self.version,
            method="rule:absent",
            speaker=anchor.speaker if anchor else None,
            present=False,
            explanation=explanation,
        )


def agent_turns(transcript: Transcript) -> Iterable[Turn]:
    return (t for t in transcript.turns if t.speaker == "agent")


def customer_turns(transcript: Transcript) -> Iterable[Turn]:
    return (t for t in transcript.turns if t.speaker == "customer")


def fused_finding(detector: Detector, transcript: Transcript, turn: Turn, label: str, code: str,
                  best: tuple[int, int, float, str] | None, threshold: float,
                  model_allowed: bool = True, doubt: tuple[float, float] | None = None) -> list[Finding]:
    """A finding for ``turn`` when the pattern evidence and the learned model together say so.

    ``best`` is the pattern's (start, end, score, method), or None. A pattern hit or a
    confident model makes a finding (unless ``model_allowed`` is False: a context rule's veto). The score of the finding is the fused probability; its quote is the pattern's span, or, when the model alone
    found the behaviour, the sentence it scores highest.
    """
    from .. import classifier

    if best is None and not model_allowed:
        return []  # a context rule says the model alone cannot decide this turn
    rule = best[2] if best else 0.0
    score = classifier.judge(transcript, turn.index, label, rule, threshold)
    if score < threshold and rule < threshold:
        return []  # a pattern hit stands even when the model doubts it; its score says so
    if doubt is not None and score < doubt[0] and rule < doubt[1]:
        return []  # ``doubt`` = (floor, firm): a rule under "firm" falls when the fused score is under "floor"
    if best is not None:
        start, end, _, method = best
    else:
        start, end, method = classifier.model_span(transcript, turn.index, label)
    return [detector.finding(code, turn, start, end, score, method)]
