"""Survey rounds: open a round for a class, hand out codes, take anonymous answers, release.

Anonymity is built into the storage (see :mod:`bimo.surveys.models`):

* Clear codes exist only in the :class:`OpenedRound` returned to the teacher; the database
  holds PBKDF2 digests (a code has ≥ 49 bits, the digest is slow, so a copy of the database
  does not yield usable codes).
* :func:`submit_answers` consumes a single-use code by *deleting* its digest in the same
  transaction that stores the answers; the answer row has a random id, the round id and the
  answers only. No audit event is written for a submission (it would carry a time).
* Every submission rewrites all answer rows of the round with fresh random ids in random
  order, so the storage order and PostgreSQL's per-row transaction ids (``xmin``) are the same
  for all answers of a round and say nothing about who answered when.

Functions take an open :class:`~sqlalchemy.orm.Session` and join the caller's transaction; on
a :class:`SurveyError` the changes of the failed call are rolled back (savepoint).
:func:`submit_answers` should run in a session of its own: its first statement is the write
that serialises submissions of one round (SQLite write lock, PostgreSQL row lock).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Result, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from bimo.core.config import ABSOLUTE_MIN_CELL, get_settings
from bimo.core.errors import BimoError
from bimo.core.operational import record_event
from bimo.surveys.instrument import Instrument, load_instruments
from bimo.surveys.models import SurveyAnswer, SurveyCode, SurveyRound, round_label

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_CODES",
    "MAX_OPEN_TEXT",
    "UNKNOWN_CODE",
    "OpenedRound",
    "SurveyError",
    "answers_of_round",
    "close_round",
    "code_digest",
    "get_round",
    "instrument_of",
    "is_open",
    "n_answers",
    "normalize_code",
    "open_round",
    "release_round",
    "released",
    "round_for_code",
    "round_label",
    "rounds_of_class",
    "shipped_instruments",
    "submit_answers",
    "today",
    "withdraw_release",
]

# No 0/O, 1/I/L: nothing a student can mistype when copying from a printed sheet.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 2^49.5
CODE_GROUP = 5
MAX_CODES = 60
MAX_OPEN_TEXT = 1000
MAX_DAYS_OPEN = 90
JAHRGANG_RANGE = range(3, 14)
# Fixed salt + iterations: digests must be computable from the code alone (lookup), and slow
# enough that 2^49 guesses against a stolen database are out of reach.
_DIGEST_SALT = b"bimo.umfrage.code.v1"
_DIGEST_ITERATIONS = 10_000
_BERLIN = ZoneInfo("Europe/Berlin")

UNKNOWN_CODE = (
    "Diesen Code gibt es nicht oder er wurde schon verwendet. Bitte prüfe die Eingabe "
    "(Groß- und Kleinschreibung spielt keine Rolle)."
)


class SurveyError(BimoError):
    """An expected failure of a survey action (German message for teacher or student)."""


@dataclass(frozen=True)
class OpenedRound:
    """A newly opened round and its clear codes (shown once, never stored)."""

    round: SurveyRound
    codes: list[str]


def today() -> date:
    """Today in Germany (rounds close at the end of the school's day, not UTC's)."""
    return datetime.now(_BERLIN).date()


@lru_cache(maxsize=1)
def shipped_instruments() -> dict[str, Instrument]:
    return load_instruments()


def instrument_of(survey_round: SurveyRound) -> Instrument:
    try:
        return shipped_instruments()[survey_round.instrument_id]
    except KeyError:
        raise SurveyError(
            f"Den Fragebogen „{survey_round.instrument_id}“ gibt es nicht mehr."
        ) from None


# --- codes ------------------------------------------------------------------------------------


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalize_code(code: str) -> str:
    """Upper case, separators and spaces removed; :class:`SurveyError` if it cannot be a code."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -–\t\n")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        raise SurveyError(
            f"Ein Code hat {CODE_LENGTH} Zeichen (Buchstaben und Ziffern, z. B. ABCDE-23456). "
            "Bitte prüfe die Eingabe."
        )
    return cleaned


def code_digest(code: str) -> str:
    normalized = normalize_code(code)
    return hashlib.pbkdf2_hmac(
        "sha256", normalized.encode("ascii"), _DIGEST_SALT, _DIGEST_ITERATIONS
    ).hex()


# --- rounds -----------------------------------------------------------------------------------


