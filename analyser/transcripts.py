"""Reading typed transcripts: the labelled JSONL format and plain ``Agent:`` text.

JSONL (see docs/FORMAT.md): one call per line, ``{"id", "meta", "audio"?, "turns": [...],
"labels"?}``. A bad line is reported with its file and line number and does not stop the
others. Plain text: one turn per line, each starting ``Agent:`` or ``Customer:``; a line
without a speaker continues the previous turn.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .errors import TranscriptError
from .types import LABELS, SPEAKERS, Transcript, Turn

_KNOWN_LABELS = frozenset(LABELS)


@dataclass(frozen=True)
class TranscriptRecord:
    """One call read from a transcript file, or the error that stopped it."""

    source: str  # "path" or "path:line"
    transcript: Transcript | None
    error: TranscriptError | None = None
    audio: str | None = None  # recording named by the call (absolute path), if any


def _num(value: Any, where: str, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TranscriptError("TRN005", f"{where}: '{name}' must be a number of seconds, got {value!r}")
    if value < 0:
        raise TranscriptError("TRN005", f"{where}: '{name}' must not be negative, got {value}")
    return float(value)


def safe_call_id(name: str) -> str:
    """A call id made from a file name: unsafe characters become '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "call"
    return cleaned[:128]


def transcript_from_record(data: Any, where: str, default_id: str, source: dict[str, Any]) -> Transcript:
    """Validate one call in the FORMAT.md shape and build a Transcript."""
    if not isinstance(data, dict):
        raise TranscriptError("TRN001", f"{where}: expected a JSON object for a call")
    turns_data = data.get("turns")
    if not isinstance(turns_data, list) or not turns_data:
        raise TranscriptError("TRN004", f"{where}: the call has no 'turns' list")
    call_id = data.get("id") or safe_call_id(default_id)
    if not isinstance(call_id, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", call_id):
        raise TranscriptError(
            "TRN006", f"{where}: call id {call_id!r} must be letters, digits, '.', '_' or '-'"
        )
    turns: list[Turn] = []
    for i, t in enumerate(turns_data):
        tw = f"{where}: turn {i}"
        if not isinstance(t, dict):
            raise TranscriptError("TRN001", f"{tw}: expected an object")
        speaker = t.get("speaker")
        if speaker not in SPEAKERS:
            raise TranscriptError("TRN002", f"{tw}: unknown speaker {speaker!r} (expected agent or customer)")
        text = t.get("text")
        if not isinstance(text, str):
            raise TranscriptError("TRN007", f"{tw}: 'text' must be a string")
        labels = t.get("labels") or []
        if not isinstance(labels, list):
            raise TranscriptError("TRN003", f"{tw}: 'labels' must be a list")
        unknown = [lab for lab in labels if lab not in _KNOWN_LABELS]
        if unknown:
            raise TranscriptError("TRN003", f"{tw}: unknown label {unknown[0]!r}")
        start, end = _num(t.get("start"), tw, "start"), _num(t.get("end"), tw, "end")
        if start is not None and end is not None and end < start:
            raise TranscriptError("TRN005", f"{tw}: ends ({end}) before it starts ({start})")
        turns.append(Turn(index=i, speaker=speaker, text=text, start=start, end=end, labels=tuple(labels)))
    call_labels = data.get("labels") or {}
    if not isinstance(call_labels, dict):
        raise TranscriptError("TRN003", f"{where}: call 'labels' must map label to true/false")
    for lab, val in call_labels.items():
        if lab not in _KNOWN_LABELS:
            raise TranscriptError("TRN003", f"{where}: unknown label {lab!r}")
        if not isinstance(val, bool):
            raise TranscriptError("TRN003", f"{where}: label {lab!r} must be true or false")
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise TranscriptError("TRN008", f"{where}: 'meta' must be an object")
    ends = [t.end for t in turns if t.end is not None]
    return Transcript(
        call_id=call_id,
        turns=tuple(turns),
        duration=max(ends) if ends else None,
        meta=meta,
        source=source,
        labels=dict(call_labels),
    )


def read_jsonl(path: str | Path) -> Iterator[TranscriptRecord]:
    """Every call of a JSONL file; a malformed line yields a record with its error."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise TranscriptError("TRN010", f"{path}: cannot open: {exc.strerror or exc}") from exc
    with handle:
        try:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield TranscriptRecord(where, None, TranscriptError("TRN001", f"{where}: not valid JSON ({exc.msg})"))
                    continue
                try:
                    default_id = f"{path.stem}-{lineno}"
                    source = {"kind": "transcript", "format": "jsonl", "path": str(path), "line": lineno}
                    tr = transcript_from_record(data, where, default_id, source)
                except TranscriptError as err:
                    yield TranscriptRecord(where, None, err)
                    continue
                audio = data.get("audio")
                audio_path = str((path.parent / audio).resolve()) if isinstance(audio, str) and audio else None
                yield TranscriptRecord(where, tr, None, audio_path)
        except UnicodeDecodeError as exc:
            yield TranscriptRecord(str(path), None, TranscriptError("TRN009", f"{path}: not UTF-8 text ({exc.reason})"))


_SPEAKER_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,30}?)\s*:\s*(.*)$")


def read_text(path: str | Path) -> Transcript:
    """A plain-text transcript: ``Agent: ...`` / ``Customer: ...`` lines."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TranscriptError("TRN009", f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise TranscriptError("TRN010", f"{path}: cannot open: {exc.strerror or exc}") from exc
    turns: list[dict[str, Any]] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        m = _SPEAKER_LINE.match(line)
        if m and m.group(1).strip().lower() in SPEAKERS:
            turns.append({"speaker": m.group(1).strip().lower(), "text": m.group(2).strip()})
        elif m and not turns:
            raise TranscriptError(
                "TRN002", f"{path}:{lineno}: unknown speaker {m.group(1).strip()!r} (expected Agent or Customer)"
            )
        elif turns:
            turns[-1]["text"] = (turns[-1]["text"] + " " + line.strip()).strip()
        else:
            raise TranscriptError("TRN011", f"{path}:{lineno}: the first line must start with 'Agent:' or 'Customer:'")
    if not turns:
        raise TranscriptError("TRN004", f"{path}: no 'Agent:' or 'Customer:' lines found")
    source = {"kind": "transcript", "format": "text", "path": str(path)}
    return transcript_from_record({"turns": turns}, str(path), path.stem, source)
