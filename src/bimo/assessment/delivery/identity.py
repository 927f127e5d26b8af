"""Seats taken with a school account (optional OIDC login of students, issue #7).

Instead of typing a printed code, a student may log in with the school's identity service.
The identity's claims name the Schulnummer and Klasse; the student then takes the first free
seat (access code) of the open session of that class. The seat keeps the SHA-256 of
``issuer + "\\n" + subject`` (:func:`subject_hash`) — never the subject itself — so the same
login finds the same seat and attempt again.

Unlike a code, an identity may resume its attempt on **another device** without the proctor:
the identity service has just authenticated the student, which is the very proof the device
binding of codes stands in for (a code can be passed on, a login cannot without the
password). The device change is recorded in the audit log (``tests.attempt_device_change``)
and the old device's token stops working.

The printed code of a seat taken this way keeps working under the normal code rules
(:func:`~bimo.assessment.delivery.sessions.open_attempt`): on the attempt's current device it
resumes the attempt, on any other device it locks it until the proctor unlocks it. It is the
fallback when the login fails during a test; a proctor who hands out the code sheet *and*
lets students log in should withhold the codes of seats shown as taken by a Schulkonto.

Like :func:`~bimo.assessment.delivery.sessions.open_attempt`, call
:func:`open_attempt_for_identity` at the start of a transaction (on SQLite after
:func:`bimo.core.operational.begin_write`); it flushes and leaves the commit to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import LOCKED_MESSAGE
from .codes import hash_secret, new_token
from .errors import DeliveryError
from .models import AccessCode, Attempt, AttemptStatus, SessionStatus, TestSession
from .sessions import (
    OpenedAttempt,
    _attempt_of,
    _audit,
    _check_session_admits,
    _now,
    _require_device,
    _start_attempt,
    lock_codes,
)

__all__ = [
    "ALL_SEATS_TAKEN",
    "HANDED_IN",
    "NO_TEST",
    "open_attempt_for_identity",
    "subject_hash",
]

NO_TEST = "Für deine Klasse ist gerade kein Test freigegeben. Bitte auf die Testleitung warten."
ALL_SEATS_TAKEN = "Für deine Klasse sind alle Plätze vergeben. Bitte bei der Testleitung melden."
HANDED_IN = "Du hast diesen Test bereits abgegeben."
PAUSED = "Der Test ist gerade pausiert. Bitte auf die Testleitung warten."
NOT_YOURS = "Diese Testsitzung ist für deine Klasse nicht freigegeben."
EXPIRED = "Dein Testzugang ist abgelaufen. Bitte bei der Testleitung melden."
ACTOR = "teilnehmer"


def subject_hash(issuer: str, subject: str) -> str:
    """What a seat stores of a school account: SHA-256 of issuer and subject.

    The issuer is part of it because a subject is unique only per identity service."""
    return hash_secret(f"{issuer}\n{subject}")


def _class_key(klasse: str) -> str:
    # Identity services write classes their own way ("8b", "8 B"): compare without blanks
    # and case, as a teacher reading both would.
    return "".join(klasse.split()).casefold()


@dataclass(frozen=True)
class _Seat:
    access: AccessCode
    session: TestSession
    attempt: Attempt | None

    @property
    def handed_in(self) -> bool:
        return self.attempt is not None and self.attempt.status == AttemptStatus.ABGEGEBEN.value


def open_attempt_for_identity(
    db: Session,
    *,
    subject_hash: str,
    schulnummer: str,
    klasse: str,
    device_token: str,
    session_id: int | None = None,
    now: datetime | None = None,
) -> OpenedAttempt | list[TestSession]:
    """Resume the identity's attempt or take a free seat in its class's open session.

    Returns the opened attempt, or — when several sessions of the class are open and
    ``session_id`` does not pick one — those sessions (oldest first) for the student to
    choose. Refusals raise :class:`DeliveryError` with a German message for the student.
    """
    _require_device(device_token)
    schulnummer, klasse = schulnummer.strip(), klasse.strip()
    if not schulnummer or not klasse:
        raise DeliveryError("Dein Schulkonto nennt keine Schule und Klasse.")
    now = _now(now)
    # Two logins of one student are serialised; nothing read below is stale when bound.
    lock_codes(db, AccessCode.oidc_subject_hash == subject_hash)
    bound = _bound_seats(db, subject_hash, session_id)
    active = [seat for seat in bound if not seat.handed_in]
    if len(active) == 1:
        return _resume(db, active[0], device_token, now)
    if active:  # seats in several sessions that run at the same time
        return [seat.session for seat in active]

    handed_in = {seat.session.id for seat in bound}
    candidates = [
        session
        for session in _class_sessions(db, schulnummer, klasse, now)
        if session.id not in handed_in
    ]
    open_ = [s for s in candidates if s.status == SessionStatus.OFFEN.value]
    if session_id is not None:
        if session_id in handed_in:
            raise DeliveryError(HANDED_IN)
        chosen = [s for s in candidates if s.id == session_id]
        if not chosen:
            raise DeliveryError(NOT_YOURS)
        _check_session_admits(chosen[0], resuming=False)  # e.g. paused meanwhile
        open_ = chosen
    if not open_:
        if candidates:  # only paused ones
            raise DeliveryError(PAUSED)
        raise DeliveryError(HANDED_IN if handed_in else NO_TEST)
    if len(open_) > 1:
        return open_
    return _take_seat(db, open_[0], subject_hash, device_token, now)


def _bound_seats(db: Session, subject: str, session_id: int | None) -> list[_Seat]:
    """The identity's seats in sessions not ended (one per session at most)."""
    query = (
        select(AccessCode, TestSession, Attempt)
        .join(TestSession, TestSession.id == AccessCode.session_id)
        .outerjoin(Attempt, Attempt.code_id == AccessCode.id)
        .where(
            AccessCode.oidc_subject_hash == subject,
            TestSession.status != SessionStatus.BEENDET.value,
        )
        .order_by(AccessCode.id)
    )
    if session_id is not None:
        query = query.where(AccessCode.session_id == session_id)
    return [_Seat(access, session, attempt) for access, session, attempt in db.execute(query)]


