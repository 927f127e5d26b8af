"""Directory of Bildungsangebote and Akteure; feedback messages from the portal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "directory_actors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kategorie", sa.String(length=16), nullable=False),
        sa.Column("gemeinde_ags", sa.String(length=8), nullable=False),
        sa.Column("adresse", sa.String(length=300), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_actors")),
    )
    op.create_index(op.f("ix_directory_actors_kategorie"), "directory_actors", ["kategorie"])
    op.create_index(op.f("ix_directory_actors_gemeinde_ags"), "directory_actors", ["gemeinde_ags"])
    op.create_table(
        "directory_offers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.String(length=40), nullable=False),
        sa.Column("titel", sa.String(length=200), nullable=False),
        sa.Column("beschreibung", sa.Text(), nullable=True),
        sa.Column("kategorie", sa.String(length=16), nullable=False),
        sa.Column("altersgruppe", sa.String(length=16), nullable=False),
        sa.Column("thema", sa.String(length=100), nullable=False),
        sa.Column("gemeinde_ags", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["directory_actors.id"],
            name=op.f("fk_directory_offers_actor_id_directory_actors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_offers")),
    )
    op.create_index(op.f("ix_directory_offers_actor_id"), "directory_offers", ["actor_id"])
    op.create_index(op.f("ix_directory_offers_kategorie"), "directory_offers", ["kategorie"])
    op.create_index(op.f("ix_directory_offers_altersgruppe"), "directory_offers", ["altersgruppe"])
    op.create_index(op.f("ix_directory_offers_gemeinde_ags"), "directory_offers", ["gemeinde_ags"])
    op.create_table(
        "feedback_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anliegen", sa.String(length=16), nullable=False),
        sa.Column("nachricht", sa.Text(), nullable=False),
        sa.Column("kontakt_email", sa.String(length=254), nullable=True),
        sa.Column("erledigt", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_messages")),
    )
    op.create_index(op.f("ix_feedback_messages_received_at"), "feedback_messages", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_messages_received_at"), table_name="feedback_messages")
    op.drop_table("feedback_messages")
    for column in ("gemeinde_ags", "altersgruppe", "kategorie", "actor_id"):
        op.drop_index(op.f(f"ix_directory_offers_{column}"), table_name="directory_offers")
    op.drop_table("directory_offers")
    for column in ("gemeinde_ags", "kategorie"):
        op.drop_index(op.f(f"ix_directory_actors_{column}"), table_name="directory_actors")
    op.drop_table("directory_actors")
