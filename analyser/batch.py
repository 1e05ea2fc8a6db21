"""Batches: find the calls in files and folders, run each through the pipeline, record all.

For every call ``DIR/<call-id>/`` gets transcript.json, findings.json and scorecard.json,
then result.json LAST: it holds the call's key (sha256 of the input and of the settings) and
marks the call done. Every file is written to a temporary name in the same folder, synced
and renamed, so a run killed midway leaves no half-written file; the next run with the same
inputs and settings skips what is done and finishes the rest.

``DIR/manifest.jsonl`` has one line per call read and one per input that yielded none:
input, call_id, status (ok / failed / skipped), error ({code, message} or null). Lines are
appended to a temporary file with fsync and the file is renamed into place when the batch
ends, so the manifest is never half-written either.

Recordings are transcribed by an engine (analyser.engines): by default every core of this
machine with one model loaded, or the workers of a Ray cluster (``engine="ray"``). Results are
taken back in input order, so outputs and manifest are the same whichever engine ran them.
Logs carry ids and numbers only, never call text.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

from . import __version__
from .engines import batch_progress, open_engine
from .errors import AnalyserError, InputError
from .pipeline import (AUDIO_EXTENSIONS, CallResult, finish_call, resolve_detectors, resolve_template,
                       sha256_file)
from .scorecard import Template
from .transcripts import read_jsonl, read_text, safe_call_id
from .types import Transcript

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
DONE_MARKER = "result.json"
TMP_SUFFIX = ".tmp"


# -- atomic files ----------------------------------------------------------------------
def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that it is either the old file or the whole new one, never half."""
    tmp = path.parent / f".{path.name}.{os.getpid()}{TMP_SUFFIX}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_tmp(out: Path) -> int:
    """Delete temporary files left by a run that was killed (we hold the folder's lock)."""
    count = 0
    for pattern in (f".*{TMP_SUFFIX}", f"*/.*{TMP_SUFFIX}"):
        for tmp in out.glob(pattern):
            if tmp.is_file():
                tmp.unlink()
                count += 1
    return count


class ManifestWriter:
    """Appends manifest lines (synced) to a temporary file; ``close`` renames it into place."""

    def __init__(self, out: Path):
        self.path = out / MANIFEST
        self.tmp = out / f".{MANIFEST}.{os.getpid()}{TMP_SUFFIX}"
        self._fh = open(self.tmp, "w", encoding="utf-8")

    def write(self, entry: dict[str, Any]) -> None:
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()
        os.replace(self.tmp, self.path)
        _fsync_dir(self.path.parent)


# -- discovery -------------------------------------------------------------------------
@dataclass
class Job:
    """One call to run, or an input that yielded no call (``entry`` says why)."""

    input: str
    kind: str  # audio | jsonl | text | none
    path: Path | None = None
    call_id: str | None = None
    transcript: Transcript | None = None
    input_sha256: str | None = None
    entry: dict[str, Any] | None = None  # a ready manifest line: the input failed or was skipped


def _entry(input: str, status: str, call_id: str | None = None, error: AnalyserError | None = None,
           **extra: Any) -> dict[str, Any]:
    from .redact import mask_text  # an error may quote the input: card and bank numbers never pass

    return {"input": input, "call_id": call_id, "status": status,
            "error": {"code": error.code, "message": mask_text(error.message)} if error else None, **extra}


def _files(root: Path, exclude: Path | None) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue  # hidden files and folders (.git, .DS_Store) are not inputs
        if exclude is not None and (p == exclude or exclude in p.parents):
            continue  # never read our own outputs back as inputs
        if p.is_file():
            yield p


def _jsonl_line_hashes(path: Path) -> dict[int, str]:
    """sha256 of each line's content, so editing one call re-runs that call only."""
    out: dict[int, str] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            out[lineno] = hashlib.sha256(line.rstrip("\r\n").encode("utf-8")).hexdigest()
    return out


