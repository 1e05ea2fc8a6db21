"""Phrase patterns as data, matched with spaCy.

A pattern file is YAML:

    patterns:
      - id: greet.time-of-day          # unique, stable: it is reported with every match
        code: OPEN.GREETING            # the finding code the pattern supports
        score: 0.95                    # optional prior: how often a match is right
        phrases: ["good morning", "good afternoon"]      # PhraseMatcher on lower case
      - id: greet.thanks-for-calling
        code: OPEN.GREETING
        tokens: [{LOWER: {IN: [thanks, thank]}}, {LOWER: you, OP: "?"}, {LOWER: for},
                 {LOWER: {IN: [calling, ringing, phoning]}}]                # spaCy Matcher

Each entry has exactly one of ``phrases`` (strings) or ``tokens`` (a spaCy Matcher
pattern, or a list of them under ``any``). Files are validated when loaded: a bad entry is
refused with the file and the pattern id.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..nlp import make_doc, tokenizer_nlp

PATTERN_DIR = Path(__file__).parent / "patterns"


@dataclass(frozen=True)
class PatternMatch:
    pattern_id: str
    code: str
    char_start: int
    char_end: int
    score: float
    token_start: int
    token_end: int


def rule_match(rx: "re.Pattern[str]", text: str, rule: str, code: str, score: float) -> list[PatternMatch]:
    """A context rule's hit in ``text`` as a pattern match (its id is the rule's name). The quote is
    the group named ``cue`` when the regex has one, else the whole match."""
    m = rx.search(text)
    if m is None:
        return []
    start, end = m.span("cue") if "cue" in rx.groupindex else m.span()
    return [PatternMatch(rule, code, start, end, score, 0, 0)]


class PatternSet:
    """All patterns of one YAML file, compiled into one Matcher and one PhraseMatcher."""

    def __init__(self, path: Path):
        from spacy.matcher import Matcher, PhraseMatcher

        self.path = Path(path)
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError("CFG001", f"{self.path}: cannot read pattern file: {exc}") from exc
        entries = data.get("patterns")
        if not isinstance(entries, list) or not entries:
            raise ConfigError("CFG002", f"{self.path}: expected a non-empty 'patterns' list")
        nlp = tokenizer_nlp()
        self._matcher = Matcher(nlp.vocab, validate=True)
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.meta: dict[str, tuple[str, float]] = {}
        for i, entry in enumerate(entries):
            pid = entry.get("id") if isinstance(entry, dict) else None
            where = f"{self.path}: pattern {pid or '#' + str(i + 1)}"
            if not pid or not isinstance(pid, str):
                raise ConfigError("CFG003", f"{where}: every pattern needs a string 'id'")
            if pid in self.meta:
                raise ConfigError("CFG004", f"{where}: duplicate id")
            code = entry.get("code")
            if not code or not isinstance(code, str):
                raise ConfigError("CFG005", f"{where}: needs a 'code'")
            score = float(entry.get("score", 0.9))
            if not 0.0 < score <= 1.0:
                raise ConfigError("CFG006", f"{where}: score must be in (0, 1], got {score}")
            has_phrases, has_tokens = "phrases" in entry, "tokens" in entry or "any" in entry
            if has_phrases == has_tokens:
                raise ConfigError("CFG007", f"{where}: give exactly one of 'phrases' or 'tokens'/'any'")
            self.meta[pid] = (code, score)
            try:
                if has_phrases:
                    phrases = entry["phrases"]
                    if isinstance(phrases, str):
                        phrases = [phrases]
                    self._phrases.add(pid, [make_doc(str(p)) for p in phrases])
                else:
                    token_patterns = entry["any"] if "any" in entry else [entry["tokens"]]
                    self._matcher.add(pid, token_patterns)
            except (ValueError, TypeError, KeyError) as exc:
                raise ConfigError("CFG008", f"{where}: invalid pattern: {exc}") from exc

    def match_doc(self, doc) -> list[PatternMatch]:
        found: list[PatternMatch] = []
        vocab = doc.vocab
        for match_id, start, end in list(self._matcher(doc)) + list(self._phrases(doc)):
            pid = vocab.strings[match_id]
            code, score = self.meta[pid]
            span = doc[start:end]
            found.append(PatternMatch(pid, code, span.start_char, span.end_char, score, start, end))
        found.sort(key=lambda m: (m.char_start, -(m.char_end - m.char_start)))
        return found

    def match(self, text: str) -> list[PatternMatch]:
        return self.match_doc(make_doc(text))

    def codes(self) -> set[str]:
        return {code for code, _ in self.meta.values()}


@functools.lru_cache(maxsize=None)
def load_patterns(name: str) -> PatternSet:
    """The pattern set ``analyser/detectors/patterns/<name>.yaml``, compiled once."""
    return PatternSet(PATTERN_DIR / f"{name}.yaml")


def best_by_code(matches: list[PatternMatch]) -> dict[str, PatternMatch]:
    """The highest-scoring (then longest, then first) match for each code."""
    best: dict[str, PatternMatch] = {}
    for m in matches:
        cur = best.get(m.code)
        key = (m.score, m.char_end - m.char_start, -m.char_start)
        if cur is None or key > (cur.score, cur.char_end - cur.char_start, -cur.char_start):
            best[m.code] = m
    return best


def as_dict(m: PatternMatch) -> dict[str, Any]:
    return {"id": m.pattern_id, "code": m.code, "start": m.char_start, "end": m.char_end}
