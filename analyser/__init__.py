"""Call-quality analyser for contact centres.

Transcribes call recordings, detects the behaviours a QA reviewer scores and fills a draft
scorecard whose every answer is backed by a verbatim quote, its speaker and its time.
"""
__version__ = "0.1.0"

from .pipeline import CallResult, analyse  # noqa: E402 - after __version__, which the stages record

__all__ = ["CallResult", "__version__", "analyse"]
