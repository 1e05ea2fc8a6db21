"""Model weights: found in their pinned packages on disk, checked before anything loads them.

No run ever reaches a model hub. The weights ship inside packages on the Python package
index (models/manifest.yaml lists them); those are third-party uploads, so every load checks
the weights' sha256 against the manifest and refuses a file that changed. A file is hashed
once per process (keyed by path, size and modification time), so the check costs about a
second per worker, not per call.

Whisper ``base`` ships in two halves; they are joined once into a cache folder
(``~/.cache/call-analyser``, or ``$ANALYSER_CACHE``), written atomically so a crash or a
second worker never sees half a file.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ModelError

log = logging.getLogger(__name__)

MANIFEST_ENV = "ANALYSER_MODEL_MANIFEST"
CACHE_ENV = "ANALYSER_CACHE"
# Short names a user types -> manifest entries.
WHISPER_NAMES = {"base": "whisper-base", "tiny.en": "whisper-tiny.en"}
# A user-supplied model folder declares its weights' hash in this file (sha256sum format).
LOCAL_CHECKSUM_FILE = "model.bin.sha256"
_WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")
_CHUNK = 4 << 20

_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class LocalModel:
    """A model folder ready to load, with the hash its weights were checked against."""

    name: str  # "base", "tiny.en" or the folder given
    path: Path
    sha256: str
    manifest_key: str | None  # None for a user's own folder outside the manifest
    package: str | None  # "pip-name==version" the weights came from


def offline() -> None:
    """Make sure Hugging Face libraries never try the network from this process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def manifest_path() -> Path:
    override = os.environ.get(MANIFEST_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "models" / "manifest.yaml"


@functools.lru_cache(maxsize=4)
def _read_manifest(path: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError("MOD005", f"{path}: cannot read the model manifest ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise ModelError("MOD005", f"{path}: the model manifest has no 'models' mapping")
    return data


def manifest_entry(key: str) -> dict[str, Any]:
    path = manifest_path()
    models = _read_manifest(str(path))["models"]
    if key not in models:
        raise ModelError("MOD005", f"{path}: no entry {key!r} (entries: {', '.join(models)})")
    return models[key]


def sha256_of(path: Path) -> str:
    """The file's sha256, computed at most once per process for an unchanged file."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        if key in _verified:
            return _verified[key]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _verified[key] = value
    return value


def _remember(path: Path, value: str) -> None:
    st = path.stat()
    with _lock:
        _verified[(str(path.resolve()), st.st_size, st.st_mtime_ns)] = value


def check_file(path: Path, expected: str, what: str) -> str:
    """Refuse a weights or side file whose hash is not the one the manifest pins."""
    if not path.is_file():
        raise ModelError("MOD003", f"{path}: missing file of {what}")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelError(
            "MOD002",
            f"{path}: sha256 mismatch for {what}: expected {expected}, got {actual}; "
            "the file changed since the manifest was written, reinstall the pinned package",
        )
    return actual


def trained_file(key: str, folder: Path, what: str) -> Path:
    """A model ``analyser train`` writes into models/: its manifest entry's file, refused when
    missing (MOD003) or when its sha256 is not the one the manifest pins (MOD002)."""
    entry = manifest_entry(key)
    path = folder / entry["file"]
    if not path.is_file():
        raise ModelError("MOD003", f"{path}: the {what} file is missing; rebuild it with `analyser train`")
    check_file(path, entry["sha256"], f"{what} (rebuild with `analyser train`)")
    return path


def package_dir(pkg: dict[str, Any]) -> Path:
    """Where a model package's files are installed (found without importing it)."""
    pin = f"{pkg['name']}=={pkg['version']}"
    spec = importlib.util.find_spec(pkg["import"])
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("MOD001", f"model package {pkg['name']} is not installed: pip install {pin}")
    try:
        installed = importlib.metadata.version(pkg["name"])
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != str(pkg["version"]):
        # The hash check below is what decides; a different version only earns a warning.
        log.warning("model package %s is version %s, manifest pins %s", pkg["name"], installed, pkg["version"])
    return Path(list(spec.submodule_search_locations)[0]) / pkg.get("folder", "")


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "call-analyser")


def _atomic_copy(src: Path, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, _CHUNK)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def join_parts(parts: list[tuple[Path, str]], dest: Path, expected: str, what: str) -> str:
    """Join weight halves in order into `dest`, checking each part and the whole on the way.

    Written to a temporary file beside `dest` and renamed only once the whole hash matches,
    so a bad part or a crash never leaves a file that looks finished.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    whole = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for part, part_sha in parts:
                piece = hashlib.sha256()
                with open(part, "rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        piece.update(chunk)
                        whole.update(chunk)
                        out.write(chunk)
                if piece.hexdigest() != part_sha:
                    raise ModelError(
                        "MOD002",
                        f"{part}: sha256 mismatch for part of {what}: expected {part_sha}, "
                        f"got {piece.hexdigest()}; reinstall the pinned package",
                    )
            out.flush()
            os.fsync(out.fileno())
        if whole.hexdigest() != expected:
            raise ModelError(
                "MOD002",
                f"{dest}: sha256 mismatch for joined {what}: expected {expected}, got {whole.hexdigest()}",
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _remember(dest, expected)
    return expected


def _pin(entry: dict[str, Any]) -> str:
    return " + ".join(f"{p['name']}=={p['version']}" for p in entry["packages"])


def _packaged_whisper(short: str, key: str) -> LocalModel:
    entry = manifest_entry(key)
    what = f"whisper {short} ({_pin(entry)})"
    if not entry.get("parts"):
        folder = package_dir(entry["packages"][0])
        sha = check_file(folder / entry["file"], entry["sha256"], what)
        for side, side_sha in entry.get("side_files", {}).items():
            check_file(folder / side, side_sha, what)
        return LocalModel(short, folder, sha, key, _pin(entry))

    dirs = {p["name"]: package_dir(p) for p in entry["packages"]}
    first = dirs[entry["packages"][0]["name"]]
    dest_dir = cache_root() / f"{key}-{entry['sha256'][:12]}"
    dest = dest_dir / entry["file"]
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        if not (dest.is_file() and sha256_of(dest) == entry["sha256"]):
            if dest.exists():
                log.warning("cached %s does not match the manifest; joining it again", dest)
            parts = [(dirs[p["package"]] / p["file"], p["sha256"]) for p in entry["parts"]]
            for part, _ in parts:
                if not part.is_file():
                    raise ModelError("MOD001", f"{part}: part of {what} is missing: pip install {_pin(entry)}")
            join_parts(parts, dest, entry["sha256"], what)
        for side, side_sha in entry.get("side_files", {}).items():
            target = dest_dir / side
            if not (target.is_file() and sha256_of(target) == side_sha):
                check_file(first / side, side_sha, what)
                _atomic_copy(first / side, target)
    except OSError as exc:
        raise ModelError(
            "MOD007", f"{dest_dir}: cannot write the model cache ({exc}); set {CACHE_ENV} to a writable folder"
        ) from exc
    # The checks every load makes, whether the cache was just built or found.
    sha = check_file(dest, entry["sha256"], what)
    for side, side_sha in entry.get("side_files", {}).items():
        check_file(dest_dir / side, side_sha, what)
    return LocalModel(short, dest_dir, sha, key, _pin(entry))


def _local_whisper(folder: Path) -> LocalModel:
    if not folder.is_dir():
        raise ModelError("MOD003", f"{folder}: not a folder holding a Whisper model")
    missing = [f for f in _WHISPER_FILES if not (folder / f).is_file()]
    if not any((folder / v).is_file() for v in ("vocabulary.txt", "vocabulary.json")):
        missing.append("vocabulary.txt")
    if missing:
        # tokenizer.json too: without it faster-whisper would fetch one from the hub.
        raise ModelError(
            "MOD003", f"{folder}: not a CTranslate2 Whisper model folder, missing {', '.join(missing)}"
        )
    # A copy of a packaged model is recognised by its side files and held to that model's hash.
    config_sha = sha256_of(folder / "config.json")
    tokenizer_sha = sha256_of(folder / "tokenizer.json")
    for short, key in WHISPER_NAMES.items():
        entry = manifest_entry(key)
        sides = entry.get("side_files", {})
        if sides.get("config.json") == config_sha and sides.get("tokenizer.json") == tokenizer_sha:
            sha = check_file(folder / "model.bin", entry["sha256"], f"a copy of whisper {short}")
            return LocalModel(str(folder), folder, sha, key, _pin(entry))
    declared = folder / LOCAL_CHECKSUM_FILE
    if not declared.is_file():
        raise ModelError(
            "MOD006",
            f"{folder}: model.bin is not in the manifest and the folder has no {LOCAL_CHECKSUM_FILE}; "
            f"write one with `sha256sum model.bin > {LOCAL_CHECKSUM_FILE}` after checking the weights",
        )
    words = declared.read_text(encoding="utf-8").split()
    expected = words[0].lower() if words else ""
    sha = check_file(folder / "model.bin", expected, f"the model declared in {declared}")
    return LocalModel(str(folder), folder, sha, None, None)


def resolve_whisper(name: str = "base") -> LocalModel:
    """Find and check a Whisper model: "base", "tiny.en" or a local CTranslate2 folder."""
    offline()
    if name in WHISPER_NAMES:
        return _packaged_whisper(name, WHISPER_NAMES[name])
    folder = Path(name).expanduser()
    if folder.exists() or os.sep in name or name.startswith("."):
        return _local_whisper(folder)
    raise ModelError(
        "MOD004", f"{name!r}: unknown Whisper model; use {' or '.join(WHISPER_NAMES)} or a local model folder"
    )


def whisper_model_dir(name: str = "base") -> Path:
    """The folder to hand to faster-whisper's WhisperModel, its weights checked."""
    return resolve_whisper(name).path


def sentence_encoder_dir() -> Path:
    """The all-MiniLM-L6-v2 folder (sentence-transformers layout), its weights checked."""
    offline()
    entry = manifest_entry("minilm-l6-v2")
    folder = package_dir(entry["packages"][0])
    what = f"sentence encoder ({_pin(entry)})"
    check_file(folder / entry["file"], entry["sha256"], what)
    for side, side_sha in entry.get("side_files", {}).items():
        check_file(folder / side, side_sha, what)
    return folder


def spacy_pipeline_dir() -> Path:
    """The spaCy pipeline's data folder, its meta.json checked against the official release."""
    entry = manifest_entry("en-core-web-sm")
    folder = package_dir(entry["packages"][0])
    meta_path = folder / entry["file"]
    check_file(meta_path, entry["sha256"], f"spaCy pipeline ({_pin(entry)})")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for field, expected in entry.get("meta", {}).items():
        if str(meta.get(field)) != str(expected):
            raise ModelError("MOD002", f"{meta_path}: {field} is {meta.get(field)!r}, expected {expected!r}")
    return folder