def _band(jahrgang: int) -> str:
    return "3-6" if jahrgang <= 6 else "7-13"


def open_round(
    db: Session,
    *,
    instrument_id: str,
    schulnummer: str,
    klasse: str,
    jahrgang: int,
    teacher: str,
    single_use: bool,
    n_codes: int,
    closes_on: date,
    min_answers: int | None = None,
    on: date | None = None,
) -> OpenedRound:
    """Open a round and create its codes: one class code usable ``n_codes`` times, or
    ``n_codes`` single-use codes. ``min_answers`` may raise the reporting minimum for this
    round above ``Settings.min_cell``, never lower it. ``on``: the opening day (default today).
    """
    day = on or today()
    instrument = shipped_instruments().get(instrument_id)
    if instrument is None:
        raise SurveyError(
            f"Den Fragebogen „{instrument_id}“ gibt es nicht "
            f"(vorhanden: {', '.join(sorted(shipped_instruments()))})."
        )
    schulnummer, klasse = schulnummer.strip(), klasse.strip()
    if not schulnummer or len(schulnummer) > 16:
        raise SurveyError("Die Schulnummer fehlt oder ist zu lang.")
    if not klasse or len(klasse) > 32:
        raise SurveyError("Die Klasse fehlt oder ist zu lang (höchstens 32 Zeichen).")
    if jahrgang not in JAHRGANG_RANGE:
        raise SurveyError("Umfragen gibt es für die Jahrgänge 3 bis 13.")
    if _band(jahrgang) not in instrument.jahrgangsbaender:
        raise SurveyError(
            f"Der Fragebogen „{instrument.titel}“ ist nicht für Jahrgang {jahrgang} gedacht."
        )
    floor = max(get_settings().min_cell, ABSOLUTE_MIN_CELL)
    minimum = floor if min_answers is None else min_answers
    if minimum < floor:
        raise SurveyError(
            f"Die Mindestzahl an Antworten kann erhöht, aber nicht unter {floor} gesenkt werden."
        )
    if not minimum <= n_codes <= MAX_CODES:
        raise SurveyError(
            f"Bitte zwischen {minimum} und {MAX_CODES} Codes bzw. Teilnahmen vorsehen: "
            f"Ergebnisse werden erst ab {minimum} Antworten gezeigt."
        )
    if closes_on < day:
        raise SurveyError("Das Ende der Befragung darf nicht in der Vergangenheit liegen.")
    if closes_on > day + timedelta(days=MAX_DAYS_OPEN):
        raise SurveyError(f"Eine Befragung kann höchstens {MAX_DAYS_OPEN} Tage offen bleiben.")
    with db.begin_nested():
        survey_round = SurveyRound(
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            schulnummer=schulnummer,
            klasse=klasse,
            jahrgang=jahrgang,
            teacher=teacher,
            single_use=single_use,
            n_codes=n_codes,
            n_submitted=0,
            min_answers=minimum,
            opened_on=day,
            closes_on=closes_on,
            closed_on=None,
            released=False,
            released_by=None,
        )
        db.add(survey_round)
        db.flush()
        codes = _fresh_codes(db, n_codes if single_use else 1)
        reusable = not single_use
        db.execute(
            insert(SurveyCode),
            [
                {"code_hash": code_digest(c), "round_id": survey_round.id, "reusable": reusable}
                for c in codes
            ],
        )
        record_event(
            "survey.open",
            "survey_round",
            str(survey_round.id),
            actor=teacher,
            db=db,
            details={
                "fragebogen": instrument.id,
                "jahrgang": jahrgang,
                "einmalcodes": single_use,
                "teilnahmen": n_codes,
                "mindestzahl": minimum,
            },
        )
    return OpenedRound(survey_round, codes)


def _fresh_codes(db: Session, count: int) -> list[str]:
    """``count`` distinct codes whose digests are not in use (collisions are astronomically
    rare, but a duplicate primary key would be an error the teacher cannot fix)."""
    codes: dict[str, str] = {}
    while len(codes) < count:
        candidates = {_new_code() for _ in range(count - len(codes))}
        digests = {code_digest(c): c for c in candidates if c not in codes.values()}
        known = select(SurveyCode.code_hash).where(SurveyCode.code_hash.in_(digests))
        taken = set(db.scalars(known))
        codes.update({d: c for d, c in digests.items() if d not in taken and d not in codes})
    return list(codes.values())


