"""Test sessions: access codes, attempts bound to a device, the server-side clock.

Lifecycle: a proctor creates a session for a class (codes printed, status ``vorbereitet``),
opens it, may pause/resume the whole class, extend time, unlock an attempt, and ends it.
A student opens an *attempt* with a code; the attempt is bound to the device (the hash of the
player's long-lived device cookie). Re-entering the code on the same device resumes the attempt
with a new token; on another device the attempt is locked (``gesperrt``) until the proctor
unlocks it, after which the next device to enter the code takes it over. A student may instead
log in with a school account and take a free seat (:mod:`bimo.assessment.delivery.identity`).

The clock (:mod:`bimo.assessment.delivery.clock`, re-exported here) is server-authoritative and
runs per block: ``remaining = block_minutes·60 +
extra_seconds − (now − block_started_at − paused_seconds)``. It stands still while
``attempt.paused_at`` is set, which happens while the class is paused or the attempt is
locked (a student must not lose time to a device problem), and the stopped span is added to
``paused_seconds`` when the clock starts again.

All functions take the caller's :class:`~sqlalchemy.orm.Session`, flush, and leave the commit
to the caller — except :func:`open_attempt` on a device conflict, which commits the lock before
raising (the caller's rollback must not undo it).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bimo.core.operational import record_event, utcnow

from .clock import (
    LOCKED_MESSAGE,
    Timer,
    advance_if_expired,
    attempt_items,
    attempt_test,
    next_block,
    start_clock,
    stop_clock,
    submit_attempt,
    timer,
    timer_from,
)
from .codes import (
    check_code_shape,
    format_code,
    generate_code,
    hash_secret,
    new_token,
    normalise_code,
)
from .errors import DeliveryError
from .models import (
    AccessCode,
    Attempt,
    AttemptStatus,
    SessionStatus,
    TestDefinition,
    TestResponse,
    TestSession,
)
from .tests import booklet_items, get_test, n_booklets

__all__ = [
    "MAX_CODES",
    "NOT_STARTED",
    "AttemptProgress",
    "CreatedSession",
    "OpenedAttempt",
    "PrintedCode",
    "Timer",
    "advance_if_expired",
    "attempt_for_token",
    "attempt_items",
    "attempt_test",
    "create_session",
    "end_session",
    "extend_time",
    "get_session",
    "list_sessions",
    "next_block",
    "normalise_code",
    "open_attempt",
    "open_session",
    "pause_session",
    "resume_session",
    "session_progress",
    "submit_attempt",
    "timer",
    "timer_from",
    "unlock_attempt",
]

MAX_CODES = 200
MAX_VALID_HOURS = 30 * 24
MAX_EXTENSION_MINUTES = 120
NOT_STARTED = "nicht_begonnen"  # progress status of a code that has not been used yet
_SCHULNUMMER = re.compile(r"\d{6}")


@dataclass(frozen=True)
class PrintedCode:
    """One line of the code sheet. ``code`` is the clear code, grouped ``ABCDE-FGHJK``: it
    exists only in this return value (the database holds its hash)."""

    label: str
    code: str
    booklet: int


@dataclass(frozen=True)
class CreatedSession:
    session: TestSession
    codes: list[PrintedCode]


@dataclass(frozen=True)
class OpenedAttempt:
    """The attempt and the raw token for the player's cookie (only its hash is stored)."""

    attempt: Attempt
    token: str


@dataclass(frozen=True)
class AttemptProgress:
    """One row of the proctor view; ``attempt_id`` is ``None`` for a code not used yet
    (status :data:`NOT_STARTED`)."""

    attempt_id: int | None
    label: str
    status: str
    block: int
    answered: int
    total: int
    remaining_seconds: int | None
    last_answer_at: datetime | None
    # The seat was taken by a login with a school account (OIDC), not by its printed code.
    via_account: bool = False


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


# --- sessions (proctor) ---------------------------------------------------------------------


