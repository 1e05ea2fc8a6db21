"""Errors with stable codes.

Every error the analyser reports to a user carries a code (``AUD002``) and a one-line
message that names the input and the problem. Codes appear in the manifest and in logs.

Code families:
  AUD  audio input (unreadable, empty, silent, truncated, unsupported rate)
  TRN  transcript input (malformed line, unknown speaker or label)
  INP  input discovery (missing path, unsupported file type)
  MOD  model weights (missing package, checksum mismatch)
  TPL  scorecard template (invalid YAML, unknown code, bad weight)
  CFG  detector configuration
  USE  command-line usage
"""
from __future__ import annotations


class AnalyserError(Exception):
    """An error a user can act on: a stable code and a one-line message."""

    def __init__(self, code: str, message: str):
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class AudioError(AnalyserError):
    pass


class TranscriptError(AnalyserError):
    pass


class InputError(AnalyserError):
    pass


class ModelError(AnalyserError):
    pass


class TemplateError(AnalyserError):
    pass


class ConfigError(AnalyserError):
    pass