def get_round(db: Session, round_id: int) -> SurveyRound:
    survey_round = db.get(SurveyRound, round_id)
    if survey_round is None:
        raise SurveyError(f"Die Befragung Nr. {round_id} gibt es nicht.")
    return survey_round


def rounds_of_class(db: Session, schulnummer: str, klasse: str) -> list[SurveyRound]:
    """The class's rounds, newest first."""
    query = (
        select(SurveyRound)
        .where(SurveyRound.schulnummer == schulnummer, SurveyRound.klasse == klasse)
        .order_by(SurveyRound.opened_on.desc(), SurveyRound.id.desc())
    )
    return list(db.scalars(query))


def is_open(survey_round: SurveyRound, on: date | None = None) -> bool:
    return survey_round.closed_on is None and (on or today()) <= survey_round.closes_on


def n_answers(db: Session, round_id: int) -> int:
    count = db.scalar(
        select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.round_id == round_id)
    )
    return int(count or 0)


def close_round(db: Session, round_id: int, teacher: str, *, on: date | None = None) -> None:
    """End the round early; its remaining codes are deleted (they can never be used again)."""
    survey_round = get_round(db, round_id)
    if survey_round.closed_on is not None:
        raise SurveyError("Diese Befragung ist bereits beendet.")
    with db.begin_nested():
        survey_round.closed_on = on or today()
        db.execute(delete(SurveyCode).where(SurveyCode.round_id == round_id))
        record_event("survey.close", "survey_round", str(round_id), actor=teacher, db=db)


def release_round(db: Session, round_id: int, teacher: str) -> None:
    """The teacher's consent: the round may enter the school's (and Land's) aggregates."""
    _set_release(db, round_id, teacher, True)


def withdraw_release(db: Session, round_id: int, teacher: str) -> None:
    """Withdraw the consent: the round leaves the school's and the Land's aggregates."""
    _set_release(db, round_id, teacher, False)


def released(db: Session, round_id: int) -> bool:
    return get_round(db, round_id).released


def _set_release(db: Session, round_id: int, teacher: str, value: bool) -> None:
    survey_round = get_round(db, round_id)
    with db.begin_nested():
        survey_round.released = value
        survey_round.released_by = teacher if value else None
        record_event(
            "survey.release" if value else "survey.withdraw_release",
            "survey_round",
            str(round_id),
            actor=teacher,
            db=db,
        )


# --- students ---------------------------------------------------------------------------------


def _round_by_digest(db: Session, digest: str, on: date) -> SurveyRound:
    """The round of a code, or the :class:`SurveyError` a student should see."""
    code = db.get(SurveyCode, digest, populate_existing=True)
    if code is None:
        raise SurveyError(UNKNOWN_CODE)
    survey_round = db.get(SurveyRound, code.round_id, populate_existing=True)
    if survey_round is None:  # pragma: no cover - the foreign key cascades
        raise SurveyError(UNKNOWN_CODE)
    if survey_round.closed_on is not None:
        raise SurveyError("Diese Befragung ist beendet. Antworten sind nicht mehr möglich.")
    if on > survey_round.closes_on:
        raise SurveyError(
            f"Diese Befragung lief bis zum {survey_round.closes_on:%d.%m.%Y}. "
            "Antworten sind nicht mehr möglich."
        )
    if survey_round.n_submitted >= survey_round.n_codes:
        raise SurveyError(
            "Mit diesem Klassencode wurden schon alle vorgesehenen Antworten abgegeben."
        )
    return survey_round


def round_for_code(db: Session, code: str, *, on: date | None = None) -> SurveyRound:
    """The open round a student's code belongs to (unknown, used, closed, expired or
    exhausted codes raise :class:`SurveyError`)."""
    return _round_by_digest(db, code_digest(code), on or today())