def create_session(
    db: Session,
    *,
    test_key: str,
    schulnummer: str,
    klasse: str,
    n_codes: int,
    actor: str,
    valid_hours: int = 72,
    now: datetime | None = None,
) -> CreatedSession:
    """A session for one class with ``n_codes`` printed codes ("Platz 1" …).

    Booklets are dealt in rotation from a random start, so across classes every booklet is
    used about equally often and neighbouring seats get different booklets.
    """
    test = get_test(db, test_key)
    if not _SCHULNUMMER.fullmatch(schulnummer):
        raise DeliveryError(f"Die Schulnummer {schulnummer!r} hat nicht 6 Ziffern.")
    klasse = klasse.strip()
    if not 1 <= len(klasse) <= 20:
        raise DeliveryError("Die Klasse muss 1–20 Zeichen lang sein (z. B. 8b).")
    if not 1 <= n_codes <= MAX_CODES:
        raise DeliveryError(f"Es können 1–{MAX_CODES} Zugangscodes je Sitzung erzeugt werden.")
    if not 1 <= valid_hours <= MAX_VALID_HOURS:
        raise DeliveryError(f"Die Gültigkeit der Codes muss 1–{MAX_VALID_HOURS} Stunden betragen.")
    now = _now(now)
    expires = now + timedelta(hours=valid_hours)
    session = TestSession(
        test_id=test.id,
        schulnummer=schulnummer,
        klasse=klasse,
        status=SessionStatus.VORBEREITET.value,
        created_by=actor,
        created_at=now,
        codes_expire_at=expires,
        extra_minutes=0,
    )
    db.add(session)
    db.flush()
    booklets = n_booklets(test)
    start = _random_below(booklets)
    printed: list[PrintedCode] = []
    hashes: set[str] = set()
    for i in range(n_codes):
        code = generate_code()
        while hash_secret(code) in hashes:  # pragma: no cover - 2^-49 per pair
            code = generate_code()
        hashes.add(hash_secret(code))
        booklet = (start + i) % booklets
        label = f"Platz {i + 1}"
        db.add(
            AccessCode(
                session_id=session.id,
                code_hash=hash_secret(code),
                label=label,
                booklet=booklet,
                expires_at=expires,
            )
        )
        printed.append(PrintedCode(label, format_code(code), booklet))
    db.flush()
    _audit(db, "tests.session_create", session, actor, {"codes": n_codes, "test": test.key})
    return CreatedSession(session, printed)


def _random_below(n: int) -> int:
    return secrets.randbelow(n)


def _audit(
    db: Session, action: str, session: TestSession, actor: str, details: dict[str, object]
) -> None:
    record_event(
        action,
        "test_session",
        str(session.id),
        actor=actor,
        db=db,
        details={"schulnummer": session.schulnummer, "klasse": session.klasse, **details},
    )


def get_session(db: Session, session_id: int) -> TestSession:
    session = db.get(TestSession, session_id)
    if session is None:
        raise DeliveryError(f"Es gibt keine Testsitzung Nr. {session_id}.")
    return session


def list_sessions(
    db: Session,
    *,
    schulnummer: str | None = None,
    klasse: str | None = None,
    test_key: str | None = None,
) -> list[TestSession]:
    """Sessions, newest first, optionally of one school / class / test."""
    query = select(TestSession).order_by(TestSession.id.desc())
    if schulnummer is not None:
        query = query.where(TestSession.schulnummer == schulnummer)
    if klasse is not None:
        query = query.where(TestSession.klasse == klasse)
    if test_key is not None:
        query = query.join(TestDefinition).where(TestDefinition.key == test_key)
    return list(db.scalars(query))


def _active_attempts(db: Session, session_id: int) -> list[Attempt]:
    return list(
        db.scalars(
            select(Attempt).where(
                Attempt.session_id == session_id,
                Attempt.status != AttemptStatus.ABGEGEBEN.value,
            )
        )
    )


def open_session(
    db: Session, session_id: int, actor: str, now: datetime | None = None
) -> TestSession:
    """Let the class in: codes can now open attempts."""
    session = get_session(db, session_id)
    if session.status != SessionStatus.VORBEREITET.value:
        raise DeliveryError(
            f"Sitzung Nr. {session_id} ist {session.status}; nur eine vorbereitete Sitzung kann "
            "geöffnet werden."
        )
    session.status = SessionStatus.OFFEN.value
    session.opened_at = _now(now)
    db.flush()
    _audit(db, "tests.session_open", session, actor, {})
    return session


