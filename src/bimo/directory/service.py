"""Create, change, delete and search directory entries; import from the analytic store.

Every change writes an audit event (``directory.*``) in the caller's transaction, so the
change and its record commit together.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from bimo.core.codes import ALTERSGRUPPE, ANGEBOT_KATEGORIE
from bimo.core.errors import BimoError
from bimo.core.operational import AuditEvent, record_event, utcnow
from bimo.directory.models import DirectoryActor, DirectoryOffer, FeedbackMessage

__all__ = [
    "FEEDBACK_ANLIEGEN",
    "DirectoryError",
    "FeedbackInput",
    "ImportResult",
    "OfferFilter",
    "OfferInput",
    "OfferPage",
    "ValidationFailed",
    "create_offer",
    "delete_offer",
    "directory_imported",
    "get_actor",
    "get_offer",
    "import_from_store",
    "list_actors",
    "list_feedback",
    "list_themes",
    "search_offers",
    "submit_feedback",
    "update_offer",
]

_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_AGS_GEMEINDE = re.compile(r"\d{8}")
_AGS_KREIS = re.compile(r"\d{5}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_PER_PAGE = 100

FEEDBACK_ANLIEGEN: dict[str, str] = {
    "FRAGE": "Frage zu Daten oder Angeboten",
    "FEHLER": "Fehler in Daten oder Seiten melden",
    "BARRIERE": "Barriere melden",
    "ANGEBOT": "Angebot vorschlagen oder Änderung melden",
    "SONSTIGES": "Sonstiges",
}


class DirectoryError(BimoError):
    """An entry is missing or cannot be changed."""


class ValidationFailed(DirectoryError):
    """Input is invalid; ``errors`` maps each field to a German message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("Eingaben unvollständig oder ungültig: " + "; ".join(errors.values()))


@dataclass(frozen=True)
class OfferInput:
    """The editable fields of an offer (strings as typed; validated by the service)."""

    actor_id: str
    titel: str
    kategorie: str
    altersgruppe: str
    thema: str
    gemeinde_ags: str
    beschreibung: str | None = None


@dataclass(frozen=True)
class OfferFilter:
    text: str | None = None
    kategorie: str | None = None
    altersgruppe: str | None = None
    thema: str | None = None
    gemeinde_ags: str | None = None
    kreis_ags: str | None = None


@dataclass(frozen=True)
class OfferPage:
    items: list[DirectoryOffer]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class FeedbackInput:
    anliegen: str
    nachricht: str
    kontakt_email: str | None = None