def _class_sessions(db: Session, schulnummer: str, klasse: str, now: datetime) -> list[TestSession]:
    """Open or paused sessions of the class whose codes are still valid, oldest first."""
    sessions = db.scalars(
        select(TestSession)
        .where(
            TestSession.schulnummer == schulnummer,
            TestSession.status.in_([SessionStatus.OFFEN.value, SessionStatus.PAUSIERT.value]),
            TestSession.codes_expire_at > now,
        )
        .order_by(TestSession.id)
    )
    key = _class_key(klasse)
    return [s for s in sessions if _class_key(s.klasse) == key]


def _resume(db: Session, seat: _Seat, device_token: str, now: datetime) -> OpenedAttempt:
    access, session, attempt = seat.access, seat.session, seat.attempt
    _check_session_admits(session, resuming=attempt is not None)
    if access.expires_at <= now:
        raise DeliveryError(EXPIRED)
    device = hash_secret(device_token)
    token = new_token()
    if attempt is None:  # bound, but the attempt was not created (an interrupted first use)
        attempt, created = _start_attempt(db, access, session, device, token, now)
        if created:
            return OpenedAttempt(attempt, token)
    if attempt.status == AttemptStatus.ABGEGEBEN.value:
        raise DeliveryError(HANDED_IN)
    if attempt.status == AttemptStatus.GESPERRT.value:
        raise DeliveryError(LOCKED_MESSAGE)
    if attempt.device_hash and attempt.device_hash != device:
        # The login proves who it is: move the attempt to this device (see module doc). The
        # new token hash below logs the old device out of the attempt.
        _audit(db, "tests.attempt_device_change", session, ACTOR, {"durchgang": attempt.id})
    attempt.device_hash = device
    attempt.token_hash = hash_secret(token)
    db.flush()
    return OpenedAttempt(attempt, token)


def _take_seat(
    db: Session, session: TestSession, subject: str, device_token: str, now: datetime
) -> OpenedAttempt:
    """Bind the first free seat of ``session`` to the identity and open its attempt."""
    free = db.scalars(
        select(AccessCode.id)
        .where(
            AccessCode.session_id == session.id,
            AccessCode.used_at.is_(None),
            AccessCode.oidc_subject_hash.is_(None),
            AccessCode.expires_at > now,
        )
        .order_by(AccessCode.id)
    ).all()
    for code_id in free:
        # Compare-and-set: the WHERE repeats the "free" test, so of two students racing for
        # the same seat only one update matches (PostgreSQL re-checks it after waiting for the
        # other's row lock; on SQLite the write lock serialises them anyway); the loser moves
        # on to the next seat.
        try:
            with db.begin_nested():
                result = db.execute(
                    update(AccessCode)
                    .where(
                        AccessCode.id == code_id,
                        AccessCode.used_at.is_(None),
                        AccessCode.oidc_subject_hash.is_(None),
                    )
                    .values(oidc_subject_hash=subject)
                    .execution_options(synchronize_session=False)
                )
                # DML returns a CursorResult; the Session's signature says Result.
                taken = cast(CursorResult[Any], result).rowcount
        except IntegrityError:
            # The unique index: the same identity bound a seat of this session concurrently
            # (a second login at the same moment) — continue with that seat.
            seats = _bound_seats(db, subject, session.id)
            if not seats:  # pragma: no cover - the index fired for another reason
                raise DeliveryError(
                    "Die Anmeldung zum Test ist fehlgeschlagen; bitte erneut versuchen."
                ) from None
            return _resume(db, seats[0], device_token, now)
        if taken != 1:
            continue
        access = db.get(AccessCode, code_id, populate_existing=True)
        if access is None:  # pragma: no cover - deleted with its session in between
            continue
        _audit(db, "tests.seat_account", session, ACTOR, {"platz": access.label})
        return _resume(db, _Seat(access, session, _attempt_of(db, access)), device_token, now)
    raise DeliveryError(ALL_SEATS_TAKEN)
