"""Operational tables of research access: requests for microdata extracts (migration 0004)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bimo.core.operational import Base, utcnow

__all__ = ["MicrodataRequest", "RequestStatus"]


class RequestStatus(StrEnum):
    BEANTRAGT = "beantragt"
    GENEHMIGT = "genehmigt"
    ABGELEHNT = "abgelehnt"


class MicrodataRequest(Base):
    """A researcher's request for a documented microdata extract (decided by the data office).

    ``tables`` lists the requested indicator ids / table names, comma-separated; the request
    itself never contains data, so it holds nothing about persons.
    """

    __tablename__ = "microdata_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(Text)
    tables: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.BEANTRAGT.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"MicrodataRequest(id={self.id}, status={self.status!r})"
