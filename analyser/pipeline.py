"""One call, end to end: ingest -> transcribe -> detect -> redact -> score.

``analyse`` is the importable form of ``analyser run`` for a single call::

    from analyser import analyse
    result = analyse("calls/energy-017.wav", model="tiny.en")
    result.scorecard.to_dict()      # the draft scorecard
    result.transcript.to_dict()     # turns with words, ASR confidence and provenance

Progress goes through ``hook(step, artifact, completed=, total=)`` (as in pyannote.audio),
never through prints, so a progress bar or a debugger can plug in without touching the logic.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import AnalyserError, InputError
from .scorecard import Template, load_template, score
from .types import Finding, Scorecard, Transcript

AUDIO_EXTENSIONS = frozenset({".wav", ".mp3", ".flac", ".ogg", ".m4a"})
TRANSCRIPT_EXTENSIONS = frozenset({".jsonl", ".txt"})
STEPS = ("ingest", "transcribe", "detect", "redact", "score")

Hook = Callable[..., None]


@dataclass(frozen=True)
class CallResult:
    """What one call produced: the (redacted) transcript, its findings and the draft card."""

    transcript: Transcript
    findings: tuple[Finding, ...]
    scorecard: Scorecard
    input_sha256: str | None = None
    audio_seconds: float | None = None


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_transcript(transcript: Transcript) -> str:
    """A stable hash of a transcript object (for inputs that are not files)."""
    blob = json.dumps(transcript.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def resolve_template(template: Template | str | Path | None) -> Template:
    return template if isinstance(template, Template) else load_template(template)


def resolve_detectors(detectors: list | dict | str | Path | None) -> list:
    """A list of detector objects: given as such, or built from a config dict / file."""
    from .detectors import build_detectors

    if isinstance(detectors, list):
        return detectors
    return build_detectors(detectors)


def make_transcriber(model: str = "base", agent_channel: str = "left"):
    """The speech recogniser, loaded once per process and reused for every recording."""
    from .transcribe import Transcriber

    return Transcriber(model=model, agent_channel=agent_channel)


def _emit(hook: Hook | None, step: str, artifact: Any) -> None:
    if hook is not None:
        hook(step, artifact, completed=STEPS.index(step) + 1, total=len(STEPS))


def transcribe_recording(path: str | Path, transcriber, call_id: str, meta: dict | None = None,
                         hook: Hook | None = None) -> tuple[Transcript, str, float | None]:
    """Load and transcribe one recording: (transcript, input sha256, audio seconds).

    ``transcriber`` may be a zero-argument function that returns one: the recording is
    checked first, so a broken file never costs a model load.
    """
    from .audio import load_audio

    audio = load_audio(path)
    _emit(hook, "ingest", audio)
    if not hasattr(transcriber, "transcribe"):
        transcriber = transcriber()
    transcript = transcriber.transcribe(audio, call_id, dict(meta or {}))
    _emit(hook, "transcribe", transcript)
    return transcript, audio.sha256, getattr(audio, "duration", None)


def read_single_transcript(path: Path) -> Transcript:
    """The one call of a transcript file (JSONL with one line, or Agent:/Customer: text)."""
    from .transcripts import read_jsonl, read_text

    if path.suffix.lower() == ".txt":
        return read_text(path)
    records = list(read_jsonl(path))
    for rec in records:
        if rec.error is not None:
            raise rec.error
    if len(records) != 1:
        raise InputError("INP004", f"{path}: holds {len(records)} calls; analyse takes one "
                                   "(use 'analyser run' for a batch)")
    return records[0].transcript


def finish_call(
    transcript: Transcript,
    detectors: list,
    template: Template,
    *,
    hook: Hook | None = None,
    provenance: dict[str, Any] | None = None,
    input_sha256: str | None = None,
    audio_seconds: float | None = None,
) -> CallResult:
    """Detect, redact and score a transcript that is already in hand."""
    from .detectors import run_detectors
    from .redact import redact_call  # lazy: redaction pulls in the card detector's helpers

    findings = run_detectors(transcript, detectors)
    _emit(hook, "detect", findings)
    transcript, findings = redact_call(transcript, findings)
    findings = list(findings)
    _emit(hook, "redact", transcript)
    prov = {"input_sha256": input_sha256, **(provenance or {})}
    card = score(transcript, findings, template, detectors=detectors, provenance=prov)
    _emit(hook, "score", card)
    return CallResult(transcript, tuple(findings), card, input_sha256, audio_seconds)


def analyse(
    source: str | Path | Transcript,
    *,
    transcriber=None,
    model: str = "base",
    agent_channel: str = "left",
    template: Template | str | Path | None = None,
    detectors: list | dict | str | Path | None = None,
    hook: Hook | None = None,
) -> CallResult:
    """Analyse one call: a recording, a transcript file, or a Transcript object.

    ``transcriber``: a ready speech recogniser to reuse (else one is built from ``model`` and
    ``agent_channel`` when the source is a recording). ``template``: a Template or a YAML
    path (default template when None). ``detectors``: detector objects, a config dict
    (``{"closing": {}}``) or a config file (the default configuration when None).
    Raises AnalyserError subclasses with a stable code naming the input and the problem.
    """
    template = resolve_template(template)
    dets = resolve_detectors(detectors)
    if isinstance(source, Transcript):
        _emit(hook, "ingest", source)
        _emit(hook, "transcribe", source)
        return finish_call(source, dets, template, hook=hook, input_sha256=sha256_transcript(source),
                           audio_seconds=None)
    path = Path(source)
    if not path.exists():
        raise InputError("INP001", f"{path}: no such file")
    if not path.is_file():
        raise InputError("INP002", f"{path}: not a file (analyse takes one call; use 'analyser run' for folders)")
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        from .transcripts import safe_call_id

        get = transcriber or (lambda: make_transcriber(model, agent_channel))
        transcript, sha, seconds = transcribe_recording(path, get, safe_call_id(path.stem), hook=hook)
        return finish_call(transcript, dets, template, hook=hook, input_sha256=sha, audio_seconds=seconds)
    if suffix in TRANSCRIPT_EXTENSIONS:
        sha = sha256_file(path)
        transcript = read_single_transcript(path)
        _emit(hook, "ingest", transcript)
        _emit(hook, "transcribe", transcript)
        return finish_call(transcript, dets, template, hook=hook, input_sha256=sha)
    raise InputError("INP002", f"{path}: unsupported file type {suffix or '(none)'!r} "
                               f"(expected {', '.join(sorted(AUDIO_EXTENSIONS | TRANSCRIPT_EXTENSIONS))})")


def evaluate_recordings(path: str | Path, detectors: list, *, model: str = "base", agent_channel: str = "left",
                        transcriber=None):
    """Call-level accuracy from the recordings that calls of a labelled file name.

    Each recording is transcribed by the pipeline and run through the detectors; its
    predicted labels are scored against the call's gold labels. Turn level is not scored:
    ASR turns do not line up with the labelled turns. Returns an ``EvalReport``.
    """
    from .detectors import run_detectors
    from .evaluate import EvalReport, gold_call_label
    from .transcripts import read_jsonl
    from .types import LABELS

    report = EvalReport()
    loaded = [transcriber]

    def get():  # the model is loaded on the first good recording, then kept
        if loaded[0] is None:
            loaded[0] = make_transcriber(model, agent_channel)
        return loaded[0]

    for rec in read_jsonl(path):
        if rec.transcript is None or not rec.audio:
            continue  # malformed lines are reported by the transcript evaluation
        try:
            if not Path(rec.audio).is_file():
                raise InputError("INP001", f"{rec.source}: recording {rec.audio} not found")
            asr, _, _ = transcribe_recording(rec.audio, get, rec.transcript.call_id, rec.transcript.meta)
        except AnalyserError as err:
            report.errors.append({"input": rec.source, **err.to_dict()})
            continue
        predicted = {f.label for f in run_detectors(asr, detectors) if f.present}
        report.calls += 1
        for lab in LABELS:
            report.call[lab].add(lab in predicted, gold_call_label(rec.transcript, lab))
    return report


__all__ = ["AUDIO_EXTENSIONS", "TRANSCRIPT_EXTENSIONS", "CallResult", "analyse", "evaluate_recordings",
           "finish_call", "make_transcriber", "resolve_detectors", "resolve_template", "sha256_file",
           "transcribe_recording"]
