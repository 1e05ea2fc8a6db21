"""Version 1: calls, transcripts, findings, the draft scorecards, users, sessions, decisions.

Frozen: this step builds the tables as they were at version 1. Later changes are new steps
(``v002_...``), never edits here, so every database walks the same road to the same schema.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..db import JSONType, UTCDateTime

VERSION = 1
DESCRIPTION = "initial schema"


def upgrade(conn: sa.Connection) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "calls", metadata,
        sa.Column("call_id", sa.String(128), primary_key=True),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("input_sha256", sa.String(64)),
        sa.Column("run_key", sa.String(64)),
        sa.Column("audio_path", sa.Text),  # the recording, as found at run time; served by call id only
        sa.Column("duration", sa.Float),
        sa.Column("agent", sa.String(100)),
        sa.Column("team", sa.String(100)),
        sa.Column("call_date", sa.Date),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("template_version", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # draft | confirmed
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("decided_count", sa.Integer, nullable=False),
        sa.Column("override_count", sa.Integer, nullable=False),
        # what counts now: the draft's figures, or the final ones once the call is confirmed
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("maximum", sa.Float, nullable=False),
        sa.Column("percent", sa.Float),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("risk_count", sa.Integer, nullable=False),
        sa.Column("risk_codes", sa.String(400), nullable=False),  # " CODE1 CODE2 " for filtering
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("confirmed_at", UTCDateTime),
        sa.Column("confirmed_by", sa.String(64)),
        sa.Index("ix_calls_date", "call_date", "call_id"),
        sa.Index("ix_calls_status_date", "status", "call_date"),
        sa.Index("ix_calls_agent", "agent"),
        sa.Index("ix_calls_team", "team"),
        sa.Index("ix_calls_percent", "percent"),
        sa.Index("ix_calls_risk", "risk_count"),
    )

    sa.Table(
        "transcripts", metadata,
        sa.Column("call_id", sa.String(128), sa.ForeignKey("calls.call_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("body", JSONType, nullable=False),  # transcript.json, redacted
    )

    sa.Table(
        "findings", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(128), sa.ForeignKey("calls.call_id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("present", sa.Boolean, nullable=False),
        sa.Column("turn", sa.Integer),
        sa.Column("speaker", sa.String(16)),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("char_start", sa.Integer, nullable=False),
        sa.Column("char_end", sa.Integer, nullable=False),
        sa.Column("start_s", sa.Float),
        sa.Column("end_s", sa.Float),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("detector", sa.String(64), nullable=False),
        sa.Column("detector_version", sa.String(32), nullable=False),
        sa.Column("method", sa.String(200), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Index("ix_findings_call", "call_id", "position"),
    )

    sa.Table(
        "draft_scorecards", metadata,
        sa.Column("call_id", sa.String(128), sa.ForeignKey("calls.call_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("template_version", sa.String(50), nullable=False),
        sa.Column("template_sha256", sa.String(64)),
        sa.Column("pass_mark", sa.Float, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("maximum", sa.Float, nullable=False),
        sa.Column("percent", sa.Float),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("risks", JSONType, nullable=False),
        sa.Column("body", JSONType, nullable=False),  # scorecard.json as written by the run
        sa.Column("created_at", UTCDateTime, nullable=False),
    )

    sa.Table(
        "draft_items", metadata,
        sa.Column("call_id", sa.String(128), sa.ForeignKey("calls.call_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("item_id", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("section", sa.String(100), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("critical", sa.Boolean, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("codes", JSONType, nullable=False),
        sa.Column("detectors", sa.String(200), nullable=False),  # "apology,empathy": who answers the item
        sa.Column("answer", sa.String(4), nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("max_points", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("evidence", JSONType, nullable=False),
    )

    sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),  # reviewer | admin
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("disabled_at", UTCDateTime),
    )

    sa.Table(
        "sessions", metadata,
        sa.Column("token_sha256", sa.String(64), primary_key=True),  # the cookie's token is never stored
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Index("ix_sessions_expires", "expires_at"),
    )

    sa.Table(
        "decisions", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(128), sa.ForeignKey("calls.call_id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # confirm | override
        sa.Column("draft_answer", sa.String(4), nullable=False),
        sa.Column("final_answer", sa.String(4), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Index("ix_decisions_call_item", "call_id", "item_id", "id"),
    )

    sa.Table(
        "call_reviews", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(128), sa.ForeignKey("calls.call_id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # confirm | reopen
        sa.Column("score", sa.Float),
        sa.Column("maximum", sa.Float),
        sa.Column("percent", sa.Float),
        sa.Column("passed", sa.Boolean),
        sa.Column("risks", JSONType),
        sa.Column("reason", sa.Text),
        sa.Index("ix_call_reviews_call", "call_id", "id"),
    )
    metadata.create_all(conn)
