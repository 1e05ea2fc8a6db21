"""The detector registry.

``analyser/config/detectors.yaml`` names the detector modules to run. Each module in this
package holds one :class:`Detector` subclass whose ``name`` equals the module's name.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..types import Finding, Transcript
from .base import Detector

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "detectors.yaml"


def detector_class(name: str) -> type[Detector]:
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        raise ConfigError("CFG010", f"no detector module named {name!r} ({exc})") from exc
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Detector) and value.name == name:
            return value
    raise ConfigError("CFG011", f"module analyser.detectors.{name} has no Detector named {name!r}")


def load_config(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("CFG012", f"{path}: cannot read detector configuration: {exc}") from exc
    detectors = data.get("detectors")
    if not isinstance(detectors, dict) or not detectors:
        raise ConfigError("CFG013", f"{path}: expected a 'detectors' mapping")
    out: dict[str, dict[str, Any]] = {}
    for name, settings in detectors.items():
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise ConfigError("CFG014", f"{path}: detector {name!r}: settings must be a mapping")
        out[str(name)] = dict(settings)
    return out


def load_model_labels(path: str | Path, key: str = "model_labels") -> list[str] | None:
    """The `model_labels` of a configuration file: the labels the sentence encoder may decide
    (absent: all labels it knows); with ``key="text_labels"``, the labels the bag-of-words
    reader decides (absent: none). The rest run on patterns alone."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("CFG012", f"{path}: cannot read detector configuration: {exc}") from exc
    labels = data.get(key)
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ConfigError("CFG015", f"{path}: '{key}' must be a list of label names")
    return labels


def build_detectors(config: str | Path | dict | None = None) -> list[Detector]:
    """Instantiate every enabled detector, in configuration order.

    From a file, its `model_labels` and `text_labels` also set which labels the learned
    readers decide."""
    if isinstance(config, dict):
        settings = config
    else:
        from .. import classifier

        settings = load_config(config)
        path = Path(config) if config else DEFAULT_CONFIG
        classifier.use_model_labels(load_model_labels(path))
        classifier.use_text_labels(load_model_labels(path, "text_labels") or ())
    detectors = []
    for name, opts in settings.items():
        opts = dict(opts)
        if not opts.pop("enabled", True):
            continue
        detectors.append(detector_class(name)(opts))
    return detectors


def run_detectors(transcript: Transcript, detectors: list[Detector]) -> list[Finding]:
    findings: list[Finding] = []
    for det in detectors:
        findings.extend(det.detect(transcript))
    findings.sort(key=lambda f: (f.turn if f.turn is not None else -1, f.code, f.char_start))
    return findings


__all__ = ["Detector", "build_detectors", "detector_class", "load_config", "load_model_labels", "run_detectors"]
