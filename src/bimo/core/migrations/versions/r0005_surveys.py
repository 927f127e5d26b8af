"""Surveys: rounds, codes, anonymous answers, releases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "survey_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.String(length=16), nullable=False),
        sa.Column("schulnummer", sa.String(length=16), nullable=False),
        sa.Column("klasse", sa.String(length=32), nullable=False),
        sa.Column("jahrgang", sa.Integer(), nullable=False),
        sa.Column("teacher", sa.String(length=200), nullable=False),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("n_codes", sa.Integer(), nullable=False),
        sa.Column("n_submitted", sa.Integer(), nullable=False),
        sa.Column("min_answers", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_rounds")),
    )
    op.create_index(op.f("ix_survey_rounds_instrument_id"), "survey_rounds", ["instrument_id"])
    op.create_index(op.f("ix_survey_rounds_schulnummer"), "survey_rounds", ["schulnummer"])
    op.create_table(
        "survey_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("reusable", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_codes_round_id_survey_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_survey_codes")),
    )
    op.create_index(op.f("ix_survey_codes_round_id"), "survey_codes", ["round_id"])
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_answers_round_id_survey_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        # Stored in (random) key order, without SQLite's increasing rowid.
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_survey_answers_round_id"), "survey_answers", ["round_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_answers_round_id"), table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_index(op.f("ix_survey_codes_round_id"), table_name="survey_codes")
    op.drop_table("survey_codes")
    op.drop_index(op.f("ix_survey_rounds_schulnummer"), table_name="survey_rounds")
    op.drop_index(op.f("ix_survey_rounds_instrument_id"), table_name="survey_rounds")
    op.drop_table("survey_rounds")