def pause_session(
    db: Session, session_id: int, actor: str, now: datetime | None = None
) -> TestSession:
    """Stop every clock of the class (e.g. a fire alarm); answers are still accepted."""
    session = get_session(db, session_id)
    if session.status != SessionStatus.OFFEN.value:
        raise DeliveryError(f"Sitzung Nr. {session_id} ist {session.status}, nicht offen.")
    now = _now(now)
    session.status = SessionStatus.PAUSIERT.value
    session.paused_at = now
    for attempt in _active_attempts(db, session_id):
        stop_clock(attempt, now)
        if attempt.status == AttemptStatus.LAUFEND.value:
            attempt.status = AttemptStatus.PAUSIERT.value
    db.flush()
    _audit(db, "tests.session_pause", session, actor, {})
    return session


def resume_session(
    db: Session, session_id: int, actor: str, now: datetime | None = None
) -> TestSession:
    session = get_session(db, session_id)
    if session.status != SessionStatus.PAUSIERT.value:
        raise DeliveryError(f"Sitzung Nr. {session_id} ist nicht pausiert.")
    now = _now(now)
    session.status = SessionStatus.OFFEN.value
    session.paused_at = None
    for attempt in _active_attempts(db, session_id):
        if attempt.status == AttemptStatus.PAUSIERT.value:
            attempt.status = AttemptStatus.LAUFEND.value
            start_clock(attempt, now)  # a locked attempt's clock stays stopped
    db.flush()
    _audit(db, "tests.session_resume", session, actor, {})
    return session


def end_session(
    db: Session, session_id: int, actor: str, now: datetime | None = None
) -> TestSession:
    """End the session: every attempt not yet submitted is submitted as it stands, and no code
    opens anything any more."""
    session = get_session(db, session_id)
    if session.status == SessionStatus.BEENDET.value:
        raise DeliveryError(f"Sitzung Nr. {session_id} ist bereits beendet.")
    now = _now(now)
    open_attempts = _active_attempts(db, session_id)
    for attempt in open_attempts:
        attempt.status = AttemptStatus.ABGEGEBEN.value
        attempt.submitted_at = now
        attempt.paused_at = None
    session.status = SessionStatus.BEENDET.value
    session.paused_at = None
    session.ended_at = now
    db.flush()
    _audit(db, "tests.session_end", session, actor, {"abgegeben_durch_ende": len(open_attempts)})
    return session


def _attempt_in(db: Session, attempt_id: int, session_id: int | None = None) -> Attempt:
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or (session_id is not None and attempt.session_id != session_id):
        raise DeliveryError(f"Es gibt keinen Testdurchgang Nr. {attempt_id} in dieser Sitzung.")
    return attempt


def extend_time(
    db: Session,
    session_id: int,
    minutes: int,
    actor: str,
    attempt_id: int | None = None,
    now: datetime | None = None,
) -> TestSession:
    """Extra time for the *current block*: of one attempt, or of every attempt not yet
    submitted (``attempt_id=None``; counted in ``session.extra_minutes``)."""
    session = get_session(db, session_id)
    if session.status == SessionStatus.BEENDET.value:
        raise DeliveryError(f"Sitzung Nr. {session_id} ist beendet.")
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise DeliveryError(f"Eine Verlängerung beträgt 1–{MAX_EXTENSION_MINUTES} Minuten.")
    if attempt_id is not None:
        attempt = _attempt_in(db, attempt_id, session_id)
        if attempt.status == AttemptStatus.ABGEGEBEN.value:
            raise DeliveryError(f"Testdurchgang Nr. {attempt_id} ist bereits abgegeben.")
        targets = [attempt]
    else:
        targets = _active_attempts(db, session_id)
        session.extra_minutes += minutes
    for attempt in targets:
        attempt.extra_seconds += minutes * 60
    db.flush()
    _audit(
        db,
        "tests.extend_time",
        session,
        actor,
        {"minuten": minutes, "durchgang": attempt_id, "durchgaenge": len(targets)},
    )
    return session


