"""Test delivery: tests, booklets, sessions, access codes, responses, codings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _ts(name: str, *, nullable: bool) -> sa.Column[datetime]:
    # Every timestamp of the operational store is timezone-aware (UTCDateTime in the models).
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "test_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("clusters", sa.Text(), nullable=False),
        sa.Column("design", sa.Text(), nullable=False),
        sa.Column("block_minutes", sa.Integer(), nullable=False),
        _ts("created_at", nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_definitions")),
        sa.UniqueConstraint("key", name=op.f("uq_test_definitions_key")),
    )
    op.create_table(
        "test_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("schulnummer", sa.String(length=6), nullable=False),
        sa.Column("klasse", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _ts("created_at", nullable=False),
        _ts("codes_expire_at", nullable=False),
        _ts("paused_at", nullable=True),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        _ts("opened_at", nullable=True),
        _ts("ended_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["test_definitions.id"],
            name=op.f("fk_test_sessions_test_id_test_definitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sessions")),
    )
    op.create_index(op.f("ix_test_sessions_test_id"), "test_sessions", ["test_id"])
    op.create_index(op.f("ix_test_sessions_schulnummer"), "test_sessions", ["schulnummer"])
    op.create_table(
        "test_access_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("booklet", sa.Integer(), nullable=False),
        _ts("expires_at", nullable=False),
        _ts("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["test_sessions.id"],
            name=op.f("fk_test_access_codes_session_id_test_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_access_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_test_access_codes_code_hash")),
    )
    op.create_index(op.f("ix_test_access_codes_session_id"), "test_access_codes", ["session_id"])
    op.create_table(
        "test_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("booklet", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        _ts("started_at", nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        _ts("block_started_at", nullable=False),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("extra_seconds", sa.Integer(), nullable=False),
        _ts("paused_at", nullable=True),
        _ts("submitted_at", nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["test_sessions.id"],
            name=op.f("fk_test_attempts_session_id_test_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["test_access_codes.id"],
            name=op.f("fk_test_attempts_code_id_test_access_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_attempts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_test_attempts_token_hash")),
        sa.UniqueConstraint("code_id", name=op.f("uq_test_attempts_code_id")),
    )
    op.create_index(op.f("ix_test_attempts_session_id"), "test_attempts", ["session_id"])
    op.create_table(
        "test_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        _ts("received_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["test_attempts.id"],
            name=op.f("fk_test_responses_attempt_id_test_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_responses")),
        sa.UniqueConstraint("attempt_id", "seq", name=op.f("uq_test_responses_attempt_id")),
    )
    op.create_index("ix_test_responses_attempt_item", "test_responses", ["attempt_id", "item_id"])
    op.create_table(
        "test_codings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("pass_no", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("coder", sa.String(length=200), nullable=False),
        _ts("coded_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["test_attempts.id"],
            name=op.f("fk_test_codings_attempt_id_test_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_codings")),
        sa.UniqueConstraint(
            "attempt_id", "item_id", "pass_no", name=op.f("uq_test_codings_attempt_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("test_codings")
    op.drop_index("ix_test_responses_attempt_item", table_name="test_responses")
    op.drop_table("test_responses")
    op.drop_index(op.f("ix_test_attempts_session_id"), table_name="test_attempts")
    op.drop_table("test_attempts")
    op.drop_index(op.f("ix_test_access_codes_session_id"), table_name="test_access_codes")
    op.drop_table("test_access_codes")
    op.drop_index(op.f("ix_test_sessions_schulnummer"), table_name="test_sessions")
    op.drop_index(op.f("ix_test_sessions_test_id"), table_name="test_sessions")
    op.drop_table("test_sessions")
    op.drop_table("test_definitions")
