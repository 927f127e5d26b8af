"""The server-side clock of an attempt: per block, paused while the class or the attempt
stands still; moving from block to block and handing in.

``remaining = block_minutes·60 + extra_seconds − (now − block_started_at − paused_seconds)``.
The clock stands still while ``attempt.paused_at`` is set (class paused, attempt locked); the
stopped span is added to ``paused_seconds`` when it starts again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from sqlalchemy.orm import Session

from bimo.core.operational import utcnow

from .errors import DeliveryError
from .models import Attempt, AttemptStatus, TestDefinition, TestSession
from .tests import BookletItem, booklet_design, booklet_items

__all__ = [
    "LOCKED_MESSAGE",
    "Timer",
    "advance_if_expired",
    "attempt_items",
    "attempt_test",
    "next_block",
    "start_clock",
    "stop_clock",
    "submit_attempt",
    "timer",
    "timer_from",
]

LOCKED_MESSAGE = (
    "Dieser Test ist schon auf einem anderen Gerät geöffnet und deshalb gesperrt. "
    "Bitte von der Testleitung freigeben lassen."
)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


@dataclass(frozen=True)
class Timer:
    """The clock of the current block (``expired``: its time is up; ``paused``: standing still)."""

    block: int
    remaining_seconds: int
    paused: bool
    expired: bool


def stop_clock(attempt: Attempt, now: datetime) -> None:
    """Stop the attempt's clock (idempotent: a second reason to stop keeps the first time)."""
    if attempt.paused_at is None:
        attempt.paused_at = now


def start_clock(attempt: Attempt, now: datetime) -> None:
    """Run the clock again; the stopped span (within the current block) is credited, rounded
    up to whole seconds so that a pause never costs the student time."""
    if attempt.paused_at is not None:
        since = max(attempt.paused_at, attempt.block_started_at)
        attempt.paused_seconds += max(0, math.ceil((now - since).total_seconds()))
        attempt.paused_at = None


def attempt_test(db: Session, attempt: Attempt) -> TestDefinition:
    session = db.get(TestSession, attempt.session_id)
    test = db.get(TestDefinition, session.test_id) if session is not None else None
    if test is None:  # pragma: no cover - foreign keys
        raise DeliveryError("Der Test dieser Sitzung fehlt.")
    return test


def attempt_items(db: Session, attempt: Attempt) -> list[BookletItem]:
    """The attempt's booklet in presentation order."""
    return booklet_items(attempt_test(db, attempt), attempt.booklet)


def timer_from(attempt: Attempt, block_minutes: int, now: datetime | None = None) -> Timer:
    """The clock of ``attempt``'s current block (no database access)."""
    if attempt.status == AttemptStatus.ABGEGEBEN.value:
        return Timer(attempt.block, 0, False, True)
    reference = attempt.paused_at if attempt.paused_at is not None else _now(now)
    elapsed = (reference - attempt.block_started_at).total_seconds() - attempt.paused_seconds
    remaining = block_minutes * 60 + attempt.extra_seconds - max(0.0, elapsed)
    return Timer(
        block=attempt.block,
        remaining_seconds=max(0, math.ceil(remaining)),
        paused=attempt.paused_at is not None,
        expired=remaining <= 0,
    )


@overload
def timer(db: Session, attempt: Attempt, /, *, now: datetime | None = None) -> Timer: ...


@overload
def timer(
    session: TestSession,
    test: TestDefinition,
    attempt: Attempt,
    /,
    *,
    now: datetime | None = None,
) -> Timer: ...


def timer(
    first: Session | TestSession,
    second: Attempt | TestDefinition,
    third: Attempt | None = None,
    /,
    *,
    now: datetime | None = None,
) -> Timer:
    """The server-side clock of the attempt's current block.

    Either ``timer(db, attempt, now=None)`` (loads the test) or, on a hot path that already
    holds the objects, ``timer(session, test, attempt, now=None)`` (no database access).
    """
    if isinstance(second, TestDefinition):
        if not isinstance(third, Attempt):
            raise TypeError("timer(session, test, attempt, now=None)")
        return timer_from(third, second.block_minutes, now)
    if not isinstance(first, Session) or third is not None:
        raise TypeError("timer(db, attempt, now=None)")
    return timer_from(second, attempt_test(first, second).block_minutes, now)


def _n_blocks(test: TestDefinition, booklet: int) -> int:
    return len(booklet_design(test)[booklet])


def next_block(
    db: Session,
    attempt: Attempt,
    now: datetime | None = None,
    *,
    expected_block: int | None = None,
) -> Attempt:
    """Close the current block and start the next one; after the last block the attempt is
    submitted. With ``expected_block`` the call only acts if the attempt is still in that
    block, so a repeated request (double click, retry) never skips a block."""
    if expected_block is not None and attempt.block != expected_block:
        return attempt
    if attempt.status == AttemptStatus.ABGEGEBEN.value:
        raise DeliveryError("Der Test ist bereits abgegeben.")
    if attempt.status == AttemptStatus.GESPERRT.value:
        raise DeliveryError(LOCKED_MESSAGE)
    now = _now(now)
    test = attempt_test(db, attempt)
    if attempt.block + 1 >= _n_blocks(test, attempt.booklet):
        return submit_attempt(db, attempt, now)
    attempt.block += 1
    attempt.block_started_at = now
    attempt.paused_seconds = 0
    attempt.extra_seconds = 0
    attempt.paused_at = now if attempt.status == AttemptStatus.PAUSIERT.value else None
    db.flush()
    return attempt


def advance_if_expired(db: Session, attempt: Attempt, now: datetime | None = None) -> Timer:
    """The current clock, after moving on if the block's time is up (at most one block: the
    next block's time starts now, when the student gets to it)."""
    now = _now(now)
    test = attempt_test(db, attempt)
    current = timer_from(attempt, test.block_minutes, now)
    if current.expired and attempt.status in (
        AttemptStatus.LAUFEND.value,
        AttemptStatus.PAUSIERT.value,
    ):
        next_block(db, attempt, now)
        current = timer_from(attempt, test.block_minutes, now)
    return current


def submit_attempt(db: Session, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Hand in the attempt (idempotent: a second call changes nothing)."""
    if attempt.status == AttemptStatus.ABGEGEBEN.value:
        return attempt
    attempt.status = AttemptStatus.ABGEGEBEN.value
    attempt.submitted_at = _now(now)
    attempt.paused_at = None
    db.flush()
    return attempt