def unlock_attempt(
    db: Session, attempt_id: int, actor: str, now: datetime | None = None
) -> Attempt:
    """Release a locked attempt: the next device that enters the code takes it over."""
    attempt = _attempt_in(db, attempt_id)
    if attempt.status != AttemptStatus.GESPERRT.value:
        raise DeliveryError(f"Testdurchgang Nr. {attempt_id} ist nicht gesperrt.")
    session = get_session(db, attempt.session_id)
    if session.status == SessionStatus.BEENDET.value:
        raise DeliveryError(f"Sitzung Nr. {session.id} ist beendet.")
    attempt.device_hash = ""
    if session.status == SessionStatus.PAUSIERT.value:
        attempt.status = AttemptStatus.PAUSIERT.value
    else:
        attempt.status = AttemptStatus.LAUFEND.value
        start_clock(attempt, _now(now))
    db.flush()
    _audit(db, "tests.attempt_unlock", session, actor, {"durchgang": attempt.id})
    return attempt


# --- attempts (student) ---------------------------------------------------------------------


def open_attempt(
    db: Session, code: str, device_token: str, now: datetime | None = None
) -> OpenedAttempt:
    """Open (first use) or resume (same device) the attempt of ``code``; see module doc.

    Call it at the start of a transaction (its first statement takes the write lock).
    """
    _require_device(device_token)
    now = _now(now)
    normalised = normalise_code(code)
    check_code_shape(normalised)
    code_hash = hash_secret(normalised)
    # Two devices entering the same code at once are serialised instead of racing.
    lock_codes(db, AccessCode.code_hash == code_hash)
    access = db.scalar(select(AccessCode).where(AccessCode.code_hash == code_hash))
    if access is None:
        raise DeliveryError("Diesen Zugangscode gibt es nicht. Bitte die Eingabe prüfen.")
    if access.expires_at <= now:
        raise DeliveryError("Dieser Zugangscode ist abgelaufen. Bitte bei der Testleitung melden.")
    session = get_session(db, access.session_id)
    attempt = _attempt_of(db, access)
    _check_session_admits(session, resuming=attempt is not None)
    device = hash_secret(device_token)
    token = new_token()
    if attempt is None:
        attempt, created = _start_attempt(db, access, session, device, token, now)
        if created:
            return OpenedAttempt(attempt, token)
    if attempt.status == AttemptStatus.ABGEGEBEN.value:
        raise DeliveryError("Mit diesem Zugangscode wurde der Test bereits abgegeben.")
    if attempt.status == AttemptStatus.GESPERRT.value:
        raise DeliveryError(LOCKED_MESSAGE)
    if attempt.device_hash and attempt.device_hash != device:
        attempt.status = AttemptStatus.GESPERRT.value
        stop_clock(attempt, now)
        db.flush()
        _audit(db, "tests.attempt_lock", session, "teilnehmer", {"durchgang": attempt.id})
        db.commit()  # the lock must survive the caller's rollback on the raised error
        raise DeliveryError(LOCKED_MESSAGE)
    attempt.device_hash = device
    attempt.token_hash = hash_secret(token)
    db.flush()
    return OpenedAttempt(attempt, token)


def _require_device(device_token: str) -> None:
    if not device_token:
        raise DeliveryError(
            "Dieses Gerät hat keine Gerätekennung; bitte Cookies für den Test erlauben."
        )


def lock_codes(db: Session, condition: ColumnElement[bool]) -> None:
    """Write first: a no-op update of the matching codes takes their row locks (PostgreSQL) or
    the database write lock (SQLite) before anything is read, so SQLite never has to upgrade a
    read snapshot (which fails at once with "database is locked" when another write came in
    between) and nothing read afterwards is stale."""
    db.execute(
        update(AccessCode)
        .where(condition)
        .values(used_at=AccessCode.used_at)
        .execution_options(synchronize_session=False)
    )


def _attempt_of(db: Session, access: AccessCode) -> Attempt | None:
    return db.scalar(select(Attempt).where(Attempt.code_id == access.id))