def _jobs_of_file(path: Path) -> Iterator[Job]:
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        yield Job(str(path), "audio", path, safe_call_id(path.stem))
    elif suffix == ".jsonl":
        try:
            hashes = _jsonl_line_hashes(path)
            records = list(read_jsonl(path))
        except (AnalyserError, OSError) as exc:
            err = exc if isinstance(exc, AnalyserError) else InputError("INP006", f"{path}: cannot read: {exc}")
            yield Job(str(path), "none", path, entry=_entry(str(path), "failed", error=err))
            return
        if not records:
            err = InputError("INP003", f"{path}: no calls in the file")
            yield Job(str(path), "none", path, entry=_entry(str(path), "failed", error=err))
        for rec in records:
            if rec.transcript is None:
                yield Job(rec.source, "none", path, entry=_entry(rec.source, "failed", error=rec.error))
                continue
            line = rec.transcript.source.get("line")
            tr = rec.transcript
            if rec.audio:  # remember the recording the call names (see _drop_labels_of_recordings)
                tr = replace(tr, source={**tr.source, "audio": rec.audio})
            yield Job(rec.source, "jsonl", path, tr.call_id, tr, hashes.get(line))
    elif suffix == ".txt":
        try:
            tr = read_text(path)
        except AnalyserError as err:
            yield Job(str(path), "none", path, entry=_entry(str(path), "failed", error=err))
            return
        yield Job(str(path), "text", path, tr.call_id, tr, sha256_file(path))
    else:
        err = InputError("INP002", f"{path}: unsupported file type {suffix or '(none)'!r}; "
                                   "expected a recording (wav, mp3, flac, ogg, m4a) or a transcript (jsonl, txt)")
        yield Job(str(path), "none", path, entry=_entry(str(path), "skipped", error=err, reason="unsupported file type"))


def discover(paths: list[str | Path], exclude: Path | None = None) -> list[Job]:
    """Every call in the given files and folders (recursive), in a stable order.

    A missing path, an unsupported file, a malformed transcript line: each becomes a Job
    with a ready manifest entry, so the batch goes on and the manifest records it.
    """
    jobs: list[Job] = []
    seen_files: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            err = InputError("INP001", f"{p}: no such file or folder")
            jobs.append(Job(str(p), "none", entry=_entry(str(p), "failed", error=err)))
            continue
        files = list(_files(p, exclude)) if p.is_dir() else [p]
        for f in files:
            key = f.resolve()
            if key in seen_files:
                continue  # named twice (a folder and a file in it): read once
            seen_files.add(key)
            jobs.extend(_jobs_of_file(f))
    return _drop_labels_of_recordings(jobs)


def _drop_labels_of_recordings(jobs: list[Job]) -> list[Job]:
    """A JSONL call that names a recording which is itself in the batch is that recording's
    labelled transcript (as in samples/): the recording is the call, the line is skipped."""
    recordings = {j.path.resolve(): j for j in jobs if j.kind == "audio"}
    for job in jobs:
        audio = job.transcript.source.get("audio") if job.kind == "jsonl" else None
        rec = recordings.get(Path(audio).resolve()) if audio else None
        if rec is not None:
            job.entry = _entry(job.input, "skipped", job.call_id, None,
                               reason=f"labelled transcript of {rec.input}, which is analysed from the recording")
    return jobs


def _same_call(a: Job, b: Job) -> bool:
    """Two inputs hold the same call when both are typed and their turns read the same."""
    if a.transcript is None or b.transcript is None:
        return False
    turns = lambda j: [(t.speaker, t.text) for t in j.transcript.turns]  # noqa: E731
    return turns(a) == turns(b)


