"""The data model: small frozen dataclasses that every stage passes along.

Serialisation to and from plain JSON-able dicts lives here and nowhere else, so the
files on disk (transcript.json, scorecard.json) and the Python objects never drift apart.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

Speaker = Literal["agent", "customer"]
SPEAKERS: tuple[str, ...] = ("agent", "customer")

# Behaviour labels of the labelling contract (LABELS.md), in scorecard order.
LABELS: tuple[str, ...] = (
    "greeting",
    "agent_name",
    "company_name",
    "offer_help",
    "recording_notice",
    "verify_identity",
    "disclosure_before_verification",
    "complaint",
    "hear",
    "empathize",
    "apologize",
    "take_action",
    "card_details_spoken",
    "closing",
)
# Labels whose presence is a compliance risk: a call with either fails data protection.
RISK_LABELS: frozenset[str] = frozenset({"disclosure_before_verification", "card_details_spoken"})


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted stretch of speech."""

    index: int
    speaker: Speaker
    text: str
    start: float | None = None
    end: float | None = None
    words: tuple[Word, ...] = ()
    # ASR figures: mean log-probability of the tokens and the highest no-speech
    # probability among the segments the turn was built from. None for typed transcripts.
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    # Gold labels, only present when the turn came from a labelled file.
    labels: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "speaker": self.speaker,
            "text": self.text,
            "start": self.start,
            "end": self.end,
        }
        if self.words:
            d["words"] = [asdict(w) for w in self.words]
        if self.avg_logprob is not None:
            d["avg_logprob"] = round(self.avg_logprob, 4)
        if self.no_speech_prob is not None:
            d["no_speech_prob"] = round(self.no_speech_prob, 4)
        if self.labels:
            d["labels"] = list(self.labels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Turn":
        words = tuple(Word(**w) for w in d.get("words", ()))
        return cls(
            index=d["index"],
            speaker=d["speaker"],
            text=d["text"],
            start=d.get("start"),
            end=d.get("end"),
            words=words,
            avg_logprob=d.get("avg_logprob"),
            no_speech_prob=d.get("no_speech_prob"),
            labels=tuple(d.get("labels", ())),
        )


@dataclass(frozen=True)
class RoleDecision:
    """Which speaker is the agent, and how sure we are (1.0 for stereo or typed input)."""

    method: str  # "channel", "transcript", "opening-language", ...
    confidence: float
    detail: str = ""


@dataclass(frozen=True)
class Transcript:
    call_id: str
    turns: tuple[Turn, ...]
    duration: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # How the transcript was made: {"kind": "asr", "model": ..., "model_sha256": ...,
    # "options": {...}} or {"kind": "transcript", "format": "jsonl", "path": ...}.
    source: dict[str, Any] = field(default_factory=dict)
    roles: RoleDecision = RoleDecision("transcript", 1.0)
    # Gold call-level labels from a labelled file ({label: bool}); empty otherwise.
    labels: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.call_id,
            "duration": self.duration,
            "meta": dict(self.meta),
            "source": dict(self.source),
            "roles": asdict(self.roles),
            "turns": [t.to_dict() for t in self.turns],
        }
        if self.labels:
            d["labels"] = dict(self.labels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Transcript":
        roles = d.get("roles") or {"method": "transcript", "confidence": 1.0}
        return cls(
            call_id=d["id"],
            turns=tuple(Turn.from_dict(t) for t in d["turns"]),
            duration=d.get("duration"),
            meta=dict(d.get("meta") or {}),
            source=dict(d.get("source") or {}),
            roles=RoleDecision(**roles),
            labels=dict(d.get("labels") or {}),
        )


@dataclass(frozen=True)
class Finding:
    """A behaviour seen (or missed) in a call, with its evidence.

    `quote` is a verbatim substring of the turn's text: text[char_start:char_end].
    A missing behaviour has present=False and is anchored at the turn where it was
    expected; its quote may be empty.
    """

    code: str
    label: str
    turn: int | None
    quote: str
    char_start: int
    char_end: int
    start: float | None
    end: float | None
    score: float
    detector: str
    detector_version: str
    method: str  # "pattern:<id>", "model:<id>@<version>", "rule:<name>"
    speaker: str | None = None
    present: bool = True
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = round(self.score, 4)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class Evidence:
    turn: int | None
    speaker: str | None
    quote: str
    start: float | None
    end: float | None
    code: str

    @classmethod
    def of(cls, f: Finding) -> "Evidence":
        return cls(f.turn, f.speaker, f.quote, f.start, f.end, f.code)


@dataclass(frozen=True)
class ScoreItem:
    id: str
    section: str
    question: str
    answer: Literal["yes", "no", "na"]
    points: float
    max_points: float
    confidence: float
    justification: str
    evidence: tuple[Evidence, ...] = ()
    critical: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["confidence"] = round(self.confidence, 4)
        d["evidence"] = [asdict(e) for e in self.evidence]
        return d


@dataclass(frozen=True)
class Scorecard:
    call_id: str
    template_id: str
    template_version: str
    status: Literal["draft", "confirmed"]
    score: float
    maximum: float
    passed: bool
    risks: tuple[str, ...]
    items: tuple[ScoreItem, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "template": {"id": self.template_id, "version": self.template_version},
            "status": self.status,
            "score": round(self.score, 2),
            "maximum": round(self.maximum, 2),
            "percent": round(100.0 * self.score / self.maximum, 1) if self.maximum else None,
            "passed": self.passed,
            "risks": list(self.risks),
            "items": [i.to_dict() for i in self.items],
            "provenance": dict(self.provenance),
        }


__all__ = [
    "LABELS",
    "RISK_LABELS",
    "SPEAKERS",
    "Evidence",
    "Finding",
    "RoleDecision",
    "ScoreItem",
    "Scorecard",
    "Transcript",
    "Turn",
    "Word",
    "replace",
]
