"""Operational tables of the directory: Akteure, Bildungsangebote and portal feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bimo.core.operational import Base, utcnow

__all__ = ["DirectoryActor", "DirectoryOffer", "FeedbackMessage"]


class DirectoryActor(Base):
    """A Bildungsakteur (Träger or Einrichtung); no personal data, only the institution."""

    __tablename__ = "directory_actors"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kategorie: Mapped[str] = mapped_column(String(16), index=True)
    gemeinde_ags: Mapped[str] = mapped_column(String(8), index=True)
    adresse: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    offers: Mapped[list[DirectoryOffer]] = relationship(back_populates="actor")


class DirectoryOffer(Base):
    """A Bildungsangebot of one actor."""

    __tablename__ = "directory_offers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # RESTRICT: an actor with offers cannot disappear silently (the service says why).
    actor_id: Mapped[str] = mapped_column(
        ForeignKey("directory_actors.id", ondelete="RESTRICT"), index=True
    )
    titel: Mapped[str] = mapped_column(String(200))
    beschreibung: Mapped[str | None] = mapped_column(Text)
    kategorie: Mapped[str] = mapped_column(String(16), index=True)
    altersgruppe: Mapped[str] = mapped_column(String(16), index=True)
    thema: Mapped[str] = mapped_column(String(100))
    gemeinde_ags: Mapped[str] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[DirectoryActor] = relationship(back_populates="offers")


class FeedbackMessage(Base):
    """A message sent through the portal's feedback form.

    Deliberately without IP address, user agent or login: only what the sender typed.
    """

    __tablename__ = "feedback_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    anliegen: Mapped[str] = mapped_column(String(16))
    nachricht: Mapped[str] = mapped_column(Text)
    kontakt_email: Mapped[str | None] = mapped_column(String(254))
    erledigt: Mapped[bool] = mapped_column(Boolean, default=False)