# -- settings and keys -----------------------------------------------------------------
def settings_of(kind: str, *, template: Template, detectors: list, model: str, agent_channel: str,
                device: str = "cpu") -> dict[str, Any]:
    """What a call's result depends on besides its input. Typed transcripts do not depend
    on the speech model, so changing ``--model`` re-runs recordings only."""
    settings: dict[str, Any] = {
        "analyser": __version__,
        "template": {"id": template.id, "version": template.version, "sha256": template.sha256},
        "detectors": [{"name": d.name, "version": d.version, "config": d.config} for d in detectors],
    }
    if kind == "audio":
        settings["asr"] = {"model": str(model), "agent_channel": agent_channel, "decoder": "batched"}
        if device != "cpu":  # a GPU decodes in float16: its words may differ slightly
            settings["asr"]["device"] = device
    return settings


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def call_key(input_sha256: str, settings: dict[str, Any]) -> str:
    return _sha({"input": input_sha256, "settings": _sha(settings)})


def read_done(call_dir: Path) -> dict[str, Any] | None:
    """The done-marker of a call folder, or None when the call was never finished."""
    try:
        return json.loads((call_dir / DONE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_call(call_dir: Path, result: CallResult, done: dict[str, Any]) -> None:
    call_dir.mkdir(parents=True, exist_ok=True)
    (call_dir / DONE_MARKER).unlink(missing_ok=True)  # not done until every file is rewritten
    write_json(call_dir / "transcript.json", result.transcript.to_dict())
    write_json(call_dir / "findings.json", [f.to_dict() for f in result.findings])
    write_json(call_dir / "scorecard.json", result.scorecard.to_dict())
    write_json(call_dir / DONE_MARKER, done)
    _fsync_dir(call_dir)


# -- the batch -------------------------------------------------------------------------
@dataclass
class BatchSummary:
    entries: list[dict[str, Any]] = field(default_factory=list)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e["status"] == status)

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Entries that carry a scorecard: done now or done before."""
        return [e for e in self.entries if e.get("score") is not None]

    @property
    def risk_calls(self) -> int:
        return sum(1 for e in self.calls if e.get("risks"))

    @property
    def mean_percent(self) -> float | None:
        vals = [100.0 * e["score"] / e["maximum"] for e in self.calls if e.get("maximum")]
        return sum(vals) / len(vals) if vals else None

    @property
    def exit_code(self) -> int:
        """0 all done, 1 all done and compliance risks found, 2 an input failed or no calls."""
        if self.count("failed") or not self.calls:
            return 2
        return 1 if self.risk_calls else 0


def format_summary(s: BatchSummary) -> str:
    mean = f"{s.mean_percent:.1f}%" if s.mean_percent is not None else "-"
    rows = [
        ("calls ok", str(s.count("ok"))),
        ("calls failed", str(s.count("failed"))),
        ("skipped", str(s.count("skipped"))),
        ("calls with compliance risks", str(s.risk_calls)),
        ("mean score", mean),
        ("audio transcribed", f"{s.audio_seconds:.1f} s"),
        ("wall time", f"{s.wall_seconds:.1f} s"),
        ("audio s per wall s", f"{s.audio_seconds / s.wall_seconds:.2f}" if s.wall_seconds > 0 else "-"),
    ]
    width = max(len(k) for k, _ in rows)
    line = "-" * (width + 12)
    return "\n".join([line] + [f"{k:<{width}}  {v:>9}" for k, v in rows] + [line])


class _Lock:
    """One run at a time per output folder: two writers would race on the same files."""

    def __init__(self, out: Path):
        self._fh = open(out / ".lock", "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._fh.close()
            raise AnalyserError("USE002", f"{out}: another analyser run is writing to this folder") from exc

    def release(self) -> None:
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


def run_batch(
    paths: list[str | Path],
    out: str | Path,
    *,
    model: str = "base",
    agent_channel: str = "left",
    template: Template | str | Path | None = None,
    detectors: list | dict | str | Path | None = None,
    progress: bool = False,
    echo: Callable[[str], None] | None = None,
    transcriber=None,
    engine: str = "local",
    address: str | None = None,
    device: str = "cpu",
    workers: int | None = None,
    db: str | Path | None = None,
) -> BatchSummary:
    """Analyse every call found in ``paths``; write results and the manifest under ``out``.

    The template and detectors are loaded (and validated) before any call is touched: a
    broken template raises TemplateError at once; so does a database (``db``: a SQLite path or
    a URL) that cannot be opened. Each failed input is reported through
    ``echo`` as one line ("[CODE] input: problem") and recorded in the manifest.
    """
    started = time.monotonic()
    template = resolve_template(template)
    dets = resolve_detectors(detectors)
    store = _open_store(db)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = _Lock(out)
    runner = None
    try:
        stale = remove_stale_tmp(out)
        if stale:
            log.info("removed %d temporary files left by an interrupted run", stale)
        jobs = discover(paths, exclude=out.resolve())
        summary = BatchSummary()
        runner = _Runner(out, template, dets, model, agent_channel, transcriber)
        # Recordings go to the engine up front, so it can keep every core busy; results are
        # taken back in this order, so outputs and manifest do not depend on the engine.
        runner.device = device
        runner.engine = open_engine(engine, model=model, agent_channel=agent_channel, device=device,
                                    workers=workers, address=address, transcriber=transcriber)
        audio_jobs = runner.plan(jobs)
        runner.store = store
        manifest = ManifestWriter(out)
        bar = batch_progress(sum(1 for j in jobs if j.entry is None), audio_jobs, progress)
        say = echo or (bar.write if bar is not None else (lambda msg: print(msg, file=sys.stderr)))
        used_ids: dict[str, Job] = {}
        for job in jobs:
            entry = job.entry
            if entry is None:
                first = used_ids.get(job.call_id)
                if first is not None and _same_call(first, job):
                    entry = _entry(job.input, "skipped", job.call_id, None, reason=f"the same call as {first.input}")
                elif first is not None:
                    err = InputError("INP005", f"{job.input}: call id {job.call_id!r} is already used by {first.input}")
                    entry = _entry(job.input, "failed", job.call_id, err)
                else:
                    used_ids[job.call_id] = job
                    entry = runner.run(job)
                    seconds = entry.pop("_audio_seconds", 0.0) or 0.0
                    summary.audio_seconds += seconds
                if bar is not None:
                    bar.update(1, audio_s=seconds if entry["status"] == "ok" else None, job=job)
            if entry["status"] == "failed" and entry["error"]:
                say(f"error: [{entry['error']['code']}] {entry['error']['message']}")
            manifest.write(entry)
            summary.entries.append(entry)
        if bar is not None:
            bar.close()
        manifest.close()
        summary.wall_seconds = time.monotonic() - started
        log.info("batch done: %d ok, %d failed, %d skipped in %.1f s", summary.count("ok"),
                 summary.count("failed"), summary.count("skipped"), summary.wall_seconds)
        return summary
    finally:
        lock.release()
        if runner is not None and runner.engine is not None:
            runner.engine.close()
        if store is not None:
            store.close()


def _open_store(db: str | Path | None):
    if db is None:
        return None
    from .store import open_store

    return open_store(db)


class _Runner:
    """Runs one call at a time; the speech model is built on the first recording and kept."""

    store = None  # the database each finished call is also written to (``--db``), if any
    engine = None  # where recordings are transcribed (analyser.engines)
    device = "cpu"

    def __init__(self, out: Path, template: Template, detectors: list, model: str, agent_channel: str, transcriber):
        self.out, self.template, self.detectors = out, template, detectors
        self.model, self.agent_channel = model, agent_channel
        self.submitted: set[str] = set()

    def plan(self, jobs: list[Job]) -> list[Job]:
        """Hand the engine every recording this batch will transcribe; those jobs, in order.

        The same choices as the batch loop: the first input with a call id runs, later ones
        do not, and a recording done before with the same input and settings is skipped.
        """
        claimed: set[str] = set()
        todo = []
        for job in jobs:
            if job.entry is not None or job.call_id in claimed:
                continue
            claimed.add(job.call_id)
            if job.kind != "audio":
                continue
            try:
                job.input_sha256 = sha256_file(job.path)
            except OSError:
                continue  # recorded when the batch reaches it
            settings = settings_of("audio", template=self.template, detectors=self.detectors,
                                   model=self.model, agent_channel=self.agent_channel, device=self.device)
            done = read_done(self.out / job.call_id)
            if done is not None and done.get("key") == call_key(job.input_sha256, settings):
                continue
            self.submitted.add(job.input)
            self.engine.submit(job.input, job.path, job.call_id)
            todo.append(job)
        return todo

    def run(self, job: Job) -> dict[str, Any]:
        t0 = time.monotonic()
        try:
            if job.input_sha256 is None:  # recordings: hash the bytes before deciding to skip
                job.input_sha256 = sha256_file(job.path)
            settings = settings_of(job.kind, template=self.template, detectors=self.detectors,
                                   model=self.model, agent_channel=self.agent_channel, device=self.device)
            key = call_key(job.input_sha256, settings)
            call_dir = self.out / job.call_id
            done = read_done(call_dir)
            if done is not None and done.get("key") == key:
                log.info("call %s: already done, skipped", job.call_id)
                return _entry(job.input, "skipped", job.call_id, None, reason="already done with the same input and settings",
                              **{k: done.get(k) for k in ("key", "score", "maximum", "passed", "risks")},
                              **self._to_store(job, call_dir))
            result = self._analyse(job)
            card = result.scorecard
            record = {
                "key": key, "input": job.input, "call_id": job.call_id, "input_sha256": job.input_sha256,
                "settings_sha256": _sha(settings), "score": card.score, "maximum": card.maximum,
                "passed": card.passed, "risks": list(card.risks), "audio_seconds": result.audio_seconds,
                "analyser_version": __version__,
            }
            write_call(call_dir, result, record)
            stored = self._to_store(job, call_dir)
            log.info("call %s: ok in %.2f s, score %.1f/%.1f, %d risks", job.call_id, time.monotonic() - t0,
                     card.score, card.maximum, len(card.risks))
            return _entry(job.input, "ok", job.call_id, None, key=key, score=card.score, maximum=card.maximum,
                          passed=card.passed, risks=list(card.risks), _audio_seconds=result.audio_seconds, **stored)
        except AnalyserError as err:
            log.info("call %s: failed with %s", job.call_id, err.code)
            return _entry(job.input, "failed", job.call_id, err)
        except OSError as exc:
            err = InputError("INP006", f"{job.input}: cannot read or write: {exc.strerror or exc}")
            return _entry(job.input, "failed", job.call_id, err)
        except Exception as exc:  # a bug in one call must not stop the batch; the type names it
            log.error("call %s: internal error %s", job.call_id, type(exc).__name__)
            log.debug("call %s: traceback", job.call_id, exc_info=True)
            err = AnalyserError("INT001", f"{job.input}: internal error ({type(exc).__name__}); see the log")
            return _entry(job.input, "failed", job.call_id, err)

    def _to_store(self, job: Job, call_dir: Path) -> dict[str, str]:
        """Write the finished call folder to the database: {"db": stored / replaced / unchanged / kept}."""
        if self.store is None:
            return {}
        audio = job.path if job.kind == "audio" else (job.transcript.source.get("audio") if job.transcript else None)
        return {"db": self.store.save_call_dir(call_dir, template=self.template, detectors=self.detectors,
                                               input=job.input, audio=audio)}

    def _analyse(self, job: Job) -> CallResult:
        if job.kind == "audio":
            if job.input not in self.submitted:
                self.submitted.add(job.input)
                self.engine.submit(job.input, job.path, job.call_id)
            transcript, sha, seconds = self.engine.result(job.input)
            return finish_call(transcript, self.detectors, self.template, input_sha256=sha, audio_seconds=seconds)
        return finish_call(job.transcript, self.detectors, self.template, input_sha256=job.input_sha256)


__all__ = ["BatchSummary", "Job", "discover", "format_summary", "run_batch", "write_atomic"]
