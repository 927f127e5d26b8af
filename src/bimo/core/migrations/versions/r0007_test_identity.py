"""Test delivery: seats taken with a school account (OIDC subject hash on access codes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # ADD COLUMN and CREATE UNIQUE INDEX need no table rebuild on SQLite. A unique
    # *constraint* would (batch mode copies the table), and dropping the old table fails under
    # PRAGMA foreign_keys=ON as soon as test_attempts reference a code — i.e. on every store
    # that has run a test. The unique index gives the same guarantee on both databases.
    op.add_column(
        "test_access_codes", sa.Column("oidc_subject_hash", sa.String(length=64), nullable=True)
    )
    # Per session: a student takes at most one seat of a session (NULL: code seats, no clash).
    op.create_index(
        op.f("uq_test_access_codes_oidc_subject_hash"),
        "test_access_codes",
        ["oidc_subject_hash", "session_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("uq_test_access_codes_oidc_subject_hash"), table_name="test_access_codes")
    # SQLite ≥ 3.35 drops a column in place (no rebuild, so foreign keys stay intact).
    op.drop_column("test_access_codes", "oidc_subject_hash")
