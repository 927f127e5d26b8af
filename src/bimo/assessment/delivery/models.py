"""Operational tables of test delivery (migrations 0006, 0007), declared on :class:`Base`.

A *test* is a set of item clusters rotated into booklets; a *session* runs a test in one class;
each student gets a printed *access code* that opens exactly one *attempt*. Every answer change
of an attempt is one row in ``test_responses`` keyed by the player's sequence number, so a
re-sent change is recognised (idempotent) and the final answer of an item is the one with the
highest sequence number. Nothing here names a student: the link from code to child is the
teacher's printed list, which never enters BiMo.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bimo.core.operational import Base, utcnow

__all__ = [
    "AccessCode",
    "Attempt",
    "AttemptStatus",
    "Coding",
    "SessionStatus",
    "TestDefinition",
    "TestResponse",
    "TestSession",
]


class SessionStatus(StrEnum):
    VORBEREITET = "vorbereitet"  # codes printed, not yet open
    OFFEN = "offen"
    PAUSIERT = "pausiert"  # the proctor paused the whole class: timers stand still
    BEENDET = "beendet"


class AttemptStatus(StrEnum):
    LAUFEND = "laufend"
    PAUSIERT = "pausiert"
    GESPERRT = "gesperrt"  # opened on a second device: the proctor must unlock it
    ABGEGEBEN = "abgegeben"


class TestDefinition(Base):
    """A test: item clusters, the booklet design over them and the time per block."""

    __test__ = False  # not a pytest test class, despite the name
    __tablename__ = "test_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "M8-2027"
    title: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(64))  # Mathematik, Deutsch Lesen, …
    grade: Mapped[int] = mapped_column(Integer)
    # JSON: [["item-id@v1", …], …] — cluster c is clusters[c]
    clusters: Mapped[str] = mapped_column(Text)
    # JSON: [[c, c, c], …] — booklet b presents clusters design[b] in this order (positions)
    design: Mapped[str] = mapped_column(Text)
    block_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class TestSession(Base):
    """One class taking one test (the proctor's unit)."""

    __test__ = False  # not a pytest test class, despite the name
    __tablename__ = "test_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("test_definitions.id"), index=True)
    schulnummer: Mapped[str] = mapped_column(String(6), index=True)
    klasse: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.VORBEREITET.value)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    codes_expire_at: Mapped[datetime] = mapped_column()
    # When the class was paused (None: running); pause time is added to every open timer.
    paused_at: Mapped[datetime | None] = mapped_column()
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)  # for the whole class
    opened_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class AccessCode(Base):
    """A printed, single-use code (a *seat*): only its hash is stored.

    A student logging in with a school account (OIDC) takes a free seat of the session; the
    seat then carries the SHA-256 of issuer and subject (migration 0007), never the subject
    itself. Unique per session: one identity holds at most one seat of a session.
    """

    __tablename__ = "test_access_codes"
    # A unique index, not a constraint: migration 0007 can then add it on SQLite without
    # rebuilding the table. NULLs (code seats) never collide.
    __table_args__ = (
        Index(
            "uq_test_access_codes_oidc_subject_hash",
            "oidc_subject_hash",
            "session_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("test_sessions.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(40))  # "Platz 1", printed beside the code
    booklet: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    # SHA-256 of "issuer\nsubject" of the school account that took this seat (None: code seat).
    oidc_subject_hash: Mapped[str | None] = mapped_column(String(64))


class Attempt(Base):
    """One student's run through one booklet, opened by one access code."""

    __tablename__ = "test_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The player's cookie holds a random token; only its hash is stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("test_sessions.id", ondelete="CASCADE"), index=True
    )
    code_id: Mapped[int] = mapped_column(ForeignKey("test_access_codes.id"), unique=True)
    booklet: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.LAUFEND.value)
    device_hash: Mapped[str] = mapped_column(String(64))  # the device the attempt is bound to
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    block: Mapped[int] = mapped_column(Integer, default=0)  # current block (cluster position)
    block_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Seconds the current block's clock stood still (pauses) and extra seconds granted.
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    # Highest sequence number committed (the player's queue can drop everything up to it).
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class TestResponse(Base):
    """One answer change. ``(attempt_id, seq)`` is unique: a re-sent change is a no-op."""

    __test__ = False  # not a pytest test class, despite the name
    __tablename__ = "test_responses"
    __table_args__ = (
        UniqueConstraint("attempt_id", "seq"),
        Index("ix_test_responses_attempt_item", "attempt_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("test_attempts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(120))  # "item-id@v1"
    value: Mapped[str] = mapped_column(Text)  # JSON of the QTI response value
    block: Mapped[int] = mapped_column(Integer)  # position of the item's cluster (position effects)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coding(Base):
    """A human code for an open answer; ``pass_no`` 2 is the independent second coding."""

    __tablename__ = "test_codings"
    __table_args__ = (UniqueConstraint("attempt_id", "item_id", "pass_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("test_attempts.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(120))
    pass_no: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    coder: Mapped[str] = mapped_column(String(200))
    coded_at: Mapped[datetime] = mapped_column(default=utcnow)
