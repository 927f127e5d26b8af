"""Microdata extract requests: submit, list, decide (each step audited)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.core.errors import BimoError
from bimo.core.operational import record_event, utcnow
from bimo.research.models import MicrodataRequest, RequestStatus

__all__ = ["ResearchError", "decide", "list_requests", "parse_tables", "submit_request"]

_TABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
MIN_PURPOSE = 20
MAX_PURPOSE = 5_000


class ResearchError(BimoError):
    """A request that cannot be stored or decided (German message)."""


def parse_tables(text: str) -> tuple[str, ...]:
    """``"D21, D22 schools"`` → ``("D21", "D22", "schools")`` (order kept, duplicates dropped)."""
    names = [t for t in re.split(r"[\s,;]+", text.strip()) if t]
    if not names:
        raise ResearchError("Bitte geben Sie mindestens einen Indikator oder eine Tabelle an.")
    bad = [n for n in names if not _TABLE.fullmatch(n)]
    if bad:
        raise ResearchError(
            f"Ungültige Angabe {bad[0]!r}: Indikatoren und Tabellen bestehen aus Buchstaben, "
            "Ziffern und Unterstrich (z. B. D21, assessment_results)."
        )
    return tuple(dict.fromkeys(names))


def submit_request(
    db: Session, requester_id: int, actor: str, purpose: str, tables: str
) -> MicrodataRequest:
    purpose = purpose.strip()
    if not MIN_PURPOSE <= len(purpose) <= MAX_PURPOSE:
        raise ResearchError(
            f"Der Zweck muss {MIN_PURPOSE}–{MAX_PURPOSE} Zeichen lang sein "
            "(Forschungsfrage, Projekt, Auswertungsplan)."
        )
    names = parse_tables(tables)
    joined = ",".join(names)
    if len(joined) > 500:
        raise ResearchError("Zu viele Tabellen in einem Antrag (höchstens 500 Zeichen).")
    request = MicrodataRequest(requester_id=requester_id, purpose=purpose, tables=joined)
    db.add(request)
    db.flush()
    record_event(
        "research.request",
        "microdata_request",
        str(request.id),
        actor=actor,
        db=db,
        details={"tabellen": list(names)},
    )
    return request


def list_requests(db: Session, requester_id: int | None = None) -> list[MicrodataRequest]:
    """Requests newest first; only those of ``requester_id`` when given."""
    query = select(MicrodataRequest).order_by(MicrodataRequest.id.desc())
    if requester_id is not None:
        query = query.where(MicrodataRequest.requester_id == requester_id)
    return list(db.scalars(query))


def decide(
    db: Session, request_id: int, status: RequestStatus, *, actor: str, note: str = ""
) -> MicrodataRequest:
    """Approve or reject a pending request (a decision is final)."""
    if status is RequestStatus.BEANTRAGT:
        raise ResearchError("Eine Entscheidung ist „genehmigt“ oder „abgelehnt“.")
    request = db.get(MicrodataRequest, request_id)
    if request is None:
        raise ResearchError(f"Es gibt keinen Antrag Nr. {request_id}.")
    if request.status != RequestStatus.BEANTRAGT.value:
        raise ResearchError(f"Antrag Nr. {request_id} ist bereits {request.status}.")
    request.status = status.value
    request.decided_at = utcnow()
    request.decided_by = actor
    request.decision_note = note.strip() or None
    record_event(
        "research.decide",
        "microdata_request",
        str(request_id),
        actor=actor,
        db=db,
        details={"status": status.value},
    )
    return request