def _start_attempt(
    db: Session,
    access: AccessCode,
    session: TestSession,
    device: str,
    token: str,
    now: datetime,
) -> tuple[Attempt, bool]:
    """First use of a seat: the new attempt and ``True``, or — when a concurrent request
    created it first — that attempt and ``False`` (the caller then treats it as a resume)."""
    attempt = _first_use(db, access, session, device, token, now)
    if attempt is not None:
        return attempt, True
    attempt = _attempt_of(db, access)
    if attempt is None:  # pragma: no cover - the insert failed for another reason
        raise DeliveryError("Der Test konnte nicht gestartet werden; bitte erneut versuchen.")
    return attempt, False


def _check_session_admits(session: TestSession, *, resuming: bool) -> None:
    status = session.status
    if status == SessionStatus.VORBEREITET.value:
        raise DeliveryError(
            "Der Test ist noch nicht freigegeben. Bitte auf die Testleitung warten."
        )
    if status == SessionStatus.BEENDET.value:
        raise DeliveryError("Diese Testsitzung ist beendet.")
    if status == SessionStatus.PAUSIERT.value and not resuming:
        raise DeliveryError("Der Test ist gerade pausiert. Bitte auf die Testleitung warten.")


def _first_use(
    db: Session,
    access: AccessCode,
    session: TestSession,
    device: str,
    token: str,
    now: datetime,
) -> Attempt | None:
    """Create the attempt; ``None`` if a concurrent request created it first."""
    attempt = Attempt(
        token_hash=hash_secret(token),
        session_id=session.id,
        code_id=access.id,
        booklet=access.booklet,
        status=AttemptStatus.LAUFEND.value,
        device_hash=device,
        started_at=now,
        block=0,
        block_started_at=now,
        paused_seconds=0,
        extra_seconds=0,
        last_seq=0,
    )
    try:
        with db.begin_nested():
            db.add(attempt)
            access.used_at = now
            db.flush()
    except IntegrityError:
        return None
    return attempt


def attempt_for_token(db: Session, token: str) -> Attempt | None:
    """The attempt of a player cookie (any status; the caller decides what it may do)."""
    if not token:
        return None
    return db.scalar(select(Attempt).where(Attempt.token_hash == hash_secret(token)))


def session_progress(
    db: Session, session_id: int, now: datetime | None = None
) -> list[AttemptProgress]:
    """Every code of the session in label order with its attempt's progress."""
    session = get_session(db, session_id)
    test = db.get(TestDefinition, session.test_id)
    if test is None:  # pragma: no cover - foreign key
        raise DeliveryError("Der Test dieser Sitzung fehlt.")
    now = _now(now)
    totals = {b: len(booklet_items(test, b)) for b in range(n_booklets(test))}
    rows = db.execute(
        select(AccessCode, Attempt)
        .outerjoin(Attempt, Attempt.code_id == AccessCode.id)
        .where(AccessCode.session_id == session_id)
        .order_by(AccessCode.id)
    ).all()
    stats = {
        attempt_id: (answered, last)
        for attempt_id, answered, last in db.execute(
            select(
                TestResponse.attempt_id,
                func.count(func.distinct(TestResponse.item_id)),
                func.max(TestResponse.received_at),
            )
            .join(Attempt, Attempt.id == TestResponse.attempt_id)
            .where(Attempt.session_id == session_id)
            .group_by(TestResponse.attempt_id)
        ).all()
    }
    out = []
    for access, attempt in rows:
        total = totals[access.booklet]
        if attempt is None:
            out.append(
                AttemptProgress(
                    None,
                    access.label,
                    NOT_STARTED,
                    0,
                    0,
                    total,
                    None,
                    None,
                    access.oidc_subject_hash is not None,
                )
            )
            continue
        answered, last = stats.get(attempt.id, (0, None))
        if last is not None and last.tzinfo is None:  # SQLite aggregate: naive UTC
            last = last.replace(tzinfo=UTC)
        clock = timer_from(attempt, test.block_minutes, now)
        out.append(
            AttemptProgress(
                attempt.id,
                access.label,
                attempt.status,
                attempt.block,
                int(answered),
                total,
                clock.remaining_seconds,
                last,
                access.oidc_subject_hash is not None,
            )
        )
    return out