@dataclass
class ImportResult:
    actors_added: int = 0
    actors_updated: int = 0
    offers_added: int = 0
    offers_updated: int = 0
    skipped: list[str] = field(default_factory=list)


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _validate_offer(db: Session, data: OfferInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    titel, thema = _clean(data.titel), _clean(data.thema)
    if not titel:
        errors["titel"] = "Bitte geben Sie einen Titel an."
    elif len(titel) > 200:
        errors["titel"] = "Der Titel darf höchstens 200 Zeichen lang sein."
    if not thema:
        errors["thema"] = "Bitte geben Sie ein Thema an (z. B. Sprache, MINT, Musik)."
    elif len(thema) > 100:
        errors["thema"] = "Das Thema darf höchstens 100 Zeichen lang sein."
    if data.kategorie not in ANGEBOT_KATEGORIE.codes:
        errors["kategorie"] = "Bitte wählen Sie eine Kategorie aus der Liste."
    if data.altersgruppe not in ALTERSGRUPPE.codes:
        errors["altersgruppe"] = "Bitte wählen Sie eine Altersgruppe aus der Liste."
    if not _AGS_GEMEINDE.fullmatch(_clean(data.gemeinde_ags)):
        errors["gemeinde_ags"] = "Der Gemeindeschlüssel (AGS) besteht aus 8 Ziffern."
    if db.get(DirectoryActor, _clean(data.actor_id)) is None:
        errors["actor_id"] = f"Einen Akteur „{_clean(data.actor_id)}“ gibt es nicht."
    if errors:
        raise ValidationFailed(errors)
    return {
        "actor_id": _clean(data.actor_id),
        "titel": titel,
        "beschreibung": _clean(data.beschreibung) or None,
        "kategorie": data.kategorie,
        "altersgruppe": data.altersgruppe,
        "thema": thema,
        "gemeinde_ags": _clean(data.gemeinde_ags),
    }


def get_offer(db: Session, offer_id: str) -> DirectoryOffer | None:
    return db.get(DirectoryOffer, offer_id, options=[joinedload(DirectoryOffer.actor)])


def get_actor(db: Session, actor_id: str) -> DirectoryActor | None:
    return db.get(DirectoryActor, actor_id, options=[joinedload(DirectoryActor.offers)])


def _require_offer(db: Session, offer_id: str) -> DirectoryOffer:
    offer = get_offer(db, offer_id)
    if offer is None:
        raise DirectoryError(f"Ein Angebot „{offer_id}“ gibt es nicht.")
    return offer


def create_offer(
    db: Session, data: OfferInput, *, actor: str, offer_id: str | None = None
) -> DirectoryOffer:
    values = _validate_offer(db, data)
    if offer_id is None:
        offer_id = f"{values['actor_id'][:29]}-{secrets.token_hex(5)}"
    elif not _ID.fullmatch(offer_id):
        raise ValidationFailed(
            {"offer_id": "Die Kennung besteht aus 1–40 Buchstaben, Ziffern, _ -."}
        )
    elif db.get(DirectoryOffer, offer_id) is not None:
        raise ValidationFailed({"offer_id": f"Die Kennung „{offer_id}“ ist schon vergeben."})
    offer = DirectoryOffer(id=offer_id, **values)
    db.add(offer)
    db.flush()
    record_event("directory.create", "offer", offer_id, actor=actor, db=db)
    return offer


def update_offer(db: Session, offer_id: str, data: OfferInput, *, actor: str) -> DirectoryOffer:
    offer = _require_offer(db, offer_id)
    values = _validate_offer(db, data)
    changed = sorted(k for k, v in values.items() if getattr(offer, k) != v)
    for key, value in values.items():
        setattr(offer, key, value)
    offer.updated_at = utcnow()
    db.flush()
    record_event(
        "directory.update", "offer", offer_id, details={"felder": changed}, actor=actor, db=db
    )
    return offer


def delete_offer(db: Session, offer_id: str, *, actor: str) -> None:
    offer = _require_offer(db, offer_id)
    db.delete(offer)
    db.flush()
    record_event("directory.delete", "offer", offer_id, actor=actor, db=db)


def search_offers(
    db: Session, filters: OfferFilter, *, page: int = 1, per_page: int = 20
) -> OfferPage:
    """Offers matching all given filters, ordered by title; ``page`` counts from 1."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    query = select(DirectoryOffer).join(DirectoryOffer.actor)
    if text := _clean(filters.text):
        # icontains: LOWER() on SQLite (ASCII case folding), ILIKE on PostgreSQL.
        query = query.where(
            or_(
                DirectoryOffer.titel.icontains(text, autoescape=True),
                DirectoryOffer.beschreibung.icontains(text, autoescape=True),
                DirectoryActor.name.icontains(text, autoescape=True),
            )
        )
    if filters.kategorie:
        query = query.where(DirectoryOffer.kategorie == filters.kategorie)
    if filters.altersgruppe:
        query = query.where(DirectoryOffer.altersgruppe == filters.altersgruppe)
    if filters.thema:
        query = query.where(DirectoryOffer.thema == filters.thema)
    if filters.gemeinde_ags:
        query = query.where(DirectoryOffer.gemeinde_ags == filters.gemeinde_ags)
    if filters.kreis_ags:
        query = query.where(
            DirectoryOffer.gemeinde_ags.startswith(filters.kreis_ags, autoescape=True)
        )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.options(joinedload(DirectoryOffer.actor))
        .order_by(DirectoryOffer.titel, DirectoryOffer.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return OfferPage(list(rows.unique()), total, page, per_page)


def list_themes(db: Session) -> list[str]:
    return list(db.scalars(select(DirectoryOffer.thema).distinct().order_by(DirectoryOffer.thema)))


def list_actors(
    db: Session, *, gemeinde_ags: str | None = None, kategorie: str | None = None
) -> list[DirectoryActor]:
    query = select(DirectoryActor).order_by(DirectoryActor.name, DirectoryActor.id)
    if gemeinde_ags:
        query = query.where(DirectoryActor.gemeinde_ags == gemeinde_ags)
    if kategorie:
        query = query.where(DirectoryActor.kategorie == kategorie)
    return list(db.scalars(query))


def submit_feedback(db: Session, data: FeedbackInput) -> FeedbackMessage:
    """Store a feedback message: only what was typed, never IP, user agent or login."""
    errors: dict[str, str] = {}
    nachricht, email = _clean(data.nachricht), _clean(data.kontakt_email)
    if data.anliegen not in FEEDBACK_ANLIEGEN:
        errors["anliegen"] = "Bitte wählen Sie Ihr Anliegen aus der Liste."
    if not nachricht:
        errors["nachricht"] = "Bitte schreiben Sie uns Ihre Nachricht."
    elif len(nachricht) > 5000:
        errors["nachricht"] = "Die Nachricht darf höchstens 5000 Zeichen lang sein."
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        errors["kontakt_email"] = "Die E-Mail-Adresse ist ungültig (Beispiel: name@example.org)."
    if errors:
        raise ValidationFailed(errors)
    message = FeedbackMessage(
        anliegen=data.anliegen, nachricht=nachricht, kontakt_email=email or None, erledigt=False
    )
    db.add(message)
    db.flush()
    return message


def list_feedback(db: Session, *, limit: int = 200) -> list[FeedbackMessage]:
    query = select(FeedbackMessage).order_by(FeedbackMessage.received_at.desc()).limit(limit)
    return list(db.scalars(query))


def directory_imported(db: Session) -> bool:
    """Whether an import from the analytic store has run on this operational store."""
    query = select(AuditEvent.id).where(AuditEvent.action == "directory.import").limit(1)
    return db.scalar(query) is not None


_ACTOR_COLUMNS = ("name", "kategorie", "gemeinde_ags", "adresse", "url")
_OFFER_COLUMNS = (
    "actor_id",
    "titel",
    "beschreibung",
    "kategorie",
    "altersgruppe",
    "thema",
    "gemeinde_ags",
)


def import_from_store(duckdb_path: Path, db: Session, *, actor: str) -> ImportResult:
    """Load ``actors``/``offers`` of the analytic store (read-only); repeatable.

    Rows are matched by their ids: new ones are added, changed ones updated, unchanged ones
    left alone; entries created by editors are kept.
    """
    if not duckdb_path.exists():
        raise DirectoryError(f"Der Analysebestand {duckdb_path} existiert nicht.")
    try:
        with duckdb.connect(str(duckdb_path), read_only=True) as con:
            tables = {row[0] for row in con.sql("SHOW TABLES").fetchall()}
            if not {"actors", "offers"} <= tables:
                raise DirectoryError(
                    f"Im Analysebestand {duckdb_path} fehlen die Tabellen actors/offers."
                )
            actors = con.sql(f"SELECT actor_id, {', '.join(_ACTOR_COLUMNS)} FROM actors").fetchall()
            offers = con.sql(f"SELECT offer_id, {', '.join(_OFFER_COLUMNS)} FROM offers").fetchall()
    except duckdb.Error as exc:
        raise DirectoryError(f"Der Analysebestand {duckdb_path} ist nicht lesbar: {exc}") from exc
    result = ImportResult()
    existing_actors = {a.id: a for a in db.scalars(select(DirectoryActor))}
    for actor_id, *values in actors:
        _upsert(
            db, DirectoryActor, existing_actors, actor_id, _ACTOR_COLUMNS, values, result, "actors"
        )
    db.flush()
    existing_offers = {o.id: o for o in db.scalars(select(DirectoryOffer))}
    for offer_id, *values in offers:
        if values[0] not in existing_actors:
            result.skipped.append(str(offer_id))
            continue
        _upsert(
            db, DirectoryOffer, existing_offers, offer_id, _OFFER_COLUMNS, values, result, "offers"
        )
    db.flush()
    record_event(
        "directory.import",
        "directory",
        str(duckdb_path.name),
        details={
            "akteure_neu": result.actors_added,
            "akteure_geaendert": result.actors_updated,
            "angebote_neu": result.offers_added,
            "angebote_geaendert": result.offers_updated,
            "uebersprungen": len(result.skipped),
        },
        actor=actor,
        db=db,
    )
    return result


def _upsert(
    db: Session,
    model: type[DirectoryActor] | type[DirectoryOffer],
    existing: dict[str, Any],
    key: str,
    columns: tuple[str, ...],
    values: list[Any],
    result: ImportResult,
    kind: str,
) -> None:
    row = dict(zip(columns, values, strict=True))
    current = existing.get(key)
    if current is None:
        entry = model(id=key, **row)
        db.add(entry)
        existing[key] = entry
        setattr(result, f"{kind}_added", getattr(result, f"{kind}_added") + 1)
    elif any(getattr(current, c) != row[c] for c in columns):
        for column, value in row.items():
            setattr(current, column, value)
        current.updated_at = utcnow()
        setattr(result, f"{kind}_updated", getattr(result, f"{kind}_updated") + 1)