def _validated(instrument: Instrument, answers: Mapping[str, int | str | None]) -> dict[str, Any]:
    closed = {it.id: s.categories for s in instrument.skalen for it in s.items}
    open_ids = {q.id for q in instrument.offene_fragen}
    clean: dict[str, Any] = {}
    for key, value in answers.items():
        if key in closed:
            number = _category(key, value, closed[key])
            if number is not None:
                clean[key] = number
        elif key in open_ids:
            if value is None:
                continue
            if not isinstance(value, str):
                raise SurveyError(f"Die Antwort auf „{key}“ muss ein Text sein.")
            text = " ".join(value.split())  # also removes control characters such as newlines
            if len(text) > MAX_OPEN_TEXT:
                raise SurveyError(
                    f"Die Antwort auf eine offene Frage darf höchstens {MAX_OPEN_TEXT} Zeichen "
                    f"lang sein (jetzt: {len(text)})."
                )
            if text:
                clean[key] = text
        else:
            raise SurveyError(f"Die Frage „{key}“ gehört nicht zu diesem Fragebogen.")
    if not any(key in closed for key in clean):
        raise SurveyError("Es wurde noch keine Frage beantwortet.")
    # Instrument order, so nothing about the order of filling in survives.
    order = {iid: i for i, iid in enumerate([*closed, *open_ids])}
    return dict(sorted(clean.items(), key=lambda kv: order[kv[0]]))


def _category(key: str, value: int | str | None, categories: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise SurveyError(f"Die Antwort auf „{key}“ ist keine gültige Antwortmöglichkeit.")
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise SurveyError(f"Die Antwort auf „{key}“ ist keine gültige Antwortmöglichkeit.")
        value = int(value.strip())
    if not 1 <= value <= categories:
        raise SurveyError(
            f"Die Antwort auf „{key}“ muss zwischen 1 und {categories} liegen (jetzt: {value})."
        )
    return value


def submit_answers(
    db: Session,
    code: str,
    answers: Mapping[str, int | str | None],
    *,
    on: date | None = None,
) -> None:
    """Store one questionnaire anonymously and consume a single-use code (same transaction)."""
    digest = code_digest(code)
    day = on or today()
    with db.begin_nested():
        # First statement is the write that serialises submissions of this round; the WHERE
        # clause also enforces "open", "not expired" and the class code's cap atomically.
        round_id = select(SurveyCode.round_id).where(SurveyCode.code_hash == digest)
        counted = db.execute(
            update(SurveyRound)
            .where(
                SurveyRound.id == round_id.scalar_subquery(),
                SurveyRound.closed_on.is_(None),
                SurveyRound.closes_on >= day,
                SurveyRound.n_submitted < SurveyRound.n_codes,
            )
            .values(n_submitted=SurveyRound.n_submitted + 1)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(counted) != 1:
            _round_by_digest(db, digest, day)  # raises the precise reason
            raise SurveyError(UNKNOWN_CODE)  # pragma: no cover - raced away in between
        code_row = db.get(SurveyCode, digest, populate_existing=True)
        if code_row is None:  # pragma: no cover - deleted concurrently
            raise SurveyError(UNKNOWN_CODE)
        survey_round = db.get(SurveyRound, code_row.round_id, populate_existing=True)
        assert survey_round is not None
        clean = _validated(instrument_of(survey_round), answers)
        if not code_row.reusable:
            db.expunge(code_row)
            used = db.execute(
                delete(SurveyCode)
                .where(SurveyCode.code_hash == digest)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(used) != 1:
                raise SurveyError(UNKNOWN_CODE)  # the same code, submitted twice at once
        _rewrite_answers(db, survey_round.id, clean)


def _rowcount(result: Result[Any]) -> int:
    # DML statements return a CursorResult; the Session's signature says Result.
    return int(cast(CursorResult[Any], result).rowcount)


def _rewrite_answers(db: Session, round_id: int, new: dict[str, Any]) -> None:
    """Replace the round's answer rows by the same answers plus ``new``, shuffled, with fresh
    random ids: afterwards all rows are alike in every respect except their content."""
    # Core statements on the session's connection (same transaction): no ORM objects, and an
    # executemany instead of the ORM's bulk machinery (this runs on every submission).
    table = cast(Table, SurveyAnswer.__table__)
    conn = db.connection()
    rows = [*conn.scalars(select(table.c.answers).where(table.c.round_id == round_id))]
    rows.append(new)
    secrets.SystemRandom().shuffle(rows)
    conn.execute(delete(table).where(table.c.round_id == round_id))
    conn.execute(
        insert(table),
        [{"id": secrets.token_hex(16), "round_id": round_id, "answers": a} for a in rows],
    )


def answers_of_round(db: Session, round_id: int) -> list[dict[str, Any]]:
    """The stored answer sheets of a round (item id → answer), in storage order."""
    return list(db.scalars(select(SurveyAnswer.answers).where(SurveyAnswer.round_id == round_id)))
