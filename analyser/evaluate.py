"""Accuracy against labelled calls: precision, recall and F1 per label.

Turn level: a (call, turn) pair is predicted for a label when a present finding of that
label points at the turn. Call level: a call is predicted for a label when any turn is.
The gold call label is the call's ``labels`` map where it judged the label, else whether
any turn carries it. Evidence precision: the share of quotes (present findings) whose turn
truly has the label.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .types import LABELS, Finding, Transcript


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def add(self, predicted: bool, gold: bool) -> None:
        if predicted and gold:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class EvalReport:
    calls: int = 0
    turn: dict[str, Counts] = field(default_factory=lambda: {lab: Counts() for lab in LABELS})
    call: dict[str, Counts] = field(default_factory=lambda: {lab: Counts() for lab in LABELS})
    evidence_total: int = 0
    evidence_correct: int = 0
    evidence_by_label: dict[str, list[int]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    @property
    def evidence_precision(self) -> float:
        return self.evidence_correct / self.evidence_total if self.evidence_total else 1.0

    def as_dict(self) -> dict:
        return {
            "calls": self.calls,
            "turn_level": {lab: c.as_dict() for lab, c in self.turn.items()},
            "call_level": {lab: c.as_dict() for lab, c in self.call.items()},
            "evidence": {
                "precision": round(self.evidence_precision, 4),
                "quotes": self.evidence_total,
                "correct": self.evidence_correct,
                "by_label": {
                    lab: round(ok / n, 4) if n else None for lab, (ok, n) in sorted(self.evidence_by_label.items())
                },
            },
            "errors": self.errors,
        }


def gold_call_label(transcript: Transcript, label: str) -> bool:
    if label in transcript.labels:
        return bool(transcript.labels[label])
    return any(label in t.labels for t in transcript.turns)


def score_call(report: EvalReport, transcript: Transcript, findings: Iterable[Finding]) -> None:
    """Add one call's predictions to the report."""
    report.calls += 1
    predicted: dict[str, set[int]] = {lab: set() for lab in LABELS}
    for f in findings:
        if not f.present or f.label not in predicted or f.turn is None:
            continue
        predicted[f.label].add(f.turn)
        turn = transcript.turns[f.turn]
        ok = int(f.label in turn.labels)
        report.evidence_total += 1
        report.evidence_correct += ok
        slot = report.evidence_by_label.setdefault(f.label, [0, 0])
        slot[0] += ok
        slot[1] += 1
    for lab in LABELS:
        for t in transcript.turns:
            report.turn[lab].add(t.index in predicted[lab], lab in t.labels)
        report.call[lab].add(bool(predicted[lab]), gold_call_label(transcript, lab))


def format_table(report: EvalReport) -> str:
    lines = [
        f"{report.calls} calls; evidence precision {report.evidence_precision:.3f} "
        f"({report.evidence_correct}/{report.evidence_total} quotes on a turn with the label)",
        "",
        f"{'label':32} {'turn P':>7} {'turn R':>7} {'turn F1':>7} {'n':>5}   {'call P':>7} {'call R':>7} {'call F1':>7} {'n':>4}",
    ]
    for lab in LABELS:
        t, c = report.turn[lab], report.call[lab]
        lines.append(
            f"{lab:32} {t.precision:7.3f} {t.recall:7.3f} {t.f1:7.3f} {t.support:5d}   "
            f"{c.precision:7.3f} {c.recall:7.3f} {c.f1:7.3f} {c.support:4d}"
        )
    return "\n".join(lines)


def evaluate_file(path, detectors=None, *, show: str | None = None) -> EvalReport:
    """Run the detectors over every call of a labelled JSONL file and score them.

    ``show``: a label whose errors are printed turn by turn (for development).
    """
    from .detectors import build_detectors, run_detectors
    from .transcripts import read_jsonl

    detectors = detectors if detectors is not None else build_detectors()
    report = EvalReport()
    for rec in read_jsonl(path):
        if rec.transcript is None:
            report.errors.append({"input": rec.source, **rec.error.to_dict()})
            continue
        findings = run_detectors(rec.transcript, detectors)
        score_call(report, rec.transcript, findings)
        if show:
            _show_errors(rec.transcript, findings, show)
    return report


def _show_errors(transcript: Transcript, findings: list[Finding], label: str) -> None:
    hits = {f.turn: f for f in findings if f.present and f.label == label}
    for t in transcript.turns:
        gold = label in t.labels
        if gold != (t.index in hits):
            kind = "FN" if gold else "FP"
            how = f"  <- {hits[t.index].method} {hits[t.index].quote!r}" if t.index in hits else ""
            print(f"{kind} {transcript.call_id}#{t.index} {t.speaker}: {t.text}{how}")


if __name__ == "__main__":  # development aid: python -m analyser.evaluate FILE [LABEL]
    import sys

    rep = evaluate_file(sys.argv[1], show=sys.argv[2] if len(sys.argv) > 2 else None)
    print(format_table(rep))
